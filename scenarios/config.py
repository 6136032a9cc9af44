"""World configuration: a TOML file (stdlib ``tomllib``) that describes one server/BMC pair.

``load_config(path_or_dict)`` reads and validates the whole file and returns
a ``WorldConfig``; ``build_world(config)`` builds a ``World`` from it.  The
two steps are separate on purpose: every field is checked before anything
is built, so a bad file changes nothing (no world, no store, no state
directory touched).  Every problem is reported at once, each naming the
field's path (``sensors[2].thresholds.upper_critical``) and the bad value.

Without a file, ``build_world(None)`` is the realistic default server:
QEMU ``ipmi-bmc-sim``'s identity with GUIDs, the default sensor set
(temperatures, fans, rails, PSU, intrusion, watchdog), a FRU with chassis,
board and product areas, and the default users.

Durations are strings with a unit, parsed exactly into integer ns:
``"10ms"``, ``"2.5 s"``, ``"100 us"``, ``"250ns"``, ``"1 min"``.  Numbers
in the IPMI sense (ids, addresses) may be written as TOML hex (``0x20``).
See ``docs`` in ``SCHEMA_HELP`` below and the example in ``example_config()``.
"""

from __future__ import annotations

import importlib
import re
import tomllib
import uuid
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from buses.time import S

from .presets import PRESETS

# -- errors ------------------------------------------------------------------------------------------


class ConfigError(ValueError):
    """A world configuration that cannot be used.  ``problems`` lists (path, value, what is wrong)."""

    def __init__(self, problems: list[tuple[str, object, str]], source: str = "world config"):
        self.problems = problems
        self.source = source
        lines = [f"{path}: {what} (got {value!r})" for path, value, what in problems]
        head = f"{source}: " if len(lines) == 1 else f"{source}: {len(lines)} problems:\n  "
        super().__init__(head + "\n  ".join(lines))


class _Missing:
    def __repr__(self) -> str:
        return "nothing"


MISSING = _Missing()


class Checker:
    """Collects problems while reading a TOML document; every reader returns a usable value or None."""

    def __init__(self):
        self.problems: list[tuple[str, object, str]] = []

    def bad(self, path: str, value, what: str):
        self.problems.append((path, value, what))
        return None

    def table(self, path: str, value, keys: dict[str, bool]) -> dict | None:
        """A TOML table with known keys (``{key: required}``); unknown and missing keys are problems."""
        if not isinstance(value, dict):
            return self.bad(path, value, "must be a table")
        for key in value:
            if key not in keys:
                where = f"{path}.{key}" if path else key
                self.bad(where, value[key], f"unknown key; known keys here: {', '.join(sorted(keys))}")
        for key, required in keys.items():
            if required and key not in value:
                self.bad(f"{path}.{key}" if path else key, MISSING, "required")
        return value

    def integer(self, path: str, value, lo: int, hi: int, hexfmt: bool = False) -> int | None:
        if isinstance(value, bool) or not isinstance(value, int):
            return self.bad(path, value, "must be an integer")
        if not lo <= value <= hi:
            rng = f"0x{lo:X}-0x{hi:X}" if hexfmt else f"{lo}-{hi}"
            return self.bad(path, value, f"out of range {rng}")
        return value

    def number(self, path: str, value, lo: float | None = None, hi: float | None = None) -> float | None:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return self.bad(path, value, "must be a number")
        if value != value or value in (float("inf"), float("-inf")):
            return self.bad(path, value, "must be a finite number")
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            return self.bad(path, value, f"out of range {lo}..{hi}")
        return value

    def boolean(self, path: str, value) -> bool | None:
        if not isinstance(value, bool):
            return self.bad(path, value, "must be true or false")
        return value

    def string(self, path: str, value, max_bytes: int | None = None, ascii_only: bool = False) -> str | None:
        if not isinstance(value, str):
            return self.bad(path, value, "must be a string")
        enc = "ascii" if ascii_only else "latin-1"
        try:
            raw = value.encode(enc)
        except UnicodeEncodeError:
            return self.bad(path, value, f"must be {'ASCII' if ascii_only else 'Latin-1'} text")
        if max_bytes is not None and len(raw) > max_bytes:
            return self.bad(path, value, f"is {len(raw)} bytes; at most {max_bytes}")
        return value

    def choice(self, path: str, value, choices) -> str | None:
        if not isinstance(value, str) or value not in choices:
            return self.bad(path, value, f"choose one of: {', '.join(choices)}")
        return value

    def duration(self, path: str, value, lo: int = 0, hi: int | None = None) -> int | None:
        """A duration string with a unit -> int ns."""
        if isinstance(value, bool) or not isinstance(value, str):
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                return self.bad(path, value, 'a duration needs a unit, e.g. "10ms", "2.5 s" or "100 us"')
            return self.bad(path, value, 'must be a duration string such as "10ms", "2.5 s" or "100 us"')
        try:
            t = parse_duration(value)
        except ValueError as exc:
            return self.bad(path, value, str(exc))
        if t < lo or (hi is not None and t > hi):
            return self.bad(path, value, f"out of range {fmt_ns(lo)}..{fmt_ns(hi) if hi is not None else ''}")
        return t


_UNITS_NS = {"ns": 1, "us": 1_000, "µs": 1_000, "ms": 1_000_000, "s": S, "min": 60 * S, "h": 3600 * S}
_DURATION = re.compile(r"^\s*([+-]?(?:\d+(?:\.\d*)?|\.\d+))\s*([a-zµ]+)\s*$")


def parse_duration(text: str) -> int:
    """``"2.5 s"`` -> 2500000000: a decimal number and a unit (ns, us, ms, s, min, h), exactly, in int ns."""
    m = _DURATION.match(text)
    if not m:
        raise ValueError('not a duration: write a number and a unit, e.g. "10ms", "2.5 s" or "100 us"')
    number, unit = m.groups()
    if unit not in _UNITS_NS:
        raise ValueError(f"unknown unit {unit!r}; use one of: {', '.join(_UNITS_NS)}")
    try:
        value = Decimal(number) * _UNITS_NS[unit]
    except InvalidOperation:
        raise ValueError(f"{number!r} is not a decimal number") from None
    if value != value.to_integral_value():
        raise ValueError("is not a whole number of nanoseconds")
    if value < 0:
        raise ValueError("must not be negative")
    return int(value)


def fmt_ns(t: int) -> str:
    for unit in ("h", "min", "s", "ms", "us"):
        if t and t % _UNITS_NS[unit] == 0:
            return f"{t // _UNITS_NS[unit]} {unit}"
    return f"{t} ns"


# -- the validated configuration ----------------------------------------------------------------------

PRIVILEGES = {"callback": 1, "user": 2, "operator": 3, "administrator": 4, "oem": 5, "no_access": 0x0F}
IPMI_VERSIONS = {"1.0": 0x01, "1.5": 0x51, "2.0": 0x02}
SDR_KINDS = ("full", "compact")
MODEL_KINDS = ("constant", "ramp", "step", "piecewise", "python")
THRESHOLD_KEYS = ("lower_non_recoverable", "lower_critical", "lower_non_critical", "upper_non_critical",
                  "upper_critical", "upper_non_recoverable")
ANALOG_FORMATS = ("unsigned", "ones_complement", "twos_complement")
MAX_USERS = 15


@dataclass
class ModelSpec:
    """How a sensor's value follows the simulated clock (values in the sensor's units)."""

    kind: str
    value: float = 0.0                         # constant
    start: float = 0.0                         # ramp: value at ``at``
    slope: float = 0.0                         # ramp: units per second
    stop: float | None = None                  # ramp: the value it stays at once reached
    before: float = 0.0                        # step
    after: float = 0.0
    at: int = 0                                # ramp start / step instant, int ns
    points: tuple[tuple[int, float], ...] = ()  # piecewise: (t ns, value), sorted
    interpolate: str = "linear"                # piecewise: "linear" or "hold"
    function: object = None                    # python: fn(t_ns) -> value
    function_name: str = ""

    def sample_values(self) -> list[float]:
        """Values the model certainly takes (for range checks)."""
        if self.kind == "constant":
            return [self.value]
        if self.kind == "ramp":
            return [self.start] + ([self.stop] if self.stop is not None else [])
        if self.kind == "step":
            return [self.before, self.after]
        if self.kind == "piecewise":
            return [v for _, v in self.points]
        return []


@dataclass
class Conversion:
    """Full SDR reading factors: value = (m*raw + b*10^b_exp) * 10^r_exp (IPMI 2.0 section 36.3)."""

    m: int = 1
    b: int = 0
    b_exp: int = 0
    r_exp: int = 0
    analog_format: str = "unsigned"

    def raw_range(self) -> tuple[int, int]:
        return (-128, 127) if self.analog_format == "twos_complement" else \
            (-127, 127) if self.analog_format == "ones_complement" else (0, 255)

    def to_raw(self, value: float) -> float:
        return (value / 10.0 ** self.r_exp - self.b * 10.0 ** self.b_exp) / self.m

    def to_value(self, raw: int) -> float:
        return (self.m * raw + self.b * 10.0 ** self.b_exp) * 10.0 ** self.r_exp


@dataclass
class SensorSpec:
    number: int
    name: str
    sensor_type: int
    units: int                                 # unit type code (Table 43-15)
    sdr: str = "full"
    reading_type: int = 0x01                   # 01h threshold; 02h-0Ch generic; 6Fh sensor-specific
    entity_id: int = 0x07
    entity_instance: int = 1
    model: ModelSpec = field(default_factory=lambda: ModelSpec("constant"))
    conversion: Conversion = field(default_factory=Conversion)
    thresholds: dict[str, float] = field(default_factory=dict)
    hysteresis: tuple[float, float] = (0.0, 0.0)   # positive-going, negative-going
    events: bool = True
    path: str = ""

    @property
    def threshold_based(self) -> bool:
        return self.reading_type == 0x01


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
    """A validated world description; ``build_world`` turns it into a ``World``."""

    preset: str = "isa-ipmi-kcs"
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
    source: str = "world config"


# -- names a config may use for codes -------------------------------------------------------------------


def _norm(name: str) -> str:
    return " ".join(re.sub(r"[_\-/]", " ", name.lower()).split())


def _sensor_type_codes() -> dict[str, int]:
    from vserver.userland.names import SENSOR_TYPES

    codes = {_norm(n): c for c, n in SENSOR_TYPES.items()}
    codes.update({"watchdog 2": 0x23, "watchdog 1": 0x11, "chassis intrusion": 0x05, "intrusion": 0x05,
                  "psu": 0x08, "fan": 0x04, "temp": 0x01, "drive slot": 0x0D, "system firmware progress": 0x0F})
    return codes


def _unit_codes() -> dict[str, int]:
    from vserver.userland.names import UNITS

    codes = {_norm(n): c for c, n in enumerate(UNITS) if n != "reserved"}
    codes.update({"c": 1, "celsius": 1, "degrees celsius": 1, "f": 2, "v": 4, "volt": 4, "a": 5, "amp": 5,
                  "w": 6, "watt": 6, "": 0, "none": 0})
    return codes


ENTITIES = {"unspecified": 0x00, "processor": 0x03, "system board": 0x07, "power supply": 0x0A,
            "power unit": 0x13, "system chassis": 0x17, "fan": 0x1D, "cooling unit": 0x1E, "memory device": 0x20,
            "system management software": 0x23, "air inlet": 0x37}


def _code(ck: Checker, path: str, value, names: dict[str, int], hi: int = 0xFF) -> int | None:
    """A code given as a number or as one of ``names``."""
    if isinstance(value, int) and not isinstance(value, bool):
        return ck.integer(path, value, 0, hi, hexfmt=True)
    if isinstance(value, str) and _norm(value) in names:
        return names[_norm(value)]
    shown = ", ".join(sorted(k for k in names if k)[:40])
    return ck.bad(path, value, f"unknown name; write a number or one of: {shown}")


# -- readers, one per section ---------------------------------------------------------------------------


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


def _read_duration_or_value(ck: Checker, path: str, value) -> int | None:
    return ck.duration(path, value)


def _read_model(ck: Checker, path: str, raw, base: Path | None) -> ModelSpec | None:
    if not isinstance(raw, dict):
        return ck.bad(path, raw, "must be a table with a kind (" + ", ".join(MODEL_KINDS) + ")")
    kind = ck.choice(f"{path}.kind", raw.get("kind", MISSING), MODEL_KINDS)
    if kind is None:
        return None
    keys = {"kind": True, **{
        "constant": {"value": True},
        "ramp": {"start": True, "slope": True, "stop": False, "at": False},
        "step": {"before": True, "after": True, "at": True},
        "piecewise": {"points": False, "file": False, "interpolate": False},
        "python": {"function": True},
    }[kind]}
    if ck.table(path, raw, keys) is None:
        return None
    m = ModelSpec(kind)
    n0 = len(ck.problems)
    if kind == "constant":
        m.value = ck.number(f"{path}.value", raw["value"]) if "value" in raw else 0.0
    elif kind == "ramp":
        m.start = ck.number(f"{path}.start", raw.get("start", 0))
        m.slope = ck.number(f"{path}.slope", raw.get("slope", 0))
        if "stop" in raw:
            m.stop = ck.number(f"{path}.stop", raw["stop"])
        if "at" in raw:
            m.at = ck.duration(f"{path}.at", raw["at"])
    elif kind == "step":
        m.before = ck.number(f"{path}.before", raw.get("before", 0))
        m.after = ck.number(f"{path}.after", raw.get("after", 0))
        if "at" in raw:
            m.at = ck.duration(f"{path}.at", raw["at"])
    elif kind == "piecewise":
        m.points = _read_points(ck, path, raw, base) or ()
        if "interpolate" in raw:
            m.interpolate = ck.choice(f"{path}.interpolate", raw["interpolate"], ("linear", "hold")) or "linear"
    else:
        m.function_name = raw.get("function", "")
        m.function = _resolve_function(ck, f"{path}.function", m.function_name)
    return m if len(ck.problems) == n0 else None


def _read_points(ck: Checker, path: str, raw, base: Path | None):
    if ("points" in raw) == ("file" in raw):
        return ck.bad(path, {k: raw[k] for k in raw if k in ("points", "file")} or MISSING,
                      "a piecewise model needs exactly one of points or file")
    if "points" in raw:
        where, rows = f"{path}.points", raw["points"]
        if not isinstance(rows, list):
            return ck.bad(where, rows, 'must be a list of ["time", value] pairs')
        items = [(f"{where}[{i}]", r) for i, r in enumerate(rows)]
    else:
        where = f"{path}.file"
        name = ck.string(where, raw["file"])
        if name is None:
            return None
        p = Path(name) if base is None or Path(name).is_absolute() else base / name
        try:
            text = p.read_text()
        except OSError as exc:
            return ck.bad(where, name, f"cannot read it ({exc.strerror or exc})")
        items = []
        for lineno, line in enumerate(text.splitlines(), 1):
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            cells = [c.strip() for c in line.split(",")]
            value: object = cells[1] if len(cells) > 1 else None
            try:
                value = float(cells[1]) if len(cells) == 2 else value
            except ValueError:
                pass
            items.append((f"{where} line {lineno}", [cells[0], value] if len(cells) == 2 else cells))
    points = []
    for where, item in items:
        if not isinstance(item, list) or len(item) != 2:
            ck.bad(where, item, 'must be a pair: "time with unit", value')
            continue
        t = ck.duration(f"{where}.time", item[0])
        v = ck.number(f"{where}.value", item[1])
        if t is not None and v is not None:
            if points and t <= points[-1][0]:
                ck.bad(f"{where}.time", item[0], "times must increase")
                continue
            points.append((t, v))
    if not points:
        return ck.bad(where if items else path, MISSING, "a piecewise model needs at least one point")
    return tuple(points)


def _resolve_function(ck: Checker, path: str, ref):
    if not isinstance(ref, str) or ref.count(":") != 1 or not all(ref.split(":")):
        return ck.bad(path, ref, 'must be "module:function"')
    module, name = ref.split(":")
    try:
        fn = getattr(importlib.import_module(module), name)
    except ImportError as exc:
        return ck.bad(path, ref, f"cannot import module {module!r} ({exc})")
    except AttributeError:
        return ck.bad(path, ref, f"module {module!r} has no {name!r}")
    if not callable(fn):
        return ck.bad(path, ref, "is not callable")
    return fn


def _read_conversion(ck: Checker, path: str, raw) -> Conversion | None:
    if ck.table(path, raw, {"m": False, "b": False, "b_exp": False, "r_exp": False, "format": False}) is None:
        return None
    c = Conversion()
    n0 = len(ck.problems)
    if "m" in raw:
        c.m = ck.integer(f"{path}.m", raw["m"], -512, 511)
        if c.m == 0:
            ck.bad(f"{path}.m", 0, "M must not be 0 (every raw value would read the same)")
    if "b" in raw:
        c.b = ck.integer(f"{path}.b", raw["b"], -512, 511)
    for key in ("b_exp", "r_exp"):
        if key in raw:
            setattr(c, key, ck.integer(f"{path}.{key}", raw[key], -8, 7))
    if "format" in raw:
        c.analog_format = ck.choice(f"{path}.format", raw["format"], ANALOG_FORMATS)
    return c if len(ck.problems) == n0 else None


def _read_sensor(ck: Checker, i: int, raw, base: Path | None, types, units) -> SensorSpec | None:
    path = f"sensors[{i}]"
    keys = {"number": True, "name": True, "type": True, "units": False, "sdr": False, "reading_type": False,
            "entity": False, "entity_instance": False, "model": False, "conversion": False, "thresholds": False,
            "hysteresis": False, "events": False}
    if ck.table(path, raw, keys) is None:
        return None
    n0 = len(ck.problems)
    number = ck.integer(f"{path}.number", raw.get("number"), 0, 0xFE, hexfmt=True) if "number" in raw else None
    name = ck.string(f"{path}.name", raw.get("name"), max_bytes=16, ascii_only=True) if "name" in raw else None
    stype = _code(ck, f"{path}.type", raw["type"], types) if "type" in raw else None
    unit = _code(ck, f"{path}.units", raw.get("units", ""), units)
    sdr = ck.choice(f"{path}.sdr", raw.get("sdr", "full"), SDR_KINDS)
    rt = raw.get("reading_type", "threshold")
    if rt == "threshold":
        reading_type = 0x01
    elif rt == "sensor_specific":
        reading_type = 0x6F
    elif isinstance(rt, int) and not isinstance(rt, bool) and (0x01 <= rt <= 0x0C or 0x6F <= rt <= 0x7F):
        reading_type = rt
    else:
        reading_type = ck.bad(f"{path}.reading_type", rt, 'write "threshold", "sensor_specific" or an '
                              "event/reading type code 0x01-0x0C, 0x6F-0x7F")
    entity = _code(ck, f"{path}.entity", raw.get("entity", "system board"), ENTITIES)
    instance = ck.integer(f"{path}.entity_instance", raw.get("entity_instance", 1), 0, 0x7F)
    model = _read_model(ck, f"{path}.model", raw["model"], base) if "model" in raw else ModelSpec("constant")
    conv = _read_conversion(ck, f"{path}.conversion", raw["conversion"]) if "conversion" in raw else Conversion()
    events = ck.boolean(f"{path}.events", raw.get("events", True))
    thresholds: dict[str, float] = {}
    if "thresholds" in raw:
        th = raw["thresholds"]
        if ck.table(f"{path}.thresholds", th, dict.fromkeys(THRESHOLD_KEYS, False)) is not None:
            for key in THRESHOLD_KEYS:
                if key in th:
                    v = ck.number(f"{path}.thresholds.{key}", th[key])
                    if v is not None:
                        thresholds[key] = v
    hysteresis = (0.0, 0.0)
    if "hysteresis" in raw:
        h = raw["hysteresis"]
        if ck.table(f"{path}.hysteresis", h, {"positive": False, "negative": False}) is not None:
            pos = ck.number(f"{path}.hysteresis.positive", h.get("positive", 0), 0)
            neg = ck.number(f"{path}.hysteresis.negative", h.get("negative", 0), 0)
            hysteresis = (pos or 0.0, neg or 0.0)
    if len(ck.problems) != n0:
        return None
    spec = SensorSpec(number, name, stype, unit, sdr, reading_type, entity, instance, model, conv, thresholds,
                      hysteresis, events, path)
    _check_sensor(ck, spec, raw)
    return spec if len(ck.problems) == n0 else None


def _check_sensor(ck: Checker, s: SensorSpec, raw) -> None:
    """Cross-field checks: what the SDR kind can carry, threshold order, values the factors can represent."""
    path = s.path
    if s.sdr == "compact" and ("conversion" in raw or s.thresholds or "hysteresis" in raw):
        which = next(k for k in ("conversion", "thresholds", "hysteresis") if k in raw)
        ck.bad(f"{path}.{which}", raw[which], 'a compact SDR carries no conversion factors or thresholds; '
               'use sdr = "full"')
        return
    if not s.threshold_based and s.thresholds:
        ck.bad(f"{path}.thresholds", raw["thresholds"], "only threshold sensors (reading_type = \"threshold\") "
               "have thresholds")
        return
    order = [(k, s.thresholds[k]) for k in THRESHOLD_KEYS if k in s.thresholds]
    for (k1, v1), (k2, v2) in zip(order, order[1:], strict=False):
        if v1 > v2:
            ck.bad(f"{path}.thresholds.{k2}", v2, f"must not be below {k1} ({v1}): thresholds go "
                   "lower_non_recoverable <= lower_critical <= ... <= upper_non_recoverable")
    if s.sdr != "full" or not s.threshold_based:
        if not s.threshold_based:
            for where, v in [(f"{path}.model", v) for v in s.model.sample_values()]:
                if v != int(v) or not 0 <= v <= 0x7FFF:
                    ck.bad(where, v, "a discrete sensor's value is its state bits: an integer 0-0x7FFF")
                    break
        return
    lo, hi = s.conversion.raw_range()
    checks = [(f"{path}.thresholds.{k}", v) for k, v in order]
    checks += [(f"{path}.model", v) for v in s.model.sample_values()]
    for where, v in checks:
        x = s.conversion.to_raw(v)
        if not lo - 0.5 <= x <= hi + 0.5:
            c = s.conversion
            ck.bad(where, v, f"not representable: raw {x:.1f} is outside {lo}..{hi} with M={c.m} B={c.b} "
                   f"Bexp={c.b_exp} Rexp={c.r_exp}; change sensors[].conversion")
    for which, v in zip(("positive", "negative"), s.hysteresis, strict=True):
        if v and not 0 <= v / (abs(s.conversion.m) * 10.0 ** s.conversion.r_exp) <= 255.5:
            ck.bad(f"{path}.hysteresis.{which}", v, "not representable in one raw byte with these factors")


def _read_sensors(ck: Checker, raw, base: Path | None) -> list[SensorSpec] | None:
    if not isinstance(raw, list):
        return ck.bad("sensors", raw, "must be an array of tables ([[sensors]])")
    types, units = _sensor_type_codes(), _unit_codes()
    out = []
    numbers: dict[int, int] = {}
    names: dict[str, int] = {}
    for i, item in enumerate(raw):
        spec = _read_sensor(ck, i, item, base, types, units)
        if spec is None:
            continue
        if spec.number in numbers:
            ck.bad(f"sensors[{i}].number", spec.number, f"duplicate sensor number: sensors[{numbers[spec.number]}] "
                   "has it too")
            continue
        if spec.name in names:
            ck.bad(f"sensors[{i}].name", spec.name, f"duplicate sensor name: sensors[{names[spec.name]}] has it too")
            continue
        numbers[spec.number] = i
        names[spec.name] = i
        out.append(spec)
    return out


def _read_sdr(ck: Checker, raw, base: Path | None) -> list[bytes]:
    from bmc.sdr import parse_sdrfile

    if ck.table("sdr", raw, {"file": False, "records": False}) is None:
        return []
    out: list[bytes] = []
    if "file" in raw:
        name = ck.string("sdr.file", raw["file"])
        if name is not None:
            p = Path(name) if base is None or Path(name).is_absolute() else base / name
            try:
                out += parse_sdrfile(p.read_bytes(), name)
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
                    out += parse_sdrfile(data, f"sdr.records[{i}]")
                except ValueError as exc:
                    ck.bad(f"sdr.records[{i}]", r, str(exc))
    return out


FRU_TEXT_KEYS = {
    "chassis": ("part_number", "serial_number"),
    "board": ("manufacturer", "product_name", "serial_number", "part_number", "fru_file_id"),
    "product": ("manufacturer", "product_name", "part_number", "version", "serial_number", "asset_tag",
                "fru_file_id"),
}


def _chassis_types() -> dict[str, int]:
    from vserver.userland.names import CHASSIS_TYPES

    return {_norm(n): c for c, n in enumerate(CHASSIS_TYPES)} | {"rack mount": 0x17}


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
        p = Path(name) if base is None or Path(name).is_absolute() else base / name
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
            values["type"] = _code(ck, "fru.chassis.type", sub["type"], _chassis_types())
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
    keys = dict.fromkeys((*durations, "host_hz", "kipmid", "command_cost_scale"), False)
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


TOP_KEYS = {"preset": False, "seed": False, "use_irq": False, "state_dir": False, "bmc": False, "sensors": False,
            "sdr": False, "fru": False, "users": False, "timing": False}


def validate(doc: dict, base: Path | None = None, source: str = "world config") -> WorldConfig:
    """Check a whole parsed document; a ``WorldConfig``, or ``ConfigError`` listing every problem."""
    ck = Checker()
    cfg = WorldConfig(source=source)
    if ck.table("", doc, TOP_KEYS) is None:
        raise ConfigError(ck.problems, source)
    if "preset" in doc:
        cfg.preset = ck.choice("preset", doc["preset"], PRESETS) or cfg.preset
    if "seed" in doc:
        cfg.seed = ck.integer("seed", doc["seed"], 0, 2 ** 63 - 1) or 0
    if "use_irq" in doc:
        cfg.use_irq = bool(ck.boolean("use_irq", doc["use_irq"]))
    if "state_dir" in doc:
        name = ck.string("state_dir", doc["state_dir"])
        if name is not None:
            p = Path(name) if base is None or Path(name).is_absolute() else base / name
            if p.exists() and not p.is_dir():
                ck.bad("state_dir", name, "exists and is not a directory")
            cfg.state_dir = p
    if "bmc" in doc:
        cfg.identity, cfg.slave_address = _read_identity(ck, doc["bmc"])
    if "sensors" in doc:
        cfg.sensors = _read_sensors(ck, doc["sensors"], base)
    if "sdr" in doc:
        cfg.sdr_records = _read_sdr(ck, doc["sdr"], base)
    if "fru" in doc:
        cfg.fru_image, cfg.fru_areas = _read_fru(ck, doc["fru"], base)
    if "users" in doc:
        cfg.users = _read_users(ck, doc["users"])
    if "timing" in doc:
        cfg.timing = _read_timing(ck, doc["timing"], doc.get("preset", cfg.preset))
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


def _si_config(cfg: WorldConfig, use_irq: bool):
    from vserver.si import SiConfig

    t = cfg.timing
    kw: dict = {"use_irq": use_irq}
    if t.host_hz is not None:
        kw["hz"] = t.host_hz
    if t.kipmid is not None:
        kw["kipmid"] = t.kipmid
    if t.kipmid_max_busy is not None:
        kw["kipmid_max_busy_us"] = t.kipmid_max_busy // 1000
    return SiConfig(**kw)


def _host_kwargs(cfg: WorldConfig) -> dict:
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


def build_world(config=None, *, preset: str | None = None, seed: int | None = None, trace: bool = False,
                layers: tuple[str, ...] | None = None, use_irq: bool | None = None, state_dir=None):
    """A ``World`` from a config (path, TOML text, dict, ``WorldConfig``) or, with None, the default server.

    Keyword overrides win over the file (the command line's ``--preset``,
    ``--seed``, ``--irq``).  The whole config is validated before anything
    is built.
    """
    import dataclasses

    from bmc.bmc import Identity

    from .presets import get_preset
    from .world import World

    cfg = default_config() if config is None else load_config(config)
    preset_name = preset or cfg.preset
    p = get_preset(preset_name)
    irq = cfg.use_irq if use_irq is None else use_irq
    firmware = None
    if cfg.timing.firmware_daemon_latency is not None:
        if p.fidelity == "ideal":
            raise ConfigError([("timing.firmware_daemon_latency", cfg.timing.firmware_daemon_latency,
                                f"preset {preset_name!r} has no BMC firmware (ideal)")], cfg.source)
        firmware = dataclasses.replace(p.firmware, daemon_latency=cfg.timing.firmware_daemon_latency)
    bmc_kwargs: dict = {"identity": Identity(**cfg.identity), "slave_address": cfg.slave_address}
    where = state_dir if state_dir is not None else cfg.state_dir
    if where is not None:
        Path(where).mkdir(parents=True, exist_ok=True)
        bmc_kwargs["state_dir"] = where
    world = World(p, seed=cfg.seed if seed is None else seed, trace=trace, layers=layers, use_irq=irq,
                  si=_si_config(cfg, irq), firmware=firmware, host_kwargs=_host_kwargs(cfg), bmc_kwargs=bmc_kwargs)
    try:
        _fill(world, cfg)
    except BaseException:
        world.bmc.store.close()
        raise
    world.config = cfg
    return world


def _fill(world, cfg: WorldConfig) -> None:
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
    if cfg.sdr_records and not _sdr_was_stored(world):
        bmc.sdr.import_sdrfile(b"".join(cfg.sdr_records), name="sdr")


def _sdr_was_stored(world) -> bool:
    return getattr(world, "_sdr_from_store", False)


def install_sensors(world, cfg: WorldConfig) -> None:
    """The sensors (their SDRs and models) the config describes, or the default set."""
    return  # TODO: waiting for bmc.sensors
