"""Sensor Data Records the BMC builds for its sensors and devices (IPMI 2.0 chapter 43).

Each record type is a dataclass with ``pack() -> bytes`` (the whole record,
5-byte header included, record id 0000h until a repository assigns one)
and ``unpack(bytes)``; ``parse_sdr`` picks the class from the header.  Byte
positions below are 0-based offsets into the whole record (the spec counts
from 1).

- Full Sensor Record (01h, Table 43-1): 48 bytes + ID string;
- Compact Sensor Record (02h, Table 43-2): 32 + ID string;
- Event-Only Record (03h, Table 43-3): 17 + ID string;
- FRU Device Locator (11h, Table 43-7) and Management Controller Device
  Locator (12h, Table 43-8): 16 + ID string.

ID strings are 8-bit ASCII (type/length 11b, at most 16 bytes).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .conversion import Linear

SDR_VERSION = 0x51
FULL_SENSOR, COMPACT_SENSOR, EVENT_ONLY = 0x01, 0x02, 0x03
FRU_DEVICE_LOCATOR, MC_DEVICE_LOCATOR = 0x11, 0x12
HEADER_LEN = 5
MAX_ID = 16
ID_ASCII8 = 0xC0                  # type/length bits 7:6 = 11b: 8-bit ASCII + Latin-1
THRESHOLD_NAMES = ("lnc", "lcr", "lnr", "unc", "ucr", "unr")   # mask bit order (Get Sensor Threshold)
_FULL_THRESHOLD_BYTE = {"unr": 36, "ucr": 37, "unc": 38, "lnr": 39, "lcr": 40, "lnc": 41}


def id_string(name: str) -> bytes:
    """Type/length byte + the name as 8-bit ASCII; ValueError names the bad name."""
    try:
        raw = name.encode("latin-1")
    except UnicodeEncodeError:
        raise ValueError(f"ID string {name!r} is not 8-bit ASCII/Latin-1") from None
    if len(raw) > MAX_ID:
        raise ValueError(f"ID string {name!r} is {len(raw)} bytes; at most {MAX_ID}")
    return bytes((ID_ASCII8 | len(raw),)) + raw


def read_id_string(data: bytes, at: int) -> str:
    tl = data[at]
    raw = data[at + 1: at + 1 + (tl & 0x1F)]
    return raw.decode("latin-1") if tl >> 6 == 3 else raw.hex()


def _header(record_type: int, body: bytes, record_id: int = 0) -> bytes:
    if len(body) > 255:
        raise ValueError(f"SDR body of {len(body)} bytes exceeds 255")
    return bytes((record_id & 0xFF, record_id >> 8, SDR_VERSION, record_type, len(body))) + body


def _le16(v: int) -> bytes:
    return bytes((v & 0xFF, v >> 8 & 0xFF))


def _check(record: bytes, record_type: int, minimum: int) -> None:
    if len(record) < HEADER_LEN or record[3] != record_type:
        raise ValueError(f"not an SDR of type 0x{record_type:02X}: {record[:5].hex(' ')}")
    if len(record) != HEADER_LEN + record[4] or len(record) < minimum:
        raise ValueError(f"SDR type 0x{record_type:02X} of {len(record)} bytes declares {HEADER_LEN + record[4]} "
                         f"(at least {minimum})")


@dataclass
class SensorKey:
    """Owner, LUN and number: which sensor a record describes (bytes 5-7 of sensor records)."""

    number: int
    owner: int = 0x20
    lun: int = 0
    channel: int = 0

    def pack(self) -> bytes:
        for name, v, hi in (("number", self.number, 0xFF), ("owner", self.owner, 0xFF), ("lun", self.lun, 3),
                            ("channel", self.channel, 0x0F)):
            if not 0 <= v <= hi:
                raise ValueError(f"sensor {name} {v!r} out of range 0-0x{hi:X}")
        return bytes((self.owner, self.channel << 4 | self.lun, self.number))


@dataclass
class CompactSensorRecord:
    """Compact Sensor Record (02h): a sensor without conversion factors (discrete sensors, mostly)."""

    number: int
    name: str
    sensor_type: int
    reading_type: int
    owner: int = 0x20
    lun: int = 0
    channel: int = 0
    entity_id: int = 0x07
    entity_instance: int = 1
    init: int = 0x63               # init scanning + events; events and scanning enabled at power up
    capabilities: int = 0x40       # auto re-arm, no hysteresis/thresholds, per-state event control
    assertion_mask: int = 0
    deassertion_mask: int = 0
    reading_mask: int = 0
    units1: int = 0xC0             # no analog reading
    base_unit: int = 0
    modifier_unit: int = 0
    share: int = 0x01              # sensor direction, ID instance modifier type, share count (1)
    share2: int = 0x00
    positive_hysteresis: int = 0
    negative_hysteresis: int = 0
    oem: int = 0
    record_id: int = 0
    record_type = COMPACT_SENSOR

    def pack(self) -> bytes:
        body = (SensorKey(self.number, self.owner, self.lun, self.channel).pack()
                + bytes((self.entity_id, self.entity_instance, self.init, self.capabilities, self.sensor_type,
                         self.reading_type))
                + _le16(self.assertion_mask) + _le16(self.deassertion_mask) + _le16(self.reading_mask)
                + bytes((self.units1, self.base_unit, self.modifier_unit, self.share, self.share2,
                         self.positive_hysteresis, self.negative_hysteresis, 0, 0, 0, self.oem))
                + id_string(self.name))
        return _header(COMPACT_SENSOR, body, self.record_id)

    @classmethod
    def unpack(cls, r: bytes) -> CompactSensorRecord:
        _check(r, COMPACT_SENSOR, 32)
        return cls(number=r[7], name=read_id_string(r, 31), sensor_type=r[12], reading_type=r[13], owner=r[5],
                   lun=r[6] & 3, channel=r[6] >> 4, entity_id=r[8], entity_instance=r[9], init=r[10],
                   capabilities=r[11], assertion_mask=r[14] | r[15] << 8, deassertion_mask=r[16] | r[17] << 8,
                   reading_mask=r[18] | r[19] << 8, units1=r[20], base_unit=r[21], modifier_unit=r[22],
                   share=r[23], share2=r[24], positive_hysteresis=r[25], negative_hysteresis=r[26], oem=r[30],
                   record_id=r[0] | r[1] << 8)


@dataclass
class FullSensorRecord:
    """Full Sensor Record (01h): conversion factors, thresholds and hysteresis as raw bytes."""

    number: int
    name: str
    sensor_type: int
    reading_type: int
    linear: Linear = field(default_factory=Linear)
    owner: int = 0x20
    lun: int = 0
    channel: int = 0
    entity_id: int = 0x07
    entity_instance: int = 1
    init: int = 0x7F
    capabilities: int = 0x68       # auto re-arm, hysteresis and thresholds readable+settable, per-threshold
    assertion_mask: int = 0        # threshold sensors: bits 11:0 events, 14:12 lower thresholds compared
    deassertion_mask: int = 0      # threshold sensors: bits 11:0 events, 14:12 upper thresholds compared
    reading_mask: int = 0          # threshold sensors: bits 5:0 readable, 13:8 settable thresholds
    rate_unit: int = 0
    modifier: int = 0              # Sensor Units 1 bits 2:1: 0 none, 1 base/modifier, 2 base*modifier
    percentage: bool = False
    base_unit: int = 0
    modifier_unit: int = 0
    linearization: int = 0
    direction: int = 0
    analog_flags: int = 0          # bit 0 nominal, 1 normal max, 2 normal min given
    nominal: int = 0               # raw bytes from here on
    normal_max: int = 0
    normal_min: int = 0
    sensor_max: int = 0xFF
    sensor_min: int = 0x00
    thresholds: dict[str, int] = field(default_factory=dict)   # name -> raw byte
    positive_hysteresis: int = 0
    negative_hysteresis: int = 0
    oem: int = 0
    record_id: int = 0
    record_type = FULL_SENSOR

    @property
    def units1(self) -> int:
        return (self.linear.analog_format << 6 | self.rate_unit << 3 | self.modifier << 1
                | int(self.percentage))

    def pack(self) -> bytes:
        th = [self.thresholds.get(n, 0) for n in ("unr", "ucr", "unc", "lnr", "lcr", "lnc")]
        body = (SensorKey(self.number, self.owner, self.lun, self.channel).pack()
                + bytes((self.entity_id, self.entity_instance, self.init, self.capabilities, self.sensor_type,
                         self.reading_type))
                + _le16(self.assertion_mask) + _le16(self.deassertion_mask) + _le16(self.reading_mask)
                + bytes((self.units1, self.base_unit, self.modifier_unit, self.linearization))
                + self.linear.factor_bytes(self.direction)
                + bytes((self.analog_flags, self.nominal, self.normal_max, self.normal_min, self.sensor_max,
                         self.sensor_min, *th, self.positive_hysteresis, self.negative_hysteresis, 0, 0, self.oem))
                + id_string(self.name))
        return _header(FULL_SENSOR, body, self.record_id)

    @classmethod
    def unpack(cls, r: bytes) -> FullSensorRecord:
        _check(r, FULL_SENSOR, 48)
        units1 = r[20]
        lin = Linear.from_factor_bytes(r[24:30], analog_format=min(units1 >> 6, 2))
        return cls(number=r[7], name=read_id_string(r, 47), sensor_type=r[12], reading_type=r[13], linear=lin,
                   owner=r[5], lun=r[6] & 3, channel=r[6] >> 4, entity_id=r[8], entity_instance=r[9], init=r[10],
                   capabilities=r[11], assertion_mask=r[14] | r[15] << 8, deassertion_mask=r[16] | r[17] << 8,
                   reading_mask=r[18] | r[19] << 8, rate_unit=units1 >> 3 & 7, modifier=units1 >> 1 & 3,
                   percentage=bool(units1 & 1), base_unit=r[21], modifier_unit=r[22], linearization=r[23] & 0x7F,
                   direction=r[28] & 3, analog_flags=r[30], nominal=r[31], normal_max=r[32], normal_min=r[33],
                   sensor_max=r[34], sensor_min=r[35],
                   thresholds={n: r[at] for n, at in _FULL_THRESHOLD_BYTE.items()},
                   positive_hysteresis=r[42], negative_hysteresis=r[43], oem=r[46], record_id=r[0] | r[1] << 8)


@dataclass
class EventOnlyRecord:
    """Event-Only Record (03h): a sensor that only generates events, with no reading."""

    number: int
    name: str
    sensor_type: int
    reading_type: int
    owner: int = 0x20
    lun: int = 0
    channel: int = 0
    entity_id: int = 0x07
    entity_instance: int = 1
    share: int = 0x01
    share2: int = 0x00
    oem: int = 0
    record_id: int = 0
    record_type = EVENT_ONLY

    def pack(self) -> bytes:
        body = (SensorKey(self.number, self.owner, self.lun, self.channel).pack()
                + bytes((self.entity_id, self.entity_instance, self.sensor_type, self.reading_type, self.share,
                         self.share2, 0, self.oem))
                + id_string(self.name))
        return _header(EVENT_ONLY, body, self.record_id)

    @classmethod
    def unpack(cls, r: bytes) -> EventOnlyRecord:
        _check(r, EVENT_ONLY, 17)
        return cls(number=r[7], name=read_id_string(r, 16), sensor_type=r[10], reading_type=r[11], owner=r[5],
                   lun=r[6] & 3, channel=r[6] >> 4, entity_id=r[8], entity_instance=r[9], share=r[12],
                   share2=r[13], oem=r[15], record_id=r[0] | r[1] << 8)


@dataclass
class FruDeviceLocator:
    """FRU Device Locator (11h): where a FRU inventory device is; logical FRUs are read with Read FRU Data."""

    fru_id: int
    name: str
    access_address: int = 0x20     # the controller that answers Read FRU Data (8-bit address)
    logical: bool = True
    access_lun: int = 0
    private_bus: int = 0
    channel: int = 0
    device_type: int = 0x10        # "IPMI FRU inventory"
    device_type_modifier: int = 0x00
    entity_id: int = 0x07
    entity_instance: int = 1
    oem: int = 0
    record_id: int = 0
    record_type = FRU_DEVICE_LOCATOR

    def pack(self) -> bytes:
        body = bytes((self.access_address, self.fru_id,
                      self.logical << 7 | (self.access_lun & 3) << 3 | (self.private_bus & 7),
                      (self.channel & 0x0F) << 4, 0, self.device_type, self.device_type_modifier, self.entity_id,
                      self.entity_instance, self.oem)) + id_string(self.name)
        return _header(FRU_DEVICE_LOCATOR, body, self.record_id)

    @classmethod
    def unpack(cls, r: bytes) -> FruDeviceLocator:
        _check(r, FRU_DEVICE_LOCATOR, 16)
        return cls(fru_id=r[6], name=read_id_string(r, 15), access_address=r[5], logical=bool(r[7] & 0x80),
                   access_lun=r[7] >> 3 & 3, private_bus=r[7] & 7, channel=r[8] >> 4, device_type=r[10],
                   device_type_modifier=r[11], entity_id=r[12], entity_instance=r[13], oem=r[14],
                   record_id=r[0] | r[1] << 8)


@dataclass
class McDeviceLocator:
    """Management Controller Device Locator (12h): a controller and what it provides."""

    name: str
    address: int = 0x20
    channel: int = 0
    power_state: int = 0x00        # ACPI notification bits, global initialization 00b: enable event generation
    capabilities: int = 0x2F       # IPMB event generator, SEL, SDR repository, FRU inventory, sensor device
    entity_id: int = 0x06          # "system management module"
    entity_instance: int = 1
    oem: int = 0
    record_id: int = 0
    record_type = MC_DEVICE_LOCATOR

    def pack(self) -> bytes:
        body = bytes((self.address, self.channel & 0x0F, self.power_state, self.capabilities, 0, 0, 0,
                      self.entity_id, self.entity_instance, self.oem)) + id_string(self.name)
        return _header(MC_DEVICE_LOCATOR, body, self.record_id)

    @classmethod
    def unpack(cls, r: bytes) -> McDeviceLocator:
        _check(r, MC_DEVICE_LOCATOR, 16)
        return cls(name=read_id_string(r, 15), address=r[5], channel=r[6] & 0x0F, power_state=r[7],
                   capabilities=r[8], entity_id=r[12], entity_instance=r[13], oem=r[14], record_id=r[0] | r[1] << 8)


RECORD_CLASSES = {c.record_type: c for c in (FullSensorRecord, CompactSensorRecord, EventOnlyRecord,
                                             FruDeviceLocator, McDeviceLocator)}


def parse_sdr(record: bytes):
    """The dataclass for a whole record; ValueError for types not listed above or bad lengths."""
    if len(record) < HEADER_LEN:
        raise ValueError(f"SDR of {len(record)} bytes has no header")
    cls = RECORD_CLASSES.get(record[3])
    if cls is None:
        raise ValueError(f"SDR record type 0x{record[3]:02X} is not one this BMC builds")
    return cls.unpack(bytes(record))


def record_key(record: bytes) -> tuple | None:
    """What a record describes, to find the repository's copy: sensors by (owner, LUN, number),
    locators by address and FRU id / channel; None for other types."""
    if len(record) < 8:
        return None
    rtype = record[3]
    if rtype in (FULL_SENSOR, COMPACT_SENSOR, EVENT_ONLY):
        return ("sensor", record[5], record[6] & 3, record[7])
    if rtype == FRU_DEVICE_LOCATOR:
        return ("fru", record[5], record[6], record[7] >> 7)
    if rtype == MC_DEVICE_LOCATOR:
        return ("mc", record[5], record[6] & 0x0F)
    return None
