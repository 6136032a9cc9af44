"""The server role of the VM protocol: this BMC answering a real QEMU ``ipmi-bmc-extern`` (what ``ipmi_sim`` does).

One ``VmServer`` owns a ``Bmc`` + ``Ipmid`` and a listening socket on a
loopback address (TCP ``host:port`` or ``unix:/path``).  The VM connects as
the client (``-chardev socket,...,reconnect=N``); the server:

- sends ``FF 01 A1`` (VERSION 1) on connect and records the VM's
  CAPABILITIES; a peer must announce itself with VERSION or CAPABILITIES
  before its first request, or it is not a VM and is dropped;
- answers each request with ``ipmid.handle`` on the system interface
  (channel 0xF), echoing ``seq`` (reference/qemu-ipmi.md 1.3, 1.8);
- tells the VM about attention: the BMC calls ``set_atn`` (it is attached as
  the system interface) and the change goes out as NOATTN / ATTN /
  ATTN_IRQ; Set BMC Global Enables bit 0 goes out as ENABLE_IRQ /
  DISABLE_IRQ; both only if the VM declared ATTN / IRQ, and re-sent on every
  connection (QEMU clears SMS_ATN when the link drops);
- acts on the host through ``VmHost``, the BMC's ``HostControl``: power off,
  hard reset, NMI (diagnostic interrupt and watchdog pre-timeout) and soft
  shutdown become POWEROFF / RESET / SEND_NMI / GRACEFUL_SHUTDOWN, each only
  if the VM declared that capability (else 0xD5).  A control caused by a
  request follows that request's response, so the guest sees its answer.
- serves one connection at a time: a second one is accepted, named in the
  log and closed at once.  A peer that sends garbage is dropped: any bad
  frame before its VERSION, or ``max_bad_frames`` bad frames after it, or a
  run of bytes longer than any frame without a terminator.  A bad frame is
  never executed (the codec checks every checksum), so a dropped peer
  leaves no trace in the stores.  A peer that has not said VERSION or
  CAPABILITIES ``hello_timeout`` wall seconds after connecting is dropped,
  and one silent that long gives the slot up to a peer waiting to connect
  (never otherwise: QEMU is silent while its guest is).
- a ``unix:`` socket is created 0600, whatever the umask; lines a peer can
  repeat at will are rate-limited, the rest counted (``suppressed_log_lines``).

Wall time
---------
The simulated clock follows the wall clock (simpy.rt semantics, integer ns):
simulated ``t`` = monotonic wall ns since ``serve()`` began (plus the clock's
value then).  The loop runs every simulated event due up to "now", then
sleeps in ``select`` until the next event is due or a socket (or ``stop()``)
wakes it; with nothing scheduled it sleeps without a timeout, so an idle
server costs nothing.  A request is handled at the wall instant it arrived,
answered at once (as ``ipmi_sim`` and QEMU's own sim do, no firmware
latency), and the watchdog fires at its wall-clock deadline.  Runs are not
deterministic: their timing is the VM's.

Power: a VM that connects is a running machine (power on); one that
disconnects is off.  Power on and power cycle cannot be sent over the
protocol (``ipmi_sim`` launches QEMU instead), so they answer 0xD5 while
off; power on of a running VM is a no-op.
"""

from __future__ import annotations

import ipaddress
import os
import selectors
import socket
import stat
import time
from collections import Counter

from ..channel import ChannelBase
from ..ipmi.cc import CompletionCode
from ..ipmi.msg import Channel, ChannelProtocol
from ..privilege import Privilege
from ..wall_clock import BUSY_POLL_S, WakePipe, WallClock
from .codec import (
    VM_MAX_FRAME,
    VM_MAX_IPMI_MSG,
    VM_MIN_REQUEST,
    VM_PROTOCOL_VERSION,
    Decoder,
    DropReason,
    VmCap,
    VmCmd,
    VmControl,
    VmMessage,
    encode_control,
    encode_message,
)
from .extern import parse_addr
from .vm_host import VmHost

_RECV = 65536
# A frame is at most VM_MAX_FRAME bytes, each escaped into at most two on the wire:
# a longer run without a terminator is not the VM protocol.
_MAX_RUN = 2 * VM_MAX_FRAME + 2
# Output a peer has not read yet; past this it is not reading and is dropped.
_MAX_OUT = 1 << 20
_FLUSH_ON_CLOSE_S = 1.0
# A peer that has not said VERSION (or CAPABILITIES) this long after connecting is not a VM; and a
# peer silent this long gives the slot up to one waiting to connect (QEMU is silent while its guest is).
HELLO_TIMEOUT_S = 5.0
DEFAULT_NAME = "vm-server"     # the server's trace component (serve --pcap takes its msg-in/msg-out)
# Lines a peer can cause over and over (CAPABILITIES, VERSION, refused connections): this many of a
# kind per window, then one line counting the rest.
_LOG_BURST = 5
_LOG_WINDOW_S = 1.0


def parse_listen_addr(addr: str, field: str = "vm"):
    """``host:port`` (port 0: any free one) or ``unix:/path`` -> (family, sockaddr), loopback only."""
    host, sep, port = addr.rpartition(":") if isinstance(addr, str) else ("", "", "")
    if sep and host and not addr.startswith("unix:") and port.strip() == "0":
        family, sockaddr = parse_addr(f"{host}:1", field)
        sockaddr = (sockaddr[0], 0)
    else:
        family, sockaddr = parse_addr(addr, field)
    check_loopback(family, sockaddr, field)
    return family, sockaddr


def check_loopback(family: int, sockaddr, field: str = "vm") -> None:
    """Refuse anything but a loopback address: the link can power off, reset and NMI the VM."""
    if family == socket.AF_UNIX:
        return
    host, port = sockaddr[0], sockaddr[1]
    try:
        infos = socket.getaddrinfo(host, port, family, socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise ValueError(f"{field}: cannot resolve {host!r} ({exc.strerror})") from None
    for info in infos:
        addr = info[4][0]
        if not ipaddress.ip_address(addr.split("%", 1)[0]).is_loopback:
            raise ValueError(f"{field}: {host!r} ({addr}) is not a loopback address; the VM link can power off, "
                             "reset and NMI the VM, so it is served only on 127.0.0.0/8, ::1 or a unix socket")


class VmServer(ChannelBase):
    """This BMC, served to one VM at a time over the VM protocol, paced to the wall clock."""

    def __init__(self, sim, bmc, ipmid, host: VmHost, *, name: str = DEFAULT_NAME,
                 protocol: int = ChannelProtocol.KCS, max_bad_frames: int = 8, log=None, answer_delay=None,
                 hello_timeout: float = HELLO_TIMEOUT_S, busy_poll: float = BUSY_POLL_S):
        # answer_delay(request) -> ns: how long after a request its answer goes out (None: at once, as
        # ipmi_sim); a firmware preset's daemon latency and command cost.
        if bmc.host is not host:
            raise ValueError("host: the BMC must be built with this VmHost as its host (Bmc(sim, host=VmHost()))")
        if not isinstance(max_bad_frames, int) or max_bad_frames < 1:
            raise ValueError(f"max_bad_frames: {max_bad_frames!r} must be a positive int")
        self.sim = sim
        self.bmc = bmc
        self.ipmid = ipmid
        self.host = host
        self.name = name
        self.protocol = ChannelProtocol(protocol)
        if not isinstance(hello_timeout, (int, float)) or not hello_timeout > 0:
            raise ValueError(f"hello_timeout: {hello_timeout!r} must be a positive number of seconds")
        self.max_bad_frames = max_bad_frames
        self.hello_timeout = float(hello_timeout)
        if not isinstance(busy_poll, (int, float)) or busy_poll < 0:
            raise ValueError(f"busy_poll: {busy_poll!r} must be a number of seconds, 0 or more")
        self.busy_poll = float(busy_poll)
        self.log = log
        self.answer_delay = answer_delay
        host.link = self
        self.decoder = Decoder(min_len=VM_MIN_REQUEST, max_len=VM_MAX_FRAME, sim=sim, name=name,
                               on_drop=self._on_drop)
        self.address: str | None = None      # what the listener is bound to
        self.peer: str | None = None
        self.vm_version: int | None = None
        self.vm_ready = False                 # the peer announced itself (VERSION or CAPABILITIES)
        # Counters (for the CLI's summary and the robustness tests).
        self.connections = 0
        self.refused = 0
        self.dropped_peers = 0
        self.requests = 0
        self.controls_sent: Counter[VmCmd] = Counter()
        self.suppressed_log_lines = 0
        self._log_kinds: dict[str, list] = {}  # kind -> [window start, lines in it, suppressed since]
        self._connected_at = 0.0              # monotonic seconds
        self._last_rx = 0.0                   # monotonic seconds of the peer's last byte
        self._sel = selectors.DefaultSelector()
        self._listener: socket.socket | None = None
        self._unix_path: str | None = None
        self._conn: socket.socket | None = None
        self._out = bytearray()
        self._writing = False
        self._run = 0                         # wire bytes since the last terminator
        self._bad = 0
        self._drops: list[tuple[int, DropReason]] | None = None   # bad frames of the chunk being decoded
        self._deferred: list[VmCmd] | None = None
        self._atn = (False, False)
        self._atn_sent: tuple[bool, bool] | None = None
        self._irq = False
        self._irq_sent: bool | None = None
        self._stopping = False
        self._clock = WallClock(sim)
        self._wake = WakePipe(self._sel, "wake")
        bmc.attach_interface(self)

    # -- the BMC's system interface ---------------------------------------------------

    def set_atn(self, on: bool, irq: bool, t: int) -> None:
        self._atn = (bool(on), bool(irq))
        self._sync_atn(t)

    def set_irq_enable(self, on: bool, t: int) -> None:
        self._irq = bool(on)
        self._sync_irq(t)

    def _sync_atn(self, t: int) -> None:
        if not self.vm_ready or not self.host.capabilities & VmCap.ATTN or self._atn == self._atn_sent:
            return
        on, irq = self._atn_sent = self._atn
        self._control_out(VmCmd.ATTN_IRQ if on and irq else VmCmd.ATTN if on else VmCmd.NOATTN, t)

    def _sync_irq(self, t: int) -> None:
        if not self.vm_ready or not self.host.capabilities & VmCap.IRQ or self._irq == self._irq_sent:
            return
        self._irq_sent = self._irq
        self._control_out(VmCmd.ENABLE_IRQ if self._irq else VmCmd.DISABLE_IRQ, t)

    def send_control(self, cmd: VmCmd, t: int) -> None:
        """A host action (``VmHost``); one caused by a request goes out after its response."""
        if self._deferred is not None:
            self._deferred.append(cmd)
        else:
            self._control_out(cmd, t)

    def _control_out(self, cmd: VmCmd, t: int) -> None:
        if self._conn is None:
            return
        self.controls_sent[cmd] += 1
        self._trace(t, "control-out", cmd=cmd.name)
        if cmd not in (VmCmd.NOATTN, VmCmd.ATTN, VmCmd.ATTN_IRQ, VmCmd.ENABLE_IRQ, VmCmd.DISABLE_IRQ):
            self._say(f"sent {cmd.name} to the VM")
        self._send(encode_control(cmd))

    # -- listening ------------------------------------------------------------------------

    def listen(self, addr: str) -> str:
        """Bind to ``host:port`` (a loopback address; port 0 picks one) or ``unix:/path``; returns the bound address."""
        if self._listener is not None:
            raise RuntimeError(f"already listening on {self.address}")
        family, sockaddr = parse_listen_addr(addr)
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            if family == socket.AF_UNIX:
                self._clear_stale_unix(sockaddr)
            else:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(sockaddr)
            if family == socket.AF_UNIX:
                # Whoever can connect can power off, reset and NMI the VM: owner only, whatever the umask.
                # Before listen() a connect is refused, so there is no window with a looser mode.
                os.chmod(sockaddr, 0o600)
            sock.listen(4)
        except OSError as exc:
            sock.close()
            raise ValueError(f"vm: cannot listen on {addr} ({exc.strerror or exc})") from None
        sock.setblocking(False)
        self._listener = sock
        if family == socket.AF_UNIX:
            self._unix_path = sockaddr
            self.address = f"unix:{sockaddr}"
        else:
            host, port = sock.getsockname()[:2]
            self.address = f"[{host}]:{port}" if family == socket.AF_INET6 else f"{host}:{port}"
        self._sel.register(sock, selectors.EVENT_READ, "listen")
        self._trace(self.sim.now, "listen", addr=self.address)
        return self.address

    @staticmethod
    def _clear_stale_unix(path: str) -> None:
        """Remove a socket file nobody listens on (a server that died); refuse to touch anything else."""
        try:
            st = os.lstat(path)
        except FileNotFoundError:
            return
        if not stat.S_ISSOCK(st.st_mode):
            raise OSError(f"{path} exists and is not a socket")
        probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            probe.connect(path)
        except OSError:
            os.unlink(path)
            return
        finally:
            probe.close()
        raise OSError(f"another server listens on {path}")

    # -- the loop ----------------------------------------------------------------------------

    def _now(self) -> int:
        return self._clock.now()

    def _advance(self) -> int:
        """Run every simulated event due up to the wall clock's now; returns now."""
        return self._clock.advance()

    def add_reader(self, fileobj, callback) -> None:
        """Serve another socket in this loop: ``callback(now)`` when ``fileobj`` is readable (the LAN channel's)."""
        self._sel.register(fileobj, selectors.EVENT_READ, callback)

    def serve(self, duration: float | None = None) -> None:
        """Serve until ``stop()`` (from a signal handler or another thread) or ``duration`` wall seconds."""
        if self._listener is None:
            raise RuntimeError("listen() first")
        self._clock.start()
        end = None if duration is None else time.monotonic() + duration
        env = self.sim.env
        tracer = self.sim.tracer
        while not self._stopping:
            now = self._advance()
            due = env.peek()
            timeout = None if due == float("inf") else max(0.0, (due - self._now()) / 1e9)
            wall_due = self._wall_due()
            if wall_due is not None:
                left = max(0.0, wall_due - time.monotonic())
                timeout = left if timeout is None else min(timeout, left)
            if end is not None:
                left = end - time.monotonic()
                if left <= 0:
                    break
                timeout = left if timeout is None else min(timeout, left)
            for key, mask in self._sel.select(timeout):
                now = self._advance()
                what = key.data
                if what == "conn":
                    if key.fileobj is not self._conn:
                        continue  # closed while handling an earlier event of this batch
                    if mask & selectors.EVENT_READ and self._read(now):
                        self._busy_poll()
                    if mask & selectors.EVENT_WRITE and self._conn is key.fileobj:
                        self._flush(now)
                elif what == "listen":
                    self._accept(now)
                elif callable(what):
                    what(now)
                else:
                    self._wake.drain()
            if wall_due is not None:
                self._wall_checks(self._advance())
            if tracer.enabled and tracer.sinks:
                tracer.records.clear()  # a long-running server streams its trace; keeping it would grow forever

    def _busy_poll(self) -> None:
        """Keep reading the VM's socket for ``busy_poll`` seconds after a request (``WallClock.busy_poll``)."""
        self._clock.busy_poll(self._read, self.busy_poll,
                              lambda: not self._stopping and self._conn is not None and not self._out)

    def _wall_due(self) -> float | None:
        """The next wall instant (monotonic s) the loop must wake for: a hello deadline, a log summary."""
        due = [start + _LOG_WINDOW_S for start, _, held in self._log_kinds.values() if held]
        if self._conn is not None and not self.vm_ready:
            due.append(self._connected_at + self.hello_timeout)
        return min(due) if due else None

    def _wall_checks(self, t: int) -> None:
        wall = time.monotonic()
        if self._conn is not None and not self.vm_ready and wall >= self._connected_at + self.hello_timeout:
            self._drop(t, f"no VERSION or CAPABILITIES within {self.hello_timeout:g} s: not a VM-protocol peer")
        for kind, state in self._log_kinds.items():
            if state[2] and wall >= state[0] + _LOG_WINDOW_S:
                self._summarize(kind, state)

    def stop(self) -> None:
        """Ask ``serve()`` to return (safe from signal handlers and other threads)."""
        self._stopping = True
        self._wake.wake()

    def close(self) -> None:
        """Flush what the VM has not been sent yet, close the connection and the listener."""
        t = self.sim.now
        if self._conn is not None:
            sock = self._conn
            if self._out:
                try:
                    sock.settimeout(_FLUSH_ON_CLOSE_S)
                    sock.sendall(self._out)
                except OSError:
                    pass
                self._out.clear()
            self._disconnect(t, "server shutting down")
        self._summarize_all()
        if self._listener is not None:
            self._sel.unregister(self._listener)
            self._listener.close()
            self._listener = None
            if self._unix_path is not None:
                try:
                    os.unlink(self._unix_path)
                except OSError:
                    pass
        self._wake.close()
        self._sel.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- connections ---------------------------------------------------------------------------

    @property
    def connected(self) -> bool:
        return self._conn is not None

    def _accept(self, t: int) -> None:
        try:
            sock, peer = self._listener.accept()
        except (BlockingIOError, InterruptedError):
            return
        except OSError as exc:  # out of descriptors and the like: keep serving the one we have
            self._say(f"accept failed: {exc}")
            return
        who = _peer_name(peer)
        if self._conn is not None:
            # The VM may have closed and reconnected at once: take in what the old connection still holds first.
            for _ in range(64):
                if self._conn is None or not self._read(t):
                    break
        if self._conn is not None:
            idle = time.monotonic() - self._last_rx
            if idle > self.hello_timeout:
                self._drop(t, f"idle for {idle:.1f} s while {who} waits to connect")
        if self._conn is not None:
            self.refused += 1
            self._trace(t, "refused", peer=who, serving=self.peer)
            self._say(f"refused a second connection from {who}: already serving a VM from {self.peer} "
                      "(one VM connection at a time)", kind="refused")
            sock.close()
            return
        sock.setblocking(False)
        if sock.family != socket.AF_UNIX:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._conn = sock
        self.peer = who
        self.connections += 1
        self._connected_at = self._last_rx = time.monotonic()
        self._out.clear()
        self._writing = False
        self.decoder.reset()
        self._run = self._bad = 0
        self.vm_ready = False
        self.vm_version = None
        self._atn_sent = self._irq_sent = None
        self._sel.register(sock, selectors.EVENT_READ, "conn")
        self._trace(t, "connect", peer=who)
        self._say(f"connection from {who}")
        self._send(encode_control(VmCmd.VERSION, bytes((VM_PROTOCOL_VERSION,))))

    def _disconnect(self, t: int, why: str) -> None:
        sock = self._conn
        if sock is None:
            return
        self._conn = None
        try:
            self._sel.unregister(sock)
        except (KeyError, ValueError):
            pass
        sock.close()
        self._out.clear()
        self.decoder.reset()
        was_vm = self.vm_ready
        self.vm_ready = False
        self._trace(t, "disconnect", peer=self.peer, why=why)
        self._summarize_all()   # what this peer caused is told before it is gone
        self._say(f"{self.peer} disconnected: {why}")
        if was_vm:
            self.host.vm_disconnected(t)

    def _drop(self, t: int, why: str) -> None:
        self.dropped_peers += 1
        self._trace(t, "peer-dropped", peer=self.peer, why=why)
        self._disconnect(t, f"dropped: {why}")

    # -- receiving -----------------------------------------------------------------------------

    def _read(self, t: int) -> bool:
        """Take one chunk from the VM; False when there was nothing to read (or the connection ended)."""
        sock = self._conn
        try:
            chunk = sock.recv(_RECV)
        except (BlockingIOError, InterruptedError):
            return False
        except OSError as exc:
            self._disconnect(t, f"receive failed ({exc.strerror or exc})")
            return False
        if not chunk:
            self._disconnect(t, "closed by the peer")
            return False
        self._last_rx = time.monotonic()
        end = max(chunk.rfind(0xA0), chunk.rfind(0xA1))
        self._run = self._run + len(chunk) if end < 0 else len(chunk) - end - 1
        before = self.decoder.delivered
        self._drops = []
        items = self.decoder.feed(chunk, t)
        drops, self._drops = self._drops, None
        # Bad frames and good items in wire order: a bad frame counts against the peer as of where it stood.
        di = 0
        for k in range(len(items) + 1):
            while di < len(drops) and drops[di][0] <= before + k:
                if self._bad_frame(drops[di][1], t):
                    return False
                di += 1
            if k == len(items):
                break
            if self._conn is not sock:
                return False
            item = items[k]
            if isinstance(item, VmMessage):
                if not self.vm_ready:
                    self._drop(t, "a request before VERSION: not a VM-protocol peer")
                    return False
                self._request(item, t)
            else:
                self._control_in(item, t)
        if self._conn is not sock:
            return False
        if self._run > _MAX_RUN:
            self._drop(t, f"{self._run} bytes without a frame terminator")
            return False
        return True

    def _on_drop(self, reason: DropReason, frame: bytes, t) -> None:
        if self._drops is not None:
            self._drops.append((self.decoder.delivered, reason))  # how many good items came before it

    def _bad_frame(self, reason: DropReason, t: int) -> bool:
        """Count a bad frame; True when it got the peer dropped."""
        self._bad += 1
        if not self.vm_ready:
            self._drop(t, f"bad frame ({reason.name}) before VERSION: not a VM-protocol peer")
            return True
        if self._bad >= self.max_bad_frames:
            self._drop(t, f"{self._bad} bad frames (last: {reason.name})")
            return True
        return False

    def _control_in(self, ctl: VmControl, t: int) -> None:
        cmd = ctl.cmd
        self._trace(t, "control-in", cmd=cmd.name, data=ctl.data)
        if cmd == VmCmd.VERSION:
            self.vm_version = ctl.data[0]
            if self.vm_version != VM_PROTOCOL_VERSION:
                self._say(f"the VM speaks protocol version {self.vm_version}, this server {VM_PROTOCOL_VERSION}",
                          kind="VERSION")
            self._hello(t)
        elif cmd == VmCmd.CAPABILITIES:
            self.host.capabilities = ctl.capabilities
            self._say(f"VM capabilities 0x{int(ctl.capabilities):02X}: {_cap_names(ctl.capabilities)}",
                      kind="CAPABILITIES")
            self._hello(t)
            # Whatever was sent before under other capabilities, send the state again.
            self._atn_sent = self._irq_sent = None
            self._sync_irq(t)
            self._sync_atn(t)
        elif cmd == VmCmd.RESET and self.vm_ready:
            self.host.vm_reset(t)
        # Anything else is a BMC-to-VM command; a VM has no business sending it (QEMU ignores them too).

    def _hello(self, t: int) -> None:
        if not self.vm_ready:
            self.vm_ready = True
            self.host.vm_connected(t)

    def _request(self, msg: VmMessage, t: int) -> None:
        self.requests += 1
        self._trace(t, "msg-in", seq=msg.seq, msg=msg.msg)
        self._deferred = []
        try:
            rsp = self.ipmid.handle(msg.msg, privilege=Privilege.ADMINISTRATOR, channel=Channel.SYSTEM_INTERFACE, t=t)
        finally:
            deferred, self._deferred = self._deferred, None
        if len(rsp) > VM_MAX_IPMI_MSG:  # more than QEMU can take: the spec's "cannot return" code
            rsp = rsp[:2] + bytes((CompletionCode.CANNOT_RETURN_REQUESTED_BYTES,))
        delay = self.answer_delay(msg.msg) if self.answer_delay is not None else 0
        if delay > 0:
            self.sim.call_at(t + delay, self._answer, msg.seq, rsp, deferred)
        else:
            self._answer(msg.seq, rsp, deferred)

    def _answer(self, seq: int, rsp: bytes, deferred: list) -> None:
        self._trace(self.sim.now, "msg-out", seq=seq, msg=rsp)
        self._send(encode_message(seq, rsp))
        for cmd in deferred:
            self._control_out(cmd, self.sim.now)

    # -- sending ---------------------------------------------------------------------------------

    def _send(self, data: bytes) -> None:
        if self._conn is None:
            return
        self._out += data
        self._flush(self.sim.now)

    def _flush(self, t: int) -> None:
        sock = self._conn
        if sock is None:
            return
        if self._out:
            try:
                n = sock.send(self._out)
            except (BlockingIOError, InterruptedError):
                n = 0
            except OSError as exc:
                self._disconnect(t, f"send failed ({exc.strerror or exc})")
                return
            del self._out[:n]
        if len(self._out) > _MAX_OUT:
            self._drop(t, f"{len(self._out)} bytes unread: the peer does not read")
            return
        want = bool(self._out)
        if want != self._writing:
            self._writing = want
            events = selectors.EVENT_READ | (selectors.EVENT_WRITE if want else 0)
            self._sel.modify(sock, events, "conn")

    # -- reporting -------------------------------------------------------------------------------

    def _trace(self, t: int, event: str, **fields) -> None:
        if self.sim.tracer.enabled:
            self.sim.trace(t, "bmc", self.name, event, **fields)

    def _say(self, text: str, kind: str | None = None) -> None:
        """Log a line; one of a ``kind`` a peer can repeat at will is held past ``_LOG_BURST`` a window."""
        if self.log is None:
            return
        if kind is not None:
            wall = time.monotonic()
            state = self._log_kinds.setdefault(kind, [wall, 0, 0])
            if wall >= state[0] + _LOG_WINDOW_S:
                self._summarize(kind, state)
                state[0], state[1] = wall, 0
            if state[1] >= _LOG_BURST:
                state[2] += 1
                self.suppressed_log_lines += 1
                return
            state[1] += 1
        self.log(text)

    def _summarize(self, kind: str, state: list) -> None:
        if state[2]:
            held, state[2] = state[2], 0
            self.log(f"{held} more {kind} lines suppressed (at most {_LOG_BURST} a {_LOG_WINDOW_S:g} s)")

    def _summarize_all(self) -> None:
        if self.log is not None:
            for kind, state in self._log_kinds.items():
                self._summarize(kind, state)


def _peer_name(peer) -> str:
    if isinstance(peer, tuple):
        return f"{peer[0]}:{peer[1]}" if ":" not in peer[0] else f"[{peer[0]}]:{peer[1]}"
    return f"unix:{peer}" if peer else "unix socket"


def _cap_names(caps: VmCap) -> str:
    names = [c.name for c in VmCap if caps & c]
    return ", ".join(names) if names else "none"
