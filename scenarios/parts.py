"""The factory tables a world is built from, keyed by the names a preset uses.

- ``BLOCKS[kind]``: the interface's register block (one model per interface);
- ``IDEAL_CHANNELS[kind]``: the QEMU-like BMC side of that block;
- ``BUSES[bus]``: how an ideal block is placed on the host's bus (an ISA
  port range; a PCI function with an I/O BAR);
- ``SOCS[soc]``: a BMC SoC, which places its own blocks on its LPC bus and
  its blocks;
- ``FIRMWARE_CHANNELS[kind]``: the firmware stack that serves one of them.

Adding an interface adds a row to the first two tables and one preset;
adding a SoC a row to the last.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from bmc.bt_ideal import QEMU_BT_BUFFER, IdealBt
from bmc.firmware import FullStackKcs
from bmc.kcs_ideal import IdealKcs
from soc.ast2600 import Ast2600
from soc.bt import BtBlock
from soc.kcs import KcsBlock
from vserver.sm import SiDevice


@dataclass(frozen=True)
class Placement:
    """Where an ideal block ended up on the host side."""

    device: SiDevice               # what the platform tells ipmi_si (SMBIOS record / PCI probe)
    irq_info: int                  # Get Channel Info's interrupt byte (ISA IRQ, 0x10+INTx, 0xFF)


BLOCKS = {"kcs": KcsBlock, "bt": partial(BtBlock, size=QEMU_BT_BUFFER)}
IDEAL_CHANNELS = {"kcs": IdealKcs, "bt": IdealBt}


def place_isa(world, block, si) -> Placement:
    """QEMU's ``isa-ipmi-*``: the block at its I/O ports, its interrupt on ISA IRQ ``si.irq``."""
    world.io.map(si.address, block.io_size, block, block.name)
    if si.irq:
        world.host.wire_irq(si.irq, block.host_irq)
    irq = si.irq if world.use_irq and si.irq else 0
    return Placement(SiDevice(si.kind, si.address, irq=irq, source="smbios"), irq if irq else 0xFF)


BUSES = {"isa": place_isa}
SOCS = {"ast2600": Ast2600}
FIRMWARE_CHANNELS = {"kcs": FullStackKcs}
