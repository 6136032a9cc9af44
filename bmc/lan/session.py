"""The LAN session table (IPMI 2.0 sections 6.12, 13.14-13.24, 22.15-22.20), sized as OpenIPMI ``ipmi_sim``'s.

A ``Session`` is an IPMI v1.5 session (Activate Session) or an RMCP+ one
(Open Session + RAKP); until it is active it is "pending" (a v1.5 temporary
session from Get Session Challenge, or an RMCP+ session between Open Session
and RAKP 3).  Every request in an active session runs at the session's
privilege.  Random session IDs, challenges and RAKP random numbers come
from the table's ``rng``: ``sim.rng`` in simulation (same seed, same bytes),
``secrets.SystemRandom`` when serving a real socket.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from buses.time import S

from ..privilege import Privilege

MAX_SESSIONS = 63                     # ipmi_sim's MAX_SESSIONS; Get Session Info's 6-bit count
MAX_PENDING_CHALLENGES = 16           # temporary v1.5 sessions held at once; the oldest is forgotten
SESSION_TIMEOUT_NS = 60 * S           # section 6.12.15: inactivity timeout, 60 s +/- 3 s by default
# Sliding windows of accepted inbound sequence numbers: v1.5 (section 6.12.13) 8 either side of the
# highest received; RMCP+ (13.28.?) 16.  A number inside the window is accepted once.
WINDOW_15 = 8
WINDOW_20 = 16


class SequenceWindow:
    """Inbound session sequence numbers: accept each number once, within ``size`` of the highest seen."""

    __slots__ = ("size", "highest", "seen")

    def __init__(self, size: int, highest: int = 0):
        self.size = size
        self.highest = highest & 0xFFFFFFFF
        self.seen = 1               # bit k: highest - k was received (bit 0: highest itself)

    def accept(self, seq: int) -> bool:
        if seq == 0:
            return False            # 0 is never a valid in-session number (6.12.13)
        ahead = (seq - self.highest) & 0xFFFFFFFF
        if 0 < ahead <= self.size:
            self.seen = (self.seen << ahead | 1) & ((1 << (self.size + 1)) - 1)
            self.highest = seq
            return True
        behind = (self.highest - seq) & 0xFFFFFFFF
        if behind == 0 or behind > self.size or self.seen >> behind & 1:
            return False            # a duplicate (a replayed packet) or outside the window
        self.seen |= 1 << behind
        return True


@dataclass(eq=False)
class Session:
    table: SessionTable
    bmc_id: int                      # the managed system's session ID (what inbound packets carry)
    version: int                     # 0x15 (IPMI v1.5) or 0x20 (RMCP+)
    peer: object = None
    console_id: int = 0              # RMCP+: the remote console's session ID (what outbound packets carry)
    handle: int = 0
    uid: int = 0
    name: bytes = b""
    active: bool = False
    privilege: int = Privilege.USER
    max_privilege: int = Privilege.USER
    auth_type: int = 0               # v1.5 session auth type
    suite: object = None             # RMCP+ cipher suite
    challenge: bytes = b""           # v1.5 Get Session Challenge
    console_random: bytes = b""
    bmc_random: bytes = b""
    role: int = 0                    # RAKP 1's requested privilege byte
    sik: bytes = b""
    k1: bytes = b""
    k2: bytes = b""
    outbound_seq: int = 0
    inbound: SequenceWindow | None = None
    inbound_unauth: SequenceWindow | None = None
    last_activity: int = 0
    closing: bool = False
    extra: dict = field(default_factory=dict)   # room for payload engines (SOL) to keep per-session state

    # What payload engines (SOL, bmc.commands.payload) read of a session.
    @property
    def id(self) -> int:
        return self.bmc_id

    @property
    def user_id(self) -> int:
        return self.uid

    @property
    def rmcp_plus(self) -> bool:
        return self.version == 0x20

    @property
    def closed(self) -> bool:
        return self.closing or not self.active

    @property
    def authenticated(self) -> bool:
        """Packets carry an integrity check (RMCP+ with an integrity algorithm)."""
        return self.suite is not None and self.suite.integrity != 0

    @property
    def encrypted(self) -> bool:
        """Payloads are encrypted (RMCP+ with a confidentiality algorithm)."""
        return self.suite is not None and self.suite.conf != 0

    def next_outbound_seq(self) -> int:
        self.outbound_seq = (self.outbound_seq + 1) & 0xFFFFFFFF or 1
        return self.outbound_seq

    def send_payload(self, payload_type: int, data: bytes) -> None:
        """Send ``data`` as an outbound packet of this (RMCP+) session: its integrity, confidentiality
        and next outbound sequence number (the SOL engine sends host output with it)."""
        self.table.channel.send_payload(self, payload_type, data)


class LoginLockout:
    """Bad password counting per user (LAN parameter 26, ``lan_config.bad_password``)."""

    def __init__(self, policy_source):
        self._policy = policy_source          # callable -> BadPasswordPolicy (read each time: Set LAN Config)
        self.failures: dict[int, list[int]] = {}   # uid -> [count, time of the first failure counted]
        self.locked_until: dict[int, int] = {}

    def locked(self, uid: int, t: int) -> bool:
        until = self.locked_until.get(uid)
        if until is None:
            return False
        if t >= until:
            del self.locked_until[uid]
            return False
        return True

    def bad_password(self, uid: int, t: int) -> bool:
        """Count a failed login; True when this one reached the threshold and locked the user out."""
        p = self._policy()
        if not p.threshold:
            return False
        count, first = self.failures.get(uid, (0, t))
        if p.reset_interval_s and t - first >= p.reset_interval_s * S:
            count, first = 0, t
        count += 1
        if count >= p.threshold:
            self.locked_until[uid] = t + p.lockout_interval_s * S
            self.failures.pop(uid, None)
            return True
        self.failures[uid] = [count, first]
        return False

    def attempt(self, uid: int, t: int) -> bool:
        """RMCP+: a RAKP 2 keyed with the user's password went out.  It counts as a bad password until a
        valid RAKP 3 proves the password (``good_login(uid, undo_lock=...)``): a console whose password is
        wrong sees RAKP 2's code fail and gives up without a RAKP 3 (ipmitool, FreeIPMI), so the BMC never
        hears of the failure otherwise.  True when this attempt locked the user out."""
        return self.bad_password(uid, t)

    def good_login(self, uid: int, undo_lock: bool = False) -> None:
        """A login proved the password: the failures count restarts; ``undo_lock``: the lock this same
        attempt set (it reached the threshold before its RAKP 3 came) is lifted."""
        self.failures.pop(uid, None)
        if undo_lock:
            self.locked_until.pop(uid, None)


class SessionTable:
    """Active and pending sessions of one LAN channel."""

    def __init__(self, channel, rng, *, max_sessions: int = MAX_SESSIONS, timeout_ns: int = SESSION_TIMEOUT_NS):
        if not 1 <= max_sessions <= MAX_SESSIONS:
            raise ValueError(f"max_sessions {max_sessions!r} out of range 1-{MAX_SESSIONS}")
        if not isinstance(timeout_ns, int) or timeout_ns <= 0:
            raise ValueError(f"session timeout {timeout_ns!r} must be a positive int of ns")
        self.channel = channel
        self.rng = rng
        self.max_sessions = max_sessions
        self.timeout_ns = timeout_ns
        self.sessions: dict[int, Session] = {}       # bmc_id -> session (pending RMCP+ ones too)
        self.challenges: dict[int, Session] = {}     # temporary v1.5 session id -> pending challenge
        self.lockout = LoginLockout(lambda: channel.bmc.lan_config.bad_password)

    # -- ids and random numbers ---------------------------------------------------------

    def random_bytes(self, n: int) -> bytes:
        return self.rng.getrandbits(8 * n).to_bytes(n, "little")

    def _new_id(self) -> int:
        while True:
            sid = self.rng.getrandbits(32)
            if sid and sid not in self.sessions and sid not in self.challenges:
                return sid

    # -- lifetime -----------------------------------------------------------------------

    def expire(self, t: int) -> None:
        """Drop sessions idle longer than the inactivity timeout (and pending ones as old)."""
        gone = [sid for sid, s in self.sessions.items() if t - s.last_activity > self.timeout_ns]
        for sid in gone:
            self.remove(self.sessions[sid], t)
        for sid in [sid for sid, s in self.challenges.items() if t - s.last_activity > self.timeout_ns]:
            del self.challenges[sid]

    def full(self) -> bool:
        return len(self.sessions) >= self.max_sessions

    def _handle(self) -> int:
        used = {s.handle for s in self.sessions.values()}
        return next(h for h in range(1, self.max_sessions + 1) if h not in used)

    def add(self, version: int, peer, t: int) -> Session | None:
        """A new session slot (pending); None when the table is full."""
        if self.full():
            return None
        s = Session(self, self._new_id(), version, peer, handle=self._handle(), last_activity=t)
        self.sessions[s.bmc_id] = s
        self.channel.sessions_changed()
        return s

    def add_challenge(self, uid: int, name: bytes, auth_type: int, peer, t: int) -> Session:
        if len(self.challenges) >= MAX_PENDING_CHALLENGES:
            del self.challenges[next(iter(self.challenges))]
        s = Session(self, self._new_id(), 0x15, peer, uid=uid, name=name, auth_type=auth_type,
                    challenge=self.random_bytes(16), last_activity=t)
        self.challenges[s.bmc_id] = s
        return s

    def remove(self, s: Session, t: int | None = None) -> None:
        """End a session (closed, timed out or failed); a payload it carried (SOL) ends with it."""
        if self.sessions.get(s.bmc_id) is s:
            del self.sessions[s.bmc_id]
            self.channel.sessions_changed()
            was_active, s.active, s.closing = s.active, False, True
            sol = getattr(self.channel.bmc, "sol", None)
            if was_active and sol is not None:
                sol.session_closed(s, self.channel.sim.now if t is None else t)

    def active(self) -> list[Session]:
        return sorted((s for s in self.sessions.values() if s.active), key=lambda s: s.handle)

    def by_handle(self, handle: int) -> Session | None:
        return next((s for s in self.active() if s.handle == handle), None)

    def get(self, sid: int) -> Session | None:
        return self.sessions.get(sid)

    def user_sessions(self, uid: int) -> int:
        return sum(1 for s in self.sessions.values() if s.active and s.uid == uid)

    # -- who may log in, and how high -----------------------------------------------------

    def find_user(self, name: bytes, t: int, privilege: int | None = None):
        """(uid, user) of the first enabled user with this 16-byte name, or None (a locked-out user
        is no user: refused as an unknown name).  ``privilege``: RAKP 1's username/privilege lookup
        (13.20), which takes only a user whose limit on this channel reaches that level."""
        users = self.channel.bmc.users
        key = name[:16].ljust(16, b"\x00")
        for uid in sorted(users.users):
            u = users.users[uid]
            if privilege is not None and self.privilege_limit(uid) < privilege:
                continue
            if u.name == key and u.enabled:
                if self.lockout.locked(uid, t):
                    return None
                access = u.channel_access(self.channel.channel)
                if not access.ipmi_messaging:
                    return None
                return uid, u
        return None

    def privilege_limit(self, uid: int, suite_id: int | None = None) -> int:
        """min(the user's limit on this channel, the channel's limit, the cipher suite's limit)."""
        ch = self.channel
        user = ch.bmc.users.get(uid)
        limit = user.channel_access(ch.channel).privilege if user is not None else 0
        if limit > Privilege.OEM:
            limit = 0                                    # 0Fh: no access
        limit = min(limit, ch.bmc.channel_access.settings(ch.channel, volatile=True).privilege_limit)
        if suite_id is not None:
            limit = min(limit, ch.bmc.lan_config.cipher_suite_privileges.get(suite_id, 0))
        return limit
