"""LAN channel security: a brute-force loop is locked out as configured (LAN parameter 26, IPMI 2.0 section 23.2),
and a session's packets replayed outside the sequence window (or twice inside it) are dropped.

In process with simulated time: the unlock happens exactly at the lockout interval, the answers are the spec's
(RAKP 2 status 0Dh for a locked-out user, as for an unknown name; RAKP 4 status 0Fh for a bad RAKP 3; v1.5 Get
Session Challenge 81h "invalid user name").  With real ipmitool against the LAN server on loopback (the server
``ipmilab serve --lan`` runs; there is no ``[lan]`` table in the world configuration, so the policy is set in
process): a loop of wrong passwords locks the user out, and datagrams of a live lanplus session captured by a
UDP relay and resent from the console's own address get no answer and have no effect.
"""

from __future__ import annotations

import shutil
import subprocess
import threading
import time

import pytest

from bmc.bmc import Bmc
from bmc.ipmid import Ipmid
from bmc.lan import LanChannel, rmcpplus
from bmc.lan.server import LanServer
from bmc.lan_config import BadPasswordPolicy
from buses import Simulation
from buses.time import S
from scenarios.cli_serve import build_served_bmc
from tests.lan_client import Console15, Console20
from tests.peers.udp_relay import UdpRelay

POLICY = BadPasswordPolicy(threshold=3, reset_interval_s=60, lockout_interval_s=30)
DEVICE_ID = bytes.fromhex("002000000002 8f0000000000".replace(" ", ""))


@pytest.fixture
def lan():
    sim = Simulation(seed=3)
    bmc = Bmc(sim, lan_channel=1)
    ch = LanChannel(sim, bmc, Ipmid(sim, bmc))
    bmc.lan_config.bad_password = POLICY
    yield ch
    bmc.store.close()


def give_up_after_rakp2(lan, t: int, password=b"wrong", suite=17) -> bytes:
    """What ipmitool does with a wrong password: Open Session, RAKP 1, RAKP 2's code fails, no RAKP 3."""
    c = Console20(lan, password=password, suite=suite, t=t)
    assert c.open_session()[1] == rmcpplus.STATUS_OK
    p = c.rakp1()
    if p[1] == rmcpplus.STATUS_OK:
        assert not c.rakp2_valid(p)
    return p


def test_rmcpplus_brute_force_that_gives_up_after_rakp2_is_locked_out_until_exactly_the_interval(lan):
    t_lock = 5 * S
    for t in (1 * S, 3 * S, t_lock):
        assert give_up_after_rakp2(lan, t)[1] == rmcpplus.STATUS_OK
    for t in (t_lock, t_lock + 30 * S - 1):                   # even the right password: unauthorized name
        c = Console20(lan, suite=17, t=t)
        assert c.open_session()[1] == 0
        p = c.rakp1()
        assert p[1] == rmcpplus.STATUS_UNAUTHORIZED_NAME and p[4:8] == c.console_id.to_bytes(4, "little")
    assert lan.sessions.active() == []
    c = Console20(lan, suite=17, t=t_lock + 30 * S)            # the lockout interval has passed: to the ns
    c.login()
    assert c.request(6, 1) == DEVICE_ID


def test_ipmitool_with_a_wrong_password_sends_no_rakp3():
    """Why RAKP 1 counts: the capture of ipmitool with a wrong password ends at RAKP 2 (payload 13h), no 14h."""
    import pathlib

    from tests.peers.udp_relay import read_golden
    path = pathlib.Path(__file__).parent / "golden" / "rmcp" / "serve-lanplus-cs17-wrong-password.txt"
    types = [d[5] & 0x3F for way, d in read_golden(path) if d[4] == 0x06]
    assert types == [0x10, 0x11, 0x12, 0x13]


def test_rakp3_with_a_wrong_code_is_rakp4_0Fh_and_counts_once(lan):
    for t in (0, 1 * S):
        c = Console20(lan, password=b"wrong", t=t)
        c.open_session()
        c.rakp1()
        assert c.rakp3()[1] == rmcpplus.STATUS_INVALID_INTEGRITY_CHECK
    c = Console20(lan, t=2 * S)                                # two failures: below the threshold of 3
    c.login()
    assert lan.sessions.lockout.failures == {}                 # a good login restarts the count


def test_right_password_at_the_threshold_attempt_is_not_locked_out(lan):
    give_up_after_rakp2(lan, 0)
    give_up_after_rakp2(lan, 1)
    c = Console20(lan, t=2)                                    # the third attempt, and the right password
    c.login()
    assert c.request(6, 1) == DEVICE_ID
    Console20(lan, t=3).login()                                # and the user is not locked out after it


def test_failures_older_than_the_reset_interval_are_forgotten(lan):
    give_up_after_rakp2(lan, 0)
    give_up_after_rakp2(lan, 1 * S)
    give_up_after_rakp2(lan, 61 * S)                           # 60 s after the first counted: count restarts
    Console20(lan, t=62 * S).login()


def test_v15_brute_force_locked_out_until_exactly_the_interval(lan):
    early = Console15(lan, t=0)
    early_chal = early.challenge()                             # a challenge taken before the lockout
    assert early_chal[0] == 0
    for t in (1 * S, 2 * S, 3 * S):
        bad = Console15(lan, password=b"wrong", t=t)
        assert bad.activate() is None                          # the wrong auth code: dropped, counted
    good = Console15(lan, t=3 * S)
    assert good.challenge()[0] == 0x81                         # Get Session Challenge: invalid user name
    # Activate Session in the earlier challenge's temporary session, the right password: dropped as well.
    temp, chal = int.from_bytes(early_chal[1:5], "little"), early_chal[5:21]
    from tests.lan_client import lan_request
    data = bytes((2, 4)) + chal + (0x1000).to_bytes(4, "little")
    early.t = 4 * S
    assert early.send(early.packet(lan_request(6, 0x3A, data, 1), sid=temp, seq=0)) == []
    assert lan.sessions.active() == []
    assert Console15(lan, t=33 * S - 1).challenge()[0] == 0x81
    good = Console15(lan, t=33 * S)
    assert good.activate()[3][0] == 0
    assert good.request(6, 1) == DEVICE_ID


# -- real ipmitool ---------------------------------------------------------------------------------------------

needs_ipmitool = pytest.mark.skipif(shutil.which("ipmitool") is None,
                                    reason="ipmitool; tests/peers/install.sh installs it")


class Served:
    """A served BMC on a loopback UDP port, as ``serve --lan`` runs it (secure random, wall-clock time)."""

    def __init__(self, policy=None):
        self.served = build_served_bmc()
        if policy is not None:
            self.served.bmc.lan_config.bad_password = policy
        self.channel = LanChannel(self.served.sim, self.served.bmc, self.served.ipmid, secure_random=True)
        self.server = LanServer(self.served.sim)
        self.port = int(self.server.listen(self.channel, "127.0.0.1:0").rsplit(":", 1)[1])
        self.thread = threading.Thread(target=self.server.serve, daemon=True)
        self.thread.start()

    def close(self):
        self.server.stop()
        self.thread.join(5)
        self.server.close()
        self.served.bmc.store.close()


def ipmitool(port, *args, iface=("-I", "lanplus", "-C", "17"), password="test", user="ipmiusr"):
    cmd = ["ipmitool", *iface, "-U", user, "-P", password, "-H", "127.0.0.1", "-p", str(port), "-R", "1", "-N", "1",
           *args]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=15)
    return r.returncode, r.stdout + r.stderr


@pytest.mark.slow
@needs_ipmitool
def test_ipmitool_brute_force_loop_is_locked_out():
    srv = Served(BadPasswordPolicy(threshold=3, reset_interval_s=60, lockout_interval_s=4))
    try:
        srv.served.bmc.users.configure(3, name="v15user", password="secret", privilege=4)
        for _ in range(3):
            rc, out = ipmitool(srv.port, "-v", "raw", "6", "1", password="guess")
            assert rc != 0 and "RAKP 2 HMAC is invalid" in out, out
        locked_at = time.monotonic()
        rc, out = ipmitool(srv.port, "-v", "raw", "6", "1")  # the right password, locked out
        assert rc != 0 and "RAKP 2 message indicates an error : unauthorized name" in out, out
        for _ in range(3):                                    # IPMI v1.5: the Activate Session is dropped
            rc, out = ipmitool(srv.port, "raw", "6", "1", iface=("-I", "lan"), user="v15user", password="guess")
            assert rc != 0 and "Activate Session command failed" in out, out
        rc, out = ipmitool(srv.port, "-v", "raw", "6", "1", iface=("-I", "lan"), user="v15user", password="secret")
        assert rc != 0 and "Invalid user name" in out, out
        time.sleep(max(0.0, locked_at + 4.2 - time.monotonic()))
        rc, out = ipmitool(srv.port, "raw", "6", "1")        # the lockout interval has passed
        assert rc == 0 and "20 00 00 00 02" in out, out
    finally:
        srv.close()


@pytest.mark.slow
@needs_ipmitool
@pytest.mark.parametrize("iface", [("-I", "lanplus", "-C", "17"), ("-I", "lanplus", "-C", "3"), ("-I", "lan")],
                         ids=["lanplus-C17", "lanplus-C3", "lan-md5"])
def test_replayed_session_packets_are_dropped(iface):
    """A live ipmitool session through a relay; its Add SEL Entry request resent from the console's address at
    once (a duplicate inside the window: 16 packets for RMCP+, 8 for v1.5) and after 20 more requests (outside
    it), and its newest request twice."""
    srv = Served()
    # Per-message authentication on (the default 3Ah, ipmi_sim's, lets a v1.5 console send unsigned packets).
    srv.served.bmc.channel_access.settings(1, volatile=True).access = 0x22
    relay = UdpRelay(("127.0.0.1", srv.port)).start()
    cmd = ["ipmitool", *iface, "-U", "ipmiusr", "-P", "test", "-L", "ADMINISTRATOR",
           "-H", "127.0.0.1", "-p", str(relay.port), "shell"]
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    sel = srv.served.bmc.sel
    try:
        def run(line: str):
            n = len(relay.records)
            proc.stdin.write(line + "\n")
            proc.stdin.flush()
            assert relay.wait_for(n + 2), f"no answer to {line!r}"
            quiet(relay)
            return relay.records[n:]

        run("raw 6 1")                                       # the session is up
        before = len(sel)
        crossed = run("raw 0x0a 0x44 0x00 0x00 0x02 0x00 0x00 0x00 0x00 0x20 0x00 0x04 0x01 0x02 0x6f 0x01 "
                      "0xff 0xff")
        requests = [d for way, d in crossed if way == ">"]
        assert len(requests) == 1 and len(sel) == before + 1
        add_sel = requests[0]
        if iface[1] == "lanplus":                                          # signed and encrypted
            assert add_sel[4] == 0x06 and add_sel[5] & 0xC0 == 0xC0 and int.from_bytes(add_sel[6:10], "little")
        else:                                                              # MD5-signed, in a session
            assert add_sel[4] == 0x02 and int.from_bytes(add_sel[9:13], "little")
        first = relay.records[0][1]                                        # Get Channel Auth Caps, session-less:
        assert len(relay.inject(first)) == 1                               # a resent one is answered (control)
        assert relay.inject(add_sel) == [] and len(sel) == before + 1      # a duplicate inside the window
        for _ in range(20):
            run("raw 6 1")
        assert relay.inject(add_sel) == [] and len(sel) == before + 1      # 20 packets behind: outside
        last = [d for way, d in relay.records if way == ">"][-1]
        assert relay.inject(last) == []                                    # the newest one, twice
        out = run("raw 6 1")                                               # the session goes on
        assert [w for w, _ in out] == [">", "<"]
        proc.stdin.write("quit\n")
        proc.stdin.flush()
        stdout, stderr = proc.communicate(timeout=10)
        assert stdout.count(" 20 00 00 00 02") == 22, stdout + stderr
        assert len(sel) == before + 1
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
        relay.stop()
        srv.close()


def quiet(relay, settle: float = 0.15, timeout: float = 10.0) -> None:
    """Wait until no datagram has crossed for ``settle`` s (ipmitool's answer arrived and nothing follows)."""
    end = time.monotonic() + timeout
    n = len(relay.records)
    last = time.monotonic()
    while time.monotonic() < end:
        time.sleep(0.02)
        if len(relay.records) != n:
            n, last = len(relay.records), time.monotonic()
        elif time.monotonic() - last >= settle:
            return
