"""A SoC's memory-mapped register space: regions of ``MmioTarget``s at base addresses.

The firmware CPU (``soc.cpu.FirmwareCpu``) reads and writes through it;
each region's target gets the offset inside its region.  An access that no
region decodes is a programming error in the model (on silicon, a bus
fault), so it raises, naming the address.
"""

from __future__ import annotations


class MmioSpace:
    def __init__(self, name: str):
        self.name = name
        self.regions: list[tuple[int, int, object]] = []
        self._last: tuple[int, int, object] = (0, 0, None)
        self._interposers: list = []

    def add(self, base: int, size: int, device) -> None:
        for b, n, _d in self.regions:
            if base < b + n and b < base + size:
                raise ValueError(f"{self.name}: region 0x{base:08X}+0x{size:X} overlaps 0x{b:08X}")
        for fn in self._interposers:
            device = fn(device, base)
        self.regions.append((base, size, device))

    def interpose(self, fn) -> None:
        """Wrap every region's device, now and from now on, in ``fn(device, base)``'s result (as
        ``IoSpace.interpose`` does); before the first access, since CPUs cache what they decoded."""
        self._interposers.append(fn)
        self.regions = [(b, n, fn(d, b)) for b, n, d in self.regions]
        self._last = (0, 0, None)

    def _find(self, addr: int):
        """(device, offset) that decodes ``addr``; the firmware CPU caches the answer per address."""
        base, size, dev = self._last                   # a driver works one block at a time
        if base <= addr < base + size:
            return dev, addr - base
        for region in self.regions:
            base, size, dev = region
            if base <= addr < base + size:
                self._last = region
                return dev, addr - base
        raise ValueError(f"{self.name}: no device at 0x{addr:08X}")

    def read(self, addr: int, t: int) -> int:
        dev, off = self._find(addr)
        return dev.read(off, t)

    def write(self, addr: int, value: int, t: int) -> None:
        dev, off = self._find(addr)
        dev.write(off, value, t)
