"""BMC-side Nuvoton KCS channel driver, modelled on Linux ``kcs_bmc_npcm7xx``.

The same device ops as ``bmc.kcs_aspeed`` over a different register table:
IDR/ODR/STR are KCSnDI/KCSnDO/KCSnST.  Probe (``npcm7xx_kcs_probe``)
requests the shared interrupt, masks both events, then enables the channel
(KCSnIE: IRQE | HIRQE); it never programs host I/O addresses.
``irq_mask_update`` sets KCSnCTL's IBFIE and OBEIE, and the OBE event is a
real interrupt, so there is no busy poll and no 500 ms fallback timer.

Register access goes through the syscon regmap, whose ``max_register`` is
the device tree window less one access (``of_syscon_register``: 0x40 - 1).
KCS3IE sits at 0x40, so on the upstream device tree the regmap refuses it
(-EIO, which ``npcm7xx_kcs_enable_channel`` ignores): channel 3 never gets
its host interrupt enabled.  ``regmap_max`` keeps that visible.
"""

from __future__ import annotations

from soc.nuvoton.kcs import (
    CHANNEL_BASE,
    CTL,
    CTL_IBFIE,
    CTL_OBEIE,
    DI,
    DO,
    DT_WINDOW,
    IE,
    IE_HIRQE,
    IE_IRQE,
    KCS_BASE,
    ST,
)

from .kcs_engine import EVENT_IBF, EVENT_OBE, MmioKcsDevice


class NpcmKcsDriver(MmioKcsDevice):
    def __init__(self, soc, channel: int, io_addr: int | None = None, sirq: int = 0, name: str | None = None,
                 regmap_max: int = DT_WINDOW - 1):
        # io_addr and sirq: the host side's choices, which this driver does not program (kept for traces).
        if channel not in CHANNEL_BASE:
            raise ValueError(f"kcs channel: {channel} is not one of {sorted(CHANNEL_BASE)}")
        self.soc = soc
        self.sim = soc.sim
        self.cpu = soc.cpu
        self.channel = channel
        self.io_addr = io_addr
        self.sirq = sirq
        self.name = name or f"kcs_bmc_npcm7xx.{channel}"
        base = KCS_BASE + CHANNEL_BASE[channel]
        self.addr = {"IDR": base + 2 * DI, "ODR": base + 2 * DO, "STR": base + 2 * ST}
        self.ctl = base + 2 * CTL
        self.ie = base + 2 * IE
        self.block = soc.kcs_block(channel)
        self.irq = soc.kcs_irq[channel]
        self.client_event = None          # generator function: the client's event()
        self.obe_slow_path = 0            # always 0: kept so scenarios compare SoCs on one attribute
        self.regmap_max = regmap_max
        self.regmap_errors = 0

    # -- device ops: MmioKcsDevice's inb/outb/updateb, and -----------------------------
    def irq_mask_update(self, mask: int, state: int):
        if mask & EVENT_OBE:
            yield from self._regmap_update(self.ctl, CTL_OBEIE, CTL_OBEIE if state & EVENT_OBE else 0)
        if mask & EVENT_IBF:
            yield from self._regmap_update(self.ctl, CTL_IBFIE, CTL_IBFIE if state & EVENT_IBF else 0)

    def _regmap_update(self, addr: int, mask: int, value: int):
        """``regmap_update_bits`` on the syscon: registers past ``max_register`` fail with -EIO."""
        if addr - KCS_BASE > self.regmap_max:
            self.regmap_errors += 1
            self.sim.trace(self.cpu.t, "fw", self.name, "regmap-eio", reg=f"0x{addr - KCS_BASE:02X}",
                           max=f"0x{self.regmap_max:02X}")
            return
        yield from self.cpu.mmio_update(addr, mask, value)

    # -- probe -----------------------------------------------------------------------
    def probe(self):
        """Generator: bring the channel up; the client attaches afterwards."""
        self.soc.intc.request_irq(self.irq, self._irq)
        yield from self.irq_mask_update(EVENT_IBF | EVENT_OBE, 0)
        yield from self._regmap_update(self.ie, IE_IRQE | IE_HIRQE, IE_IRQE | IE_HIRQE)
        self.sim.trace(self.cpu.t, "fw", self.name, "probed", channel=self.channel, irq=self.irq)

    # -- interrupts ------------------------------------------------------------------
    def _irq(self):
        # kcs_bmc_handle_event: the client checks its own status (the line is shared).
        if self.client_event is not None:
            yield from self.client_event()
