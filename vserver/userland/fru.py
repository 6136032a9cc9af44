"""FRU inventory data as a host tool parses it (Platform Management FRU Information Storage Definition 1.0).

The common header (8 bytes) points at the chassis, board and product info
areas in multiples of 8 bytes.  Each area is a version byte, a length in
8-byte units, fixed bytes, then type/length-prefixed fields up to the 0xC1
end marker, and a zero checksum.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field

from .names import CHASSIS_TYPES
from .sdr import decode_typed

END_OF_FIELDS = 0xC1
FRU_EPOCH = _dt.datetime(1996, 1, 1, tzinfo=_dt.UTC)   # board mfg date: minutes since then

CHASSIS_FIELDS = ("part_number", "serial_number")
BOARD_FIELDS = ("manufacturer", "product_name", "serial_number", "part_number", "fru_file_id")
PRODUCT_FIELDS = ("manufacturer", "product_name", "part_number", "version", "serial_number", "asset_tag",
                  "fru_file_id")


class FruFormatError(ValueError):
    """The FRU bytes break the format; the message names the area, the field and the value."""


@dataclass
class FruArea:
    fields: dict[str, str] = field(default_factory=dict)
    custom: list[str] = field(default_factory=list)


@dataclass
class ChassisArea(FruArea):
    chassis_type: int = 0

    @property
    def chassis_type_name(self) -> str:
        t = self.chassis_type
        return CHASSIS_TYPES[t] if t < len(CHASSIS_TYPES) else f"type 0x{t:02X}"


@dataclass
class BoardArea(FruArea):
    language: int = 0
    mfg_minutes: int = 0

    @property
    def mfg_date(self) -> _dt.datetime | None:
        """None when unspecified (0 minutes)."""
        return FRU_EPOCH + _dt.timedelta(minutes=self.mfg_minutes) if self.mfg_minutes else None


@dataclass
class ProductArea(FruArea):
    language: int = 0


@dataclass
class FruInventory:
    size: int
    chassis: ChassisArea | None = None
    board: BoardArea | None = None
    product: ProductArea | None = None

    def as_dict(self) -> dict:
        d: dict = {"size": self.size}
        if self.chassis is not None:
            d["chassis"] = {"type": self.chassis.chassis_type, "type_name": self.chassis.chassis_type_name,
                            **self.chassis.fields, "custom": self.chassis.custom}
        if self.board is not None:
            date = self.board.mfg_date
            d["board"] = {"mfg_date": date.isoformat() if date else None, **self.board.fields,
                          "custom": self.board.custom}
        if self.product is not None:
            d["product"] = {**self.product.fields, "custom": self.product.custom}
        return d


def _check_sum(data: bytes, what: str) -> None:
    if sum(data) & 0xFF:
        raise FruFormatError(f"{what}: checksum 0x{data[-1]:02X} does not zero the sum "
                             f"(sum 0x{sum(data) & 0xFF:02X})")


def _fields(data: bytes, at: int, names: tuple[str, ...], what: str) -> tuple[dict[str, str], list[str]]:
    fields: dict[str, str] = {}
    custom: list[str] = []
    i = 0
    while at < len(data):
        tl = data[at]
        if tl == END_OF_FIELDS:
            return fields, custom
        n = tl & 0x3F
        if at + 1 + n > len(data):
            raise FruFormatError(f"{what} field {i}: length {n} runs past the area end")
        value = decode_typed(tl >> 6, data[at + 1:at + 1 + n])
        if i < len(names):
            fields[names[i]] = value
        else:
            custom.append(value)
        at += 1 + n
        i += 1
    raise FruFormatError(f"{what}: no end-of-fields marker 0xC1")


def _area(data: bytes, offset_units: int, what: str) -> bytes | None:
    if not offset_units:
        return None
    start = offset_units * 8
    if start + 2 > len(data):
        raise FruFormatError(f"{what}: offset {start} beyond the FRU size {len(data)}")
    length = data[start + 1] * 8
    if length < 8 or start + length > len(data):
        raise FruFormatError(f"{what}: length {length} at offset {start} runs past the FRU size {len(data)}")
    area = data[start:start + length]
    _check_sum(area, what)
    return area


def decode_fru(data: bytes) -> FruInventory:
    data = bytes(data)
    if len(data) < 8:
        raise FruFormatError(f"FRU size {len(data)} too small for the 8-byte common header")
    header = data[:8]
    if header[0] & 0x0F != 0x01:
        raise FruFormatError(f"common header: format version 0x{header[0]:02X}, expected 0x01")
    _check_sum(header, "common header")
    inv = FruInventory(len(data))
    area = _area(data, header[2], "chassis info area")
    if area is not None:
        f, c = _fields(area, 3, CHASSIS_FIELDS, "chassis info area")
        inv.chassis = ChassisArea(f, c, chassis_type=area[2])
    area = _area(data, header[3], "board info area")
    if area is not None:
        f, c = _fields(area, 6, BOARD_FIELDS, "board info area")
        inv.board = BoardArea(f, c, language=area[2], mfg_minutes=int.from_bytes(area[3:6], "little"))
    area = _area(data, header[4], "product info area")
    if area is not None:
        f, c = _fields(area, 3, PRODUCT_FIELDS, "product info area")
        inv.product = ProductArea(f, c, language=area[2])
    return inv
