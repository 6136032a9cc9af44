"""The system-interface policy layer, faithful to Linux ``ipmi_si_intf.c``.

It decides *when* the byte-level state machine runs and *what* it sends
besides user messages: the message-flag fetches that follow SMS_ATN, the
event buffer and receive queue, the global-enables check.  The start-up
(``try_smi_init``) is ``vserver.si_init``.  What is left here is one unit,
``smi_event_handler`` and the three contexts that call it, kept in one file
(about 740 lines) because each piece changes what the others see.

Who runs the state machine, as in Linux:

- the **timer** (``smi_timeout``): every jiffy while the state machine waits
  in polled mode, every ``SI_TIMEOUT_JIFFIES`` otherwise (8 ms at HZ=250), stopped
  when idle; the only context that passes elapsed time to ``event()``;
- **kipmid** (polled, non-BT interfaces by default): re-runs at once, or
  after ``usleep_range(100, 200)`` when the state machine waits;
- the **interrupt** handler (interrupt mode): on each interface interrupt.

A polling kipmid does not read an unchanged status register every 100-200
us here: it sleeps on the register block's change notifier and resumes on
the first poll instant of its own (random, seeded) sleep grid at or after
the change.  The timing is that of the real loop; the cost is O(changes).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from enum import Enum

from simpy import Interrupt

from bmc.ipmi.cc import CompletionCode as CC
from bmc.ipmi.cmd import App
from bmc.ipmi.netfn import NetFn, netfn_lun
from buses.time import US, S, ms, ns, us
from buses.variant import variant

from .si_init import (
    EVENT_MSG_BUFFER_FULL,
    GLOBAL_ENABLES_MASK,
    IPMI_BMC_EVT_MSG_BUFF,
    IPMI_BMC_EVT_MSG_INTR,
    IPMI_BMC_RCV_MSG_INTR,
    RECEIVE_MSG_AVAIL,
    WDT_PRE_TIMEOUT_INT,
    TrySmiInit,
)
from .sm import IPMI_MAX_MSG_LENGTH, SmResult

_WAKE = object()          # the Interrupt cause of a kick or IRQ waking a bare-timeout sleep
_ON_TIMEOUT = object()    # _waiter while the thread sleeps on a timeout itself

SI_TIMEOUT = ms(10)                # SI_TIMEOUT_TIME_USEC
KIPMID_SLEEP_MIN = us(100)         # usleep_range(100, 200)
KIPMID_SLEEP_MAX = us(200)
KIPMID_WATCH_JIFFIES = 100         # schedule_timeout_interruptible(100) with need_watch

# The host kernels mirrored: Debian's 6.12.118 and 6.1.192 (the guest's).  Their ipmi_si_intf.c,
# ipmi_kcs_sm.c, ipmi_bt_sm.c and ipmi_watchdog.c behave alike (the diffs: CONFIG_HAS_IOPORT, strscpy,
# a signal check in the watchdog's read); ipmi_msghandler.c hands received messages to a BH workqueue
# in 6.12 and to a tasklet in 6.1: both run after the interface drops si_lock, which is what is modelled.
HOST_KERNELS = ("6.12", "6.1")


class SiState(Enum):
    NORMAL = "normal"
    GETTING_FLAGS = "getting-flags"
    GETTING_EVENTS = "getting-events"
    CLEARING_FLAGS = "clearing-flags"
    GETTING_MESSAGES = "getting-messages"
    CHECKING_ENABLES = "checking-enables"
    SETTING_ENABLES = "setting-enables"


# The members the event handler compares with, as module globals (an Enum attribute lookup costs
# five times a global's; the handler runs for every byte).
_R_ATTN, _R_CALL_WITHOUT_DELAY, _R_CALL_WITH_DELAY = (
    SmResult.ATTN, SmResult.CALL_WITHOUT_DELAY, SmResult.CALL_WITH_DELAY)
_R_HOSED, _R_IDLE, _R_TRANSACTION_COMPLETE = SmResult.HOSED, SmResult.IDLE, SmResult.TRANSACTION_COMPLETE
_NORMAL = SiState.NORMAL


@dataclass
class SiConfig:
    """Module parameters and kernel configuration that shape the timing."""

    hz: int = 250                        # CONFIG_HZ (Debian: 250)
    use_irq: bool = False                # an interface IRQ is wired and requested
    kipmid: bool | None = None           # force_kipmid; None = auto (polled, non-BT)
    kipmid_max_busy_us: int = 0          # 0 = spin (with usleep_range) forever
    pollskip: bool = True                # sleep on the status notifier between kipmid polls (same timing)
    show_polls: bool = False             # trace the polls pollskip skipped, as naive polling would have
    variants: tuple[str, ...] = ()       # named driver variants (each state machine's VARIANTS)
    kernel: str = "6.12"                 # the Linux whose drivers/char/ipmi this mirrors (HOST_KERNELS)
    alerts_broken: bool = False          # ipmi_ssif's alerts_broken: do not enable the SMBus alert
    register_work: int = 0               # ns ipmi_add_smi spends after start_processing, before its first
                                         # request (allocation, sysfs, the platform device): a host's speed

    def __post_init__(self):
        if self.kernel not in HOST_KERNELS:
            raise ValueError(f"si kernel: {self.kernel!r} is not one of {', '.join(HOST_KERNELS)}")
        if not isinstance(self.register_work, int) or isinstance(self.register_work, bool) or self.register_work < 0:
            raise ValueError(f"si register_work: {self.register_work!r} is not a whole number of ns >= 0")

    @property
    def jiffy(self) -> int:
        if not (0 < self.hz <= 1000) or S % self.hz:
            raise ValueError(f"si.hz: {self.hz} must divide 1 s and be in 1..1000")
        return S // self.hz


class SmiMsg:
    """One message to the BMC (``struct ipmi_smi_msg``)."""

    __slots__ = ("data", "rsp", "user_data")

    def __init__(self, data: bytes, user_data=None):
        self.data = data              # NetFn/LUN, Cmd, data
        self.rsp = b""                # NetFn/LUN, Cmd, CC, data once answered
        self.user_data = user_data    # the message handler's (its receive message); None for its own


class SmiInterface(TrySmiInit):
    """``struct smi_info``: one KCS/BT system interface and the contexts that drive it."""

    def __init__(self, sim, cpu, sm, config: SiConfig | None = None, name: str = "ipmi_si"):
        self.sim = sim
        self.env = sim.env
        self.cpu = cpu
        self.sm = sm
        self.cfg = config or SiConfig()
        self.name = name
        self.jiffy = self.cfg.jiffy
        # SI_TIMEOUT_JIFFIES = SI_TIMEOUT_TIME_USEC / SI_USEC_PER_JIFFY, C integer division (not
        # usecs_to_jiffies): 10000 / 4000 = 2 jiffies (8 ms) at HZ=250.
        self.si_timeout_jiffies = (SI_TIMEOUT // US) // (self.jiffy // US)
        kip = self.cfg.kipmid
        # smi_start_processing: "The BT interface is efficient enough to not need a thread, and there
        # is no need for a thread if we have interrupts."
        self.has_kipmid = (not self.cfg.use_irq and sm.uses_kipmid) if kip is None else kip
        self.si_state = SiState.NORMAL
        self.curr_msg: SmiMsg | None = None
        self.waiting_msg: SmiMsg | None = None
        self.got_attn = False
        self.last_was_flag_fetch = False
        self.req_events = False
        self.need_watch = False
        self.in_maintenance_mode = False
        self.msg_flags = 0
        self.num_requests_in_a_row = 0
        self.supports_event_msg_buff = False
        self.has_event_buffer = False
        self.interrupt_disabled = True
        self.irq_enable_broken = False
        self.cannot_disable_irq = False
        self.device_id: bytes | None = None
        self.stats: Counter = Counter()
        self.upper = None                  # the message handler (smi_msg_received, watchdog_pretimeout)
        self.ready = self.env.event()      # try_smi_init and start_processing done (or failed: False)
        # The start-up's own traffic is over: the flags cleared and, with an interrupt, the enables
        # check that req_events asked for (and its event fetch) done, so from here on the interface
        # runs as configured.  Not Linux's (nothing there waits for it): World.boot waits for it.
        self.settled = self.env.event()
        self._replaying = self.cfg.show_polls and sim.tracer.enabled    # decided once, off the poll path
        self.failed: str | None = None
        # Contexts: the timer, kipmid, the interrupt; None = not scheduled.
        self.timer_can_start = False
        self.timer_expires: int | None = None
        self.last_timer_run = 0
        self.kipmid_next: int | None = None
        self.kipmid_sleep = "idle"         # usleep | tick | watch | idle | None (due): what wakes it
        self.kipmid_busy_until: int | None = None
        self._timer_ev = None
        self._timer_ev_at = None
        self._waiter = None
        self._kicked = False
        self._irq_pending = False
        self._locked = False               # si_lock: the event handler is running
        self.handler_runs = 0              # smi_event_handler calls (a watchdog of the lock's holder can count them)
        self._recheck = False              # a sender() came in meanwhile
        self.proc = sim.process(self._thread())

    @property
    def si_type(self) -> str:
        """The interface type (sysfs ``type``): the state machine's."""
        return self.sm.si_type

    # -- tracing ---------------------------------------------------------------------------
    def _trace(self, event: str, **fields) -> None:
        if self.sim.tracer.enabled:
            self.sim.trace(self._now(), "si", self.name, event, si_state=self.si_state.value, **fields)

    # -- upward API (the handlers table the message handler calls) ------------------------------
    def sender(self, msg: SmiMsg) -> None:
        """``sender``: the message waits; a free interface starts it at once (one at a time)."""
        if self.waiting_msg is not None:
            raise RuntimeError(f"{self.name}: sender() called with a message already waiting")
        self.waiting_msg = msg
        if self._locked:
            # Called from a delivery inside the event handler: si_lock is held, so the caller (the
            # message handler's receive work) gets the interface once the handler has returned.
            self._recheck = True
        else:
            self._check_start_timer_thread()

    def request_events(self) -> None:
        """``request_events``: only a flag, taken the next time the state machine runs idle."""
        if self.has_event_buffer:
            self.req_events = True

    def set_need_watch(self, on: bool) -> None:
        self.need_watch = on
        if self._locked:
            self._recheck = True
        else:
            self._check_start_timer_thread()

    def set_maintenance_mode(self, on: bool) -> None:
        if not on:
            self.req_events = False
        self.in_maintenance_mode = on

    def shutdown(self) -> None:
        """``shutdown_smi``: the timer stops (the host ends the thread, and kipmid with it)."""
        self.timer_can_start = False
        self.timer_expires = None
        self.kipmid_next = None
        self._stopping = True                    # kthread_stop: kipmid ends after the pass it is in

    def unload(self):
        """Generator: ``rmmod ipmi_si`` (``shutdown_smi``): the timer and kipmid stop -- here the
        thread ends between two handler runs -- then ``wait_msg_processed`` steps the state machine
        once a jiffy until the message in flight is done."""
        self.shutdown()
        cpu = self.cpu
        while self._locked:                       # del_timer_sync / kthread_stop: let the run finish
            yield from cpu.sleep(ns(100))
        if self.proc.is_alive:
            self.proc.defused = True
            self.proc.interrupt("unload")
        last = self._now() // self.jiffy
        while self.curr_msg is not None or self.si_state != _NORMAL:
            now_j = self._now() // self.jiffy
            yield from self._event_handler(self._unload_elapsed(now_j - last))
            last = now_j
            yield from cpu.sleep(self.jiffy)      # schedule_timeout_uninterruptible(1)
        self._trace("unloaded")

    def _unload_elapsed(self, jiffies: int) -> int:
        """wait_msg_processed hands the handler the real time since its last step (6.2)."""
        return jiffies * self.jiffy

    def irq(self, t: int) -> None:
        """The interface interrupt arrived at the handler at time ``t``."""
        self.sim.call_at(t, self._irq_arrive)

    def _irq_arrive(self) -> None:
        self.stats["interrupts"] += 1
        self._irq_pending = True
        self._wake()

    # -- scheduling helpers ----------------------------------------------------------------------
    def _now(self) -> int:
        return max(self.cpu.t, self.env._now)

    def _next_jiffy(self, t: int, n: int = 1) -> int:
        """Absolute time of ``jiffies + n`` seen from time ``t``."""
        return (t // self.jiffy + n) * self.jiffy

    def _mod_timer(self, expires: int) -> None:
        """``smi_mod_timer``: arming also notes the current jiffy, from which the
        next timer run measures the elapsed time it hands to the state machine."""
        if not self.timer_can_start:
            return
        self.timer_expires = expires
        now = self._now()
        self.last_timer_run = now - now % self.jiffy

    def _wake_kipmid(self) -> None:
        """``wake_up_process``: ends an interruptible sleep (idle, a jiffy, the watch period);
        ``usleep_range`` sleeps on to its end."""
        if self.has_kipmid and self.kipmid_sleep in ("idle", "tick", "watch"):
            self.kipmid_next = self._now()
            self.kipmid_sleep = None
            self._wake()

    def _check_start_timer_thread(self) -> None:
        """``check_start_timer_thread``: with nothing in flight, arm the timer, wake kipmid, start the
        waiting message and run the event handler in the caller's context (the thread runs it at
        once: the kick).  Otherwise the message waits for whoever runs the state machine next."""
        if self.si_state == SiState.NORMAL and self.curr_msg is None:
            self._mod_timer(self._next_jiffy(self._now(), self.si_timeout_jiffies))
            self._wake_kipmid()
            self._start_next_msg()
            self._kicked = True
            self._wake()

    def _wake(self) -> None:
        w = self._waiter
        if w is None:
            return
        self._waiter = None
        if w is _ON_TIMEOUT:
            # Asleep on a bare timeout (the common poll): a rare kick or IRQ interrupts it.
            self.proc.interrupt(_WAKE)
        else:
            w.succeed()

    def _sleep(self, deadline: int | None, watch) -> None:
        """Generator: until a kick/IRQ, a status change (``watch``) or ``deadline``."""
        env = self.env
        if self._kicked or self._irq_pending:
            return
        if deadline is not None and deadline <= env._now:
            return
        if watch is None and deadline is not None:
            # One wake source besides a kick: yield the timeout itself, not an event it triggers
            # (one kernel event per poll instead of two).
            ev = self._deadline_event(deadline)
            self._waiter = _ON_TIMEOUT
            try:
                yield ev
            except Interrupt as why:
                if why.cause is not _WAKE:
                    raise
            if self._waiter is _ON_TIMEOUT:
                self._waiter = None
            return
        w = self._waiter = env.event()
        if watch is not None:
            watch.wait().callbacks.append(lambda _e, w=w: self._wake_if(w))
        if deadline is not None:
            self._deadline_event(deadline).callbacks.append(lambda _e, w=w: self._wake_if(w))
        yield w

    def _deadline_event(self, deadline: int):
        """A timeout at ``deadline``; the timer's own is shared by every sleep that ends on it."""
        if deadline == self._timer_ev_at and self._timer_ev is not None and not self._timer_ev.processed:
            return self._timer_ev
        ev = self.env.timeout(deadline - self.env._now)
        if deadline == self.timer_expires:
            self._timer_ev, self._timer_ev_at = ev, deadline
        return ev

    def _wake_if(self, w) -> None:
        if not w.triggered:
            if self._waiter is w:
                self._waiter = None
            w.succeed()

    def _kipmid_draw(self) -> int:
        # randint(a, b) is a + _randbelow(b - a + 1) in CPython: the same draws, four calls less.
        return KIPMID_SLEEP_MIN + self.sim.rng._randbelow(KIPMID_SLEEP_MAX - KIPMID_SLEEP_MIN + 1)

    # -- the contexts ------------------------------------------------------------------------------
    def _thread(self):
        ok = yield from self._startup()
        if not ok:
            self.sim.trigger_at(self.ready, self.cpu.t, False)
            self.sim.trigger_at(self.settled, self.cpu.t, False)
            return
        yield from self._start_processing()
        self._trace("ready", device_id=self.device_id)
        self.sim.trigger_at(self.ready, self.cpu.t, True)
        self._unsettled = True
        cpu = self.cpu
        env = self.env
        # What a polling context sleeps on: the register whose changes the state machine waits for.
        watch = self.cpu.io_space.watch(self.sm.status_port)
        while True:
            if self._recheck:
                # A sender() that came in while the handler ran gets si_lock now: after the context's
                # own timer decision (smi_timeout re-arms or stops the timer before unlocking), so
                # the timer it starts is not undone by it.
                self._recheck = False
                self._check_start_timer_thread()
            if self._unsettled:
                self._check_settled()
            now = max(cpu.t, env._now)
            # Who runs next?  Candidates: the interrupt, the caller's context (kick), timer, kipmid.
            if self._irq_pending:
                self._irq_pending = False
                self.stats["irq_runs"] += 1
                yield from self.sm.irq_ack()           # ipmi_si_irq_handler
                yield from self._event_handler(0)
                continue
            if self._kicked:
                self._kicked = False
                yield from self._event_handler(0)      # check_start_timer_thread's smi_event_handler
                continue
            t_timer = self.timer_expires
            t_kip = self.kipmid_next
            if t_kip is not None and (t_timer is None or t_kip <= t_timer) and t_kip <= now:
                mark = len(self.sim.tracer.records) if self._replaying else None
                result = yield from self._event_handler(0)
                self._after_kipmid(result)
                if mark is not None:
                    # A pass that found nothing changed is what every skipped poll would have traced.
                    self._poll_records = (now, self.sim.tracer.records[mark:]) if self._skippable else None
                continue
            if t_timer is not None and t_timer <= now:
                self.timer_expires = None
                elapsed = t_timer - self.last_timer_run
                result = yield from self._event_handler(elapsed)
                self._after_timer(result)
                continue
            # Nothing due: sleep.  A kipmid that is polling an unchanged register
            # sleeps on the change notifier and lands on its own poll grid.
            skipping = t_kip is not None and self._skippable
            if skipping:
                yield from self._sleep(t_timer, watch)
                woke = env._now
                if self._kicked or self._irq_pending or (t_timer is not None and woke >= t_timer):
                    # Advance kipmid's grid past the polls that were skipped.
                    self.kipmid_next = self._kipmid_grid_after(t_kip, woke, inclusive=False)
                    continue
                self.kipmid_next = self._kipmid_grid_after(t_kip, woke, inclusive=True)
                if t_timer is None or self.kipmid_next <= t_timer:
                    yield from cpu.sleep_until(self.kipmid_next)
                continue
            deadlines = [t for t in (t_timer, t_kip) if t is not None]
            yield from self._sleep(min(deadlines) if deadlines else None, None)
            if cpu.t < env._now:
                cpu.t = env._now

    _skippable = False
    _progressed = False
    _stopping = False
    _poll_records = None       # (start, records) of the last pass that found nothing changed
    _unsettled = False         # ready, and ``settled`` not yet triggered

    def _kipmid_grid_after(self, p: int, t: int, inclusive: bool) -> int:
        """First kipmid poll instant at or after ``t`` on the grid starting at ``p``.

        Each skipped poll costs one status read plus a fresh usleep_range draw.  With
        ``show_polls`` each is traced as the pass it stands for: the last unchanged pass's records,
        moved to its instant (the register did not change, or the sleep would have ended).
        """
        io = self.cpu.io_ns
        replay = self._poll_records if self._replaying else None
        while p < t or (not inclusive and p == t):
            if replay is not None:
                start, records = replay
                for rec in records:
                    self.sim.tracer.replay(rec._replace(t=p + rec.t - start))
            p += io + self._kipmid_draw()
        return p

    def _busy_wait(self, result: SmResult, now: int) -> bool:
        """``ipmi_thread_busy_wait``: past ``kipmid_max_busy_us`` of waiting, one jiffy's sleep; the
        window starts again on the next wait (the deadline is cleared when it is passed)."""
        max_busy = self.cfg.kipmid_max_busy_us
        if max_busy == 0 or result != _R_CALL_WITH_DELAY:
            self.kipmid_busy_until = None
        elif self.kipmid_busy_until is None:
            self.kipmid_busy_until = now + max_busy * US
        elif now > self.kipmid_busy_until:
            self.kipmid_busy_until = None
            return False
        return True

    def _after_kipmid(self, result: SmResult) -> None:
        """``ipmi_thread``: what kipmid does after one pass."""
        now = self.cpu.t
        self._skippable = False
        if self._stopping:                       # kthread_should_stop(): no next pass
            self.kipmid_next = None
            return
        if result != _R_IDLE and self.timer_expires is None:
            self._mod_timer(self._next_jiffy(now, self.si_timeout_jiffies))
        if not self.has_kipmid:
            self.kipmid_next = None
            return
        busy_wait = self._busy_wait(result, now)
        if result == _R_CALL_WITH_DELAY and busy_wait:
            if self.in_maintenance_mode:
                self.kipmid_next, self.kipmid_sleep = now, None          # schedule(): at once
            else:
                self.kipmid_next, self.kipmid_sleep = now + self._kipmid_draw(), "usleep"
                # Most waits end by the next poll (a byte exchange): one plain
                # timeout is cheapest.  Once a poll found nothing changed, sleep
                # on the status notifier instead.
                self._skippable = self.cfg.pollskip and not self._progressed
        elif result == _R_IDLE:
            if self.need_watch:
                self.kipmid_next, self.kipmid_sleep = self._next_jiffy(now, KIPMID_WATCH_JIFFIES), "watch"
            else:
                self.kipmid_next, self.kipmid_sleep = None, "idle"
        else:
            self.kipmid_next, self.kipmid_sleep = self._next_jiffy(now, 1), "tick"

    def _after_timer(self, result: SmResult) -> None:
        """``smi_timeout``: re-arm for a jiffy when waiting, 10 ms otherwise, stop when idle."""
        now = self.cpu.t
        if self.cfg.use_irq and not self.interrupt_disabled:
            expires = self._next_jiffy(now, self.si_timeout_jiffies)   # "only do long timeouts"
            self.stats["long_timeouts"] += 1
        elif result == _R_CALL_WITH_DELAY:
            expires = self._next_jiffy(now, 1)
            self.stats["short_timeouts"] += 1
        else:
            expires = self._next_jiffy(now, self.si_timeout_jiffies)
            self.stats["long_timeouts"] += 1
        if result != _R_IDLE:
            self._mod_timer(expires)
        else:
            self.timer_expires = None

    # -- smi_event_handler ------------------------------------------------------------------------
    def _event_handler(self, time: int):
        """Generator: ``smi_event_handler``, branch for branch; each ``goto restart`` steps the
        state machine again with no elapsed time."""
        sm = self.sm
        self._locked = True
        self.handler_runs += 1
        result = yield from sm.event(time)
        self._progressed = result != _R_CALL_WITH_DELAY
        while True:
            while result == _R_CALL_WITHOUT_DELAY:
                result = yield from sm.event(0)
            if result == _R_TRANSACTION_COMPLETE:
                self.stats["complete_transactions"] += 1
                yield from self._handle_transaction_done()
                result = yield from sm.event(0)
                continue
            if result == _R_HOSED:
                self.stats["hosed_count"] += 1
                self._trace("hosed")
                self.si_state = _NORMAL
                if self.curr_msg is not None:
                    self._return_hosed_msg(CC.UNSPECIFIED_ERROR)
                result = yield from sm.event(0)
                continue
            # Idle, or a stuck flag keeps raising ATTN right after a flag fetch while a message waits:
            # let the message through ("to avoid a stuck flag completely wedging the driver").
            if result == _R_IDLE or (result == _R_ATTN and self.waiting_msg is not None
                                           and self.last_was_flag_fetch):
                self.last_was_flag_fetch = False
                self.stats["idles"] += 1
                result = self._start_next_msg()
                if result != _R_IDLE:
                    result = yield from sm.event(0)
                    continue
            if result == _R_ATTN or self.got_attn:
                if self.si_state != _NORMAL:
                    self.got_attn = True                # handle it when this operation is done
                else:
                    self.got_attn = False
                    self.stats["attentions"] += 1
                    self.stats["flag_fetches"] += 1
                    self._start_new_msg(NetFn.APP, App.GET_MESSAGE_FLAGS)
                    self.si_state = SiState.GETTING_FLAGS
                    self._trace("get-flags")
                    result = yield from sm.event(0)
                    continue
            if result == _R_IDLE and self.req_events:
                self.req_events = False
                # "Take this opportunity to check the interrupt and message enable state for the
                # BMC": io.irq, the interrupt as configured, not whether it is enabled just now.
                if self.supports_event_msg_buff or self.cfg.use_irq:
                    self._start_check_enables()
                elif not self._alloc_msg_handle_irq():
                    return self._unlock(result)
                else:
                    self._start_getting_events()
                result = yield from sm.event(0)
                continue
            if result == _R_IDLE and self.timer_expires is not None:
                self.timer_expires = None               # del_timer: nothing left to time
            return self._unlock(result)

    def _unlock(self, result: SmResult) -> SmResult:
        """Release si_lock (a sender() that came in meanwhile is served at the top of the thread's loop)."""
        self._locked = False
        return result

    def _check_settled(self) -> None:
        """Between the thread's runs (nothing held, the timer armed as it will be): settled yet?"""
        if not self.req_events and self.si_state == _NORMAL and self.curr_msg is None and self.waiting_msg is None:
            self._unsettled = False
            self.sim.trigger_at(self.settled, self.cpu.t, True)

    def _start_next_msg(self) -> SmResult:
        """``start_next_msg``: the waiting message becomes current and starts; a refusal fails it
        with the state machine's code (``return_hosed_msg``).  IDLE if nothing was waiting."""
        msg = self.waiting_msg
        if msg is None:
            self.curr_msg = None
            return _R_IDLE
        self.curr_msg = msg
        self.waiting_msg = None
        self._trace("start-msg", data=msg.data)         # before the state machine's own records
        err = self.sm.start_transaction(msg.data)
        if err:
            self._trace("start-refused", data=msg.data, cc=f"0x{err:02X}")
            self._return_hosed_msg(err)
        return _R_CALL_WITHOUT_DELAY

    def _start_new_msg(self, netfn: int, cmd: int, data: bytes = b"") -> None:
        """``start_new_msg``: every internal request re-arms the timer (its elapsed time counts from
        now), wakes kipmid and starts the transaction; a refusal is not checked, as in Linux."""
        self._mod_timer(self._next_jiffy(self._now(), self.si_timeout_jiffies))
        self._wake_kipmid()
        self._start_transaction(bytes((netfn_lun(netfn), cmd)) + data)

    def _start_transaction(self, msg: bytes) -> None:
        err = self.sm.start_transaction(msg)
        if err:
            self._trace("start-refused", data=msg, cc=f"0x{err:02X}")

    def _start_clear_flags(self) -> None:
        self._start_new_msg(NetFn.APP, App.CLEAR_MESSAGE_FLAGS, bytes((WDT_PRE_TIMEOUT_INT,)))
        self.si_state = SiState.CLEARING_FLAGS

    def _start_getting_events(self) -> None:
        self._start_new_msg(NetFn.APP, App.READ_EVENT_MESSAGE_BUFFER)
        if self.si_state != SiState.GETTING_EVENTS:
            self.num_requests_in_a_row = 0
            self.si_state = SiState.GETTING_EVENTS

    def _start_getting_msgs(self) -> None:
        self._start_new_msg(NetFn.APP, App.GET_MESSAGE)
        if self.si_state != SiState.GETTING_MESSAGES:
            self.num_requests_in_a_row = 0
            self.si_state = SiState.GETTING_MESSAGES

    def _start_check_enables(self) -> None:
        self._start_new_msg(NetFn.APP, App.GET_BMC_GLOBAL_ENABLES)
        self.si_state = SiState.CHECKING_ENABLES

    def _alloc_msg_handle_irq(self) -> bool:
        """``alloc_msg_handle_irq`` (memory never runs out here): an interrupt that was disabled is
        enabled first -- by a global-enables check instead of the fetch."""
        if self.cfg.use_irq and self.interrupt_disabled:
            self.interrupt_disabled = False
            self._start_check_enables()
            return False
        return True

    def current_global_enables(self) -> int:
        enables = 0
        irq_on = self.cfg.use_irq and not self.interrupt_disabled
        if self.supports_event_msg_buff:
            enables |= IPMI_BMC_EVT_MSG_BUFF
        if (irq_on or self.cannot_disable_irq) and not self.irq_enable_broken:
            enables |= IPMI_BMC_RCV_MSG_INTR
        if self.supports_event_msg_buff and irq_on and not self.irq_enable_broken:
            enables |= IPMI_BMC_EVT_MSG_INTR
        return enables

    def _handle_flags(self) -> None:
        flags = self.msg_flags
        if flags & WDT_PRE_TIMEOUT_INT:
            self.stats["watchdog_pretimeouts"] += 1
            self._start_clear_flags()
            self.msg_flags &= ~WDT_PRE_TIMEOUT_INT
            if self.upper is not None:
                self.upper.watchdog_pretimeout(self.cpu.t)
        elif flags & RECEIVE_MSG_AVAIL:
            if not self._alloc_msg_handle_irq():
                self.si_state = SiState.NORMAL
                return
            self._start_getting_msgs()
        elif flags & EVENT_MSG_BUFFER_FULL:
            if not self._alloc_msg_handle_irq():
                self.si_state = SiState.NORMAL
                return
            self._start_getting_events()
        else:
            # OEM_DATA_AVAIL needs an OEM handler (Dell only); without one it is ignored.
            self.si_state = SiState.NORMAL

    def _handle_transaction_done(self):
        """Generator (``handle_transaction_done``; it may touch the interface: BT's interrupt enable).

        Each state reads the result with Linux's length limit: 4 bytes for flags and enables, 3 for
        clearing flags, IPMI_MAX_MSG_LENGTH otherwise (longer answers come back truncated, 0xC6).
        """
        state = self.si_state
        if state == SiState.NORMAL:
            msg = self.curr_msg
            if msg is None:
                return
            msg.rsp = self.sm.get_result(IPMI_MAX_MSG_LENGTH)
            self._trace("transaction-done", rsp=msg.rsp)
            self.curr_msg = None
            self._deliver(msg)
        elif state == SiState.GETTING_FLAGS:
            rsp = self._result(4)
            if rsp[2] != 0 or len(rsp) < 4:
                self.si_state = SiState.NORMAL  # an error or no flags: give up for now
            else:
                self.msg_flags = rsp[3]
                self.last_was_flag_fetch = True
                self._handle_flags()
        elif state == SiState.CLEARING_FLAGS:
            self._result(3)
            self.si_state = SiState.NORMAL
        elif state == SiState.GETTING_EVENTS:
            msg = SmiMsg(bytes((netfn_lun(NetFn.APP), App.READ_EVENT_MESSAGE_BUFFER)))
            msg.rsp = self._result(IPMI_MAX_MSG_LENGTH)
            # "some BMCs, with no event data, return no data in the message and not a 0x80 error"
            if msg.rsp[2] != 0 or len(msg.rsp) != 19:
                self.msg_flags &= ~EVENT_MSG_BUFFER_FULL
                self._handle_flags()
            else:
                self.stats["events"] += 1
                self.num_requests_in_a_row += 1
                if self.num_requests_in_a_row > 10:
                    self.msg_flags &= ~EVENT_MSG_BUFFER_FULL    # stop if we do this too many times
                self._handle_flags()
                self._deliver(msg)
        elif state == SiState.GETTING_MESSAGES:
            msg = SmiMsg(bytes((netfn_lun(NetFn.APP), App.GET_MESSAGE)))
            msg.rsp = self._result(IPMI_MAX_MSG_LENGTH)
            if msg.rsp[2] != 0:
                self.msg_flags &= ~RECEIVE_MSG_AVAIL
                self._handle_flags()
            else:
                self.stats["incoming_messages"] += 1
                self.num_requests_in_a_row += 1
                if self.num_requests_in_a_row > 10:
                    self.msg_flags &= ~RECEIVE_MSG_AVAIL
                self._handle_flags()
                self._deliver(msg)
        elif state == SiState.CHECKING_ENABLES:
            rsp = self._result(4)
            if rsp[2] != 0:
                self.si_state = SiState.NORMAL          # "Maybe ok, but ipmi might run very slowly"
                return
            current = rsp[3] if len(rsp) > 3 else 0     # Linux reads byte 3 unchecked
            enables = self.current_global_enables()
            # "BT has its own interrupt enable bit" (check_bt_irq; a no-op for other types).
            yield from self.sm.check_irq(bool(enables & (IPMI_BMC_EVT_MSG_INTR | IPMI_BMC_RCV_MSG_INTR)))
            if enables != current & GLOBAL_ENABLES_MASK:
                # Fix only the bits the driver owns; keep the rest (e.g. event logging).  A plain
                # start_transaction: the timer is not re-armed for this one.
                self._start_transaction(bytes((netfn_lun(NetFn.APP), App.SET_BMC_GLOBAL_ENABLES,
                                               enables | (current & ~GLOBAL_ENABLES_MASK))))
                self.si_state = SiState.SETTING_ENABLES
            elif self.supports_event_msg_buff:
                self._start_getting_events()
            else:
                self.si_state = SiState.NORMAL
        elif state == SiState.SETTING_ENABLES:
            self._result(4)
            if self.supports_event_msg_buff:
                self._start_getting_events()
            else:
                self.si_state = SiState.NORMAL

    def _result(self, length: int) -> bytes:
        rsp = self.sm.get_result(length)
        self._trace("transaction-done", rsp=rsp)
        return rsp

    def _deliver(self, msg: SmiMsg) -> None:
        """``deliver_recv_msg``: everything goes up through the message handler's one entry."""
        if self.upper is not None:
            self.upper.smi_msg_received(msg, self._now())    # cpu.t is stale outside a handler run

    def _return_hosed_msg(self, cc: int) -> None:
        msg = self.curr_msg
        self.curr_msg = None
        data = msg.data
        msg.rsp = bytes((data[0] | 0x04 if data else 0x04, data[1] if len(data) > 1 else 0, cc))
        self._deliver(msg)


@variant(SmiInterface, "si-unload-poll", "before 'ipmi: fix long wait in unload when IPMI disconnect' (6.2)")
class UnloadByPoll(SmiInterface):
    """The unload loop called poll(), which charges the state machine 10 us a call, and slept a jiffy
    between calls: a 5 s timeout took 5 s x jiffy / 10 us of real time."""

    def _unload_elapsed(self, jiffies: int) -> int:
        return us(10)
