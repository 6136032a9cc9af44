"""What ipmitool's C helpers print: value strings, timestamps, numbers, units and event texts.

Each function names the ipmitool 1.8.19 helper it mirrors, so a format
question is answered by reading one C function.  The simulated host's clock
zone is UTC (as in the test guest, where ``TZ`` is unset): ipmitool prints
local time, and local time there is UTC.
"""

from __future__ import annotations

import time

from .ipmitool_tables import (
    COMPLETION_CODE_VALS,
    GENERIC_EVENT_TYPES,
    SENSOR_SPECIFIC_EVENT_TYPES,
    SENSOR_TYPE_VALS,
    UNIT_DESC,
)

IPMI_TIME_UNSPECIFIED = 0xFFFFFFFF
IPMI_TIME_INIT_DONE = 0x20000000      # below: seconds since the BMC started, not since 1970
SECONDS_A_DAY = 24 * 60 * 60
ALL_OFFSETS_SPECIFIED = 0xFF


def unknown_val_str(val: int) -> str:
    """helper.c unknown_val_str: what val2str prints for a value missing from its table."""
    return f"Unknown (0x{val:02X})"


def cc_string(cc: int) -> str:
    """val2str(ccode, completion_code_vals)."""
    return COMPLETION_CODE_VALS.get(cc, unknown_val_str(cc))


def buf2str(data: bytes) -> str:
    """helper.c buf2str: lower-case hex, no separators."""
    return bytes(data).hex()


def prec(value: float, digits: int) -> int:
    """The ``%.*f`` precision ipmitool picks: none for a whole number (``v == (int) v``), else ``digits``."""
    return 0 if value == int(value) else digits


def fmt_auto(value: float, digits: int) -> str:
    return f"{value:.{prec(value, digits)}f}"


# -- ipmi_time.c ---------------------------------------------------------------------------------


def _strftime(fmt: str, stamp: int) -> str:
    """ipmi_strftime: "Unknown" for the unspecified stamp, else the stamp in the host's zone (UTC)."""
    if stamp == IPMI_TIME_UNSPECIFIED:
        return "Unknown"
    return time.strftime(fmt.replace("%Z", "UTC"), time.gmtime(stamp))


def _is_valid(stamp: int) -> bool:
    return stamp != IPMI_TIME_UNSPECIFIED


def _is_special(stamp: int) -> bool:
    return stamp < IPMI_TIME_INIT_DONE


def timestamp_string(stamp: int) -> str:
    """ipmi_timestamp_string: ``%c %Z`` (C locale: ``Mon Jan 15 08:30:00 2024 UTC``)."""
    if not _is_valid(stamp):
        return "Unspecified"
    if _is_special(stamp):
        return _strftime("S+ %H:%M:%S" if stamp < SECONDS_A_DAY else "S+ %y years %j days %H:%M:%S", stamp)
    return _strftime("%a %b %e %H:%M:%S %Y %Z", stamp)


def timestamp_numeric(stamp: int) -> str:
    """ipmi_timestamp_numeric: ``%x %X %Z`` (``12/07/26 15:30:21 UTC``)."""
    if not _is_valid(stamp):
        return "Unspecified"
    if _is_special(stamp):
        return _strftime("S+ %H:%M:%S" if stamp < SECONDS_A_DAY else "S+ %y/%j %H:%M:%S", stamp)
    return _strftime("%m/%d/%y %H:%M:%S %Z", stamp)


def timestamp_date(stamp: int) -> str:
    """ipmi_timestamp_date: ``%x``."""
    if not _is_valid(stamp):
        return "Unspecified"
    return _strftime("S+ %y/%j" if _is_special(stamp) else "%m/%d/%y", stamp)


def timestamp_time(stamp: int) -> str:
    """ipmi_timestamp_time: ``%X %Z``."""
    if not _is_valid(stamp):
        return "Unspecified"
    return _strftime("%H:%M:%S %Z", stamp)


# -- names ---------------------------------------------------------------------------------------------


def generic_sensor_type(code: int) -> str:
    """ipmi_get_generic_sensor_type, with ipmi_get_sensor_type's "Unknown" for a missing name."""
    return SENSOR_TYPE_VALS[code] if code < len(SENSOR_TYPE_VALS) else "Unknown"


def unit_string(pct: bool, relation: int, base: int, modifier: int) -> str:
    """ipmi_sdr_get_unit_string: ``% `` prefix, base unit, ``*`` or ``/`` modifier unit; no rate."""
    pctstr = "% " if pct else ""
    basestr = UNIT_DESC[base] if base < len(UNIT_DESC) else "invalid"
    modstr = UNIT_DESC[modifier] if modifier < len(UNIT_DESC) else "invalid"
    if relation == 2:
        return f"{pctstr}{basestr}*{modstr}"
    if relation == 1:
        return f"{pctstr}{basestr}/{modstr}"
    if base == 0 and pct:
        return "percent"
    return f"{pctstr}{basestr}"


def event_types(sensor_type: int, event_type: int) -> list[tuple[int, int, int, str]]:
    """ipmi_get_first/next_event_sensor_type: the table rows for this sensor type (6Fh) or event type."""
    if event_type == 0x6F:
        return [row for row in SENSOR_SPECIFIC_EVENT_TYPES if row[0] == sensor_type]
    return [row for row in GENERIC_EVENT_TYPES if row[0] == event_type]


def event_description(sensor_type: int, event_type: int, event_data: bytes) -> str | None:
    """ipmi_get_event_desc's table lookup: the row for the offset (and data byte 2 when it qualifies)."""
    if 0x70 <= event_type < 0x7F:
        return None      # OEM event types: a vendor decoder's business, none for an unknown vendor
    offset = event_data[0] & 0x0F
    for _code, off, data, desc in event_types(sensor_type, event_type):
        if off == offset and desc and (data == ALL_OFFSETS_SPECIFIED or (event_data[0] & 0xC0 and
                                                                          data == event_data[1])):
            return desc
    return None


def event_type_name(code: int) -> str:
    """ipmi_get_event_type."""
    if code == 0:
        return "Unspecified"
    if code == 1:
        return "Threshold"
    if 0x02 <= code <= 0x0B:
        return "Generic Discrete"
    if code == 0x6F:
        return "Sensor-specific Discrete"
    if 0x70 <= code <= 0x7F:
        return "OEM"
    return "Reserved"
