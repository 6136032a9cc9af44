"""Registers that read like datasheets.

A ``Register`` is a table of ``Field``s with bit ranges, access kinds and
reset values, declared once.  A ``RegisterFile`` holds the live values of a
block of registers and applies the access semantics (RO, RW, W1C ...) on
reads and writes, calling per-register hooks for side effects.  Traces and
the ``rich`` tables render values field by field.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum


class Access(Enum):
    RO = "RO"      # read-only; writes ignored
    RW = "RW"      # read/write
    WO = "WO"      # write-only; reads return 0
    W1C = "W1C"    # write 1 to clear
    W1S = "W1S"    # write 1 to set
    RC = "RC"      # cleared by a read
    RSVD = "RSVD"  # reserved: reads reset value, writes ignored


@dataclass(frozen=True)
class Field:
    """One field: bits ``msb``..``lsb`` (inclusive), as a datasheet writes them."""

    name: str
    msb: int
    lsb: int
    access: Access = Access.RW
    reset: int = 0
    doc: str = ""
    values: Mapping[int, str] = field(default_factory=dict)

    def __post_init__(self):
        if self.msb < self.lsb:
            raise ValueError(f"field {self.name}: msb {self.msb} < lsb {self.lsb}")
        if self.reset >> self.width:
            raise ValueError(f"field {self.name}: reset 0x{self.reset:X} does not fit {self.width} bits")

    @property
    def width(self) -> int:
        return self.msb - self.lsb + 1

    @property
    def mask(self) -> int:
        return ((1 << self.width) - 1) << self.lsb

    @property
    def bits(self) -> str:
        return f"{self.msb}" if self.msb == self.lsb else f"{self.msb}:{self.lsb}"

    def get(self, value: int) -> int:
        return (value & self.mask) >> self.lsb

    def put(self, value: int, fv: int) -> int:
        return (value & ~self.mask) | ((fv << self.lsb) & self.mask)

    def render(self, fv: int) -> str:
        name = self.values.get(fv)
        if name is not None:
            return name
        return str(fv) if self.width == 1 else f"0x{fv:X}"


class Register:
    """A named register at ``offset`` with ``width`` bits made of ``fields``."""

    def __init__(self, name: str, offset: int, fields: list[Field], width: int = 8, doc: str = ""):
        self.name = name
        self.offset = offset
        self.width = width
        self.doc = doc
        self.fields = tuple(sorted(fields, key=lambda f: -f.lsb))
        used = 0
        for f in self.fields:
            if f.msb >= width:
                raise ValueError(f"{name}.{f.name}: bit {f.msb} outside a {width}-bit register")
            if used & f.mask:
                raise ValueError(f"{name}.{f.name}: overlaps another field")
            used |= f.mask
            setattr(self, f.name, f)
        self.reset = sum(f.reset << f.lsb for f in self.fields)
        # Masks by access kind, precomputed so write() is a few integer ops.
        self._masks = {a: sum(f.mask for f in self.fields if f.access is a) for a in Access}
        self.all_mask = (1 << width) - 1

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"register {self.name} has no field {name!r}")

    def decode(self, value: int) -> dict[str, int]:
        return {f.name: f.get(value) for f in self.fields}

    def render(self, value: int) -> str:
        """``IBF=1 OBF=0 STATE=WRITE``: the value as the datasheet names it."""
        return " ".join(f"{f.name}={f.render(f.get(value))}" for f in self.fields if f.access is not Access.RSVD)

    def apply_write(self, old: int, value: int) -> int:
        """New register value after a bus write of ``value``, per field access kinds."""
        m = self._masks
        new = old & (m[Access.RO] | m[Access.RC] | m[Access.RSVD])
        new |= value & (m[Access.RW] | m[Access.WO])
        new |= old & m[Access.W1C] & ~value
        new |= (old | value) & m[Access.W1S]
        return new

    def read_value(self, value: int) -> tuple[int, int]:
        """(value the bus sees, value left in the register) for a bus read."""
        m = self._masks
        seen = value & ~m[Access.WO]
        return seen, value & ~m[Access.RC]


class RegisterFile:
    """Live values of a block of registers, addressed by offset.

    ``on_read[name](value, t)`` / ``on_write[name](old, new, t)`` hooks carry
    the side effects a datasheet describes in prose.
    """

    def __init__(self, name: str, registers: list[Register], sim=None):
        self.name = name
        self.sim = sim
        self.by_offset = {}
        self.by_name = {}
        for r in registers:
            if r.offset in self.by_offset:
                raise ValueError(f"{name}: two registers at offset 0x{r.offset:X}")
            self.by_offset[r.offset] = r
            self.by_name[r.name] = r
        self.values = {r.name: r.reset for r in registers}
        self.on_read: dict[str, Callable] = {}
        self.on_write: dict[str, Callable] = {}

    def reset(self) -> None:
        for r in self.by_name.values():
            self.values[r.name] = r.reset

    def __getitem__(self, name: str) -> int:
        return self.values[name]

    def __setitem__(self, name: str, value: int) -> None:
        """Hardware-side update (not a bus write): no access rules, no hooks."""
        self.values[name] = value & self.by_name[name].all_mask

    def get(self, reg: str, fld: str) -> int:
        return self.by_name[reg].field(fld).get(self.values[reg])

    def set(self, reg: str, fld: str, fv: int) -> None:
        r = self.by_name[reg]
        self.values[reg] = r.field(fld).put(self.values[reg], fv)

    def read(self, offset: int, t: int = 0) -> int:
        r = self.by_offset.get(offset)
        if r is None:
            raise KeyError(f"{self.name}: no register at offset 0x{offset:X}")
        seen, left = r.read_value(self.values[r.name])
        self.values[r.name] = left
        hook = self.on_read.get(r.name)
        if hook is not None:
            seen = hook(seen, t)
        return seen

    def write(self, offset: int, value: int, t: int = 0) -> None:
        r = self.by_offset.get(offset)
        if r is None:
            raise KeyError(f"{self.name}: no register at offset 0x{offset:X}")
        old = self.values[r.name]
        new = r.apply_write(old, value & r.all_mask)
        self.values[r.name] = new
        hook = self.on_write.get(r.name)
        if hook is not None:
            hook(old, new, t)

    def render(self, name: str) -> str:
        return self.by_name[name].render(self.values[name])

    def table(self, title: str | None = None):
        """A ``rich`` table: one row per field, as in a datasheet."""
        from rich.table import Table

        tab = Table(title=title or self.name)
        for col in ("offset", "register", "bits", "field", "access", "reset", "value", "description"):
            tab.add_column(col)
        for off in sorted(self.by_offset):
            r = self.by_offset[off]
            v = self.values[r.name]
            for i, f in enumerate(r.fields):
                tab.add_row(
                    f"0x{off:03X}" if i == 0 else "",
                    r.name if i == 0 else "",
                    f.bits,
                    f.name,
                    f.access.value,
                    f.render(f.reset),
                    f.render(f.get(v)),
                    f.doc,
                )
        return tab
