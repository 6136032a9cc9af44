"""The spec's section and field layout of every implemented command, and a decoder for a message's bytes.

``LAYOUTS[(netfn, cmd)]`` (the request's NetFn) gives the command's section in the IPMI 2.0
specification (rev 1.1, Appendix G Table G-1) and its request and response fields as the
spec's command tables name them; ``decode(fields, data)`` names the bytes of one message::

    >>> decode(layout(0x06, 0x01).response, bytes.fromhex("20 01 02 03 02 8f 00 00 00 00 00"))[:2]
    [('Device ID', '0x20 (32)'), ('Provides Device SDRs', '0')]

The tables themselves are data, one module per network function in ``bmc.ipmi.layouts``.
"""

from __future__ import annotations

from collections.abc import Iterable

from .layouts import app, chassis, sensor_event, sol, storage, transport
from .layouts.fields import REST, Field, Layout
from .netfn import NetFn

LAYOUTS: dict[tuple[int, int], Layout] = {
    (netfn, int(cmd)): entry
    for netfn, table in ((NetFn.CHASSIS, chassis.LAYOUTS), (NetFn.SENSOR_EVENT, sensor_event.LAYOUTS),
                         (NetFn.APP, app.LAYOUTS), (NetFn.STORAGE, storage.LAYOUTS),
                         (NetFn.APP, sol.APP_LAYOUTS), (NetFn.TRANSPORT, sol.TRANSPORT_LAYOUTS),
                         (NetFn.TRANSPORT, transport.LAYOUTS))
    for cmd, entry in table.items()
}


def layout(netfn: int, cmd: int) -> Layout | None:
    """The layout of a command by its request NetFn (a response NetFn, odd, finds the same one)."""
    return LAYOUTS.get((netfn & ~1, cmd))


def covered(fields: Iterable[Field], length: int) -> set[int]:
    """The byte offsets of a ``length``-byte message that some field explains."""
    out: set[int] = set()
    for f in fields:
        out.update(range(f.offset, min(f.end(length), length)))
    return out


def render(f: Field, chunk: bytes) -> str:
    """One field's value as text: hex bytes for blobs, else the number (or bits) in hex and decimal."""
    if f.is_blob:
        return chunk.hex(" ").upper()
    if len(chunk) < f.size:                      # a number cut short by the message's end
        return f"{chunk.hex(' ').upper()} ({len(chunk)} of {f.size} bytes)"
    v = int.from_bytes(chunk, "big" if f.endian == "big" else "little")
    width = 8 * f.size
    if f.bits is not None:
        msb, lsb = f.bits
        width = msb - lsb + 1
        v = v >> lsb & ((1 << width) - 1)
    digits = max(2, -(-width // 4))
    meaning = f.values.get(v) if f.values else None
    if f.bits is not None and width == 1:
        return str(v) if meaning is None else f"{v} ({meaning})"
    if meaning is not None:
        return f"0x{v:0{digits}X} ({meaning})"
    number = v - (1 << width) if f.signed and v >> (width - 1) else v
    return f"0x{v:0{digits}X} ({number})"


def decode(fields: Iterable[Field], data: bytes) -> list[tuple[str, str]]:
    """``(field name, rendered value)`` for the fields whose bytes are present, in the table's order.

    A field that starts past the end is left out (optional ones are expected to be);
    one cut short shows the bytes there are; bytes no field explains come last as ``data[k]``.
    Never raises on a short or long message.
    """
    fields = tuple(fields)
    data = bytes(data)
    out = []
    for f in fields:
        if f.offset >= len(data):
            continue
        out.append((f.name, render(f, data[f.offset:f.end(len(data))])))
    known = covered(fields, len(data))
    out.extend((f"data[{k}]", f"0x{data[k]:02X} ({data[k]})") for k in range(len(data)) if k not in known)
    return out


__all__ = ["Field", "LAYOUTS", "Layout", "REST", "covered", "decode", "layout", "render"]
