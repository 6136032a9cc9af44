"""ASPEED LPC controller: the host-interface control registers, KCS channels 1-4 and the iBT.

Offsets and bits follow the AST2400/2500/2600 datasheets as the Linux driver
``kcs_bmc_aspeed`` uses them (reference/linux-ipmi.md 2.3).  The registers
are 8-bit values in 32-bit slots, except LADR4 and LSADR12.  What the
hardware does on its own:

- a channel decodes host I/O only while its enable bit is set (LPC1E..LPC4E;
  channel 3 also needs KCSENBL), at the addresses programmed in LADRx;
- IBFIEx gates the channel's IBF interrupt to the BMC (its GIC line);
- IRQXEx (channels 2-4) or IRQ1E1/IRQ12E1 (channel 1) gate the host SerIRQ,
  raised while OBF is set;
- there is **no** "output buffer empty" interrupt: firmware must poll STR.
"""

from __future__ import annotations

from buses import Access, Field, Register, RegisterFile
from soc.kcs import DATA_OFFSET, STATUS_OFFSET, KcsBlock

from .ibt import IBT_OFFSET, IBT_SIZE, AspeedIbt

LPC_BASE = 0x1E789000
LPC_SIZE = 0x1000

A = Access
REGISTERS = [
    Register("HICR0", 0x000, [
        Field("LPC3E", 7, 7, A.RW, 0, "enable KCS channel 3"),
        Field("LPC2E", 6, 6, A.RW, 0, "enable KCS channel 2"),
        Field("LPC1E", 5, 5, A.RW, 0, "enable KCS channel 1"),
    ], 32),
    Register("HICR2", 0x008, [
        Field("IBFIE3", 3, 3, A.RW, 0, "channel 3 IBF interrupt enable"),
        Field("IBFIE2", 2, 2, A.RW, 0, "channel 2 IBF interrupt enable"),
        Field("IBFIE1", 1, 1, A.RW, 0, "channel 1 IBF interrupt enable"),
    ], 32),
    Register("HICR4", 0x010, [
        Field("LADR12AS", 7, 7, A.RW, 0, "LADR12H/L program channel 2 (1) or channel 1 (0)"),
        Field("KCSENBL", 2, 2, A.RW, 0, "channel 3 in KCS mode"),
    ], 32),
    Register("LADR3H", 0x014, [Field("ADDR", 7, 0, A.RW, 0, "channel 3 I/O address [15:8]")], 32),
    Register("LADR3L", 0x018, [Field("ADDR", 7, 0, A.RW, 0, "channel 3 I/O address [7:0]")], 32),
    Register("LADR12H", 0x01C, [Field("ADDR", 7, 0, A.RW, 0, "channel 1/2 I/O address [15:8]")], 32),
    Register("LADR12L", 0x020, [Field("ADDR", 7, 0, A.RW, 0, "channel 1/2 I/O address [7:0]")], 32),
    Register("SIRQCR0", 0x070, [
        Field("IRQ12E1", 1, 1, A.RW, 0, "channel 1 SerIRQ 12 on OBF"),
        Field("IRQ1E1", 0, 0, A.RW, 0, "channel 1 SerIRQ 1 on OBF"),
    ], 32),
    Register("HICR5", 0x080, [
        Field("ID3IRQX", 23, 20, A.RW, 0, "channel 3 SerIRQ number"),
        Field("ID2IRQX", 19, 16, A.RW, 0, "channel 2 SerIRQ number"),
        Field("SEL3IRQX", 15, 15, A.RW, 0, "channel 3 SerIRQ source select"),
        Field("IRQXE3", 14, 14, A.RW, 0, "channel 3 SerIRQ enable"),
        Field("SEL2IRQX", 13, 13, A.RW, 0, "channel 2 SerIRQ source select"),
        Field("IRQXE2", 12, 12, A.RW, 0, "channel 2 SerIRQ enable"),
    ], 32),
    Register("HICRB", 0x100, [
        Field("EN16LADR2", 5, 5, A.RW, 0, "channel 2 uses LSADR12 for its status address"),
        Field("EN16LADR1", 4, 4, A.RW, 0, "channel 1 uses LSADR12 for its status address"),
        Field("IBFIE4", 1, 1, A.RW, 0, "channel 4 IBF interrupt enable"),
        Field("LPC4E", 0, 0, A.RW, 0, "enable KCS channel 4"),
    ], 32),
    Register("HICRC", 0x104, [
        Field("ID4IRQX", 7, 4, A.RW, 0, "channel 4 SerIRQ number"),
        Field("TY4IRQX", 3, 2, A.RW, 0, "channel 4 SerIRQ type", {0: "LOW", 1: "HIGH", 3: "RISING"}),
        Field("OBF4_AUTO_CLR", 1, 1, A.RW, 0, "clear channel 4 SerIRQ when the host reads ODR4"),
        Field("IRQXE4", 0, 0, A.RW, 0, "channel 4 SerIRQ enable"),
    ], 32),
    Register("LADR4", 0x110, [
        Field("STATUS_ADDR", 31, 16, A.RW, 0, "channel 4 status I/O address"),
        Field("DATA_ADDR", 15, 0, A.RW, 0, "channel 4 data I/O address"),
    ], 32),
    Register("LSADR12", 0x120, [
        Field("STS_ADDR2", 31, 16, A.RW, 0, "channel 2 status I/O address"),
        Field("STS_ADDR1", 15, 0, A.RW, 0, "channel 1 status I/O address"),
    ], 32),
]

REG = {r.name: r for r in REGISTERS}   # firmware drivers address the block by datasheet name

# (IDR, ODR, STR) offsets per channel: how the driver identifies a channel.
CHANNEL_REGS = {1: (0x024, 0x030, 0x03C), 2: (0x028, 0x034, 0x040), 3: (0x02C, 0x038, 0x044),
                4: (0x114, 0x118, 0x11C)}


class _Port:
    """One host I/O location forwarding to a fixed register of a KCS block."""

    __slots__ = ("block", "offset")

    def __init__(self, block: KcsBlock, offset: int):
        self.block = block
        self.offset = offset

    def io_read(self, _offset: int, t: int) -> int:
        return self.block.io_read(self.offset, t)

    def io_write(self, _offset: int, value: int, t: int) -> None:
        self.block.io_write(self.offset, value, t)

    def io_watch(self, _offset: int):
        return self.block.host_watch


class AspeedLpc:
    """The LPC controller's KCS channels and iBT, BMC-side MMIO at ``LPC_BASE``."""

    def __init__(self, sim, io_space, name: str = "lpc"):
        self.sim = sim
        self.io_space = io_space
        self.name = name
        self.regs = RegisterFile(name, REGISTERS, sim)
        self.kcs = {n: KcsBlock(sim, f"kcs{n}") for n in CHANNEL_REGS}
        self.ibt = AspeedIbt(sim, io_space, "ibt")
        self._ladr12 = {1: 0, 2: 0}          # LADR12H/L latch per channel (selected by LADR12AS)
        self._decoded: dict[int, tuple[int, int]] = {}
        self._port_objs: dict[int, tuple] = {}    # split data/status decoders per channel
        self._by_offset = {}
        for ch, (idr, odr, sts) in CHANNEL_REGS.items():
            self._by_offset[idr] = (ch, "IDR")
            self._by_offset[odr] = (ch, "ODR")
            self._by_offset[sts] = (ch, "STR")
        for reg in ("HICR0", "HICR4", "HICRB", "LADR3H", "LADR3L", "LADR4", "LSADR12"):
            self.regs.on_write[reg] = self._decode_changed
        self.regs.on_write["LADR12H"] = self._ladr12_written
        self.regs.on_write["LADR12L"] = self._ladr12_written
        self.regs.on_write["HICR2"] = self._irq_enables_changed
        self.regs.on_write["HICR5"] = self._irq_enables_changed
        self.regs.on_write["HICRB"] = self._hicrb_written
        self.regs.on_write["HICRC"] = self._irq_enables_changed
        self.regs.on_write["SIRQCR0"] = self._irq_enables_changed

    # -- BMC-side MMIO -----------------------------------------------------------
    def read(self, offset: int, t: int) -> int:
        hit = self._by_offset.get(offset)
        if hit is not None:
            ch, reg = hit
            blk = self.kcs[ch]
            if reg == "IDR":
                return blk.read_idr(t)
            if reg == "ODR":
                return blk.odr
            return blk.read_str(t)
        if IBT_OFFSET <= offset < IBT_OFFSET + IBT_SIZE:
            return self.ibt.read(offset - IBT_OFFSET, t)
        if offset in self.regs.by_offset:
            return self.regs.read(offset, t)
        return 0

    def write(self, offset: int, value: int, t: int) -> None:
        hit = self._by_offset.get(offset)
        if hit is not None:
            ch, reg = hit
            blk = self.kcs[ch]
            if reg == "ODR":
                blk.write_odr(value, t)
            elif reg == "STR":
                blk.write_str(value, t)
            return  # IDR is read-only from the BMC
        if IBT_OFFSET <= offset < IBT_OFFSET + IBT_SIZE:
            self.ibt.write(offset - IBT_OFFSET, value, t)
            return
        if offset in self.regs.by_offset:
            self.regs.write(offset, value, t)
            if self.sim.tracer.enabled:
                reg = self.regs.by_offset[offset]
                self.sim.trace(t, "reg", self.name, f"bmc-wr-{reg.name}", value=f"0x{value:X}",
                               fields=self.regs.render(reg.name))

    # -- hardware reactions ------------------------------------------------------
    def _ladr12_written(self, _old, _new, t):
        ch = 2 if self.regs.get("HICR4", "LADR12AS") else 1
        self._ladr12[ch] = (self.regs["LADR12H"] << 8) | self.regs["LADR12L"]
        self._decode_changed(0, 0, t)

    def _hicrb_written(self, old, new, t):
        self._decode_changed(old, new, t)
        self._irq_enables_changed(old, new, t)

    def channel_ports(self, ch: int) -> tuple[int, int] | None:
        """(data port, status port) the channel decodes now, or None when disabled."""
        g = self.regs.get
        if ch == 1 or ch == 2:
            if not g("HICR0", f"LPC{ch}E"):
                return None
            data = self._ladr12[ch]
            if g("HICRB", f"EN16LADR{ch}"):
                return data, g("LSADR12", f"STS_ADDR{ch}")
            return data, data + 4
        if ch == 3:
            if not (g("HICR0", "LPC3E") and g("HICR4", "KCSENBL")):
                return None
            data = (self.regs["LADR3H"] << 8) | self.regs["LADR3L"]
            return data, data + 1
        if not g("HICRB", "LPC4E"):
            return None
        data, sts = g("LADR4", "DATA_ADDR"), g("LADR4", "STATUS_ADDR")
        return data, (sts or data + 1)

    def _decode_changed(self, _old, _new, t):
        for ch, blk in self.kcs.items():
            ports = self.channel_ports(ch)
            if self._decoded.get(ch) == ports:
                continue
            self.io_space.unmap(blk)
            for port in self._port_objs.get(ch, ()):
                self.io_space.unmap(port)
            blk_ports = ()
            if ports is not None:
                data, sts = ports
                if sts == data + 1:
                    self.io_space.map(data, 2, blk, f"{self.name}.kcs{ch}")
                else:
                    blk_ports = (_Port(blk, DATA_OFFSET), _Port(blk, STATUS_OFFSET))
                    self.io_space.map(data, 1, blk_ports[0], f"{self.name}.kcs{ch}.data")
                    self.io_space.map(sts, 1, blk_ports[1], f"{self.name}.kcs{ch}.status")
            self._port_objs[ch] = blk_ports
            self._decoded[ch] = ports
            self.sim.trace(t, "reg", self.name, "decode", channel=ch,
                           ports="off" if ports is None else f"0x{ports[0]:X}/0x{ports[1]:X}")

    def _irq_enables_changed(self, _old, _new, t):
        g = self.regs.get
        ibf = {1: g("HICR2", "IBFIE1"), 2: g("HICR2", "IBFIE2"), 3: g("HICR2", "IBFIE3"), 4: g("HICRB", "IBFIE4")}
        obf = {1: g("SIRQCR0", "IRQ1E1") or g("SIRQCR0", "IRQ12E1"), 2: g("HICR5", "IRQXE2"),
               3: g("HICR5", "IRQXE3"), 4: g("HICRC", "IRQXE4")}
        for ch, blk in self.kcs.items():
            if blk.ibf_irq_enable != bool(ibf[ch]):
                blk.set_ibf_irq_enable(bool(ibf[ch]), t)
            if blk.obf_irq_enable != bool(obf[ch]):
                blk.set_obf_irq_enable(bool(obf[ch]), t)

    def serirq(self, ch: int) -> int:
        """The host SerIRQ number the channel raises (0 when not configured)."""
        g = self.regs.get
        if ch == 1:
            return 12 if g("SIRQCR0", "IRQ12E1") else (1 if g("SIRQCR0", "IRQ1E1") else 0)
        if ch == 4:
            return g("HICRC", "ID4IRQX")
        return g("HICR5", f"ID{ch}IRQX")
