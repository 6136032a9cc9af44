"""Sensor Data Records as a host tool reads them (IPMI 2.0 chapter 43), and reading conversion (36.3).

``decode_sdr(record)`` takes one whole record (5-byte header + body) and
returns a ``FullSensor``, ``CompactSensor``, ``EventOnlySensor``,
``FruLocator``, ``McLocator`` or ``OtherRecord``.  Bad bytes raise
``ValueError`` naming the record id, the field and the value.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from .names import RATE_UNITS, sensor_type_name, unit_name

FULL_SENSOR = 0x01
COMPACT_SENSOR = 0x02
EVENT_ONLY_SENSOR = 0x03
FRU_DEVICE_LOCATOR = 0x11
MC_DEVICE_LOCATOR = 0x12

HEADER_LEN = 5
THRESHOLD_READING = 0x01   # event/reading type code of threshold sensors

# Threshold names in mask bit order (bit 0 = lower non-critical), as Get Sensor Thresholds orders them.
THRESHOLDS = ("lnc", "lcr", "lnr", "unc", "ucr", "unr")
# Where each threshold sits in a full SDR (byte offsets from the record start, 0-based).
_FULL_THRESHOLD_AT = {"unr": 36, "ucr": 37, "unc": 38, "lnr": 39, "lcr": 40, "lnc": 41}

# Linearization functions (Table 43-1, byte 24): L[y].
LINEARIZATION = {
    0: lambda y: y, 1: math.log, 2: math.log10, 3: math.log2, 4: math.exp, 5: lambda y: 10 ** y,
    6: lambda y: 2 ** y, 7: lambda y: 1 / y, 8: lambda y: y * y, 9: lambda y: y ** 3, 10: math.sqrt,
    11: lambda y: math.copysign(abs(y) ** (1 / 3), y),
}


def _signed(value: int, bits: int) -> int:
    return value - (1 << bits) if value & (1 << (bits - 1)) else value


def decode_typed(kind: int, raw: bytes) -> str:
    """A typed string (SDR ID strings, FRU fields): type 3 8-bit ASCII/Latin-1, 2 6-bit packed ASCII,
    1 BCD plus, 0 binary (shown as hex)."""
    if kind == 3:
        return raw.decode("latin-1").rstrip("\x00")
    if kind == 1:
        return "".join("0123456789 -.:,_"[b >> s & 0x0F] for b in raw for s in (4, 0))
    if kind == 2:
        bits = int.from_bytes(raw, "little")
        return "".join(chr((bits >> (6 * i) & 0x3F) + 0x20) for i in range(len(raw) * 8 // 6)).rstrip()
    return raw.hex()


def decode_id_string(type_length: int, raw: bytes) -> str:
    """An SDR ID string: type in bits 7:6, length (at most 16) in bits 4:0 (section 43.15)."""
    return decode_typed(type_length >> 6, raw[:type_length & 0x1F])


@dataclass
class SdrRecord:
    """What every record has: its id, SDR version, type and bytes."""

    record_id: int
    version: int
    record_type: int
    raw: bytes = field(repr=False)
    name: str = ""


@dataclass
class SensorRecord(SdrRecord):
    owner_id: int = 0x20
    owner_lun: int = 0
    number: int = 0
    entity_id: int = 0
    entity_instance: int = 0
    initialization: int = 0
    capabilities: int = 0
    sensor_type: int = 0
    reading_type: int = 0
    assertion_mask: int = 0
    deassertion_mask: int = 0
    reading_mask: int = 0
    units1: int = 0
    base_unit: int = 0
    modifier_unit: int = 0
    positive_hysteresis: int = 0
    negative_hysteresis: int = 0

    @property
    def is_threshold(self) -> bool:
        return self.reading_type == THRESHOLD_READING

    @property
    def sensor_type_name(self) -> str:
        return sensor_type_name(self.sensor_type)

    @property
    def analog_format(self) -> int:
        """Sensor Units 1 bits 7:6: 0 unsigned, 1 one's complement, 2 two's complement, 3 no analog reading."""
        return self.units1 >> 6

    @property
    def units(self) -> str:
        """The unit text ipmitool prints: base unit, "/" or "*" modifier, rate, percentage."""
        if self.units1 & 0x01:
            return "percent"
        text = unit_name(self.base_unit)
        modifier = self.units1 >> 1 & 0x03
        if modifier == 1:
            text += f"/{unit_name(self.modifier_unit)}"
        elif modifier == 2:
            text += f"*{unit_name(self.modifier_unit)}"
        return text + RATE_UNITS[self.units1 >> 3 & 0x07]

    @property
    def readable_thresholds(self) -> tuple[str, ...]:
        """Thresholds the reading mask says are readable (threshold sensors only)."""
        if not self.is_threshold:
            return ()
        return tuple(name for bit, name in enumerate(THRESHOLDS) if self.reading_mask >> bit & 1)

    @property
    def has_analog_reading(self) -> bool:
        return False

    def convert(self, raw: int) -> float | None:
        return None


@dataclass
class FullSensor(SensorRecord):
    linearization: int = 0
    m: int = 1
    b: int = 0
    tolerance: int = 0
    accuracy: int = 0
    r_exp: int = 0
    b_exp: int = 0
    analog_flags: int = 0
    nominal: int = 0
    normal_max: int = 0
    normal_min: int = 0
    sensor_max: int = 0xFF
    sensor_min: int = 0
    threshold_raw: dict[str, int] = field(default_factory=dict)

    @property
    def has_analog_reading(self) -> bool:
        # Threshold sensors with an analog format report a converted number; discrete ones report states.
        return self.analog_format != 3 and self.linearization <= 11

    def signed_raw(self, raw: int) -> int:
        fmt = self.analog_format
        if fmt == 1:
            return raw - 0xFF if raw & 0x80 else raw   # one's complement: 0xFF is -0
        if fmt == 2:
            return _signed(raw, 8)
        return raw

    def convert(self, raw: int) -> float | None:
        """y = L[(M*x + B*10^Bexp) * 10^Rexp] (section 36.3)."""
        if not self.has_analog_reading:
            return None
        x = self.signed_raw(raw & 0xFF)
        y = (self.m * x + self.b * 10.0 ** self.b_exp) * 10.0 ** self.r_exp
        try:
            return LINEARIZATION[self.linearization](y)
        except (ValueError, ZeroDivisionError, OverflowError):
            return None

    def convert_hysteresis(self, raw: int) -> float | None:
        """Hysteresis is a raw difference: M*x*10^Rexp, without the offset B."""
        if not self.has_analog_reading:
            return None
        return self.m * raw * 10.0 ** self.r_exp

    @property
    def thresholds(self) -> dict[str, float | None]:
        """The SDR's readable thresholds, converted."""
        return {name: self.convert(self.threshold_raw[name]) for name in self.readable_thresholds}


@dataclass
class CompactSensor(SensorRecord):
    share_count: int = 1


@dataclass
class EventOnlySensor(SdrRecord):
    owner_id: int = 0x20
    owner_lun: int = 0
    number: int = 0
    entity_id: int = 0
    entity_instance: int = 0
    sensor_type: int = 0
    reading_type: int = 0


@dataclass
class FruLocator(SdrRecord):
    device_address: int = 0
    fru_device_id: int = 0
    logical: bool = True
    channel: int = 0
    device_type: int = 0
    entity_id: int = 0
    entity_instance: int = 0


@dataclass
class McLocator(SdrRecord):
    slave_address: int = 0
    channel: int = 0
    capabilities: int = 0
    entity_id: int = 0
    entity_instance: int = 0


@dataclass
class OtherRecord(SdrRecord):
    pass


def _need(rec: bytes, n: int, record_id: int, what: str) -> None:
    if len(rec) < n:
        raise ValueError(f"SDR 0x{record_id:04X} ({what}): length {len(rec)} too short, need {n} bytes")


def _id_string(rec: bytes, at: int) -> str:
    if len(rec) <= at:
        return ""
    return decode_id_string(rec[at], rec[at + 1:])


def _sensor_common(rec: bytes) -> dict:
    return dict(
        owner_id=rec[5], owner_lun=rec[6] & 0x03, number=rec[7], entity_id=rec[8], entity_instance=rec[9] & 0x7F,
        initialization=rec[10], capabilities=rec[11], sensor_type=rec[12], reading_type=rec[13],
        assertion_mask=rec[14] | rec[15] << 8, deassertion_mask=rec[16] | rec[17] << 8,
        reading_mask=rec[18] | rec[19] << 8, units1=rec[20], base_unit=rec[21], modifier_unit=rec[22],
    )


def decode_sdr(rec: bytes) -> SdrRecord:
    """One whole record (header and body) -> its decoded form."""
    rec = bytes(rec)
    if len(rec) < HEADER_LEN:
        raise ValueError(f"SDR length {len(rec)} too short for the 5-byte header")
    record_id = rec[0] | rec[1] << 8
    version, kind, length = rec[2], rec[3], rec[4]
    if len(rec) != HEADER_LEN + length:
        raise ValueError(f"SDR 0x{record_id:04X}: record length field {length} but {len(rec) - HEADER_LEN} "
                         "body bytes")
    head = dict(record_id=record_id, version=version, record_type=kind, raw=rec)
    if kind == FULL_SENSOR:
        _need(rec, 48, record_id, "full sensor record")
        m = rec[24] | (rec[25] >> 6) << 8
        b = rec[26] | (rec[27] >> 6) << 8
        return FullSensor(
            **head, name=_id_string(rec, 47), **_sensor_common(rec),
            linearization=rec[23] & 0x7F, m=_signed(m, 10), tolerance=rec[25] & 0x3F, b=_signed(b, 10),
            accuracy=(rec[27] & 0x3F) | (rec[28] >> 4) << 6, r_exp=_signed(rec[29] >> 4, 4),
            b_exp=_signed(rec[29] & 0x0F, 4), analog_flags=rec[30], nominal=rec[31], normal_max=rec[32],
            normal_min=rec[33], sensor_max=rec[34], sensor_min=rec[35],
            threshold_raw={name: rec[at] for name, at in _FULL_THRESHOLD_AT.items()},
            positive_hysteresis=rec[42], negative_hysteresis=rec[43],
        )
    if kind == COMPACT_SENSOR:
        _need(rec, 32, record_id, "compact sensor record")
        return CompactSensor(**head, name=_id_string(rec, 31), **_sensor_common(rec),
                             share_count=max(1, rec[23] & 0x0F), positive_hysteresis=rec[25],
                             negative_hysteresis=rec[26])
    if kind == EVENT_ONLY_SENSOR:
        _need(rec, 17, record_id, "event-only record")
        return EventOnlySensor(**head, name=_id_string(rec, 16), owner_id=rec[5], owner_lun=rec[6] & 0x03,
                               number=rec[7], entity_id=rec[8], entity_instance=rec[9] & 0x7F, sensor_type=rec[10],
                               reading_type=rec[11])
    if kind == FRU_DEVICE_LOCATOR:
        _need(rec, 16, record_id, "FRU device locator")
        return FruLocator(**head, name=_id_string(rec, 15), device_address=rec[5], fru_device_id=rec[6],
                          logical=bool(rec[7] & 0x80), channel=rec[8] >> 4, device_type=rec[10],
                          entity_id=rec[12], entity_instance=rec[13])
    if kind == MC_DEVICE_LOCATOR:
        _need(rec, 16, record_id, "management controller device locator")
        return McLocator(**head, name=_id_string(rec, 15), slave_address=rec[5], channel=rec[6] & 0x0F,
                         capabilities=rec[8], entity_id=rec[12], entity_instance=rec[13])
    return OtherRecord(**head)
