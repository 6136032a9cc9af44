"""LAN parameters, users and channel 1 through the real ipmitool in a QEMU guest (slow, real peers).

One Debian guest boots against ``ipmilab serve --vm --state-dir DIR`` and
its ``/usr/bin/ipmitool`` (1.8.19) sets the LAN channel up as an
administrator would (``lan set 1 ipaddr / netmask / defgw / macaddr / ipsrc
/ access / cipher_privs / auth``), then manages user 3 (name, 16- and
20-byte passwords, the password test, enable, privilege).  Every command's
output is ipmitool's own for these answers, checked line for line; the last
``lan print 1`` must also be what ``ipmilab run --state-dir COPY -- lan
print 1`` prints on a copy of the state the serve left behind, which is
what the Set LAN Configuration Parameters committed, persisted and read back.
"""

from __future__ import annotations

import shlex
import shutil

import pytest

from tests.peers.guest.qemu_guest import Check, ServeProcess, missing, run_guest
from tests.test_ipmitool_fidelity import ipmilab_cli

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(missing() is not None, reason=f"{missing()}; tests/peers/install.sh installs it"),
]

GUEST_TIMEOUT_S = 240

# (command, exit status, stdout) as ipmitool 1.8.19 prints them for our answers; None: checked below.
PLAN = (
    ("lan print 1", 0, None),
    ("lan set 1 ipaddr 10.0.0.5", 0, "Setting LAN IP Address to 10.0.0.5\n"),
    ("lan set 1 netmask 255.255.255.0", 0, "Setting LAN Subnet Mask to 255.255.255.0\n"),
    ("lan set 1 defgw ipaddr 10.0.0.1", 0, "Setting LAN Default Gateway IP to 10.0.0.1\n"),
    ("lan set 1 macaddr 02:11:22:33:44:55", 0, "Setting LAN MAC Address to 02:11:22:33:44:55\n"),
    ("lan set 1 ipsrc static", 0, ""),
    ("lan set 1 access on", 0, "Set Channel Access for channel 1 was successful.\n"),
    ("lan set 1 cipher_privs XaaaaaaXXXXXXXX", 0, ""),
    ("lan set 1 auth ADMIN MD5", 0, ""),
    ("lan print 1", 0, None),
    ("user set name 3 alice", 0, ""),
    ("user set password 3 secret", 0, "Set User Password command successful (user 3)\n"),
    ("user test 3 16 secret", 0, "Success\n"),
    ("user test 3 16 wrong", 1, "Failure: password incorrect\n"),
    ("user test 3 20 secret", 1, "Failure: wrong password size\n"),
    ("user set password 3 secret 20", 0, "Set User Password command successful (user 3)\n"),
    ("user test 3 20 secret", 0, "Success\n"),
    ("user test 3 16 secret", 1, "Failure: wrong password size\n"),
    ("user disable 3", 0, ""),
    ("user enable 3", 0, ""),
    ("user priv 3 4 1", 0, "Set Privilege Level command successful (user 3)\n"),
    ("user list 1", 0, None),
    ("channel getaccess 1 3", 0, None),
    ("channel info 1", 0, None),
)

USER_LIST_HEAD = (
    "ID  Name\t     Callin  Link Auth\tIPMI Msg   Channel Priv Limit\n"
    "1                    true    true       true       USER\n"
    "2   ipmiusr          true    true       true       ADMINISTRATOR\n"
    "3   alice            true    false      false      ADMINISTRATOR\n"
    "4                    true    false      false      NO ACCESS\n"
)
USER_3 = (
    "Maximum User IDs     : 15\n"
    "Enabled User IDs     : 3\n"
    "\n"
    "User ID              : 3\n"
    "User Name            : alice\n"
    "Fixed Name           : No\n"
    "Access Available     : call-in / callback\n"
    "Link Authentication  : disabled\n"
    "IPMI Messaging       : disabled\n"
    "Privilege Level      : ADMINISTRATOR\n"
    "Enable Status        : enabled\n"
)


@pytest.fixture(scope="module")
def guest(tmp_path_factory):
    work = tmp_path_factory.mktemp("lan")
    state = work / "state"
    state.mkdir()
    checks = tuple(Check(f"c{i:02d}", cmd, exact=True) for i, (cmd, _, _) in enumerate(PLAN))
    with ServeProcess("--interface", "kcs", "--state-dir", str(state)) as srv:
        run = run_guest("isa-ipmi-kcs", srv.port, work / "guest", timeout=GUEST_TIMEOUT_S, checks=checks)
    assert run.bound, "the guest's driver never bound\n" + "\n".join(run.console[-40:])
    results = []
    for i in range(len(PLAN)):
        r = run.checks[f"c{i:02d}"]
        results.append((r.rc, (r.stdout or b"").decode("latin-1"), (r.stderr or b"").decode("latin-1")))
    snapshot = work / "state-after"
    shutil.copytree(state, snapshot)
    return results, snapshot


def _result(guest, cmd: str, nth: int = 0):
    results, _ = guest
    found = [results[i] for i, (c, _, _) in enumerate(PLAN) if c == cmd]
    return found[nth]


@pytest.mark.parametrize("i", [i for i, (_, _, out) in enumerate(PLAN) if out is not None],
                         ids=lambda i: f"{i:02d}-{PLAN[i][0]}")
def test_ipmitool_says_what_it_says_for_these_answers(guest, i):
    results, _ = guest
    cmd, rc, out = PLAN[i]
    got_rc, got_out, got_err = results[i]
    assert (got_rc, got_out, got_err) == (rc, out, ""), f"ipmitool {cmd}"


def test_lan_print_shows_the_defaults_first(guest):
    rc, out, err = _result(guest, "lan print 1", 0)
    assert (rc, err) == (0, "")
    assert "IP Address              : 127.0.0.1\n" in out
    assert "Cipher Suite Priv Max   : aaaaaaaXXXXXXXX\n" in out
    assert "RMCP+ Cipher Suites     : 0,1,2,3,15,16,17\n" in out
    assert ipmilab_cli(["lan", "print", "1"]) == (0, out.encode("latin-1"), b"")


def test_lan_print_reads_back_every_set(guest):
    rc, out, err = _result(guest, "lan print 1", 1)
    assert (rc, err) == (0, "")
    for line in ("IP Address Source       : Static Address", "IP Address              : 10.0.0.5",
                 "Subnet Mask             : 255.255.255.0", "MAC Address             : 02:11:22:33:44:55",
                 "Default Gateway IP      : 10.0.0.1", "Cipher Suite Priv Max   : XaaaaaaXXXXXXXX",
                 "                        : Admin    : MD5 ",
                 "                        : Operator : NONE MD5 PASSWORD "):
        assert line + "\n" in out, line


def test_the_settings_persist_in_the_state_dir(guest, tmp_path):
    """ipmilab run on a copy of the serve's state prints what the guest's last lan print printed."""
    _, snapshot = guest
    copy = tmp_path / "state"
    shutil.copytree(snapshot, copy)
    _, out, _ = _result(guest, "lan print 1", 1)
    assert ipmilab_cli(shlex.split("lan print 1"), "--state-dir", str(copy)) == (0, out.encode("latin-1"), b"")


def test_user_3_as_ipmitool_lists_it(guest):
    rc, out, err = _result(guest, "user list 1")
    assert (rc, err) == (0, "") and out.startswith(USER_LIST_HEAD), out
    assert _result(guest, "channel getaccess 1 3") == (0, USER_3, "")


def test_channel_1_is_the_lan_channel(guest):
    rc, out, err = _result(guest, "channel info 1")
    assert (rc, err) == (0, "")
    assert out.startswith("Channel 0x1 info:\n  Channel Medium Type   : 802.3 LAN\n"
                          "  Channel Protocol Type : IPMB-1.0\n  Session Support       : multi-session\n")
    assert "    Access Mode         : always available\n" in out
