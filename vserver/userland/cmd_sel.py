"""``sel`` commands, as lib/ipmi_sel.c sends and prints them."""

from __future__ import annotations

import struct
from dataclasses import dataclass

from bmc.ipmi.cc import CompletionCode
from bmc.ipmi.cmd import Storage
from bmc.ipmi.netfn import NetFn

from .cfmt import (
    IPMI_TIME_INIT_DONE,
    cc_string,
    event_description,
    event_type_name,
    fmt_auto,
    timestamp_date,
    timestamp_numeric,
    timestamp_time,
)
from .cmd_sdr import c_id_string, convert_reading, unit_of
from .sdr import COMPACT_SENSOR, EVENT_ONLY_SENSOR, FULL_SENSOR, FullSensor
from .sel import decode_sel_entry

LAST_RECORD = 0xFFFF
LINUX_PANIC = 0xF0
EVENT_DIRECTIONS = ("Assertion Event", "Deassertion Event")      # event_dir_vals


@dataclass
class SelEvent:
    """struct sel_event_record, as ipmi_sel_get_std_entry fills it from Get SEL Entry's 16 record bytes."""

    record_id: int
    record_type: int
    raw: bytes

    @property
    def timestamp(self) -> int:
        return int.from_bytes(self.raw[3:7], "little")

    @property
    def gen_id(self) -> int:
        return self.raw[7] | self.raw[8] << 8

    @property
    def evm_rev(self) -> int:
        return self.raw[9]

    @property
    def sensor_type(self) -> int:
        return self.raw[10]

    @property
    def sensor_num(self) -> int:
        return self.raw[11]

    @property
    def event_type(self) -> int:
        return self.raw[12] & 0x7F

    @property
    def event_dir(self) -> int:
        return self.raw[12] >> 7

    @property
    def event_data(self) -> bytes:
        return self.raw[13:16]

    @property
    def standard(self) -> bool:
        return self.record_type < 0xC0

    def as_dict(self) -> dict:
        return {"record_id": self.record_id, "record_type": self.record_type, "raw": self.raw.hex()}


class SelCommands:
    def sel_info(self):
        """ipmi_sel_get_info."""
        out = self.out
        r = yield from self.request(NetFn.STORAGE, Storage.GET_SEL_INFO)
        if r is None or r.cc != CompletionCode.SUCCESS or len(r.data) != 14:
            out.error("Get SEL Info command failed" + ("" if r is None else f": {cc_string(r.cc)}"
                                                       if r.cc != CompletionCode.SUCCESS else
                                                       f": Invalid data length {len(r.data)}"))
            return -1
        d = r.data
        version, entries, free = d[0], d[1] | d[2] << 8, d[3] | d[4] << 8
        out.write("SEL Information\n")
        out.write(f"Version          : {version & 0x0F}.{version >> 4 & 0x0F} "
                  f"({'v1.5, v2 compliant' if version in (0x51, 0x02) else 'Unknown'})\n")
        out.write(f"Entries          : {entries}\n")
        out.write(f"Free Space       : {free} bytes {'or more' if free == 65535 else ''}\n")
        total = free + entries * 16
        pct = int(100 * (entries * 16 / total)) if entries else 0
        out.write("Percent Used     : unknown\n" if total >= 65535 else f"Percent Used     : {pct}%\n")
        for label, at in (("Last Add Time    : ", 5), ("Last Del Time    : ", 9)):
            stamp = int.from_bytes(d[at:at + 4], "little")
            out.write(label + ("Not Available" if stamp in (0, 0xFFFFFFFF) else timestamp_numeric(stamp)) + "\n")
        out.write(f"Overflow         : {'true' if d[13] & 0x80 else 'false'}\n")
        cmds = "".join(name for bit, name in ((0x08, "'Delete' "), (0x04, "'Partial Add' "), (0x02, "'Reserve' "),
                                              (0x01, "'Get Alloc Info' ")) if d[13] & bit)
        out.write(f"Supported Cmds   : {cmds or 'None'}\n")
        out.data = {"version": f"{version & 0x0F}.{version >> 4}", "entries": entries, "free_bytes": free,
                    "overflow": bool(d[13] & 0x80)}
        if not d[13] & 0x01:
            return 0
        r = yield from self.request(NetFn.STORAGE, Storage.GET_SEL_ALLOCATION_INFO)
        if r is None or r.cc != CompletionCode.SUCCESS:
            out.error("Get SEL Allocation Info command failed" + ("" if r is None else f": {cc_string(r.cc)}"))
            return -1
        a = r.data
        out.write(f"# of Alloc Units : {a[0] | a[1] << 8}\n")
        out.write(f"Alloc Unit Size  : {a[2] | a[3] << 8}\n")
        out.write(f"# Free Units     : {a[4] | a[5] << 8}\n")
        out.write(f"Largest Free Blk : {a[6] | a[7] << 8}\n")
        out.write(f"Max Record Size  : {a[8]}\n")
        return 0

    def get_sel_entry(self, record_id: int):
        """Generator: ipmi_sel_get_std_entry -> (next id, SelEvent); next id 0 when it failed."""
        data = bytes((0, 0, record_id & 0xFF, record_id >> 8, 0, 0xFF))    # no reservation, whole record
        r = yield from self.request(NetFn.STORAGE, Storage.GET_SEL_ENTRY, data)
        if r is None:
            self.out.error(f"Get SEL Entry {record_id:x} command failed")
            return 0, None
        if r.cc != CompletionCode.SUCCESS:
            self.out.error(f"Get SEL Entry {record_id:x} command failed: {cc_string(r.cc)}")
            return 0, None
        d = bytes(r.data).ljust(18, b"\0")
        return d[0] | d[1] << 8, SelEvent(d[2] | d[3] << 8, d[4], d[2:18])

    def _sel_entries(self, extended: bool):
        """__ipmi_sel_savelist_entries: SEL Info, then every entry printed as it arrives."""
        r = yield from self.request(NetFn.STORAGE, Storage.GET_SEL_INFO)
        if r is None or r.cc != CompletionCode.SUCCESS:
            self.out.error("Get SEL Info command failed" + ("" if r is None else f": {cc_string(r.cc)}"))
            return -1
        if r.data[1] == 0 and r.data[2] == 0:
            self.out.error("SEL has no entries")
            return 0
        entries = []
        next_id = 0
        while next_id != LAST_RECORD:
            current = next_id
            next_id, evt = yield from self.get_sel_entry(current)
            if next_id == 0:      # some BMCs answer 0 now and then: ipmitool asks once more
                next_id, evt = yield from self.get_sel_entry(current)
                if next_id == 0:
                    break
            line = yield from self.print_std_entry(evt, extended)
            entries.append(evt)
            self.out.rows.append([cell.strip() for cell in line.split("|")])
        self.out.columns = ["id", "date", "time", "sensor", "event", "direction"]
        self.out.data = {"entries": [decode_sel_entry(e.raw).as_dict() for e in entries]}
        return 0

    def sel_list(self):
        return (yield from self._sel_entries(False))

    def sel_elist(self):
        return (yield from self._sel_entries(True))

    def find_sdr_bynumtype(self, gen_id: int, number: int, sensor_type: int):
        """Generator: ipmi_sdr_find_sdr_bynumtype over the cached walk -> the sensor record, or None."""
        return (yield from self.sdr_find(
            lambda rec: rec.record_type in (FULL_SENSOR, COMPACT_SENSOR, EVENT_ONLY_SENSOR) and rec.number == number
            and rec.owner_id == gen_id & 0xFF and rec.sensor_type == sensor_type))

    def _event_desc(self, evt: SelEvent):
        """Generator: ipmi_get_event_desc: sensor-specific events ask for the manufacturer twice first."""
        if evt.event_type == 0x6F:
            yield from self.get_oem()        # the OEM switch (Kontron/Dell/Supermicro/Quanta decoders)
            yield from self.get_oem()        # the Dell check
            if 0xC0 <= evt.sensor_type < 0xF0:
                yield from self.get_oem()    # ipmi_get_first_event_sensor_type's Kontron table check
        return event_description(evt.sensor_type, evt.event_type, evt.event_data)

    def print_std_entry(self, evt: SelEvent, extended: bool):
        """Generator: ipmi_sel_print_std_entry -> the line it printed."""
        sdr = None
        if extended and evt.standard:
            sdr = yield from self.find_sdr_bynumtype(evt.gen_id, evt.sensor_num, evt.sensor_type)
        line = f"{evt.record_id:4x} | "
        if evt.record_type == LINUX_PANIC:
            line += f"Linux kernel panic: {evt.raw[5:16].split(bytes(1))[0].decode('latin-1')}\n"
            self.out.write(line)
            return line
        if evt.record_type < 0xE0:
            if evt.timestamp < IPMI_TIME_INIT_DONE:
                line += f" Pre-Init  |{evt.timestamp:010d}| "
            else:
                line += f"{timestamp_date(evt.timestamp)} | {timestamp_time(evt.timestamp)} | "
        if not evt.standard:
            line += f"OEM record {evt.record_type:02x} | "
            if evt.record_type <= 0xDF:
                line += f"{evt.raw[9]:02x}{evt.raw[8]:02x}{evt.raw[7]:02x} | {evt.raw[10:16].hex()}"
            else:
                line += evt.raw[3:16].hex()
            self.out.write(line + "\n")
            return line
        type_name = yield from self.sensor_type_name(evt.sensor_type)
        if sdr is not None:
            line += f"{type_name} {c_id_string(sdr)}"
        else:
            line += type_name + (f" #0x{evt.sensor_num:02x}" if evt.sensor_num else "")
        desc = yield from self._event_desc(evt)
        line += f" | {desc or ''} | {'Deasserted' if evt.event_dir else 'Asserted'}"
        if sdr is not None and evt.event_type == 1:
            line += self._threshold_reading(evt, sdr)
        elif evt.event_type == 0x6F:
            yield from self.get_oem()        # Supermicro and Quanta keep their own sensor breakdown
            if evt.sensor_type == 0x0C and evt.sensor_num == 0 and evt.event_data[0] & 0x30 == 0x20:
                line += f" | CPU {evt.event_data[2] & 0x0F} DIMM {evt.event_data[2] >> 4}"
        self.out.write(line + "\n")
        return line

    @staticmethod
    def _threshold_reading(evt: SelEvent, sdr) -> str:
        """The threshold part of a sel elist line: trigger reading and the threshold crossed."""
        full = sdr if isinstance(sdr, FullSensor) else None
        d = evt.event_data
        # ipmitool keeps these two in C floats: round through single precision before printing.
        trigger = _float32(convert_reading(full, d[1])) if full and d[0] >> 6 & 3 == 1 else 0.0
        text = f" | Reading {fmt_auto(trigger, 2)}"
        if d[0] >> 4 & 3 == 1:
            threshold = _float32(convert_reading(full, d[2])) if full else 0.0
            going_high = (d[0] & 0x0F) % 2 == 1     # Table 42-2: odd offsets are 'going high'
            if evt.event_dir:
                going_high = not going_high      # a deassertion reverses the inequality
            text += f" {'>' if going_high else '<'} Threshold {fmt_auto(threshold, 2)} {unit_of(sdr)}"
        return text

    # -- sel get ------------------------------------------------------------------------------------------

    def sel_get(self, ids: tuple[int, ...]):
        """ipmi_sel_show_entry: each entry verbosely, then its sensor and the entity's FRUs when found."""
        rc = 0
        for i, record_id in enumerate(ids):
            next_id, evt = yield from self.get_sel_entry(record_id)
            if not next_id:
                rc = -1
                continue
            if evt.sensor_num == 0 and evt.sensor_type == 0 and evt.record_type == 0:
                self.out.error(f"SEL Entry 0x{record_id:x} not found")
                rc = -1
                continue
            yield from self.print_extended_entry_verbose(evt)
            sdr = yield from self.find_sdr_bynumtype(evt.gen_id, evt.sensor_num, evt.sensor_type)
            if sdr is None:
                continue      # as ipmitool: no sensor shown, and no separator either
            if sdr.record_type == EVENT_ONLY_SENSOR:
                yield from self.print_verbose_entry(sdr)
            else:
                yield from (self._sensor_verbose_threshold(sdr) if sdr.is_threshold else
                            self._sensor_verbose_discrete(sdr))
            yield from self.print_entity_frus(sdr.entity_id, sdr.entity_instance)
            if len(ids) > 1 and i < len(ids) - 1:
                self.out.write("----------------------\n\n")
        self.out.data = {"ids": list(ids)}
        return rc

    def print_extended_entry_verbose(self, evt: SelEvent):
        """Generator: ipmi_sel_print_extended_entry_verbose (std_entry_verbose when no sensor record)."""
        out = self.out
        sdr = yield from self.find_sdr_bynumtype(evt.gen_id, evt.sensor_num, evt.sensor_type)
        if sdr is None:
            yield from self._std_entry_verbose(evt)
            return
        out.write(f"SEL Record ID          : {evt.record_id:04x}\n")
        out.write(f" Record Type           : {evt.record_type:02x}\n")
        if evt.record_type < 0xE0:
            out.write(f" Timestamp             : {_date_twice(evt.timestamp)}\n")
        out.write(f" Generator ID          : {evt.gen_id:04x}\n")
        out.write(f" EvM Revision          : {evt.evm_rev:02x}\n")
        out.write(f" Sensor Type           : {(yield from self.sensor_type_name(evt.sensor_type))}\n")
        out.write(f" Sensor Number         : {evt.sensor_num:02x}\n")
        out.write(f" Event Type            : {event_type_name(evt.event_type)}\n")
        out.write(f" Event Direction       : {EVENT_DIRECTIONS[evt.event_dir]}\n")
        out.write(f" Event Data (RAW)      : {evt.event_data.hex()}\n")
        out.write(self._event_data_breakdown(evt, sdr))
        desc = yield from self._event_desc(evt)
        out.write(f" Description           : {desc or ''}\n\n")

    @staticmethod
    def _event_data_breakdown(evt: SelEvent, sdr) -> str:
        d, t = evt.event_data, evt.event_type
        if t == 1 and isinstance(sdr, FullSensor):
            text = ""
            kinds2 = {1: None, 2: " OEM Data              : %02x\n", 3: " Sensor Extension Code : %02x\n"}
            k = d[0] >> 6 & 3
            if k == 1:
                text += f" Trigger Reading       : {convert_reading(sdr, d[1]):.3f}{unit_of(sdr)}\n"
            elif k in kinds2:
                text += kinds2[k] % d[1]
            k = d[0] >> 4 & 3
            if k == 1:
                text += f" Trigger Threshold     : {convert_reading(sdr, d[2]):.3f}{unit_of(sdr)}\n"
            elif k in kinds2:
                text += kinds2[k] % d[2]
            return text
        if t == 1 or 0x02 <= t <= 0x0C or 0x70 <= t <= 0x7F:
            return ""
        if t == 0x6F:
            if evt.sensor_type == 0x0C and evt.sensor_num == 0 and d[0] & 0x30 == 0x20:
                return f" Event Data            : CPU {d[2] & 0x0F} DIMM {d[2] >> 4}\n"
            if evt.sensor_type == 0x2B and d[0] == 0xC1:
                return ""
            return " Event Interpretation  : Missing\n"
        return f" Event Data            : {d.hex()}\n"

    def _std_entry_verbose(self, evt: SelEvent):
        """Generator: ipmi_sel_print_std_entry_verbose."""
        out = self.out
        out.write(f"SEL Record ID          : {evt.record_id:04x}\n")
        if evt.record_type == LINUX_PANIC:
            out.write(f" Record Type           : Linux kernel panic (OEM record {evt.record_type:02x})\n")
            out.write(f" Panic string          : {evt.raw[5:16].split(bytes(1))[0].decode('latin-1')}\n\n")
            return
        kind = "" if evt.standard else "  (OEM timestamped)" if evt.record_type < 0xE0 else "  (OEM non-timestamped)"
        out.write(f" Record Type           : {evt.record_type:02x}{kind}\n")
        if evt.record_type < 0xE0:
            out.write(f" Timestamp             : {_date_twice(evt.timestamp)}\n")
        if not evt.standard:
            oem = evt.raw[10:16] if evt.record_type <= 0xDF else evt.raw[3:16]
            if evt.record_type <= 0xDF:
                out.write(f" Manufactacturer ID    : {evt.raw[9]:02x}{evt.raw[8]:02x}{evt.raw[7]:02x}\n")
            out.write(f" OEM Defined           : {oem.hex()} [{_hex2ascii(oem)}]\n\n")
            return
        out.write(f" Generator ID          : {evt.gen_id:04x}\n")
        out.write(f" EvM Revision          : {evt.evm_rev:02x}\n")
        out.write(f" Sensor Type           : {(yield from self.sensor_type_name(evt.sensor_type))}\n")
        out.write(f" Sensor Number         : {evt.sensor_num:02x}\n")
        out.write(f" Event Type            : {event_type_name(evt.event_type)}\n")
        out.write(f" Event Direction       : {EVENT_DIRECTIONS[evt.event_dir]}\n")
        out.write(f" Event Data            : {evt.event_data.hex()}\n")
        desc = yield from self._event_desc(evt)
        out.write(f" Description           : {desc or ''}\n\n")


def _float32(value: float) -> float:
    try:
        return struct.unpack("<f", struct.pack("<f", value))[0]
    except OverflowError:
        return float("inf") if value > 0 else float("-inf")


def _date_twice(stamp: int) -> str:
    """``printf("%s %s", ipmi_timestamp_date(t), ipmi_timestamp_time(t))``: both return one static buffer,
    and the date (evaluated last) is what it holds when printf reads it, so ipmitool shows the date twice."""
    date = timestamp_date(stamp)
    return f"{date} {date}" if stamp != 0xFFFFFFFF else f"{date} {timestamp_time(stamp)}"


def _hex2ascii(data: bytes) -> str:
    """ipmi_sel.c hex2ascii: bytes 40h-7Eh as they are, the rest (digits and spaces too) as dots."""
    return "".join(chr(b) if 0x40 <= b <= 0x7E else "." for b in data)
