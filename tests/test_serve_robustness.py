"""``ipmilab serve --vm`` (bmc/vm/server.py): the server role of the VM protocol, over real sockets.

The fast tests run a ``VmServer`` in a thread and talk to it as QEMU's
``ipmi-bmc-extern`` does, byte for byte (the codec's client side); the slow
ones run ``ipmilab serve`` as a process: 1,000 connect/disconnect cycles with
its descriptors and threads counted in /proc, and a clean SIGTERM.
"""

from __future__ import annotations

import os
import random
import socket
import threading
import time
from collections import deque

import pytest

from bmc.vm.codec import (
    QEMU_CAPABILITIES,
    VM_MIN_RESPONSE,
    Decoder,
    VmCap,
    VmCmd,
    VmControl,
    VmMessage,
    checksum,
    connect_burst,
    encode_control,
    encode_request,
)
from bmc.vm.server import VmHost, VmServer
from scenarios.cli import main
from scenarios.cli_serve import build_served_bmc

GET_DEVICE_ID = bytes.fromhex("1C 01 00 20 00 00 00 02 8F 00 00 00 00 00")


class VmPeer:
    """The VM end of the link, as QEMU's ipmi-bmc-extern speaks it."""

    def __init__(self, addr: tuple[str, int] | str, caps: int | None = int(QEMU_CAPABILITIES), timeout: float = 5.0):
        family = socket.AF_UNIX if isinstance(addr, str) else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(addr)
        self.decoder = Decoder(min_len=VM_MIN_RESPONSE)
        self.items: deque = deque()
        self.controls: list[VmCmd] = []   # every control the BMC sent, in order
        self.seq = 0
        if caps is not None:
            self.sock.sendall(connect_burst(caps))

    def next_item(self, timeout: float = 5.0):
        end = time.monotonic() + timeout
        while not self.items:
            left = end - time.monotonic()
            if left <= 0:
                raise TimeoutError("nothing from the BMC")
            self.sock.settimeout(left)
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError("closed by the BMC")
            for item in self.decoder.feed(chunk):
                if isinstance(item, VmControl):
                    self.controls.append(item.cmd)
                self.items.append(item)
        return self.items.popleft()

    def control(self, timeout: float = 5.0) -> VmControl:
        while True:
            item = self.next_item(timeout)
            if isinstance(item, VmControl):
                return item

    def wait_control(self, cmd: VmCmd, timeout: float = 5.0) -> float:
        """Wait for ``cmd``; returns when it came (monotonic seconds)."""
        end = time.monotonic() + timeout
        while cmd not in self.controls:
            self.next_item(max(0.01, end - time.monotonic()))
        return time.monotonic()

    def request(self, netfn: int, cmd: int, data: bytes = b"") -> bytes:
        """One request; returns the response (netfn/LUN, cmd, cc, data), controls before it noted."""
        seq = self.seq
        self.seq = (self.seq + 1) & 0xFF
        self.sock.sendall(encode_request(seq, netfn, cmd, data))
        while True:
            item = self.next_item()
            if isinstance(item, VmMessage):
                assert item.seq == seq, f"response seq {item.seq} for request seq {seq}"
                return item.msg

    def closed_by_bmc(self, timeout: float = 5.0) -> bool:
        self.sock.settimeout(timeout)
        try:
            while True:
                chunk = self.sock.recv(4096)
                if not chunk:
                    return True
        except (ConnectionResetError, BrokenPipeError):
            return True
        except TimeoutError:
            return False

    def close(self) -> None:
        self.sock.close()


class Running:
    """A VmServer serving in a thread (the test thread never touches the simulation while it runs)."""

    def __init__(self, config=None, addr: str = "127.0.0.1:0", **kw):
        self.served = build_served_bmc(config)
        self.log: list[str] = []
        self.server = VmServer(self.served.sim, self.served.bmc, self.served.ipmid, self.served.host,
                               log=self.log.append, **kw)
        bound = self.server.listen(addr)
        if bound.startswith("unix:"):
            self.addr = bound[5:]
        else:
            host, port = bound.rsplit(":", 1)
            self.addr = (host, int(port))
        self.thread = threading.Thread(target=self.server.serve, daemon=True)
        self.thread.start()

    def peer(self, **kw) -> VmPeer:
        return VmPeer(self.addr, **kw)

    def stop(self) -> None:
        self.server.stop()
        self.thread.join(10)
        assert not self.thread.is_alive(), "serve() did not return after stop()"
        self.server.close()
        self.served.bmc.store.close()


@pytest.fixture
def running():
    r = Running()
    yield r
    if r.thread.is_alive() or r.server._listener is not None:
        r.stop()


def wait_for(cond, timeout: float = 5.0) -> None:
    end = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > end:
            raise TimeoutError("condition not met")
        time.sleep(0.005)


# -- the protocol --------------------------------------------------------------------------------


def test_version_on_connect_then_requests_answered_with_seq_echoed(running):
    vm = running.peer()
    hello = vm.control()
    assert (hello.cmd, hello.data) == (VmCmd.VERSION, b"\x01")
    assert vm.request(0x06, 0x01) == GET_DEVICE_ID
    vm.seq = 0xA0  # an escaped sequence number comes back escaped and intact
    assert vm.request(0x06, 0x01) == GET_DEVICE_ID
    assert vm.request(0x06, 0x2E) == bytes.fromhex("1C 2E C7")  # Set BMC Global Enables without its byte
    vm.close()
    wait_for(lambda: not running.server.connected)
    assert running.server.requests == 3


def test_capabilities_recorded_and_state_sent_under_them(running):
    vm = running.peer(caps=int(VmCap.ATTN | VmCap.IRQ))
    wait_for(lambda: running.server.vm_ready)
    assert running.served.host.capabilities == VmCap.ATTN | VmCap.IRQ
    # Set BMC Global Enables bit 0 (receive message queue interrupt) -> ENABLE_IRQ.
    assert vm.request(0x06, 0x2E, b"\x09") == bytes.fromhex("1C 2E 00")
    assert vm.controls[:3] == [VmCmd.VERSION, VmCmd.DISABLE_IRQ, VmCmd.NOATTN]
    assert vm.controls[-1] == VmCmd.ENABLE_IRQ
    # No POWER capability: Chassis Control power down cannot be carried out.
    assert vm.request(0x00, 0x02, b"\x00") == bytes.fromhex("04 02 D5")
    assert VmCmd.POWEROFF not in vm.controls
    vm.close()


@pytest.mark.parametrize("control, sent", [
    (0x00, VmCmd.POWEROFF), (0x03, VmCmd.RESET), (0x04, VmCmd.SEND_NMI), (0x05, VmCmd.GRACEFUL_SHUTDOWN),
])
def test_chassis_control_reaches_the_vm_after_its_response(running, control, sent):
    vm = running.peer()
    vm.control()
    assert vm.request(0x00, 0x02, bytes((control,))) == bytes.fromhex("04 02 00")
    # The response came first; the control command follows it.
    assert vm.control().cmd == sent
    if sent == VmCmd.POWEROFF:
        assert vm.request(0x00, 0x01)[3] & 0x01 == 0  # Get Chassis Status: power off now
    vm.close()


def test_power_on_and_cycle_cannot_be_sent(running):
    vm = running.peer()
    vm.control()
    assert vm.request(0x00, 0x01)[2:4] == b"\x00\x61"     # power on (a connected VM runs), policy unknown
    assert vm.request(0x00, 0x02, b"\x01") == bytes.fromhex("04 02 00")  # already on: nothing to do
    assert vm.request(0x00, 0x02, b"\x02") == bytes.fromhex("04 02 D5")  # power cycle needs a power on
    assert vm.request(0x00, 0x02, b"\x00") == bytes.fromhex("04 02 00")
    assert vm.control().cmd == VmCmd.POWEROFF
    assert vm.request(0x00, 0x02, b"\x01") == bytes.fromhex("04 02 D5")  # off: power on is not in the protocol
    vm.close()


def test_watchdog_runs_on_the_wall_clock_and_resets_the_vm(running):
    vm = running.peer()
    vm.control()
    # Set Watchdog Timer: SMS/OS use, pre-timeout messaging interrupt 1 s before a hard reset, 1.1 s countdown.
    assert vm.request(0x06, 0x24, bytes.fromhex("04 31 01 00 0B 00")) == bytes.fromhex("1C 24 00")
    t0 = time.monotonic()
    assert vm.request(0x06, 0x22) == bytes.fromhex("1C 22 00")
    t_atn = vm.wait_control(VmCmd.ATTN, timeout=5)
    t_reset = vm.wait_control(VmCmd.RESET, timeout=5)
    # Wall-clock pacing: never early; late only by scheduling noise (generous for a loaded CI machine).
    assert 0.09 <= t_atn - t0 <= 1.0, f"pre-timeout ATN after {t_atn - t0:.3f} s, expected 0.1 s"
    assert 1.09 <= t_reset - t0 <= 2.0, f"RESET after {t_reset - t0:.3f} s, expected 1.1 s"
    # Get Message Flags shows the pre-timeout; clearing it sends NOATTN.
    assert vm.request(0x06, 0x31) == bytes.fromhex("1C 31 00 08")
    assert vm.request(0x06, 0x30, b"\x08") == bytes.fromhex("1C 30 00")
    vm.wait_control(VmCmd.NOATTN)
    assert vm.controls.count(VmCmd.NOATTN) == 2  # the one at connect and this one
    vm.close()


def test_an_idle_server_sleeps():
    r = build_served_bmc(None)
    try:
        server = VmServer(r.sim, r.bmc, r.ipmid, r.host)
        server.listen("127.0.0.1:0")
        cpu = time.process_time()
        server.serve(0.5)
        cpu = time.process_time() - cpu
        server.close()
    finally:
        r.bmc.store.close()
    assert cpu < 0.1, f"an idle server used {cpu:.3f} s of CPU in 0.5 s"
    assert r.sim.env.peek() == float("inf"), "the server left an event scheduled"


def test_second_connection_refused_with_a_message_first_one_kept(running):
    first = running.peer()
    first.control()
    wait_for(lambda: running.server.connected)
    second = VmPeer(running.addr, caps=None)
    assert second.closed_by_bmc(), "the second connection was not closed"
    assert running.server.refused == 1
    assert any("refused a second connection" in line and "one VM connection at a time" in line
               for line in running.log), running.log
    assert first.request(0x06, 0x01) == GET_DEVICE_ID
    first.close()
    second.close()


def test_reconnect_gets_version_and_state_again(running):
    vm = running.peer()
    vm.control()
    vm.close()
    wait_for(lambda: not running.server.connected)
    vm = running.peer()
    assert vm.control().cmd == VmCmd.VERSION
    assert vm.request(0x06, 0x01) == GET_DEVICE_ID
    assert VmCmd.NOATTN in vm.controls
    vm.close()
    wait_for(lambda: running.server.connections == 2 and not running.server.connected)


def test_unix_socket(tmp_path):
    path = str(tmp_path / "bmc.sock")
    r = Running(addr=f"unix:{path}")
    try:
        vm = r.peer()
        vm.control()
        assert vm.request(0x06, 0x01) == GET_DEVICE_ID
        vm.close()
    finally:
        r.stop()
    assert not os.path.exists(path), "the socket file outlived the server"


def test_stop_closes_the_connection_cleanly(running):
    vm = running.peer()
    vm.control()
    assert vm.request(0x06, 0x01) == GET_DEVICE_ID
    running.stop()
    assert vm.closed_by_bmc(), "stop() left the VM connected"
    vm.close()


# -- garbage ------------------------------------------------------------------------------------


def _frame(body: bytes) -> bytes:
    """A correctly framed and checksummed message from raw bytes (to smuggle requests past a missing hello)."""
    from bmc.vm.codec import escape

    return escape(body + bytes((checksum(body),))) + b"\xA0"


def _garbage(rng: random.Random) -> list[bytes]:
    """Ways a peer that is not a VM (or a broken one) writes to the port."""
    add_sel = encode_request(1, 0x0A, 0x44, bytes(range(16)))       # valid, but before VERSION
    clear_sel = encode_request(2, 0x0A, 0x47, b"\x00\x00CLR\xAA")   # valid, but before VERSION
    write_fru = encode_request(3, 0x0A, 0x12, b"\x00\x00\x00" + b"\xEE" * 8)
    return [
        bytes(rng.randrange(256) for _ in range(4096)),                  # noise
        b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n" + b"\xA0",         # the wrong protocol
        bytes(rng.randrange(256) for _ in range(900)).replace(b"\xA0", b"").replace(b"\xA1", b""),  # no terminator
        add_sel, clear_sel, write_fru,                                     # requests with no hello
        _frame(bytes.fromhex("01 28 44") + bytes(16))[:-2] + b"\x00\xA0",  # bad checksum
        b"\xAA\xA0" * 20,                                                   # escape at end
        b"\x77\xA1" * 20,                                                   # unknown controls
    ]


def _stored(vm: VmPeer) -> tuple:
    """What the stores hold, read through the protocol: SEL info and entries, FRU 0's bytes."""
    info = vm.request(0x0A, 0x40)
    entries = []
    rid = b"\x00\x00"
    while True:
        rsp = vm.request(0x0A, 0x43, b"\x00\x00" + rid + b"\x00\xFF")
        if rsp[2] != 0:
            break
        entries.append(rsp[5:])
        rid = rsp[3:5]
        if rid == b"\xFF\xFF":
            break
    fru = b""
    for off in range(0, 1024, 32):
        rsp = vm.request(0x0A, 0x11, bytes((0, off & 0xFF, off >> 8, 32)))
        assert rsp[2] == 0, rsp.hex()
        fru += rsp[4:]
    return info, entries, fru


def test_garbage_peers_are_dropped_and_stored_data_untouched(running):
    good = running.peer()
    good.control()
    assert good.request(0x0A, 0x44, bytes.fromhex("00 00 02 00 00 00 00 20 00 04 23 01 6F 01 FF FF"))[2] == 0
    before = _stored(good)
    good.close()
    wait_for(lambda: not running.server.connected)
    served_before = running.server.requests
    rng = random.Random(7)
    kinds = _garbage(rng)
    for i, junk in enumerate(kinds):
        bad = VmPeer(running.addr, caps=None)
        bad.control()  # the BMC's VERSION
        try:
            bad.sock.sendall(junk)
        except (BrokenPipeError, ConnectionResetError):
            pass
        assert bad.closed_by_bmc(), f"garbage kind {i} did not get the peer dropped"
        bad.close()
        wait_for(lambda: not running.server.connected)
    assert running.server.dropped_peers == len(kinds)
    assert running.server.requests == served_before, "a request from a garbage peer was executed"
    good = running.peer()
    good.control()
    assert _stored(good) == before
    good.close()


def test_broken_vm_tolerated_for_a_few_bad_frames_then_dropped(running):
    vm = running.peer()
    vm.control()
    bad = _frame(bytes.fromhex("05 18 01"))[:-2] + b"\x00\xA0"  # bad checksum
    for _ in range(running.server.max_bad_frames - 1):
        vm.sock.sendall(bad)
    assert vm.request(0x06, 0x01) == GET_DEVICE_ID
    vm.sock.sendall(bad)
    assert vm.closed_by_bmc()
    assert running.server.dropped_peers == 1


def test_a_bad_frame_is_judged_where_it_stands_in_the_stream(running):
    bad = _frame(bytes.fromhex("05 18 01"))[:-2] + b"\x00\xA0"
    vm = running.peer(caps=None)
    vm.control()
    vm.sock.sendall(connect_burst() + bad)  # one chunk: the hello comes first, so the bad frame is tolerated
    assert vm.request(0x06, 0x01) == GET_DEVICE_ID
    vm.close()
    wait_for(lambda: not running.server.connected)
    vm = running.peer(caps=None)
    vm.control()
    vm.sock.sendall(bad + connect_burst() + encode_request(0, 0x06, 0x01))  # garbage before the hello
    assert vm.closed_by_bmc()
    assert running.server.dropped_peers == 1 and running.server.requests == 1
    vm.close()


def test_random_streams_after_hello_never_crash_the_server(running):
    rng = random.Random(11)
    for _ in range(30):
        vm = running.peer()
        vm.control()
        blob = bytearray()
        for _ in range(rng.randrange(1, 40)):
            kind = rng.randrange(3)
            if kind == 0:
                blob += encode_request(rng.randrange(256), 0x06, 0x01)
            elif kind == 1:
                blob += encode_control(rng.choice(list(VmCmd)))
            else:
                blob += bytes(rng.randrange(256) for _ in range(rng.randrange(1, 64)))
        try:
            vm.sock.sendall(blob)
        except (BrokenPipeError, ConnectionResetError):
            pass
        vm.close()
        wait_for(lambda: not running.server.connected)
    assert running.thread.is_alive()
    vm = running.peer()
    vm.control()
    assert vm.request(0x06, 0x01) == GET_DEVICE_ID
    vm.close()


# -- construction and the command line ---------------------------------------------------------------


def test_only_loopback_is_served():
    r = build_served_bmc(None)
    try:
        server = VmServer(r.sim, r.bmc, r.ipmid, r.host)
        with pytest.raises(ValueError, match="not a loopback address"):
            server.listen("192.0.2.1:9002")
        server.close()
    finally:
        r.bmc.store.close()


def test_the_bmc_must_be_built_with_the_vm_host():
    r = build_served_bmc(None)
    try:
        with pytest.raises(ValueError, match="host"):
            VmServer(r.sim, r.bmc, r.ipmid, VmHost())
    finally:
        r.bmc.store.close()


@pytest.mark.parametrize("argv, message", [
    (["serve", "--vm", "192.0.2.1:9002"], "argument --vm: '192.0.2.1' (192.0.2.1) is not a loopback address"),
    (["serve", "--vm", "127.0.0.1:70000"], "argument --vm: port 70000 in '127.0.0.1:70000' is outside 1..65535"),
    (["serve", "--vm", "127.0.0.1"], "argument --vm: '127.0.0.1' is not host:port"),
    (["serve", "--vm", "unix:/tmp/x"], "use --unix PATH"),
    (["serve"], "one of the arguments --vm --unix --lan is required"),
    (["serve", "--vm", "127.0.0.1:9002", "--unix", "/tmp/x"], "not allowed with argument"),
    (["serve", "--vm", "127.0.0.1:9002", "--duration", "-1"], "argument --duration: '-1': must not be negative"),
])
def test_cli_errors_name_the_option_and_value(capsys, argv, message):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    assert message in capsys.readouterr().err


def test_cli_serve_for_a_while(capsys):
    assert main(["serve", "--vm", "127.0.0.1:0", "--duration", "0.2"]) == 0
    out = capsys.readouterr().out
    assert "listening on 127.0.0.1:" in out and "stopped: 0 connection(s)" in out


def test_cli_refuses_a_port_in_use(capsys):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        assert main(["serve", "--vm", f"127.0.0.1:{port}", "--duration", "0.1"]) == 1
    assert f"cannot listen on 127.0.0.1:{port}" in capsys.readouterr().err


# -- slow: the real process -------------------------------------------------------------------------


def _fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def _threads(pid: int) -> int:
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("Threads:"):
                return int(line.split()[1])
    raise AssertionError("no Threads line")


@pytest.mark.slow
def test_thousand_connect_disconnect_cycles_leak_nothing():
    from tests.peers.guest.qemu_guest import ServeProcess

    with ServeProcess() as srv:
        addr = ("127.0.0.1", srv.port)
        vm = VmPeer(addr)
        vm.control()
        assert vm.request(0x06, 0x01) == GET_DEVICE_ID
        vm.close()
        time.sleep(0.2)
        fds0, threads0 = _fds(srv.pid), _threads(srv.pid)
        t0 = time.monotonic()
        for i in range(1000):
            with socket.create_connection(addr, timeout=5) as s:
                if i % 2:  # half of them a whole session, half a bare connect and close
                    s.sendall(connect_burst() + encode_request(i & 0xFF, 0x06, 0x01))
                    got = b""
                    while b"\xA0" not in got:
                        chunk = s.recv(4096)
                        assert chunk, f"cycle {i}: closed before the answer"
                        got += chunk
                if i % 7 == 0:  # some leave with data unread and a reset
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        wall = time.monotonic() - t0
        vm = VmPeer(addr)
        vm.control()
        assert vm.request(0x06, 0x01) == GET_DEVICE_ID  # still serving
        vm.close()
        time.sleep(0.3)
        fds1, threads1 = _fds(srv.pid), _threads(srv.pid)
        assert (fds1, threads1) == (fds0, threads0), f"fds {fds0}->{fds1}, threads {threads0}->{threads1}"
        rc = srv.stop()
    assert rc == 0
    summary = srv.log[-1]
    assert "1002 connection(s)" in summary and "0 dropped" in summary, summary
    print(f"1000 cycles in {wall:.2f} s; fds {fds0}, threads {threads0}")


@pytest.mark.slow
def test_sigterm_shuts_down_cleanly_and_keeps_the_sel(tmp_path):
    from tests.peers.guest.qemu_guest import ServeProcess

    state = tmp_path / "state"
    entry = bytes.fromhex("00 00 02 00 00 00 00 20 00 04 23 01 6F 01 FF FF")
    with ServeProcess("--state-dir", str(state)) as srv:
        vm = VmPeer(("127.0.0.1", srv.port))
        vm.control()
        assert vm.request(0x0A, 0x44, entry)[2] == 0
        rc = srv.stop()     # SIGTERM while the VM is still connected
        assert vm.closed_by_bmc(), "SIGTERM left the VM connected"
        vm.close()
    assert rc == 0, srv.log
    assert srv.log[-1].split(" ", 1)[1].startswith("stopped: 1 connection(s), 1 request(s)")
    with ServeProcess("--state-dir", str(state)) as srv:
        vm = VmPeer(("127.0.0.1", srv.port))
        vm.control()
        rsp = vm.request(0x0A, 0x43, bytes.fromhex("00 00 00 00 00 FF"))
        assert rsp[2] == 0 and rsp[5 + 7:] == entry[7:], rsp.hex()  # the event survived the restart
        vm.close()


# -- serving as a preset ---------------------------------------------------------------------------


def _serve_args(*argv):
    import argparse

    from scenarios import cli_serve

    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers()
    cli_serve.register(sub, argparse.HelpFormatter)
    return parser.parse_args(["serve", "--vm", "127.0.0.1:0", *argv])


@pytest.mark.parametrize("preset, kind, device, delayed", [
    ("isa-ipmi-kcs", "kcs", "isa-ipmi-kcs,bmc=bmc0", False),
    ("pci-ipmi-bt", "bt", "pci-ipmi-bt,bmc=bmc0", False),
    ("smbus-ipmi", "ssif", "smbus-ipmi,bmc=bmc0,address=0x10 (machine q35)", False),
    ("ast2600", "kcs", "isa-ipmi-kcs,bmc=bmc0", True),
    ("npcm7xx", "kcs", "isa-ipmi-kcs,bmc=bmc0", True),
])
def test_serve_as_a_preset_names_the_qemu_device_and_takes_the_firmware_latency(preset, kind, device, delayed):
    from scenarios.cli_serve import _serving

    got_kind, latency, line = _serving(_serve_args("--preset", preset))
    assert got_kind == kind and f"-device {device}" in line
    assert (latency is not None) == delayed
    if delayed:
        r = Running(answer_delay=lambda request: latency)
        try:
            vm = r.peer()
            vm.control()
            start = time.monotonic()
            assert vm.request(0x06, 0x01) == GET_DEVICE_ID
            assert time.monotonic() - start >= latency / 1e9
            vm.close()
        finally:
            r.stop()


def test_serve_preset_and_interface_must_agree():
    from scenarios.cli_serve import _serving

    assert _serving(_serve_args("--preset", "ast2500", "--interface", "bt"))[0] == "bt"
    with pytest.raises(ValueError, match="preset npcm7xx has no 'bt' interface"):
        _serving(_serve_args("--preset", "npcm7xx", "--interface", "bt"))


# -- a peer that holds the slot, the socket's mode, the log's size ---------------------------------


@pytest.mark.parametrize("sent", [b"", b"\xff\x01"], ids=["silent", "half-a-frame"])
def test_a_peer_that_never_says_version_is_dropped_after_the_hello_timeout(sent):
    r = Running(hello_timeout=0.3)
    try:
        silent = VmPeer(r.addr, caps=None)
        silent.sock.sendall(sent)
        start = time.monotonic()
        assert silent.closed_by_bmc(timeout=5.0), "a peer that never said VERSION kept the slot"
        assert 0.25 < time.monotonic() - start < 3.0
        who = f"127.0.0.1:{silent.sock.getsockname()[1]}"
        wait_for(lambda: any("no VERSION" in line and who in line for line in r.log))
        assert r.server.dropped_peers == 1
        vm = r.peer()   # the slot is free for the VM
        vm.control()
        assert vm.request(0x06, 0x01) == GET_DEVICE_ID
        vm.close()
        silent.close()
    finally:
        r.stop()


def test_an_idle_vm_is_kept_while_nobody_else_wants_the_slot():
    r = Running(hello_timeout=0.2)
    try:
        vm = r.peer()
        vm.control()
        time.sleep(0.8)   # QEMU with an idle guest sends nothing
        assert r.server.connected and r.server.dropped_peers == 0
        assert vm.request(0x06, 0x01) == GET_DEVICE_ID
        vm.close()
    finally:
        r.stop()


def test_an_idle_peer_gives_way_to_one_waiting_to_connect():
    r = Running(hello_timeout=0.3)
    try:
        first = r.peer()
        first.control()
        busy = r.peer()   # idle for less than the timeout: the newcomer is refused
        assert busy.closed_by_bmc(), "a peer idle for less than the timeout lost the slot"
        assert r.server.refused == 1
        time.sleep(0.6)
        second = r.peer()
        assert second.control().cmd == VmCmd.VERSION
        assert second.request(0x06, 0x01) == GET_DEVICE_ID
        assert first.closed_by_bmc(), "the idle peer kept the slot from the waiting one"
        wait_for(lambda: any("idle for" in line and "waits to connect" in line for line in r.log))
        for p in (first, busy, second):
            p.close()
    finally:
        r.stop()


def test_the_unix_socket_is_private_whatever_the_umask(tmp_path):
    path = str(tmp_path / "bmc.sock")
    old = os.umask(0)
    try:
        r = Running(addr=f"unix:{path}")
    finally:
        os.umask(old)
    try:
        mode = os.stat(path).st_mode & 0o777
        assert mode == 0o600, f"the socket that can power off the VM is {mode:03o}"
    finally:
        r.stop()


def test_a_flood_of_capabilities_leaves_a_short_log_with_the_count(running):
    vm = running.peer()
    vm.control()
    n = 10_000
    vm.sock.sendall(encode_control(VmCmd.CAPABILITIES, bytes((int(QEMU_CAPABILITIES),))) * n)
    assert vm.request(0x06, 0x01) == GET_DEVICE_ID   # answered after every CAPABILITIES before it
    vm.close()
    wait_for(lambda: any("disconnected" in line for line in running.log))
    caps = [line for line in running.log if line.startswith("VM capabilities")]
    assert len(running.log) < 50, f"{len(running.log)} log lines for {n} CAPABILITIES"
    assert len(caps) + running.server.suppressed_log_lines == n + 1
    assert any("suppressed" in line for line in running.log), running.log
    total = sum(int(line.split()[0]) for line in running.log if "suppressed" in line)
    assert total == running.server.suppressed_log_lines


def test_a_flood_of_wrong_versions_leaves_a_short_log(running):
    vm = running.peer()
    vm.control()
    vm.sock.sendall(encode_control(VmCmd.VERSION, b"\x02") * 5_000)
    assert vm.request(0x06, 0x01) == GET_DEVICE_ID
    vm.close()
    wait_for(lambda: not running.server.connected)
    assert len(running.log) < 50, f"{len(running.log)} log lines for 5,000 VERSION 2"
    assert running.server.suppressed_log_lines > 4_900
