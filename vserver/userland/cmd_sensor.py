"""``sensor list`` and ``sensor get``, as lib/ipmi_sensor.c sends and prints them."""

from __future__ import annotations

from bmc.ipmi.cc import CompletionCode
from bmc.ipmi.cmd import SensorEvent
from bmc.ipmi.netfn import NetFn

from .cfmt import event_types, unknown_val_str
from .cmd_sdr import (
    EVENT_ONLY_SENSOR,
    MC_DEVICE_LOCATOR,
    Reading,
    c_id_string,
    convert_hysteresis,
    convert_reading,
    convert_tolerance,
    eventonly_desc,
    thresh_status,
)
from .ipmitool_tables import ENTITY_ID_VALS
from .sdr import COMPACT_SENSOR, FULL_SENSOR, FullSensor, SensorRecord

# Get Sensor Thresholds: (mask bit, data index, label) in the order ipmitool prints them (PTS).
THRESHOLD_COLUMNS = ((0x04, 3, "Lower Non-Recoverable"), (0x02, 2, "Lower Critical"),
                     (0x01, 1, "Lower Non-Critical"), (0x08, 4, "Upper Non-Critical"),
                     (0x10, 5, "Upper Critical"), (0x20, 6, "Upper Non-Recoverable"))
# ipmi_sdr_print_sensor_event_status/enable: assertion bits of bytes 2 and 3.
ASSERT_COND_1 = ((0x01, "lnc-"), (0x02, "lnc+"), (0x04, "lcr-"), (0x08, "lcr+"), (0x10, "lnr-"), (0x20, "lnr+"),
                 (0x40, "unc-"), (0x80, "unc+"))
ASSERT_COND_2 = ((0x01, "ucr-"), (0x02, "ucr+"), (0x04, "unr-"), (0x08, "unr+"))


def _conds(byte1: int, byte2: int | None) -> str:
    text = "".join(f"{name} " for bit, name in ASSERT_COND_1 if byte1 & bit)
    if byte2 is not None:
        text += "".join(f"{name} " for bit, name in ASSERT_COND_2 if byte2 & bit)
    return text


def _discrete_units(rec: SensorRecord) -> bool:
    """UNITS_ARE_DISCRETE: analog data format 11b."""
    return rec.units1 >> 6 == 3


class SensorCommands:
    def _thresholds(self, rec: SensorRecord):
        """Generator: ipmi_sdr_get_sensor_thresholds -> the answer's data, or None (no thresholds shown)."""
        r = yield from self.request(NetFn.SENSOR_EVENT, SensorEvent.GET_SENSOR_THRESHOLD, bytes((rec.number,)))
        if r is None or r.cc != CompletionCode.SUCCESS or not r.data:
            return None
        return bytes(r.data).ljust(7, b"\0")

    @staticmethod
    def _threshold_value(rec: SensorRecord, th: bytes, bit: int, at: int, analog: str, discrete: str,
                         na: str) -> str:
        """print_thresh_setting."""
        if not th[0] & bit:
            return na % "na"
        if isinstance(rec, FullSensor) and not _discrete_units(rec):
            return analog % convert_reading(rec, th[at])
        return discrete % th[at]

    # -- sensor list -----------------------------------------------------------------------------------

    def sensor_list(self):
        """ipmi_sensor_list: its own walk of the repository (not the cached one), full and compact sensors."""
        itr = yield from self.sdr_start()
        if itr is None:
            self.out.error("Unable to open SDR for reading")
            return -1
        rows, items = [], []
        while True:
            header = yield from self.sdr_next_header(itr)
            if header is None:
                break
            rec = yield from self.sdr_get_record(header, itr)
            if rec is None or header.type not in (FULL_SENSOR, COMPACT_SENSOR):
                continue
            line, item = yield from (self._sensor_line_threshold(rec) if rec.is_threshold else
                                     self._sensor_line_discrete(rec))
            self.out.write(line + "\n")
            rows.append([cell.strip() for cell in line.split("|")])
            items.append(item)
        self.out.columns = ["name", "value", "units", "status", "lnr", "lcr", "lnc", "unc", "ucr", "unr"]
        self.out.rows = rows
        self.out.data = {"sensors": items}
        return 0

    def _sensor_line_threshold(self, rec: SensorRecord):
        """dump_sensor_fc_thredshold."""
        r = yield from self.read_sensor(rec, 3)
        status = thresh_status(r, "ns")
        th = yield from self._thresholds(rec)
        line = f"{r.s_id:<16} "
        if r.valid:
            line += (f"| {r.value:<10.3f} | {r.units:<10} | {status:<6}" if r.has_analog else
                     f"| 0x{r.reading:<8x} | {r.units:<10} | {status:<6}")
        else:
            line += f"| {'na':<10} | {r.units:<10} | {'na':<6}"
        if th is not None and isinstance(rec, FullSensor):
            line += "".join("| " + self._threshold_value(rec, th, bit, at, "%-10.3f", "0x%-8x", "%-10s")
                            for bit, at, _ in THRESHOLD_COLUMNS)
        else:
            line += "| na        " * 6
        thresholds = {}
        if th is not None and isinstance(rec, FullSensor):
            names = {0x01: "lnc", 0x02: "lcr", 0x04: "lnr", 0x08: "unc", 0x10: "ucr", 0x20: "unr"}
            thresholds = {names[bit]: convert_reading(rec, th[at]) for bit, at, _ in THRESHOLD_COLUMNS
                          if th[0] & bit}
        return line, _item(rec, r, status, thresholds)

    def _sensor_line_discrete(self, rec: SensorRecord):
        """ipmi_sensor_print_fc_discrete (verbose 0)."""
        r = yield from self.read_sensor(rec, 3)
        line = f"{r.s_id:<16} "
        if r.valid and r.has_analog:
            line += f"| {r.text:<10} | {r.units:<10} | {'ok':<6}"
        elif r.valid:
            # Debian's 1.8.19 build shows the state byte (reading byte 3) as the value.
            line += f"| 0x{r.data2:<8x} | {'discrete':<10} | 0x{r.data2:02x}{r.data3:02x}"
        else:
            line += f"| {'na':<10} | {'discrete':<10} | {'na':<6}"
        status = f"0x{r.data2:02x}{r.data3:02x}" if r.valid else "na"
        return line + "| na        " * 6, _item(rec, r, status, {})

    # -- sensor get ------------------------------------------------------------------------------------------

    def _find_by_id(self, name: str):
        """Generator: ipmi_sdr_find_sdr_byid over the cached walk -> the record, or None."""
        return (yield from self.sdr_find(lambda rec: _record_name(rec) == name))

    def sensor_get(self, names: tuple[str, ...]):
        """ipmi_sensor_get: each name looked up in the repository, then printed verbosely."""
        out = self.out
        out.write("Locating sensor record...\n")
        rc = 0
        shown = []
        for name in names:
            rec = yield from self._find_by_id(name)
            if rec is None:
                out.error(f'Sensor data record "{name}" not found!')
                rc = -1
                continue
            if rec.record_type not in (FULL_SENSOR, COMPACT_SENSOR):
                # ipmi_sdr_print_listentry with verbose set: locators and event-only records in full.
                if not (yield from self.print_verbose_entry(rec)):
                    rc = -1
                shown.append(name)
                continue
            ok = yield from (self._sensor_verbose_threshold(rec) if rec.is_threshold else
                             self._sensor_verbose_discrete(rec))
            shown.append(name)
            rc = rc if ok else -1
        out.data = {"sensors": shown}
        return rc

    def _sensor_verbose_threshold(self, rec: SensorRecord):
        """dump_sensor_fc_thredshold_verbose."""
        out = self.out
        r = yield from self.read_sensor(rec, 3)
        th = yield from self._thresholds(rec)
        full = isinstance(rec, FullSensor)
        out.write(f"Sensor ID              : {r.s_id} (0x{rec.number:x})\n")
        out.write(f" Entity ID             : {rec.entity_id}.{rec.entity_instance}\n")
        out.write(f" Sensor Type (Threshold)  : {(yield from self.sensor_type_name(rec.sensor_type))}\n")
        out.write(" Sensor Reading        : ")
        if r.valid:
            out.write(self._verbose_reading(rec, r) + "\n")
            out.write(f" Status                : {thresh_status(r, 'ns', verbose=True)}\n")
            if th is not None:
                if full:
                    out.write("".join(f" {label:<21} : " + self._threshold_value(rec, th, bit, at, "%.3f\n",
                                                                                 "0x%x\n", "%s\n")
                                      for bit, at, label in THRESHOLD_COLUMNS))
                out.write(self._hysteresis(rec, rec.positive_hysteresis, "Positive Hysteresis"))
                out.write(self._hysteresis(rec, rec.negative_hysteresis, "Negative Hysteresis"))
            else:
                out.write(" Sensor Threshold Settings not available\n")
        else:
            out.write(" Unable to read sensor: Device Not Present\n\n")
        yield from self._event_status(rec)
        yield from self._event_enable(rec)
        out.write("\n")
        return r.valid

    def _verbose_reading(self, rec: SensorRecord, r: Reading) -> str:
        if not isinstance(rec, FullSensor):
            return f"0x{r.reading:x} {r.units}"
        raw_tol = rec.tolerance
        if r.has_analog:
            tol = convert_tolerance(rec, raw_tol)
            return f"{r.value:.{0 if r.value == int(r.value) else 3}f} (+/- {tol:.{0 if tol == int(tol) else 3}f}) " \
                   f"{r.units}"
        return f"0x{r.reading:x} (+/- 0x{raw_tol:x}) {r.units}"

    @staticmethod
    def _hysteresis(rec: SensorRecord, value: int, label: str) -> str:
        """ipmi_sdr_print_sensor_hysteresis."""
        if not isinstance(rec, FullSensor) or _discrete_units(rec):
            return f" {label}   : Unspecified\n" if value in (0x00, 0xFF) else f" {label}   : 0x{value:02X}\n"
        converted = convert_hysteresis(rec, value)
        if value in (0x00, 0xFF) or converted == 0.0:
            return f" {label}   : Unspecified\n"
        return f" {label}   : {converted:.3f}\n"

    def _event_status(self, rec: SensorRecord):
        """ipmi_sdr_print_sensor_event_status (analog form)."""
        r = yield from self.request(NetFn.SENSOR_EVENT, SensorEvent.GET_SENSOR_EVENT_STATUS, bytes((rec.number,)))
        if r is None or r.cc != CompletionCode.SUCCESS or not r.data:
            return
        d = r.data
        if d[0] & 0x20:
            self.out.write(" Event Status          : Unavailable\n")
            return
        if not d[0] & 0x80:
            self.out.write(" Event Status          : Event Messages Disabled\n")
        self.out.write(" Assertion Events      : " + _conds(d[1] if len(d) > 1 else 0, d[2] if len(d) > 2 else None))
        self.out.write("\n")
        # ipmitool shows the deassertion line only when both of its bytes are non-zero.
        if len(d) > 2 and ((len(d) == 4 and d[3]) or (len(d) > 4 and d[3] and d[4])):
            self.out.write(" Deassertion Events    : " + _conds(d[3], d[4] if len(d) > 4 else None) + "\n")

    def _event_enable(self, rec: SensorRecord):
        """ipmi_sdr_print_sensor_event_enable (analog form)."""
        r = yield from self.request(NetFn.SENSOR_EVENT, SensorEvent.GET_SENSOR_EVENT_ENABLE, bytes((rec.number,)))
        if r is None or r.cc != CompletionCode.SUCCESS or not r.data:
            return
        d = r.data
        if not d[0] & 0x80:
            self.out.write(" Event Enable          : Event Messages Disabled\n")
        self.out.write(" Assertions Enabled    : " + _conds(d[1] if len(d) > 1 else 0, d[2] if len(d) > 2 else None))
        self.out.write("\n")
        if len(d) > 2 and ((len(d) == 4 and d[3]) or (len(d) > 4 and (d[3] or d[4]))):
            self.out.write(" Deassertions Enabled  : " + _conds(d[3], d[4] if len(d) > 4 else None) + "\n")

    def print_verbose_entry(self, rec):
        """Generator: the verbose form of an event-only or MC locator record -> whether it has one here."""
        if rec.record_type == MC_DEVICE_LOCATOR:
            self.out.write(mc_locator_verbose(rec))
            return True
        if rec.record_type == EVENT_ONLY_SENSOR:
            self.out.write(f"Sensor ID              : {eventonly_desc(rec)} (0x{rec.number:x})\n")
            self.out.write(f"Entity ID              : {rec.entity_id}.{rec.entity_instance} "
                           f"({entity_name(rec.entity_id)})\n")
            type_name = yield from self.sensor_type_name(rec.sensor_type)
            self.out.write(f"Sensor Type            : {type_name} (0x{rec.sensor_type:02x})\n\n")
            return True
        # FRU and generic locators need ipmitool's device type table, not carried here.
        self.out.error(f"SDR record 0x{rec.record_id:04x} (type 0x{rec.record_type:02x}): its verbose form is "
                       "not printed by this tool")
        return False

    def _sensor_verbose_discrete(self, rec: SensorRecord):
        """ipmi_sensor_print_fc_discrete (verbose)."""
        out = self.out
        r = yield from self.read_sensor(rec, 3)
        type_name = yield from self.sensor_type_name(rec.sensor_type)
        out.write(f"Sensor ID              : {r.s_id} (0x{rec.number:x})\n")
        out.write(f" Entity ID             : {rec.entity_id}.{rec.entity_instance}\n")
        out.write(f" Sensor Type (Discrete): {type_name}\n")
        if not r.valid:
            out.write(" Unable to read sensor: Device Not Present\n\n")
            return False
        if r.has_analog:
            out.write(f" Sensor Reading        : {r.text} {r.units}\n")
        yield from self.discrete_state(rec, "States Asserted", r.data2, r.data3)
        out.write("\n")
        return True

    def discrete_state(self, rec: SensorRecord, desc: str, state1: int, state2: int):
        """Generator: ipmi_sdr_print_discrete_state: a heading line, then each asserted state in brackets."""
        if state1 == 0 and state2 & 0x7F == 0:
            return
        if rec.reading_type == 0x6F and 0xC0 <= rec.sensor_type < 0xF0:
            yield from self.get_oem()
        shown = False
        for _code, offset, data, text in event_types(rec.sensor_type, rec.reading_type):
            if data != 0xFF:
                continue
            if not shown:
                type_name = yield from self.sensor_type_name(rec.sensor_type)
                self.out.write(f" {desc:<21} : {type_name}\n")
                shown = True
            asserted = (1 << (offset - 8)) & state2 & 0x7F if offset > 7 else (1 << offset) & state1
            if asserted:
                self.out.write(f"                         [{text or 'no description'}]\n")


def entity_name(entity_id: int) -> str:
    """val2str(entity.id, entity_id_vals)."""
    return ENTITY_ID_VALS.get(entity_id, unknown_val_str(entity_id))


def mc_locator_verbose(rec) -> str:
    """ipmi_sdr_print_sensor_mc_locator with verbose set."""
    notif, init, caps = rec.raw[7] >> 5, rec.raw[7] & 0x0F, rec.raw[8]
    name = rec.raw[16:32].split(b"\0")[0].decode("latin-1")
    event_gen = ("Enable", "Disable", "Do Not Init Controller", "Reserved")[init & 0x03]
    lines = [f"Device ID              : {name}",
             f"Entity ID              : {rec.entity_id}.{rec.entity_instance} ({entity_name(rec.entity_id)})",
             f"Device Slave Address   : {rec.slave_address:02X}h",
             f"Channel Number         : {rec.channel:01X}h",
             f"ACPI System P/S Notif  : {'' if notif & 0x4 else 'Not '}Required",
             f"ACPI Device P/S Notif  : {'' if notif & 0x2 else 'Not '}Required",
             f"Controller Presence    : {'Static' if notif & 0x1 else 'Dynamic'}",
             f"Logs Init Agent Errors : {'Yes' if init & 0x8 else 'No'}",
             f"Event Message Gen      : {event_gen}", "Device Capabilities"]
    lines += [f" {label:<21} : {'Yes' if caps & bit else 'No'}" for bit, label in (
        (0x80, "Chassis Device"), (0x40, "Bridge"), (0x20, "IPMB Event Generator"), (0x10, "IPMB Event Receiver"),
        (0x08, "FRU Inventory Device"), (0x04, "SEL Device"), (0x02, "SDR Repository"), (0x01, "Sensor Device"))]
    return "\n".join(lines) + "\n\n"


def _item(rec: SensorRecord, r: Reading, status: str, thresholds: dict) -> dict:
    """One sensor of ``sensor list`` for --json: what was read and converted."""
    return {"name": r.s_id, "number": rec.number, "sensor_type": rec.sensor_type_name,
            "raw": r.reading if r.valid else None, "value": r.value if r.valid and r.has_analog else None,
            "units": r.units if r.has_analog else "discrete" if not rec.is_threshold else "", "status": status,
            "states": r.data2 | r.data3 << 8, "thresholds": thresholds}


def _record_name(rec) -> str:
    """The name ipmi_sdr_find_sdr_byid compares (sensors and locators alike)."""
    return c_id_string(rec)
