"""The SDR repository walk and ``sdr list``/``sdr elist``, as lib/ipmi_sdr.c does them.

ipmitool reads a record and prints it before reading the next (the
Get Sensor Reading of record N comes before the Get SDR of record N+1), and
keeps what it read in ``sdr_list_head`` so a later lookup (``sensor get``
with two names, ``sel elist``) reads the rest of the repository only once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from bmc.ipmi.cc import CompletionCode
from bmc.ipmi.cmd import App, SensorEvent, Storage
from bmc.ipmi.netfn import NetFn

from .cfmt import cc_string, event_types, unit_string
from .sdr import (
    COMPACT_SENSOR,
    EVENT_ONLY_SENSOR,
    FRU_DEVICE_LOCATOR,
    FULL_SENSOR,
    MC_DEVICE_LOCATOR,
    FullSensor,
    SensorRecord,
    decode_sdr,
)

LAST_RECORD = 0xFFFF
HEADER_TRIES = 5
GENERIC_DEVICE_LOCATOR = 0x10
OPEN_MAX_RESPONSE = 35        # open.c: the response data size ipmitool assumes for /dev/ipmi0
SDR_SENSORS = 0xFE
# ipmi_sdr_get_thresh_status: the state bits in the order it tests them -> (list, elist) words.
THRESHOLD_STATES = ((0x04, "nr", "lnr"), (0x20, "nr", "unr"), (0x02, "cr", "lcr"), (0x10, "cr", "ucr"),
                    (0x01, "nc", "lnc"), (0x08, "nc", "unc"))
NONLINEAR = 0x70


@dataclass
class SdrHeader:
    """struct sdr_get_rs: what Get SDR's first five bytes (after the next-record id) say."""

    next: int
    id: int
    version: int
    type: int
    length: int


@dataclass
class SdrIterator:
    """struct ipmi_sdr_iterator."""

    reservation: int
    total: int
    next: int = 0


@dataclass
class Reading:
    """struct sensor_reading, as ipmi_sdr_read_sensor_value fills it."""

    s_id: str
    full: bool
    valid: bool = False
    scanning_disabled: bool = False
    unavailable: bool = False
    reading: int = 0
    data2: int = 0
    data3: int = 0
    has_analog: bool = False
    value: float = 0.0
    text: str = ""
    units: str = ""


def c_id_string(rec: SensorRecord | object) -> str:
    """The sensor name ipmitool copies (id_code & 1Fh bytes, at most 16) and prints up to the first NUL."""
    at = {FULL_SENSOR: 47, COMPACT_SENSOR: 31, EVENT_ONLY_SENSOR: 16}.get(rec.record_type, 15)
    raw = rec.raw[at + 1:at + 1 + min(rec.raw[at] & 0x1F, 16)] if len(rec.raw) > at else b""
    return raw.split(b"\0")[0].decode("latin-1")


def _desc_one_past(rec, at: int) -> str:
    """ipmitool's ``%.*s`` of the ID string whose type/length byte is at ``at``: (id_code & 1Fh) + 1
    characters, so one past the string, at most 16."""
    if len(rec.raw) <= at or not rec.raw[at]:
        return ""
    raw = (rec.raw + b"\0")[at + 1:at + 2 + (rec.raw[at] & 0x1F)][:16]
    return raw.split(b"\0")[0].decode("latin-1")


def locator_desc(rec) -> str:
    """The name of a locator record (its ID string starts at byte 15)."""
    return _desc_one_past(rec, 15)


def unit_of(rec: SensorRecord) -> str:
    return unit_string(bool(rec.units1 & 0x01), rec.units1 >> 1 & 0x03, rec.base_unit, rec.modifier_unit)


def _linearize(rec: FullSensor, result: float) -> float:
    fn = {1: math.log, 2: math.log10, 3: math.log2, 4: math.exp, 5: lambda y: 10.0 ** y, 6: lambda y: 2.0 ** y,
          7: lambda y: y ** -1.0, 8: lambda y: y ** 2.0, 9: lambda y: y ** 3.0, 10: math.sqrt,
          11: lambda y: math.copysign(abs(y) ** (1 / 3), y)}.get(rec.linearization & 0x7F)
    try:
        return fn(result) if fn else result
    except (ValueError, ZeroDivisionError, OverflowError):
        return math.nan


def _signed8(rec: FullSensor, val: int) -> int | None:
    """The raw byte as sdr_convert_sensor_reading reads it for the SDR's analog format (None: no analog)."""
    fmt = rec.units1 >> 6
    if fmt == 0:
        return val
    if fmt == 3:
        return None
    if fmt == 1 and val & 0x80:
        val = (val + 1) & 0xFF        # one's complement: step to the two's complement value
    return val - 256 if val & 0x80 else val


def convert_reading(rec: FullSensor, val: int) -> float:
    """sdr_convert_sensor_reading: L[(M*x + B*10^Bexp) * 10^Rexp]."""
    x = _signed8(rec, val)
    if x is None:
        return 0.0
    return _linearize(rec, (rec.m * x + rec.b * 10.0 ** rec.b_exp) * 10.0 ** rec.r_exp)


def convert_hysteresis(rec: FullSensor, val: int) -> float:
    """sdr_convert_sensor_hysterisis: M*x*10^Rexp (no offset), linearized all the same."""
    x = _signed8(rec, val)
    return 0.0 if x is None else _linearize(rec, rec.m * x * 10.0 ** rec.r_exp)


def convert_tolerance(rec: FullSensor, val: int) -> float:
    """sdr_convert_sensor_tolerance: M*(x/2)*10^Rexp."""
    x = _signed8(rec, val)
    return 0.0 if x is None else _linearize(rec, rec.m * (x / 2) * 10.0 ** rec.r_exp)


def thresh_status(r: Reading, invalid: str, extended: bool = False, verbose: bool = False) -> str:
    """ipmi_sdr_get_thresh_status from the state byte."""
    if not r.valid:
        return invalid
    long = {"lnr": "Lower Non-Recoverable", "unr": "Upper Non-Recoverable", "lcr": "Lower Critical",
            "ucr": "Upper Critical", "lnc": "Lower Non-Critical", "unc": "Upper Non-Critical"}
    for bit, short, ext in THRESHOLD_STATES:
        if r.data2 & bit:
            return long[ext] if verbose else ext if extended else short
    return "ok"


class SdrCommands:
    # -- the repository walk -----------------------------------------------------------------------

    def sdr_start(self):
        """Generator: ipmi_sdr_start -> SdrIterator, or None (the error printed)."""
        r = yield from self.request(NetFn.APP, App.GET_DEVICE_ID)
        if r is None or r.cc != CompletionCode.SUCCESS:
            self.out.error("Get Device ID command failed" if r is None else
                           f"Get Device ID command failed: {r.cc:#x} {cc_string(r.cc)}")
            return None
        if r.data[1] & 0x80 and not r.data[5] & 0x02:
            # Device SDRs (Get Device SDR, netfn S/E) instead of a repository: not what a BMC offers here.
            self.out.error("Error obtaining SDR info" if not r.data[5] & 0x01 else
                           "Unable to open SDR for reading: device SDRs are not read by this tool")
            return None
        r = yield from self.request(NetFn.STORAGE, Storage.GET_SDR_REPOSITORY_INFO)
        if r is None or r.cc != CompletionCode.SUCCESS:
            self.out.error("Error obtaining SDR info" + ("" if r is None else f": {cc_string(r.cc)}"))
            return None
        if r.data[0] not in (0x51, 0x01, 0x02):
            self.out.error(f"WARNING: Unknown SDR repository version 0x{r.data[0]:02x}")
        total = r.data[1] | r.data[2] << 8
        if total == 0:
            # ipmi_sdr_add_from_sensors would build the repository from the sensors' device SDRs.
            self.out.error("Could not build SDRR!")
            return None
        reservation = yield from self._sdr_reserve()
        if reservation is None:
            self.out.error("Unable to obtain SDR reservation")
            return None
        return SdrIterator(reservation, total)

    def _sdr_reserve(self):
        r = yield from self.request(NetFn.STORAGE, Storage.RESERVE_SDR_REPOSITORY)
        if r is None or r.cc != CompletionCode.SUCCESS:
            return None
        return r.data[0] | r.data[1] << 8

    def _get_sdr(self, itr: SdrIterator, record_id: int, offset: int, length: int):
        data = bytes((itr.reservation & 0xFF, itr.reservation >> 8, record_id & 0xFF, record_id >> 8, offset,
                      length))
        return (yield from self.request(NetFn.STORAGE, Storage.GET_SDR, data))

    def sdr_next_header(self, itr: SdrIterator):
        """Generator: ipmi_sdr_get_next_header -> SdrHeader, or None at the end or on an error."""
        if itr.next == LAST_RECORD:
            return None
        r = None
        for _ in range(HEADER_TRIES):
            r = yield from self._get_sdr(itr, itr.next, 0, 5)
            if r is None:
                self.out.error(f"Get SDR {itr.next:04x} command failed")
            elif r.cc == CompletionCode.RESERVATION_CANCELED:
                # ipmitool sleeps 0-3 s first (rand); the simulated host goes straight on.
                reservation = yield from self._sdr_reserve()
                if reservation is None:
                    self.out.error("Unable to renew SDR reservation")
                    return None
                itr.reservation = reservation
                r = None
            elif r.cc != CompletionCode.SUCCESS:
                self.out.error(f"Get SDR {itr.next:04x} command failed: {cc_string(r.cc)}")
                r = None
            else:
                break
        if r is None:
            return None
        d = r.data
        h = SdrHeader(d[0] | d[1] << 8, d[2] | d[3] << 8, d[4], d[5], d[6])
        if h.length == 0:
            self.out.error(f"SDR record id 0x{itr.next:04x}: invalid length {h.length}")
            return None
        if itr.next != 0 and h.id != itr.next:
            h.id = itr.next          # some BMCs answer with another id; ipmitool keeps the one it asked for
        itr.next = h.next
        return h

    def sdr_get_record(self, header: SdrHeader, itr: SdrIterator):
        """Generator: ipmi_sdr_get_record -> the whole record (header and body) decoded, or None."""
        if not self._sdr_max_read:
            self._sdr_max_read = min(OPEN_MAX_RESPONSE - 2, 0xFE)
        body = bytearray()
        while len(body) < header.length:
            n = min(header.length - len(body), self._sdr_max_read)
            r = yield from self._get_sdr(itr, header.id, 5 + len(body), n)
            if r is None or r.cc == CompletionCode.CANNOT_RETURN_REQUESTED_BYTES:
                self._sdr_max_read = n - 1
                if self._sdr_max_read > 0:
                    continue
                return None
            if r.cc == CompletionCode.RESERVATION_CANCELED:
                reservation = yield from self._sdr_reserve()
                if reservation is None:
                    return None
                itr.reservation = reservation
                continue
            if r.cc != CompletionCode.SUCCESS or not r.data:
                return None
            body += bytes(r.data[2:2 + n]).ljust(n, b"\0")
        raw = bytes((header.id & 0xFF, header.id >> 8, header.version, header.type, header.length)) + bytes(body)
        try:
            return decode_sdr(raw)
        except ValueError as exc:
            self.out.error(f"ipmitool: SDR record 0x{header.id:04x}: {exc}")
            return None

    def sdr_find(self, match):
        """Generator: the first record, cached or read next, for which ``match(rec)`` holds, or None
        (ipmitool's ipmi_sdr_find_sdr_* walk the same list)."""
        found = []

        def visit(rec):
            if match(rec):
                found.append(rec)
                return True
            return False
            yield  # a generator like every visitor

        yield from self.sdr_walk(visit)
        return found[0] if found else None

    def sdr_walk(self, visit, on_missing=None):
        """Generator: ipmitool's global SDR list: ``visit(rec)`` (a generator; True stops) for the records
        already read, then for each record read next.  Returns False when the repository could not be opened."""
        if self._sdr_itr is None:
            self._sdr_itr = yield from self.sdr_start()
            if self._sdr_itr is None:
                self.out.error("Unable to open SDR for reading")
                return False
        for rec in list(self._sdr_list):
            if (yield from visit(rec)):
                return True
        while True:
            header = yield from self.sdr_next_header(self._sdr_itr)
            if header is None:
                return True
            rec = yield from self.sdr_get_record(header, self._sdr_itr)
            if rec is None:
                if on_missing is not None:
                    on_missing(header)
                continue
            self._sdr_list.append(rec)
            if (yield from visit(rec)):
                return True

    # -- readings ----------------------------------------------------------------------------------------

    def read_sensor(self, rec: SensorRecord, precision: int):
        """Generator: ipmi_sdr_read_sensor_value -> Reading."""
        full = isinstance(rec, FullSensor)
        r = Reading(c_id_string(rec), full)
        rsp = yield from self.request(NetFn.SENSOR_EVENT, SensorEvent.GET_SENSOR_READING, bytes((rec.number,)))
        if rsp is None or rsp.cc != CompletionCode.SUCCESS or len(rsp.data) < 2:
            return r
        flags = rsp.data[1]
        r.unavailable = bool(flags & 0x20)
        if not flags & 0x40:
            r.scanning_disabled = True
            return r
        if not r.unavailable:
            r.valid, r.reading = True, rsp.data[0]
        r.data2 = rsp.data[2] if len(rsp.data) > 2 else 0
        r.data3 = rsp.data[3] if len(rsp.data) > 3 else 0
        if (yield from self._has_analog(rec, r)):
            r.has_analog = True
            if r.valid:
                r.value = convert_reading(rec, r.reading)
            r.units = unit_of(rec)
            r.text = f"{r.value:.{0 if r.value == int(r.value) else precision}f}" if math.isfinite(r.value) \
                else f"{r.value}"
        return r

    def _has_analog(self, rec: SensorRecord, r: Reading):
        """Generator: sdr_sensor_has_analog_reading: full threshold sensors with analog units (HP's exception
        aside); a non-linear one first gets this reading's factors, or has no valid reading."""
        if not isinstance(rec, FullSensor) or rec.units1 >> 6 == 3 or not rec.is_threshold:
            return False
        if NONLINEAR <= rec.linearization <= 0x7F:
            ok = yield from self._reading_factors(rec, r.reading)
            if not ok:
                r.valid = False
                return False
        return True

    def _reading_factors(self, rec: FullSensor, reading: int):
        """Generator: ipmi_sensor_get_sensor_reading_factors: Get Sensor Reading Factors' M, B, tolerance,
        accuracy and exponents replace the record's (ipmitool overwrites its copy of the SDR too)."""
        r = yield from self.request(NetFn.SENSOR_EVENT, SensorEvent.GET_SENSOR_READING_FACTORS,
                                    bytes((rec.number, reading)))
        if r is None:
            self.out.error(f"Error updating reading factor for sensor {c_id_string(rec)} (#{rec.number:02x})")
            return False
        if r.cc != CompletionCode.SUCCESS or len(r.data) < 7:
            return False
        f = r.data[1:7]
        m, b = f[0] | (f[1] >> 6) << 8, f[2] | (f[3] >> 6) << 8
        rec.m, rec.b = m - 1024 if m & 0x200 else m, b - 1024 if b & 0x200 else b
        rec.tolerance, rec.accuracy = f[1] & 0x3F, (f[3] & 0x3F) | (f[4] >> 4) << 6
        rec.r_exp, rec.b_exp = (f[5] >> 4) - 16 if f[5] & 0x80 else f[5] >> 4, \
            (f[5] & 0x0F) - 16 if f[5] & 0x08 else f[5] & 0x0F
        return True

    def discrete_state_mini(self, header: str | None, separator: str, rec: SensorRecord, state1: int,
                            state2: int):
        """Generator: ipmi_sdr_print_discrete_state_mini: the asserted states' names on one line."""
        if state1 == 0 and state2 & 0x7F == 0:
            return
        if header:
            self.out.write(header)
        if rec.reading_type == 0x6F and 0xC0 <= rec.sensor_type < 0xF0:
            yield from self.get_oem()            # the Kontron OEM table check asks for the manufacturer
        shown = 0
        for _code, offset, data, desc in event_types(rec.sensor_type, rec.reading_type):
            if data != 0xFF:
                continue
            asserted = (1 << (offset - 8)) & state2 & 0x7F if offset > 7 else (1 << offset) & state1
            if asserted:
                self.out.write(("" if not shown else separator) + desc)
                shown += 1

    # -- sdr list / elist ------------------------------------------------------------------------------------

    def sdr_list(self, kind: int, extended: bool):
        """ipmi_sdr_print_sdr(type): print each record of the type as it is read."""
        self._extended = extended
        rows = []
        failed = []

        def visit(rec):
            if self._wanted(rec, kind):
                row = yield from self.print_listentry(rec)
                if row is not None:
                    rows.append(row)
            return False

        def missing(header):
            self.out.error("ipmitool: ipmi_sdr_get_record() failed")
            failed.append(header.id)

        if not (yield from self.sdr_walk(visit, missing)):
            return -1
        self.out.columns = ["name", "reading", "status"] if not extended else ["name", "number", "status",
                                                                               "entity", "reading"]
        self.out.rows = rows
        self.out.data = {"records": [dict(zip(self.out.columns, row, strict=False)) for row in rows]}
        return -1 if failed else 0

    @staticmethod
    def _wanted(rec, kind: int) -> bool:
        if kind == SDR_SENSORS:
            return rec.record_type in (FULL_SENSOR, COMPACT_SENSOR)
        return kind == 0xFF or rec.record_type == kind

    def print_listentry(self, rec):
        """Generator: ipmi_sdr_print_listentry -> the printed columns (for --pretty/--json)."""
        if rec.record_type in (FULL_SENSOR, COMPACT_SENSOR):
            return (yield from self.print_sensor_fc(rec))
        if rec.record_type == EVENT_ONLY_SENSOR:
            return self._print_eventonly(rec)
        if rec.record_type == FRU_DEVICE_LOCATOR:
            return self._print_fru_locator(rec)
        if rec.record_type == MC_DEVICE_LOCATOR:
            return self._print_mc_locator(rec)
        if rec.record_type == GENERIC_DEVICE_LOCATOR and len(rec.raw) >= 16:
            return self._print_generic_locator(rec)
        return None           # entity associations, OEM and the rest print nothing in a list

    def print_sensor_fc(self, rec: SensorRecord):
        """Generator: ipmi_sdr_print_sensor_fc, its list (and elist) line."""
        r = yield from self.read_sensor(rec, 2)
        out = self.out
        if not self._extended:
            if r.valid:
                # Debian's 1.8.19 build prints the state byte (reading byte 3) as a non-analog reading.
                sval = f"{r.text} {r.units}" if r.has_analog else f"0x{r.data2:02x}"
            elif r.scanning_disabled:
                sval = "disabled" if r.full else "Not Readable"
            else:
                sval = "no reading" if r.full else "Not Readable"
            sval = sval[:15]                        # snprintf into char sval[16]
            status = thresh_status(r, "ns") if rec.is_threshold else "ok" if r.valid else "ns"
            out.write(f"{r.s_id:<16} | {sval:<17} | {status}\n")
            return [r.s_id, sval, status]
        status = thresh_status(r, "ns", extended=True) if rec.is_threshold else "ok" if r.valid else "ns"
        out.write(f"{r.s_id:<16} | {rec.number:02X}h | {status:<3} | {rec.entity_id:2d}.{rec.entity_instance:1d} | ")
        sval = ""
        if r.valid:
            if rec.is_threshold and r.has_analog:
                sval = f"{r.text} {r.units}"[:15]
            else:
                header = None
                if r.has_analog:
                    out.write(f"{r.text} {r.units}")
                    header = ", "
                yield from self.discrete_state_mini(header, ", ", rec, r.data2, r.data3)
        else:
            sval = "Disabled" if r.scanning_disabled else "No Reading"
        out.write(f"{sval}\n")
        return [r.s_id, f"{rec.number:02X}h", status, f"{rec.entity_id}.{rec.entity_instance}", sval]

    def _print_eventonly(self, rec):
        """ipmi_sdr_print_sensor_eventonly."""
        desc = eventonly_desc(rec)
        if self._extended:
            self.out.write(f"{desc:<16} | {rec.number:02X}h | ns  | {rec.entity_id:2d}.{rec.entity_instance:1d} | "
                           "Event-Only\n")
        else:
            self.out.write(f"{desc:<16} | Event-Only        | ns\n")
        return [desc, "Event-Only", "ns"]

    def _print_fru_locator(self, rec):
        """ipmi_sdr_print_sensor_fru_locator."""
        desc = locator_desc(rec)
        if self._extended:
            self.out.write(f"{desc:<16} | 00h | ns  | {rec.entity_id:2d}.{rec.entity_instance:1d} | "
                           f"{'Logical' if rec.logical else 'Physical'} FRU @{rec.fru_device_id:02X}h\n")
            return [desc, "00h", "ns", f"{rec.entity_id}.{rec.entity_instance}", "FRU"]
        kind = "Log" if rec.logical else "Phy"
        text = f"{kind} FRU @{rec.fru_device_id:02X}h {rec.entity_id:02x}.{rec.entity_instance:x}"
        self.out.write(f"{desc:<16} | {text} | ok\n")
        return [desc, text, "ok"]

    def _print_mc_locator(self, rec):
        """ipmi_sdr_print_sensor_mc_locator: Static/Dynamic is bit 5 of the power state notification byte."""
        desc = locator_desc(rec)
        static = bool(rec.raw[7] & 0x20)
        kind = "Static" if static else "Dynamic"
        if self._extended:
            self.out.write(f"{desc:<16} | 00h | ok  | {rec.entity_id:2d}.{rec.entity_instance:1d} | "
                           f"{kind} MC @ {rec.slave_address:02X}h\n")
            return [desc, "00h", "ok", f"{rec.entity_id}.{rec.entity_instance}",
                    f"{kind} MC @ {rec.slave_address:02X}h"]
        self.out.write(f"{desc:<16} | {kind} MC @ {rec.slave_address:02X}h {' ' if static else ''} | ok\n")
        return [desc, f"{kind} MC @ {rec.slave_address:02X}h", "ok"]


    def _print_generic_locator(self, rec):
        """ipmi_sdr_print_sensor_generic_locator (from the raw record: sdr.py keeps it undecoded)."""
        desc = locator_desc(rec)
        access, slave, oem = rec.raw[5], rec.raw[6], rec.raw[14]
        entity, instance = rec.raw[12], rec.raw[13] & 0x7F
        if self._extended:
            self.out.write(f"{desc:<16} | 00h | ns  | {entity:2d}.{instance:1d} | "
                           f"Generic Device @{access:02X}h:{slave:02X}h.{oem:1d}\n")
            return [desc, "00h", "ns", f"{entity}.{instance}", f"Generic Device @{access:02X}h:{slave:02X}h"]
        text = f"Generic @{access:02X}:{slave:02X}.{oem:<2d}"
        self.out.write(f"{desc:<16} | {text} | ok\n")
        return [desc, text, "ok"]


def eventonly_desc(rec) -> str:
    """An event-only record's name (its ID string starts at byte 16)."""
    return _desc_one_past(rec, 16)
