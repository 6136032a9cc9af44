"""ASPEED iBT: the BT interface of the AST2400/2500/2600 LPC controller, at LPC offset 0x140.

The register layout is the one Linux ``bt-bmc`` programs (reference/
linux-ipmi.md 2.3).  The interface itself is ``soc.bt.BtBlock`` with a
64-byte FIFO per direction; this wrapper only places and wires it:

- ``BT_CR0``: host I/O base (bits 31:16), SerIRQ (15:12), EN_CLR_SLV_RDP
  (bit 3), EN_CLR_SLV_WRP (bit 2), ENABLE_IBT (bit 0).  While ENABLE_IBT
  is set the block decodes three host ports at the base, and its host
  interrupt (B2H_IRQ & B2H_IRQ_EN) is routed when a SerIRQ is programmed.
  The two EN_CLR_SLV bits are stored; the model does not gate the
  pointer clears on them (the driver always sets both).
- ``BT_CR1`` (interrupt enables) and ``BT_CR2`` (status, write 1 to
  clear): H2B (bit 0), set when the host raises H2B_ATN; HBUSY (bit 6),
  set when the host drops H_BUSY, the moment it can take the next
  response.  The BMC interrupt is CR1 & CR2 != 0.
- ``BT_CTRL`` (0x10), ``BT_BMC2HOST`` (0x14), ``BT_INTMASK`` (0x18): the
  block's BMC face.
"""

from __future__ import annotations

from buses import Access, Field, IrqLine, Register, RegisterFile
from soc.bt import H2B_ATN, H_BUSY, BtBlock

IBT_OFFSET = 0x140          # inside the LPC controller
IBT_SIZE = 0x1C
IBT_FIFO = 64

A = Access
REGISTERS = [
    Register("BT_CR0", 0x00, [
        Field("IO_BASE", 31, 16, A.RW, 0, "host I/O base of BT_CTRL"),
        Field("IRQ", 15, 12, A.RW, 0, "host SerIRQ number"),
        Field("EN_CLR_SLV_RDP", 3, 3, A.RW, 0, "enable the BMC's CLR_RD_PTR"),
        Field("EN_CLR_SLV_WRP", 2, 2, A.RW, 0, "enable the BMC's CLR_WR_PTR"),
        Field("ENABLE_IBT", 0, 0, A.RW, 0, "decode the host I/O ports"),
    ], 32),
    Register("BT_CR1", 0x04, [
        Field("IRQ_HBUSY", 6, 6, A.RW, 0, "interrupt when the host clears H_BUSY"),
        Field("IRQ_H2B", 0, 0, A.RW, 0, "interrupt when the host sets H2B_ATN"),
    ], 32),
    Register("BT_CR2", 0x08, [
        Field("IRQ_HBUSY", 6, 6, A.W1C, 0, "the host cleared H_BUSY"),
        Field("IRQ_H2B", 0, 0, A.W1C, 0, "the host set H2B_ATN"),
    ], 32),
    Register("BT_CR3", 0x0C, [Field("RSVD", 31, 0, A.RSVD, 0, "not used by the driver")], 32),
]
BT_CTRL = 0x10
BT_BMC2HOST = 0x14
BT_INTMASK = 0x18
CR_IRQ_H2B = 0x01
CR_IRQ_HBUSY = 0x40


class AspeedIbt:
    """The iBT registers (MMIO, offsets from ``IBT_OFFSET``) around one ``BtBlock``."""

    def __init__(self, sim, io_space, name: str = "ibt"):
        self.sim = sim
        self.io_space = io_space
        self.name = name
        self.regs = RegisterFile(name, REGISTERS, sim)
        self.block = BtBlock(sim, name, size=IBT_FIFO)
        self.block.set_host_irq_enable(False, 0)
        self.bmc_irq = IrqLine(sim, f"{name}.bmc-irq")
        self._decoded: int | None = None
        self.regs.on_write["BT_CR0"] = self._cr0_written
        self.block.host_ctrl_listeners.append(self._host_ctrl)

    def read(self, offset: int, t: int) -> int:
        blk = self.block
        if offset == BT_CTRL:
            return blk.bmc_read_ctrl(t)
        if offset == BT_BMC2HOST:
            return blk.bmc_read_buf(t)
        if offset == BT_INTMASK:
            return blk.bmc_read_intmask(t)
        return self.regs.read(offset, t)

    def write(self, offset: int, value: int, t: int) -> None:
        blk = self.block
        if offset == BT_CTRL:
            blk.bmc_write_ctrl(value, t)
        elif offset == BT_BMC2HOST:
            blk.bmc_write_buf(value, t)
        elif offset != BT_INTMASK:
            self.regs.write(offset, value, t)
            reg = self.regs.by_offset[offset]
            if self.sim.tracer.enabled:
                self.sim.trace(t, "reg", self.name, f"bmc-wr-{reg.name}", value=f"0x{value:X}",
                               fields=self.regs.render(reg.name))
            if reg.name in ("BT_CR1", "BT_CR2"):      # the interrupt follows the write, traced after it
                self._update_irq(t)

    # -- hardware reactions ----------------------------------------------------------------
    def _host_ctrl(self, t: int, before: int, after: int) -> None:
        status = 0
        if after & ~before & H2B_ATN:
            status |= CR_IRQ_H2B
        if before & ~after & H_BUSY:
            status |= CR_IRQ_HBUSY
        if status:
            self.regs["BT_CR2"] = self.regs["BT_CR2"] | status       # hardware sets, firmware clears
            self._update_irq(t)

    def _update_irq(self, t: int) -> None:
        self.bmc_irq.set(1 if self.regs["BT_CR1"] & self.regs["BT_CR2"] else 0, t)

    def _cr0_written(self, _old, _new, t: int) -> None:
        g = self.regs.get
        base = g("BT_CR0", "IO_BASE") if g("BT_CR0", "ENABLE_IBT") else None
        if base != self._decoded:
            if self._decoded is not None:
                self.io_space.unmap(self.block)
            if base is not None:
                self.io_space.map(base, self.block.io_size, self.block, self.name)
            self._decoded = base
            self.sim.trace(t, "reg", self.name, "decode", ports="off" if base is None else f"0x{base:X}")
        self.block.set_host_irq_enable(base is not None and g("BT_CR0", "IRQ") != 0, t)

    def serirq(self) -> int:
        return self.regs.get("BT_CR0", "IRQ")
