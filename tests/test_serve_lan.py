"""``ipmilab serve --lan`` (scenarios/cli_serve.py, bmc/lan/server.py): options, errors, and the LAN sockets served
alone or in the VM server's loop.  Loopback only; each exchange is one UDP datagram, bounded by timeouts."""

from __future__ import annotations

import socket
import threading

import pytest

from bmc.lan import LanChannel
from bmc.lan.server import LanServer, parse_lan_addr
from bmc.vm.server import VmServer
from scenarios.cli import main
from scenarios.cli_serve import build_served_bmc

PING = bytes((0x06, 0x00, 0xFF, 0x06)) + bytes.fromhex("000011BE80420000")


@pytest.mark.parametrize("argv, message", [
    (["serve", "--lan", "192.0.2.1:623"], "argument --lan: '192.0.2.1' (192.0.2.1) is not a loopback address"),
    (["serve", "--lan", "127.0.0.1"], "argument --lan: '127.0.0.1' is not host:port"),
    (["serve", "--lan", "unix:/tmp/x"], "argument --lan: 'unix:/tmp/x' is not host:port"),
    (["serve", "--lan", "127.0.0.1:65535", "--count", "2"], "argument --count: 2 ports from 65535 go past 65535"),
    (["serve", "--vm", "127.0.0.1:0", "--count", "2"], "argument --count: only with --lan"),
    (["serve", "--vm", "127.0.0.1:0", "--allow-remote"], "argument --allow-remote: only with --lan"),
    (["serve", "--vm", "127.0.0.1:0", "--lan", "127.0.0.1:0", "--count", "2"], "one VM link serves one BMC"),
    (["serve", "--lan", "127.0.0.1:0", "--count", "0"], "argument --count: '0' out of range 1-4096"),
    (["serve", "--lan", "127.0.0.1:0", "--session-timeout", "0"], "argument --session-timeout"),
])
def test_cli_errors_name_the_option_and_value(capsys, argv, message):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    assert message in capsys.readouterr().err


def test_help_names_the_lan_options(capsys):
    with pytest.raises(SystemExit):
        main(["serve", "--help"])
    out = capsys.readouterr().out
    for flag in ("--lan", "--allow-remote", "--count", "--session-timeout"):
        assert flag in out


def test_remote_addresses_need_allow_remote():
    with pytest.raises(ValueError, match="--allow-remote"):
        parse_lan_addr("192.0.2.1:623")
    assert parse_lan_addr("192.0.2.1:623", allow_remote=True)[1] == ("192.0.2.1", 623)
    assert parse_lan_addr("localhost:0")[1][1] == 0


def test_cli_serve_lan_for_a_while(capsys, tmp_path):
    assert main(["serve", "--lan", "127.0.0.1:0", "--count", "2", "--state-dir", str(tmp_path),
                 "--session-timeout", "5s", "--duration", "0.2"]) == 0
    out = capsys.readouterr().out
    assert out.count("LAN channel 1 listening on udp 127.0.0.1:") == 2 and "bmc-0002" in out
    assert "stopped LAN: 0 datagram(s) in, 0 out" in out
    assert (tmp_path / "bmc-0001").is_dir() and (tmp_path / "bmc-0002").is_dir()


def ping(port: int) -> bytes:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(5)
        s.sendto(PING, ("127.0.0.1", port))
        return s.recvfrom(512)[0]


@pytest.mark.parametrize("with_vm", [False, True], ids=["alone", "in-vm-loop"])
def test_lan_sockets_are_served(with_vm):
    served = build_served_bmc()
    vm = VmServer(served.sim, served.bmc, served.ipmid, served.host) if with_vm else None
    lan = LanServer(served.sim)
    if vm is not None:
        vm.listen("127.0.0.1:0")
        lan.attach(vm)
    port = int(lan.listen(LanChannel(served.sim, served.bmc, served.ipmid), "127.0.0.1:0").rsplit(":", 1)[1])
    runner = vm if vm is not None else lan
    thread = threading.Thread(target=runner.serve, daemon=True)
    thread.start()
    try:
        pong = ping(port)
        assert pong[:4] == bytes((0x06, 0x00, 0xFF, 0x06)) and pong[8:10] == b"\x40\x42"
        assert served.bmc.channel_info(1).medium == 0x04 and served.bmc.channel_info(1).session_support == 0x80
    finally:
        runner.stop()
        thread.join(5)
        assert not thread.is_alive()
        lan.close()
        if vm is not None:
            vm.close()
        served.bmc.store.close()
    assert lan.datagrams == 1 and lan.answers == 1
    if with_vm:
        with pytest.raises(RuntimeError, match="attached"):
            lan.serve(0.1)
