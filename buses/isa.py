"""ISA/LPC I/O port space: decode, interposable hops, 0xFF from nowhere.

A device mapped here is an ``IoTarget`` (``buses.target``): byte-wide
``io_read(offset, t)`` / ``io_write(offset, value, t)``, where ``t`` is the
time the access lands (the initiator's local time).  An unmapped read
floats the bus to 0xFF, as on a real LPC bus with no SYNC from any
peripheral; an unmapped write is lost.  PCI I/O BARs are decoded in the
same space (``buses.pci`` maps and moves them).

Word and doubleword accesses (``inl``/``outl``, the PCI configuration
mechanism) go to a target's ``io_read_wide``/``io_write_wide`` when it has
them, and are split into byte accesses otherwise.

Every mapping is a hop: ``interpose(fn)`` wraps the target of every
mapping, present and future, in ``fn(target, name)``'s result, which is
how a tracer or a fault sits on the bus without touching any device.
"""

from __future__ import annotations

from .time import ns

# One LPC I/O cycle is 13 LCLK at 33 MHz (~0.39 us); a CPU-visible inb/outb
# through the chipset costs about 1 us (reference/performance.md B5).
LPC_IO_CYCLE_NS = ns(390)
CPU_PORT_IO_NS = ns(1000)


class IoSpace:
    """The 64 KiB x86 I/O port space as seen through the LPC bridge (and PCI I/O BARs)."""

    def __init__(self, sim, name: str = "isa", access_ns: int = CPU_PORT_IO_NS):
        self.sim = sim
        self.name = name
        self.access_ns = access_ns
        self.generation = 0            # bumps on every (un)mapping: decoders caching a port revalidate
        self._decode: dict[int, tuple[object, int]] = {}
        self._maps: list[tuple[int, int, object, str, object]] = []   # base, length, device, name, decoded target
        self._interposers: list = []
        self.bases: dict[str, int] = {}          # mapping name -> its first port (for traced cycles)

    # -- mapping ---------------------------------------------------------------------
    def map(self, base: int, length: int, device, name: str) -> None:
        if not (0 <= base and base + length <= 0x10000):
            raise ValueError(f"{name}: I/O range 0x{base:X}+{length} outside 0x0000-0xFFFF")
        for port in range(base, base + length):
            if port in self._decode:
                other = next(m for m in self._maps if m[0] <= port < m[0] + m[1])
                raise ValueError(f"{name}: port 0x{port:X} already decoded by {other[3]}")
        self.bases[name] = base
        target = device
        for fn in self._interposers:
            target = fn(target, name)
        for i in range(length):
            self._decode[base + i] = (target, i)
        self._maps.append((base, length, device, name, target))
        self.generation += 1

    def unmap(self, device) -> None:
        gone = [m for m in self._maps if m[2] is device]
        if not gone:
            return
        self._maps = [m for m in self._maps if m[2] is not device]
        for base, length, *_ in gone:
            for port in range(base, base + length):
                self._decode.pop(port, None)
        self.generation += 1

    def interpose(self, fn) -> None:
        """Wrap every mapping's target, now and from now on, in ``fn(target, name)``."""
        self._interposers.append(fn)
        maps = []
        for base, length, device, name, target in self._maps:
            wrapped = fn(target, name)
            for i in range(length):
                self._decode[base + i] = (wrapped, i)
            maps.append((base, length, device, name, wrapped))
        self._maps = maps
        self.generation += 1

    def decode(self, port: int) -> tuple[object, int] | None:
        """(target, offset) that answers ``port`` now, or None."""
        return self._decode.get(port)

    def mappings(self) -> list[tuple[int, int, str]]:
        return [(b, n, name) for b, n, _d, name, _t in sorted(self._maps, key=lambda m: m[0])]

    # -- byte accesses (the hot path) -----------------------------------------------------
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

    # -- wide accesses ------------------------------------------------------------------------
    def read(self, port: int, size: int, t: int) -> int:
        """``inb``/``inw``/``inl``: ``size`` bytes from ``port``, little-endian."""
        hit = self._decode.get(port)
        if hit is not None and hasattr(hit[0], "io_read_wide"):
            return hit[0].io_read_wide(hit[1], size, t)
        return sum(self.inb(port + i, t) << (8 * i) for i in range(size))

    def write(self, port: int, value: int, size: int, t: int) -> None:
        """``outb``/``outw``/``outl``: ``size`` bytes of ``value`` to ``port``, little-endian."""
        hit = self._decode.get(port)
        if hit is not None and hasattr(hit[0], "io_write_wide"):
            hit[0].io_write_wide(hit[1], value & ((1 << 8 * size) - 1), size, t)
            return
        for i in range(size):
            self.outb(port + i, value >> (8 * i) & 0xFF, t)

    def watch(self, port: int):
        """The decoding device's change notifier for ``port`` (``io_watch``), or None.

        A polling driver sleeps on it instead of reading an unchanged status
        register every poll tick: O(changes), with the poll grid kept exact.
        """
        hit = self._decode.get(port)
        if hit is None or not hasattr(hit[0], "io_watch"):
            return None
        return hit[0].io_watch(hit[1])
