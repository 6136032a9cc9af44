"""BMC-side BT driver for the ASPEED iBT, modelled on Linux ``drivers/char/ipmi/bt-bmc.c``.

``probe`` configures the interrupt (CR1 H2B|HBUSY) or, without one, the
poll timer (first after 10 ms, then every 500 ms), then writes BT_CR0 with
the host I/O base 0xE4 and SerIRQ 10 the driver hard-codes, both pointer
clears and ENABLE_IBT, and clears B_BUSY.  The interrupt handler reads
BT_CR2, acknowledges H2B/HBUSY by writing them back and wakes the queue.

The file operations run in the daemon's process context; each register
access is an MMIO cycle on the firmware CPU, and each locked section
(``mutex_lock`` .. ``mutex_unlock``) is one ``cpu.call``:

- ``open``: the first opener clears B_BUSY; ``release`` sets it again, so
  the host sees the BMC busy while no daemon is attached;
- ``read``: wait for H2B_ATN; set B_BUSY, clear H2B_ATN, CLR_RD_PTR; the
  length byte and that many bytes (at most the caller's buffer); clear
  B_BUSY;
- ``write``: at least 5 bytes (-EINVAL); wait until neither H_BUSY nor
  B2H_ATN; CLR_WR_PTR, the bytes, set B2H_ATN;
- ``set_sms_atn``: the ``BT_BMC_IOCTL_SMS_ATN`` ioctl.

A wait re-checks its condition whenever the queue is woken (interrupt or
poll timer), as ``wait_event_interruptible`` does; without the interrupt
the daemon therefore sees a request up to 500 ms late.
"""

from __future__ import annotations

from buses import Notifier
from buses.time import ms
from soc.aspeed.ibt import BT_BMC2HOST, BT_CTRL, CR_IRQ_H2B, CR_IRQ_HBUSY, IBT_OFFSET
from soc.aspeed.lpc import LPC_BASE
from soc.bt import B2H_ATN, B_BUSY, CLR_RD_PTR, CLR_WR_PTR, H2B_ATN, H_BUSY, SMS_ATN

from .ipmi.bt import BT_DEFAULT_BASE

BT_IO_BASE = BT_DEFAULT_BASE
BT_IRQ = 10
BT_CR0 = 0x00
BT_CR1 = 0x04
BT_CR2 = 0x08
BT_CR0_IO_BASE = 16
BT_CR0_IRQ = 12
BT_CR0_EN_CLR_SLV_RDP = 0x8
BT_CR0_EN_CLR_SLV_WRP = 0x4
BT_CR0_ENABLE_IBT = 0x1
BT_BMC_BUFFER_SIZE = 256
POLL_FIRST = ms(10)
POLL_PERIOD = ms(500)


class BtBmcError(Exception):
    """A file operation the driver refuses (-EINVAL, -EIO, -EBUSY)."""


class AspeedBtDriver:
    def __init__(self, soc, use_irq: bool = True, io_addr: int = BT_IO_BASE, sirq: int = BT_IRQ,
                 name: str = "bt-bmc"):
        self.soc = soc
        self.sim = soc.sim
        self.cpu = soc.cpu
        self.name = name
        self.use_irq = use_irq
        self.io_addr = io_addr
        self.sirq = sirq
        self.base = LPC_BASE + IBT_OFFSET
        self.block = soc.lpc.ibt.block
        self.irq = soc.bt_irq
        self.queue = Notifier(self.sim)      # bt_bmc->queue
        self.open_count = 0
        self.polls = 0

    def _trace(self, event: str, **fields) -> None:
        if self.sim.tracer.enabled:
            self.sim.trace(self.cpu.t, "fw", self.name, event, **fields)

    # -- register access (bt_inb/bt_outb) -----------------------------------------------------
    def _inb(self, reg: int):
        return self.cpu.mmio_read(self.base + reg)

    def _outb(self, value: int, reg: int):
        return self.cpu.mmio_write(self.base + reg, value)

    def _set_b_busy(self):
        if not (yield from self._inb(BT_CTRL)) & B_BUSY:
            yield from self._outb(B_BUSY, BT_CTRL)

    def _clr_b_busy(self):
        if (yield from self._inb(BT_CTRL)) & B_BUSY:
            yield from self._outb(B_BUSY, BT_CTRL)

    # -- probe, interrupt, poll timer ------------------------------------------------------------
    def probe(self):
        """Generator (on the firmware CPU): ``bt_bmc_probe``."""
        if self.use_irq:
            self.soc.intc.request_irq(self.irq, self._irq)
            reg = yield from self._inb(BT_CR1)
            yield from self._outb(reg | CR_IRQ_H2B | CR_IRQ_HBUSY, BT_CR1)
            self._trace("probed", irq=self.irq)
        else:
            self.sim.call_at(self.cpu.t + POLL_FIRST, self._poll_timer)
            self._trace("probed", irq="none, using timer")
        yield from self._outb((self.io_addr << BT_CR0_IO_BASE) | (self.sirq << BT_CR0_IRQ) | BT_CR0_EN_CLR_SLV_RDP
                              | BT_CR0_EN_CLR_SLV_WRP | BT_CR0_ENABLE_IBT, BT_CR0)
        yield from self._clr_b_busy()

    def _irq(self):
        reg = (yield from self._inb(BT_CR2)) & (CR_IRQ_H2B | CR_IRQ_HBUSY)
        if not reg:
            return                           # IRQ_NONE: a sharer's
        yield from self._outb(reg, BT_CR2)   # ack pending IRQs
        self.queue.notify(self.cpu.t)

    def _poll_timer(self) -> None:
        self.polls += 1
        self.queue.notify(self.sim.now)
        self.sim.call_at(self.sim.now + POLL_PERIOD, self._poll_timer)

    # -- file operations (process context) ---------------------------------------------------------
    def _wait_event(self, cond):
        """Generator: ``wait_event_interruptible(queue, cond())``; ``cond`` is a generator function."""
        while True:
            woken = self.queue.wait()        # prepare_to_wait before testing: no lost wake-up
            if (yield self.cpu.call(cond)):
                return
            yield woken

    def open(self):
        """Generator: ``bt_bmc_open``."""
        self.open_count += 1
        if self.open_count != 1:
            self.open_count -= 1
            raise BtBmcError("EBUSY: already open")
        yield self.cpu.call(self._clr_b_busy)

    def release(self):
        self.open_count -= 1
        yield self.cpu.call(self._set_b_busy)

    def _h2b(self):
        return bool((yield from self._inb(BT_CTRL)) & H2B_ATN)

    def _writable(self):
        return not (yield from self._inb(BT_CTRL)) & (H_BUSY | B2H_ATN)

    def read(self, count: int = BT_BMC_BUFFER_SIZE):
        """Generator: one request frame ``[len][netfn/lun][seq][cmd][data]`` (``bt_bmc_read``)."""
        yield from self._wait_event(self._h2b)
        frame = yield self.cpu.call(lambda: self._read_locked(count))
        if frame is None:
            raise BtBmcError("EIO: H2B_ATN went away")
        return frame

    def _read_locked(self, count: int):
        if not (yield from self._h2b()):
            return None
        yield from self._set_b_busy()
        yield from self._outb(H2B_ATN, BT_CTRL)      # clr_h2b_atn
        yield from self._outb(CLR_RD_PTR, BT_CTRL)   # clr_rd_ptr
        length = yield from self._inb(BT_BMC2HOST)
        n = min(length, count - 1)                   # "if (len + 1 > count) len = count - 1"
        out = bytearray((length,))
        for _ in range(n):
            out.append((yield from self._inb(BT_BMC2HOST)))
        yield from self._clr_b_busy()
        self._trace("read", data=bytes(out))
        return bytes(out)

    def write(self, frame: bytes):
        """Generator: ``bt_bmc_write`` of one response frame ``[len][netfn/lun][seq][cmd][cc][data]``."""
        if len(frame) < 5:
            raise BtBmcError(f"EINVAL: response of {len(frame)} bytes, need at least 5")
        yield from self._wait_event(self._writable)
        if not (yield self.cpu.call(lambda: self._write_locked(frame))):
            raise BtBmcError("EIO: the host became busy again")

    def _write_locked(self, frame: bytes):
        if not (yield from self._writable()):
            return False
        yield from self._outb(CLR_WR_PTR, BT_CTRL)   # clr_wr_ptr
        for b in frame:
            yield from self._outb(b, BT_BMC2HOST)
        yield from self._outb(B2H_ATN, BT_CTRL)      # set_b2h_atn
        self._trace("write", frame=bytes(frame))
        return True

    def set_sms_atn(self):
        """Generator (a job for ``cpu.call``): ``BT_BMC_IOCTL_SMS_ATN``."""
        yield from self._outb(SMS_ATN, BT_CTRL)
