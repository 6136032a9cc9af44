"""World configuration: a TOML file (stdlib ``tomllib``) that describes one server/BMC pair.

``load_config(path_or_dict)`` reads and validates the whole file and returns
a ``WorldConfig``; ``World.from_config(config)`` builds a ``World`` from it.  The
two steps are separate on purpose: every field is checked before anything
is built, so a bad file changes nothing (no world, no store, no state
directory touched).  Every problem is reported at once, each naming the
field's path (``sensors[2].thresholds.upper_critical``) and the bad value.

Without a file, ``World.from_config(None)`` is the realistic default server:
QEMU ``ipmi-bmc-sim``'s identity with GUIDs, the default sensor set
(temperatures, fans, rails, PSU, intrusion, watchdog), a FRU with chassis,
board and product areas, and the default users.

Durations are strings with a unit, parsed exactly into integer ns:
``"10ms"``, ``"2.5 s"``, ``"100 us"``, ``"250ns"``, ``"1 min"``.  Numbers
in the IPMI sense (ids, addresses) may be written as TOML hex (``0x20``).
Files named in a config (piecewise traces, ``sdr.file``, ``fru.file``,
``state_dir``) are relative to the config file.

The schema (every key optional unless marked)::

    preset = "isa-ipmi-kcs" | ... (ipmilab presets)   interface = "kcs" | "bt"   seed = 0   use_irq = false
    state_dir = "state"                      # SEL, SDR and FRU persisted here (sqlite)
    [bmc]        device_id, device_revision, firmware_major, firmware_minor, ipmi_version = "2.0",
                 manufacturer_id, product_id, additional_support, provides_device_sdrs,
                 aux_firmware_revision = [4 bytes], device_guid, system_guid (UUIDs), slave_address
    [[sensors]]  number*, name*, type* (name or code), units, sdr = "full" | "compact",
                 reading_type = "threshold" | "sensor_specific" | code, entity, entity_instance,
                 model = {kind = "constant"|"ramp"|"step"|"piecewise"|"python", ...},
                 conversion = {m, b, b_exp, r_exp, format}, thresholds = {lower_non_recoverable ..
                 upper_non_recoverable}, hysteresis = {positive, negative}, events = true
    [sdr]        file = QEMU sdrfile, records = ["hex", ...]   (added after the sensors' SDRs)
    [fru]        file = QEMU frudatafile (+ area_size) | size + [fru.chassis] [fru.board] [fru.product]
    [[users]]    id*, name*, password, privilege = "user"|"operator"|"administrator"|..., enabled
    [lan]        ip_address, ip_source, netmask, gateway, gateway_mac, mac, community, vlan_id,
                 bad_password_threshold, bad_password_reset, bad_password_lockout (10 s steps),
                 auth = {admin = ["md5"], ...}, cipher_suite_privileges = {"3" = "administrator", ...}
                 (scenarios.config_lan)
    variants     = ["fix-msg-stack-6.2", ...]   (named driver variants, buses.variant; default: none)
    [[faults]]   kind* = "answer" (netfn, cmd, replace = "hex", delay, jitter, drop) |
                 "bus" (action* = "nak" | "corrupt" | "lose" | "stretch", cond, value, byte) |
                 "irq-hold" (hold*, status) |
                 "register" (action* = "stuck" | "flip" | "drop" | "delay", offset, value, device, delay, jitter) |
                 "host-irq" (action* = "lose" | "delay", delay, jitter) | "host-stall" (stall*) |
                 "bmc" (action* = "cold-reset" | "hang" | "daemon-exit", netfn, cmd, down) |
                 "link" (action* = "garbage" | "disconnect", length: an external BMC's README.vm link);
                 when: after, until, nth, count, probability
    [timing]     firmware_daemon_latency, host_hz, host_kernel = "6.12"|"6.1", firmware_kernel, kipmid,
                 kipmid_max_busy, host_irq_latency,
                 host_port_io, command_cost_scale, ipmb_latency, power_cycle_interval,
                 firmware_boot, os_boot, soft_shutdown
"""

from __future__ import annotations

import tomllib
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from buses.time import S

from .config_check import MISSING, Checker, ConfigError, code_of, fmt_ns, norm_name, parse_duration, resolve
from .config_lan import LanSpec, apply_lan, read_lan
from .config_sensors import Conversion, ModelSpec, SensorSpec, read_sensors
from .presets import PRESETS

__all__ = ["ConfigError", "Conversion", "ModelSpec", "SensorSpec", "WorldConfig", "apply_config", "default_config",
           "fmt_ns", "host_kwargs", "load_config", "parse_duration", "si_config", "validate"]

PRIVILEGES = {"callback": 1, "user": 2, "operator": 3, "administrator": 4, "oem": 5, "no_access": 0x0F}
IPMI_VERSIONS = {"1.0": 0x01, "1.5": 0x51, "2.0": 0x02}
MAX_USERS = 15


@dataclass
class UserSpec:
    id: int
    name: str
    password: str
    privilege: int
    enabled: bool = True


@dataclass
class TimingSpec:
    firmware_daemon_latency: int | None = None
    host_hz: int | None = None
    host_kernel: str | None = None
    firmware_kernel: str | None = None
    kipmid: bool | None = None
    kipmid_max_busy: int | None = None          # ns
    host_irq_latency: int | None = None
    host_port_io: int | None = None
    command_cost_scale: float | None = None
    ipmb_latency: int | None = None
    power_cycle_interval: int | None = None
    firmware_boot: int | None = None
    os_boot: int | None = None
    soft_shutdown: int | None = None


@dataclass
class WorldConfig:
    """A validated world description; ``World.from_config`` turns it into a ``World``."""

    preset: str = "isa-ipmi-kcs"
    interface: str | None = None                      # one of the preset's interfaces; None: its first
    seed: int = 0
    use_irq: bool = False
    state_dir: Path | None = None
    identity: dict = field(default_factory=dict)     # keyword arguments of bmc.bmc.Identity
    slave_address: int = 0x20
    sensors: list[SensorSpec] | None = None           # None: the default sensor set
    sdr_records: list[bytes] = field(default_factory=list)   # extra raw records (sdr.file / sdr.records)
    fru_image: bytes | None = None                    # None: the default FRU
    fru_areas: list[bytes] | None = None              # from a QEMU frudatafile: FRU ids 0, 1, ...
    users: list[UserSpec] | None = None               # None: the default users
    timing: TimingSpec = field(default_factory=TimingSpec)
    faults: list[dict] = field(default_factory=list)  # [[faults]], checked (scenarios.fault_table)
    variants: tuple[str, ...] = ()                    # named driver variants (buses.variant)
    lan: LanSpec | None = None                        # [lan]: the LAN channel's parameters (config_lan)
    source: str = "world config"


# -- readers, one per section ---


def _read_identity(ck: Checker, raw) -> tuple[dict, int]:
    keys = {"device_id": False, "device_revision": False, "firmware_major": False, "firmware_minor": False,
            "ipmi_version": False, "manufacturer_id": False, "product_id": False, "device_guid": False,
            "system_guid": False, "aux_firmware_revision": False, "additional_support": False,
            "provides_device_sdrs": False, "slave_address": False}
    if ck.table("bmc", raw, keys) is None:
        return {}, 0x20
    out: dict = {}
    for key, hi in (("device_id", 0xFF), ("device_revision", 0x0F), ("firmware_major", 0x7F),
                    ("firmware_minor", 0xFF), ("manufacturer_id", 0x0FFFFF), ("product_id", 0xFFFF),
                    ("additional_support", 0xFF)):
        if key in raw:
            v = ck.integer(f"bmc.{key}", raw[key], 0, hi, hexfmt=True)
            if v is not None:
                out[key] = v
    if "ipmi_version" in raw:
        v = ck.choice("bmc.ipmi_version", raw["ipmi_version"], IPMI_VERSIONS)
        if v is not None:
            out["ipmi_version"] = IPMI_VERSIONS[v]
    if "provides_device_sdrs" in raw:
        v = ck.boolean("bmc.provides_device_sdrs", raw["provides_device_sdrs"])
        if v is not None:
            out["provides_device_sdrs"] = v
    for key in ("device_guid", "system_guid"):
        if key in raw:
            v = raw[key]
            try:
                out[key] = str(uuid.UUID(v))
            except (TypeError, ValueError, AttributeError):
                ck.bad(f"bmc.{key}", v, "is not a UUID string (write 8-4-4-4-12 hex digits)")
    if "aux_firmware_revision" in raw:
        v = raw["aux_firmware_revision"]
        if not isinstance(v, list) or len(v) != 4:
            ck.bad("bmc.aux_firmware_revision", v, "must be a list of 4 bytes")
        else:
            got = [ck.integer(f"bmc.aux_firmware_revision[{i}]", b, 0, 0xFF, hexfmt=True) for i, b in enumerate(v)]
            if None not in got:
                out["aux_firmware_revision"] = bytes(got)
    address = 0x20
    if "slave_address" in raw:
        v = ck.integer("bmc.slave_address", raw["slave_address"], 0, 0xFE, hexfmt=True)
        if v is not None and v & 1:
            ck.bad("bmc.slave_address", v, "an IPMB address is even")
        elif v is not None:
            address = v
    return out, address


def _read_sdr(ck: Checker, raw, base: Path | None) -> list[tuple[str, bytes]]:
    from bmc.sdr import parse_sdrfile

    if ck.table("sdr", raw, {"file": False, "records": False}) is None:
        return []
    out: list[tuple[str, bytes]] = []
    if "file" in raw:
        name = ck.string("sdr.file", raw["file"])
        if name is not None:
            p = resolve(base, name)
            try:
                out += [(f"sdr.file record {k}", r) for k, r in enumerate(parse_sdrfile(p.read_bytes(), name))]
            except OSError as exc:
                ck.bad("sdr.file", name, f"cannot read it ({exc.strerror or exc})")
            except ValueError as exc:
                ck.bad("sdr.file", name, str(exc))
    if "records" in raw:
        recs = raw["records"]
        if not isinstance(recs, list):
            ck.bad("sdr.records", recs, "must be a list of hex strings")
        else:
            for i, r in enumerate(recs):
                try:
                    data = bytes.fromhex(r) if isinstance(r, str) else None
                except ValueError:
                    data = None
                if data is None:
                    ck.bad(f"sdr.records[{i}]", r, "must be a hex string of one whole record")
                    continue
                try:
                    out += [(f"sdr.records[{i}]", r) for r in parse_sdrfile(data, f"sdr.records[{i}]")]
                except ValueError as exc:
                    ck.bad(f"sdr.records[{i}]", r, str(exc).removeprefix(f"sdr.records[{i}]: "))
    return out


FRU_TEXT_KEYS = {
    "chassis": ("part_number", "serial_number"),
    "board": ("manufacturer", "product_name", "serial_number", "part_number", "fru_file_id"),
    "product": ("manufacturer", "product_name", "part_number", "version", "serial_number", "asset_tag",
                "fru_file_id"),
}


def _chassis_types() -> dict[str, int]:
    from vserver.userland.names import CHASSIS_TYPES

    return {norm_name(n): c for c, n in enumerate(CHASSIS_TYPES)} | {"rack mount": 0x17}


def _read_fru(ck: Checker, raw, base: Path | None) -> tuple[bytes | None, list[bytes] | None]:
    import datetime as dt

    from bmc import fru as F

    keys = {"file": False, "area_size": False, "size": False, "chassis": False, "board": False, "product": False}
    if ck.table("fru", raw, keys) is None:
        return None, None
    n0 = len(ck.problems)
    if "file" in raw:
        others = [k for k in ("chassis", "board", "product", "size") if k in raw]
        if others:
            ck.bad(f"fru.{others[0]}", raw[others[0]], "fru.file gives the whole FRU data; drop the areas or the file")
            return None, None
        area_size = ck.integer("fru.area_size", raw.get("area_size", F.DEFAULT_AREA_SIZE), 8, F.MAX_SIZE)
        name = ck.string("fru.file", raw["file"])
        if name is None or area_size is None:
            return None, None
        p = resolve(base, name)
        try:
            return None, F.parse_frudatafile(p.read_bytes(), area_size)
        except OSError as exc:
            ck.bad("fru.file", name, f"cannot read it ({exc.strerror or exc})")
            return None, None
    if "area_size" in raw:
        ck.bad("fru.area_size", raw["area_size"], "only with fru.file (a QEMU frudatafile)")
    size = ck.integer("fru.size", raw.get("size", F.DEFAULT_AREA_SIZE), 8, F.MAX_SIZE)
    areas: dict = {}
    for area in ("chassis", "board", "product"):
        if area not in raw:
            continue
        extra = {"chassis": {"type": False}, "board": {"mfg_date": False}, "product": {}}[area]
        sub = raw[area]
        table_keys = {**dict.fromkeys(FRU_TEXT_KEYS[area], False), **extra, "custom": False}
        if ck.table(f"fru.{area}", sub, table_keys) is None:
            continue
        values: dict = {}
        for key in FRU_TEXT_KEYS[area]:
            if key in sub:
                v = ck.string(f"fru.{area}.{key}", sub[key], max_bytes=F.MAX_FIELD)
                if v is not None and len(v) == 1 and not 0x20 <= ord(v) <= 0x5F:
                    ck.bad(f"fru.{area}.{key}", v, "a one-character field must be 6-bit ASCII (space to '_')")
                values[key] = v
        custom = sub.get("custom", [])
        if not isinstance(custom, list):
            ck.bad(f"fru.{area}.custom", custom, "must be a list of strings")
            custom = []
        values["custom"] = tuple(ck.string(f"fru.{area}.custom[{i}]", c, max_bytes=F.MAX_FIELD)
                                 for i, c in enumerate(custom))
        if area == "chassis" and "type" in sub:
            values["type"] = code_of(ck, "fru.chassis.type", sub["type"], _chassis_types())
        if area == "board" and "mfg_date" in sub:
            d = sub["mfg_date"]
            if isinstance(d, dt.date) and not isinstance(d, dt.datetime):
                d = dt.datetime(d.year, d.month, d.day)
            if not isinstance(d, dt.datetime):
                ck.bad("fru.board.mfg_date", d, "must be a TOML date-time, e.g. 2024-03-01T08:00:00Z")
            else:
                minutes = F.minutes_since_1996(d)
                if not 0 <= minutes <= 0xFFFFFF:
                    ck.bad("fru.board.mfg_date", d, "out of range 1996-01-01 .. 2027-11-24 (24 bits of minutes)")
                else:
                    values["mfg_minutes"] = minutes
        areas[area] = values
    if len(ck.problems) != n0:
        return None, None
    inv = F.FruInventory(
        chassis=F.ChassisInfo(**areas["chassis"]) if "chassis" in areas else None,
        board=F.BoardInfo(**areas["board"]) if "board" in areas else None,
        product=F.ProductInfo(**areas["product"]) if "product" in areas else None,
    )
    try:
        return inv.encode(size), None
    except ValueError as exc:
        ck.bad("fru.size" if "over the device" in str(exc) else "fru", size, str(exc))
        return None, None


def _read_users(ck: Checker, raw) -> list[UserSpec] | None:
    if not isinstance(raw, list):
        return ck.bad("users", raw, "must be an array of tables ([[users]])")
    out: list[UserSpec] = []
    seen: dict[int, int] = {}
    for i, u in enumerate(raw):
        path = f"users[{i}]"
        if ck.table(path, u, {"id": True, "name": True, "password": False, "privilege": False,
                              "enabled": False}) is None:
            continue
        n0 = len(ck.problems)
        uid = ck.integer(f"{path}.id", u.get("id"), 1, MAX_USERS) if "id" in u else None
        name = ck.string(f"{path}.name", u.get("name"), max_bytes=16, ascii_only=True) if "name" in u else None
        if uid == 1 and name:
            ck.bad(f"{path}.name", name, "user 1 has the fixed null name; write \"\"")
        password = ck.string(f"{path}.password", u.get("password", ""), max_bytes=20, ascii_only=True)
        priv = ck.choice(f"{path}.privilege", u.get("privilege", "user"), PRIVILEGES)
        enabled = ck.boolean(f"{path}.enabled", u.get("enabled", True))
        if len(ck.problems) != n0:
            continue
        if uid in seen:
            ck.bad(f"{path}.id", uid, f"duplicate user id: users[{seen[uid]}] has it too")
            continue
        seen[uid] = i
        out.append(UserSpec(uid, name, password, PRIVILEGES[priv], enabled))
    return out


def _read_timing(ck: Checker, raw, preset: str | None) -> TimingSpec:
    durations = ("firmware_daemon_latency", "kipmid_max_busy", "host_irq_latency", "host_port_io", "ipmb_latency",
                 "power_cycle_interval", "firmware_boot", "os_boot", "soft_shutdown")
    keys = dict.fromkeys((*durations, "host_hz", "host_kernel", "firmware_kernel", "kipmid", "command_cost_scale"),
                         False)
    t = TimingSpec()
    if ck.table("timing", raw, keys) is None:
        return t
    for key in durations:
        if key in raw:
            setattr(t, key, ck.duration(f"timing.{key}", raw[key], hi=3600 * S))
    if "host_hz" in raw:
        hz = ck.integer("timing.host_hz", raw["host_hz"], 1, 1000)
        if hz is not None and S % hz:
            ck.bad("timing.host_hz", hz, "must divide 1 s into whole nanoseconds (e.g. 100, 250, 300, 1000)")
        else:
            t.host_hz = hz
    from bmc.kcs_aspeed import BMC_KERNELS
    from vserver.si import HOST_KERNELS

    for key, kernels in (("host_kernel", HOST_KERNELS), ("firmware_kernel", BMC_KERNELS)):
        if key in raw:
            value = ck.choice(f"timing.{key}", raw[key], {k: k for k in kernels})
            setattr(t, key, value if value in kernels else None)
    if t.firmware_kernel is not None and preset in PRESETS and PRESETS[preset].fidelity == "ideal":
        ck.bad("timing.firmware_kernel", raw["firmware_kernel"], f"preset {preset!r} has no BMC firmware (ideal)")
    if "kipmid" in raw:
        t.kipmid = ck.boolean("timing.kipmid", raw["kipmid"])
    if "command_cost_scale" in raw:
        t.command_cost_scale = ck.number("timing.command_cost_scale", raw["command_cost_scale"], 0, 1000)
    if t.kipmid_max_busy is not None and t.kipmid_max_busy % 1000:
        ck.bad("timing.kipmid_max_busy", raw["kipmid_max_busy"], "kipmid_max_busy_us is whole microseconds")
    if t.firmware_daemon_latency is not None and preset in PRESETS and PRESETS[preset].fidelity == "ideal":
        ck.bad("timing.firmware_daemon_latency", raw["firmware_daemon_latency"],
               f"preset {preset!r} has no BMC firmware (ideal); use a full-stack preset such as \"ast2600\"")
    return t


def _check_sdr_overlap(ck: Checker, found: list[tuple[str, bytes]], cfg: WorldConfig) -> None:
    """An extra SDR must not describe a sensor the world defines already (configured or default)."""
    from bmc.sensors import default_sensors
    from bmc.sensors.sdr import record_key

    if cfg.sensors is not None:
        defined = {s.number: s.path for s in cfg.sensors}
    else:
        defined = {s.number: "the default sensor set" for s in default_sensors()}
    for where, rec in found:
        key = record_key(rec)
        if key and key[0] == "sensor" and key[1] == cfg.slave_address and key[2] == 0 and key[3] in defined:
            ck.bad(where, rec.hex(), f"describes sensor 0x{key[3]:02X}, which {defined[key[3]]} defines already")


TOP_KEYS = {"preset": False, "interface": False, "seed": False, "use_irq": False, "state_dir": False, "bmc": False,
            "sensors": False, "sdr": False, "fru": False, "users": False, "timing": False, "faults": False,
            "variants": False, "lan": False}

def _read_variants(ck: Checker, raw) -> tuple[str, ...]:
    """``variants = ["name", ...]``: each a registered driver variant (``ipmilab races variants`` lists them)."""
    import scenarios.races  # noqa: F401  (the catalogue's variants register on import)
    from buses.variant import REGISTRY

    if not isinstance(raw, list):
        ck.bad("variants", raw, 'must be a list of variant names, e.g. ["fix-msg-stack-6.2"]')
        return ()
    out = []
    for i, name in enumerate(raw):
        if name not in REGISTRY:
            ck.bad(f"variants[{i}]", name, f"not a known variant; choose from: {', '.join(sorted(REGISTRY))}")
        else:
            out.append(name)
    return tuple(out)


def validate(doc: dict, base: Path | None = None, source: str = "world config") -> WorldConfig:
    """Check a whole parsed document; a ``WorldConfig``, or ``ConfigError`` listing every problem."""
    ck = Checker()
    cfg = WorldConfig(source=source)
    if ck.table("", doc, TOP_KEYS) is None:
        raise ConfigError(ck.problems, source)
    if "preset" in doc:
        cfg.preset = ck.choice("preset", doc["preset"], PRESETS) or cfg.preset
    if "interface" in doc:
        kinds = {si.kind: si for si in PRESETS[cfg.preset].interfaces} if cfg.preset in PRESETS else {}
        cfg.interface = ck.choice("interface", doc["interface"], kinds) or None
    if "seed" in doc:
        cfg.seed = ck.integer("seed", doc["seed"], 0, 2 ** 63 - 1) or 0
    if "use_irq" in doc:
        cfg.use_irq = bool(ck.boolean("use_irq", doc["use_irq"]))
    if "state_dir" in doc:
        name = ck.string("state_dir", doc["state_dir"])
        if name is not None:
            p = resolve(base, name)
            if p.exists() and not p.is_dir():
                ck.bad("state_dir", name, "exists and is not a directory")
            cfg.state_dir = p
    if "bmc" in doc:
        cfg.identity, cfg.slave_address = _read_identity(ck, doc["bmc"])
    if "sensors" in doc:
        cfg.sensors = read_sensors(ck, doc["sensors"], base)
    if "sdr" in doc:
        found = _read_sdr(ck, doc["sdr"], base)
        _check_sdr_overlap(ck, found, cfg)
        cfg.sdr_records = [r for _, r in found]
    if "fru" in doc:
        cfg.fru_image, cfg.fru_areas = _read_fru(ck, doc["fru"], base)
    if "users" in doc:
        cfg.users = _read_users(ck, doc["users"])
    if "timing" in doc:
        cfg.timing = _read_timing(ck, doc["timing"], doc.get("preset", cfg.preset))
    if "faults" in doc:
        from .fault_table import read_faults
        cfg.faults = read_faults(ck, doc["faults"])
    if "variants" in doc:
        cfg.variants = _read_variants(ck, doc["variants"])
    if "lan" in doc:
        cfg.lan = read_lan(ck, doc["lan"])
    if ck.problems:
        raise ConfigError(ck.problems, source)
    return cfg


def load_config(config) -> WorldConfig:
    """A ``WorldConfig`` from a path (TOML), TOML text given as ``str`` with newlines, a dict, or itself."""
    if isinstance(config, WorldConfig):
        return config
    if isinstance(config, dict):
        return validate(config)
    if isinstance(config, str) and "\n" in config:
        try:
            doc = tomllib.loads(config)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError([("(toml)", MISSING, f"not valid TOML: {exc}")], "world config") from None
        return validate(doc)
    path = Path(config)
    source = str(path)
    try:
        with path.open("rb") as fh:
            doc = tomllib.load(fh)
    except OSError as exc:
        raise ConfigError([("(file)", source, f"cannot read it ({exc.strerror or exc})")], source) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([("(toml)", source, f"not valid TOML: {exc}")], source) from None
    return validate(doc, path.parent, source)


# -- the default server ---------------------------------------------------------------------------------

DEFAULT_DOC: dict = {
    "preset": "isa-ipmi-kcs",
    "bmc": {
        # QEMU ipmi-bmc-sim's identity (Get Device ID answers its bytes), with GUIDs configured.
        "device_guid": "a2c3f1d0-6b1e-4c7a-9e55-0c0ffee00001",
        "system_guid": "a2c3f1d0-6b1e-4c7a-9e55-0c0ffee00002",
    },
    "fru": {
        "chassis": {"type": "rack mount chassis", "part_number": "CHS-1U-0100", "serial_number": "CH0000001"},
        "board": {"manufacturer": "ipmilab", "product_name": "IPL-X1 Server Board", "serial_number": "BD0000001",
                  "part_number": "BRD-X1-0200", "mfg_date": None},   # filled below (a TOML date-time)
        "product": {"manufacturer": "ipmilab", "product_name": "IPL-1U Virtual Server", "part_number": "SRV-1U-0001",
                    "version": "1.0", "serial_number": "SV0000001", "asset_tag": "LAB-0001"},
    },
}


def default_doc() -> dict:
    """The default server as a config document (a fresh copy)."""
    import copy
    import datetime as dt

    doc = copy.deepcopy(DEFAULT_DOC)
    doc["fru"]["board"]["mfg_date"] = dt.datetime(2024, 1, 15, 8, 30, tzinfo=dt.UTC)
    return doc


def default_config() -> WorldConfig:
    return validate(default_doc(), source="default server")


# -- building ---------------------------------------------------------------------------------------------


def si_config(cfg: WorldConfig, use_irq: bool):
    from vserver.si import SiConfig

    t = cfg.timing
    kw: dict = {"use_irq": use_irq}
    if t.host_hz is not None:
        kw["hz"] = t.host_hz
    if t.host_kernel is not None:
        kw["kernel"] = t.host_kernel
    if t.kipmid is not None:
        kw["kipmid"] = t.kipmid
    if t.kipmid_max_busy is not None:
        kw["kipmid_max_busy_us"] = t.kipmid_max_busy // 1000
    return SiConfig(**kw)


def host_kwargs(cfg: WorldConfig) -> dict:
    import dataclasses

    from vserver.host import HostTiming

    t = cfg.timing
    cpu = {}
    if t.host_irq_latency is not None:
        cpu["irq_latency"] = t.host_irq_latency
    if t.host_port_io is not None:
        cpu["io_ns"] = t.host_port_io
    steps = {k: getattr(t, k) for k in ("power_cycle_interval", "firmware_boot", "os_boot", "soft_shutdown")
             if getattr(t, k) is not None}
    kw: dict = {}
    if cpu:
        kw["cpu_kwargs"] = cpu
    if steps:
        kw["timing"] = dataclasses.replace(HostTiming(), **steps)
    return kw


def apply_config(world, cfg: WorldConfig) -> None:
    """Users, timing, FRU, sensors and SDRs into a freshly built world.

    A persisted store (``state_dir``) is the BMC's flash: a FRU device that
    holds data and a repository that holds records keep them; a blank one
    gets the config's contents.
    """
    from bmc.access import UserTable

    bmc = world.bmc
    if cfg.users is not None:
        table = UserTable(defaults=False)
        for u in cfg.users:
            table.configure(u.id, name=u.name, password=u.password, privilege=u.privilege, enabled=u.enabled)
        bmc.users = table
    apply_lan(bmc, cfg.lan)
    if cfg.timing.ipmb_latency is not None:
        bmc.ipmb_latency = cfg.timing.ipmb_latency
    if cfg.timing.command_cost_scale is not None:
        world.ipmid.cost_scale = cfg.timing.command_cost_scale
    fru = bmc.fru
    if cfg.fru_areas is not None:
        for fru_id, area in enumerate(cfg.fru_areas):
            dev = fru.get(fru_id)
            if dev is None or not any(dev.data):
                fru.define(fru_id, area, replace=True)
    else:
        image = cfg.fru_image if cfg.fru_image is not None else default_config().fru_image
        dev = fru.get(0)
        if dev is None or not any(dev.data):
            fru.define(0, image, replace=True)
    install_sensors(world, cfg)
    if cfg.sdr_records:
        # A persisted repository has them from the last run: add only what it lacks.
        have = {r[2:] for r in bmc.sdr.records()}
        bmc.sensors.add_records([r for r in cfg.sdr_records if r[2:] not in have])


def install_sensors(world, cfg: WorldConfig) -> None:
    """The configured sensors with their SDRs (and the BMC's own locator record); none given: the World
    already installed the default set."""
    if cfg.sensors is None:
        return
    from bmc.sensors import install_from_specs
    from bmc.sensors.defaults import bmc_locator

    world.bmc.sensors.add_records([bmc_locator(world.bmc)])
    install_from_specs(world.bmc, cfg.sensors)
