"""The LAN channel (bmc/lan): RMCP/ASF, IPMI v1.5 and RMCP+ sessions, as pure functions of datagrams and time.

The remote console (tests/lan_client.py) computes every auth code, HMAC, key
and AES block itself with hashlib/hmac/cryptography, so a wrong byte in the
BMC's derivation fails the login.
"""

from __future__ import annotations

import pytest

from bmc.bmc import Bmc
from bmc.ipmid import Ipmid
from bmc.lan import LanChannel, cipher, lan_msg, rmcp, rmcpplus, session15
from bmc.lan.session import SequenceWindow
from bmc.lan_config import BadPasswordPolicy
from buses import Simulation
from buses.time import S
from tests.lan_client import PEER, RMCP_IPMI, Console15, Console20, lan_request


def make(seed: int = 1, **kw):
    sim = Simulation(seed=seed)
    bmc = Bmc(sim, lan_channel=1)
    ipmid = Ipmid(sim, bmc)
    return LanChannel(sim, bmc, ipmid, **kw)


@pytest.fixture
def lan():
    ch = make()
    yield ch
    ch.bmc.store.close()


DEVICE_ID = bytes.fromhex("00 20 00 00 00 02 8F 00 00 00 00 00".replace(" ", ""))


# -- RMCP / ASF -------------------------------------------------------------------------------------------


def test_presence_ping_gets_a_pong_with_ipmi_supported(lan):
    ping = bytes((0x06, 0x00, 0xFF, 0x06)) + bytes.fromhex("000011BE80330000")
    (pong,) = lan.datagram(ping, PEER, 0)
    # RMCP ASF, seq echoed; IANA 4542, Pong 40h, tag 33h, 16 data bytes: IANA, OEM 0, entities 81h (IPMI,
    # ASF 1.0), interactions 00h, 6 reserved.
    assert pong.hex() == "0600ff06" + "000011be40330010" + "000011be" + "00000000" + "8100" + "00" * 6


def test_ping_with_a_sequence_number_is_acked_first(lan):
    ping = bytes((0x06, 0x00, 0x05, 0x06)) + bytes.fromhex("000011BE80070000")
    ack, pong = lan.datagram(ping, PEER, 0)
    assert ack == bytes((0x06, 0x00, 0x05, 0x86))
    assert pong[:4] == bytes((0x06, 0x00, 0x05, 0x06)) and pong[8] == 0x40 and pong[9] == 0x07
    assert pong[20] == 0x81        # supported entities: IPMI, ASF 1.0


@pytest.mark.parametrize("packet", [
    b"", b"\x06", bytes((0x07, 0, 0xFF, 0x06)) + bytes.fromhex("000011BE80010000"),   # RMCP version 07h
    bytes((0x06, 0, 0xFF, 0x86)),                                                    # an ACK: nothing to answer
    bytes((0x06, 0, 0xFF, 0x06)) + bytes.fromhex("0000000080010000"),                # IANA not ASF's
    bytes((0x06, 0, 0xFF, 0x08)) + b"\x00" * 20,                                     # class 8
])
def test_not_for_us_is_dropped(lan, packet):
    assert lan.datagram(packet, PEER, 0) == []


def test_rmcp_codec_roundtrip():
    h = rmcp.parse_header(rmcp.header(rmcp.CLASS_IPMI))
    assert (h.seq, h.msg_class, h.ack) == (0xFF, 7, False)
    assert rmcp.presence_pong(9)[4:6] == b"\x40\x09"


def test_lan_message_codec_and_bad_checksums():
    msg = lan_request(6, 1, b"", seq=5)
    assert msg.hex() == "2018c88114" + "01" + "6a"
    req = lan_msg.decode_request(msg)
    assert (req.rs_addr, req.rq_addr, req.rq_seq, req.body) == (0x20, 0x81, 5, b"\x18\x01")
    rsp = lan_msg.encode_response(req, b"\x1c\x01\x00\xAA", 0x20)
    assert lan_msg.decode_response(rsp) == (0x07, 5, 1, b"\x00\xAA")
    assert lan_msg.decode_request(msg[:-1] + bytes((msg[-1] ^ 1,))) is None
    assert lan_msg.decode_request(bytes((0x20, 0x18, 0xC9)) + msg[3:]) is None


# -- IPMI v1.5 ------------------------------------------------------------------------------------------------


def test_get_channel_auth_caps_outside_a_session(lan):
    c = Console15(lan)
    at, seq, sid, rsp = c.sessionless(6, 0x38, b"\x8E\x04")
    assert (at, seq, sid) == (0, 0, 0)
    # channel 1; extended + none/MD5/password; per-message and user-level auth disabled, null+named users;
    # v1.5 and v2.0.
    assert rsp.hex() == "00" + "01" + "95" + "1e" + "03" + "000000" + "00"


@pytest.mark.parametrize("auth_type", [0, 2, 4])
def test_v15_session_with_each_auth_type(lan, auth_type):
    c = Console15(lan, auth_type=auth_type)
    r = c.activate(max_priv=4, outbound=0x1000)
    assert r[3][0] == 0 and r[3][1] == auth_type and r[3][10] == 4
    assert r[1] == 0x1000              # the answer carries the initial outbound sequence number (FreeIPMI checks)
    c.seq += 1
    packet = c.packet(lan_request(6, 1, b"", 9))
    at, seq, sid, rsp = c.parse(c.send(packet))
    assert (at, seq, sid, rsp) == (auth_type, 0x1001, c.sid, DEVICE_ID)
    assert c.request(6, 0x3B, b"\x04") == b"\x00\x04"          # up to Administrator
    assert c.request(0, 1)[0] == 0                             # Get Chassis Status
    assert lan.bmc.channel_info(1).session_support == 0x81     # multi-session, one active
    assert c.request(6, 0x3C, c.sid.to_bytes(4, "little")) == b"\x00"
    assert lan.sessions.active() == []
    assert c.request(6, 1) is None                             # the session is gone


def test_v15_session_starts_at_user_privilege(lan):
    c = Console15(lan)
    c.activate(max_priv=4)
    set_watchdog = bytes.fromhex("040000006400")
    assert c.request(6, 0x24, set_watchdog)[0] == 0xD4         # Set Watchdog Timer needs Operator
    assert c.request(6, 0x3B, b"\x03") == b"\x00\x03"
    assert c.request(6, 0x24, set_watchdog)[0] == 0x00


def test_v15_wrong_password_is_dropped_and_counted(lan):
    lan.bmc.lan_config.bad_password = BadPasswordPolicy(threshold=2, reset_interval_s=60, lockout_interval_s=30)
    bad = Console15(lan, password=b"wrong")
    assert bad.activate() is None
    assert bad.activate() is None                              # second failure: locked out for 30 s
    good = Console15(lan)
    assert good.challenge()[0] == 0x81                         # a locked-out user is no user
    good.t = 31 * S
    assert good.activate()[3][0] == 0


def test_v15_unknown_user_and_privilege_above_limit(lan):
    assert Console15(lan, name=b"nobody").challenge()[0] == 0x81
    user1 = Console15(lan, name=b"")
    assert user1.activate(max_priv=4)[3][0] == 0x86            # user 1 is a User
    assert Console15(lan, name=b"").activate(max_priv=2)[3][0] == 0


def test_v15_replayed_packet_is_dropped(lan):
    c = Console15(lan)
    c.activate()
    packet = c.packet(lan_request(6, 1, b"", 3), seq=c.seq + 1)
    assert c.parse(c.send(packet))[3] == DEVICE_ID
    assert c.send(packet) == []                                # the same bytes again
    assert lan.dropped >= 1


def test_v15_forged_auth_code_is_dropped(lan):
    c = Console15(lan)
    c.activate()
    c.seq += 1
    packet = bytearray(c.packet(lan_request(6, 1, b"", 3)))
    packet[15] ^= 0x01                                          # one bit of the MD5 auth code
    assert c.send(bytes(packet)) == []


def test_v15_codec_md5_matches_the_spec_formula():
    pw = b"test".ljust(16, b"\x00")
    import hashlib
    msg = lan_request(6, 1)
    want = hashlib.md5(pw + (0x11223344).to_bytes(4, "little") + msg + (7).to_bytes(4, "little") + pw).digest()
    assert session15.auth_code(session15.AUTHTYPE_MD5, b"test", 0x11223344, 7, msg) == want
    assert session15.auth_code(session15.AUTHTYPE_PASSWORD, b"test", 1, 1, msg) == pw


# -- the sequence window ---------------------------------------------------------------------------------------


def test_sequence_window():
    w = SequenceWindow(8, highest=100)
    assert w.accept(101) and w.accept(105)
    assert not w.accept(105)                   # duplicate
    assert w.accept(103)                       # late but inside the window, first time
    assert not w.accept(103)
    assert not w.accept(96)                    # 9 behind the highest (105): outside
    assert w.accept(97)                        # 8 behind: inside
    assert not w.accept(114)                   # 9 ahead: outside
    assert w.accept(113) and not w.accept(0)
    wrap = SequenceWindow(8, highest=0xFFFFFFFE)
    assert wrap.accept(0xFFFFFFFF) and wrap.accept(3) and not wrap.accept(0xFFFFFFFF)


def test_v15_sequence_numbers_outside_the_window_are_dropped(lan):
    c = Console15(lan)
    c.activate()
    assert c.request(6, 1, seq=c.seq + 20) is None
    assert c.request(6, 1) == DEVICE_ID


# -- RMCP+ ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("suite", [0, 1, 2, 3, 15, 16, 17])
def test_rmcpplus_login_and_requests_with_every_suite(lan, suite):
    c = Console20(lan, suite=suite)
    c.login()
    assert c.request(6, 1) == DEVICE_ID
    assert c.request(6, 0x3B, b"\x04") == b"\x00\x04"
    info = c.request(6, 0x3D, b"\x00")
    assert info[0] == 0 and info[5] == 4 and info[6] == 0x11 and info[7:11] == bytes((192, 0, 2, 7))
    assert c.request(6, 0x3C, c.bmc_id.to_bytes(4, "little")) == b"\x00"
    assert c.request(6, 1) is None


def test_rmcpplus_rakp_vectors_by_hand(lan):
    """RAKP 2's code and the SIK computed here from the spec's formulas (13.31, 13.32) for suite 3."""
    import hashlib
    import hmac
    c = Console20(lan, suite=3)
    assert c.open_session()[1] == 0
    p = c.rakp1(0x14)
    rc, guid = p[8:24], p[24:40]
    assert guid == bytes(16)                    # no GUID configured
    key = b"test"
    data = (0xA0A1A2A3).to_bytes(4, "little") + c.bmc_id.to_bytes(4, "little") + bytes(range(0x10, 0x20)) + rc \
        + guid + b"\x14\x07ipmiusr"
    assert p[40:] == hmac.new(key, data, hashlib.sha1).digest()
    p4 = c.rakp3()
    sik = hmac.new(key, bytes(range(0x10, 0x20)) + rc + b"\x14\x07ipmiusr", hashlib.sha1).digest()
    s = lan.sessions.get(c.bmc_id)
    assert p4[1] == 0 and s.sik == sik and s.k1 == hmac.new(sik, b"\x01" * 20, hashlib.sha1).digest()


def test_rmcpplus_wrong_user_name(lan):
    c = Console20(lan, name=b"nobody")
    assert c.open_session()[1] == 0
    p = c.rakp1()
    assert p[1] == rmcpplus.STATUS_UNAUTHORIZED_NAME and p[4:8] == c.console_id.to_bytes(4, "little")
    assert lan.sessions.sessions == {}


def test_rmcpplus_wrong_password_fails_rakp3(lan):
    c = Console20(lan, password=b"wrong")
    assert c.open_session()[1] == 0
    p = c.rakp1()
    assert p[1] == 0 and not c.rakp2_valid(p)  # the console sees RAKP 2's code does not match its password
    assert c.rakp3()[1] == rmcpplus.STATUS_INVALID_INTEGRITY_CHECK
    assert lan.sessions.sessions == {}


def test_rmcpplus_privilege_above_the_users_limit(lan):
    c = Console20(lan, name=b"", suite=17)
    assert c.open_session()[1] == 0
    assert c.rakp1(0x14)[1] == rmcpplus.STATUS_UNAUTHORIZED_ROLE       # user 1: User only
    c = Console20(lan, name=b"", suite=17)
    c.login(0x12)
    assert c.request(6, 0x3B, b"\x04")[0] == 0x81                       # and never above it later
    assert c.request(6, 1) == DEVICE_ID


def test_rmcpplus_cipher_suite_privilege_limit(lan):
    lan.bmc.lan_config.cipher_suite_privileges[3] = 3                    # suite 3: Operator at most
    c = Console20(lan, suite=3)
    assert c.open_session(privilege=4)[1] == rmcpplus.STATUS_UNAUTHORIZED_ROLE
    c = Console20(lan, suite=3)
    assert c.open_session()[2] == 3                                       # 0: the highest the suite allows
    assert c.rakp1(0x14)[1] == rmcpplus.STATUS_UNAUTHORIZED_ROLE


def test_rmcpplus_suite_not_offered(lan):
    lan.bmc.lan_config.cipher_suites = (1, 16)
    assert Console20(lan, suite=0).open_session()[1] == rmcpplus.STATUS_INVALID_AUTH_ALGORITHM
    assert Console20(lan, suite=2).open_session()[1] == rmcpplus.STATUS_INVALID_INTEGRITY_ALGORITHM
    assert Console20(lan, suite=17).open_session()[1] == rmcpplus.STATUS_INVALID_CONF_ALGORITHM
    assert Console20(lan, suite=15).open_session()[1] == rmcpplus.STATUS_NO_CIPHER_SUITE_MATCH
    assert Console20(lan, suite=16).open_session()[1] == 0


def test_rmcpplus_lockout_and_unlock(lan):
    lan.bmc.lan_config.bad_password = BadPasswordPolicy(threshold=3, reset_interval_s=100, lockout_interval_s=20)
    for _ in range(3):
        c = Console20(lan, password=b"nope")
        c.open_session()
        c.rakp1()
        assert c.rakp3()[1] == rmcpplus.STATUS_INVALID_INTEGRITY_CHECK
    good = Console20(lan)
    good.open_session()
    assert good.rakp1()[1] == rmcpplus.STATUS_UNAUTHORIZED_NAME          # locked
    good = Console20(lan, t=19 * S)
    good.open_session()
    assert good.rakp1()[1] == rmcpplus.STATUS_UNAUTHORIZED_NAME
    good = Console20(lan, t=20 * S)
    good.login()
    assert good.request(6, 1) == DEVICE_ID


def test_bad_passwords_spread_past_the_reset_interval_do_not_lock(lan):
    lan.bmc.lan_config.bad_password = BadPasswordPolicy(threshold=2, reset_interval_s=10, lockout_interval_s=60)
    for t in (0, 11 * S):
        c = Console20(lan, password=b"nope", t=t)
        c.open_session()
        c.rakp1()
        c.rakp3()
    c = Console20(lan, t=12 * S)
    c.login()


def test_rmcpplus_replay_tamper_and_window(lan):
    c = Console20(lan, suite=17)
    c.login()
    c.seq += 1
    packet = c.plus(0, lan_request(6, 1, b"", 9), c.bmc_id, c.seq, secure=True)
    assert c.unplus(c.send(packet), secure=True) is not None
    assert c.send(packet) == []                                            # replayed
    tampered = bytearray(c.plus(0, lan_request(6, 1, b"", 9), c.bmc_id, c.seq + 1, secure=True))
    tampered[20] ^= 0x80
    assert c.send(bytes(tampered)) == []                                   # integrity
    assert c.request(6, 1, seq=c.seq + 40) is None                         # beyond the window
    assert c.request(6, 1) == DEVICE_ID


def test_rmcpplus_unencrypted_packet_in_an_aes_session_is_dropped(lan):
    c = Console20(lan, suite=3)
    c.login()
    c.conf = 0                                                              # the console "forgets" AES
    assert c.request(6, 1) is None


def test_aes_and_integrity_roundtrip():
    k2 = bytes(range(20))
    iv = bytes(16)
    for n in range(0, 40):
        payload = bytes(range(n))
        enc = cipher.aes_encrypt(k2, iv, payload)
        assert len(enc) % 16 == 0 and cipher.aes_decrypt(k2, enc) == payload
    assert cipher.aes_decrypt(k2, iv + bytes(15)) is None
    pkt = rmcpplus.encode(0, 5, 6, b"abc", integrity=cipher.INTEGRITY_HMAC_SHA256_128, k1=b"k" * 32)
    p = rmcpplus.parse(pkt, 16)
    assert p.payload == b"abc" and len(p.signed) % 4 == 0
    assert p.auth_code == cipher.integrity_code(cipher.INTEGRITY_HMAC_SHA256_128, b"k" * 32, p.signed)


# -- the session table ---------------------------------------------------------------------------------------------


def test_session_timeout():
    lan = make(session_timeout_ns=5 * S)
    c = Console20(lan)
    c.login()
    c.t = 4 * S
    assert c.request(6, 1) == DEVICE_ID
    c.t = 9 * S + 1                                                         # idle 5 s + 1 ns
    assert c.request(6, 1) is None
    assert lan.sessions.sessions == {}
    lan.bmc.store.close()


def test_default_timeout_is_60_s(lan):
    c = Console15(lan)
    c.activate()
    c.t = 60 * S
    assert c.request(6, 1) == DEVICE_ID
    c.t = 120 * S + 1
    assert c.request(6, 1) is None


def test_max_sessions():
    lan = make(max_sessions=4)
    consoles = [Console20(lan) for _ in range(4)]
    for c in consoles:
        c.login()
    assert Console20(lan).open_session()[1] == rmcpplus.STATUS_NO_RESOURCES
    assert Console15(lan).activate()[3][0] == 0x81
    assert consoles[0].request(6, 0x3D, b"\x00")[2:4] == b"\x04\x04"
    consoles[0].request(6, 0x3C, consoles[0].bmc_id.to_bytes(4, "little"))
    Console20(lan).login()
    lan.bmc.store.close()


def test_ipmi_sim_session_count(lan):
    c = Console20(lan)
    c.login()
    assert c.request(6, 0x3D, b"\x00")[2] == 63


def test_close_another_session_needs_administrator(lan):
    a, b = Console20(lan), Console20(lan)
    a.login()
    b.login()
    assert a.request(6, 0x3C, b.bmc_id.to_bytes(4, "little"))[0] == 0xD4   # User level
    assert a.request(6, 0x3C, b"\x00\x00\x00\x00" + bytes((0x3F,)))[0] == 0x88
    assert a.request(6, 0x3C, (1234).to_bytes(4, "little"))[0] == 0x87
    a.request(6, 0x3B, b"\x04")
    assert a.request(6, 0x3C, b"\x00\x00\x00\x00" + bytes((lan.sessions.get(b.bmc_id).handle,))) == b"\x00"
    assert b.request(6, 1) is None and a.request(6, 1) == DEVICE_ID


def test_only_sessionless_commands_outside_a_session(lan):
    c = Console15(lan)
    assert c.sessionless(6, 1) is None                                      # Get Device ID: dropped
    assert c.sessionless(6, 0x54, b"\x0E\x00\x80")[3][:2] == b"\x00\x01"    # cipher suites: answered
    out = lan.datagram(RMCP_IPMI + bytes((0x06, 0x00)) + bytes(8) + (7).to_bytes(2, "little") + lan_request(6, 1),
                       PEER, 0)
    assert out == []                                                        # nor in an RMCP+ session-less packet


def test_same_seed_same_bytes():
    def run():
        lan = make(seed=42)
        c = Console20(lan, suite=17)
        c.login()
        s = lan.sessions.get(c.bmc_id)
        out = (c.bmc_id, s.bmc_random, s.sik)
        lan.bmc.store.close()
        return out
    assert run() == run()


def test_send_payload_and_sol_routing(lan):
    c = Console20(lan, suite=17)
    c.login()
    s = lan.sessions.get(c.bmc_id)
    s.send_payload(rmcpplus.PAYLOAD_SOL, b"hello")
    ((peer, packet),) = lan.outbox
    assert peer == PEER
    assert c.unplus([packet], secure=True)[0::3] == (1, b"hello")
    seen = []

    class Sol:
        def on_payload(self, session, data, t):
            seen.append((session.bmc_id, data))
            session.send_payload(1, b"ack")

    lan.bmc.sol = Sol()
    c.seq += 1
    out = c.send(c.plus(1, b"keys", c.bmc_id, c.seq, secure=True))
    assert seen == [(c.bmc_id, b"keys")] and c.unplus(out, secure=True)[3] == b"ack"


def test_username_privilege_lookup(lan):
    """RAKP 1 byte 25 bit 4 clear: the user must be found by name and privilege together (13.20)."""
    lan.bmc.users.configure(3, name="twin", password="low", privilege=2)
    lan.bmc.users.configure(4, name="twin", password="high", privilege=4)
    c = Console20(lan, name=b"twin", password=b"high")
    c.login(role=0x04)                                   # privilege lookup: user 4, the Administrator
    assert lan.sessions.get(c.bmc_id).uid == 4
    c = Console20(lan, name=b"twin", password=b"high")
    assert c.open_session()[1] == 0
    p = c.rakp1(0x14)                                    # name-only lookup: the first "twin", user 3 (User)
    assert p[1] == rmcpplus.STATUS_UNAUTHORIZED_ROLE


def test_per_message_authentication_setting(lan):
    c = Console15(lan)
    c.activate()
    c.seq += 1
    unsigned = c.packet(lan_request(6, 1, b"", 4), auth_type=0)
    assert c.parse(c.send(unsigned))[3] == DEVICE_ID     # 3Ah: per-message and user-level auth disabled
    lan.bmc.channel_access.settings(1, volatile=True).access = 0x22
    c.seq += 1
    assert c.send(c.packet(lan_request(6, 1, b"", 5), auth_type=0)) == []
    assert c.request(6, 1) == DEVICE_ID                  # signed: still fine


def test_fuzz_never_raises_and_forged_session_packets_get_no_answer(lan):
    import random
    rng = random.Random(7)
    c20 = Console20(lan, suite=17)
    c20.login()
    c15 = Console15(lan)
    c15.activate()
    c20.seq += 1
    c15.seq += 1
    good = [c20.plus(0, lan_request(6, 1, b"", 1), c20.bmc_id, c20.seq, secure=True),
            c15.packet(lan_request(6, 1, b"", 1))]
    for _ in range(3000):
        orig = rng.choice(good)
        base = bytearray(orig)
        for _ in range(rng.randint(1, 3)):
            base[rng.randrange(4, len(base))] ^= 1 << rng.randrange(8)   # past the RMCP header
        if base == orig:
            continue                                                        # two flips of one bit
        out = lan.datagram(bytes(base), PEER, 0)
        # A flipped bit in a signed RMCP+ packet is never answered; a v1.5 one only when the flip made it an
        # unsigned (auth type none) packet, which per-message authentication disabled (access 3Ah) accepts.
        if orig is good[0] or base[4] != 0x00:
            assert out == [], (orig.hex(), bytes(base).hex())
        for n in (0, 1, 5, 17, 40):
            lan.datagram(RMCP_IPMI + rng.randbytes(n), PEER, 0)
    assert lan.sessions.get(c20.bmc_id) is not None


def test_twenty_byte_password_and_channel_limit(lan):
    pw = b"0123456789abcdefghij"
    lan.bmc.users.configure(3, name="long", password=pw, privilege=4)
    c = Console20(lan, name=b"long", password=pw, suite=3)
    c.login()
    lan.bmc.channel_access.settings(1, volatile=True).privilege_limit = 3     # the channel: Operator at most
    assert c.request(6, 0x3B, b"\x04")[0] == 0x81
    assert c.request(6, 0x3B, b"\x03") == b"\x00\x03"
    assert Console20(lan, name=b"long", password=pw[:16], suite=3).open_session()[2] == 3


def test_v15_auth_types_enabled_per_privilege(lan):
    cfg = lan.bmc.lan_config
    cfg.auth_enables[4] = 0x04                                   # Administrator: MD5 only
    c = Console15(lan, auth_type=4)                              # straight password
    assert c.activate(max_priv=4)[3][0] == 0xCC                  # not enabled at the maximum asked for
    c = Console15(lan, auth_type=4)
    assert c.activate(max_priv=3)[3][0] == 0
    cfg.auth_enables[3] = 0x01
    assert c.request(6, 0x3B, b"\x03")[0] == 0x80               # nor at the level it would run at
    assert c.sessionless(6, 0x38, b"\x8E\x04")[3][2] == 0x84    # Get Channel Auth Caps at Administrator: MD5


def test_requests_are_traced_as_the_vm_server_names_them():
    sim = Simulation(seed=3, trace=True)
    bmc = Bmc(sim, lan_channel=1)
    lan = LanChannel(sim, bmc, Ipmid(sim, bmc))
    c = Console20(lan)
    c.login()
    c.request(6, 1)
    ours = [r for r in sim.tracer.records if r.component == "bmc.lan1" and r.event in ("msg-in", "msg-out")]
    assert [r.event for r in ours][-2:] == ["msg-in", "msg-out"]
    assert bytes(dict(ours[-1].fields)["msg"])[:4] == bytes.fromhex("1C010020")
    bmc.store.close()
