"""``Field`` and ``Layout``: one row of a spec command table, and one command's request and response rows.

Offsets count from 0 in the data after NetFn/LUN and Cmd (request) or after the
completion code (response): the spec's "byte 1" of a request is offset 0, its
"byte 2" of a response (byte 1 being the completion code) is offset 0 as well.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

REST = 0  # a field size: the rest of the data


@dataclass(frozen=True)
class Field:
    name: str                                 # the spec's field name
    offset: int                               # byte offset in the request or response data
    size: int = 1                             # bytes; REST (0) = the rest of the data
    bits: tuple[int, int] | None = None       # (msb, lsb) inside the byte(s) of a bit field
    values: Mapping[int, str] | None = field(default=None, hash=False)   # meanings of values (a dict: unhashed)
    optional: bool = False                    # may be absent (shorter message)
    endian: str = "little"                    # multi-byte numbers; IPMI sends the LS byte first
    raw: bool = False                         # bytes, not a number (strings, GUIDs, records)
    signed: bool = False                      # two's complement number

    @property
    def is_blob(self) -> bool:
        """Rendered as hex bytes: a string, a record, "the rest", or anything wider than 4 bytes."""
        return self.raw or self.size == REST or self.size > 4

    def end(self, length: int) -> int:
        """One past this field's last byte in a message of ``length`` bytes."""
        return length if self.size == REST else self.offset + self.size


@dataclass(frozen=True)
class Layout:
    section: str                  # the command's section in the spec (Appendix G, Table G-1)
    request: tuple[Field, ...]
    response: tuple[Field, ...]


# -- shorthands for the tables ----------------------------------------------------------------------


def byte(name: str, offset: int, values: Mapping[int, str] | None = None, optional: bool = False) -> Field:
    return Field(name, offset, 1, None, values, optional)


def word(name: str, offset: int, size: int = 2, optional: bool = False, values=None, signed: bool = False) -> Field:
    """A little-endian number of ``size`` bytes."""
    return Field(name, offset, size, None, values, optional, signed=signed)


def bit(name: str, offset: int, msb: int, lsb: int | None = None, values: Mapping[int, str] | None = None,
        optional: bool = False, size: int = 1) -> Field:
    """Bits msb..lsb (one bit when ``lsb`` is omitted) of the byte at ``offset``."""
    return Field(name, offset, size, (msb, msb if lsb is None else lsb), values, optional)


def blob(name: str, offset: int, size: int = REST, optional: bool = False) -> Field:
    """Bytes shown as hex: a string, a GUID, a record, parameter data; size REST = to the end."""
    return Field(name, offset, size, None, None, optional, raw=True)


def flags(offset: int, names: Mapping[int, str], optional: bool = False) -> tuple[Field, ...]:
    """One-bit fields of one byte: ``{bit: name}``, most significant first."""
    return tuple(bit(n, offset, b, optional=optional) for b, n in sorted(names.items(), reverse=True))


def lay(section: str, request=(), response=()) -> Layout:
    return Layout(section, tuple(_flat(request)), tuple(_flat(response)))


def _flat(items):
    for item in items:
        if isinstance(item, Field):
            yield item
        else:
            yield from _flat(item)     # a group of fields (flags, shared rows)


# Values several commands share.
CHANNEL_NUMBER = {0x0: "primary IPMB", 0xF: "system interface"}      # Table 6-1, channel numbers
CHANNEL = {**CHANNEL_NUMBER, 0xE: "this channel"}                       # in requests: the one it came on
PRIVILEGE = {0x0: "reserved", 0x1: "callback", 0x2: "user", 0x3: "operator", 0x4: "administrator", 0x5: "OEM"}
ENABLE_ACTION = {0b00: "do not change individual enables", 0b01: "enable selected", 0b10: "disable selected",
                 0b11: "reserved"}
IN_PROGRESS = {0x0: "partial add in progress", 0x1: "last record data being transferred"}
ERASURE = {0x0: "erasure in progress", 0x1: "erase completed"}
CLEAR_OPERATION = {0xAA: "initiate erase", 0x00: "get erasure status"}
TIMER_USE = {0x1: "BIOS FRB2", 0x2: "BIOS/POST", 0x3: "OS Load", 0x4: "SMS/OS", 0x5: "OEM"}
PRE_TIMEOUT_INTERRUPT = {0b000: "none", 0b001: "SMI", 0b010: "NMI / Diagnostic Interrupt",
                         0b011: "Messaging Interrupt"}
TIMEOUT_ACTION = {0b000: "no action", 0b001: "Hard Reset", 0b010: "Power Down", 0b011: "Power Cycle"}


def parameter_revision(offset: int = 0) -> tuple[Field, ...]:
    """The configuration parameter commands' revision byte (22.14b, 30.4; 11h here): present and oldest."""
    return (bit("Present Parameter Revision", offset, 7, 4),
            bit("Oldest Backward-compatible Parameter Revision", offset, 3, 0))


def clear_request() -> tuple[Field, ...]:
    """Clear SEL / Clear SDR Repository request: reservation, the 'CLR' signature, the operation."""
    return (word("Reservation ID", 0), byte("'C' (43h)", 2), byte("'L' (4Ch)", 3), byte("'R' (52h)", 4),
            byte("Operation", 5, CLEAR_OPERATION))
