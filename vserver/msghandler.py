"""The host's IPMI message handler (Linux ``ipmi_msghandler.c``), reduced to what a
system interface needs: a transmit queue, message ids, one message at a time
to the interface, per-message timeouts with retries, and delivery of
asynchronous events and messages to whoever listens.

``request()`` is the user API: a SimPy process that returns an
``IpmiResult`` carrying the response bytes and when it was sent and
answered.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from bmc.ipmi.cc import CompletionCode as CC
from bmc.ipmi.cc import cc_name
from bmc.ipmi.netfn import netfn_lun
from buses.time import fmt_duration

from .si import SmiMsg


@dataclass(frozen=True)
class IpmiResult:
    """A response as the caller sees it."""

    request: bytes
    raw: bytes        # NetFn/LUN, Cmd, CC, data
    t_sent: int
    t_done: int
    tries: int = 1

    @property
    def cc(self) -> int:
        return self.raw[2]

    @property
    def data(self) -> bytes:
        return self.raw[3:]

    @property
    def ok(self) -> bool:
        return self.raw[2] == CC.SUCCESS

    @property
    def elapsed(self) -> int:
        return self.t_done - self.t_sent

    def __str__(self) -> str:
        return (f"cc=0x{self.cc:02X} ({cc_name(self.cc)}) data={self.data.hex(' ').upper()} "
                f"in {fmt_duration(self.elapsed)}")


class _Pending:
    __slots__ = ("msgid", "data", "event", "timeout", "retries_left", "tries", "t_sent", "timer_gen")

    def __init__(self, msgid, data, event, timeout, retries, t_sent):
        self.msgid = msgid
        self.data = data
        self.event = event
        self.timeout = timeout
        self.retries_left = retries
        self.tries = 0
        self.t_sent = t_sent
        self.timer_gen = 0


class IpmiMsgHandler:
    """One IPMI interface as users see it (``/dev/ipmi0``)."""

    def __init__(self, sim, smi, name: str = "ipmi0"):
        self.sim = sim
        self.smi = smi
        self.name = name
        smi.upper = self
        self.xmit: deque[_Pending] = deque()
        self.inflight: _Pending | None = None
        self.next_msgid = 0
        self.events: list[tuple[int, bytes]] = []       # (time, Read Event Message Buffer response)
        self.messages: list[tuple[int, bytes]] = []     # (time, Get Message response)
        self.pretimeouts: list[int] = []
        self.event_listeners = []
        self.pretimeout_listeners = []
        self.stale_responses = 0

    # -- user API --------------------------------------------------------------------------
    def request(self, netfn: int, cmd: int, data: bytes = b"", lun: int = 0,
                timeout: int | None = None, retries: int = 0):
        """Generator (run it as a process): send a request, return its ``IpmiResult``."""
        raw = bytes((netfn_lun(netfn, lun), cmd)) + bytes(data)
        return (yield from self.request_raw(raw, timeout=timeout, retries=retries))

    def request_raw(self, raw: bytes, timeout: int | None = None, retries: int = 0):
        """Generator: ``raw`` is NetFn/LUN, Cmd, data as the interface carries it."""
        ready = self.smi.ready
        if not ready.processed:
            ok = yield ready
        else:
            ok = ready.value
        env = self.sim.env
        if not ok:
            nf = raw[0] if raw else 0
            return IpmiResult(raw, bytes((nf | 0x04, raw[1] if len(raw) > 1 else 0, CC.UNSPECIFIED_ERROR)),
                              env.now, env.now)
        p = _Pending(self._msgid(), bytes(raw), env.event(), timeout, retries, env.now)
        self.sim.trace(env.now, "msg", self.name, "request", msgid=p.msgid, data=p.data)
        self.xmit.append(p)
        self._send_next()
        result = yield p.event
        return result

    # -- queue ------------------------------------------------------------------------------
    def _msgid(self) -> int:
        msgid = self.next_msgid
        self.next_msgid = (msgid + 1) & 0xFFFF
        return msgid

    def _send_next(self) -> None:
        if self.inflight is not None or not self.xmit:
            return
        p = self.inflight = self.xmit.popleft()
        p.tries += 1
        p.timer_gen += 1
        msg = SmiMsg(p.data, self._smi_done, (p, p.timer_gen))
        if p.timeout is not None:
            self.sim.call_at(self.sim.now + p.timeout, self._timed_out, p, p.timer_gen)
        self.smi.sender(msg)

    def _smi_done(self, msg: SmiMsg, t: int) -> None:
        p, gen = msg.user_data
        if p is not self.inflight or gen != p.timer_gen or p.event.triggered:
            # Answer to a message that already timed out: drop it, as Linux drops
            # responses whose sequence no longer matches.
            self.stale_responses += 1
            self.sim.trace(t, "msg", self.name, "stale-response", msgid=p.msgid, rsp=msg.rsp)
            if p is self.inflight:
                self.inflight = None
                self._send_next()
            return
        self.inflight = None
        self.sim.trace(t, "msg", self.name, "response", msgid=p.msgid, rsp=msg.rsp)
        self.sim.trigger_at(p.event, t, IpmiResult(p.data, msg.rsp, p.t_sent, t, p.tries))
        self._send_next()

    def _timed_out(self, p: _Pending, gen: int) -> None:
        if p.event.triggered or gen != p.timer_gen:
            return
        now = self.sim.now
        if p.retries_left > 0:
            p.retries_left -= 1
            self.sim.trace(now, "msg", self.name, "retry", msgid=p.msgid, tries=p.tries)
            p.timer_gen += 1
            # The interface still owns the first copy: the retry goes out as soon
            # as that one completes (and is dropped as stale).
            self.xmit.appendleft(p)
            return
        self.sim.trace(now, "msg", self.name, "timeout", msgid=p.msgid)
        p.timer_gen += 1
        p.event.succeed(IpmiResult(p.data, bytes((p.data[0] | 0x04, p.data[1], CC.TIMEOUT)), p.t_sent, now,
                                   p.tries))

    def shutdown(self, t: int, cc: int = CC.UNSPECIFIED_ERROR) -> int:
        """The interface went away (power loss, reset): fail everything pending with ``cc`` at ``t``.

        Returns how many requests were failed.
        """
        pending = ([self.inflight] if self.inflight is not None else []) + list(self.xmit)
        self.inflight = None
        self.xmit.clear()
        for p in pending:
            p.timer_gen += 1   # late answers and timers for these are stale now
            if not p.event.triggered:
                rsp = bytes((p.data[0] | 0x04, p.data[1], cc))
                self.sim.trigger_at(p.event, t, IpmiResult(p.data, rsp, p.t_sent, t, p.tries))
        return len(pending)

    # -- upcalls from the interface ---------------------------------------------------------------
    def smi_event_received(self, rsp: bytes, t: int) -> None:
        self.events.append((t, rsp))
        self.sim.trace(t, "msg", self.name, "event", data=rsp[3:])
        for fn in self.event_listeners:
            fn(t, rsp)

    def smi_message_received(self, rsp: bytes, t: int) -> None:
        self.messages.append((t, rsp))
        self.sim.trace(t, "msg", self.name, "message", data=rsp[3:])

    def watchdog_pretimeout(self, t: int) -> None:
        self.pretimeouts.append(t)
        self.sim.trace(t, "msg", self.name, "watchdog-pretimeout")
        for fn in self.pretimeout_listeners:
            fn(t)
