"""The ASPEED AST2600 as ipmilab needs it: firmware CPU, GIC, LPC controller, MMIO map."""

from __future__ import annotations

from buses import MmioSpace
from buses.time import ns, us

from .aspeed.lpc import AST2600_KCS_SPI, LPC_BASE, LPC_SIZE, AspeedLpc
from .cpu import FirmwareCpu
from .intc import Intc

# Cortex-A7 at 1.2 GHz running Linux: a few microseconds from line to hardirq
# handler; an uncached AHB register access through the LPC block ~100 ns.
AST2600_IRQ_LATENCY_NS = us(3)
AST2600_MMIO_NS = ns(100)


class Ast2600:
    """One AST2600: the parts the BMC firmware's IPMI drivers touch."""

    name = "ast2600"
    kcs_spi = AST2600_KCS_SPI

    def __init__(self, sim, host_io, irq_latency: int = AST2600_IRQ_LATENCY_NS, mmio_ns: int = AST2600_MMIO_NS):
        self.sim = sim
        self.mmio = MmioSpace(self.name)
        self.cpu = FirmwareCpu(sim, f"{self.name}.cpu", irq_latency, mmio_ns, self.mmio)
        self.gic = Intc(sim, self.cpu, f"{self.name}.gic")
        self.lpc = AspeedLpc(sim, host_io, "lpc")
        self.mmio.add(LPC_BASE, LPC_SIZE, self.lpc)
        for ch, spi in self.kcs_spi.items():
            self.gic.connect(spi, self.lpc.kcs[ch].bmc_irq)
