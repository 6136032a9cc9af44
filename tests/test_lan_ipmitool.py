"""Real peers on the LAN channel: ipmitool ``-I lan`` (IPMI v1.5, MD5) and ``-I lanplus`` (RMCP+, suites 3 and 17)
against ``LanServer`` on a loopback UDP port, and ``ipmilab serve --lan`` as a process.  Slow: each runs ipmitool.
"""

from __future__ import annotations

import pathlib
import re
import shutil
import subprocess
import sys
import threading

import pytest

from bmc.lan import LanChannel
from bmc.lan.server import LanServer
from scenarios.cli_serve import build_served_bmc

ROOT = pathlib.Path(__file__).resolve().parent.parent

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("ipmitool") is None, reason="ipmitool; tests/peers/install.sh installs it"),
]

DEVICE_ID_RAW = " 20 00 00 00 02 8f 00 00 00 00 00"


@pytest.fixture(scope="module")
def port():
    served = build_served_bmc()
    channel = LanChannel(served.sim, served.bmc, served.ipmid, secure_random=True)
    server = LanServer(served.sim)
    bound = server.listen(channel, "127.0.0.1:0")
    thread = threading.Thread(target=server.serve, daemon=True)
    thread.start()
    yield int(bound.rsplit(":", 1)[1])
    server.stop()
    thread.join(5)
    assert not thread.is_alive(), "LanServer.serve did not return after stop()"
    server.close()
    served.bmc.store.close()


def ipmitool(port: int, *args: str, iface=("-I", "lanplus", "-C", "3"), user=("-U", "ipmiusr"), password="test",
             timeout: float = 15):
    cmd = ["ipmitool", *iface, *user, "-P", password, "-H", "127.0.0.1", "-p", str(port), "-R", "1", "-N", "1",
           *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


IFACES = {"lan": ("-I", "lan"), "lanplus-C3": ("-I", "lanplus", "-C", "3"),
          "lanplus-C17": ("-I", "lanplus", "-C", "17")}


@pytest.mark.parametrize("iface", sorted(IFACES))
@pytest.mark.parametrize("args, expect", [
    (("mc", "info"), r"IPMI Version\s+: 2\.0"),
    (("chassis", "status"), r"System Power\s+: off"),
    (("chassis", "power", "status"), r"Chassis Power is off"),
    (("sdr", "list"), r"Inlet Temp\s+\| 24 degrees C\s+\| ok"),
    (("sel", "list"), r"SEL has no entries"),
    (("raw", "6", "1"), re.escape(DEVICE_ID_RAW)),
])
def test_commands(port, iface, args, expect):
    r = ipmitool(port, *args, iface=IFACES[iface])
    assert r.returncode == 0, r.stderr
    assert re.search(expect, r.stdout + r.stderr), r.stdout + r.stderr   # "SEL has no entries" is on stderr


@pytest.mark.parametrize("iface, user, password, message", [
    (IFACES["lan"], ("-U", "ipmiusr"), "wrong", "Activate Session command failed"),
    (IFACES["lan"], ("-U", "nobody"), "test", "Invalid user name"),
    (IFACES["lan"], ("-L", "ADMINISTRATOR"), "test", "Requested privilege level exceeds limit"),
    (IFACES["lanplus-C3"], ("-U", "ipmiusr"), "wrong", "RAKP 2 HMAC is invalid"),
    (IFACES["lanplus-C17"], ("-U", "nobody"), "test", "RAKP 2 message indicates an error : unauthorized name"),
    (IFACES["lanplus-C17"], ("-L", "ADMINISTRATOR"), "test", "unauthorized role"),
], ids=["lan-password", "lan-user", "lan-user1-admin", "lanplus-password", "lanplus-user", "lanplus-user1-admin"])
def test_refused(port, iface, user, password, message):
    r = ipmitool(port, "-v", "raw", "6", "1", iface=iface, user=user, password=password)
    assert r.returncode != 0
    assert message in r.stdout + r.stderr, r.stdout + r.stderr
    assert DEVICE_ID_RAW not in r.stdout


def test_user_1_at_user_level(port):
    for iface in (IFACES["lan"], IFACES["lanplus-C17"]):
        r = ipmitool(port, "raw", "6", "1", iface=iface, user=("-L", "USER"))
        assert r.returncode == 0 and DEVICE_ID_RAW in r.stdout, r.stderr


@pytest.mark.parametrize("iface", ["lan", "lanplus-C17"])
def test_exec_200_requests_in_one_session(port, iface, tmp_path):
    script = tmp_path / "raw.txt"
    script.write_text("raw 6 1\n" * 200)
    r = ipmitool(port, "exec", str(script), iface=IFACES[iface])
    assert r.returncode == 0, r.stderr
    assert r.stdout.count(DEVICE_ID_RAW) == 200


def test_session_info_and_cipher_suites(port):
    r = ipmitool(port, "session", "info", "active", iface=IFACES["lanplus-C17"])
    assert r.returncode == 0, r.stderr
    assert re.search(r"session type\s+: IPMIv2/RMCP\+", r.stdout) and "console ip                    : 127.0.0.1" \
        in r.stdout
    r = ipmitool(port, "channel", "getciphers", "ipmi", "1", iface=IFACES["lanplus-C17"])
    ids = [line.split()[0] for line in r.stdout.splitlines()[1:]]
    assert ids == ["0", "1", "2", "3", "15", "16", "17"], r.stdout


def test_serve_lan_as_a_process(tmp_path):
    cmd = [sys.executable, "-c", "import sys; from scenarios.cli import main; sys.exit(main())", "serve", "--lan",
           "127.0.0.1:0", "--count", "2", "--state-dir", str(tmp_path), "--duration", "15"]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        ports, seen = [], []
        while len(ports) < 2 and len(seen) < 10:   # the start-up lines, then one per BMC's socket
            line = proc.stdout.readline()
            seen.append(line)
            m = re.search(r"(bmc-000[12]) LAN channel 1 listening on udp 127\.0\.0\.1:(\d+)", line)
            if m:
                ports.append(int(m.group(2)))
        assert len(ports) == 2, "".join(seen)
        assert re.match(r"\d\d:\d\d:\d\d built 2 BMCs in \d+\.\d s", seen[0]), seen[0]
        for p in ports:
            r = ipmitool(p, "raw", "6", "1", iface=IFACES["lanplus-C17"])
            assert DEVICE_ID_RAW in r.stdout, r.stderr
        assert (tmp_path / "bmc-0001").is_dir() and (tmp_path / "bmc-0002").is_dir()
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=10)
    assert proc.returncode == 0, err
    assert "stopped LAN:" in out


@pytest.mark.skipif(shutil.which("ipmi-sensors") is None, reason="FreeIPMI; tests/peers/install.sh installs it")
@pytest.mark.parametrize("driver", [("-D", "LAN"), ("-D", "LAN", "-a", "STRAIGHT_PASSWORD_KEY"),
                                    ("-D", "LAN_2_0", "-I", "3"), ("-D", "LAN_2_0", "-I", "17")],
                         ids=["lan-md5", "lan-password", "lan20-C3", "lan20-C17"])
def test_freeipmi(port, driver):
    where = ["-h", f"127.0.0.1:{port}", "-u", "ipmiusr", "-p", "test", *driver]
    r = subprocess.run(["ipmi-sensors", *where, "--sdr-cache-recreate", "--quiet-cache"], capture_output=True,
                       text=True, timeout=15)
    assert r.returncode == 0, r.stderr
    assert re.search(r"Inlet Temp\s+\| Temperature\s+\| 24\.00\s+\| C\s+\| 'OK'", r.stdout), r.stdout
    r = subprocess.run(["bmc-info", *where], capture_output=True, text=True, timeout=15)
    assert r.returncode == 0 and re.search(r"IPMI Version\s+: 2\.0", r.stdout), r.stderr
