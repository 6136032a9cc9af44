"""BMC-side ASPEED KCS channel driver, modelled on Linux ``kcs_bmc_aspeed``.

Probe programs the LPC controller in the order the 2019 fix established
(mask, address, SerIRQ, request IRQ, then enable the channel).  Device ops
are MMIO accesses on the firmware CPU.  Because the silicon has no "output
buffer empty" interrupt, enabling OBE events busy-polls STR
(``read_poll_timeout_atomic(..., 1, 100, ...)``) and then falls back to a
timer every ``OBE_POLL_PERIOD`` (HZ/2 jiffies): the 500 ms stall of
reference/linux-ipmi.md B-3.  How long the busy poll lasts depends on the
BMC's kernel (include/linux/iopoll.h):

- **6.12** counts the budget down per iteration (1000 ns per ``udelay(1)``
  and 1 per ``cpu_relax``), not by the clock: 100 delays, 101 reads, whatever
  a read costs;
- **6.1** compares ``ktime_get()`` with start + 100 us: the reads' own cost
  shortens the poll;

both read once more after the budget is spent and take that read's answer.
The 200 us poll of a 2024 patch (never merged) is the variant ``obe-poll-200us``.
"""

from __future__ import annotations

from buses.time import S, us
from buses.variant import variant
from soc.aspeed.lpc import CHANNEL_REGS, LPC_BASE, REG

from .ipmi.kcs import STATUS_OBF
from .kcs_engine import EVENT_IBF, EVENT_OBE, MmioKcsDevice

OBE_BUSY_POLL = us(100)            # read_poll_timeout_atomic's timeout_us
OBE_POLL_STEP = us(1)              # its delay_us
OBE_POLL_PERIOD_S = (1, 2)         # HZ / 2 jiffies
BMC_KERNELS = ("6.12", "6.1")


class AspeedKcsDriver(MmioKcsDevice):
    def __init__(self, soc, channel: int, io_addr: int, sirq: int = 0, name: str | None = None,
                 obe_busy_poll: int = OBE_BUSY_POLL):
        if channel not in CHANNEL_REGS:
            raise ValueError(f"kcs channel: {channel} is not one of {sorted(CHANNEL_REGS)}")
        if channel == 3 and io_addr & 0xF != 0x2:
            raise ValueError(f"kcs io_addr: channel 3 needs a data port ending in 2, got 0x{io_addr:X}")
        self.soc = soc
        self.sim = soc.sim
        self.cpu = soc.cpu
        self.channel = channel
        self.io_addr = io_addr
        self.sirq = sirq
        self.name = name or f"kcs_bmc_aspeed.{channel}"
        self.obe_busy_poll_default = obe_busy_poll
        idr, odr, sts = CHANNEL_REGS[channel]
        self.addr = {"IDR": LPC_BASE + idr, "ODR": LPC_BASE + odr, "STR": LPC_BASE + sts}
        self.block = soc.lpc.kcs[channel]
        self.irq = soc.kcs_irq[channel]
        self.client_event = None          # generator function: the client's event()
        self._obe_armed = False
        self.obe_slow_path = 0
        self.configure_kernel("6.12", 100)

    def configure_kernel(self, kernel: str, hz: int) -> None:
        """The BMC kernel this driver runs on: the busy poll's budget and the jiffy of its timer."""
        if kernel not in BMC_KERNELS:
            raise ValueError(f"firmware kernel: {kernel!r} is not one of {', '.join(BMC_KERNELS)}")
        self.kernel = kernel
        self.jiffy = S // hz
        self.obe_poll_period = hz * OBE_POLL_PERIOD_S[0] // OBE_POLL_PERIOD_S[1]     # in jiffies
        self.obe_busy_poll = self._obe_busy_poll_timeout()

    def _obe_busy_poll_timeout(self) -> int:
        """``aspeed_kcs_irq_mask_update``'s read_poll_timeout_atomic budget (mainline: 100 us)."""
        return self.obe_busy_poll_default

    def _obe_last_read(self, step: int) -> int:
        """Index of the read after which the budget is spent (the loop then reads once more)."""
        timeout = self.obe_busy_poll
        if self.kernel == "6.12":
            # __left_ns = timeout; each pass: udelay(1) -> -= 1000, cpu_relax -> -= 1; stop when < 0.
            return timeout // (OBE_POLL_STEP + 1) + 1
        # 6.1: ktime_get() after read k (first + k*step) > start (first - one read) + timeout.
        return (timeout - self.cpu.mmio_ns) // step + 1

    def _mod_obe_timer(self, t: int) -> None:
        """``mod_timer(&obe.timer, jiffies + OBE_POLL_PERIOD)``: on the BMC's jiffy grid."""
        self.sim.call_at((t // self.jiffy + self.obe_poll_period) * self.jiffy, self._obe_timer)

    # -- device ops (MmioKcsDevice's, but for ODR writes) ------------------------------------
    def outb(self, reg: str, value: int):
        yield from self.cpu.mmio_write(self.addr[reg], value)
        if reg == "ODR" and self.sirq:
            # Ask the LPC block for the host SerIRQ on every ODR write, as the driver does.
            yield from self._irqxe(1)

    def irq_mask_update(self, mask: int, state: int):
        if mask & EVENT_IBF:
            yield from self._ibfie(bool(state & EVENT_IBF))
        if mask & EVENT_OBE:
            if state & EVENT_OBE:
                yield from self._obe_enable()
            else:
                self._obe_armed = False

    # -- probe -----------------------------------------------------------------------
    def _write(self, reg: str, value: int):
        yield from self.cpu.mmio_write(LPC_BASE + REG[reg].offset, value)

    def _field(self, reg: str, field: str, value: int):
        """Read-modify-write one field of an LPC register, by its datasheet name."""
        f = REG[reg].field(field)
        yield from self.cpu.mmio_update(LPC_BASE + REG[reg].offset, f.mask, value << f.lsb)

    def probe(self):
        """Generator: bring the channel up; the client attaches afterwards."""
        yield from self.irq_mask_update(EVENT_IBF | EVENT_OBE, 0)
        ch = self.channel
        if ch == 3:
            yield from self._write("LADR3H", self.io_addr >> 8)
            yield from self._write("LADR3L", self.io_addr & 0xFF)
            yield from self._field("HICR4", "KCSENBL", 1)
        elif ch in (1, 2):
            yield from self._field("HICR4", "LADR12AS", 1 if ch == 2 else 0)
            yield from self._write("LADR12H", self.io_addr >> 8)
            yield from self._write("LADR12L", self.io_addr & 0xFF)
        else:
            yield from self._write("LADR4", ((self.io_addr + 1) << 16) | self.io_addr)
        if self.sirq and ch in (2, 3):
            yield from self._field("HICR5", f"ID{ch}IRQX", self.sirq)
        elif self.sirq and ch == 4:
            yield from self._field("HICRC", "ID4IRQX", self.sirq)
        self.soc.intc.request_irq(self.irq, self._irq)
        # Enable the channel last ("Finish configuring ASPEED KCS device before enable").
        if ch == 4:
            yield from self._field("HICRB", "LPC4E", 1)
        else:
            yield from self._field("HICR0", f"LPC{ch}E", 1)
        self.sim.trace(self.cpu.t, "fw", self.name, "probed", io=f"0x{self.io_addr:X}", irq=self.irq,
                       sirq=self.sirq)

    def _ibfie(self, on: bool):
        if self.channel == 4:
            yield from self._field("HICRB", "IBFIE4", int(on))
        else:
            yield from self._field("HICR2", f"IBFIE{self.channel}", int(on))

    def _irqxe(self, on: int):
        ch = self.channel
        if ch == 1:
            yield from self._field("SIRQCR0", "IRQ12E1" if self.sirq == 12 else "IRQ1E1", on)
        elif ch == 4:
            yield from self._field("HICRC", "IRQXE4", on)
        else:
            yield from self._field("HICR5", f"IRQXE{ch}", on)

    # -- interrupts ------------------------------------------------------------------
    def _irq(self):
        if self.client_event is not None:
            yield from self.client_event()

    def _obe_enable(self):
        """Busy-poll STR for OBF to clear (``read_poll_timeout_atomic``), then fall back to the timer."""
        self._obe_armed = True
        cpu = self.cpu
        step = OBE_POLL_STEP + cpu.mmio_ns        # udelay(1) + one STR read
        status = yield from self.inb("STR")
        first = cpu.t                              # reads land on first + k * step
        k_last = self._obe_last_read(step)
        last = first + k_last * step
        while status & STATUS_OBF:
            if cpu.t >= last:
                status = yield from self.inb("STR")   # the budget is spent: "(val) = op(args); break"
                if status & STATUS_OBF:
                    self.obe_slow_path += 1
                    self.sim.trace(cpu.t, "fw", self.name, "obe-slow-path", reads=k_last + 2,
                                   period=f"{self.obe_poll_period} jiffies")
                    self._mod_obe_timer(cpu.t)
                    return
                break
            # Sleep until the host clears OBF (or the budget ends), then land on the
            # poll grid: O(changes), not O(polls), with the exact poll instant kept.
            woke = yield from self._wait_obf_clear(last)
            k = min(k_last, max(-(-(woke - first) // step), (cpu.t - first) // step + 1))
            yield from cpu.busy(max(0, first + k * step - cpu.mmio_ns - cpu.t))
            status = yield from self.inb("STR")
        # Seen within the busy poll: no event; the client re-checks STR itself.

    def _wait_obf_clear(self, deadline: int):
        env = self.sim.env
        cpu = self.cpu
        yield from cpu.sync()
        if not self.block.status & STATUS_OBF:
            return cpu.t
        ev = self.block.bmc_watch.wait()
        yield ev | env.timeout(max(0, deadline - env.now))
        cpu.t = max(cpu.t, env.now)
        return env.now

    def _obe_timer(self):
        if not self._obe_armed:
            return
        if self.sim.tracer.enabled:
            self.sim.trace(self.sim.now, "fw", self.name, "obe-timer")
        self.cpu.post(self._obe_check, self.sim.now, latency=0)

    def _obe_check(self):
        status = yield from self.inb("STR")
        if status & STATUS_OBF:
            self._mod_obe_timer(self.cpu.t)
            return
        self._obe_armed = False
        if self.client_event is not None:
            yield from self.client_event()


@variant(AspeedKcsDriver, "obe-poll-200us", "ipmi: kcs: Update OBF poll timeout to reduce latency (2024, not merged)")
class ObePoll200us(AspeedKcsDriver):
    """The 200 us busy poll IBM proposed for P10 hosts that take more than 100 us to read ODR."""

    def _obe_busy_poll_timeout(self) -> int:
        return us(200)
