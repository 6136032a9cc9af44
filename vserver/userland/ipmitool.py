"""An ``ipmitool``-like program on the simulated host: in-band commands through ``/dev/ipmi0``.

Every command is a generator to run as a SimPy process (``yield from
tool.run(words)``).  It sends the same requests, in the same order, as
ipmitool 1.8 does for that command, through the host's message handler, and
decodes the answers as ipmitool does: the SDR repository is walked with
Reserve SDR Repository and Get SDR in chunks, readings are converted with
each SDR's M/B/R factors, SEL records are named by sensor type and event
offset, the FRU is read in chunks and parsed.  The result is an ``Output``:
what to print (fields, a table or lines), a JSON-able ``data`` object, and
the exchanges with their simulated times.

``parse_command(words)`` checks a command line before anything runs, so a
typo never boots a world.  (Over 600 lines on purpose: one method per
ipmitool subcommand, side by side, as ipmitool's own command table reads.)
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from bmc.ipmi.cc import CompletionCode, cc_name
from bmc.ipmi.cmd import App, Chassis, SensorEvent, Storage
from bmc.ipmi.device_id import DeviceId
from bmc.ipmi.netfn import NetFn
from vserver.msghandler import IpmiSendError

from .fru import FruFormatError, decode_fru
from .sdr import FullSensor, SensorRecord, decode_sdr, format_value
from .sel import SelInfo, decode_sel_entry

# ipmitool's "open" interface (/dev/ipmi0) assumes 35-byte responses: Get SDR reads 35 - 2 bytes per
# request after the 5-byte header, Read FRU Data 35 - 2 (src/plugins/open/open.c, lib/ipmi_sdr.c, lib/ipmi_fru.c).
SDR_CHUNK = 33
FRU_CHUNK = 33
MAX_RETRIES = 5           # re-reservations after a cancelled reservation before giving up
LAST_RECORD = 0xFFFF

BOOT_DEVICES = {"none": 0x00, "pxe": 0x04, "disk": 0x08, "safe": 0x0C, "diag": 0x10, "cdrom": 0x14,
                "bios": 0x18, "floppy": 0x3C}
POWER_CONTROLS = {"off": (0, "Down/Off"), "on": (1, "Up/On"), "cycle": (2, "Cycle"), "reset": (3, "Reset"),
                  "diag": (4, "Diag"), "soft": (5, "Soft")}

WDT_USES = ("Reserved", "BIOS FRB2", "BIOS/POST", "OS Load", "SMS/OS", "OEM", "Reserved", "Reserved")
WDT_ACTIONS = ("No action", "Hard Reset", "Power Down", "Power Cycle", "Reserved", "Reserved", "Reserved",
               "Reserved")
WDT_PRE_INTERRUPTS = ("None", "SMI", "NMI / Diagnostic Interrupt", "Messaging Interrupt", "Reserved", "Reserved",
                      "Reserved", "Reserved")
RESTORE_POLICIES = ("always-off", "previous", "always-on", "unknown")
SELF_TEST_DETAIL = ("controller operational firmware corrupted", "controller update 'boot block' firmware "
                    "corrupted", "internal use area of BMC FRU corrupted", "SDR repository empty",
                    "IPMB signal lines do not respond", "cannot access BMC FRU device",
                    "cannot access SDR repository", "cannot access SEL device")
# The command lines ``run`` accepts: words -> usage text (for errors and --help).
USAGE = (
    "mc info", "mc guid", "mc selftest", "mc watchdog get", "chassis status",
    "chassis power on|off|cycle|reset|soft|status", "chassis bootdev " + "|".join(BOOT_DEVICES),
    "sdr list", "sensor list", "sel list", "sel info", "fru print", "raw NETFN CMD [DATA...]",
)


ERRNO_TEXT = {"EINVAL": "Invalid argument", "EMSGSIZE": "Message too long"}   # strerror


class ToolError(ValueError):
    """A command line the tool does not accept; the message names the bad word."""


class CommandFailed(RuntimeError):
    """A request the command needs was answered with an error completion code (ipmitool exits 1)."""

    def __init__(self, what: str, result):
        self.result = result
        super().__init__(f"{what} command failed: {cc_name(result.cc)} (0x{result.cc:02X})")


@dataclass
class Output:
    """What one command printed, and what it cost on the simulated clock."""

    command: str
    kind: str = "fields"                 # "fields", "table" or "lines"
    fields: list[tuple[str, str]] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    data: dict = field(default_factory=dict)
    exchanges: list = field(default_factory=list)   # IpmiResult of every request, in order
    t_start: int = 0
    t_end: int = 0
    exit_code: int = 0

    @property
    def elapsed(self) -> int:
        return self.t_end - self.t_start

    def text(self) -> str:
        """Plain text, as ipmitool would print it (tables with ``|`` separators)."""
        if self.kind == "fields":
            width = max((len(k) for k, _ in self.fields), default=0)
            return "\n".join(f"{k:<{width}} : {v}" for k, v in self.fields)
        if self.kind == "table":
            widths = [max([len(c)] + [len(r[i]) for r in self.rows if i < len(r)]) for i, c in
                      enumerate(self.columns)]
            return "\n".join(" | ".join(f"{cell:<{widths[i]}}" for i, cell in enumerate(r)) for r in self.rows)
        return "\n".join(self.lines)


def _int_word(word: str, what: str, hi: int) -> int:
    """A number as ipmitool's ``raw`` reads it (C ``strtoul`` base 0): 0x1F hex, 017 octal, 31 decimal."""
    w = word.lower()
    try:
        if w.startswith("0x"):
            n = int(w[2:], 16)
        elif len(w) > 1 and w.startswith("0"):
            n = int(w[1:], 8)
        else:
            n = int(w, 10)
    except ValueError:
        raise ToolError(f"{what} {word!r} is not a number (write 0x1f, 017 or 31, as ipmitool reads them)") \
            from None
    if not 0 <= n <= hi:
        raise ToolError(f"{what} {word!r} out of range 0x00-0x{hi:02X}")
    return n


def parse_command(words: list[str] | tuple[str, ...]) -> tuple[str, tuple]:
    """Check a command line; return (handler name, arguments).  Raises ``ToolError`` naming the bad word."""
    w = [x.strip() for x in words if x.strip()]
    if not w:
        raise ToolError("no command given; one of: " + ", ".join(USAGE))
    simple = {("mc", "info"): "mc_info", ("mc", "guid"): "mc_guid", ("mc", "selftest"): "mc_selftest",
              ("mc", "watchdog", "get"): "mc_watchdog_get", ("chassis", "status"): "chassis_status",
              ("chassis", "power", "status"): "chassis_power_status", ("sdr", "list"): "sdr_list",
              ("sensor", "list"): "sensor_list", ("sel", "list"): "sel_list", ("sel", "info"): "sel_info",
              ("fru", "print"): "fru_print"}
    key = tuple(x.lower() for x in w)
    if key in simple:
        return simple[key], ()
    if key[:2] == ("chassis", "power") and len(key) == 3:
        if key[2] not in POWER_CONTROLS:
            raise ToolError(f"chassis power: unknown action {w[2]!r}; choose one of: "
                            f"{', '.join([*POWER_CONTROLS, 'status'])}")
        return "chassis_power", (key[2],)
    if key[:2] == ("chassis", "bootdev") and len(key) == 3:
        if key[2] not in BOOT_DEVICES:
            raise ToolError(f"chassis bootdev: unknown device {w[2]!r}; choose one of: {', '.join(BOOT_DEVICES)}")
        return "chassis_bootdev", (key[2],)
    if key[0] == "raw":
        if len(w) < 3:
            raise ToolError("raw: needs NETFN and CMD (e.g. raw 0x06 0x01)")
        netfn = _int_word(w[1], "raw: NETFN", 0x3F)
        if netfn & 1:
            raise ToolError(f"raw: NETFN {w[1]!r} is a response NetFn; a request NetFn is even")
        cmd = _int_word(w[2], "raw: CMD", 0xFF)
        data = bytes(_int_word(x, f"raw: DATA[{i}]", 0xFF) for i, x in enumerate(w[3:]))
        return "raw", (netfn, cmd, data)
    raise ToolError(f"unknown command {' '.join(w)!r}; one of: " + ", ".join(USAGE))


class IpmiTool:
    """ipmitool's in-band commands, run by the simulated host over its message handler."""

    def __init__(self, ipmi, sdr_chunk: int = SDR_CHUNK, fru_chunk: int = FRU_CHUNK):
        self.ipmi = ipmi
        self.sim = ipmi.sim
        self.sdr_chunk = sdr_chunk
        self.fru_chunk = fru_chunk
        self._out: Output | None = None
        self.last_output: Output | None = None   # kept when a command fails part way

    # -- running --------------------------------------------------------------------------

    def run(self, words):
        """Generator: parse and run one command line; returns its ``Output``."""
        name, args = parse_command(words)
        out = self._out = self.last_output = Output(" ".join(words), t_start=self.sim.now)
        try:
            yield from getattr(self, name)(*args)
        finally:
            out.t_end = self.sim.now
            self._out = None
        return out

    def _request(self, netfn: int, cmd: int, data: bytes = b""):
        r = yield from self.ipmi.request(netfn, cmd, bytes(data))
        if self._out is not None:
            self._out.exchanges.append(r)
        return r

    def _ok(self, netfn: int, cmd: int, data: bytes = b"", what: str = ""):
        r = yield from self._request(netfn, cmd, data)
        if r.cc != CompletionCode.SUCCESS:
            raise CommandFailed(what or f"NetFn 0x{netfn:02X} Cmd 0x{cmd:02X}", r)
        return r.data

    # -- mc ---------------------------------------------------------------------------------

    def mc_info(self):
        d = DeviceId.decode((yield from self._ok(NetFn.APP, App.GET_DEVICE_ID, what="Get Device ID")))
        out = self._out
        out.fields = [
            ("Device ID", str(d.device_id)), ("Device Revision", str(d.device_revision)),
            ("Firmware Revision", d.firmware_revision),
            ("IPMI Version", d.ipmi_version_text), ("Manufacturer ID", str(d.manufacturer_id)),
            ("Product ID", f"{d.product_id} (0x{d.product_id:04x})"),
            ("Device Available", "no" if d.update_in_progress else "yes"),
            ("Provides Device SDRs", "yes" if d.provides_device_sdrs else "no"),
            ("Additional Device Support", ", ".join(d.support_names)),
        ]
        aux = d.aux_firmware_revision
        if aux is not None:
            out.fields.append(("Aux Firmware Rev Info", " ".join(f"0x{b:02x}" for b in aux)))
        out.data = {"device_id": d.device_id, "device_revision": d.device_revision,
                    "firmware_major": d.firmware_major, "firmware_minor": d.firmware_minor,
                    "ipmi_version": f"{d.ipmi_version & 0x0F}.{d.ipmi_version >> 4}",
                    "manufacturer_id": d.manufacturer_id, "product_id": d.product_id,
                    "device_available": not d.update_in_progress, "provides_device_sdrs": d.provides_device_sdrs,
                    "additional_device_support": d.support_names,
                    "aux_firmware_revision": aux.hex() if aux is not None else None}

    def mc_guid(self):
        # ipmitool's "mc guid" asks for the system GUID; the BMC sends it least significant byte first.
        d = yield from self._ok(NetFn.APP, App.GET_SYSTEM_GUID, what="Get System GUID")
        if len(d) != 16:
            raise ValueError(f"Get System GUID data length {len(d)}: a GUID is 16 bytes")
        guid = uuid.UUID(bytes=bytes(d[::-1]))
        self._out.fields = [("System GUID", str(guid))]
        self._out.data = {"system_guid": str(guid), "raw": d.hex()}

    def mc_selftest(self):
        d = yield from self._ok(NetFn.APP, App.GET_SELF_TEST_RESULTS, what="Get Self Test Results")
        code, detail = d[0], d[1] if len(d) > 1 else 0
        text = {0x55: "passed", 0x56: "not implemented", 0x57: "device error",
                0x58: "fatal hardware error"}.get(code, "device-specific failure")
        out = self._out
        out.fields = [("Selftest", text)]
        problems = [SELF_TEST_DETAIL[bit] for bit in range(8) if code == 0x57 and detail >> bit & 1]
        out.fields += [(" ->", p) for p in problems]
        out.data = {"result": text, "code": code, "detail": detail, "problems": problems}

    def mc_watchdog_get(self):
        d = yield from self._ok(NetFn.APP, App.GET_WATCHDOG_TIMER, what="Get Watchdog Timer")
        if len(d) < 8:
            raise ValueError(f"Get Watchdog Timer data length {len(d)} too short: need 8 bytes")
        use, actions, pre, flags = d[0], d[1], d[2], d[3]
        initial, present = d[4] | d[5] << 8, d[6] | d[7] << 8
        expired = [WDT_USES[u] for u in range(1, 6) if flags >> u & 1]
        out = self._out
        out.fields = [
            ("Watchdog Timer Use", f"{WDT_USES[use & 0x07]} (0x{use:02x})"),
            ("Watchdog Timer Is", "Started/Running" if use & 0x40 else "Stopped"),
            ("Watchdog Timer Logging", "Off" if use & 0x80 else "On"),
            ("Watchdog Timer Action", f"{WDT_ACTIONS[actions & 0x07]} (0x{actions & 0x07:02x})"),
            ("Pre-timeout interrupt", WDT_PRE_INTERRUPTS[actions >> 4 & 0x07]),
            ("Pre-timeout interval", f"{pre} seconds"),
            ("Timer Expiration Flags", f"{', '.join(expired) or 'None'} (0x{flags:02x})"),
            ("Initial Countdown", f"{initial // 10}.{initial % 10} sec"),
            ("Present Countdown", f"{present // 10}.{present % 10} sec"),
        ]
        out.data = {"timer_use": WDT_USES[use & 0x07], "running": bool(use & 0x40), "logging": not use & 0x80,
                    "action": WDT_ACTIONS[actions & 0x07], "pre_timeout_interrupt": WDT_PRE_INTERRUPTS[actions >> 4
                                                                                                     & 0x07],
                    "pre_timeout_interval_s": pre, "expiration_flags": flags, "expired": expired,
                    "initial_countdown_ds": initial, "present_countdown_ds": present}

    # -- chassis -------------------------------------------------------------------------------

    def _chassis_status(self):
        d = yield from self._ok(NetFn.CHASSIS, Chassis.GET_CHASSIS_STATUS, what="Get Chassis Status")
        if len(d) < 3:
            raise ValueError(f"Get Chassis Status data length {len(d)} too short: need 3 bytes")
        return d

    def chassis_status(self):
        d = yield from self._chassis_status()
        cur, last, misc = d[0], d[1], d[2]
        events = [name for bit, name in enumerate(("ac-failed", "overload", "interlock", "fault", "command"))
                  if last >> bit & 1]

        def tf(x):
            return "true" if x else "false"

        def active(x):
            return "active" if x else "inactive"

        out = self._out
        out.fields = [
            ("System Power", "on" if cur & 1 else "off"), ("Power Overload", tf(cur & 2)),
            ("Power Interlock", active(cur & 4)), ("Main Power Fault", tf(cur & 8)),
            ("Power Control Fault", tf(cur & 0x10)), ("Power Restore Policy", RESTORE_POLICIES[cur >> 5 & 3]),
            ("Last Power Event", ", ".join(events)), ("Chassis Intrusion", active(misc & 1)),
            ("Front-Panel Lockout", active(misc & 2)), ("Drive Fault", tf(misc & 4)),
            ("Cooling/Fan Fault", tf(misc & 8)),
        ]
        if len(d) > 3:
            fp = d[3]
            for bit, name in ((7, "Sleep"), (6, "Diag"), (5, "Reset"), (4, "Power")):
                out.fields.append((f"{name} Button Disable", "allowed" if fp >> bit & 1 else "not allowed"))
            for bit, name in ((3, "Sleep"), (2, "Diag"), (1, "Reset"), (0, "Power")):
                out.fields.append((f"{name} Button Disabled", tf(fp >> bit & 1)))
        out.data = {"power_on": bool(cur & 1), "power_overload": bool(cur & 2), "power_interlock": bool(cur & 4),
                    "main_power_fault": bool(cur & 8), "power_control_fault": bool(cur & 0x10),
                    "power_restore_policy": RESTORE_POLICIES[cur >> 5 & 3], "last_power_event": events,
                    "chassis_intrusion": bool(misc & 1), "front_panel_lockout": bool(misc & 2),
                    "drive_fault": bool(misc & 4), "cooling_fault": bool(misc & 8)}

    def chassis_power_status(self):
        d = yield from self._chassis_status()
        on = bool(d[0] & 1)
        self._out.kind = "lines"
        self._out.lines = [f"Chassis Power is {'on' if on else 'off'}"]
        self._out.data = {"power_on": on}

    def chassis_power(self, action: str):
        code, text = POWER_CONTROLS[action]
        yield from self._ok(NetFn.CHASSIS, Chassis.CHASSIS_CONTROL, bytes((code,)), what="Chassis Control")
        self._out.kind = "lines"
        self._out.lines = [f"Chassis Power Control: {text}"]
        self._out.data = {"control": action, "code": code}

    def _boot_param(self, param: int, data: bytes):
        r = yield from self._request(NetFn.CHASSIS, Chassis.SET_SYSTEM_BOOT_OPTIONS, bytes((param,)) + data)
        return r

    def chassis_bootdev(self, device: str):
        # ipmitool's sequence: set-in-progress, boot info acknowledge, boot flags, commit, set-complete.
        r = yield from self._boot_param(0, b"\x01")
        use_progress = r.cc == CompletionCode.SUCCESS
        r = yield from self._boot_param(4, b"\x01\x01")
        if r.cc != CompletionCode.SUCCESS:
            if use_progress:
                yield from self._boot_param(0, b"\x00")
            raise CommandFailed("Set System Boot Options (boot info acknowledge)", r)
        flags = bytes((0x80, BOOT_DEVICES[device], 0, 0, 0))   # valid, one-time (bit 6 clear), device
        r = yield from self._boot_param(5, flags)
        if r.cc == CompletionCode.SUCCESS and use_progress:
            yield from self._boot_param(0, b"\x02")            # commit write
        if use_progress:
            yield from self._boot_param(0, b"\x00")            # set complete
        if r.cc != CompletionCode.SUCCESS:
            raise CommandFailed("Set System Boot Options (boot flags)", r)
        self._out.kind = "lines"
        self._out.lines = [f"Set Boot Device to {device}"]
        self._out.data = {"boot_device": device, "flags": flags.hex()}

    # -- SDR repository -------------------------------------------------------------------------

    def _reserve_sdr(self):
        d = yield from self._ok(NetFn.STORAGE, Storage.RESERVE_SDR_REPOSITORY, what="Reserve SDR Repository")
        return d[0] | d[1] << 8

    def _get_sdr(self, reservation: int, record_id: int, offset: int, count: int):
        data = bytes((reservation & 0xFF, reservation >> 8, record_id & 0xFF, record_id >> 8, offset, count))
        r = yield from self._request(NetFn.STORAGE, Storage.GET_SDR, data)
        return r

    def read_sdr(self, record_id: int, reservation: int):
        """Generator: one whole record -> (bytes, next record id, reservation in use)."""
        for _ in range(MAX_RETRIES):
            r = yield from self._get_sdr(reservation, record_id, 0, 5)
            if r.cc == CompletionCode.RESERVATION_CANCELED:
                reservation = yield from self._reserve_sdr()
                continue
            if r.cc != CompletionCode.SUCCESS or len(r.data) < 7:
                raise CommandFailed(f"Get SDR 0x{record_id:04X} header", r)
            next_id = r.data[0] | r.data[1] << 8
            header = r.data[2:7]
            actual = header[0] | header[1] << 8     # "first record" (0) names the real id in the header
            body = bytearray()
            chunk = self.sdr_chunk
            cancelled = False
            while len(body) < header[4]:
                n = min(chunk, header[4] - len(body))
                r = yield from self._get_sdr(reservation, actual, 5 + len(body), n)
                if r.cc == CompletionCode.RESERVATION_CANCELED:
                    reservation = yield from self._reserve_sdr()
                    cancelled = True
                    break
                if r.cc == CompletionCode.CANNOT_RETURN_REQUESTED_BYTES and chunk > 1:
                    chunk = max(1, chunk // 2)
                    continue
                if r.cc != CompletionCode.SUCCESS or len(r.data) < 2 + n:
                    raise CommandFailed(f"Get SDR 0x{actual:04X} at offset {5 + len(body)}", r)
                body += r.data[2:2 + n]
            if not cancelled:
                return bytes(header) + bytes(body), next_id, reservation
        raise RuntimeError(f"Get SDR 0x{record_id:04X}: reservation cancelled {MAX_RETRIES} times in a row")

    def sdr_records(self):
        """Generator: every record of the repository, decoded, in repository order."""
        # As ipmitool: the repository's info first (an empty repository has nothing to walk), then a reservation.
        info = yield from self._ok(NetFn.STORAGE, Storage.GET_SDR_REPOSITORY_INFO, what="Get SDR Repository Info")
        if len(info) >= 3 and info[1] | info[2] << 8 == 0:
            return []
        reservation = yield from self._reserve_sdr()
        records = []
        seen = set()
        record_id = 0x0000
        while record_id != LAST_RECORD:
            raw, next_id, reservation = yield from self.read_sdr(record_id, reservation)
            rec = decode_sdr(raw)
            if rec.record_id in seen:
                raise RuntimeError(f"SDR repository loops: record 0x{rec.record_id:04X} seen twice")
            seen.add(rec.record_id)
            records.append(rec)
            record_id = next_id
        return records

    def _reading(self, rec: SensorRecord):
        """Generator: Get Sensor Reading for one sensor -> dict (raw, value, status bits...)."""
        r = yield from self._request(NetFn.SENSOR_EVENT, SensorEvent.GET_SENSOR_READING, bytes((rec.number,)))
        info = {"cc": r.cc, "raw": None, "value": None, "available": False, "states": None}
        if r.cc != CompletionCode.SUCCESS or len(r.data) < 2:
            return info
        raw, flags = r.data[0], r.data[1]
        scanning, unavailable = bool(flags & 0x40), bool(flags & 0x20)
        info.update(raw=raw, events_enabled=bool(flags & 0x80), scanning=scanning,
                    available=scanning and not unavailable)
        states = r.data[2] | (r.data[3] << 8 if len(r.data) > 3 else 0) if len(r.data) > 2 else 0
        info["states"] = states
        if isinstance(rec, FullSensor) and rec.has_analog_reading:
            info["value"] = rec.convert(raw)
        return info

    @staticmethod
    def _threshold_status(states: int) -> str:
        if states & 0x24:      # below lower / above upper non-recoverable
            return "nr"
        if states & 0x12:
            return "cr"
        if states & 0x09:
            return "nc"
        return "ok"

    def sdr_list(self):
        records = yield from self.sdr_records()
        out = self._out
        out.kind = "table"
        out.columns = ["name", "reading", "status"]
        items = []
        for rec in records:
            item = {"record_id": rec.record_id, "record_type": rec.record_type, "name": rec.name}
            if isinstance(rec, SensorRecord):
                info = yield from self._reading(rec)
                item.update(number=rec.number, sensor_type=rec.sensor_type_name, units=rec.units,
                            raw=info["raw"], value=info["value"], states=info["states"])
                # ipmitool's words: a full SDR's sensor "disabled"/"no reading", a compact one "Not Readable".
                if not info["available"]:
                    full = isinstance(rec, FullSensor)
                    reading = ("disabled" if info.get("scanning") is False else "no reading") if full else \
                        "Not Readable"
                    status = "ns"
                elif info["value"] is not None:
                    reading = f"{format_value(info['value'])} {rec.units}"
                    status = self._threshold_status(info["states"]) if rec.is_threshold else "ok"
                else:
                    reading, status = f"0x{info['raw']:02x}", "ok"     # a discrete sensor: the reading byte
                item.update(reading=reading, status=status)
            else:
                reading, status = self._locator_text(rec), "ok"
                item.update(reading=reading, status=status)
            out.rows.append([rec.name, reading, status])
            items.append(item)
        out.data = {"records": items}

    @staticmethod
    def _locator_text(rec) -> str:
        kind = type(rec).__name__
        if kind == "EventOnlySensor":
            return "Event-Only"
        if kind == "FruLocator":
            return f"{'Log' if rec.logical else 'Phy'} FRU @{rec.device_address:02X}h " \
                   f"{rec.entity_id:02x}.{rec.entity_instance}"
        if kind == "McLocator":
            return f"Static MC @ {rec.slave_address:02X}h"
        return f"record type 0x{rec.record_type:02X}"

    def _thresholds(self, rec: SensorRecord):
        """Generator: Get Sensor Thresholds, converted; {} when the sensor has none to read."""
        r = yield from self._request(NetFn.SENSOR_EVENT, SensorEvent.GET_SENSOR_THRESHOLD, bytes((rec.number,)))
        if r.cc != CompletionCode.SUCCESS or len(r.data) < 7 or not isinstance(rec, FullSensor):
            return {}
        mask = r.data[0]
        return {name: rec.convert(r.data[1 + bit])
                for bit, name in enumerate(("lnc", "lcr", "lnr", "unc", "ucr", "unr")) if mask >> bit & 1}

    def sensor_list(self):
        records = yield from self.sdr_records()
        out = self._out
        out.kind = "table"
        out.columns = ["name", "value", "units", "status", "lnr", "lcr", "lnc", "unc", "ucr", "unr"]
        items = []
        for rec in records:
            if not isinstance(rec, SensorRecord):
                continue
            info = yield from self._reading(rec)
            valid = info["available"]
            item = {"name": rec.name, "number": rec.number, "sensor_type": rec.sensor_type_name, "raw": info["raw"],
                    "value": info["value"], "states": info["states"]}
            if rec.is_threshold:
                # As ipmitool: Get Sensor Thresholds for every threshold sensor, converted with the full SDR.
                th = yield from self._thresholds(rec)
                analog = info["value"] is not None
                units = rec.units if isinstance(rec, FullSensor) and rec.has_analog_reading else ""
                value = (f"{info['value']:.3f}" if analog else f"0x{info['raw']:x}") if valid else "na"
                status = self._threshold_status(info["states"]) if valid else "na"
                cells = [f"{th[k]:.3f}" if th.get(k) is not None else "na"
                         for k in ("lnr", "lcr", "lnc", "unc", "ucr", "unr")]
                row = [rec.name, value, units, status, *cells]
                item.update(units=units, status=status, thresholds=th)
            else:
                states = info["states"] or 0
                value = f"0x{info['raw']:x}" if valid else "na"
                status = f"0x{states & 0xFF:02x}{states >> 8:02x}" if valid else "na"
                row = [rec.name, value, "discrete", status, *["na"] * 6]
                item.update(units="discrete", status=status)
            out.rows.append(row)
            items.append(item)
        out.data = {"sensors": items}

    # -- SEL ---------------------------------------------------------------------------------------

    def _sel_info(self):
        d = yield from self._ok(NetFn.STORAGE, Storage.GET_SEL_INFO, what="Get SEL Info")
        return SelInfo.decode(d)

    def sel_info(self):
        info = yield from self._sel_info()
        out = self._out
        out.fields = info.lines()
        out.data = {"version": f"{info.version & 0x0F}.{info.version >> 4}", "entries": info.entries,
                    "free_bytes": info.free_bytes, "last_add": info.last_add, "last_erase": info.last_erase,
                    "overflow": info.overflow, "supported": info.supported_commands}
        if info.support & 0x01:
            r = yield from self._request(NetFn.STORAGE, Storage.GET_SEL_ALLOCATION_INFO)
            if r.cc == CompletionCode.SUCCESS and len(r.data) >= 9:
                d = r.data
                alloc = {"alloc_units": d[0] | d[1] << 8, "alloc_unit_size": d[2] | d[3] << 8,
                         "free_units": d[4] | d[5] << 8, "largest_free_block": d[6] | d[7] << 8,
                         "max_record_size": d[8]}
                out.fields += [("# of Alloc Units", str(alloc["alloc_units"])),
                               ("Alloc Unit Size", str(alloc["alloc_unit_size"])),
                               ("# Free Units", str(alloc["free_units"])),
                               ("Largest Free Blk", str(alloc["largest_free_block"])),
                               ("Max Record Size", str(alloc["max_record_size"]))]
                out.data["allocation"] = alloc

    def sel_entries(self):
        """Generator: every SEL record, from the first, following each next-record id."""
        entries = []
        record_id = 0x0000
        seen = set()
        while record_id != LAST_RECORD:
            data = bytes((0, 0, record_id & 0xFF, record_id >> 8, 0, 0xFF))   # no reservation: whole records
            r = yield from self._request(NetFn.STORAGE, Storage.GET_SEL_ENTRY, data)
            if r.cc == CompletionCode.REQUESTED_DATA_NOT_PRESENT and not entries:
                break   # empty SEL
            if r.cc != CompletionCode.SUCCESS or len(r.data) < 18:
                raise CommandFailed(f"Get SEL Entry 0x{record_id:04X}", r)
            entry = decode_sel_entry(r.data[2:18])
            if entry.record_id in seen:
                raise RuntimeError(f"SEL loops: record 0x{entry.record_id:04X} seen twice")
            seen.add(entry.record_id)
            entries.append(entry)
            record_id = r.data[0] | r.data[1] << 8
        return entries

    def sel_list(self):
        info = yield from self._sel_info()
        out = self._out
        if info.entries == 0:
            out.kind = "lines"
            out.lines = ["SEL has no entries"]
            out.data = {"entries": []}
            return
        entries = yield from self.sel_entries()
        out.kind = "table"
        out.columns = ["id", "date", "time", "sensor", "event", "direction"]
        out.rows = [e.columns() for e in entries]
        out.data = {"entries": [e.as_dict() for e in entries]}

    # -- FRU ------------------------------------------------------------------------------------------

    def _read_fru(self, fru_id: int, offset: int, count: int, image: bytearray):
        """Generator: Read FRU Data in chunks into ``image`` at ``offset``."""
        chunk = self.fru_chunk
        end = min(offset + count, len(image))
        while offset < end:
            n = min(chunk, end - offset)
            r = yield from self._request(NetFn.STORAGE, Storage.READ_FRU_DATA,
                                         bytes((fru_id, offset & 0xFF, offset >> 8, n)))
            if r.cc in (CompletionCode.REQUEST_DATA_FIELD_LENGTH_EXCEEDED,
                        CompletionCode.CANNOT_RETURN_REQUESTED_BYTES) and chunk > 1:
                chunk = max(1, chunk // 2)
                continue
            if r.cc != CompletionCode.SUCCESS or not r.data:
                raise CommandFailed(f"Read FRU Data at offset {offset}", r)
            got = min(r.data[0], len(r.data) - 1, end - offset)
            if got == 0:
                raise RuntimeError(f"Read FRU Data at offset {offset}: the BMC returned 0 bytes")
            image[offset:offset + got] = r.data[1:1 + got]
            offset += got

    def fru_print(self, fru_id: int = 0):
        d = yield from self._ok(NetFn.STORAGE, Storage.GET_FRU_INVENTORY_AREA_INFO, bytes((fru_id,)),
                                what="Get FRU Inventory Area Info")
        size = d[0] | d[1] << 8
        image = bytearray(size)
        # Like ipmitool: the common header, then each area's first two bytes (its length), then the area.
        yield from self._read_fru(fru_id, 0, 8, image)
        for slot in (2, 3, 4):
            start = image[slot] * 8
            if image[slot] and start + 2 <= size:
                yield from self._read_fru(fru_id, start, 2, image)
                yield from self._read_fru(fru_id, start + 2, image[start + 1] * 8 - 2, image)
        try:
            inv = decode_fru(bytes(image))
        except FruFormatError as exc:
            raise RuntimeError(f"FRU {fru_id}: {exc}") from None
        out = self._out
        out.fields = inv.lines(fru_id)
        out.data = {"fru_id": fru_id, **inv.as_dict()}

    # -- raw ---------------------------------------------------------------------------------------------

    def raw(self, netfn: int, cmd: int, data: bytes):
        out = self._out
        try:
            r = yield from self._request(netfn, cmd, data)
        except IpmiSendError as exc:
            # The ioctl fails (open.c: lperror "Unable to send command"), sendrecv returns NULL.
            out.kind = "lines"
            out.data = {"netfn": netfn, "cmd": cmd, "request": data.hex(), "errno": exc.errno, "why": exc.why}
            out.lines = [f"Unable to send command: {ERRNO_TEXT.get(exc.errno, exc.errno)}",
                         f"Unable to send RAW command (channel=0x0 netfn=0x{netfn:x} lun=0x0 cmd=0x{cmd:x})"]
            out.exit_code = 1
            return
        out.kind = "lines"
        out.data = {"netfn": netfn, "cmd": cmd, "request": data.hex(), "cc": r.cc, "cc_name": cc_name(r.cc),
                    "data": r.data.hex()}
        if r.cc != CompletionCode.SUCCESS:
            out.lines = [f"Unable to send RAW command (channel=0x0 netfn=0x{netfn:x} lun=0x0 cmd=0x{cmd:x} "
                         f"rsp=0x{r.cc:x}): {cc_name(r.cc)}"]
            out.exit_code = 1
            return
        hexes = [f"{b:02x}" for b in r.data]
        out.lines = [" " + " ".join(hexes[i:i + 16]) for i in range(0, len(hexes), 16)] or [""]
