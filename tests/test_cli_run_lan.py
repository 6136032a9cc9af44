"""``ipmilab run`` with the LAN channel's commands: lan print, user list/summary, channel info/getaccess.

The real ipmitool's output for the same answers is compared byte for byte in
tests/test_ipmitool_fidelity.py (slow); these pin the default world's text and
the error paths.
"""

from __future__ import annotations

import json

import pytest

from bmc.lan_config import derived_mac
from scenarios.cli import main


def run(capsys, *argv):
    rc = main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


def test_lan_print_is_every_line_ipmitool_prints(capsys):
    rc, out, err = run(capsys, "run", "--", "lan", "print", "1")
    assert (rc, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == "Set in Progress         : Set Complete"
    assert lines[1] == "Auth Type Support       : NONE MD5 PASSWORD "
    assert "IP Address              : 127.0.0.1" in lines and "Subnet Mask             : 255.0.0.0" in lines
    assert "IP Header               : TTL=0x40 Flags=0x40 Precedence=0x00 TOS=0x10" in lines
    assert "Gratituous ARP Intrvl   : 2.0 seconds" in lines            # ipmitool's spelling
    assert "RMCP+ Cipher Suites     : 0,1,2,3,15,16,17" in lines
    assert "Cipher Suite Priv Max   : aaaaaaaXXXXXXXX" in lines
    assert lines[-1] == "User Lockout Interval   : 0" and len(lines) == 33


def test_lan_print_without_a_channel_finds_channel_1(capsys):
    assert run(capsys, "run", "--", "lan", "print") == run(capsys, "run", "--", "lan", "print", "1")


def test_lan_print_of_a_channel_that_is_not_lan(capsys):
    assert run(capsys, "run", "--", "lan", "print", "2") == (1, "", "Invalid channel: 2\n")


def test_lan_print_json_has_the_parameters(capsys):
    rc, out, _ = run(capsys, "run", "--json", "--", "lan", "print", "1")
    result = json.loads(out)
    assert rc == 0 and result["data"]["channel"] == 1
    assert result["data"]["parameters"]["IP Address"] == "127.0.0.1"
    gets = [r["request"] for r in result["requests"] if r["request"].startswith("30 02")]
    assert [int(g.split()[3], 16) for g in gets] == [0, 1, 2, 4, 3, 6, 5, 16, 7, 10, 11, 12, 13, 14, 15, 20, 21,
                                                      22, 23, 24, 26]      # ipmi_lan_print's order


def test_a_rack_of_bmcs_has_as_many_macs(capsys):
    """The MAC follows the BMC's identity (its name, IPMB address and GUID)."""
    rc, out, _ = run(capsys, "run", "--", "lan", "print", "1")
    mac = next(line.split(": ", 1)[1] for line in out.splitlines() if line.startswith("MAC Address"))
    assert mac.count(":") == 5 and mac.startswith("02:")
    assert derived_mac("bmc", "20", "") != derived_mac("bmc1", "20", "") != derived_mac("bmc", "22", "")


def test_channel_info_1_and_the_system_interface(capsys):
    rc, out, err = run(capsys, "run", "--", "channel", "info", "1")
    assert (rc, err) == (0, "")
    assert out.startswith("Channel 0x1 info:\n  Channel Medium Type   : 802.3 LAN\n"
                          "  Channel Protocol Type : IPMB-1.0\n  Session Support       : multi-session\n"
                          "  Active Session Count  : 0\n  Protocol Vendor ID    : 7154\n  Volatile(active) Settings\n")
    rc, out, err = run(capsys, "run", "--", "channel", "info")
    assert rc == 0 and out.startswith("Channel 0xf info:\n  Channel Medium Type   : System Interface\n"
                                      "  Channel Protocol Type : KCS\n  Session Support       : session-less\n")
    assert "Volatile" not in out


def test_user_list_and_summary(capsys):
    rc, out, err = run(capsys, "run", "--", "user", "list", "1")
    assert (rc, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == "ID  Name\t     Callin  Link Auth\tIPMI Msg   Channel Priv Limit"
    assert lines[2] == "2   ipmiusr          true    true       true       ADMINISTRATOR"
    assert len(lines) == 16
    rc, out, _ = run(capsys, "run", "--", "user", "summary", "1")
    assert out == "Maximum IDs\t    : 15\nEnabled User Count  : 2\nFixed Name Count    : 1\n"


def test_channel_getaccess_of_one_user(capsys):
    rc, out, _ = run(capsys, "run", "--", "channel", "getaccess", "1", "2")
    assert rc == 0 and "User Name            : ipmiusr\n" in out and "Privilege Level      : ADMINISTRATOR\n" in out


@pytest.mark.parametrize(("argv", "word"), [
    (["run", "--", "channel", "info", "12"], "'12'"),
    (["run", "--", "user", "list", "0x10"], "'0x10'"),
    (["run", "--", "lan", "print", "x"], "'x'"),
    (["run", "--", "channel", "getaccess", "1", "0"], "'0'"),
])
def test_bad_words_exit_2_naming_them(capsys, argv, word):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2 and word in capsys.readouterr().err
