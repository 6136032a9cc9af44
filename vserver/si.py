"""The system-interface policy layer, faithful to Linux ``ipmi_si_intf.c``.

It decides *when* the byte-level state machine runs and *what* it sends
besides user messages: the message-flag fetches that follow SMS_ATN, the
event buffer and receive queue, the global-enables check, and the start-up
sequence (Get Device ID, event buffer enable, clearing flags).

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
from buses.time import US, S, ms, us

from .sm import SmResult

_WAKE = object()          # the Interrupt cause of a kick or IRQ waking a bare-timeout sleep
_ON_TIMEOUT = object()    # _waiter while the thread sleeps on a timeout itself

SI_TIMEOUT = ms(10)                # SI_TIMEOUT_TIME_USEC
KIPMID_SLEEP_MIN = us(100)         # usleep_range(100, 200)
KIPMID_SLEEP_MAX = us(200)
KIPMID_WATCH_JIFFIES = 100         # schedule_timeout_interruptible(100) with need_watch
GET_DEVICE_ID_MAX_RETRY = 5

# Message flags (Get Message Flags) and global-enable bits (Get/Set BMC Global Enables).
RECEIVE_MSG_AVAIL = 0x01
EVENT_MSG_BUFFER_FULL = 0x02
WDT_PRE_TIMEOUT_INT = 0x08
IPMI_BMC_RCV_MSG_INTR = 0x01
IPMI_BMC_EVT_MSG_INTR = 0x02
IPMI_BMC_EVT_MSG_BUFF = 0x04
GLOBAL_ENABLES_MASK = IPMI_BMC_EVT_MSG_BUFF | IPMI_BMC_RCV_MSG_INTR | IPMI_BMC_EVT_MSG_INTR


class SiState(Enum):
    NORMAL = "normal"
    GETTING_FLAGS = "getting-flags"
    GETTING_EVENTS = "getting-events"
    CLEARING_FLAGS = "clearing-flags"
    GETTING_MESSAGES = "getting-messages"
    CHECKING_ENABLES = "checking-enables"
    SETTING_ENABLES = "setting-enables"


@dataclass
class SiConfig:
    """Module parameters and kernel configuration that shape the timing."""

    hz: int = 250                        # CONFIG_HZ (Debian: 250)
    use_irq: bool = False                # an interface IRQ is wired and requested
    kipmid: bool | None = None           # force_kipmid; None = auto (polled, non-BT)
    kipmid_max_busy_us: int = 0          # 0 = spin (with usleep_range) forever
    maintenance_mode: bool = False       # kipmid schedule()s instead of sleeping
    pollskip: bool = True                # sleep on the status notifier between kipmid polls (same timing)
    variants: tuple[str, ...] = ()       # named driver variants (each state machine's VARIANTS)

    @property
    def jiffy(self) -> int:
        if not (0 < self.hz <= 1000) or S % self.hz:
            raise ValueError(f"si.hz: {self.hz} must divide 1 s and be in 1..1000")
        return S // self.hz


class SmiMsg:
    """One message to the BMC (``struct ipmi_smi_msg``)."""

    __slots__ = ("data", "rsp", "done", "user_data")

    def __init__(self, data: bytes, done=None, user_data=None):
        self.data = data
        self.rsp = b""
        self.done = done
        self.user_data = user_data


class SmiInterface:
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
        self.has_kipmid = (not self.cfg.use_irq and sm.uses_kipmid) if kip is None else kip
        self.si_state = SiState.NORMAL
        self.curr_msg: SmiMsg | None = None
        self.waiting_msg: SmiMsg | None = None
        self.got_attn = False
        self.req_events = False
        self.need_watch = False
        self.msg_flags = 0
        self.supports_event_msg_buff = False
        self.interrupt_disabled = not self.cfg.use_irq
        self.irq_enable_broken = False
        self.cannot_disable_irq = False
        self.device_id: bytes | None = None
        self.stats: Counter = Counter()
        self.upper = None                  # the message handler (smi_msg_received, ...)
        self.ready = self.env.event()      # succeeds when start-up is complete
        self.failed: str | None = None
        # Contexts: the timer, kipmid, the interrupt; None = not scheduled.
        self.timer_expires: int | None = None
        self.last_timer_run = 0
        self.kipmid_next: int | None = None
        self.kipmid_busy_until: int | None = None
        self._timer_ev = None
        self._timer_ev_at = None
        self._waiter = None
        self._kicked = False
        self._irq_pending = False
        self.proc = sim.process(self._thread())

    # -- tracing ---------------------------------------------------------------------------
    def _trace(self, event: str, **fields) -> None:
        if self.sim.tracer.enabled:
            self.sim.trace(self.cpu.t, "si", self.name, event, si_state=self.si_state.value, **fields)

    # -- upward API (used by the message handler) ---------------------------------------------
    def sender(self, msg: SmiMsg) -> None:
        """Queue ``msg`` (one at a time, as the message handler guarantees)."""
        if self.waiting_msg is not None:
            raise RuntimeError(f"{self.name}: sender() called with a message already waiting")
        self.waiting_msg = msg
        self._check_start_timer_thread()
        self._kick()

    def request_events(self) -> None:
        self.req_events = True
        self._check_start_timer_thread()
        self._kick()

    def set_need_watch(self, on: bool) -> None:
        self.need_watch = on
        self._kick()

    def irq(self, t: int) -> None:
        """The interface interrupt arrived at the handler at time ``t``."""
        self.sim.call_at(t, self._irq_arrive)

    def _irq_arrive(self) -> None:
        self.stats["interrupts"] += 1
        self._irq_pending = True
        self._wake()

    # -- scheduling helpers ----------------------------------------------------------------------
    def _next_jiffy(self, t: int, n: int = 1) -> int:
        """Absolute time of ``jiffies + n`` seen from time ``t``."""
        return (t // self.jiffy + n) * self.jiffy

    def _mod_timer(self, expires: int) -> None:
        """``smi_mod_timer``: arming also notes the current jiffy, from which the
        next timer run measures the elapsed time it hands to the state machine."""
        self.timer_expires = expires
        now = max(self.cpu.t, self.env._now)
        self.last_timer_run = now - now % self.jiffy

    def _check_start_timer_thread(self) -> None:
        """``check_start_timer_thread``: with nothing in flight, arm the timer, wake kipmid and start the
        waiting message at once, whatever the state machine is doing (``start_next_msg``: a machine in
        error recovery refuses it, 0xD5).  Linux then runs ``smi_event_handler`` in the caller's
        context; here the driver's thread runs it at once (the caller kicks it)."""
        if self.si_state == SiState.NORMAL and self.curr_msg is None:
            now = max(self.cpu.t, self.env._now)
            self._mod_timer(self._next_jiffy(now, self.si_timeout_jiffies))
            if self.has_kipmid:
                self.kipmid_next = now
            self._start_next_msg()

    def _kick(self) -> None:
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
        yield from self._startup()
        cpu = self.cpu
        env = self.env
        # What a polling context sleeps on: the register whose changes the state machine waits for.
        watch = self.cpu.io_space.watch(self.sm.status_port)
        while True:
            now = max(cpu.t, env._now)
            # Who runs next?  Candidates: interrupt/kick (now), timer, kipmid.
            if self._irq_pending or self._kicked:
                kicked, irq = self._kicked, self._irq_pending
                self._kicked = self._irq_pending = False
                if irq:
                    self.stats["irq_runs"] += 1
                    yield from self.sm.irq_ack()
                result = yield from self._event_handler(0)
                if kicked and self.has_kipmid:
                    self._after_kipmid(result)
                elif irq:
                    self._after_interrupt(result)
                continue
            t_timer = self.timer_expires
            t_kip = self.kipmid_next
            if t_kip is not None and (t_timer is None or t_kip <= t_timer) and t_kip <= now:
                result = yield from self._event_handler(0)
                self._after_kipmid(result)
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

    def _kipmid_grid_after(self, p: int, t: int, inclusive: bool) -> int:
        """First kipmid poll instant at or after ``t`` on the grid starting at ``p``.

        Each skipped poll costs one status read plus a fresh usleep_range draw.
        """
        io = self.cpu.io_ns
        while p < t or (not inclusive and p == t):
            p += io + self._kipmid_draw()
        return p

    def _after_kipmid(self, result: SmResult) -> None:
        """``ipmi_thread``: what kipmid does after one pass."""
        now = self.cpu.t
        self._skippable = False
        if result != SmResult.IDLE and self.timer_expires is None:
            self._mod_timer(self._next_jiffy(now, self.si_timeout_jiffies))
        if not self.has_kipmid:
            self.kipmid_next = None
            return
        busy_wait = True
        if result == SmResult.CALL_WITH_DELAY and self.cfg.kipmid_max_busy_us:
            if self.kipmid_busy_until is None:
                self.kipmid_busy_until = now + self.cfg.kipmid_max_busy_us * US
            elif now >= self.kipmid_busy_until:
                busy_wait = False
        elif result != SmResult.CALL_WITH_DELAY:
            self.kipmid_busy_until = None
        if result == SmResult.CALL_WITH_DELAY and busy_wait:
            if self.cfg.maintenance_mode:
                self.kipmid_next = now
            else:
                self.kipmid_next = now + self._kipmid_draw()
                # Most waits end by the next poll (a byte exchange): one plain
                # timeout is cheapest.  Once a poll found nothing changed, sleep
                # on the status notifier instead.
                self._skippable = self.cfg.pollskip and not self._progressed
        elif result == SmResult.IDLE:
            self.kipmid_next = self._next_jiffy(now, KIPMID_WATCH_JIFFIES) if self.need_watch else None
        else:
            self.kipmid_next = self._next_jiffy(now, 1)

    def _after_timer(self, result: SmResult) -> None:
        """``smi_timeout``: re-arm for a jiffy when waiting, 10 ms otherwise, stop when idle."""
        now = self.cpu.t
        if self.cfg.use_irq and not self.interrupt_disabled:
            expires = self._next_jiffy(now, self.si_timeout_jiffies)
            self.stats["long_timeouts"] += 1
        elif result == SmResult.CALL_WITH_DELAY:
            expires = self._next_jiffy(now, 1)
            self.stats["short_timeouts"] += 1
        else:
            expires = self._next_jiffy(now, self.si_timeout_jiffies)
            self.stats["long_timeouts"] += 1
        if result != SmResult.IDLE:
            self._mod_timer(expires)
        else:
            self.timer_expires = None
        if self.has_kipmid and result != SmResult.IDLE and self.kipmid_next is None:
            self.kipmid_next = now

    def _after_interrupt(self, result: SmResult) -> None:
        if result != SmResult.IDLE and self.timer_expires is None:
            self._mod_timer(self._next_jiffy(self.cpu.t, self.si_timeout_jiffies))

    # -- smi_event_handler ------------------------------------------------------------------------
    def _event_handler(self, time: int):
        """Generator: run the state machine until it stops asking for immediate calls."""
        sm = self.sm
        result = yield from sm.event(time)
        self._progressed = result != SmResult.CALL_WITH_DELAY
        while True:
            while result == SmResult.CALL_WITHOUT_DELAY:
                result = yield from sm.event(0)
            if result == SmResult.TRANSACTION_COMPLETE:
                self.stats["complete_transactions"] += 1
                yield from self._handle_transaction_done()
                result = yield from sm.event(0)
                continue
            if result == SmResult.HOSED:
                self.stats["hosed_count"] += 1
                self._trace("hosed")
                self.si_state = SiState.NORMAL
                if self.curr_msg is not None:
                    self._return_hosed_msg(CC.UNSPECIFIED_ERROR)
                result = yield from sm.event(0)
                continue
            if (result == SmResult.ATTN or self.got_attn) and self.si_state == SiState.NORMAL:
                self.stats["attentions"] += 1
                self.got_attn = False
                self._start_flag_fetch()
                result = yield from sm.event(0)
                continue
            if result == SmResult.ATTN:
                self.got_attn = True
            if result == SmResult.IDLE:
                if self._start_next_msg():
                    result = yield from sm.event(0)
                    continue
                if self.req_events and self.si_state == SiState.NORMAL:
                    self.req_events = False
                    if self.supports_event_msg_buff or not self.interrupt_disabled:
                        self._start_check_enables()
                    else:
                        self._start_getting_events()
                    result = yield from sm.event(0)
                    continue
            return result

    def _start(self, netfn: int, cmd: int, data: bytes = b"") -> None:
        err = self.sm.start_transaction(bytes((netfn_lun(netfn), cmd)) + data)
        if err:
            raise RuntimeError(f"{self.name}: internal request refused with 0x{err:02X}")

    def _start_next_msg(self) -> bool:
        """``start_next_msg``: the waiting message becomes current and starts; a refusal fails it
        with the state machine's code (``return_hosed_msg``).  True if one started."""
        if self.si_state != SiState.NORMAL or self.curr_msg is not None or self.waiting_msg is None:
            return False
        msg = self.curr_msg = self.waiting_msg
        self.waiting_msg = None
        err = self.sm.start_transaction(msg.data)
        if err:
            self._trace("start-refused", data=msg.data, cc=f"0x{err:02X}")
            self._return_hosed_msg(err)
            return False
        self._trace("start-msg", data=msg.data)
        return True

    def _start_flag_fetch(self) -> None:
        self.stats["flag_fetches"] += 1
        self._start(NetFn.APP, App.GET_MESSAGE_FLAGS)
        self.si_state = SiState.GETTING_FLAGS
        self._trace("get-flags")

    def _start_clear_flags(self, flags: int) -> None:
        self._start(NetFn.APP, App.CLEAR_MESSAGE_FLAGS, bytes((flags,)))
        self.si_state = SiState.CLEARING_FLAGS

    def _start_getting_events(self) -> None:
        self._start(NetFn.APP, App.READ_EVENT_MESSAGE_BUFFER)
        self.si_state = SiState.GETTING_EVENTS

    def _start_getting_msgs(self) -> None:
        self._start(NetFn.APP, App.GET_MESSAGE)
        self.si_state = SiState.GETTING_MESSAGES

    def _start_check_enables(self) -> None:
        self._start(NetFn.APP, App.GET_BMC_GLOBAL_ENABLES)
        self.si_state = SiState.CHECKING_ENABLES

    def current_global_enables(self) -> int:
        enables = 0
        irq_on = self.cfg.use_irq and not self.interrupt_disabled
        if self.supports_event_msg_buff:
            enables |= IPMI_BMC_EVT_MSG_BUFF
        if irq_on or self.cannot_disable_irq:
            enables |= IPMI_BMC_RCV_MSG_INTR
        if self.supports_event_msg_buff and irq_on and not self.irq_enable_broken:
            enables |= IPMI_BMC_EVT_MSG_INTR
        return enables

    def _handle_flags(self) -> None:
        flags = self.msg_flags
        if flags & WDT_PRE_TIMEOUT_INT:
            self.stats["watchdog_pretimeouts"] += 1
            self._start_clear_flags(WDT_PRE_TIMEOUT_INT)
            self.msg_flags &= ~WDT_PRE_TIMEOUT_INT
            if self.upper is not None:
                self.upper.watchdog_pretimeout(self.cpu.t)
        elif flags & RECEIVE_MSG_AVAIL:
            self._start_getting_msgs()
        elif flags & EVENT_MSG_BUFFER_FULL:
            self._start_getting_events()
        else:
            self.si_state = SiState.NORMAL

    def _handle_transaction_done(self):
        """Generator (it may touch the interface: BT's interrupt enable in CHECKING_ENABLES)."""
        rsp = self.sm.get_result()
        state = self.si_state
        self._trace("transaction-done", rsp=rsp)
        if state == SiState.NORMAL:
            msg = self.curr_msg
            if msg is None:
                return
            self.curr_msg = None
            self._deliver(msg, rsp)
        elif state == SiState.GETTING_FLAGS:
            if rsp[2] != 0:
                self.si_state = SiState.NORMAL  # error fetching flags: assume none
            elif len(rsp) < 4:
                self.si_state = SiState.NORMAL
            else:
                self.msg_flags = rsp[3]
                self._handle_flags()
        elif state == SiState.CLEARING_FLAGS:
            self.si_state = SiState.NORMAL
        elif state == SiState.GETTING_EVENTS:
            if rsp[2] != 0:
                self.msg_flags &= ~EVENT_MSG_BUFFER_FULL
                self._handle_flags()
            else:
                self.stats["events"] += 1
                self._handle_flags()
                if self.upper is not None:
                    self.upper.smi_event_received(rsp, self.cpu.t)
        elif state == SiState.GETTING_MESSAGES:
            if rsp[2] != 0:
                self.msg_flags &= ~RECEIVE_MSG_AVAIL
                self._handle_flags()
            else:
                self.stats["incoming_messages"] += 1
                self._handle_flags()
                if self.upper is not None:
                    self.upper.smi_message_received(rsp, self.cpu.t)
        elif state == SiState.CHECKING_ENABLES:
            if rsp[2] != 0 or len(rsp) < 4:
                self.si_state = SiState.NORMAL
                return
            enables = self.current_global_enables()
            # "BT has its own interrupt enable bit" (check_bt_irq; a no-op for other types).
            yield from self.sm.check_irq(self.cfg.use_irq and not self.interrupt_disabled)
            if enables != rsp[3] & GLOBAL_ENABLES_MASK:
                # Fix only the bits the driver owns; keep the rest (e.g. event logging).
                self._start(NetFn.APP, App.SET_BMC_GLOBAL_ENABLES,
                            bytes((enables | (rsp[3] & ~GLOBAL_ENABLES_MASK),)))
                self.si_state = SiState.SETTING_ENABLES
            elif self.supports_event_msg_buff:
                self._start_getting_events()
            else:
                self.si_state = SiState.NORMAL
        elif state == SiState.SETTING_ENABLES:
            if self.supports_event_msg_buff:
                self._start_getting_events()
            else:
                self.si_state = SiState.NORMAL

    def _deliver(self, msg: SmiMsg, rsp: bytes) -> None:
        msg.rsp = rsp
        if msg.done is not None:
            msg.done(msg, self.cpu.t)

    def _return_hosed_msg(self, cc: int) -> None:
        msg = self.curr_msg
        self.curr_msg = None
        data = msg.data
        self._deliver(msg, bytes((data[0] | 0x04 if data else 0x04, data[1] if len(data) > 1 else 0, cc)))

    # -- start-up (try_smi_init) ----------------------------------------------------------------
    def _wait_for_msg_done(self):
        """Generator: drive the SM by hand, one-jiffy sleeps, as the probe code does."""
        result = yield from self.sm.event(0)
        while True:
            if result in (SmResult.CALL_WITH_DELAY, SmResult.CALL_WITH_TICK_DELAY):
                yield from self.cpu.sleep_until(self._next_jiffy(self.cpu.t))
                result = yield from self.sm.event(self.jiffy)
            elif result == SmResult.CALL_WITHOUT_DELAY:
                result = yield from self.sm.event(0)
            else:
                return result

    def _sync_request(self, netfn: int, cmd: int, data: bytes = b""):
        self._start(netfn, cmd, data)
        result = yield from self._wait_for_msg_done()
        if result == SmResult.HOSED:
            return bytes((netfn_lun(netfn) | 0x04, cmd, CC.UNSPECIFIED_ERROR))
        return self.sm.get_result()

    def _startup(self):
        present = yield from self.sm.detect()
        if not present:
            self.failed = "no device at the status port (reads 0xFF)"
            self._trace("probe-failed", reason=self.failed)
            self.sim.trigger_at(self.ready, self.cpu.t, False)
            return
        for _attempt in range(GET_DEVICE_ID_MAX_RETRY):
            rsp = yield from self._sync_request(NetFn.APP, App.GET_DEVICE_ID)
            if rsp[2] == 0:
                break
        else:
            self.failed = f"Get Device ID failed with 0x{rsp[2]:02X}"
            self._trace("probe-failed", reason=self.failed)
            self.sim.trigger_at(self.ready, self.cpu.t, False)
            return
        self.device_id = rsp
        # Enable the event message buffer (try_enable_event_buffer).
        rsp = yield from self._sync_request(NetFn.APP, App.GET_BMC_GLOBAL_ENABLES)
        if rsp[2] == 0 and len(rsp) >= 4:
            enables = rsp[3]
            if enables & IPMI_BMC_EVT_MSG_BUFF:
                self.supports_event_msg_buff = True
            else:
                rsp = yield from self._sync_request(NetFn.APP, App.SET_BMC_GLOBAL_ENABLES,
                                                    bytes((enables | IPMI_BMC_EVT_MSG_BUFF,)))
                if rsp[2] == 0:
                    rsp = yield from self._sync_request(NetFn.APP, App.GET_BMC_GLOBAL_ENABLES)
                    self.supports_event_msg_buff = rsp[2] == 0 and len(rsp) >= 4 and bool(
                        rsp[3] & IPMI_BMC_EVT_MSG_BUFF)
        # Clear a stale watchdog pre-timeout flag before the timer starts.
        self._start_clear_flags(WDT_PRE_TIMEOUT_INT)
        yield from self._wait_for_msg_done()
        self.sm.get_result()
        self.si_state = SiState.NORMAL
        if self.cfg.use_irq:
            yield from self.sm.irq_finish_setup()
            self.interrupt_disabled = False
            self.req_events = True
            self._check_start_timer_thread()
            self._kicked = True
        self._trace("ready", device_id=self.device_id)
        self.sim.trigger_at(self.ready, self.cpu.t, True)

