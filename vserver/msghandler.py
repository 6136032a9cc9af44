"""The host's IPMI message handler, Linux ``ipmi_msghandler.c`` over one system interface.

What it does, in the order Linux does it:

- **start-up** (``ipmi_add_smi``, once ``ipmi_si`` has registered): Get Device
  GUID, Get Device ID, then the channel scan (Get Channel Info for channels
  0-15) -- twice, because ``__bmc_get_device_id`` scans after registering the
  BMC and ``ipmi_add_smi`` scans again.  Users are admitted (``ready``) after;
- **sending** (``i_ipmi_req_sysintf``, ``smi_send``): responses, a LUN over 3,
  and Send Message / Get Message / Read Event Message Buffer are refused
  (EINVAL: the handler owns those); Cold/Warm Reset and the firmware netfn
  start 30 s of maintenance mode; one message is at the interface at a
  time, priority messages (the watchdog's) queue ahead of normal ones.
  There is **no timeout and no retry** for system-interface messages: the
  interface's state machine is the only failure path (HOSED -> 0xFF);
  ``msgid`` is the caller's, echoed back;
- **receiving** (``smi_recv_work``, ``handle_one_recv_msg``): the next queued
  message goes out first, then each answer is validated -- under 2 bytes, or
  a NetFn/Cmd that does not match the request, becomes 0xFF; an event under
  19 bytes or with an error is dropped; a Get Message answer is dropped until
  the channel scan is done, and then handled by the medium of its channel
  (IPMB commands nobody registered for are answered 0xC1 through Send Message);
- **the 1 s tick** (``ipmi_timeout``) runs while something needs it: users that
  get events (each tick asks the interface to fetch them: only a flag) and
  the count-down of maintenance mode.
"""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass

from bmc.ipmi.cc import CompletionCode as CC
from bmc.ipmi.cc import cc_name
from bmc.ipmi.cmd import App
from bmc.ipmi.msg import ChannelMedium
from bmc.ipmi.netfn import NetFn, netfn_lun
from buses.time import S, fmt_duration, ms
from buses.variant import variant

from .si import SmiMsg
from .si_init import GET_DEVICE_ID_MAX_RETRY, demangle_device_id
from .sm import IPMI_MAX_MSG_LENGTH

IPMI_MAX_CHANNELS = 16
MAX_EVENTS_IN_QUEUE = 25
IPMI_TIMEOUT_TIME = S                   # the handler's tick; IPMI_REQUEST_EV_TIME = 1 tick per event request
MAINTENANCE_MODE_TIMEOUT = ms(30000)    # maintenance_mode_timeout_ms
UUID_SIZE = 16
IPMI_INVALID_CMD_COMPLETION_CODE = 0xC1
CHANNEL_MEDIUM_OEM = range(0x60, 0x80)

WATCH_MESSAGES, WATCH_WATCHDOG, WATCH_COMMANDS = 1, 2, 4    # IPMI_WATCH_MASK_CHECK_*


class IpmiSendError(Exception):
    """The request was refused before it reached the interface (the ioctl's errno)."""

    def __init__(self, errno: str, why: str):
        super().__init__(f"{errno}: {why}")
        self.errno = errno
        self.why = why


@dataclass(frozen=True)
class IpmiResult:
    """A response as the caller sees it."""

    request: bytes
    raw: bytes        # NetFn/LUN, Cmd, CC, data
    t_sent: int
    t_done: int
    msgid: int = 0

    @property
    def cc(self) -> int:
        return self.raw[2] if len(self.raw) > 2 else CC.UNSPECIFIED_ERROR

    @property
    def data(self) -> bytes:
        return self.raw[3:]

    @property
    def ok(self) -> bool:
        return self.cc == CC.SUCCESS

    @property
    def elapsed(self) -> int:
        return self.t_done - self.t_sent

    def __str__(self) -> str:
        return (f"cc=0x{self.cc:02X} ({cc_name(self.cc)}) data={self.data.hex(' ').upper()} "
                f"in {fmt_duration(self.elapsed)}")


class _Recv:
    """``struct ipmi_recv_msg`` of one request: who gets the answer (a user's event, or the handler's own)."""

    __slots__ = ("msgid", "event", "t_sent", "internal")

    def __init__(self, msgid, event, t_sent, internal=False):
        self.msgid = msgid
        self.event = event
        self.t_sent = t_sent
        self.internal = internal


def _unspecified(request: bytes) -> bytes:
    return bytes((request[0] | 0x04, request[1], CC.UNSPECIFIED_ERROR))


HISTORY = 1024  # events kept by default


class IpmiMsgHandler:
    """One IPMI interface as users see it (``/dev/ipmi0``)."""

    def __init__(self, sim, smi, name: str = "ipmi0", slave_address: int = 0x20, history: int = HISTORY):
        self.sim = sim
        self.smi = smi
        self.name = name
        self.slave_address = slave_address      # addrinfo[0].address (the interface's slave_addr if known)
        smi.upper = self
        self.curr_msg: SmiMsg | None = None
        self.xmit: deque[SmiMsg] = deque()
        self.hp_xmit: deque[SmiMsg] = deque()
        self.stats: Counter = Counter()
        self.ready = sim.env.event()            # start-up done (True) or the interface failed (False)
        self.device_id: bytes | None = None      # the Get Device ID answer the handler keeps (bmc->id)
        self.guid: bytes | None = None
        self.channels: list[tuple[int, int]] = [(0, 0)] * IPMI_MAX_CHANNELS   # (medium, protocol)
        self.channels_ready = False
        self.scans = 0
        # Events: users that get them (ipmi_set_gets_events) or, with none, a queue of 25.
        self.event_listeners: list = []
        self.waiting_events: deque[bytes] = deque()
        self.set_history(history)
        self.messages: list[tuple[int, bytes]] = []     # (time, Get Message response) handled
        self.cmd_rcvrs: dict[tuple[int, int, int], object] = {}   # (netfn, cmd, channel) -> fn(t, rsp)
        self.pretimeouts: list[int] = []
        self.pretimeout_listeners: list = []
        self.watch_mask = 0
        self._watchers = Counter()
        # Maintenance mode (ipmi_set_maintenance_mode is the user's; Cold/Warm Reset start the auto one).
        self.maintenance_mode_enable = False
        self.auto_maintenance_timeout = 0
        self._tick_at: int | None = None
        self._shut = False
        sim.process(self._add_smi())

    def _trace(self, t: int, event: str, **fields) -> None:
        if self.sim.tracer.enabled:
            self.sim.trace(t, "msg", self.name, event, **fields)

    @property
    def up(self) -> bool:
        """Users can open the interface: the start-up is done and the interface has not gone."""
        return self.ready.processed and bool(self.ready.value) and not self._shut

    # -- user API --------------------------------------------------------------------------
    def request(self, netfn: int, cmd: int, data: bytes = b"", lun: int = 0, msgid: int = 0, priority: int = 0):
        """Generator (run it as a process): send a request, return its ``IpmiResult``.

        Raises ``IpmiSendError`` where Linux's ioctl fails (EINVAL, EMSGSIZE).
        """
        if not 0 <= lun <= 3:
            self.stats["sent_invalid_commands"] += 1
            raise IpmiSendError("EINVAL", f"LUN {lun} is over 3")
        raw = bytes((netfn_lun(netfn, lun), cmd)) + bytes(data)
        return (yield from self.request_raw(raw, msgid=msgid, priority=priority))

    def request_raw(self, raw: bytes, msgid: int = 0, priority: int = 0):
        """Generator: ``raw`` is NetFn/LUN, Cmd, data as the interface carries it."""
        ready = self.ready
        ok = (yield ready) if not ready.processed else ready.value
        env = self.sim.env
        if not ok or self._shut:
            return IpmiResult(raw, _unspecified(raw + b"\x00\x00"), env.now, env.now, msgid)
        self._check_sysintf(raw)
        recv = _Recv(msgid, env.event(), env.now)
        self._trace(env.now, "request", msgid=msgid, data=raw)
        self._smi_send(SmiMsg(bytes(raw), user_data=recv), priority)
        return (yield recv.event)

    def _check_sysintf(self, raw: bytes) -> None:
        """``i_ipmi_req_sysintf``: what a user may not send to the system interface."""
        if len(raw) < 2:
            raise IpmiSendError("EINVAL", f"request of {len(raw)} bytes has no command")
        netfn, cmd = raw[0] >> 2, raw[1]
        if netfn & 1:
            self.stats["sent_invalid_commands"] += 1
            raise IpmiSendError("EINVAL", f"netfn 0x{netfn:02X} is a response")
        if netfn == NetFn.APP and cmd in (App.SEND_MESSAGE, App.GET_MESSAGE, App.READ_EVENT_MESSAGE_BUFFER):
            # "We don't let the user do these, since we manage the sequence numbers."
            self.stats["sent_invalid_commands"] += 1
            raise IpmiSendError("EINVAL", f"{App(cmd).name} is the message handler's own")
        if (netfn == NetFn.APP and cmd in (App.COLD_RESET, App.WARM_RESET)) or netfn == NetFn.FIRMWARE:
            self.auto_maintenance_timeout = MAINTENANCE_MODE_TIMEOUT
            if not self.maintenance_mode_enable:
                self.maintenance_mode_enable = True
                self._trace(self.sim.now, "maintenance-mode", on=1)
                self.smi.set_maintenance_mode(True)
        if len(raw) > IPMI_MAX_MSG_LENGTH:
            self.stats["sent_invalid_commands"] += 1
            raise IpmiSendError("EMSGSIZE", f"{len(raw)} bytes exceed IPMI_MAX_MSG_LENGTH {IPMI_MAX_MSG_LENGTH}")
        self.stats["sent_local_commands"] += 1

    def set_gets_events(self, fn, on: bool = True) -> None:
        """``ipmi_set_gets_events``: ``fn(t, rsp)`` hears every event; the queued ones are delivered now."""
        if on:
            if fn in self.event_listeners:
                return
            self.event_listeners.append(fn)
            if len(self.event_listeners) == 1:
                self._need_waiter()
            now = self.sim.now
            while self.waiting_events:
                fn(now, self.waiting_events.popleft())
        elif fn in self.event_listeners:
            self.event_listeners.remove(fn)

    def register_for_cmd(self, netfn: int, cmd: int, fn, channels: int = 0xFFFF) -> None:
        """``ipmi_register_for_cmd``: commands to the SMS from other controllers go to ``fn(t, rsp)``."""
        for ch in range(IPMI_MAX_CHANNELS):
            if channels & (1 << ch):
                self.cmd_rcvrs[(netfn, cmd, ch)] = fn
        self._add_watch(WATCH_COMMANDS)

    def watch_pretimeouts(self, fn) -> None:
        """A user with a pre-timeout handler (``ipmi_create_user``): the interface watches for it."""
        self.pretimeout_listeners.append(fn)
        self._add_watch(WATCH_WATCHDOG)

    # -- watch mask (smi_add_watch) -----------------------------------------------------------------
    def _add_watch(self, flag: int) -> None:
        self._watchers[flag] += 1
        if self.watch_mask & flag != flag:
            self.watch_mask |= flag
            self.smi.set_need_watch(self.watch_mask)      # ipmi_si reads it as a flag, ipmi_ssif by its bits

    # -- sending (smi_send) -----------------------------------------------------------------------
    def _smi_send(self, msg: SmiMsg, priority: int = 0) -> None:
        if self.curr_msg is not None:
            (self.hp_xmit if priority > 0 else self.xmit).append(msg)
            return
        self.curr_msg = msg
        self.smi.sender(msg)

    def _internal(self, netfn: int, cmd: int, data: bytes = b""):
        """Generator: one of the handler's own requests (no user: the null-user handler takes the answer)."""
        env = self.sim.env
        recv = _Recv(0, env.event(), env.now, internal=True)
        raw = bytes((netfn_lun(netfn), cmd)) + data
        self._trace(env.now, "request", msgid="internal", data=raw)
        self._smi_send(SmiMsg(raw, user_data=recv))
        return (yield recv.event)

    # -- receiving -------------------------------------------------------------------------------------
    def smi_msg_received(self, msg: SmiMsg, t: int) -> None:
        """``ipmi_smi_msg_received`` + ``smi_recv_work``: send the next message, then handle this one."""
        if msg is self.curr_msg:
            self.curr_msg = None
        if self.curr_msg is None and not self._shut:
            queue = self.hp_xmit if self.hp_xmit else self.xmit
            if queue:
                self.curr_msg = queue.popleft()
                self.smi.sender(self.curr_msg)
        self._handle_one_recv_msg(msg, t)

    def _handle_one_recv_msg(self, msg: SmiMsg, t: int) -> None:
        rsp, data = msg.rsp, msg.data
        if len(rsp) < 2:
            self._trace(t, "invalid-response", why=f"{len(rsp)} bytes", rsp=rsp)
            rsp = msg.rsp = _unspecified(data)
        elif data[0] == netfn_lun(NetFn.APP) and data[1] == App.SEND_MESSAGE and msg.user_data is None:
            # The local answer to our own Send Message (an 0xC1 to an unhandled IPMB command): no sequence.
            return
        elif rsp[0] >> 2 != (data[0] >> 2) | 1 or rsp[1] != data[1]:
            self._trace(t, "invalid-response", why="netfn/cmd do not match the request", rsp=rsp)
            rsp = msg.rsp = _unspecified(data)
        if rsp[0] == netfn_lun(NetFn.APP | 1) and rsp[1] == App.GET_MESSAGE:
            self._handle_get_msg(rsp, t)
        elif rsp[0] == netfn_lun(NetFn.APP | 1) and rsp[1] == App.READ_EVENT_MESSAGE_BUFFER:
            self._handle_read_event_rsp(rsp, t)
        else:
            self._handle_bmc_rsp(msg, t)

    def _handle_bmc_rsp(self, msg: SmiMsg, t: int) -> None:
        recv = msg.user_data
        if recv is None:
            self._trace(t, "no-owner", rsp=msg.rsp)
            return
        self._trace(t, "response", msgid="internal" if recv.internal else recv.msgid, rsp=msg.rsp)
        result = IpmiResult(msg.data, msg.rsp, recv.t_sent, t, recv.msgid)
        if not recv.event.triggered:
            self.sim.trigger_at(recv.event, t, result)

    def set_history(self, history: int) -> None:
        """Keep the last ``history`` delivered events (stats["events"] counts them all)."""
        if not isinstance(history, int) or history <= 0:
            raise ValueError(f"history {history!r} must be a positive int of events")
        # (time, Read Event Message Buffer response) delivered; bounded, as a long run would grow it forever
        self.events: deque[tuple[int, bytes]] = deque(getattr(self, "events", ()), maxlen=history)

    def _handle_read_event_rsp(self, rsp: bytes, t: int) -> None:
        if len(rsp) < 19:
            self.stats["invalid_events"] += 1                 # "too small to be an IPMB event"
            self._trace(t, "event-dropped", why=f"{len(rsp)} bytes", rsp=rsp)
            return
        if rsp[2] != 0:
            return
        self.stats["events"] += 1
        self.events.append((t, rsp))
        self._trace(t, "event", data=rsp[3:])
        if self.event_listeners:
            for fn in list(self.event_listeners):
                fn(t, rsp)
        elif len(self.waiting_events) < MAX_EVENTS_IN_QUEUE:
            self.waiting_events.append(rsp)
        else:
            self.stats["events_discarded"] += 1

    def _handle_get_msg(self, rsp: bytes, t: int) -> None:
        """A message from the receive queue, handled by its channel's medium."""
        if len(rsp) < 4:
            return
        chan = rsp[3] & 0x0F
        if not self.channels_ready:
            self._trace(t, "message-dropped", why="channels not scanned yet", rsp=rsp)
            return
        self.messages.append((t, rsp))
        medium = self.channels[chan][0]
        if medium == ChannelMedium.IPMB:
            if len(rsp) > 4 and rsp[4] & 0x04:
                # A response from a remote entity: no IPMB request of ours is outstanding to match it.
                why = "too short" if len(rsp) < 11 else "no matching sequence"
                self.stats["unhandled_ipmb_responses"] += 1
                self._trace(t, "message-dropped", why=f"IPMB response, {why}", rsp=rsp)
                return
            self._handle_ipmb_get_msg_cmd(rsp, chan, t)
        elif medium in (ChannelMedium.LAN_802_3, ChannelMedium.RS_232):
            self.stats["unhandled_lan_messages"] += 1
            self._trace(t, "message-dropped", why="LAN message, nobody registered", rsp=rsp)
        else:
            why = "OEM channel, nobody registered" if medium in CHANNEL_MEDIUM_OEM else f"medium 0x{medium:02X}"
            self._trace(t, "message-dropped", why=why, rsp=rsp)

    def _handle_ipmb_get_msg_cmd(self, rsp: bytes, chan: int, t: int) -> None:
        if len(rsp) < 10:
            self.stats["invalid_commands"] += 1               # "Message not big enough, just ignore it"
            self._trace(t, "message-dropped", why=f"IPMB command, {len(rsp)} bytes", rsp=rsp)
            return
        if rsp[2] != 0:
            return
        netfn, cmd = rsp[4] >> 2, rsp[8]
        fn = self.cmd_rcvrs.get((netfn, cmd, chan))
        if fn is not None:
            self.stats["handled_commands"] += 1
            self._trace(t, "command", netfn=f"0x{netfn:02X}", cmd=f"0x{cmd:02X}", data=rsp[9:-1])
            fn(t, rsp)
            return
        # "We didn't find a user, deliver an error response": Send Message back to the requester.
        self.stats["unhandled_commands"] += 1
        reply = bytearray(11)
        reply[0], reply[1] = netfn_lun(NetFn.APP), App.SEND_MESSAGE
        reply[2] = rsp[3]
        reply[3] = rsp[6]
        reply[4] = ((netfn + 1) << 2) | (rsp[7] & 0x03)
        reply[5] = _ipmb_checksum(reply[3:5])
        reply[6] = self.slave_address
        reply[7] = (rsp[7] & 0xFC) | (rsp[4] & 0x03)
        reply[8] = rsp[8]
        reply[9] = IPMI_INVALID_CMD_COMPLETION_CODE
        reply[10] = _ipmb_checksum(reply[6:10])
        self._trace(t, "invalid-command-reply", to=f"0x{rsp[6]:02X}", cmd=f"0x{cmd:02X}")
        if not self._shut:
            self._smi_send(SmiMsg(bytes(reply)))

    def watchdog_pretimeout(self, t: int) -> None:
        self.pretimeouts.append(t)
        self._trace(t, "watchdog-pretimeout")
        for fn in self.pretimeout_listeners:
            fn(t)

    # -- start-up (ipmi_add_smi) ---------------------------------------------------------------------------
    def _add_smi(self):
        smi_ready = self.smi.ready
        ok = (yield smi_ready) if not smi_ready.processed else smi_ready.value
        if not ok:
            return self._finish(False)
        cfg = getattr(self.smi, "cfg", None)
        if cfg is not None and cfg.register_work:
            yield self.sim.env.timeout(cfg.register_work)
        yield from self._get_guid()
        if not (yield from self._get_device_id()):
            self._trace(self.sim.now, "start-failed", why="Unable to get the device id")
            self._shut = True
            return self._finish(False)
        yield from self._scan_channels()       # __bmc_get_device_id, after __ipmi_bmc_register
        yield from self._scan_channels()       # ipmi_add_smi
        self._trace(self.sim.now, "ready", channels=self._channel_summary())
        self._finish(True)

    def _finish(self, ok: bool) -> None:
        if not self.ready.triggered:           # (a shutdown during start-up has answered already)
            self.sim.trigger_at(self.ready, self.sim.now, ok and not self._shut)

    def _get_guid(self):
        r = yield from self._internal(NetFn.APP, App.GET_DEVICE_GUID)
        # guid_handler: an error means "the BMC doesn't have one"; under CC + 16 bytes, too short.
        if r.cc == 0 and len(r.raw) - 2 >= UUID_SIZE + 1:
            self.guid = r.raw[3:3 + UUID_SIZE]

    def _get_device_id(self):
        """Generator: ``__get_device_id``.  Its retry (``msleep(500)``, up to 5) waits on ``bmc->cc``,
        which ``bmc_device_id_handler`` sets only where the CC is already known to be 0: a CC error
        fails the start-up at once (6.1 and 6.12 alike)."""
        retry_count = 0
        while True:
            r = yield from self._internal(NetFn.APP, App.GET_DEVICE_ID)
            if r.cc == 0 and demangle_device_id(r.raw) is None:
                self.device_id = r.raw
                return True
            bmc_cc = self._device_id_failure_cc(r)
            retry_count += 1
            if bmc_cc != CC.SUCCESS and retry_count <= GET_DEVICE_ID_MAX_RETRY:   # as the C: never true
                self._trace(self.sim.now, "device-id-retry", cc=f"0x{bmc_cc:02X}", retry=retry_count)
                yield from self._msleep(500)
                continue
            self._trace(self.sim.now, "device-id-failed", cc=f"0x{r.cc:02X}")
            return False

    def _device_id_failure_cc(self, r) -> int:
        """``bmc->cc`` after a failed fetch: bmc_device_id_handler returns on a CC error before it
        records anything ("device id fetch failed"), and on a demangle failure it records data[0],
        which is 0 there -- so the retry never runs."""
        return 0

    def _msleep(self, msecs: int):
        """``msleep``: ``msecs_to_jiffies(msecs) + 1`` whole jiffies."""
        jiffy = self.smi.jiffy
        env = self.sim.env
        end = (env.now // jiffy + -(-ms(msecs) // jiffy) + 1) * jiffy
        yield env.timeout(end - env.now)

    def _ipmi_version(self) -> tuple[int, int]:
        v = self.device_id[7]
        return v & 0x0F, v >> 4

    def _scan_channels(self):
        """``__scan_channels``: Get Channel Info 0..15 into a fresh channel set (an IPMI 1.0 BMC: one IPMB)."""
        self.scans += 1
        major, minor = self._ipmi_version()
        if not (major > 1 or (major == 1 and minor >= 5)):
            self.channels = [(ChannelMedium.IPMB, 1)] + [(0, 0)] * (IPMI_MAX_CHANNELS - 1)
            self.channels_ready = True
            return
        found = [(0, 0)] * IPMI_MAX_CHANNELS
        for ch in range(IPMI_MAX_CHANNELS):
            r = yield from self._internal(NetFn.APP, App.GET_CHANNEL_INFO, bytes((ch,)))
            if r.cc == IPMI_INVALID_CMD_COMPLETION_CODE:
                # "If the MC does not support this command, that is legal": one IPMB at channel 0.
                found[0] = (ChannelMedium.IPMB, 1)
                break
            if r.cc == 0 and len(r.raw) - 2 >= 4:
                found[ch] = (r.raw[4] & 0x7F, r.raw[5] & 0x1F)
        self.channels = found
        self.channels_ready = True

    def _channel_summary(self) -> str:
        return " ".join(f"{ch}:0x{m:02X}" for ch, (m, _p) in enumerate(self.channels) if m)

    # -- the tick (ipmi_timeout) -------------------------------------------------------------------------
    def _need_waiter(self) -> None:
        if self._tick_at is None:
            self._mod_tick()

    def _mod_tick(self) -> None:
        jiffy = self.smi.jiffy
        self._tick_at = (self.sim.now // jiffy + IPMI_TIMEOUT_TIME // jiffy) * jiffy
        self.sim.call_at(self._tick_at, self._tick)

    def _tick(self) -> None:
        self._tick_at = None
        if self._shut:
            return
        need_timer = False
        if self.event_listeners:
            if not self.maintenance_mode_enable:
                self.smi.request_events()                    # ipmi_request_event
            need_timer = True
        if self.auto_maintenance_timeout > 0:
            self.auto_maintenance_timeout -= IPMI_TIMEOUT_TIME
            if self.auto_maintenance_timeout <= 0 and self.maintenance_mode_enable:
                self.maintenance_mode_enable = False
                self._trace(self.sim.now, "maintenance-mode", on=0)
                self.smi.set_maintenance_mode(False)
        if self.curr_msg is None:                            # queue_work(recv_work)
            queue = self.hp_xmit if self.hp_xmit else self.xmit
            if queue:
                self.curr_msg = queue.popleft()
                self.smi.sender(self.curr_msg)
        if need_timer:
            self._mod_tick()

    # -- going away ---------------------------------------------------------------------------------------
    def shutdown(self, t: int, cc: int = CC.UNSPECIFIED_ERROR) -> int:
        """The interface went away (power loss, reset): fail everything pending with ``cc`` at ``t``
        (``cleanup_smi_msgs``).  Returns how many requests were failed."""
        self._shut = True
        pending = ([self.curr_msg] if self.curr_msg is not None else []) + list(self.hp_xmit) + list(self.xmit)
        self.curr_msg = None
        self.xmit.clear()
        self.hp_xmit.clear()
        failed = 0
        for msg in pending:
            recv = msg.user_data
            if recv is not None and not recv.event.triggered:
                failed += 1
                rsp = bytes((msg.data[0] | 0x04, msg.data[1], cc))
                self.sim.trigger_at(recv.event, t, IpmiResult(msg.data, rsp, recv.t_sent, t, recv.msgid))
        if not self.ready.triggered:
            self.sim.trigger_at(self.ready, t, False)
        return failed


def _ipmb_checksum(data) -> int:
    return -sum(data) & 0xFF


@variant(IpmiMsgHandler, "msghandler-devid-retry-reachable",
         "bmc_device_id_handler records the completion code before returning (a proposed fix, not upstream)")
class DeviceIdRetryReachable(IpmiMsgHandler):
    """The handler records a CC error in bmc->cc, so __get_device_id's msleep(500) retry runs as meant."""

    def _device_id_failure_cc(self, r) -> int:
        return r.cc
