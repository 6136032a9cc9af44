"""The host's SSIF driver, faithful to Linux ``drivers/char/ipmi/ipmi_ssif.c`` (6.12).

SSIF is a system interface of its own (no ``si_sm_handlers``): one kernel
thread (``ipmi_ssif_thread``) performs each SMBus block transfer the driver
asks for (``ssif_i2c_send``), and the transfer's done handler decides what
comes next.  What it sends and when:

- a message goes out as one SMBus block write (cmd 0x02) up to 32 bytes, or
  multi-part: start (0x06, 32 bytes), middles (0x07, 32 bytes) and an end
  (0x08, or -- where the probe found 0x08 does not work -- a short middle);
- after the last part it waits ``SSIF_MSG_PART_JIFFIES`` (5 ms in jiffies: 1
  at HZ 250) unless an SMBus alert came, then reads (0x03); a multi-part
  answer (``00 01`` marker) continues with 0x09 reads, block numbers from 0
  and 0xFF for the last; all but the last carry 31 bytes; a block out of
  sequence or short is -EIO;
- a failed write is retried ``SSIF_SEND_RETRIES`` (5) times with
  ``SSIF_REQ_RETRY_JIFFIES`` (60 ms) between; a failed read
  ``SSIF_RECV_RETRIES`` (250) times with ``SSIF_MSG_JIFFIES`` (60 ms): a
  BMC that NAKs every read fails the message with 0xFF after about 15 s;
- SSIF has no SMS_ATN: flags are fetched when the message handler's watch
  timer asks (10 ms with messages waited for, 250 ms for the watchdog) or
  after an event request, and only when the interface is idle;
- the probe (``ssif_probe``): Get Device ID (``ssif_detect``), Get System
  Interface Capabilities (multi-part support and sizes), the multi-part
  test, Clear Message Flags, the event buffer and the alert enable.  The
  probe's own requests (``do_cmd``) read right after the write and retry a
  failed read every 60 ms (``msleep``).

One file (over 700 lines) as ``ipmi_ssif.c`` is one: the thread, the done
handlers and the probe share the driver's state, and split they would hide
which path changes what the others see.
"""

from __future__ import annotations

import errno
from collections import Counter

from simpy import Interrupt

from bmc.ipmi.cmd import App
from bmc.ipmi.netfn import NetFn, netfn_lun
from bmc.ipmi.ssif import (
    SSIF_IPMI_MULTI_PART_REQUEST_END,
    SSIF_IPMI_MULTI_PART_REQUEST_MIDDLE,
    SSIF_IPMI_MULTI_PART_REQUEST_START,
    SSIF_IPMI_MULTI_PART_RESPONSE_MIDDLE,
    SSIF_IPMI_REQUEST,
    SSIF_IPMI_RESPONSE,
)
from buses.variant import variant

from .si import SiConfig, SmiMsg
from .si_init import (
    EVENT_MSG_BUFFER_FULL,
    IPMI_BMC_EVT_MSG_BUFF,
    IPMI_BMC_RCV_MSG_INTR,
    RECEIVE_MSG_AVAIL,
    WDT_PRE_TIMEOUT_INT,
    demangle_device_id,
)
from .sm import IPMI_MAX_MSG_LENGTH

SSIF_MSG_USEC = 60_000            # T3: between message tries
SSIF_REQ_RETRY_USEC = 60_000      # T6: between send retries
SSIF_MSG_PART_USEC = 5_000        # for a message part
SSIF_SEND_RETRIES = 5
SSIF_RECV_RETRIES = 250
SSIF_NO_MULTI, SSIF_MULTI_2_PART, SSIF_MULTI_n_PART = 0, 1, 2
IPMI_GET_SYSTEM_INTERFACE_CAPABILITIES_CMD = 0x57
WATCH_MESSAGES = 1                # IPMI_WATCH_MASK_CHECK_MESSAGES

_WAKE = object()                  # the Interrupt cause of a transfer handed to a thread asleep on its timer

IDLE, GETTING_FLAGS, GETTING_EVENTS, CLEARING_FLAGS, GETTING_MESSAGES = (
    "idle", "getting-flags", "getting-events", "clearing-flags", "getting-messages")


class SsifInterface:
    """``struct ssif_info``: one SSIF BMC at ``addr`` on the host's SMBus (``buses.smbus.SMBus``)."""

    si_type = "ssif"

    def __init__(self, sim, smbus, addr: int, config: SiConfig | None = None, name: str = "ipmi_ssif"):
        self.sim = sim
        self.env = sim.env
        self.smbus = smbus
        self.addr = addr
        self.cfg = config or SiConfig()
        self.name = name
        self.jiffy = self.cfg.jiffy
        tick_us = self.jiffy // 1000
        # SSIF_*_JIFFIES = (usec * 1000) / TICK_NSEC: C integer division.
        self.msg_jiffies = SSIF_MSG_USEC * 1000 // self.jiffy
        self.req_retry_jiffies = SSIF_REQ_RETRY_USEC * 1000 // self.jiffy
        self.msg_part_jiffies = SSIF_MSG_PART_USEC * 1000 // self.jiffy
        self.watch_msg_jiffies = -(-10_000 // tick_us)          # msecs_to_jiffies(10)
        self.watch_watchdog_jiffies = -(-250_000 // tick_us)    # msecs_to_jiffies(250)
        self.ssif_state = IDLE
        self.curr_msg: SmiMsg | None = None
        self.waiting_msg: SmiMsg | None = None
        self.req_events = self.req_flags = False
        self.msg_flags = 0
        self.num_requests_in_a_row = 0
        self.has_event_buffer = self.supports_alert = self.supports_pec = self.cmd8_works = False
        self.max_xmit_msg_size = self.max_recv_msg_size = 32
        self.multi_support = SSIF_NO_MULTI
        self.global_enables = 0
        self.device_id: bytes | None = None
        self.failed: str | None = None
        self.stats: Counter = Counter()
        self.upper = None
        self.ready = self.env.event()
        self.settled = self.ready          # no interrupt to enable: started is settled (SmiInterface.settled)
        self.in_maintenance_mode = False
        # Transfer state.
        self.data = bytearray(IPMI_MAX_MSG_LENGTH + 1)   # [len] + message
        self.data_len = 0
        self.multi_data: int | None = None               # None: not in a multi-part write
        self.multi_len = self.multi_pos = 0
        self.rdata = bytearray()
        self.retries_left = 0
        self.waiting_alert = self.got_alert = self.do_resend = False
        self.watch_timeout = 0
        self._retry_gen = self._watch_gen = 0
        self._op = None
        self._wake = None
        self._sleeping = False
        self._retry_at: int | None = None
        self.stopping = False
        self.should_stop = False             # kthread_should_stop()
        self.proc = sim.process(self._thread())

    def _trace(self, event: str, **fields) -> None:
        if self.sim.tracer.enabled:
            self.sim.trace(self._now(), "si", self.name, event, ssif_state=self.ssif_state, **fields)

    # -- the handlers table the message handler calls ------------------------------------------------
    def sender(self, msg: SmiMsg) -> None:
        if self.waiting_msg is not None:
            raise RuntimeError(f"{self.name}: sender() called with a message already waiting")
        self.waiting_msg = msg
        self._start_next_msg()

    def request_events(self) -> None:
        if self.has_event_buffer:
            self.req_events = True

    def set_need_watch(self, watch_mask) -> None:
        """``ssif_set_need_watch``: poll the flags every 10 ms while messages are waited for, 250 ms for
        the watchdog's pre-timeout."""
        mask = int(watch_mask)
        timeout = self.watch_msg_jiffies if mask & WATCH_MESSAGES else (self.watch_watchdog_jiffies if mask else 0)
        if timeout != self.watch_timeout:
            self.watch_timeout = timeout
            if timeout:
                self._mod_watch(timeout)

    def set_maintenance_mode(self, on: bool) -> None:
        self.in_maintenance_mode = on          # ipmi_ssif has no maintenance handler: nothing changes

    def shutdown(self) -> None:
        """``shutdown_ssif``: stopping; the retry and watch timers do nothing more."""
        self.stopping = True
        self.watch_timeout = 0
        self._retry_gen += 1
        self._retry_at = None
        self._watch_gen += 1

    def unload(self, preempted: int = 0):
        """Generator: ``rmmod ipmi_ssif`` (``shutdown_ssif``): stopping, the timers go, the thread is
        woken (``complete``), then ``kthread_stop``.  ``preempted``: how long the shutdown path is held
        off between the two (an interrupt, a preemption), so the woken thread runs first."""
        self.shutdown()
        self._i2c_wake()
        if preempted:
            yield self.env.timeout(preempted)
        if not self.proc.is_alive:
            # kthread_stop on a thread that has already returned: its task may be freed (a use after free).
            self.stats["kthread_stop_after_exit"] += 1
            self._trace("kthread-stop-after-exit")
            return
        self.should_stop = True                  # kthread_stop: set KTHREAD_SHOULD_STOP, wake, wait
        self._i2c_wake()
        yield self.proc
        self._trace("unloaded")

    def _i2c_wake(self) -> None:
        """``complete(&wake_thread)``: ends the thread's wait, or its sleep on the retry timer."""
        if self._wake is not None and not self._wake.triggered:
            self._wake.succeed()
        elif self._sleeping:
            self._sleeping = False
            self.proc.interrupt(_WAKE)

    def _thread_exits(self) -> bool:
        """6.12: the thread leaves its loop as soon as it sees ``stopping`` after a wake-up."""
        return self.stopping

    def alert(self, t: int) -> None:
        """``ssif_alert``: the BMC pulled SMBALERT# (where the platform wires it)."""
        self.sim.call_at(t, self._alert)

    def _alert(self) -> None:
        self.stats["alerts"] += 1
        if self.waiting_alert:
            self.waiting_alert = False
            self._retry_gen += 1                # del_timer
            self._retry_at = None
            self._start_get()
        elif self.curr_msg is not None:
            self.got_alert = True

    # -- timers ---------------------------------------------------------------------------------------------
    def _now(self) -> int:
        """The driver's time: the adapter runs ahead of the kernel clock (temporal decoupling)."""
        t = self.smbus.controller.t if self.smbus.controller is not None else 0
        return t if t > self.env._now else self.env._now

    def _at_jiffies(self, n: int) -> int:
        return (self._now() // self.jiffy + n) * self.jiffy

    def _mod_retry(self, n: int) -> None:
        """``mod_timer(&retry_timer)``, from the thread's handlers: the thread sleeps on it itself."""
        self._retry_gen += 1
        self._retry_at = self._at_jiffies(n)

    def _mod_watch(self, n: int) -> None:
        self._watch_gen += 1
        self.sim.call_at(self._at_jiffies(n), self._watch_timeout, self._watch_gen)

    def _retry_timeout(self, gen: int) -> None:
        if gen != self._retry_gen or self.stopping:
            return
        resend, self.do_resend = self.do_resend, False
        waiting, self.waiting_alert = self.waiting_alert, False
        if waiting:
            self._start_get()
        if resend:
            self._start_resend()
            self.stats["send_retries"] += 1

    def _watch_timeout(self, gen: int) -> None:
        if gen != self._watch_gen or self.stopping or not self.watch_timeout:
            return
        self._mod_watch(self.watch_timeout)
        if self._idle():
            self._start_flag_fetch()
        else:
            self.req_flags = True

    # -- the thread: one SMBus transfer at a time -----------------------------------------------------------
    def _i2c_send(self, handler, read: bool, command: int, data: bytes = b"") -> None:
        """``ssif_i2c_send``: hand the thread its next transfer (``complete(&wake_thread)``)."""
        self._op = (handler, read, command, bytes(data))
        if self._wake is not None and not self._wake.triggered:
            self._wake.succeed()
        elif self._sleeping:
            self._sleeping = False
            self.proc.interrupt(_WAKE)

    def _thread(self):
        ok = yield from self._probe()
        self.sim.trigger_at(self.ready, self.env.now, ok)
        if not ok:
            return
        self.smbus.controller.decoupled = True      # the driver keeps its time by the adapter's clock
        env = self.env
        while not self._thread_exits():
            if self._op is None and self._retry_at is not None:
                # The retry timer, slept on by the thread itself (one kernel event, not two): a
                # transfer handed over meanwhile (the watch timer, an alert) cuts it short.
                self._sleeping = True
                try:
                    yield env.timeout(max(0, self._retry_at - env.now))
                except Interrupt as why:
                    if why.cause is not _WAKE:
                        raise
                    continue
                finally:
                    self._sleeping = False
                self._retry_at = None
                self._retry_timeout(self._retry_gen)
                continue
            if self._op is None:
                self._wake = env.event()
                yield self._wake
                continue
            handler, read, command, data = self._op
            self._op = None
            tracing = self.sim.tracer.enabled
            try:
                if read:
                    got = bytes((yield from self.smbus.read_block_data(self.addr, command)))
                    if tracing:
                        self.sim.trace(self._now(), "drv", "ssif", "block-read", cmd=f"0x{command:02X}", data=got)
                    handler(0, got)
                else:
                    yield from self.smbus.write_block_data(self.addr, command, list(data))
                    if tracing:
                        self.sim.trace(self._now(), "drv", "ssif", "block-write", cmd=f"0x{command:02X}",
                                       data=data)
                    handler(0, None)
            except OSError as exc:
                if tracing:
                    self.sim.trace(self._now(), "drv", "ssif", "block-error", cmd=f"0x{command:02X}",
                                   read=int(read), errno=errno.errorcode.get(exc.errno, exc.errno))
                handler(-(exc.errno or errno.EIO), None)

    # -- sending --------------------------------------------------------------------------------------------
    def _idle(self) -> bool:
        return self.ssif_state == IDLE and self.curr_msg is None

    def _start_next_msg(self) -> None:
        while self._idle():
            msg = self.waiting_msg
            if msg is None:
                self.curr_msg = None
                return
            self.curr_msg, self.waiting_msg = msg, None
            if self._start_send(msg.data) == 0:
                self._trace("start-msg", data=msg.data)
                return
            self.curr_msg = None
            self._return_hosed_msg(msg)

    def _start_send(self, msg: bytes) -> int:
        if len(msg) > IPMI_MAX_MSG_LENGTH or len(msg) > self.max_xmit_msg_size:
            return -errno.E2BIG
        self.retries_left = SSIF_SEND_RETRIES
        self.data[1:1 + len(msg)] = msg
        self.data_len = len(msg)
        self._start_resend()
        return 0

    def _start_resend(self) -> None:
        self.got_alert = False
        if self.data_len > 32:
            command = SSIF_IPMI_MULTI_PART_REQUEST_START
            self.multi_len = self.data_len
            self.multi_pos = 32
            self.multi_data = 1
            block = bytes(self.data[1:33])
        else:
            self.multi_data = None
            command = SSIF_IPMI_REQUEST
            block = bytes(self.data[1:1 + self.data_len])
        self._i2c_send(self._msg_written, False, command, block)

    def _msg_written(self, result: int, _data) -> None:
        """``msg_written_handler``."""
        if result < 0:
            self.retries_left -= 1
            if self.retries_left > 0:
                self._retry_write()
                return
            self.stats["send_errors"] += 1
            self._msg_done(-errno.EIO, None)
            return
        if self.multi_data is not None:
            self.stats["sent_messages_parts"] += 1
            left = self.multi_len - self.multi_pos
            to_write = min(left, 32)
            block = bytes(self.data[1 + self.multi_pos:1 + self.multi_pos + to_write])
            self.multi_pos += to_write
            command = SSIF_IPMI_MULTI_PART_REQUEST_MIDDLE
            if self.cmd8_works:
                if left == to_write:
                    command = SSIF_IPMI_MULTI_PART_REQUEST_END
                    self.multi_data = None
            elif to_write < 32:
                self.multi_data = None
            self._i2c_send(self._msg_written, False, command, block)
            return
        self.stats["sent_messages"] += 1
        if self.got_alert:
            self.got_alert = False
            self._start_get()
        else:
            # "Wait a jiffy then request the next message"
            self.waiting_alert = True
            self.retries_left = SSIF_RECV_RETRIES
            if not self.stopping:
                self._mod_retry(self.msg_part_jiffies)

    def _retry_write(self) -> None:
        """A NAKed write is sent again when the retry timer fires, 60 ms on ("T6", 6.3)."""
        self.do_resend = True
        self._mod_retry(self.req_retry_jiffies)

    # -- receiving -------------------------------------------------------------------------------------------
    def _start_get(self) -> None:
        self.multi_pos = 0
        self._i2c_send(self._msg_done, True, SSIF_IPMI_RESPONSE)

    def _msg_done(self, result: int, data) -> None:
        """``msg_done_handler``: a response part arrived (or the read failed)."""
        if result < 0:
            self.retries_left -= 1
            if self.retries_left > 0:
                self.stats["receive_retries"] += 1
                self.waiting_alert = True
                if not self.stopping:
                    self._mod_retry(self.msg_jiffies)
                return
            self.stats["receive_errors"] += 1
            data = b""
        elif len(data) > 1 and self.multi_pos == 0 and data[0] == 0x00 and data[1] == 0x01:
            self.stats["received_message_parts"] += 1
            self.rdata = bytearray(data[2:])
            self.multi_pos = 1
            self._i2c_send(self._msg_done, True, SSIF_IPMI_MULTI_PART_RESPONSE_MIDDLE)
            return
        elif self.multi_pos:
            if not data:
                result, data = -errno.EIO, b""
                self._trace("multi-part-error", why="middle message with no data")
            else:
                blocknum, part = data[0], data[1:]
                if blocknum != 0xFF and len(part) != 31:
                    result = -errno.EIO
                    self._trace("multi-part-error", why=f"block {blocknum} of {len(part)} bytes, not 31")
                elif len(self.rdata) + len(part) > IPMI_MAX_MSG_LENGTH:
                    result = -errno.E2BIG
                else:
                    self.rdata += part
                    if blocknum == 0xFF:
                        data = bytes(self.rdata)
                    elif blocknum + 1 != self.multi_pos:
                        result = -errno.EIO
                        self._trace("multi-part-error", why=f"block {blocknum} out of sequence, expected "
                                                            f"{self.multi_pos - 1}")
                    else:
                        self.stats["received_message_parts"] += 1
                        self.multi_pos += 1
                        self._i2c_send(self._msg_done, True, SSIF_IPMI_MULTI_PART_RESPONSE_MIDDLE)
                        return
                if result < 0:
                    data = bytes(self.rdata)
        self.stats["receive_errors" if result < 0 else "received_messages"] += 1
        rsp = bytes(data[:IPMI_MAX_MSG_LENGTH])
        msg, self.curr_msg = self.curr_msg, None
        if msg is not None:
            msg.rsp = rsp
        self._trace("transaction-done", result=result, rsp=rsp)
        self._dispatch(msg, result, rsp)
        if self._idle() and not self.stopping:
            if self.req_events:
                self._start_event_fetch()
            elif self.req_flags:
                self._start_flag_fetch()
            else:
                self._start_next_msg()

    def _dispatch(self, msg, result: int, rsp: bytes) -> None:
        state = self.ssif_state
        app_rsp = netfn_lun(NetFn.APP | 1)
        if state == IDLE:
            if msg is not None:
                if result < 0:
                    self._return_hosed_msg(msg)
                else:
                    self._deliver(msg)
        elif state == GETTING_FLAGS:
            if result < 0 or len(rsp) < 4 or rsp[2] != 0:
                self.ssif_state = IDLE                      # "Error getting flags": give up for now
                self._trace("flags-error", rsp=rsp)
            elif rsp[0] != app_rsp or rsp[1] != App.GET_MESSAGE_FLAGS:
                self._invalid_flags_response(rsp)
            else:
                self.stats["flag_fetches"] += 1
                self.msg_flags = rsp[3]
                self._handle_flags()
        elif state == CLEARING_FLAGS:
            self.ssif_state = IDLE
        elif state in (GETTING_EVENTS, GETTING_MESSAGES):
            events = state == GETTING_EVENTS
            flag = EVENT_MSG_BUFFER_FULL if events else RECEIVE_MSG_AVAIL
            cmd = App.READ_EVENT_MESSAGE_BUFFER if events else App.GET_MESSAGE
            if result < 0 or len(rsp) < 3 or rsp[2] != 0 or rsp[0] != app_rsp or rsp[1] != cmd:
                self.msg_flags &= ~flag                    # "Error getting event, probably done."
                self._handle_flags()
            else:
                self.num_requests_in_a_row += 1
                if self.num_requests_in_a_row > 10:
                    self.msg_flags &= ~flag
                self.stats["events" if events else "incoming_messages"] += 1
                self._handle_flags()
                self._deliver(msg)

    def _invalid_flags_response(self, rsp: bytes) -> None:
        """"Invalid response getting flags": give up, back to IDLE (6.4)."""
        self.ssif_state = IDLE
        self._trace("flags-invalid", rsp=rsp)

    def _handle_flags(self) -> None:
        flags = self.msg_flags
        if flags & WDT_PRE_TIMEOUT_INT:
            self.stats["watchdog_pretimeouts"] += 1
            self._start_clear_flags()
            if self.upper is not None:
                self.upper.watchdog_pretimeout(self._now())
        elif flags & RECEIVE_MSG_AVAIL:
            self._start_internal(GETTING_MESSAGES, App.GET_MESSAGE)
        elif flags & EVENT_MSG_BUFFER_FULL:
            self._start_internal(GETTING_EVENTS, App.READ_EVENT_MESSAGE_BUFFER)
        else:
            self.ssif_state = IDLE

    def _start_internal(self, state: str, cmd: int) -> None:
        """``start_event_fetch`` / ``start_recv_msg_fetch``: the message is the driver's own."""
        if state == GETTING_EVENTS:
            self.req_events = False
        msg = SmiMsg(bytes((netfn_lun(NetFn.APP), cmd)))
        self.curr_msg = msg
        if self.ssif_state != state:
            self.num_requests_in_a_row = 0
            self.ssif_state = state
        if self._start_send(msg.data) != 0:
            self.curr_msg = None
            self.ssif_state = IDLE

    def _start_event_fetch(self) -> None:
        self._start_internal(GETTING_EVENTS, App.READ_EVENT_MESSAGE_BUFFER)

    def _start_flag_fetch(self) -> None:
        self.req_flags = False
        self.ssif_state = GETTING_FLAGS
        self._trace("get-flags")
        if self._start_send(bytes((netfn_lun(NetFn.APP), App.GET_MESSAGE_FLAGS))) != 0:
            self.ssif_state = IDLE

    def _start_clear_flags(self) -> None:
        self.msg_flags &= ~WDT_PRE_TIMEOUT_INT
        self.ssif_state = CLEARING_FLAGS
        if self._start_send(bytes((netfn_lun(NetFn.APP), App.CLEAR_MESSAGE_FLAGS, WDT_PRE_TIMEOUT_INT))) != 0:
            self.ssif_state = IDLE

    def _deliver(self, msg: SmiMsg) -> None:
        if self.upper is not None:
            self.upper.smi_msg_received(msg, self._now())

    def _return_hosed_msg(self, msg: SmiMsg) -> None:
        self.stats["hosed"] += 1
        msg.rsp = bytes((msg.data[0] | 0x04, msg.data[1], 0xFF))
        self._deliver(msg)

    # -- the probe (ssif_probe), by hand ---------------------------------------------------------------------
    def _msleep(self, msecs: int):
        tick_ms = self.jiffy // 1_000_000 or 1
        n = -(-msecs // tick_ms) + 1
        yield self.env.timeout(self._at_jiffies(n) - self.env.now)

    def _do_cmd(self, msg: bytes):
        """Generator ``do_cmd``: (rv, response).  The write is retried 5 times, the read 250 (60 ms apart)."""
        retry = SSIF_SEND_RETRIES
        while True:
            try:
                yield from self.smbus.write_block_data(self.addr, SSIF_IPMI_REQUEST, list(msg))
                break
            except OSError:
                retry -= 1
                if retry <= 0:
                    return -errno.ENODEV, b""
                yield from self._msleep(SSIF_REQ_RETRY_USEC // 1000)
        rv, rsp = yield from self._read_response()
        if rv <= 0:
            return rv, b""
        if len(rsp) < 3 or rsp[0] != msg[0] | 0x04 or rsp[1] != msg[1]:
            self._trace("probe-mismatch", req=msg, rsp=rsp)
            return -errno.EINVAL, rsp
        return 0, rsp

    def _read_response(self):
        """Generator ``read_response``: up to SSIF_RECV_RETRIES reads, ``msleep(60)`` after each failure."""
        rsp, rv = b"", -errno.ENODEV
        for _ in range(SSIF_RECV_RETRIES):
            try:
                rsp = bytes((yield from self.smbus.read_block_data(self.addr, SSIF_IPMI_RESPONSE)))
                rv = len(rsp)
                if rv > 0:
                    break
            except OSError as exc:
                rv = -(exc.errno or errno.EIO)
            yield from self._msleep(SSIF_MSG_USEC // 1000)
        return rv, rsp

    def _probe(self):
        # ssif_detect: a Get Device ID that decodes, or "Not present".
        rv, rsp = yield from self._do_cmd(bytes((netfn_lun(NetFn.APP), App.GET_DEVICE_ID)))
        if rv or demangle_device_id(rsp) is not None:
            self.failed = f"Not present (Get Device ID: {rv}, {rsp.hex(' ')})"
            self._trace("probe-failed", reason=self.failed)
            return False
        self.device_id = rsp
        rv, rsp = yield from self._do_cmd(bytes((netfn_lun(NetFn.APP), IPMI_GET_SYSTEM_INTERFACE_CAPABILITIES_CMD, 0)))
        multi = (rsp[4] >> 6) & 0x3 if rv == 0 and len(rsp) >= 7 and rsp[2] == 0 else None
        if multi is not None and multi <= SSIF_MULTI_n_PART:
            self.max_xmit_msg_size, self.max_recv_msg_size = rsp[5], rsp[6]
            self.multi_support = multi
            self.supports_pec = bool((rsp[4] >> 3) & 1)
            if multi == SSIF_NO_MULTI:
                self.max_xmit_msg_size, self.max_recv_msg_size = min(self.max_xmit_msg_size, 32), \
                    min(self.max_recv_msg_size, 32)
            elif multi == SSIF_MULTI_2_PART:
                self.max_xmit_msg_size, self.max_recv_msg_size = min(self.max_xmit_msg_size, 63), \
                    min(self.max_recv_msg_size, 62)
        else:
            self._trace("no-ssif-capabilities", rv=rv, rsp=rsp)     # "using defaults"
            self.max_xmit_msg_size = self.max_recv_msg_size = 32
            self.multi_support, self.supports_pec = SSIF_NO_MULTI, False
        yield from self._test_multipart_messages()
        rv, rsp = yield from self._do_cmd(bytes((netfn_lun(NetFn.APP), App.CLEAR_MESSAGE_FLAGS,
                                                 WDT_PRE_TIMEOUT_INT)))
        if rv or len(rsp) < 3 or rsp[2] != 0:
            self._trace("probe-warning", what="Unable to clear message flags", rv=rv, rsp=rsp)
        yield from self._probe_enables()
        self._trace("ready", device_id=self.device_id, max_xmit=self.max_xmit_msg_size,
                    max_recv=self.max_recv_msg_size, cmd8=int(self.cmd8_works), alert=int(self.supports_alert))
        return True

    def _test_multipart_messages(self):
        """``test_multipart_messages``: does 0x08 end a message, or a zero-length middle, or neither (63)?"""
        if self.max_xmit_msg_size <= 32:
            return
        do_middle = self.max_xmit_msg_size > 63
        msg = bytearray(65)
        msg[0], msg[1] = netfn_lun(NetFn.APP), App.GET_DEVICE_ID
        smb, addr = self.smbus, self.addr

        def start():
            retry = SSIF_SEND_RETRIES
            while True:
                try:
                    yield from smb.write_block_data(addr, SSIF_IPMI_MULTI_PART_REQUEST_START, list(msg[:32]))
                    break
                except OSError:
                    retry -= 1
                    if retry <= 0:
                        return False
                    yield from self._msleep(SSIF_REQ_RETRY_USEC // 1000)
            yield from self._after_probe_part()
            if do_middle:
                try:
                    yield from smb.write_block_data(addr, SSIF_IPMI_MULTI_PART_REQUEST_MIDDLE, list(msg[32:64]))
                except OSError:
                    return False
                yield from self._after_probe_part()
            return True

        def end_and_read(command, block):
            try:
                yield from smb.write_block_data(addr, command, block)
            except OSError:
                return False
            rv, _rsp = yield from self._read_response()
            return rv > 0

        if not (yield from start()):
            self.max_xmit_msg_size = 32
            return
        if (yield from end_and_read(SSIF_IPMI_MULTI_PART_REQUEST_END, [msg[64]])):
            self.cmd8_works = True
            return
        if not (yield from start()):
            self.max_xmit_msg_size = 32
            return
        if (yield from end_and_read(SSIF_IPMI_MULTI_PART_REQUEST_MIDDLE, [])):
            return                                               # zero-size end parts work
        self.max_xmit_msg_size = min(self.max_xmit_msg_size, 63)

    def _after_probe_part(self):
        """Between the probe's multi-part writes: nothing, the next part goes at once (mainline)."""
        return
        yield

    def _probe_enables(self):
        app = netfn_lun(NetFn.APP)
        rv, rsp = yield from self._do_cmd(bytes((app, App.GET_BMC_GLOBAL_ENABLES)))
        if rv or len(rsp) < 4 or rsp[2] != 0:
            self._trace("probe-warning", what="Error getting global enables", rv=rv, rsp=rsp)
            return
        self.global_enables = rsp[3]
        if rsp[3] & IPMI_BMC_EVT_MSG_BUFF:
            self.has_event_buffer = True
            return
        rv, rsp = yield from self._do_cmd(bytes((app, App.SET_BMC_GLOBAL_ENABLES,
                                                 self.global_enables | IPMI_BMC_EVT_MSG_BUFF)))
        if rv or len(rsp) < 2:
            return
        if rsp[2] == 0:
            self.has_event_buffer = True
            self.global_enables |= IPMI_BMC_EVT_MSG_BUFF
        if self.cfg.alerts_broken:
            return
        rv, rsp = yield from self._do_cmd(bytes((app, App.SET_BMC_GLOBAL_ENABLES,
                                                 self.global_enables | IPMI_BMC_RCV_MSG_INTR)))
        if rv or len(rsp) < 2:
            return
        if rsp[2] == 0:
            self.supports_alert = True
            self.global_enables |= IPMI_BMC_RCV_MSG_INTR


@variant(SsifInterface, "ssif-write-retry-at-once",
         "before 'ipmi:ssif: Add a timer between request retries' (6.3)")
class WriteRetryAtOnce(SsifInterface):
    """msg_written_handler resent a NAKed write straight away: five tries inside a millisecond."""

    def _retry_write(self) -> None:
        self.stats["send_retries"] += 1
        self._start_resend()


@variant(SsifInterface, "ssif-flags-stuck",
         "before 'ipmi: fix SSIF not responding under certain cond.' (6.4)")
class FlagsStuck(SsifInterface):
    """The invalid-flags branch logged and returned, leaving the driver in SSIF_GETTING_FLAGS for good."""

    def _invalid_flags_response(self, rsp: bytes) -> None:
        self._trace("flags-invalid", rsp=rsp)


@variant(SsifInterface, "ssif-multipart-probe-msleep", "ipmi: ssif: Add msleep in multipart test (2021, not merged)")
class MultipartProbeMsleep(SsifInterface):
    """Sleep SSIF_MSG_MSEC after the probe's 0x06 and 0x07 writes, for BMCs that NAK while busy."""

    def _after_probe_part(self):
        yield from self._msleep(SSIF_MSG_USEC // 1000)


@variant(SsifInterface, "ssif-exit-on-kthread-stop", "ipmi:ssif: Fix a shutdown race (6.16)")
class ExitOnKthreadStop(SsifInterface):
    """The thread leaves its loop only when kthread_stop asks (kthread_should_stop), never on its own."""

    def _thread_exits(self) -> bool:
        return self.should_stop
