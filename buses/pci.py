"""Conventional PCI: type-0 configuration space, I/O BARs, INTx, configuration mechanism #1.

``PciFunction`` is one function's 256-byte configuration header (PCI Local
Bus 3.0 section 6.1) with the fields a host's enumeration touches:

- Vendor/Device ID, Revision, Class Code (base class, subclass, prog-if),
  Header Type 0, Interrupt Pin, all read-only;
- Command: I/O Space (bit 0) gates the I/O BARs' decode; Interrupt
  Disable (bit 10) gates INTx; other bits read back as written;
- Status: Interrupt Status (bit 3) follows the function's interrupt
  whatever Interrupt Disable says; Capabilities List is 0;
- I/O BARs: bit 0 reads 1; writing all ones and reading back gives the
  size (the low bits below the size read 0); the address decodes in the
  host's ``IoSpace`` only while I/O Space is on, and moves when the BAR
  is rewritten;
- Interrupt Line: read/write scratch for the firmware's routing result.

``PciBus`` is one bus behind the host bridge, reached through
configuration mechanism #1 (CONFIG_ADDRESS at 0xCF8, a 32-bit register,
and CONFIG_DATA at 0xCFC-0xCFF).  A configuration read of an absent
device returns all ones (a master abort).  INTx pins are swizzled onto
the four PIRQ lines (``(pin - 1 + device) mod 4``), each wired to one
host interrupt (``pirq_irqs``), as a chipset's PIRQ router programmed by
the BIOS does: the function's interrupt output reaches the host's
interrupt controller there.

QEMU's counterpart is ``hw/pci/pci.c``; its IPMI functions
(``hw/ipmi/pci_ipmi_{kcs,bt}.c``) are one I/O BAR of 8 bytes, INTA, class
0x0C07 with programming interface 0x01 (KCS) or 0x02 (BT).
"""

from __future__ import annotations

from typing import Protocol

from .signal import IrqLine

VENDOR_ID = 0x00
DEVICE_ID = 0x02
COMMAND = 0x04
STATUS = 0x06
REVISION_ID = 0x08
CLASS_CODE = 0x09        # prog-if at 0x09, subclass 0x0A, base class 0x0B
HEADER_TYPE = 0x0E
BAR0 = 0x10
INTERRUPT_LINE = 0x3C
INTERRUPT_PIN = 0x3D
CONFIG_SIZE = 0x100

COMMAND_IO = 0x0001
COMMAND_INTX_DISABLE = 0x0400
STATUS_INTERRUPT = 0x0008
BAR_IO = 0x1

CONFIG_ADDRESS_PORT = 0xCF8
CONFIG_DATA_PORT = 0xCFC
CONFIG_ENABLE = 0x8000_0000

INTX_NAMES = ("INTA", "INTB", "INTC", "INTD")


class PciTarget(Protocol):
    """A PCI function as a bus sees it: configuration reads and writes of 1, 2 or 4 bytes."""

    def config_read(self, offset: int, size: int) -> int: ...

    def config_write(self, offset: int, value: int, size: int, t: int) -> None: ...


class PciFunction:
    """One type-0 function whose BARs are I/O ranges of ``IoTarget``s."""

    def __init__(self, sim, name: str, vendor: int, device: int, class_code: int, revision: int = 0,
                 bars: tuple[tuple[int, object], ...] = (), pin: int = 1, irq_line: IrqLine | None = None):
        for size, _target in bars:
            if size < 4 or size & (size - 1):
                raise ValueError(f"{name}: I/O BAR size {size} is not a power of two of at least 4")
        if not 0 <= pin <= 4:
            raise ValueError(f"{name}: interrupt pin {pin} is not 0 (none) or 1-4 (INTA-INTD)")
        self.sim = sim
        self.name = name
        self.cfg = bytearray(CONFIG_SIZE)
        self._put(VENDOR_ID, vendor, 2)
        self._put(DEVICE_ID, device, 2)
        self._put(REVISION_ID, revision, 1)
        self._put(CLASS_CODE, class_code, 3)
        self.cfg[INTERRUPT_PIN] = pin
        self.cfg[INTERRUPT_LINE] = 0xFF          # "unknown / not connected" until firmware routes it
        self.bars = list(bars)
        for i in range(len(bars)):
            self._put(BAR0 + 4 * i, BAR_IO, 4)
        self.io_space = None                     # the host I/O space the BARs decode in (set by the bus)
        self._mapped: list[int | None] = [None] * len(bars)
        self.intx = IrqLine(sim, f"{name}.{INTX_NAMES[pin - 1] if pin else 'nointx'}")
        self._irq_level = 0
        if irq_line is not None:                 # the function's interrupt follows the device's level
            irq_line.connect(lambda t: self._device_irq(1, t))
            irq_line.fall_listeners.append(lambda t: self._device_irq(0, t))

    def _put(self, offset: int, value: int, size: int) -> None:
        self.cfg[offset:offset + size] = value.to_bytes(size, "little")

    def _get(self, offset: int, size: int) -> int:
        return int.from_bytes(self.cfg[offset:offset + size], "little")

    @property
    def command(self) -> int:
        return self._get(COMMAND, 2)

    def bar_address(self, i: int = 0) -> int:
        return self._get(BAR0 + 4 * i, 4) & ~0x3

    # -- configuration space --------------------------------------------------------------
    def config_read(self, offset: int, size: int) -> int:
        return self._get(offset, size)

    def config_write(self, offset: int, value: int, size: int, t: int) -> None:
        for i in range(size):
            self._write_byte(offset + i, value >> (8 * i) & 0xFF)
        self._decode(t)
        self._drive_intx(t)

    def _write_byte(self, off: int, byte: int) -> None:
        if off in (COMMAND, COMMAND + 1, INTERRUPT_LINE):
            self.cfg[off] = byte
            if off == COMMAND + 1:
                self.cfg[off] &= 0x07            # bits 15:11 reserved
        elif BAR0 <= off < BAR0 + 4 * len(self.bars):
            i, k = divmod(off - BAR0, 4)
            size = self.bars[i][0]
            mask = (~(size - 1) & 0xFFFF_FFFF) >> (8 * k) & 0xFF
            self.cfg[off] = byte & mask | (BAR_IO if k == 0 else 0)
        # everything else is read-only (or reserved, reading 0)

    def _decode(self, t: int) -> None:
        """Map each BAR where it points while I/O Space is on; unmap or move it otherwise."""
        io = self.io_space
        if io is None:
            return
        on = bool(self.command & COMMAND_IO)
        for i, (size, target) in enumerate(self.bars):
            addr = self.bar_address(i)
            want = addr if on and addr and addr + size <= 0x10000 else None
            if want == self._mapped[i]:
                continue
            if self._mapped[i] is not None:
                io.unmap(target)
            if want is not None:
                io.map(want, getattr(target, "io_size", size), target, f"{self.name}.bar{i}")
            self._mapped[i] = want
            self.sim.trace(t, "bus", self.name, "bar-decode", bar=i,
                           at=f"0x{want:04X}" if want is not None else "off", size=size)

    # -- INTx ------------------------------------------------------------------------------
    def _device_irq(self, level: int, t: int) -> None:
        self._irq_level = level
        self._drive_intx(t)

    def _drive_intx(self, t: int) -> None:
        level = self._irq_level
        status = self._get(STATUS, 2)
        self._put(STATUS, status | STATUS_INTERRUPT if level else status & ~STATUS_INTERRUPT, 2)
        self.intx.set(level and not self.command & COMMAND_INTX_DISABLE, t)


class PciBus:
    """Bus 0 behind the host bridge, with configuration mechanism #1 in the host's I/O space."""

    io_size = 8

    def __init__(self, sim, io_space, pirq_irqs: tuple[int, int, int, int] = (10, 11, 10, 11), name: str = "pci0"):
        self.sim = sim
        self.name = name
        self.io_space = io_space
        self.pirq_irqs = pirq_irqs
        self.functions: dict[tuple[int, int], PciFunction] = {}
        self.config_address = 0
        io_space.map(CONFIG_ADDRESS_PORT, self.io_size, self, f"{name}.config")

    def add(self, device: int, function: PciFunction, fn: int = 0) -> None:
        if not 0 <= device < 32 or (device, fn) in self.functions:
            raise ValueError(f"{self.name}: slot {device}.{fn} is taken or outside 0-31")
        self.functions[(device, fn)] = function
        function.io_space = self.io_space

    def route(self, device: int, pin: int) -> int:
        """The host interrupt a function's INTx pin reaches (the PIRQ swizzle, then the router)."""
        return self.pirq_irqs[(pin - 1 + device) % 4]

    def wire(self, host) -> None:
        """Wire every function's INTx to the host interrupt its PIRQ line is routed to."""
        for (device, _fn), f in self.functions.items():
            pin = f.cfg[INTERRUPT_PIN]
            if pin:
                host.wire_irq(self.route(device, pin), f.intx)

    # -- configuration mechanism #1 (an IoTarget with wide accesses) -----------------------------
    def _target(self) -> tuple[PciFunction | None, int]:
        a = self.config_address
        if not a & CONFIG_ENABLE or (a >> 16) & 0xFF != 0:
            return None, 0
        return self.functions.get(((a >> 11) & 0x1F, (a >> 8) & 0x7)), a & 0xFC

    def io_read_wide(self, offset: int, size: int, t: int) -> int:
        if offset == 0 and size == 4:
            return self.config_address
        if offset < 4:
            return (1 << 8 * size) - 1               # only a 32-bit access reaches CONFIG_ADDRESS
        f, reg = self._target()
        if f is None:
            return (1 << 8 * size) - 1               # master abort: all ones
        return f.config_read(reg + offset - 4, size)

    def io_write_wide(self, offset: int, value: int, size: int, t: int) -> None:
        if offset == 0 and size == 4:
            self.config_address = value & 0x80FF_FFFC
            return
        if offset < 4:
            return
        f, reg = self._target()
        if f is not None:
            f.config_write(reg + offset - 4, value, size, t)

    def io_read(self, offset: int, t: int) -> int:
        return self.io_read_wide(offset, 1, t)

    def io_write(self, offset: int, value: int, t: int) -> None:
        self.io_write_wide(offset, value, 1, t)
