"""The System Event Log (IPMI 2.0 chapters 31 and 32): 16-byte records in a ``Store``.

Record ids start at 1 and skip 0000h and FFFFh, which Table 32-1 reserves
for "first" and "last" in the access commands (QEMU numbers from 0).  A
full SEL refuses new records and sets the overflow flag; it never wraps.
Each Reserve SEL issues a new reservation id, and an add, delete or clear
cancels it (QEMU's bug 8: it never issued new ids).
"""

from __future__ import annotations

from collections.abc import Callable

from .ipmi.cc import CompletionCode, IpmiError
from .store import CC_RECORD_REJECTED, FIRST, LAST, RecordLog, Store, StoreError, le16

SEL_VERSION = 0x51
RECORD_SIZE = 16
DEFAULT_CAPACITY = 128   # entries: QEMU's, so an empty SEL reports 2048 bytes free as QEMU does
MAX_CAPACITY = 4095      # Get SEL Info's free space is 16 bits of bytes

SYSTEM_EVENT = 0x02
OEM_TIMESTAMPED = range(0xC0, 0xE0)
OEM_NON_TIMESTAMPED = range(0xE0, 0x100)

# Get SEL Info operation support: Get SEL Allocation Info, Reserve SEL, Partial Add, Delete.
OPERATION_SUPPORT = 0x0F
OVERFLOW_FLAG = 0x80

UTC_OFFSET_UNSPECIFIED = 0x07FF
UTC_OFFSET_LIMIT = 24 * 60  # minutes either side of UTC


def stamped(record_type: int) -> bool:
    """The SEL fills in the timestamp of system event and OEM timestamped records."""
    return record_type == SYSTEM_EVENT or record_type in OEM_TIMESTAMPED


class Sel(RecordLog):
    """The SEL: ``add``/``log_event``/``get``/``delete``/``clear``, reservations, Get SEL Info."""

    log = "sel"
    max_record = RECORD_SIZE

    def __init__(self, sim, store: Store, timestamp: Callable[[int], int], *, capacity: int = DEFAULT_CAPACITY,
                 name: str = "sel"):
        self.capacity = self.check_capacity(capacity)
        self.utc_offset = UTC_OFFSET_UNSPECIFIED
        super().__init__(sim, store, timestamp, name)

    @staticmethod
    def check_capacity(capacity: int) -> int:
        if not isinstance(capacity, int) or not 1 <= capacity <= MAX_CAPACITY:
            raise ValueError(f"sel capacity {capacity!r} out of range 1-{MAX_CAPACITY} entries")
        return capacity

    def _load_meta(self, meta: dict[str, int]) -> None:
        offset = meta.get("utc_offset", UTC_OFFSET_UNSPECIFIED)
        if offset != UTC_OFFSET_UNSPECIFIED and not -UTC_OFFSET_LIMIT <= offset <= UTC_OFFSET_LIMIT:
            raise StoreError(f"{self.store.where}: sel utc_offset {offset} out of range "
                             f"-{UTC_OFFSET_LIMIT}..{UTC_OFFSET_LIMIT} or 0x{UTC_OFFSET_UNSPECIFIED:X}")
        self.utc_offset = offset

    def _has_room(self, count: int, size: int) -> bool:
        return len(self._records) + count <= self.capacity

    def _expected_length(self, partial: bytes) -> int | None:
        return RECORD_SIZE

    def _check_complete(self, record: bytes) -> None:
        if len(record) != RECORD_SIZE:
            raise IpmiError(CC_RECORD_REJECTED, f"SEL record of {len(record)} bytes, not {RECORD_SIZE}")
        self._check_type(record[2])

    @staticmethod
    def _check_type(record_type: int) -> None:
        if record_type != SYSTEM_EVENT and record_type < 0xC0:
            raise IpmiError(CC_RECORD_REJECTED, f"SEL record type 0x{record_type:02X} is not defined")

    def _insert(self, record: bytes, t: int, record_id: int | None = None) -> int:
        if stamped(record[2]):
            record = record[:3] + self.timestamp(t).to_bytes(4, "little") + record[7:]
        return super()._insert(record, t, record_id)

    # -- the Python API ---------------------------------------------------------------------------

    def add(self, record: bytes, t: int) -> int:
        """Add SEL Entry: store a 16-byte record (id and, for stamped types, timestamp filled in); its id.

        Raises ``IpmiError``: 0x80 for an undefined record type, 0xC4 when full
        (and the overflow flag is set).
        """
        if len(record) != RECORD_SIZE:
            raise ValueError(f"a SEL record is {RECORD_SIZE} bytes, got {len(record)}")
        self._check_type(record[2])
        return self._insert(bytes(record), t)

    def log_event(self, record: bytes, t: int) -> int | None:
        """``Bmc.event_log``: log a system event; a full SEL drops it (overflow flag set) and returns None."""
        try:
            return self.add(record, t)
        except IpmiError as exc:
            if self.sim is not None and self.sim.tracer.enabled:
                self.sim.trace(t, "bmc", self.name, "dropped", reason=str(exc), record=bytes(record))
            return None

    def get(self, record_id: int) -> tuple[bytes, int]:
        """Get SEL Entry: (record, next record id) for an id, 0000h = first, FFFFh = last."""
        rid, data = self.lookup(record_id)
        return data, self.next_id_after(rid)

    def delete(self, record_id: int, t: int) -> int:
        """Delete SEL Entry (0000h = first, FFFFh = last): the id deleted."""
        rid, _ = self.lookup(record_id)
        self._remove(rid, t)
        return rid

    def set_utc_offset(self, minutes: int) -> None:
        """Set SEL Time UTC Offset: minutes from UTC, or 0x07FF for unspecified (persisted)."""
        if minutes != UTC_OFFSET_UNSPECIFIED and not -UTC_OFFSET_LIMIT <= minutes <= UTC_OFFSET_LIMIT:
            raise IpmiError(CompletionCode.PARAMETER_OUT_OF_RANGE,
                            f"UTC offset {minutes} minutes outside -{UTC_OFFSET_LIMIT}..{UTC_OFFSET_LIMIT}")
        with self.store.transaction() as s:
            s.set_meta(self.log, utc_offset=minutes)
        self.utc_offset = minutes

    # -- command replies ----------------------------------------------------------------------------

    @property
    def free_bytes(self) -> int:
        return (self.capacity - len(self._records)) * RECORD_SIZE

    def info(self) -> bytes:
        """Get SEL Info response data (section 31.2)."""
        support = OPERATION_SUPPORT | (OVERFLOW_FLAG if self.overflow else 0)
        return (bytes((SEL_VERSION,)) + le16(len(self._records)) + le16(self.free_bytes) + self._info_tail()
                + bytes((support,)))

    def allocation_info(self) -> bytes:
        """Get SEL Allocation Info response data (section 31.3): one 16-byte unit per record."""
        free = self.capacity - len(self._records)
        return le16(self.capacity) + le16(RECORD_SIZE) + le16(free) + le16(free) + b"\x01"


__all__ = ["Sel", "FIRST", "LAST", "RECORD_SIZE", "DEFAULT_CAPACITY"]
