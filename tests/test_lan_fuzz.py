"""Malformed RMCP / RMCP+ packets against ``LanChannel.datagram``, in process: no crash, no session opened without
the right key, no stored byte changed.

The corpus is the real captures in tests/golden/rmcp/ (ipmitool 1.8.19 against OpenIPMI ipmi_sim, and against
``ipmilab serve --lan``: lanplus suites 3 and 17, lan MD5 and straight password), plus fresh packets the
independent remote console (tests/lan_client.py) builds against the BMC under test: session setup messages and,
inside sessions it opened with the right key (RMCP+ suites 3 and 17, v1.5 MD5), signed requests that *would*
change a store (Add SEL Entry, Write FRU Data, Set User Name/Password, Set System Boot Options, Set Channel
Access, Close Session ...) had they been accepted.  Those are built but never sent, so each is fresh: only a
mutation that leaves every signed byte as it was could be accepted, and such examples are skipped.

Hypothesis mutates them (byte flips, truncation, extension, field-aware edits of the RMCP header, auth type,
payload type bits, session ID, sequence number, lengths, the integrity pad / pad length / next header, RAKP
fields, and splices of packets of different sessions) and sends 1-3 of them per example to one shared BMC.
After each example: no exception escaped, the active sessions are exactly the console's own (same privilege, no
answer in any of them), and the stores (SEL, SDR, FRU, users, channel access, LAN parameters, boot options,
SOL parameters, chassis state) are byte for byte as before.  Pending sessions the mutations opened are then
cleared, so one example does not fill the table for the next.

Per-message authentication is enabled for these (channel access 22h): with the default 3Ah (ipmi_sim's) a v1.5
session takes unsigned packets by design, so a flipped auth type byte would be a legitimate request.  Sessions
without integrity (RMCP+ cipher suite 0, v1.5 auth type none) are fuzzed for the "no crash" invariant only:
anyone may forge their packets by design, so a mutation may well be a valid request.
"""

from __future__ import annotations

import pathlib
import random

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from bmc.bmc import Bmc
from bmc.ipmid import Ipmid
from bmc.lan import LanChannel
from buses import Simulation
from tests.lan_client import PEER, RMCP_IPMI, Console15, Console20, lan_request
from tests.peers.udp_relay import read_golden

GOLDEN = pathlib.Path(__file__).parent / "golden" / "rmcp"
STRICT_ACCESS = 0x22       # always available, per-message and user-level authentication enabled


def golden_corpus() -> list[bytes]:
    out = []
    for path in sorted(GOLDEN.glob("*.txt")):
        out += [data for _, data in read_golden(path)]
    return out


# Requests that change a store when they run (at Administrator): any one accepted shows in the snapshot.
WRITES = [
    (0x0A, 0x44, bytes.fromhex("0000 02 00000000 2000 04 01 02 6f 01ffff".replace(" ", ""))),   # Add SEL Entry
    (0x0A, 0x12, b"\x00\x00\x00" + b"\xAA" * 8),                                                  # Write FRU Data
    (0x06, 0x45, b"\x05" + b"mallory".ljust(16, b"\x00")),                                        # Set User Name
    (0x06, 0x47, b"\x02\x02" + b"owned".ljust(16, b"\x00")),                                      # Set User Password
    (0x00, 0x08, b"\x05\xE0\x04\x00\x00\x00"),                                                    # boot flags: PXE
    (0x06, 0x40, b"\x01\x42\x44"),                                                                # Set Channel Access
    (0x00, 0x04, b"\x0F"),                                                                        # Chassis Identify
    (0x06, 0x3B, b"\x02"),                                                                        # Set Session Priv
    (0x06, 0x58, b"\x00\x00\x00" + b"evil" + b"\x00" * 12),                                       # Set System Info
]


def _repr_parts(obj, skip=("bmc", "sim", "store", "_policy", "on_commit", "table")) -> dict:
    return {k: v for k, v in sorted(vars(obj).items()) if k not in skip and not callable(v)}


def snapshot(bmc) -> bytes:
    """Every stored byte and setting a LAN request could change, as one byte string."""
    mem = bmc.store._mem
    parts = [
        repr(sorted((log, sorted(recs.items())) for log, recs in mem.records.items())),
        repr(sorted((log, sorted(meta.items())) for log, meta in mem.meta.items())),
        repr([(fid, bmc.fru.device(fid).data) for fid in range(256) if _has_fru(bmc, fid)]),
        repr(sorted(bmc.users.users.items())),
        repr(sorted(bmc.channel_access.volatile.items())), repr(sorted(bmc.channel_access.nonvolatile.items())),
        repr(bmc.lan_config),
        repr(sorted(bmc.chassis.boot.store.values.items())), repr(bmc.chassis.boot.store.state),
        repr(sorted(bmc.sol.config.store.values.items())),
        repr(_repr_parts(bmc.chassis)), repr(_repr_parts(bmc.system_info)),
        repr((bmc.global_enables, bmc.sel.utc_offset, len(bmc.sel), len(bmc.sdr))),
    ]
    return "\n".join(parts).encode()


def _has_fru(bmc, fid: int) -> bool:
    try:
        bmc.fru.device(fid)
    except Exception:
        return False
    return True


class World:
    """One BMC, the console's own sessions on it, and the packets to mutate."""

    def __init__(self, strict: bool):
        self.sim = Simulation(seed=11)
        self.bmc = Bmc(self.sim, lan_channel=1)
        self.lan = LanChannel(self.sim, self.bmc, Ipmid(self.sim, self.bmc))
        if strict:
            self.bmc.channel_access.settings(1, volatile=True).access = STRICT_ACCESS
        self.corpus = golden_corpus()
        self.consoles = []
        self.fresh: dict[bytes, bytes] = {}        # mutated-from packet -> the same (fresh, never sent)
        rng = random.Random(5)
        suites = (3, 17) if strict else (0,)
        for i, suite in enumerate(suites):
            c = Console20(self.lan, suite=suite)
            c.console_id = 0xC0C1C200 + i
            c.iv_source = rng.randbytes
            c.login(0x14)
            assert c.request(6, 0x3B, b"\x04") == b"\x00\x04"            # Administrator: the writes would run
            self.consoles.append(c)
            for netfn, cmd, data in WRITES:
                p = c.plus(0, lan_request(netfn, cmd, data, c._rq()), c.bmc_id, c.seq + 1 + len(self.fresh) % 8,
                           secure=True)
                self.fresh[p] = p
            p = c.plus(0, lan_request(6, 0x3C, c.bmc_id.to_bytes(4, "little"), 7), c.bmc_id, c.seq + 2, secure=True)
            self.fresh[p] = p
        for auth_type in ((2,) if strict else (0,)):
            c = Console15(self.lan, auth_type=auth_type)
            r = c.activate(max_priv=4)
            assert r[3][0] == 0
            assert c.request(6, 0x3B, b"\x04") == b"\x00\x04"
            self.consoles.append(c)
            for k, (netfn, cmd, data) in enumerate(WRITES):
                p = c.packet(lan_request(netfn, cmd, data, c._rq()), seq=c.seq + 1 + k % 4)
                self.fresh[p] = p
        # Session setup the console would send next: auth caps, challenge, Open Session, RAKP 1 and 3.
        setup = Console20(self.lan, suite=17)
        setup.console_id = 0xD0D1D2D3
        self.corpus += [
            RMCP_IPMI + bytes((0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9)) + lan_request(6, 0x38, b"\x8E\x04"),
            RMCP_IPMI + bytes(10) + bytes((0x18,)) + lan_request(6, 0x39, b"\x02" + b"ipmiusr".ljust(16, b"\0")),
        ]
        self.corpus += list(self.fresh)
        # Session setup templates; ``setup_packets`` puts the newest pending session's ID in RAKP 1 / 3.
        self.setup_templates = []
        for suite in (0, 3, 17):
            c = Console20(self.lan, suite=suite)
            c.console_id = 0xE0E1E2E0 + suite
            self.setup_templates.append(c.plus(0x10, bytes((0x01, 0, 0, 0)) + c.console_id.to_bytes(4, "little")
                                               + bytes((0, 0, 0, 8, c.auth, 0, 0, 0, 1, 0, 0, 8, c.integ, 0, 0, 0,
                                                        2, 0, 0, 8, c.conf, 0, 0, 0))))
        for role in (0x14, 0x04, 0x12):
            self.setup_templates.append(setup.plus(0x12, bytes(8) + bytes(range(16)) + bytes((role, 0, 0, 7))
                                                   + b"ipmiusr"))
        for code_len in (20, 32, 0):
            self.setup_templates.append(setup.plus(0x14, bytes(8) + bytes(range(0x40, 0x40 + code_len))))
        self.corpus += self.setup_templates
        self.fresh_views = {signed_view(p) for p in self.fresh}
        self.own = {c.bmc_id if isinstance(c, Console20) else c.sid: self._session_state(c) for c in self.consoles}
        self.before = snapshot(self.bmc)
        self.setup = setup

    def _session_state(self, c):
        sid = c.bmc_id if isinstance(c, Console20) else c.sid
        s = self.lan.sessions.get(sid)
        return (s.active, s.privilege, s.uid, s.k1, s.k2)

    def live_ids(self) -> list[int]:
        return sorted(self.lan.sessions.sessions) + sorted(self.lan.sessions.challenges)

    def reset(self) -> None:
        """Forget what the example opened (pending sessions and challenges) and any lockout it caused."""
        for sid in [sid for sid in self.lan.sessions.sessions if sid not in self.own]:
            self.lan.sessions.remove(self.lan.sessions.sessions[sid])
        self.lan.sessions.challenges.clear()
        self.lan.sessions.lockout.failures.clear()
        self.lan.sessions.lockout.locked_until.clear()

    def check(self) -> None:
        active = {s.bmc_id for s in self.lan.sessions.active()}
        assert active == set(self.own), f"sessions {sorted(active)} active, own {sorted(self.own)}"
        for sid, state in self.own.items():
            s = self.lan.sessions.get(sid)
            assert (s.active, s.privilege, s.uid, s.k1, s.k2) == state, f"session 0x{sid:08X} changed"
        assert snapshot(self.bmc) == self.before, "a stored byte changed"


# -- mutations ------------------------------------------------------------------------------------------------------


def fields(p: bytes) -> dict[str, tuple[int, int]]:
    """Field name -> (offset, size) in a datagram, from its own bytes (as far as they go)."""
    f = {"rmcp.version": (0, 1), "rmcp.reserved": (1, 1), "rmcp.seq": (2, 1), "rmcp.class": (3, 1),
         "auth_type": (4, 1)}
    if len(p) > 4 and p[4] == 0x06:                       # RMCP+
        f.update({"payload_type": (5, 1), "session_id": (6, 4), "seq": (10, 4), "length": (14, 2)})
        n = int.from_bytes(p[14:16], "little") if len(p) >= 16 else 0
        end = 16 + n
        f["payload"] = (16, n)
        for name, off, size in (("tag", 0, 1), ("status", 1, 1), ("rakp.session_id", 4, 4),
                                ("rakp.random", 8, 16), ("rakp.role", 24, 1), ("rakp.name_len", 27, 1)):
            f[name] = (16 + off, size)
        if len(p) > end + 2 and p[5] & 0x40:
            icv = len(p) - end
            for size in (16, 12):                        # find the next header byte (07h) before the AuthCode
                if icv > size and p[-size - 1] == 0x07:
                    f.update({"next_header": (len(p) - size - 1, 1), "pad_length": (len(p) - size - 2, 1),
                              "pad": (end, max(0, len(p) - size - 2 - end)), "auth_code": (len(p) - size, size)})
                    break
    elif len(p) > 4:                                      # IPMI v1.5
        f.update({"seq": (5, 4), "session_id": (9, 4)})
        pos = 13
        if p[4]:
            f["auth_code"] = (13, 16)
            pos = 29
        f["length"] = (pos, 1)
        f["message"] = (pos + 1, max(0, len(p) - pos - 1))
    return f


FIELD_NAMES = ["rmcp.version", "rmcp.reserved", "rmcp.seq", "rmcp.class", "auth_type", "payload_type",
               "session_id", "seq", "length", "payload", "message", "tag", "status", "rakp.session_id",
               "rakp.random", "rakp.role", "rakp.name_len", "next_header", "pad_length", "pad", "auth_code"]

INTERESTING = [0x00, 0x01, 0x02, 0x06, 0x07, 0x0F, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x3F, 0x40, 0x7F, 0x80,
               0x81, 0xC0, 0xFE, 0xFF]

op = st.one_of(
    st.tuples(st.just("flip"), st.integers(0, 400), st.integers(0, 7)),
    st.tuples(st.just("truncate"), st.integers(0, 400)),
    st.tuples(st.just("extend"), st.binary(min_size=1, max_size=40)),
    st.tuples(st.just("set"), st.sampled_from(FIELD_NAMES), st.sampled_from(INTERESTING)),
    st.tuples(st.just("setint"), st.sampled_from(FIELD_NAMES),
              st.one_of(st.integers(0, 0xFFFFFFFF), st.sampled_from([0, 1, 2, 15, 16, 17, 0x7FFFFFFF, 0xFFFFFFFF]))),
    st.tuples(st.just("live_id"), st.sampled_from(["session_id", "rakp.session_id"]), st.integers(0, 7)),
    st.tuples(st.just("window"), st.integers(-20, 20)),
    st.tuples(st.just("bits"), st.sampled_from([0x80, 0x40, 0xC0, 0x3F, 0x01])),
    st.tuples(st.just("splice"), st.integers(0, 10_000), st.integers(0, 400), st.integers(0, 400)),
)


def apply(world: World, p: bytes, ops) -> bytes:
    b = bytearray(p)
    for o in ops:
        kind = o[0]
        f = fields(bytes(b))
        if kind == "flip" and b:
            b[o[1] % len(b)] ^= 1 << o[2]
        elif kind == "truncate":
            del b[o[1] % (len(b) + 1):]
        elif kind == "extend":
            b += o[1]
        elif kind in ("set", "setint") and o[1] in f:
            off, size = f[o[1]]
            if size and off < len(b):
                size = min(size, 4, len(b) - off)
                b[off:off + size] = (o[2] & ((1 << 8 * size) - 1)).to_bytes(size, "little")
        elif kind == "live_id" and o[1] in f:
            ids = world.live_ids()
            off, _ = f[o[1]]
            if ids and off + 4 <= len(b):
                b[off:off + 4] = ids[o[2] % len(ids)].to_bytes(4, "little")
        elif kind == "window" and "seq" in f and f["seq"][0] + 4 <= len(b):
            off = f["seq"][0]
            seq = (int.from_bytes(b[off:off + 4], "little") + o[1]) & 0xFFFFFFFF
            b[off:off + 4] = seq.to_bytes(4, "little")
        elif kind == "bits" and "payload_type" in f and len(b) > 5:
            b[5] ^= o[1]
        elif kind == "splice":
            other = world.corpus[o[1] % len(world.corpus)]
            b = b[:o[2] % (len(b) + 1)] + bytearray(other[o[3] % (len(other) + 1):])
    return bytes(b)


packets = st.lists(st.tuples(st.integers(0, 10_000), st.lists(op, min_size=1, max_size=3)), min_size=1, max_size=3)

WORLDS: dict[bool, World] = {}


def world(strict: bool) -> World:
    if strict not in WORLDS:
        WORLDS[strict] = World(strict)
    return WORLDS[strict]


def signed_view(p: bytes) -> bytes:
    """What a packet's authentication covers and the BMC reads: RMCP+ everything after the RMCP header; v1.5
    the session header, auth code and the message its length byte delimits."""
    if len(p) > 4 and p[4] != 0x06:
        pos = 29 if p[4] else 13
        if len(p) > pos:
            return p[4:pos + 1 + p[pos]]
    return p[4:]


def in_session_answers(out: list[bytes]) -> list[bytes]:
    """Answers that belong to a session (non-zero session ID): a request ran inside one."""
    found = []
    for a in out:
        if len(a) >= 14 and a[4] == 0x06 and int.from_bytes(a[6:10], "little"):
            found.append(a)
        elif len(a) >= 13 and a[4] != 0x06 and a[3] == 0x07 and int.from_bytes(a[9:13], "little"):
            found.append(a)
    return found


def run_strict(case, source=None) -> None:
    w = world(True)
    try:
        for pick, ops in case:
            pool = w.corpus if source is None else source(w)
            base = pool[pick % len(pool)]
            pkt = apply(w, base, ops)
            # Only the RMCP header (not signed, not checked beyond its version and class) or bytes after a
            # v1.5 message (the legacy pad, 13.6) differ from a fresh signed packet: legitimately accepted.
            assume(signed_view(pkt) not in w.fresh_views)
            out = w.lan.datagram(pkt, PEER, 0)
            assert not in_session_answers(out), (base.hex(), pkt.hex(), [a.hex() for a in out])
            w.check()
    finally:
        w.reset()


def run_crash_only(case) -> None:
    w = world(False)
    try:
        for pick, ops in case:
            w.lan.datagram(apply(w, w.corpus[pick % len(w.corpus)], ops), PEER, 0)
    finally:
        w.reset()


def _in_session(w: World) -> list[bytes]:
    return list(w.fresh)


def _setup(w: World) -> list[bytes]:
    """The setup templates, RAKP 1 and 3 aimed at the newest pending RMCP+ session (so they get past the
    session ID check to the name, role and key checks)."""
    pending = [s for s in w.lan.sessions.sessions.values() if not s.active]
    if not pending:
        return w.setup_templates
    sid = max(pending, key=lambda s: s.handle).bmc_id.to_bytes(4, "little")
    return [p[:20] + sid + p[24:] if p[5] in (0x12, 0x14) else p for p in w.setup_templates]


SETTINGS = dict(deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                       HealthCheck.data_too_large])


# -- the fast suite: 350 examples --------------------------------------------------------------------------------


@settings(max_examples=150, **SETTINGS)
@given(packets)
def test_malformed_packets_quick(case):
    run_strict(case)


@settings(max_examples=100, **SETTINGS)
@given(packets)
def test_malformed_in_session_packets_quick(case):
    run_strict(case, _in_session)


@settings(max_examples=50, **SETTINGS)
@given(packets)
def test_malformed_session_setup_quick(case):
    run_strict(case, _setup)


@settings(max_examples=50, **SETTINGS)
@given(packets)
def test_sessions_without_integrity_do_not_crash_quick(case):
    run_crash_only(case)


# -- slow: 10,000 examples (3000 + 3000 + 2500 + 1500) ---------------------------------------------------


@pytest.mark.slow
@settings(max_examples=3000, **SETTINGS)
@given(packets)
def test_malformed_packets_3000(case):
    run_strict(case)


@pytest.mark.slow
@settings(max_examples=3000, **SETTINGS)
@given(packets)
def test_malformed_in_session_packets_3000(case):
    run_strict(case, _in_session)


@pytest.mark.slow
@settings(max_examples=2500, **SETTINGS)
@given(packets)
def test_malformed_session_setup_2500(case):
    run_strict(case, _setup)


@pytest.mark.slow
@settings(max_examples=1500, **SETTINGS)
@given(packets)
def test_sessions_without_integrity_do_not_crash_1500(case):
    run_crash_only(case)


def test_the_corpus_holds_every_capture_and_the_fresh_packets_are_valid():
    """The mutations start from real packets: every golden capture, and fresh signed requests the BMC would
    run (shown on a copy of the world: a fresh packet sent as is gets an answer in its session)."""
    caps = sorted(p.name for p in GOLDEN.glob("*.txt"))
    assert {"serve-lanplus-cs17-mc-info.txt", "serve-lanplus-cs3-chassis-status.txt", "serve-lan-md5-mc-info.txt",
            "serve-lan-password-chassis-status.txt", "lanplus-cs3-mc-info.txt"} <= set(caps)
    w = World(True)
    assert len(w.fresh) == 2 * (len(WRITES) + 1) + len(WRITES)
    answered = sum(bool(in_session_answers(w.lan.datagram(p, PEER, 0))) for p in w.fresh)
    assert answered >= len(WRITES)       # each console's first packets; later ones share sequence numbers
    assert snapshot(w.bmc) != w.before   # and they do change the stores
    w.bmc.store.close()
