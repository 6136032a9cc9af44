"""Conformance table, Application commands (NetFn 0x06): happy paths and the CC ladder of each.

Golden bytes marked "QEMU" are ``ipmi-bmc-sim``'s (qemu-ipmi.md 3.2, 3.4, 4.1); rows that
differ from QEMU on purpose name the QEMU bug (qemu-ipmi.md 3.12).
"""

import pytest

from bmc.bmc import ChannelInfo, Identity
from bmc.ipmi.msg import ChannelMedium, ChannelProtocol, from_hex, hexdump
from bmc.privilege import Privilege
from tests.conformance import Case, run_case

P = Privilege
GUID = bytes(range(16))
NAME_OPERATOR = "6F 70 65 72 61 74 6F 72 00 00 00 00 00 00 00 00"     # "operator", NUL padded
PW_SECRET = "73 65 63 72 65 74 00 00 00 00 00 00 00 00 00 00"         # "secret" as 16 bytes
PW_TEST = "74 65 73 74 00 00 00 00 00 00 00 00 00 00 00 00"           # "test"
HELLO_BLOCK = "00 05 68 65 6C 6C 6F 00 00 00 00 00 00 00 00 00"       # ASCII, 5 bytes, "hello"
SEND_GET_DEVICE_ID = "00 40 18 A8 20 0A 01 D5"   # channel 0; IPMB to 0x40: App Get Device ID, rqSeq 2, SMS LUN


def with_guids(w):
    w.bmc.identity = Identity(device_guid=GUID, system_guid=GUID)


def with_lan(w):
    w.bmc.channels[1] = ChannelInfo(ChannelMedium.LAN_802_3, ChannelProtocol.IPMB_10, session_support=0x80)


def with_lan_md5_admin(w):
    with_lan(w)
    w.bmc.lan_config.auth_enables[P.ADMINISTRATOR] = 0x04


def with_watchdog_set(w):
    assert w.ipmid.handle(from_hex("18 24 04 01 00 00 64 00"))[2] == 0


def with_enables_0f(w):
    w.bmc.set_global_enables(0x0F, 0)


def with_pre_timeout_flag(w):
    w.bmc.set_watchdog_pre_timeout_flag(0)


def with_queued_message(w):
    w.bmc.enqueue_message(from_hex("1C 01 00"), 0)


def with_buffered_event(w):
    w.bmc.set_global_enables(0x0C, 0)
    w.bmc.raise_event(w.bmc.event_record(0x23, 0, 0x6F, 0xC1, 0x04, 0xFF), 0)


def with_sysinfo_in_progress(w):
    assert w.ipmid.handle(from_hex("18 58 00 01"))[2] == 0


def ask(w, request: str) -> str:
    return hexdump(w.ipmid.handle(from_hex(request)))


def enables_back_to_08(w, rsp):
    assert w.bmc.global_enables == 0x08


def acpi_s5(w, rsp):
    assert ask(w, "18 07") == "1C 07 00 05 00"


def watchdog_running(w, rsp):
    assert w.bmc.watchdog.running


def watchdog_settings(w, rsp):
    assert ask(w, "18 25") == "1C 25 00 04 01 00 00 64 00 00 00"


def enables_0f(w, rsp):
    assert w.bmc.global_enables == 0x0F


def pre_timeout_cleared(w, rsp):
    assert not w.bmc.watchdog_pre_timeout_flag and not w.bmc.atn


def satellite_answer_queued(w, rsp):
    # The IPMB header checksum covers rqSA 0x20 and netFn/rqLUN 0x1E: 0xC2 (QEMU bug 20 gives 0xE2).
    assert ask(w, "18 31") == "1C 31 00 01"
    assert ask(w, "18 33") == "1C 33 00 00 1E C2 40 08 01 00 00 00 00 00 51 00 00 00 00 00 00 66"


def nothing_queued(w, rsp):
    assert ask(w, "18 31") == "1C 31 00 00"


def volatile_changed_only(w, rsp):
    assert ask(w, "18 41 01 80") == "1C 41 00 02 04"
    assert ask(w, "18 41 01 40") == "1C 41 00 3A 04"


def user3_operator(w, rsp):
    assert ask(w, "18 44 0E 03") == "1C 44 00 0F 02 01 13"


def user3_named(w, rsp):
    assert ask(w, "18 46 03") == f"1C 46 00 {NAME_OPERATOR}"


def user3_secret(w, rsp):
    assert ask(w, f"18 47 03 03 {PW_SECRET}") == "1C 47 00"
    assert ask(w, f"18 47 03 03 {PW_TEST}") == "1C 47 80"


def user3_enabled(w, rsp):
    assert ask(w, "18 44 0E 03")[12:14] == "43"      # status 01b (enabled), 3 enabled users


def system_name_hello(w, rsp):
    assert w.bmc.system_info.text(2) == "hello"


CASES = [
    # Get Device ID
    Case("18 01", 0x00, rsp="1C 01 00 20 00 00 00 02 8F 00 00 00 00 00", note="default: + FRU, chassis"),
    Case("18 01 00", 0xC7, "long"),
    Case("18 01", 0xD4, "privilege", privilege=P.CALLBACK),
    # Cold Reset / Warm Reset
    Case("18 02", 0x00, rsp="1C 02 00", setup=with_enables_0f, check=enables_back_to_08),
    Case("18 02 00", 0xC7, "long"),
    Case("18 02", 0xD4, "privilege", privilege=P.OPERATOR),
    Case("18 03", 0x00, rsp="1C 03 00"),
    Case("18 03 00", 0xC7, "long"),
    Case("18 03", 0xD4, "privilege", privilege=P.OPERATOR),
    # Get Self Test Results
    Case("18 04", 0x00, rsp="1C 04 00 55 00", note="0x55: no error"),
    Case("18 04 00", 0xC7, "long"),
    Case("18 04", 0xD4, "privilege", privilege=P.CALLBACK),
    # Set / Get ACPI Power State
    Case("18 06 85 FF", 0x00, rsp="1C 06 00", check=acpi_s5, note="S5, device unchanged"),
    Case("18 06 85", 0xC7, "short"),
    Case("18 06 85 FF 00", 0xC7, "long"),
    Case("18 06 8F 00", 0xCC, "range", note="system power state 0x0F is not defined"),
    Case("18 06 85 FF", 0xD4, "privilege", privilege=P.OPERATOR),
    Case("18 07", 0x00, rsp="1C 07 00 00 00"),
    Case("18 07 00", 0xC7, "long"),
    Case("18 07", 0xD4, "privilege", privilege=P.CALLBACK),
    # Get Device GUID / Get System GUID
    Case("18 08", 0x00, rsp="1C 08 00 " + hexdump(GUID), setup=with_guids),
    Case("18 08", 0xC1, "state", rsp="1C 08 C1", note="QEMU: no GUID configured"),
    Case("18 08 00", 0xC7, "long"),
    Case("18 08", 0xD4, "privilege", privilege=P.CALLBACK),
    Case("18 37", 0x00, rsp="1C 37 00 " + hexdump(GUID), setup=with_guids),
    Case("18 37", 0xC1, "state", note="no system GUID configured"),
    Case("18 37 00", 0xC7, "long"),
    Case("18 37", 0xD4, "privilege", privilege=P.CALLBACK),
    # Get BT Interface Capabilities: the firmware's BT channel (phosphor) answers on every channel
    Case("18 36", 0x00, rsp="1C 36 00 01 3F 3F 0A 01", preset="ast2600", interface="bt",
         note="1 request, 63-byte buffers, 10 s, 1 retry"),
    Case("18 36", 0xC1, "state", rsp="1C 36 C1", note="no BT channel behind this BMC"),
    Case("18 36 00", 0xC7, "long", preset="ast2600", interface="bt"),
    Case("18 36", 0xD4, "privilege", preset="ast2600", interface="bt", privilege=P.CALLBACK),
    # Reset / Set / Get Watchdog Timer
    Case("18 22", 0x00, rsp="1C 22 00", setup=with_watchdog_set, check=watchdog_running),
    Case("18 22", 0x80, "state", rsp="1C 22 80", note="QEMU: never set"),
    Case("18 22 00", 0xC7, "long"),
    Case("18 22", 0xD4, "privilege", privilege=P.USER),
    Case("18 24 04 01 00 00 64 00", 0x00, rsp="1C 24 00", check=watchdog_settings),
    Case("18 24 04 03 00 00 64 00", 0x00, note="power cycle accepted: QEMU bug 11 rejects it"),
    Case("18 24 04 01 00 00 64", 0xC7, "short"),
    Case("18 24 04 01 00 00 64 00 00", 0xC7, "long"),
    Case("18 24 0C 01 00 00 64 00", 0xCC, "reserved", note="timer use bits 5:3"),
    Case("18 24 04 01 00 01 64 00", 0xCC, "reserved", note="expiration flags bit 0"),
    Case("18 24 06 01 00 00 64 00", 0xCC, "range", note="timer use 6"),
    Case("18 24 04 04 00 00 64 00", 0xCC, "range", note="timeout action 4"),
    Case("18 24 04 01 00 00 64 00", 0xD4, "privilege", privilege=P.USER),
    Case("18 25", 0x00, rsp="1C 25 00 00 00 00 00 00 00 00 00"),
    Case("18 25 00", 0xC7, "long"),
    Case("18 25", 0xD4, "privilege", privilege=P.CALLBACK),
    # Set / Get BMC Global Enables
    Case("18 2E 0F", 0x00, rsp="1C 2E 00", check=enables_0f),
    Case("18 2E", 0xC7, "short", rsp="1C 2E C7", note="QEMU"),
    Case("18 2E 0F 00", 0xC7, "long"),
    Case("18 2E 10", 0xCC, "reserved", rsp="1C 2E CC", note="QEMU: bit 4 reserved"),
    Case("18 2E 0F", 0xD4, "privilege", privilege=P.CALLBACK),
    Case("18 2F", 0x00, rsp="1C 2F 00 08", note="QEMU power-up value"),
    Case("18 2F 00", 0xC7, "long"),
    Case("18 2F", 0xD4, "privilege", privilege=P.CALLBACK),
    # Clear / Get Message Flags
    Case("18 30 08", 0x00, rsp="1C 30 00", setup=with_pre_timeout_flag, check=pre_timeout_cleared),
    Case("18 30", 0xC7, "short"),
    Case("18 30 08 00", 0xC7, "long"),
    Case("18 30 04", 0xCC, "reserved", note="bit 2 is reserved"),
    Case("18 30 08", 0xD4, "privilege", privilege=P.CALLBACK),
    Case("18 31", 0x00, rsp="1C 31 00 00", note="QEMU"),
    Case("18 31", 0x00, "state", rsp="1C 31 00 01", setup=with_queued_message),
    Case("18 31 00", 0xC7, "long"),
    Case("18 31", 0xD4, "privilege", privilege=P.CALLBACK),
    # Get Message / Send Message / Read Event Message Buffer
    Case("18 33", 0x00, rsp="1C 33 00 00 1C 01 00", setup=with_queued_message),
    Case("18 33", 0x80, "state", rsp="1C 33 80", note="QEMU: queue empty"),
    Case("18 33 00", 0xC7, "long"),
    Case("18 33", 0xD4, "privilege", privilege=P.CALLBACK),
    Case(f"18 34 {SEND_GET_DEVICE_ID}", 0x00, rsp="1C 34 00", check=satellite_answer_queued),
    Case("18 34 00 40 18 A8 20 08 01 D7", 0x00, "state", check=nothing_queued, note="rqLUN 0: not for SMS"),
    Case("18 34 00 40 18 A9 20 0A 01 D5", 0x00, "state", check=nothing_queued, note="bad header checksum: dropped"),
    Case("18 34 00 40 18 A8 20 0A 01", 0xC7, "short", note="QEMU: fewer than 10 bytes"),
    Case("18 34 00 40 18 A8 20 0A 01 " + "00 " * 26 + "D5", 0xC7, "long", note="over a 32-byte IPMB frame"),
    Case("18 34 40 40 18 A8 20 0A 01 D5", 0xCC, "reserved", note="tracking: QEMU needs byte 1 = 00"),
    Case("18 34 01 40 18 A8 20 0A 01 D5", 0xCC, "range", note="channel 1 is not the primary IPMB"),
    Case("18 34 00 42 18 A6 20 0A 01 D5", 0x83, "missing", note="QEMU: NAK on write, nobody at 0x42"),
    Case(f"18 34 {SEND_GET_DEVICE_ID}", 0xD4, "privilege", privilege=P.CALLBACK),
    Case("18 35", 0x00, rsp="1C 35 00 00 00 02 00 00 00 00 20 00 04 23 00 6F C1 04 FF", setup=with_buffered_event),
    Case("18 35", 0x80, "state", rsp="1C 35 80", note="QEMU: buffer empty"),
    Case("18 35 00", 0xC7, "long"),
    Case("18 35", 0xD4, "privilege", privilege=P.CALLBACK),
    # Get Channel Authentication Capabilities (Callback: no privilege row below it)
    Case("18 38 8E 04", 0x00, rsp="1C 38 00 0F 80 1E 00 00 00 00 00", note="system interface: no auth types"),
    Case("18 38 81 04", 0x00, rsp="1C 38 00 01 95 1E 03 00 00 00 00", setup=with_lan,
         note="LAN: none/MD5/password (lan_config), v1.5+v2.0, null and named users"),
    Case("18 38 81 04", 0x00, rsp="1C 38 00 01 84 1E 03 00 00 00 00", setup=with_lan_md5_admin,
         note="LAN: only the types enabled at the requested level"),
    Case("18 38 8E", 0xC7, "short"),
    Case("18 38 8E 04 00", 0xC7, "long"),
    Case("18 38 9E 04", 0xCC, "reserved", note="channel byte bits 6:4"),
    Case("18 38 8E 06", 0xCC, "range", note="privilege 6"),
    Case("18 38 85 04", 0xCC, "missing", note="no channel 5"),
    # Set / Get Channel Access / Get Channel Info
    Case("18 40 01 82 84", 0x00, rsp="1C 40 00", setup=with_lan, check=volatile_changed_only),
    Case("18 40 01 82", 0xC7, "short"),
    Case("18 40 01 82 84 00", 0xC7, "long"),
    Case("18 40 01 C2 84", 0xCC, "reserved", setup=with_lan, note="access set selector 11b"),
    Case("18 40 01 82 B4", 0xCC, "reserved", setup=with_lan, note="privilege byte bits 5:4"),
    Case("18 40 01 82 86", 0xCC, "range", setup=with_lan, note="privilege limit 6"),
    Case("18 40 01 83 84", 0x83, "state", setup=with_lan, note="shared access mode not supported"),
    Case("18 40 0F 82 84", 0x82, "state", note="the system interface is session-less"),
    Case("18 40 05 82 84", 0xCC, "missing", note="no channel 5"),
    Case("18 40 01 82 84", 0xD4, "privilege", privilege=P.OPERATOR),
    Case("18 41 0F 80", 0x00, rsp="1C 41 00 3A 04", note="QEMU"),
    Case("18 41 0F", 0xC7, "short"),
    Case("18 41 0F 80 00", 0xC7, "long"),
    Case("18 41 0F 00", 0xCC, "reserved", note="no settings selected"),
    Case("18 41 05 80", 0xCC, "missing", note="no channel 5"),
    Case("18 41 0F 80", 0xD4, "privilege", privilege=P.CALLBACK),
    Case("18 42 0F", 0x00, rsp="1C 42 00 0F 0C 05 00 F2 1B 00 FF FF", note="KCS, no IRQ"),
    Case("18 42 00", 0x00, rsp="1C 42 00 00 01 01 00 F2 1B 00 00 00", note="QEMU primary IPMB"),
    Case("18 42", 0xC7, "short"),
    Case("18 42 0F 00", 0xC7, "long"),
    Case("18 42 1F", 0xCC, "reserved"),
    Case("18 42 01", 0x00, rsp="1C 42 00 01 04 01 80 F2 1B 00 00 00", note="the world's LAN channel: multi-session"),
    Case("18 42 05", 0xCC, "missing", rsp="1C 42 CC", note="no channel 5"),
    Case("18 42 0F", 0xD4, "privilege", privilege=P.CALLBACK),
    # Set / Get User Access
    Case("18 43 9E 03 03", 0x00, rsp="1C 43 00", check=user3_operator),
    Case("18 43 9E 03", 0xC7, "short"),
    Case("18 43 9E 03 03 00 00", 0xC7, "long"),
    Case("18 43 9E 43 03", 0xCC, "reserved", note="user ID bits 7:6"),
    Case("18 43 9E 00 03", 0xCC, "reserved", note="user 0"),
    Case("18 43 9E 03 06", 0xCC, "range", note="privilege 6"),
    Case("18 43 9E 10 03", 0xC9, "missing", note="user 16 beyond the table"),
    Case("18 43 9E 03 03", 0xD4, "privilege", privilege=P.OPERATOR),
    Case("18 44 0E 02", 0x00, rsp="1C 44 00 0F 42 01 34", note="15 users, 2 enabled; ipmiusr: Administrator"),
    Case("18 44 0E 01", 0x00, rsp="1C 44 00 0F 42 01 32", note="anonymous user 1: User"),
    Case("18 44 0E", 0xC7, "short"),
    Case("18 44 0E 02 00", 0xC7, "long"),
    Case("18 44 0E 82", 0xCC, "reserved"),
    Case("18 44 0E 10", 0xC9, "missing"),
    Case("18 44 0E 02", 0xD4, "privilege", privilege=P.USER),
    # Set / Get User Name
    Case(f"18 45 03 {NAME_OPERATOR}", 0x00, rsp="1C 45 00", check=user3_named),
    Case(f"18 45 03 {NAME_OPERATOR[:-3]}", 0xC7, "short"),
    Case(f"18 45 03 {NAME_OPERATOR} 00", 0xC7, "long"),
    Case(f"18 45 01 {NAME_OPERATOR}", 0xCC, "state", note="user 1's null name is fixed"),
    Case(f"18 45 10 {NAME_OPERATOR}", 0xC9, "missing"),
    Case(f"18 45 03 {NAME_OPERATOR}", 0xD4, "privilege", privilege=P.OPERATOR),
    Case("18 46 02", 0x00, rsp="1C 46 00 69 70 6D 69 75 73 72 00 00 00 00 00 00 00 00 00", note="ipmiusr"),
    Case("18 46 01", 0x00, rsp="1C 46 00 " + hexdump(bytes(16)), note="user 1: null name"),
    Case("18 46", 0xC7, "short"),
    Case("18 46 02 00", 0xC7, "long"),
    Case("18 46 82", 0xCC, "reserved"),
    Case("18 46 10", 0xC9, "missing"),
    Case("18 46 02", 0xD4, "privilege", privilege=P.USER),
    # Set User Password
    Case(f"18 47 03 02 {PW_SECRET}", 0x00, rsp="1C 47 00", check=user3_secret),
    Case("18 47 03 01", 0x00, rsp="1C 47 00", check=user3_enabled, note="enable user"),
    Case(f"18 47 02 03 {PW_TEST}", 0x00, rsp="1C 47 00", note="test: ipmiusr's password is test"),
    Case(f"18 47 02 03 {PW_SECRET}", 0x80, "state", rsp="1C 47 80", note="test: mismatch"),
    Case(f"18 47 82 03 {PW_TEST} 00 00 00 00", 0x81, "state", note="test: 20-byte against a 16-byte password"),
    Case("18 47 03", 0xC7, "short"),
    Case("18 47 03 02 73 65 63", 0xC7, "short", note="a 16-byte set with 3 password bytes"),
    Case(f"18 47 83 02 {PW_SECRET} 00 00 00 00 00", 0xC7, "long"),
    Case("18 47 03 04", 0xCC, "reserved", note="operation bits 7:2"),
    Case("18 47 43 01", 0xCC, "reserved", note="user ID bit 6"),
    Case("18 47 10 01", 0xC9, "missing"),
    Case(f"18 47 03 02 {PW_SECRET}", 0xD4, "privilege", privilege=P.OPERATOR),
    # Set / Get System Info Parameters
    Case(f"18 58 02 00 {HELLO_BLOCK}", 0x00, rsp="1C 58 00", check=system_name_hello),
    Case("18 58 00 01", 0x00, rsp="1C 58 00", note="set in progress"),
    Case("18 58 00 01", 0x81, "state", setup=with_sysinfo_in_progress, note="already claimed"),
    Case("18 58 02", 0xC7, "short"),
    Case("18 58 02 00 00 05", 0xC7, "short", note="a block is 16 bytes"),
    Case(f"18 58 02 00 {HELLO_BLOCK} 00", 0xC7, "long"),
    Case("18 58 02 00 10 05 68 65 6C 6C 6F 00 00 00 00 00 00 00 00 00", 0xCC, "reserved", note="encoding bits 7:4"),
    Case("18 58 00 03", 0xCC, "reserved", note="set in progress 11b"),
    Case(f"18 58 02 10 {HELLO_BLOCK}", 0xC9, "range", note="set selector 16"),
    Case(f"18 58 30 00 {HELLO_BLOCK}", 0x80, "missing", note="parameter not supported"),
    Case(f"18 58 02 00 {HELLO_BLOCK}", 0xD4, "privilege", privilege=P.OPERATOR),
    Case("18 59 00 02 00 00", 0x00, rsp="1C 59 00 11 00 " + hexdump(bytes(16)), note="empty system name"),
    Case("18 59 80 02 00 00", 0x00, rsp="1C 59 00 11", note="revision only"),
    Case("18 59 00 02 00", 0xC7, "short"),
    Case("18 59 00 02 00 00 00", 0xC7, "long"),
    Case("18 59 01 02 00 00", 0xCC, "reserved"),
    Case("18 59 00 02 10 00", 0xC9, "range"),
    Case("18 59 00 30 00 00", 0x80, "missing"),
    Case("18 59 00 02 00 00", 0xD4, "privilege", privilege=P.CALLBACK),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id() for c in CASES])
def test_app_conformance(case):
    run_case(case)


def test_system_info_set_in_progress_rolls_back():
    from tests.conformance import fresh_world

    w = fresh_world()
    assert ask(w, "18 58 00 01") == "1C 58 00"
    assert ask(w, f"18 58 02 00 {HELLO_BLOCK}") == "1C 58 00"
    assert ask(w, "18 59 00 02 00 00").startswith("1C 59 00 11 00 00 05 68")   # the writer sees its write
    assert w.bmc.system_info.text(2) == ""                                    # nothing applied yet
    assert ask(w, "18 58 00 00") == "1C 58 00"                                # complete without commit
    assert ask(w, "18 59 00 02 00 00") == "1C 59 00 11 00 " + hexdump(bytes(16))
    assert ask(w, "18 58 00 01") == "1C 58 00"
    assert ask(w, f"18 58 02 00 {HELLO_BLOCK}") == "1C 58 00"
    assert ask(w, "18 58 00 02") == "1C 58 00"                                # commit write
    assert w.bmc.system_info.text(2) == "hello" and ask(w, "18 59 00 00 00 00") == "1C 59 00 11 01"


def test_long_system_name_spans_blocks_like_ipmitool_setsysinfo():
    from tests.conformance import fresh_world

    w = fresh_world()
    name = b"rack42-node07.example.org"              # 25 bytes: block 0 holds 14, block 1 the rest
    first = bytes((0x02, 0x00, 0x00, len(name))) + name[:14]
    second = bytes((0x02, 0x01)) + name[14:].ljust(16, b"\x00")
    for block in (first, second):
        assert w.ipmid.handle(b"\x18\x58" + block)[2] == 0
    assert w.bmc.system_info.text(2) == name.decode()
    rsp = w.ipmid.handle(from_hex("18 59 00 02 01 00"))     # set selector 1
    assert rsp[2:5] == b"\x00\x11\x01" and rsp[5:] == name[14:].ljust(16, b"\x00")


def test_user_password_20_bytes_and_anonymous_login():
    from tests.conformance import fresh_world

    w = fresh_world()
    pw20 = "41 " * 19 + "42"
    assert ask(w, f"18 47 81 02 {pw20}") == "1C 47 00"                # user 1 gets a 20-byte password
    assert ask(w, f"18 47 81 03 {pw20}") == "1C 47 00"
    assert ask(w, f"18 47 01 03 {PW_TEST}") == "1C 47 81"              # 16-byte test: wrong size
    assert ask(w, "18 47 01 02 " + hexdump(bytes(16))) == "1C 47 00"  # null password: anonymous login
    assert ask(w, "18 38 8E 04")[15:17] == "1D"                         # bit 0 anonymous, bit 2 named; no bit 1


def test_send_message_answer_can_be_delayed_on_the_ipmb():
    from buses.time import ms
    from tests.conformance import fresh_world

    w = fresh_world()
    w.bmc.ipmb_latency = ms(2)
    assert ask(w, f"18 34 {SEND_GET_DEVICE_ID}") == "1C 34 00"
    assert ask(w, "18 31") == "1C 31 00 00"
    w.sim.run(until=ms(2) + 1)
    assert ask(w, "18 31") == "1C 31 00 01"


def test_satellite_unknown_command_answers_c1():
    from tests.conformance import fresh_world

    w = fresh_world()
    # App Get Self Test (0x04) to the satellite: body checksum over 20 0A 04 is 0xD2.
    assert ask(w, "18 34 00 40 18 A8 20 0A 04 D2") == "1C 34 00"
    assert ask(w, "18 33").split()[8:10] == ["04", "C1"]
