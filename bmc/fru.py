"""FRU inventory devices (IPMI 2.0 chapter 34) and the FRU information format that fills them.

A ``FruDevice`` is a byte-addressed area (Get FRU Inventory Area Info, Read
and Write FRU Data) persisted in a ``Store``; ``FruDevices`` is the BMC's
``fru_id -> FruDevice`` map.  Reads and writes may reach the device's last
byte (QEMU's bug 10 rejects offset size-1).

``FruInventory`` builds and parses the contents the Platform Management FRU
Information Storage Definition v1.0 describes: the 8-byte common header,
then chassis, board and product info areas, each a version byte, a length
in 8-byte units, fixed fields, type/length-prefixed fields up to the 0xC1
end marker, padding and a zero checksum.  Text is 8-bit ASCII + Latin-1; a
one-character text goes as 6-bit packed ASCII, because type/length 0xC1
(8-bit, length 1) is the end marker.

QEMU's ``frudatafile`` is raw FRU data cut into ``fruareasize`` chunks
(FRU ids 0, 1, ...); ``parse_frudatafile``/``frudatafile_bytes`` and the
``FruDevices`` import/export read and write it.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field, fields

from .ipmi.cc import CompletionCode, IpmiError
from .store import Store, StoreError, le16

DEFAULT_AREA_SIZE = 1024          # QEMU's fruareasize default
MAX_FRU_ID = 0xFE                 # 0xFF is reserved
MAX_SIZE = 0xFFFF                 # Get FRU Inventory Area Info: 16-bit size
ACCESS_BY_BYTES = 0x00            # Get FRU Inventory Area Info byte 3 bit 0: 0 = byte, 1 = word access

FORMAT_VERSION = 0x01
END_OF_FIELDS = 0xC1
MAX_FIELD = 63                    # type/length bits 5:0
FRU_EPOCH = _dt.datetime(1996, 1, 1, tzinfo=_dt.UTC)  # board mfg date/time: minutes since then
ENGLISH = (0, 25)                 # language codes for which type 11b means 8-bit ASCII + Latin-1

TYPE_BINARY, TYPE_BCD_PLUS, TYPE_6BIT, TYPE_8BIT = 0, 1, 2, 3
_BCD_PLUS = "0123456789 -.???"


# -- the devices -----------------------------------------------------------------------------------

def _bad(what: str) -> IpmiError:
    return IpmiError(CompletionCode.INVALID_DATA_FIELD, what)


class FruDevice:
    """One FRU inventory area: ``read``, ``write`` (persisted), ``area_info``."""

    __slots__ = ("fru_id", "_data", "_store")

    def __init__(self, fru_id: int, data: bytes, store: Store | None = None):
        self.fru_id = fru_id
        self._data = bytearray(data)
        self._store = store

    @property
    def size(self) -> int:
        return len(self._data)

    @property
    def data(self) -> bytes:
        return bytes(self._data)

    def area_info(self) -> bytes:
        """Get FRU Inventory Area Info response data: size LS, MS, byte access."""
        return le16(len(self._data)) + bytes((ACCESS_BY_BYTES,))

    def read(self, offset: int, count: int) -> bytes:
        """Read FRU Data: up to ``count`` bytes from ``offset`` (fewer at the end); 0xCC past the end."""
        if offset >= len(self._data):
            raise _bad(f"FRU {self.fru_id} offset {offset} beyond its {len(self._data)} bytes")
        return bytes(self._data[offset:offset + count])

    def write(self, offset: int, data: bytes) -> int:
        """Write FRU Data: the bytes that fit from ``offset``, committed at once; how many were written."""
        if offset >= len(self._data):
            raise _bad(f"FRU {self.fru_id} offset {offset} beyond its {len(self._data)} bytes")
        n = min(len(data), len(self._data) - offset)
        new = bytearray(self._data)
        new[offset:offset + n] = data[:n]
        self._commit(new)
        return n

    def load(self, image: bytes) -> None:
        """Replace the whole contents (the size becomes the image's)."""
        _check_size(len(image), f"FRU {self.fru_id} image")
        self._commit(bytearray(image))

    def _commit(self, new: bytearray) -> None:
        if self._store is not None:
            with self._store.transaction() as s:
                s.put(FruDevices.log, self.fru_id, self.fru_id, bytes(new))
        self._data = new


def _check_size(size: int, what: str) -> None:
    if not isinstance(size, int) or not 1 <= size <= MAX_SIZE:
        raise ValueError(f"{what}: size {size!r} out of range 1-{MAX_SIZE} bytes")


def _check_id(fru_id: int) -> None:
    if not isinstance(fru_id, int) or not 0 <= fru_id <= MAX_FRU_ID:
        raise ValueError(f"fru id {fru_id!r} out of range 0-{MAX_FRU_ID}")


class FruDevices(dict):
    """The BMC's FRU devices by id; devices found in the store come back with their stored contents."""

    log = "fru"

    def __init__(self, store: Store):
        super().__init__()
        self.store = store
        rows, _ = store.load(self.log)
        for fru_id, data in rows:  # what define() would have refused must not come back from disk
            if not 0 <= fru_id <= MAX_FRU_ID or not 1 <= len(data) <= MAX_SIZE:
                raise StoreError(f"{store.where}: fru {fru_id} of {len(data)} bytes: ids are 0-{MAX_FRU_ID}, "
                                 f"sizes 1-{MAX_SIZE} bytes")
        for fru_id, data in sorted(rows):
            self[fru_id] = FruDevice(fru_id, data, store)

    def define(self, fru_id: int, data: bytes | None = None, size: int | None = None,
               replace: bool = False) -> FruDevice:
        """Make FRU device ``fru_id``: ``data`` (zero-padded to ``size``) or ``size`` zero bytes.

        A device already present (from the store) keeps its contents unless
        ``replace``: a persisted FRU is the BMC's EEPROM, not the config's.
        """
        _check_id(fru_id)
        old = self.get(fru_id)
        if old is not None and not replace:
            return old
        data = bytes(data or b"")
        size = len(data) if size is None else size
        _check_size(size, f"FRU {fru_id}")
        if len(data) > size:
            raise ValueError(f"FRU {fru_id}: {len(data)} bytes of data do not fit its {size}-byte size")
        dev = FruDevice(fru_id, b"", self.store)
        dev.load(data + bytes(size - len(data)))
        self[fru_id] = dev
        return dev

    def device(self, fru_id: int) -> FruDevice:
        """The device for a command's FRU id; 0xCC (as QEMU) if there is none."""
        dev = self.get(fru_id)
        if dev is None:
            raise _bad(f"no FRU device {fru_id}")
        return dev

    def import_frudatafile(self, data: bytes, area_size: int = DEFAULT_AREA_SIZE) -> list[int]:
        """Replace devices 0, 1, ... with QEMU ``frudatafile`` bytes, all in one transaction; their ids."""
        areas = parse_frudatafile(data, area_size)
        with self.store.transaction() as s:
            for fru_id, area in enumerate(areas):
                s.put(self.log, fru_id, fru_id, area)
        for fru_id, area in enumerate(areas):
            self[fru_id] = FruDevice(fru_id, area, self.store)
        return list(range(len(areas)))

    def export_frudatafile(self, area_size: int = DEFAULT_AREA_SIZE) -> bytes:
        """Devices 0..n-1 as QEMU ``frudatafile`` bytes (each padded to ``area_size``)."""
        ids = sorted(self)
        if ids != list(range(len(ids))):
            raise ValueError(f"frudatafile holds FRU ids 0..n-1 only; these devices are {ids}")
        return frudatafile_bytes([self[i].data for i in ids], area_size)


def parse_frudatafile(data: bytes, area_size: int = DEFAULT_AREA_SIZE) -> list[bytes]:
    """QEMU ``frudatafile`` bytes -> one ``area_size`` area per FRU id (the last zero-padded)."""
    _check_size(area_size, "fruareasize")
    data = bytes(data)
    if not data:
        return [bytes(area_size)]   # QEMU: no data, one zeroed area
    n = -(-len(data) // area_size)
    data += bytes(n * area_size - len(data))
    return [data[i * area_size:(i + 1) * area_size] for i in range(n)]


def frudatafile_bytes(areas, area_size: int = DEFAULT_AREA_SIZE) -> bytes:
    """Areas back to back, each zero-padded to ``area_size``."""
    _check_size(area_size, "fruareasize")
    out = bytearray()
    for fru_id, area in enumerate(areas):
        if len(area) > area_size:
            raise ValueError(f"FRU {fru_id} is {len(area)} bytes, over the fruareasize of {area_size}")
        out += bytes(area) + bytes(area_size - len(area))
    return bytes(out)


# -- the FRU information format ---------------------------------------------------------------------

class FruFormatError(ValueError):
    """FRU bytes that break the format; the message names the area, the offset and the value."""


def checksum(data: bytes) -> int:
    """The zero checksum: the byte that makes ``data`` plus it sum to 0 modulo 256."""
    return -sum(data) & 0xFF


def minutes_since_1996(when: _dt.datetime) -> int:
    """A board manufacturing date/time as the FRU stores it."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=_dt.UTC)
    return int((when - FRU_EPOCH).total_seconds() // 60)


def _pack_6bit(text: str) -> bytes:
    bits = nbits = 0
    out = bytearray()
    for ch in text:
        bits |= (ord(ch) - 0x20) << nbits
        nbits += 6
        while nbits >= 8:
            out.append(bits & 0xFF)
            bits >>= 8
            nbits -= 8
    if nbits:
        out.append(bits & 0xFF)
    return bytes(out)


def _unpack_6bit(data: bytes) -> str:
    value = int.from_bytes(data, "little")
    return "".join(chr((value >> (6 * i) & 0x3F) + 0x20) for i in range(len(data) * 8 // 6))


def encode_field(value: str | bytes, path: str) -> bytes:
    """One type/length byte and its data."""
    if isinstance(value, (bytes, bytearray)):
        kind, data = TYPE_BINARY, bytes(value)
    elif isinstance(value, str):
        if len(value) == 1:
            if not 0x20 <= ord(value) <= 0x5F:
                raise ValueError(f"{path}: one-character text {value!r} must be 6-bit ASCII (space to '_'); "
                                 f"type/length 0xC1 is the end-of-fields marker")
            kind, data = TYPE_6BIT, _pack_6bit(value)
        else:
            try:
                kind, data = TYPE_8BIT, value.encode("latin-1")
            except UnicodeEncodeError:
                raise ValueError(f"{path}: {value!r} is not 8-bit ASCII/Latin-1 text") from None
    else:
        raise ValueError(f"{path}: {value!r} is neither text nor bytes")
    if len(data) > MAX_FIELD:
        raise ValueError(f"{path}: {value!r} is {len(data)} bytes, over the {MAX_FIELD}-byte field limit")
    return bytes((kind << 6 | len(data),)) + data


def decode_field(tl: int, data: bytes) -> str | bytes:
    kind = tl >> 6
    if kind == TYPE_8BIT:
        return data.decode("latin-1")
    if kind == TYPE_6BIT:
        return _unpack_6bit(data)
    if kind == TYPE_BCD_PLUS:
        return "".join(_BCD_PLUS[b >> s & 0x0F] for b in data for s in (4, 0))
    return bytes(data)


def _area(fixed: bytes, texts: list, path: str) -> bytes:
    """An info area: version, length, fixed bytes, fields, end marker, padding, checksum."""
    body = bytearray((FORMAT_VERSION, 0)) + fixed
    for name, value in texts:
        body += encode_field(value, f"{path}.{name}")
    body.append(END_OF_FIELDS)
    body += bytes(-(len(body) + 1) % 8)
    if (len(body) + 1) // 8 > 0xFF:
        raise ValueError(f"{path}: the area is {len(body) + 1} bytes, over the 2040-byte limit")
    body[1] = (len(body) + 1) // 8
    return bytes(body) + bytes((checksum(body),))


def _custom(custom, path: str) -> list:
    return [(f"custom[{i}]", v) for i, v in enumerate(custom)]


@dataclass
class ChassisInfo:
    type: int = 0x17          # SMBIOS chassis type: 17h = rack mount chassis
    part_number: str | bytes = ""
    serial_number: str | bytes = ""
    custom: tuple = ()

    def encode(self, path: str = "fru.chassis") -> bytes:
        if not isinstance(self.type, int) or not 0 <= self.type <= 0xFF:
            raise ValueError(f"{path}.type: {self.type!r} out of range 0-255")
        texts = [("part_number", self.part_number), ("serial_number", self.serial_number)]
        return _area(bytes((self.type,)), texts + _custom(self.custom, path), path)


@dataclass
class BoardInfo:
    language: int = 0
    mfg_minutes: int = 0      # minutes since 1996-01-01 00:00 UTC; 0 = unspecified
    manufacturer: str | bytes = ""
    product_name: str | bytes = ""
    serial_number: str | bytes = ""
    part_number: str | bytes = ""
    fru_file_id: str | bytes = ""
    custom: tuple = ()

    TEXTS = ("manufacturer", "product_name", "serial_number", "part_number", "fru_file_id")

    @property
    def mfg_date(self) -> _dt.datetime | None:
        return FRU_EPOCH + _dt.timedelta(minutes=self.mfg_minutes) if self.mfg_minutes else None

    def encode(self, path: str = "fru.board") -> bytes:
        _check_byte(self.language, f"{path}.language")
        if not isinstance(self.mfg_minutes, int) or not 0 <= self.mfg_minutes <= 0xFFFFFF:
            raise ValueError(f"{path}.mfg_minutes: {self.mfg_minutes!r} out of range 0-0xFFFFFF")
        fixed = bytes((self.language,)) + self.mfg_minutes.to_bytes(3, "little")
        texts = [(n, getattr(self, n)) for n in self.TEXTS]
        return _area(fixed, texts + _custom(self.custom, path), path)


@dataclass
class ProductInfo:
    language: int = 0
    manufacturer: str | bytes = ""
    product_name: str | bytes = ""
    part_number: str | bytes = ""
    version: str | bytes = ""
    serial_number: str | bytes = ""
    asset_tag: str | bytes = ""
    fru_file_id: str | bytes = ""
    custom: tuple = ()

    TEXTS = ("manufacturer", "product_name", "part_number", "version", "serial_number", "asset_tag", "fru_file_id")

    def encode(self, path: str = "fru.product") -> bytes:
        _check_byte(self.language, f"{path}.language")
        texts = [(n, getattr(self, n)) for n in self.TEXTS]
        return _area(bytes((self.language,)), texts + _custom(self.custom, path), path)


def _check_byte(value, path: str) -> None:
    if not isinstance(value, int) or not 0 <= value <= 0xFF:
        raise ValueError(f"{path}: {value!r} out of range 0-255")


@dataclass
class FruInventory:
    """A FRU's chassis, board and product info areas (any may be absent)."""

    chassis: ChassisInfo | None = None
    board: BoardInfo | None = None
    product: ProductInfo | None = None
    extra: dict = field(default_factory=dict)   # offsets of areas this module does not decode (internal use,
                                                # multi-record), kept by ``decode`` for the curious

    def encode(self, size: int | None = None, path: str = "fru") -> bytes:
        """The FRU image: common header then the areas; zero-padded to ``size`` when given."""
        areas = [(slot, area.encode(f"{path}.{name}")) for slot, name, area in
                 ((2, "chassis", self.chassis), (3, "board", self.board), (4, "product", self.product))
                 if area is not None]
        header = bytearray((FORMAT_VERSION, 0, 0, 0, 0, 0, 0))
        body = bytearray()
        for slot, data in areas:
            offset = 8 + len(body)
            if offset // 8 > 0xFF:
                raise ValueError(f"{path}: areas reach offset {offset}, beyond the header's 2040-byte reach")
            header[slot] = offset // 8
            body += data
        image = bytes(header) + bytes((checksum(header),)) + bytes(body)
        if size is not None:
            if len(image) > size:
                raise ValueError(f"{path}: the image is {len(image)} bytes, over the device's {size}")
            image += bytes(size - len(image))
        return image

    @classmethod
    def decode(cls, data: bytes) -> FruInventory:
        """Parse a FRU image; ``FruFormatError`` names what is wrong and where."""
        data = bytes(data)
        if len(data) < 8:
            raise FruFormatError(f"common header: {len(data)} bytes, need 8")
        header = data[:8]
        if header[0] & 0x0F != FORMAT_VERSION:
            raise FruFormatError(f"common header: format version 0x{header[0]:02X}, expected 0x01")
        if sum(header) & 0xFF:
            raise FruFormatError(f"common header: checksum 0x{header[7]:02X} wrong (should be "
                                 f"0x{checksum(header[:7]):02X})")
        inv = cls()
        for slot, name in ((1, "internal_use"), (5, "multirecord")):
            if header[slot]:
                inv.extra[name] = header[slot] * 8
        if header[2]:
            fixed, texts = _read_area(data, header[2] * 8, "chassis", 1)
            inv.chassis = ChassisInfo(fixed[0], *(texts + ["", ""])[:2], custom=tuple(texts[2:]))
        if header[3]:
            fixed, texts = _read_area(data, header[3] * 8, "board", 4)
            n = len(BoardInfo.TEXTS)
            inv.board = BoardInfo(fixed[0], int.from_bytes(fixed[1:4], "little"), *(texts + [""] * n)[:n],
                                  custom=tuple(texts[n:]))
        if header[4]:
            fixed, texts = _read_area(data, header[4] * 8, "product", 1)
            n = len(ProductInfo.TEXTS)
            inv.product = ProductInfo(fixed[0], *(texts + [""] * n)[:n], custom=tuple(texts[n:]))
        return inv

    def as_dict(self) -> dict:
        out = {}
        for name in ("chassis", "board", "product"):
            area = getattr(self, name)
            if area is not None:
                out[name] = {f.name: getattr(area, f.name) for f in fields(area)}
        return out


def _read_area(data: bytes, start: int, name: str, nfixed: int) -> tuple[bytes, list]:
    if start + 2 > len(data):
        raise FruFormatError(f"{name} area: offset {start} beyond the {len(data)}-byte image")
    length = data[start + 1] * 8
    area = data[start:start + length]
    if length == 0 or len(area) < length:
        raise FruFormatError(f"{name} area at offset {start}: length {length} runs past the image end")
    if area[0] & 0x0F != FORMAT_VERSION:
        raise FruFormatError(f"{name} area at offset {start}: version 0x{area[0]:02X}, expected 0x01")
    if sum(area) & 0xFF:
        raise FruFormatError(f"{name} area at offset {start}: checksum 0x{area[-1]:02X} wrong")
    fixed = area[2:2 + nfixed]
    pos = 2 + nfixed
    texts: list = []
    while True:
        if pos >= length - 1:
            raise FruFormatError(f"{name} area at offset {start}: no end-of-fields marker (0xC1)")
        tl = area[pos]
        if tl == END_OF_FIELDS:
            return fixed, texts
        n = tl & 0x3F
        if pos + 1 + n > length - 1:
            raise FruFormatError(f"{name} area: field at offset {start + pos} (type/length 0x{tl:02X}) "
                                 f"runs past the area")
        texts.append(decode_field(tl, area[pos + 1:pos + 1 + n]))
        pos += 1 + n
