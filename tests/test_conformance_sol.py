"""Conformance table: payload commands (App 48h-4Fh, IPMI 2.0 chapter 24) and SOL configuration (Transport 21h/22h).

Every request arrives on LAN channel 1; ``in_session`` rows carry a fake RMCP+ session (encrypted,
authenticated, user 2) as the session layer hands it to handlers.  The parameter bytes are what
``ipmitool sol info`` and ``ipmitool sol set`` read and write.
"""

from dataclasses import dataclass

import pytest

from bmc.bmc import ChannelInfo
from bmc.ipmi.msg import ChannelMedium, ChannelProtocol, from_hex, hexdump
from bmc.privilege import Privilege
from tests.conformance import Case, fresh_world
from tests.sol_helpers import FakeSession

P = Privilege
ACT = "18 48 01 01 C6 00 00 00"


@dataclass(frozen=True)
class SolCase(Case):
    in_session: bool = False


def sol_active(w):
    s = FakeSession(w.bmc.sim, sid=0x02000007)
    assert w.ipmid.handle(from_hex(ACT), channel=1, session=s)[2] == 0


def sol_disabled(w):
    w.bmc.sol.config.set(1, b"\x00")


def in_progress(w):
    w.bmc.sol.config.set(0, b"\x01")


def now_active(w, rsp):
    assert w.bmc.sol.active


def now_inactive(w, rsp):
    assert not w.bmc.sol.active


def rate_9600(w, rsp):
    assert w.bmc.sol.config.bit_rate == 9600


def staged_not_applied(w, rsp):
    assert w.bmc.sol.config.bit_rate == 115200
    w.bmc.sol.config.set(0, b"\x02")
    assert w.bmc.sol.config.bit_rate == 9600


def sol_access_off(w, rsp):
    assert w.bmc.sol.payload_access(1, 3) == bytes(4)


CASES = [
    # Activate Payload (24.1)
    SolCase(ACT, 0x00, rsp="1C 48 00 00 00 00 00 00 01 00 01 6F 02 FF FF", in_session=True, check=now_active),
    SolCase("18 48 01 01 C6 00 00", 0xC7, "short", in_session=True),
    SolCase("18 48 01 01 C6 00 00 00 00", 0xC7, "long", in_session=True),
    SolCase(ACT, 0xD4, "privilege", privilege=P.CALLBACK, in_session=True),
    SolCase(ACT, 0xD4, "privilege", privilege=P.OPERATOR, in_session=True, note="SOL privilege level: admin"),
    SolCase(ACT, 0xD5, "state", note="not in a session"),
    SolCase(ACT, 0x80, "state", in_session=True, setup=sol_active),
    SolCase(ACT, 0x81, "state", in_session=True, setup=sol_disabled),
    SolCase("18 48 01 03 C6 00 00 00", 0x82, "range", in_session=True),
    SolCase("18 48 41 01 C6 00 00 00", 0xCC, "reserved", in_session=True),
    SolCase("18 48 01 01 C6 00 01 00", 0xCC, "reserved", in_session=True),
    # Deactivate Payload (24.2)
    SolCase("18 49 01 01 00 00 00 00", 0x00, rsp="1C 49 00", setup=sol_active, check=now_inactive),
    SolCase("18 49 01 01 00 00 00 00", 0x80, "state"),
    SolCase("18 49 01 01 00 00 00", 0xC7, "short"),
    SolCase("18 49 01 01 00 00 00 00", 0xD4, "privilege", privilege=P.CALLBACK),
    SolCase("18 49 01 00 00 00 00 00", 0xCC, "range"),
    # Get Payload Activation Status (24.4)
    SolCase("18 4A 01", 0x00, rsp="1C 4A 00 01 00 00"),
    SolCase("18 4A 01", 0x00, rsp="1C 4A 00 01 01 00", setup=sol_active),
    SolCase("18 4A", 0xC7, "short"),
    SolCase("18 4A 01 00", 0xC7, "long"),
    SolCase("18 4A 01", 0xD4, "privilege", privilege=P.CALLBACK),
    SolCase("18 4A 00", 0xCC, "range", note="IPMI messages have no instances"),
    # Get Payload Instance Info (24.5)
    SolCase("18 4B 01 01", 0x00, rsp="1C 4B 00 07 00 00 02 01 00 00 00 00 00 00 00", setup=sol_active),
    SolCase("18 4B 01", 0xC7, "short"),
    SolCase("18 4B 01 01", 0xD4, "privilege", privilege=P.CALLBACK),
    SolCase("18 4B 01 02", 0xCC, "range"),
    # Set / Get User Payload Access (24.6, 24.7)
    SolCase("18 4C 01 43 02 00 00 00", 0x00, rsp="1C 4C 00", check=sol_access_off),
    SolCase("18 4C 01 03 02 00 00", 0xC7, "short"),
    SolCase("18 4C 01 03 02 00 00 00", 0xD4, "privilege", privilege=P.OPERATOR),
    SolCase("18 4C 01 83 02 00 00 00", 0xCC, "reserved", note="operation 10b"),
    SolCase("18 4C 01 03 04 00 00 00", 0xCC, "range", note="payload 2 (OEM explicit) not carried"),
    SolCase("18 4C 01 30 02 00 00 00", 0xC9, "range", note="user 48 of 15"),
    SolCase("18 4D 01 02", 0x00, rsp="1C 4D 00 02 00 00 00"),
    SolCase("18 4D 01", 0xC7, "short"),
    SolCase("18 4D 01 02", 0xD4, "privilege", privilege=P.USER),
    SolCase("18 4D 0F 02", 0xCC, "range", note="the system interface carries no payloads"),
    # Get Channel Payload Support / Version (24.8, 24.9)
    SolCase("18 4E 01", 0x00, rsp="1C 4E 00 03 00 3F 00 00 00 00 00"),
    SolCase("18 4E 0E", 0x00, rsp="1C 4E 00 03 00 3F 00 00 00 00 00", note="0Eh: this channel"),
    SolCase("18 4E", 0xC7, "short"),
    SolCase("18 4E 01", 0xD4, "privilege", privilege=P.CALLBACK),
    SolCase("18 4E 00", 0xCC, "range", note="IPMB"),
    SolCase("18 4F 01 01", 0x00, rsp="1C 4F 00 10"),
    SolCase("18 4F 01", 0xC7, "short"),
    SolCase("18 4F 01 01", 0xD4, "privilege", privilege=P.CALLBACK),
    SolCase("18 4F 01 02", 0x80, "missing"),
    # Get SOL Configuration Parameters (26.3): what ipmitool sol info reads
    SolCase("30 22 01 00 00 00", 0x00, rsp="34 22 00 11 00"),
    SolCase("30 22 01 01 00 00", 0x00, rsp="34 22 00 11 01"),
    SolCase("30 22 01 02 00 00", 0x00, rsp="34 22 00 11 C4"),
    SolCase("30 22 01 03 00 00", 0x00, rsp="34 22 00 11 0A 60"),
    SolCase("30 22 01 04 00 00", 0x00, rsp="34 22 00 11 07 64"),
    SolCase("30 22 01 05 00 00", 0x00, rsp="34 22 00 11 0A"),
    SolCase("30 22 01 06 00 00", 0x00, rsp="34 22 00 11 0A"),
    SolCase("30 22 01 07 00 00", 0x00, rsp="34 22 00 11 01"),
    SolCase("30 22 0E 08 00 00", 0x00, rsp="34 22 00 11 6F 02"),
    SolCase("30 22 81 03 00 00", 0x00, rsp="34 22 00 11", note="revision only"),
    SolCase("30 22 01 00 00 00", 0x00, rsp="34 22 00 11 01", setup=in_progress),
    SolCase("30 22 01 09 00 00", 0x80, "missing"),
    SolCase("30 22 01 00 00", 0xC7, "short"),
    SolCase("30 22 01 00 00 00 00", 0xC7, "long"),
    SolCase("30 22 01 00 00 00", 0xD4, "privilege", privilege=P.CALLBACK),
    SolCase("30 22 11 00 00 00", 0xCC, "reserved"),
    SolCase("30 22 00 00 00 00", 0xCC, "range", note="IPMB carries no SOL"),
    # Set SOL Configuration Parameters (26.2): what ipmitool sol set writes
    SolCase("30 21 01 06 06", 0x00, rsp="34 21 00", check=rate_9600),
    SolCase("30 21 01 06 06", 0x00, setup=in_progress, check=staged_not_applied),
    SolCase("30 21 01 03 0A", 0xC7, "short"),
    SolCase("30 21 01 01 01 00", 0xC7, "long"),
    SolCase("30 21 01", 0xC7, "short"),
    SolCase("30 21 01 01 01", 0xD4, "privilege", privilege=P.OPERATOR),
    SolCase("30 21 01 00 01", 0x81, "state", setup=in_progress),
    SolCase("30 21 01 00 03", 0xCC, "reserved"),
    SolCase("30 21 01 07 02", 0x82, "state", note="payload channel is read-only"),
    SolCase("30 21 01 09 00", 0x80, "missing"),
    SolCase("30 21 01 01 02", 0xCC, "reserved"),
    SolCase("30 21 01 02 34", 0xCC, "reserved", note="bits 5:4"),
    SolCase("30 21 01 02 01", 0xCC, "range", note="privilege Callback"),
    SolCase("30 21 01 03 00 60", 0xCC, "range", note="accumulate interval is 1-based"),
    SolCase("30 21 01 03 0A 00", 0xCC, "range", note="send threshold is 1-based"),
    SolCase("30 21 01 04 08 64", 0xCC, "reserved", note="retry count bits 7:3"),
    SolCase("30 21 01 05 05", 0xCC, "range", note="bit rate 5"),
    SolCase("30 21 01 08 00 00", 0xCC, "range", note="port 0"),
    SolCase("30 21 02 01 01", 0xCC, "range", note="no channel 2"),
]


def run(case: SolCase):
    w = fresh_world()
    w.bmc.channels[1] = ChannelInfo(ChannelMedium.LAN_802_3, ChannelProtocol.IPMB_10)
    if case.setup is not None:
        case.setup(w)
    session = FakeSession(w.bmc.sim, privilege=case.privilege) if case.in_session else None
    rsp = w.ipmid.handle(from_hex(case.request), privilege=case.privilege, channel=1, session=session)
    assert rsp[2] == case.cc, f"{case.request}: got {hexdump(rsp)}, expected CC 0x{case.cc:02X} ({case.note})"
    if case.rsp is not None:
        assert hexdump(rsp) == case.rsp.upper(), f"{case.request}: got {hexdump(rsp)}"
    if case.check is not None:
        case.check(w, rsp)


@pytest.mark.parametrize("case", CASES, ids=[c.id() for c in CASES])
def test_sol_conformance(case):
    run(case)


def test_set_in_progress_commit_and_rollback():
    w = fresh_world()
    w.bmc.channels[1] = ChannelInfo(ChannelMedium.LAN_802_3, ChannelProtocol.IPMB_10)
    ask = lambda req: hexdump(w.ipmid.handle(from_hex(req), channel=1))  # noqa: E731
    assert ask("30 21 01 00 01") == "34 21 00"
    assert ask("30 21 01 03 14 01") == "34 21 00"
    assert ask("30 22 01 03 00 00") == "34 22 00 11 14 01"       # the staged value reads back
    assert w.bmc.sol.config.accumulate_interval == 50_000_000  # not yet in force
    assert ask("30 21 01 00 00") == "34 21 00"                    # set complete without commit: rolled back
    assert ask("30 22 01 03 00 00") == "34 22 00 11 0A 60"
    assert ask("30 21 01 00 01") == "34 21 00"
    assert ask("30 21 01 04 03 0A") == "34 21 00"
    assert ask("30 21 01 00 02") == "34 21 00"                    # commit
    assert ask("30 21 01 00 00") == "34 21 00"
    assert (w.bmc.sol.config.retry_count, w.bmc.sol.config.retry_interval) == (3, 100_000_000)
