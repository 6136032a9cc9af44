"""ASPEED AST2500 and AST2600 as ipmilab needs them: firmware CPU, interrupt controller, LPC, MMIO map.

The two differ in parameters only, so one class builds both from an
``AspeedModel``: the CPU's interrupt latency and MMIO cost, and where the
LPC controller's interrupts land.  On the AST2500 every LPC sub-device
(KCS1-4, iBT) shares VIC input 8 (``aspeed-g5.dtsi``, handlers
IRQF_SHARED); on the AST2600 each KCS channel has its own GIC SPI
(138-141) and the iBT SPI 143 (``aspeed-g6.dtsi``).
"""

from __future__ import annotations

from dataclasses import dataclass

from buses import MmioSpace
from buses.time import ns, us

from ..cpu import FirmwareCpu
from ..intc import Intc
from .i2c import BUS_SIZE as I2C_BUS_SIZE
from .i2c import AspeedI2cBus
from .lpc import LPC_BASE, LPC_SIZE, AspeedLpc

I2C_BASE = 0x1E78A000


@dataclass(frozen=True)
class AspeedModel:
    name: str
    irq_latency: int              # line to hardirq handler, as the firmware's Linux sees it
    mmio_ns: int                  # one uncached register access through the LPC block
    kcs_irq: dict                 # KCS channel -> interrupt controller input
    bt_irq: int                   # iBT -> interrupt controller input
    intc: str                     # "vic" or "gic": names only
    i2c_stride: int = 0x80        # bus n's registers at I2C_BASE + stride * (n + 1)
    i2c_irq0: int = 110           # bus 0's input; None: every bus on one input (the AST2500's)
    i2c_shared_irq: int | None = None


# AST2500: ARM1176 at 800 MHz, no cache on the peripheral path: a slower handler entry and access.
AST2500 = AspeedModel("ast2500", irq_latency=us(5), mmio_ns=ns(150),
                      kcs_irq={1: 8, 2: 8, 3: 8, 4: 8}, bt_irq=8, intc="vic", i2c_stride=0x40, i2c_shared_irq=12)
# AST2600: Cortex-A7 at 1.2 GHz running Linux: a few microseconds from line to handler, ~100 ns access.
AST2600 = AspeedModel("ast2600", irq_latency=us(3), mmio_ns=ns(100),
                      kcs_irq={1: 138, 2: 139, 3: 140, 4: 141}, bt_irq=143, intc="gic", i2c_stride=0x80, i2c_irq0=110)
MODELS = {m.name: m for m in (AST2500, AST2600)}


class AspeedSoc:
    """One AST2x00: the parts the BMC firmware's IPMI drivers touch."""

    family = "aspeed"

    def __init__(self, sim, host_io, model: AspeedModel = AST2600, irq_latency: int | None = None,
                 mmio_ns: int | None = None):
        self.sim = sim
        self.model = model
        self.name = model.name
        self.mmio = MmioSpace(self.name)
        self.cpu = FirmwareCpu(sim, f"{self.name}.cpu", model.irq_latency if irq_latency is None else irq_latency,
                               model.mmio_ns if mmio_ns is None else mmio_ns, self.mmio)
        self.intc = Intc(sim, self.cpu, f"{self.name}.{model.intc}")
        self.lpc = AspeedLpc(sim, host_io, "lpc")
        self.mmio.add(LPC_BASE, LPC_SIZE, self.lpc)
        self.kcs_irq = model.kcs_irq
        self.bt_irq = model.bt_irq
        for ch, n in model.kcs_irq.items():
            self.intc.connect(n, self.lpc.kcs[ch].bmc_irq)
        self.intc.connect(model.bt_irq, self.lpc.ibt.bmc_irq)
        self.i2c: dict[int, AspeedI2cBus] = {}

    def kcs_block(self, channel: int):
        return self.lpc.kcs[channel]

    # -- I2C (aspeed-g5/g6.dtsi: the controller at 0x1E78A000; AST2500 buses share VIC 12 through
    # its i2c-ic, AST2600 buses have GIC SPIs 110-125) -------------------------------------------
    def i2c_base(self, n: int) -> int:
        return I2C_BASE + self.model.i2c_stride * (n + 1)

    def i2c_irq(self, n: int) -> int:
        m = self.model
        return m.i2c_shared_irq if m.i2c_shared_irq is not None else m.i2c_irq0 + n

    def i2c_bus(self, n: int) -> AspeedI2cBus:
        """Bus ``n`` of the I2C controller, placed in the MMIO map and wired to its interrupt on first use."""
        if n not in self.i2c:
            bus = self.i2c[n] = AspeedI2cBus(self.sim, f"{self.name}.i2c{n}")
            self.mmio.add(self.i2c_base(n), I2C_BUS_SIZE, bus)
            self.intc.connect(self.i2c_irq(n), bus.bmc_irq)
        return self.i2c[n]


def ast2500(sim, host_io, **kw) -> AspeedSoc:
    return AspeedSoc(sim, host_io, AST2500, **kw)


def ast2600(sim, host_io, **kw) -> AspeedSoc:
    return AspeedSoc(sim, host_io, AST2600, **kw)
