"""``LanServer``: the LAN channels of one or more BMCs on real UDP sockets, paced to the wall clock.

Each served BMC's ``LanChannel`` gets its own UDP socket (``listen``); a
datagram is answered at the wall instant it arrived (simulated ``t`` =
wall ns since ``serve()`` began, ``bmc.wall_clock``), as ``ipmi_sim``'s
lanserv does, and the answers leave by the socket it came in on.  Served
alone, ``serve()`` runs its own select loop; beside a ``VmServer`` on the
same simulation, ``attach(vm_server)`` puts the sockets in the VM server's
loop instead, so one clock paces both.

Only loopback addresses are served unless ``allow_remote``: a LAN session
can power off and reset the host.
"""

from __future__ import annotations

import ipaddress
import selectors
import socket
import time

from ..vm.extern import parse_addr
from ..wall_clock import BUSY_POLL_S, WakePipe, WallClock

_MAX_DATAGRAM = 65536
_BURST = 64            # datagrams taken from one socket per wake-up, so no socket starves the others


def parse_lan_addr(addr: str, allow_remote: bool = False, field: str = "lan"):
    """``host:port`` (port 0: any free one) -> (family, sockaddr); loopback only unless ``allow_remote``."""
    if not isinstance(addr, str) or addr.startswith("unix:"):
        raise ValueError(f"{field}: {addr!r} is not host:port (the LAN channel is UDP)")
    host, sep, port = addr.rpartition(":")
    zero = sep and host and port.strip() == "0"
    family, sockaddr = parse_addr(f"{host}:1" if zero else addr, field)
    if zero:
        sockaddr = (sockaddr[0], 0)
    try:
        infos = socket.getaddrinfo(sockaddr[0], sockaddr[1], family, socket.SOCK_DGRAM)
    except socket.gaierror as exc:
        raise ValueError(f"{field}: cannot resolve {sockaddr[0]!r} ({exc.strerror})") from None
    if not allow_remote:
        for info in infos:
            ip = info[4][0]
            if not ipaddress.ip_address(ip.split("%", 1)[0]).is_loopback:
                raise ValueError(f"{field}: {sockaddr[0]!r} ({ip}) is not a loopback address; a LAN session can "
                                 "power off and reset the host, so other addresses need --allow-remote")
    return family, infos[0][4][:2] if family == socket.AF_INET else infos[0][4]


class LanServer:
    """UDP sockets for LAN channels, on one simulation."""

    def __init__(self, sim, *, log=None, busy_poll: float = BUSY_POLL_S):
        if not isinstance(busy_poll, (int, float)) or busy_poll < 0:
            raise ValueError(f"busy_poll: {busy_poll!r} must be a number of seconds, 0 or more")
        self.sim = sim
        self.log = log
        self.busy_poll = float(busy_poll)
        self.clock = WallClock(sim)
        self.addresses: list[str] = []
        self.datagrams = 0
        self.answers = 0
        self._socks: list[tuple[socket.socket, object]] = []
        self._sel = selectors.DefaultSelector()
        self._stopping = False
        self._wake = WakePipe(self._sel, None)
        self._vm = None

    def listen(self, channel, addr: str, *, allow_remote: bool = False) -> str:
        """Serve ``channel`` (a ``LanChannel``) on UDP ``addr``; returns the bound ``host:port``."""
        family, sockaddr = parse_lan_addr(addr, allow_remote)
        sock = socket.socket(family, socket.SOCK_DGRAM)
        try:
            sock.bind(sockaddr)
        except OSError as exc:
            sock.close()
            raise ValueError(f"lan: cannot listen on {addr} ({exc.strerror or exc})") from None
        sock.setblocking(False)
        host, port = sock.getsockname()[:2]
        bound = f"[{host}]:{port}" if family == socket.AF_INET6 else f"{host}:{port}"
        channel.local = (host, port)          # the channel's datagram records name the bound address
        self._socks.append((sock, channel))
        channel.sink = lambda peer, packet, s=sock: self._sendto(s, packet, peer)
        self._sel.register(sock, selectors.EVENT_READ, (sock, channel))
        if self._vm is not None:
            self._vm.add_reader(sock, lambda now, s=sock, c=channel: self._read(s, c, now))
        self.addresses.append(bound)
        return bound

    def attach(self, vm_server) -> None:
        """Serve these sockets from ``vm_server``'s loop (same BMC and simulation), not our own."""
        self._vm = vm_server
        self.clock = vm_server._clock     # one wall clock for the loop that serves both
        for sock, channel in self._socks:
            vm_server.add_reader(sock, lambda now, s=sock, c=channel: self._read(s, c, now))

    def _sendto(self, sock, packet: bytes, peer) -> None:
        try:
            sock.sendto(packet, peer)
            self.answers += 1
        except OSError:
            pass    # UDP: a peer that went away loses its answer, as on a real network

    def _read(self, sock, channel, t: int) -> None:
        """The datagrams waiting on ``sock``, then a spin on it for the peer's next one (``busy_poll``)."""
        if self._take(sock, channel, t):
            self.clock.busy_poll(lambda now: self._take(sock, channel, now), self.busy_poll,
                                 lambda: not self._stopping)

    def _take(self, sock, channel, t: int) -> bool:
        """Answer up to ``_BURST`` waiting datagrams; whether there was one."""
        took = False
        for _ in range(_BURST):
            try:
                data, peer = sock.recvfrom(_MAX_DATAGRAM)
            except OSError:    # nothing waiting (BlockingIOError), or an ICMP error reported late
                return took
            if took:      # a later one of the burst came in after the answers before it: its own instant
                t = self.clock.advance()
            took = True
            self.datagrams += 1
            for packet in channel.datagram(data, peer, t):
                self._sendto(sock, packet, peer)
        return took

    def serve(self, duration: float | None = None) -> None:
        """Serve until ``stop()`` or ``duration`` wall seconds (alone: no VmServer attached)."""
        if self._vm is not None:
            raise RuntimeError("attached to a VmServer: its serve() runs these sockets")
        self.clock.start()
        end = None if duration is None else time.monotonic() + duration
        tracer = self.sim.tracer
        while not self._stopping:
            self.clock.advance()
            timeout = self.clock.timeout_s()
            if end is not None:
                left = end - time.monotonic()
                if left <= 0:
                    break
                timeout = left if timeout is None else min(timeout, left)
            for key, _mask in self._sel.select(timeout):
                now = self.clock.advance()
                if key.data is None:
                    self._wake.drain()
                else:
                    self._read(*key.data, now)
            if tracer.enabled and tracer.sinks:
                tracer.records.clear()

    def stop(self) -> None:
        """Ask ``serve()`` to return (safe from signal handlers and other threads)."""
        self._stopping = True
        self._wake.wake()

    def close(self) -> None:
        for sock, channel in self._socks:
            channel.sink = None
            try:
                self._sel.unregister(sock)
            except (KeyError, ValueError):
                pass
            sock.close()
        self._socks.clear()
        self._wake.close()
        self._sel.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
