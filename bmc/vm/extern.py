"""``ipmi-bmc-extern``: a simulated interface answered by a remote BMC over the VM protocol.

QEMU's ``hw/ipmi/ipmi_bmc_extern.c`` behaviour (reference/qemu-ipmi.md 1.7),
on the simulated clock:

- **connect** (TCP ``host:port`` or ``unix:/path``): send ``FF 01 A1 08
  <caps> A1``; the peer's VERSION is recorded, its ATN state applied.
- **request** from the interface: shorter than 2 bytes -> 0xC7, longer than
  300 -> 0xC6, not connected -> 0xD2, all answered at once; otherwise the
  frame goes out with the next sequence number.
- **answer**: a response whose ``seq`` matches; anything else is stale and
  dropped (traced), as are frames the codec rejects (an over-long response
  too: QEMU would pass it on as 0xC6 unchecked, here the request times out).
  No answer -> 0xC3 ``response_timeout`` (4 s) after the request.  Connection
  lost -> 0xD2 for the pending request, SMS_ATN cleared, 0xD2 at once for
  requests while disconnected, and reconnect attempts with back-off
  (``reconnect_min`` doubling up to ``reconnect_max``).
- **control commands** from the BMC: NOATTN/ATTN/ATTN_IRQ -> the interface's
  SMS_ATN; ENABLE_IRQ/DISABLE_IRQ -> its interrupt enable; POWEROFF,
  RESET, SEND_NMI, GRACEFUL_SHUTDOWN -> the host's ``power_off``,
  ``hard_reset``, ``nmi``, ``soft_shutdown``.  DISABLE/ENABLE (OpenIPMI
  only) and CAPABILITIES are ignored, as QEMU does.

Where simulated time and wall time meet
---------------------------------------
The simulation never runs while a request is outside.  The socket is
*serviced* only at simulated instants the model chooses, and each service
is a plain blocking call during which the simulated clock stands still:

1. A request handed over at simulated time ``t`` is written, then the
   client blocks on the socket for up to ``wall_timeout`` seconds of wall
   time until the matching response arrives.
2. Everything read during that service (control commands, stale frames,
   the response), in wire order, takes effect at ``t + response_latency``.
   No answer within the wall bound means the 0xC3 lands at
   ``t + response_timeout``; a lost connection means the 0xD2 lands at
   ``t + response_latency``.
3. Bytes the BMC sends between requests wait in the socket until the next
   service: the next request, a ``service()`` call from a scenario, or,
   when ``poll_interval`` is set, a non-blocking poll that often while
   connected (off by default, so an idle world costs nothing).
4. Reconnect attempts are simulated-time events; each is one connect()
   bounded by ``connect_timeout`` wall seconds.

Given the same answers from the peer (and answers inside the wall bound),
a run is deterministic: the trace does not depend on how long the peer took.

``ExternBmc`` is a ``bmc.channel.BmcCore``: any ideal channel (KCS, BT)
submits to it exactly as to the in-process ipmid, and the channel that
``attach``es hears the ATN and IRQ controls (``set_atn``, ``set_irq_enable``).
"""

from __future__ import annotations

import select
import socket
import time
from collections import Counter
from dataclasses import dataclass

from buses.hop import Hop
from buses.time import fmt_duration, s, us

from ..ipmi.cc import CompletionCode as CC
from ..ipmi.cc import IpmiError
from .codec import (
    QEMU_CAPABILITIES,
    VM_MAX_IPMI_MSG,
    VM_MIN_RESPONSE,
    Decoder,
    VmCmd,
    VmControl,
    VmMessage,
    connect_burst,
    encode_message,
)

_RECV_CHUNK = 4096
_MAX_CHUNKS = 256          # per service: a flooding peer cannot keep the simulation stopped


def parse_addr(addr: str, field: str = "extern_addr"):
    """``"host:port"``, ``"[v6]:port"`` or ``"unix:/path"`` -> (family, sockaddr)."""
    if not isinstance(addr, str) or not addr:
        raise ValueError(f"{field}: {addr!r} is not an address (host:port or unix:/path)")
    if addr.startswith("unix:"):
        path = addr[5:]
        if not path:
            raise ValueError(f"{field}: {addr!r} names no socket path")
        return socket.AF_UNIX, path
    host, sep, port = addr.rpartition(":")
    if not sep or not host:
        raise ValueError(f"{field}: {addr!r} is not host:port or unix:/path")
    try:
        number = int(port)
    except ValueError:
        raise ValueError(f"{field}: port {port!r} in {addr!r} is not a number") from None
    if not 0 < number < 65536:
        raise ValueError(f"{field}: port {number} in {addr!r} is outside 1..65535")
    if host.startswith("[") and host.endswith("]"):
        return socket.AF_INET6, (host[1:-1], number)
    return socket.AF_INET, (host, number)


@dataclass(frozen=True)
class ExternConfig:
    """Where the remote BMC is and how its answers meet the simulated clock (see the module doc)."""

    addr: str
    response_latency: int = us(100)      # simulated time from a request to its answer (and to controls read with it)
    response_timeout: int = s(4)         # QEMU: no answer -> 0xC3 this long after the request
    wall_timeout: float = 4.0            # wall seconds to wait for an answer before calling it a timeout
    connect_timeout: float = 1.0         # wall seconds per connection attempt
    reconnect_min: int = s(1)            # first retry after a failure or a lost connection
    reconnect_max: int = s(10)           # back-off ceiling (QEMU's docs: reconnect-ms=10000)
    reconnect: bool = True
    poll_interval: int | None = None     # simulated period of a non-blocking poll while connected; None = never
    capabilities: int = int(QEMU_CAPABILITIES)
    max_request: int = VM_MAX_IPMI_MSG   # the interface's buffer; longer requests get 0xC6

    def __post_init__(self):
        parse_addr(self.addr, "extern.addr")
        for name in ("response_latency", "response_timeout", "reconnect_min", "reconnect_max"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 0:
                raise ValueError(f"extern.{name}: {value!r} must be a non-negative int of ns")
        if self.reconnect_min <= 0 or self.reconnect_max < self.reconnect_min:
            raise ValueError(f"extern.reconnect_min/max: {self.reconnect_min}/{self.reconnect_max} must satisfy "
                             "0 < min <= max")
        for name in ("wall_timeout", "connect_timeout"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or not 0 < value <= 60:
                raise ValueError(f"extern.{name}: {value!r} must be 0 < seconds <= 60")
        if self.poll_interval is not None and (not isinstance(self.poll_interval, int) or self.poll_interval <= 0):
            raise ValueError(f"extern.poll_interval: {self.poll_interval!r} must be a positive int of ns or None")
        if not 0 <= self.capabilities <= 0xFF:
            raise ValueError(f"extern.capabilities: 0x{self.capabilities:X} is not a byte")
        if not 2 <= self.max_request <= VM_MAX_IPMI_MSG:
            raise ValueError(f"extern.max_request: {self.max_request} outside 2..{VM_MAX_IPMI_MSG}")


def _synth(request: bytes, cc: int) -> bytes:
    """QEMU's 3-byte answer: netfn/LUN with the response bit, cmd, completion code."""
    nf = request[0] if request else 0
    cmd = request[1] if len(request) > 1 else 0
    return bytes((nf | 0x04, cmd, cc))


class ExternBmc:
    """The client end of one VM-protocol connection, serving one interface."""

    def __init__(self, sim, config: ExternConfig, host=None, name: str = "vm-extern"):
        self.sim = sim
        self.config = config
        self.host = host
        self.name = name
        self.iface = None                      # the channel ATN and IRQ controls go to
        self._done = None                      # the current request's answer callback
        self.family, self.sockaddr = parse_addr(config.addr, "extern.addr")
        self.decoder = Decoder(min_len=VM_MIN_RESPONSE, sim=sim, name=name)
        # What the peer sends, chunk by chunk, on its way into the decoder: a fault stands here.
        self.rx = Hop(self.decoder.feed, "vm.rx")
        self.sock: socket.socket | None = None
        self.connected = False
        self.closed = False
        self.peer_version: int | None = None
        self.seq = 0
        self.current: int | None = None       # token of the request whose answer the interface awaits
        self.stats: Counter = Counter()
        self.controls: list[tuple[int, str]] = []   # (time applied, VmCmd name)
        self._backoff = config.reconnect_min
        self._gen = 0                          # bumps on every connect/disconnect: stale timers do nothing

    # -- wiring --------------------------------------------------------------------------------
    def attach(self, iface) -> None:
        """The system-interface channel (``bmc.channel.ChannelBase``) that hears ATN and IRQ controls."""
        self.iface = iface

    def _trace(self, t: int, event: str, **fields) -> None:
        if self.sim.tracer.enabled:
            self.sim.trace(t, "bmc", self.name, event, **fields)

    # -- connection ----------------------------------------------------------------------------
    def start(self, t: int | None = None) -> bool:
        """First connection attempt (at ``t``, default now); failures schedule retries."""
        return self._attempt(self.sim.now if t is None else t)

    def _attempt(self, t: int) -> bool:
        if self.closed or self.connected:
            return self.connected
        self.stats["connect_attempts"] += 1
        sock = socket.socket(self.family, socket.SOCK_STREAM)
        try:
            sock.settimeout(self.config.connect_timeout)
            sock.connect(self.sockaddr)
            if self.family != socket.AF_UNIX:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.sendall(connect_burst(self.config.capabilities))
        except OSError as err:
            sock.close()
            self.stats["connect_failures"] += 1
            self._trace(t, "connect-failed", addr=self.config.addr, error=type(err).__name__,
                        retry_in=fmt_duration(self._backoff))
            self._schedule_retry(t)
            return False
        self.sock = sock
        self.connected = True
        self._gen += 1
        self._backoff = self.config.reconnect_min
        self.decoder.reset()
        self.stats["connects"] += 1
        self._trace(t, "connect", addr=self.config.addr, caps=f"0x{self.config.capabilities:02X}")
        if self.config.poll_interval is not None:
            self.sim.call_at(t + self.config.poll_interval, self._poll, self._gen)
        return True

    def _schedule_retry(self, t: int) -> None:
        if self.closed or not self.config.reconnect:
            return
        delay = self._backoff
        self._backoff = min(self._backoff * 2, self.config.reconnect_max)
        gen = self._gen
        self.sim.call_at(t + delay, self._retry, gen, t + delay)

    def _retry(self, gen: int, t: int) -> None:
        if gen == self._gen and not self.connected:
            self._attempt(t)

    def _lost(self, t: int, why: str) -> None:
        """The peer went away (EOF, reset, write failure)."""
        if not self.connected:
            return
        self.connected = False
        self._gen += 1
        try:
            self.sock.close()
        finally:
            self.sock = None
        self.stats["disconnects"] += 1
        self._trace(t, "disconnect", why=why)
        # QEMU clears ATN so the guest is not left waiting on it; the peer re-sends its state on reconnect.
        if self.iface is not None:
            self.iface.set_atn(False, False, t)
        self._backoff = self.config.reconnect_min
        self._schedule_retry(t)

    def close(self) -> None:
        """Disconnect for good (no retries); safe to call twice."""
        self.closed = True
        self._gen += 1
        self.connected = False
        if self.sock is not None:
            self.sock.close()
            self.sock = None

    # -- the request path --------------------------------------------------------------------------
    def cost_ns(self, netfn: int, cmd: int) -> int:
        return self.config.response_latency

    def submit(self, request: bytes, t: int, done) -> None:
        """``BmcCore.submit``: send a whole request at simulated time ``t``; ``done(response, t)`` when it lands."""
        request = bytes(request)
        self._done = done
        self.stats["requests"] += 1
        token = self.current = (self.current or 0) + 1
        if len(request) < 2:
            return self._answer(token, _synth(request, CC.REQUEST_DATA_LENGTH_INVALID), t, "short")
        if len(request) > self.config.max_request:
            return self._answer(token, _synth(request, CC.REQUEST_DATA_TRUNCATED), t, "long")
        if not self.connected:
            self.stats["not_connected"] += 1
            return self._answer(token, _synth(request, CC.BMC_INITIALIZATION_IN_PROGRESS), t, "not-connected")
        seq = self.seq
        self.seq = (seq + 1) & 0xFF
        t_land = t + self.config.response_latency
        self._trace(t, "tx", seq=seq, msg=request)
        try:
            self.sock.settimeout(self.config.wall_timeout)
            self.sock.sendall(encode_message(seq, request))
        except OSError as err:
            self._lost(t, f"write failed: {type(err).__name__}")
            self.stats["lost_pending"] += 1
            return self._answer(token, _synth(request, CC.BMC_INITIALIZATION_IN_PROGRESS), t_land, "disconnected")
        items, alive = self._read(t, until_seq=seq)
        response = None
        for item in items:
            if isinstance(item, VmMessage) and item.seq == seq and response is None:
                response = item.msg
                self._answer(token, response, t_land, "rx")
            else:
                self._apply(item, t_land)
        if response is not None:
            self.stats["responses"] += 1
        elif not alive:
            self.stats["lost_pending"] += 1
            self._answer(token, _synth(request, CC.BMC_INITIALIZATION_IN_PROGRESS), t_land, "disconnected")
        else:
            self.stats["timeouts"] += 1
            self._trace(t, "no-answer", seq=seq, wall_timeout=self.config.wall_timeout)
            self._answer(token, _synth(request, CC.TIMEOUT), t + self.config.response_timeout, "timeout")

    def _answer(self, token: int, response: bytes, t: int, why: str) -> None:
        self.sim.call_at(t, self._deliver, token, response, t, why)

    def _deliver(self, token: int, response: bytes, t: int, why: str) -> None:
        if token != self.current:
            # The interface moved on (a newer request) before this answer landed.
            self.stats["superseded"] += 1
            self._trace(t, "answer-superseded", rsp=response, why=why)
            return
        self.current = None
        self._trace(t, "answer", rsp=response, why=why)
        done, self._done = self._done, None
        if done is not None:
            done(response, t)

    def _read(self, t: int, until_seq: int | None):
        """Read what the peer sends: until the response ``until_seq`` arrives (bounded by ``wall_timeout``),
        or, with ``until_seq`` None, only what is already there.  Returns (items, still connected)."""
        items: list = []
        sock = self.sock
        deadline = time.monotonic() + self.config.wall_timeout
        for _ in range(_MAX_CHUNKS):
            left = deadline - time.monotonic()
            if until_seq is not None and left <= 0:
                return items, True          # a peer that keeps talking but never answers
            wait = 0.0 if until_seq is None else left
            try:
                ready, _, _ = select.select([sock], [], [], wait)
            except (OSError, ValueError) as err:
                self._lost(t, f"select failed: {type(err).__name__}")
                return items, False
            if not ready:
                return items, True
            try:
                chunk = sock.recv(_RECV_CHUNK)
            except OSError as err:
                self._lost(t, f"read failed: {type(err).__name__}")
                return items, False
            if not chunk:
                self._lost(t, "peer closed the connection")
                return items, False
            got = self.rx.call(chunk, t)
            if self.sock is not sock:
                return items + got, False   # the link went down on the way in
            items += got
            if until_seq is not None and any(isinstance(i, VmMessage) and i.seq == until_seq for i in got):
                return items, True
        return items, True                  # bounded: the rest waits for the next service

    # -- between requests ------------------------------------------------------------------------------
    def service(self, t: int | None = None) -> int:
        """Apply whatever the peer sent since the last service (non-blocking); returns how many items."""
        t = self.sim.now if t is None else t
        if not self.connected:
            return 0
        items, _alive = self._read(t, None)
        t_apply = t + self.config.response_latency
        for item in items:
            self._apply(item, t_apply)
        return len(items)

    def _poll(self, gen: int) -> None:
        if gen != self._gen or not self.connected:
            return
        now = self.sim.now
        self.service(now)
        if self.connected:
            self.sim.call_at(now + self.config.poll_interval, self._poll, self._gen)

    # -- what the BMC tells us ----------------------------------------------------------------------
    def _apply(self, item, t: int) -> None:
        if isinstance(item, VmMessage):
            self.stats["stale"] += 1
            self._trace(t, "stale-response", seq=item.seq, msg=item.msg)
            return
        self.sim.call_at(t, self._control, item, t)

    def _control(self, ctl: VmControl, t: int) -> None:
        cmd = ctl.cmd
        self.stats[f"ctl_{cmd.name}"] += 1
        self.controls.append((t, cmd.name))
        self._trace(t, "control", cmd=cmd.name, data=ctl.data)
        iface, host = self.iface, self.host
        if cmd == VmCmd.VERSION:
            self.peer_version = ctl.data[0]
        elif cmd in (VmCmd.NOATTN, VmCmd.ATTN, VmCmd.ATTN_IRQ):
            if iface is not None:
                iface.set_atn(cmd != VmCmd.NOATTN, cmd == VmCmd.ATTN_IRQ, t)
        elif cmd in (VmCmd.ENABLE_IRQ, VmCmd.DISABLE_IRQ):
            if iface is not None:
                iface.set_irq_enable(cmd == VmCmd.ENABLE_IRQ, t)
        elif cmd in _HOST_OPS:
            op = _HOST_OPS[cmd]
            if host is None:
                self._trace(t, "control-ignored", cmd=cmd.name, why="no host wired")
                return
            try:
                getattr(host, op)(t)
            except IpmiError as err:
                self._trace(t, "control-refused", cmd=cmd.name, why=str(err))
        else:
            # CAPABILITIES is VM->BMC only; DISABLE/ENABLE are OpenIPMI's, QEMU ignores them.
            self._trace(t, "control-ignored", cmd=cmd.name)


_HOST_OPS = {
    VmCmd.POWEROFF: "power_off",
    VmCmd.RESET: "hard_reset",
    VmCmd.SEND_NMI: "nmi",
    VmCmd.GRACEFUL_SHUTDOWN: "soft_shutdown",
}


def extern_bmc(sim, host, config: ExternConfig | str) -> ExternBmc:
    """Build and start the remote BMC a world's channel submits to (``ipmi-bmc-extern``)."""
    if isinstance(config, str):
        config = ExternConfig(config)
    extern = ExternBmc(sim, config, host=host)
    extern.start()
    return extern
