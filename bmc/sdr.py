"""The SDR repository (IPMI 2.0 chapters 33 and 43) in a ``Store``, and QEMU's ``sdrfile`` format.

A record is its 5-byte header (record id, SDR version, record type, length
of the rest) and body; the repository assigns the id and writes it into the
header.  Ids start at 1, as Get SDR reads 0000h as "first record" and
FFFFh as "last" (QEMU numbers from 0).  Space is counted in bytes (the
allocation unit is one byte) against a capacity of 16 KiB by default, as
QEMU's.  Updates are non-modal: Add SDR works at any time, no update mode.

QEMU's ``sdrfile`` is the records back to back; ``parse_sdrfile`` and
``Sdr.import_sdrfile``/``export_sdrfile`` read and write it.  QEMU stops
loading at a malformed tail and keeps what it read; here a malformed file
is an error naming the offset, and nothing is loaded.
"""

from __future__ import annotations

from collections.abc import Callable

from .ipmi.cc import CompletionCode, IpmiError
from .store import CC_RECORD_REJECTED, FIRST, LAST, RecordLog, Store, le16

SDR_VERSION = 0x51
HEADER_SIZE = 5
DEFAULT_CAPACITY = 16 * 1024
MAX_CAPACITY = 0xFFFE   # Get SDR Repository Info's free space is 16 bits of bytes
MAX_RECORD = 255        # Get SDR Repository Allocation Info's maximum record size is one byte of 1-byte units

# Get SDR Repository Info operation support: non-modal update (bits 6:5 = 01b), Delete SDR,
# Partial Add SDR, Reserve SDR Repository, Get SDR Repository Allocation Info.
OPERATION_SUPPORT = 0x2F
OVERFLOW_FLAG = 0x80
FREE_SPACE_64K = 0xFFFE  # "64 KB - 2 or more available"


# IPMI 2.0 section 43: each type's fixed fields end in the ID string's type/length byte, so a record
# of that type is at least this long, header included (full 43.1, compact 43.2, event-only 43.3,
# FRU device locator 43.8, management controller device locator 43.9).
MIN_LENGTH = {0x01: 48, 0x02: 32, 0x03: 17, 0x11: 16, 0x12: 16}


def check_type_length(record: bytes) -> None:
    """IpmiError(0xC7) for a record shorter than its type's fixed fields."""
    need = MIN_LENGTH.get(record[3])
    if need is not None and len(record) < need:
        raise IpmiError(CompletionCode.REQUEST_DATA_LENGTH_INVALID,
                        f"SDR type 0x{record[3]:02X} of {len(record)} bytes, under its {need}-byte minimum")


def record_length(header: bytes) -> int:
    """A record's whole length from its header: 5 + the length byte."""
    return HEADER_SIZE + header[4]


def parse_sdrfile(data: bytes, name: str = "sdrfile") -> list[bytes]:
    """Split QEMU ``sdrfile`` bytes into records; a malformed record is a ValueError naming its offset."""
    data = bytes(data)
    out = []
    off = 0
    while off < len(data):
        if len(data) - off < HEADER_SIZE:
            raise ValueError(f"{name}: {len(data) - off} stray bytes at offset {off}, less than a 5-byte SDR header")
        n = record_length(data[off:off + HEADER_SIZE])
        if off + n > len(data):
            raise ValueError(f"{name}: record at offset {off} declares {n} bytes but only {len(data) - off} remain")
        if n > MAX_RECORD:
            raise ValueError(f"{name}: record at offset {off} is {n} bytes, over the {MAX_RECORD}-byte maximum")
        out.append(data[off:off + n])
        off += n
    return out


def sdrfile_bytes(records) -> bytes:
    """QEMU ``sdrfile`` bytes for whole records (each with its header)."""
    return b"".join(bytes(r) for r in records)


class Sdr(RecordLog):
    """The SDR repository: ``add``/``get``/``delete``/``clear``, partial add, reservations, repository info."""

    log = "sdr"
    max_record = MAX_RECORD

    def __init__(self, sim, store: Store, timestamp: Callable[[int], int], *, capacity: int = DEFAULT_CAPACITY,
                 name: str = "sdr"):
        self.capacity = self.check_capacity(capacity)
        super().__init__(sim, store, timestamp, name)

    @staticmethod
    def check_capacity(capacity: int) -> int:
        if not isinstance(capacity, int) or not MAX_RECORD <= capacity <= MAX_CAPACITY:
            raise ValueError(f"sdr capacity {capacity!r} out of range {MAX_RECORD}-{MAX_CAPACITY} bytes")
        return capacity

    def _has_room(self, count: int, size: int) -> bool:
        return self.used_bytes + size <= self.capacity

    def _expected_length(self, partial: bytes) -> int | None:
        return record_length(partial) if len(partial) >= HEADER_SIZE else None

    def _check_complete(self, record: bytes) -> None:
        if len(record) < HEADER_SIZE or record_length(record) != len(record):
            declared = f"declares {record_length(record)}" if len(record) >= HEADER_SIZE else "has no whole header"
            raise IpmiError(CC_RECORD_REJECTED, f"SDR of {len(record)} bytes {declared}")
        check_type_length(record)

    def _now(self) -> int:
        return self.sim.now if self.sim is not None else 0

    # -- the Python API -------------------------------------------------------------------------------

    def add(self, record: bytes, t: int | None = None) -> int:
        """Add SDR: store a whole record (header included; its id bytes are replaced); the new record id.

        Raises ``IpmiError``: 0x80 when the header's length byte disagrees with
        the record, 0xC4 when the repository is full (overflow flag set).
        """
        record = bytes(record)
        if len(record) > MAX_RECORD:
            raise IpmiError(CC_RECORD_REJECTED, f"SDR of {len(record)} bytes is over the {MAX_RECORD}-byte maximum")
        self._check_complete(record)
        return self._insert(record, self._now() if t is None else t)

    def get(self, record_id: int) -> tuple[bytes, int]:
        """Get SDR: (record, next record id) for an id, 0000h = first, FFFFh = last."""
        rid, data = self.lookup(record_id)
        return data, self.next_id_after(rid)

    def delete(self, record_id: int, t: int | None = None) -> int:
        """Delete SDR: the id deleted (exact ids only)."""
        if record_id in (FIRST, LAST) or record_id not in self._records:
            raise IpmiError(CompletionCode.REQUESTED_DATA_NOT_PRESENT, f"{self.name} has no record 0x{record_id:04X}")
        self._remove(record_id, self._now() if t is None else t)
        return record_id

    def import_sdrfile(self, data: bytes, t: int | None = None, name: str = "sdrfile") -> list[int]:
        """Add every record of QEMU ``sdrfile`` bytes, all in one transaction; their new ids."""
        records = parse_sdrfile(data, name)
        for off, record in enumerate(records):
            try:
                self._check_complete(record)
            except IpmiError as exc:
                raise ValueError(f"{name}: record {off}: {exc}") from None
        if not records:
            return []
        return self._insert_many(records, self._now() if t is None else t)

    def export_sdrfile(self) -> bytes:
        """The repository as QEMU ``sdrfile`` bytes, in repository order."""
        return sdrfile_bytes(self.records())

    # -- command replies -----------------------------------------------------------------------------------

    @property
    def free_bytes(self) -> int:
        return self.capacity - self.used_bytes

    def info(self) -> bytes:
        """Get SDR Repository Info response data (section 33.9); the record count is the live count."""
        support = OPERATION_SUPPORT | (OVERFLOW_FLAG if self.overflow else 0)
        free = min(self.free_bytes, FREE_SPACE_64K)
        return (bytes((SDR_VERSION,)) + le16(len(self._records)) + le16(free) + self._info_tail()
                + bytes((support,)))

    def allocation_info(self) -> bytes:
        """Get SDR Repository Allocation Info response data (section 33.10): 1-byte allocation units."""
        free = self.free_bytes
        return (le16(self.capacity) + le16(1) + le16(free) + le16(free)
                + bytes((min(MAX_RECORD, self.capacity),)))
