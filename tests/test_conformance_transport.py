"""Conformance table, Transport commands (NetFn 0x0C): Get/Set LAN Configuration Parameters (section 23.2).

Every parameter of Table 23-4 this BMC has: its default as Get reads it, a
Set that reads back, and the completion codes: 80h not supported, 81h set
in progress already claimed, 82h read-only, C7h wrong length, C9h a
destination selector past parameter 17, CCh a reserved bit or bad value.
The world's LAN channel is channel 1.
"""

import pytest

from bmc.ipmi.msg import from_hex, hexdump
from bmc.lan_config import derived_mac
from bmc.privilege import Privilege
from tests.conformance import Case, fresh_world, run_case

P = Privilege
MAC = hexdump(derived_mac("bmc", "20", ""))      # the default world's BMC: name "bmc", IPMB 20h, no GUID
COMMUNITY = "70 75 62 6C 69 63 " + "00 " * 11 + "00"   # "public", 18 bytes


def ask(w, request: str) -> str:
    return hexdump(w.ipmid.handle(from_hex(request)))


def get(param: int, set_selector: int = 0) -> str:
    return f"30 02 01 {param:02X} {set_selector:02X} 00"


def reads_back(param: int, data: str, set_selector: int = 0):
    def check(w, _rsp):
        assert ask(w, get(param, set_selector)) == "34 02 00 11 " + hexdump(from_hex(data))
    return check


def with_set_in_progress(w):
    assert ask(w, "30 01 01 00 01") == "34 01 00"


CASES = [
    # -- Get: each parameter's default -------------------------------------------------------------
    Case(get(0), 0x00, rsp="34 02 00 11 00", note="set complete"),
    Case("30 02 81 00 00 00", 0x00, rsp="34 02 00 11", note="parameter revision only"),
    Case("30 02 81 30 00 00", 0x00, rsp="34 02 00 11", note="revision only, even of an unsupported one"),
    Case(get(1), 0x00, rsp="34 02 00 11 15", note="none, MD5, straight password"),
    Case(get(2), 0x00, rsp="34 02 00 11 15 15 15 15 15", note="all of them at every privilege (ipmi_sim)"),
    Case(get(3), 0x00, rsp="34 02 00 11 7F 00 00 01"),
    Case(get(4), 0x00, rsp="34 02 00 11 01", note="static"),
    Case(get(5), 0x00, rsp=f"34 02 00 11 {MAC}", note="derived from the BMC's identity"),
    Case(get(6), 0x00, rsp="34 02 00 11 FF 00 00 00"),
    Case(get(7), 0x00, rsp="34 02 00 11 40 40 10", note="the spec's defaults: TTL 40h, DF, TOS 10h"),
    Case(get(8), 0x00, rsp="34 02 00 11 6F 02", note="RMCP port 623"),
    Case(get(10), 0x00, rsp="34 02 00 11 02", note="ARP responses on, gratuitous ARP off"),
    Case(get(11), 0x00, rsp="34 02 00 11 04", note="2 s"),
    Case(get(12), 0x00, rsp="34 02 00 11 00 00 00 00"),
    Case(get(13), 0x00, rsp="34 02 00 11 00 00 00 00 00 00"),
    Case(get(14), 0x00, rsp="34 02 00 11 00 00 00 00"),
    Case(get(15), 0x00, rsp="34 02 00 11 00 00 00 00 00 00"),
    Case(get(16), 0x00, rsp=f"34 02 00 11 {COMMUNITY}"),
    Case(get(17), 0x00, rsp="34 02 00 11 04"),
    Case(get(18, 2), 0x00, rsp="34 02 00 11 02 00 00 00"),
    Case(get(19, 4), 0x00, rsp="34 02 00 11 04 00 00 00 00 00 00 00 00 00 00 00 00"),
    Case(get(20), 0x00, rsp="34 02 00 11 00 00", note="VLAN disabled"),
    Case(get(21), 0x00, rsp="34 02 00 11 00"),
    Case(get(22), 0x00, rsp="34 02 00 11 07"),
    Case(get(23), 0x00, rsp="34 02 00 11 00 00 01 02 03 0F 10 11"),
    Case(get(24), 0x00, rsp="34 02 00 11 00 44 44 44 04 00 00 00 00", note="Administrator for each suite"),
    Case(get(26), 0x00, rsp="34 02 00 11 00 00 00 00 00 00", note="no lockout"),
    Case("30 02 0E 03 00 00", 0xCC, "missing", note="the system interface is not a LAN channel"),
    Case("30 02 02 03 00 00", 0xCC, "missing", note="no LAN channel 2"),
    Case("30 02 01 03 00", 0xC7, "short"),
    Case("30 02 01 03 00 00 00", 0xC7, "long"),
    Case("30 02 11 03 00 00", 0xCC, "reserved", note="channel byte bits 6:4"),
    Case("30 02 01 03 01 00", 0xCC, "reserved", note="set selector of a parameter without one"),
    Case("30 02 01 03 00 01", 0xCC, "reserved", note="block selector"),
    Case(get(18, 5), 0xC9, "range", note="destination 5 of 4"),
    Case(get(19, 0x10), 0xCC, "reserved", note="destination selector bits 7:4"),
    Case(get(25), 0x80, "missing", note="VLAN tags: not supported"),
    Case(get(9), 0x80, "missing", note="secondary RMCP port: not supported"),
    Case(get(0xC0), 0x80, "missing", note="OEM parameter"),
    Case(get(3), 0xD4, "privilege", privilege=P.USER),
    # -- Set: each settable parameter reads back ------------------------------------------------------
    Case("30 01 01 02 15 15 15 04 15", 0x00, check=reads_back(2, "15 15 15 04 15"), note="auth ADMIN MD5"),
    Case("30 01 01 03 0A 00 00 05", 0x00, check=reads_back(3, "0A 00 00 05")),
    Case("30 01 01 04 02", 0x00, check=reads_back(4, "02"), note="DHCP"),
    Case("30 01 01 05 02 11 22 33 44 55", 0x00, check=reads_back(5, "02 11 22 33 44 55")),
    Case("30 01 01 06 FF FF FF 00", 0x00, check=reads_back(6, "FF FF FF 00")),
    Case("30 01 01 07 20 40 18", 0x00, check=reads_back(7, "20 40 18")),
    Case("30 01 01 0A 03", 0x00, check=reads_back(10, "03")),
    Case("30 01 01 0B 09", 0x00, check=reads_back(11, "09")),
    Case("30 01 01 0C 0A 00 00 01", 0x00, check=reads_back(12, "0A 00 00 01")),
    Case("30 01 01 0D 00 01 02 03 04 05", 0x00, check=reads_back(13, "00 01 02 03 04 05")),
    Case("30 01 01 0E 0A 00 00 02", 0x00, check=reads_back(14, "0A 00 00 02")),
    Case("30 01 01 0F 00 01 02 03 04 06", 0x00, check=reads_back(15, "00 01 02 03 04 06")),
    Case("30 01 01 10 6C 61 62 " + "00 " * 15, 0x00, check=reads_back(16, "6C 61 62 " + "00 " * 15)),
    Case("30 01 01 12 03 86 05 03", 0x00, check=reads_back(18, "03 86 05 03", 3), note="OEM 1, acked, 3 retries"),
    Case("30 01 01 13 01 00 01 0A 00 00 09 02 00 00 00 00 09", 0x00,
         check=reads_back(19, "01 00 01 0A 00 00 09 02 00 00 00 00 09", 1)),
    Case("30 01 01 14 64 80", 0x00, check=reads_back(20, "64 80"), note="VLAN 100 on"),
    Case("30 01 01 15 05", 0x00, check=reads_back(21, "05")),
    Case("30 01 01 18 00 40 44 44 04 00 00 00 00", 0x00, check=reads_back(24, "00 40 44 44 04 00 00 00 00"),
         note="cipher_privs XaaaaaaXXXXXXXX"),
    Case("30 01 01 1A 01 03 06 00 0C 00", 0x00, check=reads_back(26, "01 03 06 00 0C 00")),
    Case("30 01 01 00 01", 0x00, check=reads_back(0, "01"), note="set in progress"),
    Case("30 01 01 00 01", 0x81, "state", setup=with_set_in_progress, note="already claimed"),
    Case("30 01 01 00 03", 0xCC, "reserved", note="set in progress 11b"),
    Case("30 01 01", 0xC7, "short"),
    Case("30 01 01 03 0A 00 00", 0xC7, "short", note="IP address of 3 bytes"),
    Case("30 01 01 03 0A 00 00 05 00", 0xC7, "long"),
    Case("30 01 01 01 15", 0x82, "state", note="auth type support is read-only"),
    Case("30 01 01 11 04", 0x82, "state", note="number of destinations is read-only"),
    Case("30 01 01 16 07", 0x82, "state", note="cipher suite entry support is read-only"),
    Case("30 01 01 17 00 00 01 02 03 0F 10 11", 0x82, "state"),
    Case("30 01 01 08 6F 02", 0x82, "state", note="the RMCP port is the server's"),
    Case("30 01 01 19 00", 0x80, "missing"),
    Case("30 01 02 03 0A 00 00 05", 0xCC, "missing", note="no LAN channel 2"),
    Case("30 01 11 03 0A 00 00 05", 0xCC, "reserved", note="channel byte bits 7:4"),
    Case("30 01 01 02 15 15 15 02 15", 0xCC, "range", note="MD2 is not supported"),
    Case("30 01 01 04 05", 0xCC, "range", note="IP address source 5"),
    Case("30 01 01 04 11", 0xCC, "reserved"),
    Case("30 01 01 06 FF 00 FF 00", 0xCC, "range", note="non-contiguous netmask"),
    Case("30 01 01 07 40 41 10", 0xCC, "reserved", note="flags bits 4:0"),
    Case("30 01 01 07 40 40 11", 0xCC, "reserved", note="TOS bit 0"),
    Case("30 01 01 0A 04", 0xCC, "reserved"),
    Case("30 01 01 12 05 00 00 00", 0xC9, "range", note="destination 5 of 4"),
    Case("30 01 01 12 01 03 00 00", 0xCC, "range", note="destination type 3 is reserved"),
    Case("30 01 01 12 01 00 00 08", 0xCC, "reserved", note="retries bits 7:3"),
    Case("30 01 01 13 01 10 00 0A 00 00 09 02 00 00 00 00 09", 0xCC, "range", note="address format 1h"),
    Case("30 01 01 13 01 00 02 0A 00 00 09 02 00 00 00 00 09", 0xCC, "reserved", note="gateway selector"),
    Case("30 01 01 14 00 80", 0xCC, "range", note="VLAN 0 enabled"),
    Case("30 01 01 14 FF 8F", 0xCC, "range", note="VLAN 4095 enabled"),
    Case("30 01 01 14 00 10", 0xCC, "reserved"),
    Case("30 01 01 15 08", 0xCC, "reserved"),
    Case("30 01 01 18 00 46 44 44 04 00 00 00 00", 0xCC, "range", note="privilege 6"),
    Case("30 01 01 18 01 44 44 44 04 00 00 00 00", 0xCC, "reserved"),
    Case("30 01 01 1A 02 03 06 00 0C 00", 0xCC, "reserved"),
    Case("30 01 01 03 0A 00 00 05", 0xD4, "privilege", privilege=P.OPERATOR),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id() for c in CASES])
def test_transport_conformance(case):
    run_case(case)


def test_a_failed_set_changes_nothing():
    w = fresh_world()
    before = [ask(w, get(p)) for p in (2, 6, 20, 24)]
    for bad in ("30 01 01 02 15 15 15 02 15", "30 01 01 06 FF 00 FF 00", "30 01 01 14 00 80",
                "30 01 01 18 00 46 44 44 04 00 00 00 00"):
        assert ask(w, bad).endswith("CC")
    assert [ask(w, get(p)) for p in (2, 6, 20, 24)] == before


def test_set_in_progress_stages_until_commit():
    """ipmitool's set_lan_param: claim, write, read back (the staged value), commit, complete."""
    w = fresh_world()
    assert ask(w, "30 01 01 00 01") == "34 01 00"
    assert ask(w, "30 01 01 03 0A 00 00 05") == "34 01 00"
    assert ask(w, get(3)) == "34 02 00 11 0A 00 00 05"          # the writer sees its write
    assert w.bmc.lan_config.addressing.ip_address == bytes((127, 0, 0, 1))   # nothing applied yet
    assert ask(w, "30 01 01 00 02") == "34 01 00"               # commit write
    assert w.bmc.lan_config.addressing.ip_address == bytes((10, 0, 0, 5))
    assert ask(w, get(0)) == "34 02 00 11 01"                   # still in progress after a commit
    assert ask(w, "30 01 01 00 00") == "34 01 00"
    assert ask(w, get(0)) == "34 02 00 11 00"


def test_set_complete_without_commit_rolls_back():
    w = fresh_world()
    assert ask(w, "30 01 01 00 01") == "34 01 00"
    assert ask(w, "30 01 01 06 FF FF 00 00") == "34 01 00"
    assert ask(w, "30 01 01 00 00") == "34 01 00"
    assert ask(w, get(6)) == "34 02 00 11 FF 00 00 00"


def test_cold_reset_drops_a_set_in_progress_and_keeps_what_was_committed():
    w = fresh_world()
    assert ask(w, "30 01 01 03 0A 00 00 07") == "34 01 00"
    assert ask(w, "30 01 01 00 01") == "34 01 00"
    assert ask(w, "30 01 01 03 0A 00 00 08") == "34 01 00"
    w.bmc.cold_reset(w.sim.now)
    assert ask(w, get(0)) == "34 02 00 11 00"
    assert ask(w, get(3)) == "34 02 00 11 0A 00 00 07"


def test_the_session_layer_sees_what_set_wrote():
    """Parameters 2, 24 and 26 are the LanConfig fields the session layer reads."""
    w = fresh_world()
    cfg = w.bmc.lan_config
    assert ask(w, "30 01 01 02 01 04 04 04 00") == "34 01 00"
    assert cfg.auth_enables == {P.CALLBACK: 0x01, P.USER: 0x04, P.OPERATOR: 0x04, P.ADMINISTRATOR: 0x04, P.OEM: 0}
    assert ask(w, "30 01 01 18 00 32 44 44 04 00 00 00 00") == "34 01 00"
    assert cfg.cipher_suite_privileges == {0: 2, 1: 3, 2: 4, 3: 4, 15: 4, 16: 4, 17: 4}
    assert ask(w, "30 01 01 1A 00 05 03 00 1E 00") == "34 01 00"
    b = cfg.bad_password
    assert (b.threshold, b.reset_interval_s, b.lockout_interval_s, b.audit_event) == (5, 30, 300, False)


def test_every_bmc_has_its_own_mac():
    from bmc.bmc import Bmc
    from buses import Simulation

    macs = {Bmc(Simulation(), name=f"bmc{i}", lan_channel=1).lan_config.addressing.mac_address for i in range(8)}
    assert len(macs) == 8
    assert all(m[0] & 0x03 == 0x02 for m in macs)      # locally administered, unicast
    again = Bmc(Simulation(), name="bmc3", lan_channel=1).lan_config.addressing.mac_address
    assert again in macs


def test_committed_parameters_survive_a_restart(tmp_path):
    from bmc.bmc import Bmc
    from bmc.ipmid import Ipmid
    from buses import Simulation

    def boot():
        sim = Simulation()
        bmc = Bmc(sim, lan_channel=1, state_dir=tmp_path)
        return bmc, Ipmid(sim, bmc)

    bmc, ipmid = boot()
    for req in ("30 01 01 03 0A 00 00 05", "30 01 01 12 02 06 03 01", "30 01 01 1A 01 03 06 00 0C 00"):
        assert hexdump(ipmid.handle(from_hex(req))) == "34 01 00"
    assert hexdump(ipmid.handle(from_hex("30 01 01 00 01"))) == "34 01 00"
    assert hexdump(ipmid.handle(from_hex("30 01 01 06 FF FF FF 00"))) == "34 01 00"   # staged, never committed
    bmc.store.close()
    bmc, ipmid = boot()
    try:
        assert hexdump(ipmid.handle(from_hex(get(3)))) == "34 02 00 11 0A 00 00 05"
        assert hexdump(ipmid.handle(from_hex(get(18, 2)))) == "34 02 00 11 02 06 03 01"
        assert bmc.lan_config.bad_password.threshold == 3
        assert hexdump(ipmid.handle(from_hex(get(6)))) == "34 02 00 11 FF 00 00 00"
    finally:
        bmc.store.close()
