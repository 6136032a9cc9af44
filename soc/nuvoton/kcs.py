"""Nuvoton NPCM7xx KCS: three channels in the ``nuvoton,npcm750-lpc-kcs`` block at 0xF0007000.

Per channel, 8-bit registers two bytes apart from the channel's base
(0x0C, 0x1E, 0x30): KCSnST (status), KCSnDO (data out), KCSnDI (data in),
KCSnDOC/KCSnDOM (data out raising the host's SCI/SMI instead), KCSnDIC
(data in, SCI flavour), KCSnCTL, KCSnIC and KCSnIE (reference/linux-ipmi.md
2.4; the layout and reset values as Google's QEMU model of this block has
them).  The KCS status, data and the host face are ``soc.kcs.KcsBlock``;
what this block adds:

- ``KCSnCTL``: IBFIE (bit 0) interrupts the BMC while IBF is set, and
  **OBEIE** (bit 1) while OBF is clear: unlike ASPEED silicon, the NPCM7xx
  has a real "output buffer empty" interrupt.  All three channels share one
  interrupt output (GIC SPI 9; ``kcs_bmc_npcm7xx`` requests it shared).
- ``KCSnIE``: IRQE (bit 0) enables the channel's host interrupt and HIRQE
  (bit 3) lets hardware drive it from OBF; the driver sets both when it
  enables the channel.
- The host I/O addresses are not programmed by the BMC driver: the host's
  firmware configures them through the chip's SuperIO-style logical devices
  before the OS loads.  ``decode`` is that step.
"""

from __future__ import annotations

from functools import partial

from buses import Access, Field, IrqLine, Register, RegisterFile
from soc.kcs import OBF, STATUS_OFFSET, KcsBlock

KCS_BASE = 0xF0007000
KCS_SIZE = 0x1000           # the page the block decodes; the device tree's syscon window is only 0x40
DT_WINDOW = 0x40            # ``reg = <0x7000 0x40>`` in nuvoton-common-npcm7xx.dtsi
CHANNEL_BASE = {1: 0x0C, 2: 0x1E, 3: 0x30}
# Register index within a channel (address = channel base + 2 * index).
ST, DO, DI, DOC, DOM, DIC, CTL, IC, IE = range(9)

CTL_IBFIE = 0x01
CTL_OBEIE = 0x02
IE_IRQE = 0x01
IE_HIRQE = 0x08

A = Access


def _channel_registers(ch: int) -> list[Register]:
    base = CHANNEL_BASE[ch]
    return [
        Register(f"KCS{ch}CTL", base + 2 * CTL, [
            Field("RSVD", 7, 6, A.RSVD, 0b11, "reads 1"),
            Field("OBEIE", 1, 1, A.RW, 0, "interrupt the BMC while the output buffer is empty"),
            Field("IBFIE", 0, 0, A.RW, 0, "interrupt the BMC while the input buffer is full"),
        ]),
        Register(f"KCS{ch}IC", base + 2 * IC, [
            Field("RSVD", 7, 0, A.RSVD, 0x41, "host SCI/SMI control: not modelled"),
        ]),
        Register(f"KCS{ch}IE", base + 2 * IE, [
            Field("HIRQE", 3, 3, A.RW, 0, "hardware drives the host interrupt from OBF"),
            Field("IRQE", 0, 0, A.RW, 0, "host interrupt enable"),
        ]),
    ]


class NpcmKcs:
    """The three channels, BMC-side MMIO at ``KCS_BASE``; ``irq[ch]`` go to the shared GIC input."""

    def __init__(self, sim, io_space, name: str = "kcs"):
        self.sim = sim
        self.io_space = io_space
        self.name = name
        self.regs = RegisterFile(name, [r for ch in CHANNEL_BASE for r in _channel_registers(ch)], sim)
        self.kcs = {ch: KcsBlock(sim, f"{name}{ch}") for ch in CHANNEL_BASE}
        self.irq = {ch: IrqLine(sim, f"{name}{ch}.irq") for ch in CHANNEL_BASE}
        self._decoded: dict[int, int] = {}
        self._by_offset: dict[int, tuple[int, int]] = {}
        for ch, base in CHANNEL_BASE.items():
            for index in range(9):
                self._by_offset[base + 2 * index] = (ch, index)
            blk = self.kcs[ch]
            update = partial(self._update_irq, ch)
            blk.bmc_irq.connect(update)                  # IBF & IBFIE rose
            blk.bmc_irq.fall_listeners.append(update)
            blk.host_read_listeners.append(update)       # the host emptied the output buffer
            self.regs.on_write[f"KCS{ch}CTL"] = (lambda _o, _n, t, ch=ch: self._ctl_written(ch, t))
            self.regs.on_write[f"KCS{ch}IE"] = (lambda _o, _n, t, ch=ch: self._ie_written(ch, t))

    # -- BMC-side MMIO -----------------------------------------------------------
    def read(self, offset: int, t: int) -> int:
        hit = self._by_offset.get(offset)
        if hit is None:
            return 0
        ch, index = hit
        blk = self.kcs[ch]
        if index == ST:
            return blk.read_str(t)
        if index in (DI, DIC):
            return blk.read_idr(t)
        if index in (DO, DOC, DOM):
            return 0                                     # write-only
        return self.regs.read(offset, t)

    def write(self, offset: int, value: int, t: int) -> None:
        hit = self._by_offset.get(offset)
        if hit is None:
            return
        ch, index = hit
        blk = self.kcs[ch]
        if index in (DO, DOC, DOM):
            blk.write_odr(value, t)
            self._update_irq(ch, t)
        elif index == ST:
            blk.write_str(value, t)                      # IBF, OBF and C/D are the hardware's
        elif index in (CTL, IC, IE):
            self.regs.write(offset, value, t)
            if self.sim.tracer.enabled:
                reg = self.regs.by_offset[offset]
                self.sim.trace(t, "reg", self.name, f"bmc-wr-{reg.name}", value=f"0x{value:02X}",
                               fields=self.regs.render(reg.name))

    # -- the host's configuration -----------------------------------------------------
    def decode(self, ch: int, data_port: int, t: int = 0) -> None:
        """Decode the channel at ``data_port`` (data) and ``data_port + 1`` (status/command)."""
        blk = self.kcs[ch]
        if ch in self._decoded:
            self.io_space.unmap(blk)
        self.io_space.map(data_port, blk.io_size, blk, f"{self.name}{ch}")
        self._decoded[ch] = data_port
        self.sim.trace(t, "reg", self.name, "decode", channel=ch,
                       ports=f"0x{data_port:X}/0x{data_port + STATUS_OFFSET:X}")

    # -- hardware reactions ------------------------------------------------------------
    def _ctl_written(self, ch: int, t: int) -> None:
        blk = self.kcs[ch]
        ibfie = bool(self.regs.get(f"KCS{ch}CTL", "IBFIE"))
        if blk.ibf_irq_enable != ibfie:
            blk.set_ibf_irq_enable(ibfie, t)
        self._update_irq(ch, t)

    def _ie_written(self, ch: int, t: int) -> None:
        g = self.regs.get
        on = bool(g(f"KCS{ch}IE", "IRQE") and g(f"KCS{ch}IE", "HIRQE"))
        if self.kcs[ch].obf_irq_enable != on:
            self.kcs[ch].set_obf_irq_enable(on, t)

    def _update_irq(self, ch: int, t: int) -> None:
        blk = self.kcs[ch]
        obe = self.regs.get(f"KCS{ch}CTL", "OBEIE") and not blk.status & OBF
        self.irq[ch].set(1 if blk.bmc_irq.level or obe else 0, t)

    def serirq_enabled(self, ch: int) -> bool:
        return self.kcs[ch].obf_irq_enable
