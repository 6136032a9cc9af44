"""The bus-target seam: what a device implements to be decoded at a bus address.

A bus (``IoSpace`` for ISA/LPC ports and PCI I/O BARs, ``MmioSpace`` for a
SoC's register map) finds the target at an address and calls it with the
offset inside the target's range and the time ``t`` the access lands (the
initiator's local time, see ``buses.initiator``).  QEMU's counterpart is
``MemoryRegionOps``; an I²C target (the SSIF issue) gets its own
contract, byte by byte with ACKs, in ``buses.i2c``.

Targets are plain objects; these Protocols only name the methods.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from .signal import Notifier


@runtime_checkable
class IoTarget(Protocol):
    """A device in I/O port space: byte-wide registers at offsets 0..length-1."""

    def io_read(self, offset: int, t: int) -> int: ...

    def io_write(self, offset: int, value: int, t: int) -> None: ...


@runtime_checkable
class WatchedIoTarget(IoTarget, Protocol):
    """An I/O target whose host-visible status can be slept on.

    ``io_watch(offset)`` returns the notifier fired when what a read of
    ``offset`` returns may have changed, so a polling driver sleeps until
    then instead of reading an unchanged register every poll tick.
    """

    def io_watch(self, offset: int) -> Notifier | None: ...


@runtime_checkable
class MmioTarget(Protocol):
    """A device in a memory-mapped register space (a SoC's APB/AHB map)."""

    def read(self, offset: int, t: int) -> int: ...

    def write(self, offset: int, value: int, t: int) -> None: ...
