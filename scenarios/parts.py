"""The factory tables a world is built from, keyed by the names a preset uses.

- ``BLOCKS[kind]``: the interface's register block (one model per interface);
- ``IDEAL_CHANNELS[kind]``: the QEMU-like BMC side of that block;
- ``BUSES[bus]``: how an ideal block is placed on the host's bus (an ISA
  port range; a PCI function with an I/O BAR);
- ``SOCS[soc]``: a BMC SoC, which places its own blocks on its LPC bus and
  its blocks;
- ``FIRMWARE_CHANNELS[(soc family, kind)]``: the firmware stack that serves one of them.

Adding an interface adds a row to the first two tables and one preset;
adding a SoC a row to the last.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import bmc.ssif_bmc  # noqa: F401  (its driver variants register on import; FullStackSsif imports it late)
from bmc.bt_ideal import QEMU_BT_BUFFER, IdealBt
from bmc.firmware import FullStackBt, FullStackKcs, FullStackSsif
from bmc.kcs_ideal import IdealKcs
from bmc.kcs_npcm7xx import NpcmKcsDriver
from bmc.ssif_ideal import SmbusIpmi
from buses.i2c import I2cBus, I2cController
from buses.pci import PciBus, PciFunction
from buses.variant import compose
from soc.aspeed.soc import ast2500, ast2600
from soc.bt import BtBlock
from soc.kcs import KcsBlock
from soc.nuvoton.soc import npcm7xx
from vserver.pci import enumerate_bus, probe_ipmi
from vserver.sm import SiDevice

# QEMU's PCI IPMI functions (hw/ipmi/pci_ipmi_*.c): PCI_VENDOR_ID_QEMU, device 0x1112, revision 1.
QEMU_PCI_VENDOR = 0x1234
QEMU_PCI_IPMI_DEVICE = 0x1112
PCI_IPMI_PROG_IF = {"kcs": 0x01, "bt": 0x02}
PCI_IPMI_BAR_SIZE = 8
PCI_IPMI_SLOT = 4                  # the slot the function sits in on bus 0 (INTA -> PIRQA with the swizzle)


@dataclass(frozen=True)
class Placement:
    """Where an ideal block ended up on the host side."""

    device: SiDevice | None        # what the platform tells ipmi_si (an SMBIOS record), None: found by probing
    irq_info: int                  # Get Channel Info's interrupt byte (ISA IRQ, 0x10+INTx, 0xFF)
    discover: Callable | None = None   # generator function: the host firmware's probe, returning the SiDevice


def smbus_segment(sim, name: str) -> I2cBus:
    """SSIF has no register block: the host's SMBus segment (100 kHz, the SMBus 2.0 clock) is what the
    device sits on."""
    return I2cBus(sim, name, hz=100_000)


def ideal_ssif(sim, bus, core, use_irq: bool = False, irq_info: int = 0xFF, si=None, variants=()) -> SmbusIpmi:
    """QEMU's ``smbus-ipmi`` at the preset's I2C address (it has no interrupt)."""
    device = compose(SmbusIpmi, variants)(sim, core, f"{bus.name}.smbus-ipmi")
    bus.attach(si.address, device)
    return device


BLOCKS = {"kcs": KcsBlock, "bt": partial(BtBlock, size=QEMU_BT_BUFFER), "ssif": smbus_segment}
IDEAL_CHANNELS = {"kcs": IdealKcs, "bt": IdealBt, "ssif": ideal_ssif}


def place_isa(world, block, si) -> Placement:
    """QEMU's ``isa-ipmi-*``: the block at its I/O ports, its interrupt on ISA IRQ ``si.irq``."""
    world.io.map(si.address, block.io_size, block, block.name)
    if si.irq:
        world.host.wire_irq(si.irq, block.host_irq)
    irq = si.irq if world.use_irq and si.irq else 0
    return Placement(SiDevice(si.kind, si.address, irq=irq, source="smbios"), irq if irq else 0xFF)


def place_pci(world, block, si) -> Placement:
    """QEMU's ``pci-ipmi-*``: a function with the block in an 8-byte I/O BAR, INTA; the host enumerates."""
    if world.pci is None:
        world.pci = PciBus(world.sim, world.io)
    function = PciFunction(world.sim, f"{block.name}.pci", QEMU_PCI_VENDOR, QEMU_PCI_IPMI_DEVICE,
                           0x0C0700 | PCI_IPMI_PROG_IF[si.kind], revision=1,
                           bars=((PCI_IPMI_BAR_SIZE, block),), pin=1, irq_line=block.host_irq)
    world.pci.add(PCI_IPMI_SLOT, function)
    world.pci.wire(world.host)
    world.pci_function = function

    def discover():
        cpu = world.host.cpu
        found = yield from enumerate_bus(cpu, world.pci.route, sim=world.sim)
        for f in found:
            device = yield from probe_ipmi(cpu, f, use_irq=world.use_irq)
            if device is not None:
                return device
        return None
    return Placement(None, 0x10 if world.use_irq else 0xFF, discover)


def npcm_kcs(sim, soc, core, si, **kw) -> FullStackKcs:
    """``kcs_bmc_npcm7xx`` behind the same stack; the host's firmware decodes the channel at the
    preset's address first (the BMC driver never programs host addresses on this SoC)."""
    soc.kcs.decode(si.channel, si.address, sim.now)
    return FullStackKcs(sim, soc, core, si, driver=NpcmKcsDriver, **kw)


def place_smbus(world, bus, si) -> Placement:
    """QEMU's q35 ICH9 SMBus: the host's adapter drives the segment; SMBIOS names the SSIF address."""
    world.host.smbus_adapter = I2cController(world.sim, bus, "i801")
    return Placement(SiDevice("ssif", si.address, source="smbios"), 0xFF)


BUSES = {"isa": place_isa, "pci": place_pci, "smbus": place_smbus}
SOCS = {"ast2500": ast2500, "ast2600": ast2600, "npcm7xx": npcm7xx}
def aspeed_ssif(sim, soc, core, si, host=None, **kw) -> FullStackSsif:
    """The host's SMBus segment wired to the SoC's I2C bus ``si.channel``, the host's adapter on it."""
    segment = smbus_segment(sim, f"{soc.name}.smbus")
    host.smbus_adapter = I2cController(sim, segment, "i801")
    timing = kw.get("timing")
    return compose(FullStackSsif, timing.variants if timing else ())(sim, soc, core, si, smbus=segment, **kw)


FIRMWARE_CHANNELS = {("aspeed", "kcs"): FullStackKcs, ("aspeed", "bt"): FullStackBt, ("aspeed", "ssif"): aspeed_ssif,
                     ("nuvoton", "kcs"): npcm_kcs}
