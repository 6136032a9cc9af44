"""Conformance table, session commands (App 39h-3Dh, 54h; IPMI 2.0 sections 22.15-22.20) through the dispatcher.

Each row's world gets a LAN channel (``bmc.lan``); rows that run in a session
pass it as ``call.session`` the way the LAN channel does.
"""

import pytest

from bmc.lan import LanChannel
from bmc.privilege import Privilege
from tests.conformance import Case, run_case

P = Privilege
IPMIUSR = "69 70 6D 69 75 73 72 00 00 00 00 00 00 00 00 00"     # "ipmiusr", NUL padded
NULL_NAME = "00 " * 15 + "00"
ZERO16 = "00 " * 15 + "00"


def with_lan(w):
    LanChannel(w.sim, w.bmc, w.ipmid)


def challenge_for(uid_name: bytes):
    def session(w):
        table = w.bmc.lan.sessions
        s = table.add_challenge(*table.find_user(uid_name, 0)[:1], uid_name.ljust(16, b"\x00"), 2, None, 0)
        s.challenge = bytes(16)
        return s
    return session


def active_session(uid: int = 2, max_privilege: int = P.ADMINISTRATOR):
    def session(w):
        if getattr(w.bmc, "lan", None) is None:
            with_lan(w)
        s = w.bmc.lan.sessions.add(0x20, ("10.0.0.9", 623), 0)
        s.uid, s.max_privilege, s.active = uid, max_privilege, True
        w.bmc.lan.sessions_changed()
        return s
    return session


def no_user_1(w):
    with_lan(w)
    w.bmc.users.configure(1, name="", password="test", privilege=P.USER, enabled=False)


def challenge_registered(w, rsp):
    sid = int.from_bytes(rsp[3:7], "little")
    assert w.bmc.lan.sessions.challenges[sid].challenge == rsp[7:23]


def session_activated(w, rsp):
    (s,) = w.bmc.lan.sessions.active()
    assert s.uid == 2 and s.max_privilege == 4 and s.privilege == 2 and s.outbound_seq == 0
    assert rsp[3] == 2 and int.from_bytes(rsp[4:8], "little") == s.bmc_id and rsp[12] == 4
    assert w.bmc.channel_info(1).session_support == 0x81


def session_closed(w, rsp):
    assert w.bmc.lan.sessions.active() == []


ACTIVATE = "18 3A 02 04 " + ZERO16 + " 01 00 00 00"

CASES = [
    # Get Session Challenge
    Case("18 39 02 " + IPMIUSR, 0x00, setup=with_lan, check=challenge_registered, note="MD5, user ipmiusr"),
    Case("18 39 02 " + IPMIUSR[:-3], 0xC7, "short"),
    Case("18 39 02 " + IPMIUSR + " 00", 0xC7, "long"),
    Case("18 39 01 " + IPMIUSR, 0xCC, "range", setup=with_lan, note="MD2 is not supported"),
    Case("18 39 02 " + IPMIUSR.replace("69 70", "78 78"), 0x81, "missing", setup=with_lan, note="no such user"),
    Case("18 39 02 " + NULL_NAME, 0x82, "state", setup=no_user_1, note="null user disabled"),
    Case("18 39 02 " + IPMIUSR, 0xC1, "state", note="no LAN channel on this BMC"),
    # Activate Session
    Case(ACTIVATE, 0x00, setup=with_lan, session=challenge_for(b"ipmiusr"), check=session_activated),
    Case(ACTIVATE[:-3], 0xC7, "short"),
    Case(ACTIVATE + " 00", 0xC7, "long"),
    Case(ACTIVATE.replace("18 3A 02 04", "18 3A 02 06"), 0xCC, "range", setup=with_lan,
         session=challenge_for(b"ipmiusr"), note="privilege 6"),
    Case(ACTIVATE.replace("18 3A 02 04", "18 3A 02 14"), 0xCC, "reserved", setup=with_lan,
         session=challenge_for(b"ipmiusr"), note="privilege byte bits 7:4"),
    Case(ACTIVATE, 0x86, "state", setup=with_lan, session=challenge_for(b""), note="user 1 is a User"),
    Case(ACTIVATE.replace("01 00 00 00", "00 00 00 00"), 0x84, "range", setup=with_lan,
         session=challenge_for(b"ipmiusr"), note="initial outbound sequence number 0"),
    Case(ACTIVATE.replace("18 3A 02 04 00", "18 3A 02 04 01"), 0xCC, "state", setup=with_lan,
         session=challenge_for(b"ipmiusr"), note="not the challenge string"),
    Case(ACTIVATE, 0x85, "missing", setup=with_lan, note="no temporary session"),
    # Set Session Privilege Level
    Case("18 3B 04", 0x00, rsp="1C 3B 00 04", session=active_session()),
    Case("18 3B 00", 0x00, rsp="1C 3B 00 02", session=active_session(), note="00h: the present level"),
    Case("18 3B", 0xC7, "short"),
    Case("18 3B 04 00", 0xC7, "long"),
    Case("18 3B 14", 0xCC, "reserved", session=active_session()),
    Case("18 3B 06", 0xCC, "range", session=active_session()),
    Case("18 3B 04", 0x81, "state", session=active_session(uid=1), note="user 1's limit is User"),
    Case("18 3B 04", 0x80, "state", session=active_session(max_privilege=P.OPERATOR), note="above the maximum"),
    Case("18 3B 04", 0xD5, "state", note="not in a session"),
    # Close Session
    Case("18 3C 00 00 00 00 01", 0x00, rsp="1C 3C 00", setup=active_session(), check=session_closed,
         note="by handle, from the system interface"),
    Case("18 3C 00 00 00", 0xC7, "short"),
    Case("18 3C 00 00 00 00 01 00", 0xC7, "long"),
    Case("18 3C 00 00 00 00", 0xC7, "short", setup=active_session(), note="session ID 0 needs a handle"),
    Case("18 3C 01 02 03 04", 0x87, "missing", setup=active_session()),
    Case("18 3C 00 00 00 00 3F", 0x88, "missing", setup=active_session()),
    # Get Session Info
    Case("18 3D 01", 0x00, rsp="1C 3D 00 01 3F 01 02 02 11 0A 00 00 09 00 00 00 00 00 00 6F 02",
         setup=active_session(), note="v2.0 session on channel 1 from 10.0.0.9:623"),
    Case("18 3D 00", 0x00, rsp="1C 3D 00 00 3F 00", setup=with_lan, note="no current session"),
    Case("18 3D", 0xC7, "short"),
    Case("18 3D 01 00", 0xC7, "long", setup=with_lan),
    Case("18 3D FE", 0xC7, "short", setup=with_lan, note="by handle needs the handle"),
    Case("18 3D 05", 0xCB, "missing", setup=with_lan),
    Case("18 3D 40", 0xCC, "range", setup=with_lan),
    Case("18 3D 01", 0xD4, "privilege", privilege=P.CALLBACK),
    # Get Channel Cipher Suites
    Case("18 54 01 00 80", 0x00, rsp="1C 54 00 01 C0 00 00 40 80 C0 01 01 40 80 C0 02 01 41 80 C0", setup=with_lan),
    Case("18 54 01 00 81", 0x00, rsp="1C 54 00 01 03 01 41 81 C0 0F 03 40 80 C0 10 03 44 80 C0 11",
         setup=with_lan),
    Case("18 54 01 00 82", 0x00, rsp="1C 54 00 01 03 44 81", setup=with_lan),
    Case("18 54 01 00 00", 0x00, rsp="1C 54 00 01 00 01 03 40 41 44 80 81", setup=with_lan,
         note="the algorithms"),
    Case("18 54 01 00", 0xC7, "short"),
    Case("18 54 01 00 80 00", 0xC7, "long"),
    Case("18 54 11 00 80", 0xCC, "reserved", setup=with_lan),
    Case("18 54 01 05 80", 0xCC, "range", setup=with_lan, note="payload type 5"),
    Case("18 54 0F 00 80", 0xCC, "state", note="the system interface is session-less"),
    Case("18 54 05 00 80", 0xCC, "missing", note="no channel 5"),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id() for c in CASES])
def test_session_command(case):
    run_case(case)
