"""``LanChannel``: the BMC's LAN channel as a pure function of datagrams and simulated time.

``datagram(data, peer, t)`` takes one UDP payload from ``peer`` and returns
the datagrams to send back to it: RMCP ACK / ASF Pong, or IPMI v1.5 /
RMCP+ session packets.  Nothing here touches a socket or the wall clock;
``bmc.lan.server.LanServer`` does.  With tracing on, every datagram in and
every answer out is a ``udp-in`` / ``udp-out`` record (``peer``, ``local``,
``data``): the capture export writes them as IPv4/UDP packets.  Packets that fail any check (RMCP
version, session header, unknown session, authentication, sequence window,
LAN message checksums) are dropped without an answer, as OpenIPMI
``lanserv`` does: an attacker learns nothing.

Outside a session only Get Channel Authentication Capabilities, Get Session
Challenge and Get Channel Cipher Suites are answered, plus Activate Session
in the temporary session of a challenge (IPMI 2.0 section 6.12.8); every
other request runs in its session at the session's privilege, through the
dispatcher's own privilege check.
"""

from __future__ import annotations

import dataclasses
import hmac
import secrets

from ..ipmi.cmd import App
from ..ipmi.msg import ChannelMedium, ChannelProtocol
from ..ipmi.netfn import NetFn
from ..privilege import Privilege
from . import cipher, lan_msg, rakp, rmcp, rmcpplus, session15
from .rmcpplus import (
    PAYLOAD_IPMI,
    PAYLOAD_OPEN_SESSION_REQUEST,
    PAYLOAD_RAKP1,
    PAYLOAD_RAKP3,
    PAYLOAD_SOL,
)
from .session import SESSION_TIMEOUT_NS, WINDOW_15, WINDOW_20, SequenceWindow, Session, SessionTable

# Requests answered outside a session (6.12.8; Activate Session only in a challenge's temporary session).
SESSIONLESS = frozenset((App.GET_CHANNEL_AUTHENTICATION_CAPABILITIES, App.GET_SESSION_CHALLENGE,
                         App.GET_CHANNEL_CIPHER_SUITES))
# Channel access byte (Get Channel Access byte 1): bit 4 per-message authentication disabled,
# bit 3 user-level authentication disabled, bits 2:0 access mode (0 = disabled).
ACCESS_PER_MSG_AUTH_DISABLED = 0x10
ACCESS_USER_AUTH_DISABLED = 0x08
MULTI_SESSION = 0x80          # Get Channel Info byte 5 bits 7:6 = 10b
DEFAULT_LOCAL = ("127.0.0.1", 623)


class LanChannel:
    """One LAN channel of ``bmc`` (default channel 1), answering through ``ipmid``."""

    def __init__(self, sim, bmc, ipmid, channel: int = 1, *, secure_random: bool = False,
                 session_timeout_ns: int = SESSION_TIMEOUT_NS, max_sessions: int | None = None,
                 local=DEFAULT_LOCAL):
        if not 1 <= channel <= 0xB:
            raise ValueError(f"channel {channel!r} out of range 1-0xB")
        # The channel's own UDP address, for the datagram records: LanServer.listen sets the bound one;
        # a channel driven in simulation is at the RMCP port, UDP 623 (as ipmi_sim's lanserv default).
        self.local = local
        self.sim = sim
        self.bmc = bmc
        self.ipmid = ipmid
        self.channel = channel
        rng = secrets.SystemRandom() if secure_random else sim.rng
        kw = {} if max_sessions is None else {"max_sessions": max_sessions}
        self.sessions = SessionTable(self, rng, timeout_ns=session_timeout_ns, **kw)
        self.sink = None              # callable(peer, datagram): packets sent outside datagram() (SOL output)
        self.outbox: list[tuple[object, bytes]] = []   # the same, when there is no sink (simulation, tests)
        self._replies: list[bytes] | None = None
        self._peer = None
        self._t = 0
        self.dropped = 0
        self._current: Session | None = None
        info = bmc.channels.get(channel)
        if info is None or info.medium not in (ChannelMedium.LAN_802_3, ChannelMedium.OTHER_LAN):
            bmc.channels[channel] = _lan_info()   # a BMC built without lan_channel= gets its LAN channel here
        bmc.lan = self
        self.sessions_changed()

    # -- bookkeeping the commands use -----------------------------------------------------

    def sessions_changed(self) -> None:
        """Get Channel Info byte 5: multi-session, and how many sessions are active."""
        info = self.bmc.channels.get(self.channel)
        if info is not None:
            count = len(self.sessions.active()) & 0x3F
            self.bmc.channels[self.channel] = dataclasses.replace(info, session_support=MULTI_SESSION | count)

    def start_window(self, s: Session, highest: int) -> None:
        size = WINDOW_20 if s.version == 0x20 else WINDOW_15
        s.inbound = SequenceWindow(size, highest)
        s.inbound_unauth = SequenceWindow(size, highest)

    def close(self, s: Session) -> None:
        """Close Session: a session closing itself goes after its answer is sent."""
        if self._replies is not None and s is self._current:
            s.closing = True
        else:
            self.sessions.remove(s)

    @staticmethod
    def peer_address(peer) -> tuple[bytes, int]:
        """(IPv4 address bytes, port) of a peer for Get Session Info; zeros when not IPv4."""
        try:
            host, port = peer[0], int(peer[1])
            return bytes(int(p) for p in host.split(".")), port
        except (TypeError, ValueError, IndexError, AttributeError):
            return bytes(4), 0

    def trace(self, t: int, event: str, **fields) -> None:
        if self.sim.tracer.enabled:
            self.sim.trace(t, "bmc", f"{self.bmc.name}.lan{self.channel}", event, **fields)

    def _drop(self, t: int, why: str) -> list[bytes]:
        self.dropped += 1
        self.trace(t, "drop", why=why)
        return []

    # -- the datagram function ------------------------------------------------------------------

    def datagram(self, data: bytes, peer, t: int) -> list[bytes]:
        """Answer one UDP payload from ``peer`` at simulated time ``t``: the datagrams to send back."""
        if not self.sim.tracer.enabled:
            return self._answer(data, peer, t)
        self._trace_udp(t, "udp-in", peer, data)
        answers = self._answer(data, peer, t)
        for packet in answers:
            self._trace_udp(t, "udp-out", peer, packet)
        return answers

    def _trace_udp(self, t: int, event: str, peer, data: bytes) -> None:
        self.trace(t, event, peer=format_addr(peer), local=format_addr(self.local), data=bytes(data))

    def _answer(self, data: bytes, peer, t: int) -> list[bytes]:
        self.sessions.expire(t)
        h = rmcp.parse_header(data)
        if h is None:
            return self._drop(t, "not RMCP 1.0")
        if h.ack:
            return []                                   # we never ask for ACKs: nothing to match
        body = bytes(data[4:])
        if h.msg_class == rmcp.CLASS_ASF:
            return rmcp.handle_asf(h, body)
        if h.msg_class != rmcp.CLASS_IPMI or not body:
            return self._drop(t, f"RMCP class 0x{h.msg_class:X}")
        if self.bmc.channel_access.settings(self.channel, volatile=True).access & 0x07 == 0:
            return self._drop(t, "channel access mode disabled")
        self._replies, self._peer, self._current, self._t = [], peer, None, t
        try:
            if body[0] == session15.AUTHTYPE_RMCPP:
                self._plus(body, peer, t)
            else:
                self._v15(body, peer, t)
            return self._replies
        finally:
            self._replies = self._current = None

    def _emit(self, packet: bytes) -> None:
        self._replies.append(rmcp.header(rmcp.CLASS_IPMI) + packet)

    def _dispatch(self, req: lan_msg.LanRequest, privilege: int, session, t: int) -> bytes | None:
        """The LAN response message for a request (None: not for this BMC)."""
        if req.rs_addr != self.bmc.slave_address:
            return None
        # msg-in / msg-out as the VM server names them: ``serve --pcap`` captures LAN requests too.
        who = f"0x{session.bmc_id:08X}" if session else "none"
        self.trace(t, "msg-in", session=who, seq=req.rq_seq, msg=req.body)
        rsp = self.ipmid.handle(req.body, privilege=privilege, channel=self.channel, t=t, session=session)
        self.trace(t, "msg-out", session=who, seq=req.rq_seq, msg=rsp)
        return lan_msg.encode_response(req, rsp, self.bmc.slave_address)

    def _sessionless(self, msg: bytes, t: int) -> bytes | None:
        req = lan_msg.decode_request(msg)
        if req is None or req.netfn != NetFn.APP or req.cmd not in SESSIONLESS:
            return None
        return self._dispatch(req, Privilege.CALLBACK, None, t)

    def _password(self, uid: int) -> bytes:
        user = self.bmc.users.get(uid)
        return user.password if user is not None else b""

    # -- IPMI v1.5 ----------------------------------------------------------------------------------

    def _v15(self, body: bytes, peer, t: int) -> None:
        pkt = session15.parse(body)
        if pkt is None:
            self._drop(t, "bad v1.5 session header")
            return
        table = self.sessions
        if pkt.session_id == 0:
            rsp = self._sessionless(pkt.message, t)
            if rsp is not None:
                self._emit(session15.encode(session15.AUTHTYPE_NONE, 0, 0, rsp))
            return
        pending = table.challenges.get(pkt.session_id)
        if pending is not None:
            self._activate(pending, pkt, peer, t)
            return
        s = table.get(pkt.session_id)
        if s is None or not s.active or s.version != 0x15:
            self._drop(t, f"unknown session 0x{pkt.session_id:08X}")
            return
        password = self._password(s.uid)
        if pkt.auth_type == s.auth_type:
            if pkt.auth_code != session15.auth_code(pkt.auth_type, password, s.bmc_id, pkt.seq, pkt.message):
                self._drop(t, "bad v1.5 auth code")
                return
        elif not (pkt.auth_type == session15.AUTHTYPE_NONE and self._unauthenticated_ok(s)):
            self._drop(t, f"auth type 0x{pkt.auth_type:X} in a 0x{s.auth_type:X} session")
            return
        if not s.inbound.accept(pkt.seq):
            self._drop(t, f"sequence number 0x{pkt.seq:08X} outside the window or repeated")
            return
        req = lan_msg.decode_request(pkt.message)
        if req is None:
            self._drop(t, "bad LAN message checksum")
            return
        s.last_activity = t
        self._current = s
        rsp = self._dispatch(req, s.privilege, s, t)
        if rsp is not None:
            # Answered with the request's auth type (libfreeipmi checks the session's auth code on answers).
            self._emit(session15.encode(pkt.auth_type, s.next_outbound_seq(), s.bmc_id, rsp, password))
        if s.closing:
            table.remove(s, t)

    def _unauthenticated_ok(self, s: Session) -> bool:
        """Per-message authentication disabled, or user-level authentication disabled for a User session."""
        access = self.bmc.channel_access.settings(self.channel, volatile=True).access
        return bool(access & ACCESS_PER_MSG_AUTH_DISABLED
                    or access & ACCESS_USER_AUTH_DISABLED and s.privilege <= Privilege.USER)

    def _activate(self, pending: Session, pkt, peer, t: int) -> None:
        """Activate Session in a challenge's temporary session: authenticated with the user's password."""
        table = self.sessions
        password = self._password(pending.uid)
        if pkt.auth_type != pending.auth_type or pkt.seq != 0:
            self._drop(t, "Activate Session with another auth type or a non-zero sequence number")
            return
        if table.lockout.locked(pending.uid, t):
            # Locked out after this challenge was given: refused right password or wrong alike, so a
            # brute-force loop that took challenges in advance learns nothing during the lockout.
            self._drop(t, f"Activate Session: user {pending.uid} locked out")
            return
        if pkt.auth_code != session15.auth_code(pkt.auth_type, password, pending.bmc_id, 0, pkt.message):
            table.lockout.bad_password(pending.uid, t)
            self.trace(t, "bad-password", user=pending.uid)
            self._drop(t, "Activate Session: bad auth code (wrong password)")
            return
        req = lan_msg.decode_request(pkt.message)
        if req is None or req.netfn != NetFn.APP or req.cmd != App.ACTIVATE_SESSION:
            self._drop(t, "only Activate Session in a temporary session")
            return
        pending.peer = peer
        rsp = self._dispatch(req, Privilege.CALLBACK, pending, t)
        if rsp is not None:
            # The response carries the initial outbound sequence number (FreeIPMI takes it as the first seen).
            s = pending.extra.get("activated")
            seq = s.next_outbound_seq() if s is not None else 0
            self._emit(session15.encode(pkt.auth_type, seq, pending.bmc_id, rsp, password))

    # -- RMCP+ --------------------------------------------------------------------------------------

    def _plus(self, body: bytes, peer, t: int) -> None:
        head = rmcpplus.parse(body)
        if head is None:
            self._drop(t, "bad RMCP+ session header")
            return
        if head.session_id == 0:
            if head.authenticated or head.encrypted:
                self._drop(t, "session-less RMCP+ packet with integrity or confidentiality")
                return
            handler = {PAYLOAD_OPEN_SESSION_REQUEST: rakp.open_session, PAYLOAD_RAKP1: rakp.rakp1,
                       PAYLOAD_RAKP3: rakp.rakp3}.get(head.payload_type)
            if handler is not None:
                handler(self, head.payload, peer, t)
            elif head.payload_type == PAYLOAD_IPMI:
                rsp = self._sessionless(head.payload, t)
                if rsp is not None:
                    self._emit(rmcpplus.encode(PAYLOAD_IPMI, 0, 0, rsp))
            else:
                self._drop(t, f"session-less payload type 0x{head.payload_type:02X}")
            return
        s = self.sessions.get(head.session_id)
        if s is None or not s.active or s.version != 0x20:
            self._drop(t, f"unknown session 0x{head.session_id:08X}")
            return
        suite = s.suite
        icv = cipher.integrity_len(suite.integrity)
        if suite.integrity != cipher.INTEGRITY_NONE:
            pkt = rmcpplus.parse(body, icv) if head.authenticated else None
            if pkt is None or not hmac.compare_digest(
                    pkt.auth_code, cipher.integrity_code(suite.integrity, s.k1, pkt.signed)):
                self._drop(t, "RMCP+ integrity check failed")
                return
            window = s.inbound
        elif head.authenticated:
            self._drop(t, "authenticated packet in a session without integrity")
            return
        else:
            pkt, window = head, s.inbound_unauth
        if pkt.encrypted != (suite.conf != cipher.CONF_NONE):
            self._drop(t, "confidentiality does not match the session's")
            return
        if not window.accept(pkt.seq):
            self._drop(t, f"sequence number 0x{pkt.seq:08X} outside the window or repeated")
            return
        payload = pkt.payload
        if pkt.encrypted:
            payload = cipher.aes_decrypt(s.k2, payload)
            if payload is None:
                self._drop(t, "AES-CBC payload: bad length or pad")
                return
        s.last_activity = t
        self._current = s
        if pkt.payload_type == PAYLOAD_IPMI:
            req = lan_msg.decode_request(payload)
            if req is None:
                self._drop(t, "bad LAN message checksum")
                return
            rsp = self._dispatch(req, s.privilege, s, t)
            if rsp is not None:
                self._emit(self._wrap(s, PAYLOAD_IPMI, rsp))
        elif pkt.payload_type == PAYLOAD_SOL:
            sol = getattr(self.bmc, "sol", None)
            if sol is None:
                self._drop(t, "SOL payload: no SOL on this BMC")
            else:
                sol.on_payload(s, payload, t)
        else:
            self._drop(t, f"payload type 0x{pkt.payload_type:02X}")
        if s.closing:
            self.sessions.remove(s, t)

    def _wrap(self, s: Session, payload_type: int, data: bytes) -> bytes:
        """An outbound packet of session ``s``: encrypted and signed as its cipher suite says."""
        suite = s.suite
        encrypted = suite.conf != cipher.CONF_NONE
        if encrypted:
            data = cipher.aes_encrypt(s.k2, self.sessions.random_bytes(cipher.AES_BLOCK), data)
        return rmcpplus.encode(payload_type, s.console_id, s.next_outbound_seq(), data, encrypted=encrypted,
                               integrity=suite.integrity, k1=s.k1)

    def send_payload(self, s: Session, payload_type: int, data: bytes) -> None:
        """Send a payload in an active RMCP+ session, now (inside ``datagram``: with its answers)."""
        if not s.active or s.version != 0x20:
            raise ValueError(f"session 0x{s.bmc_id:08X} is not an active RMCP+ session")
        packet = rmcp.header(rmcp.CLASS_IPMI) + self._wrap(s, payload_type, data)
        if self._replies is not None and s.peer == self._peer:
            self._replies.append(packet)       # traced with datagram()'s answers
            return
        if self.sim.tracer.enabled:    # inside datagram() (another console's session): at its instant
            self._trace_udp(self._t if self._replies is not None else self.sim.now, "udp-out", s.peer, packet)
        if self.sink is not None:
            self.sink(s.peer, packet)
        else:
            self.outbox.append((s.peer, packet))

    def reply_plus(self, payload_type: int, payload: bytes) -> None:
        self._emit(rmcpplus.encode(payload_type, 0, 0, payload))

    def guid(self) -> bytes:
        ident = self.bmc.identity
        return ident.system_guid or ident.device_guid or bytes(16)

    def pending(self, bmc_id: int) -> Session | None:
        s = self.sessions.get(bmc_id)
        return s if s is not None and not s.active and s.version == 0x20 else None


def format_addr(addr) -> str:
    """A socket address as the records show it: ``host:port``, ``[v6host]:port``; anything else as str()."""
    try:
        host, port = str(addr[0]), int(addr[1])
    except (TypeError, ValueError, IndexError):
        return str(addr)
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _lan_info():
    from ..bmc import ChannelInfo  # the BMC's channel description; imported late (bmc.bmc imports much)

    return ChannelInfo(ChannelMedium.LAN_802_3, ChannelProtocol.IPMB_10, session_support=MULTI_SESSION)
