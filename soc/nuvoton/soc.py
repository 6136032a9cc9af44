"""Nuvoton NPCM7xx (NPCM750) as ipmilab needs it: firmware CPU, GIC, the KCS block, the MMIO map.

The NPCM750 runs OpenBMC on a dual Cortex-A9 at 800 MHz.  Its three KCS
channels share GIC SPI 9 (``nuvoton-npcm750.dtsi``; ``kcs_bmc_npcm7xx``
requests it with IRQF_SHARED, each channel's handler checks its own
status).  The interrupt latency and register cost are this model's
estimates for that core, between the AST2500's ARM1176 and the AST2600's
Cortex-A7, not measurements.
"""

from __future__ import annotations

from buses import MmioSpace
from buses.time import ns, us

from ..cpu import FirmwareCpu
from ..intc import Intc
from .kcs import CHANNEL_BASE, KCS_BASE, KCS_SIZE, NpcmKcs

NPCM7XX_IRQ_LATENCY = us(4)
NPCM7XX_MMIO_NS = ns(120)
KCS_GIC_SPI = 9


class NpcmSoc:
    """One NPCM7xx: the parts the BMC firmware's IPMI drivers touch."""

    family = "nuvoton"

    def __init__(self, sim, host_io, irq_latency: int = NPCM7XX_IRQ_LATENCY, mmio_ns: int = NPCM7XX_MMIO_NS):
        self.sim = sim
        self.name = "npcm7xx"
        self.mmio = MmioSpace(self.name)
        self.cpu = FirmwareCpu(sim, f"{self.name}.cpu", irq_latency, mmio_ns, self.mmio)
        self.intc = Intc(sim, self.cpu, f"{self.name}.gic")
        self.kcs = NpcmKcs(sim, host_io, "kcs")
        self.mmio.add(KCS_BASE, KCS_SIZE, self.kcs)
        self.kcs_irq = {ch: KCS_GIC_SPI for ch in CHANNEL_BASE}
        for ch in CHANNEL_BASE:
            self.intc.connect(KCS_GIC_SPI, self.kcs.irq[ch])

    def kcs_block(self, channel: int):
        return self.kcs.kcs[channel]


def npcm7xx(sim, host_io, **kw) -> NpcmSoc:
    return NpcmSoc(sim, host_io, **kw)
