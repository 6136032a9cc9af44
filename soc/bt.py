"""The BT interface register block (IPMI 2.0 section 11), as silicon.

One block, two faces, one buffer per direction.  The *host face* is three
I/O locations (``bmc.ipmi.bt``): BT_CTRL, HOST2BMC/BMC2HOST, BT_INTMASK.
The *BMC face* is the same control register with the BMC's meaning of
each bit and the other end of both buffers (ASPEED's iBT ``BT_CTRL`` and
``BT_BMC2HOST`` at 0x10/0x14, what ``bt-bmc`` reads and writes).  The
hardware rules, per bit of BT_CTRL (Table 11-1; a 0 written never changes
anything):

========== ================================= ==================================
bit        host writes 1                     BMC writes 1
========== ================================= ==================================
CLR_WR_PTR host's HOST2BMC write pointer := 0 BMC's BMC2HOST write pointer := 0
CLR_RD_PTR host's BMC2HOST read pointer := 0  BMC's HOST2BMC read pointer := 0
H2B_ATN    set                               clear
B2H_ATN    clear                             set
SMS_ATN    clear                             set
H_BUSY     toggle                            (read only)
B_BUSY     (read only)                       toggle
========== ================================= ==================================

Each buffer is ``size`` bytes and its pointers wrap (the ASPEED FIFO is 64
bytes; QEMU's buffer holds a whole message): a side that writes past the
end overwrites the start, which is what happens to an over-long message.

BT_INTMASK (host): B2H_IRQ_EN is read/write; B2H_IRQ is set by the block
when the BMC raises B2H_ATN or SMS_ATN while B2H_IRQ_EN is set (and when
B2H_IRQ_EN is set while either is up) and cleared by the host writing 1;
the host interrupt line is B2H_IRQ & B2H_IRQ_EN.  BMC_HWRST written 1
tells ``hwrst_listeners`` (an optional BMC reset; QEMU and ASPEED ignore it).

Listeners hear every host control write with the bits before and after
(``host_ctrl_listeners``: fn(t, before, after)): an ideal attachment
answers from there, a SoC wrapper turns H2B_ATN rising and H_BUSY falling
into its own interrupt status.  ``host_watch`` notifies every change the
host can see (a polling driver sleeps on it).
"""

from __future__ import annotations

from bmc.ipmi.bt import BT_BUF_OFFSET, BT_CTRL_OFFSET, BT_INTMASK_OFFSET, BtCtrl, BtIntmask, render_ctrl
from buses import IrqLine, Notifier

CLR_WR_PTR = int(BtCtrl.CLR_WR_PTR)
CLR_RD_PTR = int(BtCtrl.CLR_RD_PTR)
H2B_ATN = int(BtCtrl.H2B_ATN)
B2H_ATN = int(BtCtrl.B2H_ATN)
SMS_ATN = int(BtCtrl.SMS_ATN)
H_BUSY = int(BtCtrl.H_BUSY)
B_BUSY = int(BtCtrl.B_BUSY)
B2H_IRQ_EN = int(BtIntmask.B2H_IRQ_EN)
B2H_IRQ = int(BtIntmask.B2H_IRQ)
BMC_HWRST = int(BtIntmask.BMC_HWRST)

# The status bits BT_CTRL reads back (the pointer-clear bits always read 0).
STATUS_BITS = H2B_ATN | B2H_ATN | SMS_ATN | H_BUSY | B_BUSY


class BtBlock:
    """One BT interface's registers and buffers.  ``io_read``/``io_write`` are the host face."""

    io_size = 3

    def __init__(self, sim, name: str, size: int = 64):
        if not 4 <= size <= 0x10000:
            raise ValueError(f"bt buffer size {size!r} outside 4..65536")
        self.sim = sim
        self.name = name
        self.size = size
        self.h2b = bytearray(size)
        self.b2h = bytearray(size)
        self.ctrl = 0
        self.intmask = 0
        self.host_wp = self.host_rp = 0      # host: HOST2BMC write, BMC2HOST read
        self.bmc_rp = self.bmc_wp = 0        # BMC: HOST2BMC read, BMC2HOST write
        self.host_watch = Notifier(sim)
        self.bmc_watch = Notifier(sim)
        self.host_ctrl_listeners: list = []  # fn(t, before, after)
        self.hwrst_listeners: list = []      # fn(t)
        self.host_irq = IrqLine(sim, f"{name}.irq")
        self.host_irq_enable = True          # the wrapper's gate (QEMU's use_irq, ASPEED's SerIRQ enable)
        self.host_bytes_written = 0          # since CLR_WR_PTR: more than ``size`` means the FIFO wrapped

    def _trace(self, t: int, event: str, **fields) -> None:
        if self.sim.tracer.enabled:
            self.sim.trace(t, "reg", self.name, event, CTRL=render_ctrl(self.ctrl), **fields)

    # -- host face -------------------------------------------------------------------------
    def io_read(self, offset: int, t: int) -> int:
        if offset == BT_CTRL_OFFSET:
            value = self.ctrl
        elif offset == BT_BUF_OFFSET:
            value = self.b2h[self.host_rp]
            self.host_rp = (self.host_rp + 1) % self.size
            self.bmc_watch.notify(t)
        elif offset == BT_INTMASK_OFFSET:
            value = self.intmask & (B2H_IRQ_EN | B2H_IRQ)
        else:
            value = 0xFF
        if self.sim.tracer.enabled:
            self._trace(t, f"host-rd-{('CTRL', 'BMC2HOST', 'INTMASK')[offset] if offset < 3 else offset}",
                        value=f"0x{value:02X}")
        return value

    def io_write(self, offset: int, value: int, t: int) -> None:
        if offset == BT_CTRL_OFFSET:
            self._host_ctrl(value, t)
        elif offset == BT_BUF_OFFSET:
            self.h2b[self.host_wp] = value & 0xFF
            self.host_wp = (self.host_wp + 1) % self.size
            self.host_bytes_written += 1
            if self.host_bytes_written == self.size + 1:
                self._trace(t, "host-wr-HOST2BMC-wrapped", size=self.size)
            elif self.sim.tracer.enabled:
                self._trace(t, "host-wr-HOST2BMC", value=f"0x{value:02X}")
        elif offset == BT_INTMASK_OFFSET:
            self._host_intmask(value, t)

    def io_watch(self, offset: int):
        return self.host_watch

    def _host_ctrl(self, value: int, t: int) -> None:
        before = self.ctrl
        if value & CLR_WR_PTR:
            self.host_wp = 0
            self.host_bytes_written = 0
        if value & CLR_RD_PTR:
            self.host_rp = 0
        ctrl = before
        if value & B2H_ATN:
            ctrl &= ~B2H_ATN
        if value & SMS_ATN:
            ctrl &= ~SMS_ATN
        if value & H_BUSY:
            ctrl ^= H_BUSY
        if value & H2B_ATN:
            ctrl |= H2B_ATN
        self.ctrl = ctrl
        if self.sim.tracer.enabled:
            self._trace(t, "host-wr-CTRL", value=f"0x{value:02X}")
        if ctrl != before:
            self.host_watch.notify(t)
            self.bmc_watch.notify(t)
        for fn in self.host_ctrl_listeners:
            fn(t, before, ctrl)

    def _host_intmask(self, value: int, t: int) -> None:
        im = self.intmask
        im = (im & ~B2H_IRQ_EN) | (value & B2H_IRQ_EN)
        if value & B2H_IRQ:
            im &= ~B2H_IRQ                 # write 1 to clear
        if im & B2H_IRQ_EN and not self.intmask & B2H_IRQ_EN and self.ctrl & (B2H_ATN | SMS_ATN):
            im |= B2H_IRQ                  # enabled while something is pending: at once
        self.intmask = im
        if self.sim.tracer.enabled:
            self._trace(t, "host-wr-INTMASK", value=f"0x{value:02X}", INTMASK=f"0x{im:02X}")
        self._update_irq(t)
        if value & BMC_HWRST:
            for fn in self.hwrst_listeners:
                fn(t)

    def _update_irq(self, t: int) -> None:
        level = 1 if (self.host_irq_enable and self.intmask & B2H_IRQ and self.intmask & B2H_IRQ_EN) else 0
        self.host_irq.set(level, t)

    def _raise_b2h_irq(self, t: int) -> None:
        if self.intmask & B2H_IRQ_EN and not self.intmask & B2H_IRQ:
            self.intmask |= B2H_IRQ
            self._update_irq(t)

    def set_host_irq_enable(self, on: bool, t: int) -> None:
        """The wrapper's gate on the host interrupt (QEMU's irqs_enabled; a SerIRQ being routed)."""
        self.host_irq_enable = on
        self._update_irq(t)

    # -- BMC face (bt-bmc's BT_CTRL and BT_BMC2HOST) -------------------------------------------
    def bmc_read_ctrl(self, t: int) -> int:
        return self.ctrl

    def bmc_write_ctrl(self, value: int, t: int, sms_irq: bool = True) -> None:
        """``sms_irq``: whether SMS_ATN rising may set B2H_IRQ (QEMU asks the global enables first)."""
        before = ctrl = self.ctrl
        if value & CLR_WR_PTR:
            self.bmc_wp = 0
        if value & CLR_RD_PTR:
            self.bmc_rp = 0
        if value & H2B_ATN:
            ctrl &= ~H2B_ATN
        if value & B2H_ATN:
            ctrl |= B2H_ATN
        if value & SMS_ATN:
            ctrl |= SMS_ATN
        if value & B_BUSY:
            ctrl ^= B_BUSY
        self.ctrl = ctrl
        if self.sim.tracer.enabled:
            self._trace(t, "bmc-wr-CTRL", value=f"0x{value:02X}")
        if ctrl != before:
            self.host_watch.notify(t)
        rose = ctrl & ~before
        if rose & B2H_ATN or (rose & SMS_ATN and sms_irq):
            self._raise_b2h_irq(t)

    def withdraw_sms_atn(self, t: int) -> None:
        """QEMU's ``set_atn(0)``: the BMC takes SMS_ATN back (silicon leaves clearing it to the host)."""
        if self.ctrl & SMS_ATN:
            self.ctrl &= ~SMS_ATN
            self._trace(t, "sms-atn-withdrawn")
            self.host_watch.notify(t)

    def bmc_read_buf(self, t: int) -> int:
        value = self.h2b[self.bmc_rp]
        self.bmc_rp = (self.bmc_rp + 1) % self.size
        return value

    def bmc_write_buf(self, value: int, t: int) -> None:
        self.b2h[self.bmc_wp] = value & 0xFF
        self.bmc_wp = (self.bmc_wp + 1) % self.size

    def bmc_read_intmask(self, t: int) -> int:
        return self.intmask

    def bmc_cold_reset(self, t: int) -> None:
        """The interface's part of a BMC Cold Reset: B2H_IRQ_EN off, the interrupt down."""
        self.intmask = 0
        self._update_irq(t)
