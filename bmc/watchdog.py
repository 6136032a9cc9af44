"""The BMC watchdog timer (IPMI 2.0 chapter 27) on the simulated clock.

The countdown is kept as the absolute time of the final expiry; nothing
ticks.  At most one wake-up event is live at a time: petting the timer only
moves the deadline later, and the wake-up that finds the deadline moved
simply sleeps again until it.  An event that must come *earlier* than the
live one (or a stop) bumps a generation number, so the old event, when
SimPy pops it, sees a stale generation and does nothing.  A stopped timer
has nothing live, so idle costs nothing.

Where this differs from QEMU's ``ipmi-bmc-sim`` (qemu-ipmi.md 3.5, 3.12):

- power cycle is a valid action when the host can do it, and its event
  uses Watchdog 2 offset 3 (QEMU: rejected by Set, offset 2; bug 11);
- Reset with action "none" runs the countdown, which at expiry sets the
  timer-use expiration flag and logs offset 0 (QEMU: stops; bug 12);
- every pre-timeout interrupt sets message flag bit 3 and recomputes ATN,
  NMI and SMI included (QEMU: NMI sets the flag without ATN; bug 13);
- the events' data 2 carries the pre-timeout interrupt type in bits 7:4
  and the timer use in bits 3:0, as the Watchdog 2 sensor table says.
"""

from __future__ import annotations

from buses.time import MS, S

from .host_control import host_supports
from .ipmi.cc import CC_WATCHDOG_UNINITIALIZED, CompletionCode, IpmiError
from .ipmi.msg import PreTimeoutInterrupt, RestartCause, TimeoutAction

COUNT_NS = 100 * MS        # one countdown unit
WATCHDOG_2 = 0x23          # sensor type "Watchdog 2" (IPMI 2.0 Table 42-3)
SENSOR_SPECIFIC = 0x6F     # event/reading type code for sensor-specific offsets
OFFSET_TIMER_INTERRUPT = 8  # Watchdog 2 offset for the pre-timeout interrupt

# Which HostControl operation carries out each action.
ACTION_OPS = {
    TimeoutAction.HARD_RESET: "hard_reset",
    TimeoutAction.POWER_DOWN: "power_off",
    TimeoutAction.POWER_CYCLE: "power_cycle",
}
PRE_TIMEOUT_OPS = {
    PreTimeoutInterrupt.SMI: "smi",
    PreTimeoutInterrupt.NMI: "nmi",
}


class Watchdog:
    """Set / Get / Reset Watchdog Timer state and the countdown behind them."""

    def __init__(self, sim, bmc, sensor_number: int = 0):
        self.sim = sim
        self.bmc = bmc
        self.sensor_number = sensor_number  # the Watchdog 2 sensor (QEMU's built-in SDR uses 0)
        self._gen = 0
        self._wake_at: int | None = None    # time of the live wake-up, if any
        self.wakeups_scheduled = 0          # SimPy events this watchdog has created
        self.pre_timeouts = 0
        self.expirations = 0
        self.power_up(sim.now)

    def power_up(self, t: int) -> None:
        """Power-up state: never set, stopped."""
        self._cancel()
        self.initialized = False
        self.use = 0
        self.dont_log = False
        self.action = TimeoutAction.NO_ACTION
        self.pre_interrupt = PreTimeoutInterrupt.NONE
        self.pre_timeout_s = 0
        self.expiration_flags = 0
        self.initial_count = 0
        self.running = False
        self.started_at = 0
        self.expiry_at = 0
        self.pre_timeout_done = False

    # -- commands -------------------------------------------------------------

    def check_supported(self, action: int, pre_interrupt: int) -> None:
        """Refuse (0xCC) an action or pre-timeout interrupt the host cannot carry out."""
        host = self.bmc.host
        op = ACTION_OPS.get(action)
        if op is not None and not host_supports(host, op):
            raise IpmiError(CompletionCode.INVALID_DATA_FIELD, f"host cannot {op}")
        op = PRE_TIMEOUT_OPS.get(pre_interrupt)
        if op is not None and not host_supports(host, op):
            raise IpmiError(CompletionCode.INVALID_DATA_FIELD, f"host cannot raise {op}")

    def set(self, t: int, *, use: int, dont_stop: bool, dont_log: bool, action: int, pre_interrupt: int,
            pre_timeout_s: int, clear_flags: int, initial_count: int) -> None:
        """Set Watchdog Timer with already validated fields (section 27.6).

        Without "don't stop" the timer stops.  With it, a running timer
        restarts from the new countdown and may deliver its pre-timeout again;
        a stopped one stays stopped.
        """
        self.use = use
        self.dont_log = dont_log
        self.action = TimeoutAction(action)
        self.pre_interrupt = PreTimeoutInterrupt(pre_interrupt)
        self.pre_timeout_s = pre_timeout_s
        self.expiration_flags &= ~clear_flags
        self.initial_count = initial_count
        self.initialized = True
        if self.running and dont_stop:
            self._start(t)
        else:
            self.stop(t)
        self._trace(t, "set", use=use, action=int(action), pre=int(pre_interrupt), pretimeout_s=pre_timeout_s,
                    count=initial_count, running=int(self.running))

    def reset(self, t: int) -> None:
        """Reset Watchdog Timer (section 27.5): restart the countdown from the initial count."""
        if not self.initialized:
            raise IpmiError(CC_WATCHDOG_UNINITIALIZED, "attempt to start an un-initialized watchdog")
        self._start(t)
        self._trace(t, "reset", expiry=self.expiry_at)

    def stop(self, t: int) -> None:
        if self.running:
            self.running = False
            self._cancel()

    def present_count(self, t: int) -> int:
        """Countdown left in 100 ms units, rounded up; 0 while stopped."""
        if not self.running:
            return 0
        left = self.expiry_at - t
        return max(0, -(-left // COUNT_NS))

    def status_data(self, t: int) -> bytes:
        """Get Watchdog Timer response data (section 27.7)."""
        present = self.present_count(t)
        return bytes((
            self.dont_log << 7 | self.running << 6 | self.use,
            self.pre_interrupt << 4 | self.action,
            self.pre_timeout_s,
            self.expiration_flags,
            self.initial_count & 0xFF, self.initial_count >> 8,
            present & 0xFF, present >> 8,
        ))

    # -- countdown --------------------------------------------------------------

    def _start(self, t: int) -> None:
        self.running = True
        self.started_at = t
        self.expiry_at = t + self.initial_count * COUNT_NS
        self.pre_timeout_done = False
        self._arm()

    def _due(self) -> int:
        """When the next thing happens: the pre-timeout (if one is pending) or the expiry.

        A pre-timeout interval longer than the countdown fires at once.
        """
        if self.pre_interrupt and not self.pre_timeout_done:
            return max(self.started_at, self.expiry_at - self.pre_timeout_s * S)
        return self.expiry_at

    def _arm(self) -> None:
        due = self._due()
        if self._wake_at is not None and self._wake_at <= due:
            return  # the live wake-up comes first and will sleep on until `due`
        self._gen += 1
        self._schedule(due)

    def _cancel(self) -> None:
        self._gen += 1
        self._wake_at = None

    def _schedule(self, t: int) -> None:
        ev = self.sim.env.event()
        ev.callbacks.append(self._wake)
        self.sim.trigger_at(ev, t, self._gen)
        self._wake_at = t
        self.wakeups_scheduled += 1

    def _wake(self, ev) -> None:
        if ev.value != self._gen:
            return  # cancelled or superseded
        self._wake_at = None
        now = self.sim.now
        due = self._due()
        if now < due:
            self._schedule(due)
        elif self.pre_interrupt and not self.pre_timeout_done:
            self._pre_timeout(now)
            if self.running:
                self._arm()
        else:
            self._expire(now)

    def _pre_timeout(self, t: int) -> None:
        self.pre_timeout_done = True
        self.pre_timeouts += 1
        pre = self.pre_interrupt
        self._trace(t, "pre-timeout", pre=pre.name)
        self._log(t, OFFSET_TIMER_INTERRUPT)
        self.bmc.set_watchdog_pre_timeout_flag(t)
        op = PRE_TIMEOUT_OPS.get(pre)
        if op is not None:
            self._host(op, t)

    def _expire(self, t: int) -> None:
        self.running = False
        self._cancel()
        self.expirations += 1
        self.expiration_flags |= 1 << self.use
        action = self.action
        self._trace(t, "expired", action=action.name, use=self.use)
        self._log(t, int(action))  # Watchdog 2 offsets 0-3 are the actions' numbers
        op = ACTION_OPS.get(action)
        if op is not None and self._host(op, t) and action != TimeoutAction.POWER_DOWN:
            self.bmc.note_restart(RestartCause.WATCHDOG_EXPIRATION)

    def _host(self, op: str, t: int) -> bool:
        """Drive the host wire ``op``; a host that cannot leaves a trace record, not an exception."""
        try:
            getattr(self.bmc.host, op)(t)
        except IpmiError as exc:
            self._trace(t, "host-refused", op=op, cc=f"0x{exc.cc:02X}")
            return False
        return True

    def _log(self, t: int, offset: int) -> None:
        if self.dont_log:
            return  # "don't log" suppresses the event only; flags and actions still happen
        bmc = self.bmc
        ed2 = self.pre_interrupt << 4 | self.use
        record = bmc.event_record(WATCHDOG_2, self.sensor_number, SENSOR_SPECIFIC, 0xC0 | offset, ed2, 0xFF, t)
        bmc.raise_event(record, t)

    def _trace(self, t: int, event: str, **fields) -> None:
        if self.sim.tracer.enabled:
            self.sim.trace(t, "bmc", f"{self.bmc.name}.wdt", event, **fields)
