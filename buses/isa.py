"""ISA/LPC I/O port space: decode, a cost per access, 0xFF from nowhere.

A device mapped here implements ``io_read(offset, t) -> int`` and
``io_write(offset, value, t)``; ``t`` is the time the access lands (the
initiator's local time).  An unmapped read floats the bus to 0xFF, as on a
real LPC bus with no SYNC from any peripheral; an unmapped write is lost.
"""

from __future__ import annotations

from .time import ns

# One LPC I/O cycle is 13 LCLK at 33 MHz (~0.39 us); a CPU-visible inb/outb
# through the chipset costs about 1 us (reference/performance.md B5).
LPC_IO_CYCLE_NS = ns(390)
CPU_PORT_IO_NS = ns(1000)


class IoSpace:
    """The 64 KiB x86 I/O port space as seen through the LPC bridge."""

    def __init__(self, sim, name: str = "isa", access_ns: int = CPU_PORT_IO_NS):
        self.sim = sim
        self.name = name
        self.access_ns = access_ns
        self._decode: dict[int, tuple[object, int]] = {}
        self._maps: list[tuple[int, int, object, str]] = []

    def map(self, base: int, length: int, device, name: str) -> None:
        if not (0 <= base and base + length <= 0x10000):
            raise ValueError(f"{name}: I/O range 0x{base:X}+{length} outside 0x0000-0xFFFF")
        for port in range(base, base + length):
            if port in self._decode:
                other = next(m for m in self._maps if m[0] <= port < m[0] + m[1])
                raise ValueError(f"{name}: port 0x{port:X} already decoded by {other[3]}")
        for i in range(length):
            self._decode[base + i] = (device, i)
        self._maps.append((base, length, device, name))

    def unmap(self, device) -> None:
        self._maps = [m for m in self._maps if m[2] is not device]
        self._decode = {p: d for p, d in self._decode.items() if d[0] is not device}

    def inb(self, port: int, t: int) -> int:
        hit = self._decode.get(port)
        if hit is None:
            self.sim.trace(t, "bus", self.name, "inb-unmapped", port=f"0x{port:04X}", value="0xFF")
            return 0xFF
        return hit[0].io_read(hit[1], t)

    def outb(self, port: int, value: int, t: int) -> None:
        hit = self._decode.get(port)
        if hit is None:
            self.sim.trace(t, "bus", self.name, "outb-unmapped", port=f"0x{port:04X}", value=f"0x{value:02X}")
            return
        hit[0].io_write(hit[1], value & 0xFF, t)

    def watch(self, port: int):
        """The decoding device's change notifier for ``port`` (``io_watch``), or None.

        A polling driver sleeps on it instead of reading an unchanged status
        register every poll tick: O(changes), with the poll grid kept exact.
        """
        hit = self._decode.get(port)
        if hit is None or not hasattr(hit[0], "io_watch"):
            return None
        return hit[0].io_watch(hit[1])

    def mappings(self) -> list[tuple[int, int, str]]:
        return [(b, n, name) for b, n, _d, name in sorted(self._maps, key=lambda m: m[0])]
