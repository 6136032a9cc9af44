"""SEL records as a host tool reads them (IPMI 2.0 section 32) and the Get SEL Info answer (31.2)."""

from __future__ import annotations

from dataclasses import dataclass, field

from .cfmt import event_description
from .names import sensor_type_name

SEL_RECORD_LEN = 16
SYSTEM_EVENT = 0x02
# Timestamps up to this value count seconds since system initialisation, not since 1970 (section 37).
PRE_INIT_MAX = 0x20000000
UNSPECIFIED_TIMESTAMP = 0xFFFFFFFF


@dataclass
class SelEntry:
    record_id: int
    record_type: int
    raw: bytes = field(repr=False)
    timestamp: int | None = None
    generator_id: int = 0
    evm_rev: int = 0
    sensor_type: int = 0
    sensor_number: int = 0
    deassertion: bool = False
    reading_type: int = 0
    event_data: bytes = b""
    manufacturer_id: int | None = None

    @property
    def offset(self) -> int:
        return self.event_data[0] & 0x0F if self.event_data else 0

    @property
    def description(self) -> str:
        if self.record_type != SYSTEM_EVENT:
            kind = "OEM timestamped" if self.record_type < 0xE0 else "OEM non-timestamped"
            return f"{kind} record type 0x{self.record_type:02X}"
        return event_description(self.sensor_type, self.reading_type, self.event_data) or ""

    @property
    def sensor(self) -> str:
        """``Temperature #0x01``: the sensor column of ``ipmitool sel list``."""
        if self.record_type != SYSTEM_EVENT:
            return "OEM record"
        return f"{sensor_type_name(self.sensor_type)} #0x{self.sensor_number:02x}"

    @property
    def direction(self) -> str:
        return "Deasserted" if self.deassertion else "Asserted"

    def as_dict(self) -> dict:
        d = {"record_id": self.record_id, "record_type": self.record_type, "raw": self.raw.hex()}
        if self.timestamp is not None:
            d["timestamp"] = self.timestamp
        if self.record_type == SYSTEM_EVENT:
            d.update(generator_id=self.generator_id, evm_rev=self.evm_rev, sensor_type=self.sensor_type,
                     sensor_type_name=sensor_type_name(self.sensor_type), sensor_number=self.sensor_number,
                     reading_type=self.reading_type, direction=self.direction, offset=self.offset,
                     event_data=self.event_data.hex(), description=self.description)
        return d


def decode_sel_entry(rec: bytes) -> SelEntry:
    rec = bytes(rec)
    if len(rec) != SEL_RECORD_LEN:
        raise ValueError(f"SEL record length {len(rec)}: a record is {SEL_RECORD_LEN} bytes")
    record_id = rec[0] | rec[1] << 8
    kind = rec[2]
    ts = int.from_bytes(rec[3:7], "little")
    if kind == SYSTEM_EVENT:
        return SelEntry(record_id, kind, rec, timestamp=ts, generator_id=rec[7] | rec[8] << 8, evm_rev=rec[9],
                        sensor_type=rec[10], sensor_number=rec[11], deassertion=bool(rec[12] & 0x80),
                        reading_type=rec[12] & 0x7F, event_data=rec[13:16])
    if 0xC0 <= kind <= 0xDF:
        return SelEntry(record_id, kind, rec, timestamp=ts, manufacturer_id=int.from_bytes(rec[7:10], "little"),
                        event_data=rec[10:16])
    return SelEntry(record_id, kind, rec, event_data=rec[3:16])


@dataclass
class SelInfo:
    version: int
    entries: int
    free_bytes: int
    last_add: int
    last_erase: int
    support: int

    @classmethod
    def decode(cls, data: bytes) -> SelInfo:
        if len(data) < 14:
            raise ValueError(f"Get SEL Info data length {len(data)} too short: need 14 bytes")
        return cls(data[0], data[1] | data[2] << 8, data[3] | data[4] << 8, int.from_bytes(data[5:9], "little"),
                   int.from_bytes(data[9:13], "little"), data[13])

    @property
    def overflow(self) -> bool:
        return bool(self.support & 0x80)

    @property
    def supported_commands(self) -> list[str]:
        names = ((0x08, "Delete"), (0x04, "Partial Add"), (0x02, "Reserve"), (0x01, "Get Alloc Info"))
        return [name for bit, name in names if self.support & bit]
