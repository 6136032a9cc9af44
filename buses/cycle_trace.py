"""The ``bus`` layer of a trace for port and memory-mapped spaces: one record per cycle.

Why a hop and not a line in the initiators: ``HostCpu.inb``/``outb`` and the firmware CPU's
``mmio_read``/``mmio_write`` are the simulator's hottest code.  A traced world wraps every
target of its I/O space and of its SoC's MMIO space in one of these (``trace_io``,
``trace_mmio``), so an untraced run pays nothing.

Each cycle is traced when the initiator starts it, before the device's own records (the
register's new status, an interrupt line it moves): the cause first.  A read's record has the
address only; the data the device answered is in the ``reg`` record that follows.  The
component is the space (``isa``, ``lpc``, ``ast2600.ahb``...), the fields the address, the
mapping that decodes it and, for a write, the value.
"""

from __future__ import annotations


class TracedIo:
    """An ``IoTarget`` (ISA/LPC ports, PCI I/O BARs) whose cycles are ``bus`` records."""

    __slots__ = ("_target", "_sim", "_space", "_mapping", "_base")

    def __init__(self, target, sim, space: str, mapping: str, base: int):
        self._target, self._sim, self._space, self._mapping, self._base = target, sim, space, mapping, base

    def __getattr__(self, name):                 # io_watch and the rest: the device's own
        return getattr(self._target, name)

    def io_read(self, offset: int, t: int) -> int:
        self._sim.trace(t, "bus", self._space, "io-read", port=f"0x{self._base + offset:04X}", dev=self._mapping)
        return self._target.io_read(offset, t)

    def io_write(self, offset: int, value: int, t: int) -> None:
        self._sim.trace(t, "bus", self._space, "io-write", port=f"0x{self._base + offset:04X}",
                        value=f"0x{value:02X}", dev=self._mapping)
        self._target.io_write(offset, value, t)

    def io_read_wide(self, offset: int, size: int, t: int) -> int:
        self._sim.trace(t, "bus", self._space, f"io-read{size * 8}", port=f"0x{self._base + offset:04X}",
                        dev=self._mapping)
        inner = self._target
        if hasattr(inner, "io_read_wide"):
            return inner.io_read_wide(offset, size, t)
        return sum(inner.io_read(offset + i, t) << (8 * i) for i in range(size))

    def io_write_wide(self, offset: int, value: int, size: int, t: int) -> None:
        self._sim.trace(t, "bus", self._space, f"io-write{size * 8}", port=f"0x{self._base + offset:04X}",
                        value=f"0x{value:0{size * 2}X}", dev=self._mapping)
        inner = self._target
        if hasattr(inner, "io_write_wide"):
            inner.io_write_wide(offset, value, size, t)
            return
        for i in range(size):
            inner.io_write(offset + i, value >> (8 * i) & 0xFF, t)


class TracedMmio:
    """An ``MmioTarget`` (a SoC block on its AHB/APB map) whose accesses are ``bus`` records."""

    __slots__ = ("_target", "_sim", "_space", "_base")

    def __init__(self, target, sim, space: str, base: int):
        self._target, self._sim, self._space, self._base = target, sim, space, base

    def __getattr__(self, name):
        return getattr(self._target, name)

    def read(self, offset: int, t: int) -> int:
        self._sim.trace(t, "bus", self._space, "mmio-read", addr=f"0x{self._base + offset:08X}")
        return self._target.read(offset, t)

    def write(self, offset: int, value: int, t: int) -> None:
        self._sim.trace(t, "bus", self._space, "mmio-write", addr=f"0x{self._base + offset:08X}",
                        value=f"0x{value:08X}")
        self._target.write(offset, value, t)


def _traced(sim) -> bool:
    tracer = sim.tracer
    return tracer.enabled and (tracer.layers is None or "bus" in tracer.layers)


def trace_io(sim, io_space) -> None:
    """Every cycle of ``io_space`` (mapped now or later) becomes a ``bus`` record, if the trace keeps them."""
    if _traced(sim):
        io_space.interpose(lambda target, mapping: TracedIo(target, sim, io_space.name, mapping,
                                                            io_space.bases.get(mapping, 0)))


def trace_mmio(sim, mmio_space) -> None:
    """Likewise for a SoC's memory-mapped space; before its CPU's first access."""
    if _traced(sim):
        mmio_space.interpose(lambda target, base: TracedMmio(target, sim, mmio_space.name, base))
