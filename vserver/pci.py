"""The host's side of PCI: the firmware's enumeration pass and Linux ``ipmi_si_pci``'s probe.

``enumerate_bus`` is what a BIOS does before the OS: through configuration
mechanism #1 (``outl`` of CONFIG_ADDRESS at 0xCF8, ``inl``/``outl`` of
CONFIG_DATA at 0xCFC) it finds every function on bus 0, sizes each I/O BAR
(write all ones, read back), assigns it the next aligned address of the
I/O window, enables I/O decode and writes the routed interrupt into
Interrupt Line.  Every access is a real port cycle on the host CPU.

``probe_ipmi`` is ``ipmi_pci_probe`` for a function of class 0x0C07: the
programming interface picks the interface type (0x01 KCS, 0x02 BT), BAR0 the
address, Interrupt Line the IRQ, and for KCS ``ipmi_pci_probe_regspacing``
writes 0x10 (an invalid control code) to register 1 at spacings 1, 4 and
16 until the status reads back nonzero.  That write really reaches the
BMC: the KCS interface is left in its error state, and the driver's first
transaction starts with the abort that recovers it, as on real machines.
"""

from __future__ import annotations

from dataclasses import dataclass

from buses.pci import (
    BAR0,
    BAR_IO,
    CLASS_CODE,
    COMMAND,
    COMMAND_IO,
    CONFIG_ADDRESS_PORT,
    CONFIG_DATA_PORT,
    CONFIG_ENABLE,
    HEADER_TYPE,
    INTERRUPT_LINE,
    INTERRUPT_PIN,
    VENDOR_ID,
)

from .sm import SiDevice

PCI_CLASS_SERIAL_IPMI = 0x0C07
IPMI_PROG_IF = {0x00: "smic", 0x01: "kcs", 0x02: "bt"}
DEFAULT_REGSPACING = 1
KCS_INVALID_CMD = 0x10


@dataclass(frozen=True)
class PciFound:
    """One function as the enumeration left it."""

    device: int
    function: int
    vendor: int
    device_id: int
    class_code: int               # base class, subclass, prog-if
    bars: tuple[tuple[int, int], ...]   # (assigned I/O address, size) per I/O BAR
    pin: int
    irq: int


def _addr(device: int, function: int, reg: int) -> int:
    return CONFIG_ENABLE | device << 11 | function << 8 | (reg & 0xFC)


def config_read(cpu, device: int, function: int, reg: int, size: int = 4):
    """Generator: one configuration read (two port cycles)."""
    yield from cpu.outl(CONFIG_ADDRESS_PORT, _addr(device, function, reg))
    return (yield from cpu.inl(CONFIG_DATA_PORT + (reg & 3), size))


def config_write(cpu, device: int, function: int, reg: int, value: int, size: int = 4):
    yield from cpu.outl(CONFIG_ADDRESS_PORT, _addr(device, function, reg))
    yield from cpu.outl(CONFIG_DATA_PORT + (reg & 3), value, size)


def enumerate_bus(cpu, route, io_window: tuple[int, int] = (0xC000, 0x10000), sim=None):
    """Generator: the BIOS pass over bus 0; returns the ``PciFound`` list.  ``route(device, pin)`` -> IRQ."""
    found = []
    next_io, io_end = io_window
    for device in range(32):
        ids = yield from config_read(cpu, device, 0, VENDOR_ID)
        if ids & 0xFFFF == 0xFFFF:
            continue                          # master abort: nobody there
        class_rev = yield from config_read(cpu, device, 0, CLASS_CODE - 1)
        header = (yield from config_read(cpu, device, 0, HEADER_TYPE, 1)) & 0x7F
        bars = []
        if header == 0:
            for i in range(6):
                reg = BAR0 + 4 * i
                yield from config_write(cpu, device, 0, reg, 0xFFFF_FFFF)
                probe = yield from config_read(cpu, device, 0, reg)
                if not probe & BAR_IO or probe & 0xFFFC == 0:
                    yield from config_write(cpu, device, 0, reg, 0)
                    continue                  # not implemented (or a memory BAR: not this platform's business)
                size = (~(probe & 0xFFFF_FFFC) & 0xFFFF) + 1
                base = -(-next_io // size) * size
                if base + size > io_end:
                    raise RuntimeError(f"pci {device:02x}.0: no room for a {size}-byte I/O BAR in the window")
                yield from config_write(cpu, device, 0, reg, base)
                next_io = base + size
                bars.append((base, size))
        pin = (yield from config_read(cpu, device, 0, INTERRUPT_PIN, 1)) & 0xFF
        irq = route(device, pin) if pin else 0
        yield from config_write(cpu, device, 0, INTERRUPT_LINE, irq if pin else 0xFF, 1)
        command = yield from config_read(cpu, device, 0, COMMAND, 2)
        yield from config_write(cpu, device, 0, COMMAND, command | COMMAND_IO, 2)
        f = PciFound(device, 0, ids & 0xFFFF, ids >> 16, class_rev >> 8, tuple(bars), pin, irq)
        if sim is not None:
            sim.trace(cpu.t, "bios", "pci", "function", slot=f"{device:02x}.0", id=f"{f.vendor:04x}:{f.device_id:04x}",
                      class_code=f"{f.class_code:06x}", bars=" ".join(f"0x{b:X}+{n}" for b, n in bars) or "-",
                      irq=irq)
        found.append(f)
    return found


def probe_ipmi(cpu, found: PciFound, use_irq: bool = True):
    """Generator (``ipmi_pci_probe``): the ``SiDevice`` for an IPMI function, or None if it is not one."""
    if found.class_code >> 8 != PCI_CLASS_SERIAL_IPMI or not found.bars:
        return None
    si_type = IPMI_PROG_IF.get(found.class_code & 0xFF)
    if si_type not in ("kcs", "bt"):
        return None
    addr = found.bars[0][0]
    regspacing = DEFAULT_REGSPACING
    if si_type == "kcs":
        regspacing = yield from _probe_regspacing(cpu, addr)
    return SiDevice(si_type, addr, regspacing, irq=found.irq if use_irq else 0, source="pci")


def _probe_regspacing(cpu, addr: int):
    """``ipmi_pci_probe_regspacing``: detect 1, 4 or 16-byte spacing by a status that reads back nonzero."""
    regspacing = DEFAULT_REGSPACING
    while regspacing <= 16:
        yield from cpu.outb(addr + 1 * regspacing, KCS_INVALID_CMD)   # write invalid cmd
        status = yield from cpu.inb(addr + 1 * regspacing)            # read status back
        if status:
            return regspacing
        regspacing *= 4
    return DEFAULT_REGSPACING
