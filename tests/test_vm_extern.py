"""``ipmi-bmc-extern`` client mechanics against a loopback VM-protocol peer (fast; the real
``ipmi_sim`` runs in tests/test_extern_ipmi_sim.py).

The peer is a thread on 127.0.0.1 answering with our own in-process ipmid (its own
simulation), and can be told to go silent, send control commands or junk, or hang up.
"""

from __future__ import annotations

import socket
import threading
import time

import pytest

from bmc.bmc import Bmc
from bmc.ipmi.kcs import STATUS_SMS_ATN
from bmc.ipmid import Ipmid
from bmc.vm import VM_MIN_REQUEST, Decoder, VmCmd, VmControl, VmMessage, encode_control, encode_message
from bmc.vm.extern import ExternBmc, ExternConfig, parse_addr
from buses import Simulation
from buses.time import ms, s, us
from scenarios.world import World
from tests.test_sim_kcs import GOLDEN_DEVICE_ID

WALL = 0.3   # wall bound for the tests' "no answer" cases


class LoopbackBmc:
    """A VM-protocol BMC on 127.0.0.1 (one connection at a time), answering with an in-process ipmid."""

    def __init__(self, port: int = 0):
        self.srv = socket.socket()
        self.srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.srv.bind(("127.0.0.1", port))
        self.srv.listen(1)
        self.srv.settimeout(0.05)
        self.port = self.srv.getsockname()[1]
        self.addr = f"127.0.0.1:{self.port}"
        sim = Simulation()
        self.ipmid = Ipmid(sim, Bmc(sim))
        self.raw = bytearray()                 # every byte the client sent
        self.items: list = []                  # decoded requests and controls
        self.silent = False                    # read requests, never answer
        self.before_response: list[bytes] = []  # raw bytes sent just before the next response
        self.instead_of_response: bytes | None = None
        self.conn: socket.socket | None = None
        self.accepted = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop.is_set():
            try:
                conn, _ = self.srv.accept()
            except (TimeoutError, OSError):
                continue
            self.accepted += 1
            self.conn = conn
            conn.settimeout(0.05)
            dec = Decoder(min_len=VM_MIN_REQUEST)
            while not self._stop.is_set():
                try:
                    chunk = conn.recv(4096)
                except TimeoutError:
                    continue
                except OSError:
                    break
                if not chunk:
                    break
                self.raw += chunk
                for item in dec.feed(chunk):
                    self.items.append(item)
                    if isinstance(item, VmMessage) and not self.silent:
                        self._answer(conn, item)
            conn.close()
            self.conn = None

    def _answer(self, conn, msg: VmMessage):
        out = b"".join(self.before_response)
        self.before_response = []
        if self.instead_of_response is not None:
            out += self.instead_of_response
            self.instead_of_response = None
        else:
            out += encode_message(msg.seq, self.ipmid.handle(msg.msg, t=0))
        try:
            conn.sendall(out)
        except OSError:
            pass

    def hang_up(self):
        conn = self.conn
        if conn is not None:
            conn.shutdown(socket.SHUT_RDWR)
            deadline = time.monotonic() + 2
            while self.conn is not None and time.monotonic() < deadline:
                time.sleep(0.005)

    def requests(self) -> list[VmMessage]:
        return [i for i in self.items if isinstance(i, VmMessage)]

    def close(self):
        self._stop.set()
        self._thread.join(2)
        self.srv.close()


@pytest.fixture
def peer():
    p = LoopbackBmc()
    yield p
    p.close()


def extern_world(addr, trace=False, **cfg):
    cfg.setdefault("wall_timeout", WALL)
    w = World("isa-ipmi-kcs", seed=3, trace=trace, bmc="extern", extern=ExternConfig(addr, **cfg))
    return w


def _wait_for(cond, timeout=2.0):
    deadline = time.monotonic() + timeout
    while not cond() and time.monotonic() < deadline:
        time.sleep(0.002)
    return cond()


# -- connection ---------------------------------------------------------------------------------

def test_connect_burst_is_qemus(peer):
    w = extern_world(peer.addr)
    assert _wait_for(lambda: len(peer.raw) >= 6)
    assert bytes(peer.raw[:6]) == bytes.fromhex("FF 01 A1 08 3F A1")
    assert peer.items[:2] == [VmControl(VmCmd.VERSION, b"\x01"), VmControl(VmCmd.CAPABILITIES, b"\x3f")]
    w.extern.close()


def test_host_driver_runs_through_the_peer(peer):
    w = extern_world(peer.addr)
    assert w.boot() is True
    r = w.request(0x06, 0x01)
    assert r.raw == GOLDEN_DEVICE_ID
    # The answer lands response_latency after the request's last byte; the sequence numbers count up.
    seqs = [m.seq for m in peer.requests()]
    assert seqs == list(range(len(seqs)))
    assert w.extern.stats["responses"] == len(seqs)
    w.extern.close()


def test_same_answers_same_trace():
    def run():
        p = LoopbackBmc()
        try:
            w = extern_world(p.addr, trace=True)
            w.boot()
            for _ in range(3):
                w.request(0x06, 0x01)
            w.extern.close()
            return [line for line in w.sim.tracer.lines() if "127.0.0.1" not in line]
        finally:
            p.close()
    a, b = run(), run()
    assert a == b and len(a) > 100


def test_refused_connection_retries_with_back_off(peer):
    port = peer.port
    peer.close()   # nothing listens there now
    w = extern_world(f"127.0.0.1:{port}", trace=True, reconnect_min=s(1), reconnect_max=s(4))
    assert w.extern.connected is False
    # Every Get Device ID of the driver's probe gets QEMU's immediate 0xD2 while disconnected.
    assert w.boot() is False
    assert "0xD2" in w.host.si.failed
    w.sim.run(until=s(20))
    attempts = [rec.t for rec in w.sim.tracer.records if rec.event == "connect-failed"]
    assert attempts[:5] == [0, s(1), s(3), s(7), s(11)]   # 1, 2, 4, 4 s apart
    w.extern.close()


def test_reconnect_resumes_service():
    p = LoopbackBmc()
    port = p.port
    w = extern_world(p.addr, trace=True)
    assert w.boot() is True
    p.close()
    r = w.request(0x06, 0x01, limit=s(30))
    assert r.cc in (0xD2, 0xC3)
    p2 = LoopbackBmc(port)
    try:
        w.sim.run(until=w.sim.now + s(12))
        assert w.extern.connected
        r = w.request(0x06, 0x01, limit=s(30))
        assert r.raw == GOLDEN_DEVICE_ID
        assert p2.raw[:6] == bytes.fromhex("FF 01 A1 08 3F A1")
    finally:
        w.extern.close()
        p2.close()


# -- no answer, lost answer -------------------------------------------------------------------------

def test_silent_bmc_gives_c3_after_four_simulated_seconds(peer):
    w = extern_world(peer.addr)
    assert w.boot() is True
    peer.silent = True
    t0 = time.monotonic()
    r = w.request(0x06, 0x01, limit=s(30))
    assert time.monotonic() - t0 < 5 * WALL
    assert r.raw == bytes((0x1C, 0x01, 0xC3))
    assert s(4) <= r.elapsed < s(4) + ms(20)
    assert w.extern.connected                      # a timeout does not drop the connection
    peer.silent = False
    assert w.request(0x06, 0x01).raw == GOLDEN_DEVICE_ID
    w.extern.close()


def test_chatty_peer_that_never_answers_still_times_out(peer):
    w = extern_world(peer.addr)
    assert w.boot() is True
    peer.silent = True
    stop = threading.Event()

    def flood():
        burst = encode_control(VmCmd.NOATTN) * 16
        while not stop.is_set() and peer.conn is not None:
            try:
                peer.conn.sendall(burst)
            except OSError:
                return
            time.sleep(0.002)   # keeps the socket busy past the wall bound

    flooder = threading.Thread(target=flood, daemon=True)
    flooder.start()
    t0 = time.monotonic()
    try:
        r = w.request(0x06, 0x01, limit=s(30))
    finally:
        stop.set()
        flooder.join(2)
    assert r.cc == 0xC3
    assert time.monotonic() - t0 < WALL + 2
    w.extern.close()


def test_hang_up_mid_request_gives_d2_then_d2_at_once(peer):
    w = extern_world(peer.addr, wall_timeout=2.0)
    assert w.boot() is True
    peer.silent = True
    timer = threading.Timer(0.1, peer.hang_up)
    timer.start()
    r = w.request(0x06, 0x01, limit=s(30))
    timer.join()
    assert r.raw == bytes((0x1C, 0x01, 0xD2))
    assert r.elapsed < ms(20)
    assert not w.extern.connected
    r = w.request(0x06, 0x01, limit=s(30))
    assert r.raw == bytes((0x1C, 0x01, 0xD2))
    w.extern.close()


def test_late_answer_is_stale_and_dropped(peer):
    w = extern_world(peer.addr, trace=True)
    assert w.boot() is True
    # A response with a sequence number the client is not waiting for, then the right one.
    seq = w.extern.seq
    peer.before_response = [encode_message((seq - 1) & 0xFF, bytes.fromhex("1C 01 00 99"))]
    assert w.request(0x06, 0x01).raw == GOLDEN_DEVICE_ID
    assert w.extern.stats["stale"] == 1
    assert any(r.event == "stale-response" for r in w.sim.tracer.records)
    w.extern.close()


def test_bad_frames_dropped_connection_stays_up(peer):
    w = extern_world(peer.addr, trace=True)
    assert w.boot() is True
    seq = w.extern.seq
    good = encode_message(seq, GOLDEN_DEVICE_ID)
    bad_sum = good[:-2] + bytes(((good[-2] + 1) & 0xFF,)) + b"\xa0"
    peer.before_response = [b"\x55\xa1", b"\x01\xaa\xa1", bytes(400) + b"\xa0"]
    peer.instead_of_response = bad_sum
    r = w.request(0x06, 0x01, limit=s(30))
    assert r.cc == 0xC3                              # the only response did not checksum
    assert w.extern.connected
    dropped = {rec.fields[0][1] for rec in w.sim.tracer.records if rec.event == "frame-dropped"}
    assert dropped == {"UNKNOWN_CONTROL", "ESCAPE_AT_END", "OVERLONG", "CHECKSUM"}
    assert w.request(0x06, 0x01).raw == GOLDEN_DEVICE_ID
    w.extern.close()


# -- control commands from the BMC --------------------------------------------------------------------

def test_attention_sets_and_clears_sms_atn(peer):
    w = extern_world(peer.addr)
    assert w.boot() is True
    peer.before_response = [encode_control(VmCmd.ATTN)]
    w.request(0x06, 0x01)
    assert w.block.status & STATUS_SMS_ATN
    w.sim.run(until=w.sim.now + ms(50))
    # The host's driver saw SMS_ATN and asked for the message flags, as Linux does.
    assert any(m.msg[:2] == bytes((0x18, 0x31)) for m in peer.requests())
    peer.before_response = [encode_control(VmCmd.NOATTN)]
    w.request(0x06, 0x01)
    assert not w.block.status & STATUS_SMS_ATN
    assert [c for _, c in w.extern.controls if "ATTN" in c][-2:] == ["ATTN", "NOATTN"]
    w.extern.close()


@pytest.mark.parametrize("cmd,event", [
    (VmCmd.POWEROFF, "power-off"), (VmCmd.RESET, "hard-reset"), (VmCmd.SEND_NMI, "nmi"),
    (VmCmd.GRACEFUL_SHUTDOWN, "soft-shutdown"),
])
def test_host_controls_act_on_the_host(peer, cmd, event):
    w = extern_world(peer.addr)
    assert w.boot() is True
    peer.before_response = [encode_control(cmd)]
    t = w.sim.now
    w.request(0x06, 0x01, limit=s(30))
    events = [(te, e) for te, e in w.host.power_events if te >= t]
    assert events and events[0][1] == event
    assert w.extern.controls[-1][1] == cmd.name
    w.extern.close()


def test_service_applies_controls_between_requests(peer):
    w = extern_world(peer.addr)
    assert w.boot() is True
    peer.conn.sendall(encode_control(VmCmd.SEND_NMI) + encode_control(VmCmd.DISABLE))
    seen = []
    assert _wait_for(lambda: seen.append(w.extern.service()) or sum(seen) == 2)
    w.sim.run(until=w.sim.now + ms(1))
    names = [c for _, c in w.extern.controls]
    assert names[-2:] == ["SEND_NMI", "DISABLE"]     # DISABLE (OpenIPMI only) is ignored, as QEMU does
    assert len(w.host.nmis) == 1
    w.extern.close()


def test_poll_interval_picks_up_controls_without_requests(peer):
    w = extern_world(peer.addr, poll_interval=ms(10))
    assert w.boot() is True
    peer.conn.sendall(encode_control(VmCmd.SEND_NMI))
    time.sleep(0.05)   # let the bytes cross the loopback before simulated time moves on
    w.sim.run(until=w.sim.now + ms(50))
    assert len(w.host.nmis) == 1
    w.extern.close()


# -- the request path without a host ------------------------------------------------------------------

class _Iface:
    def __init__(self):
        self.got = []
        self.atn = []
        self.irq = []

    def deliver(self, rsp, t):
        self.got.append((t, rsp))

    def set_atn(self, on, irq, t):
        self.atn.append((on, irq))

    def set_irq_enable(self, on, t):
        self.irq.append(on)


def test_length_checks_answer_at_once(peer):
    sim = Simulation()
    ext = ExternBmc(sim, ExternConfig(peer.addr, wall_timeout=WALL))
    iface = _Iface()
    ext.attach(iface)
    assert ext.start()
    ext.submit(b"\x18", 0, iface.deliver)
    sim.run(until=us(1))
    ext.submit(bytes((0x18, 0x01)) + bytes(299), sim.now, iface.deliver)
    sim.run(until=us(2))
    assert [r for _, r in iface.got] == [bytes((0x1C, 0x00, 0xC7)), bytes((0x1C, 0x01, 0xC6))]
    ext.close()


def test_irq_enable_controls_reach_the_interface(peer):
    sim = Simulation()
    ext = ExternBmc(sim, ExternConfig(peer.addr, wall_timeout=WALL))
    iface = _Iface()
    ext.attach(iface)
    assert ext.start()
    peer.before_response = [encode_control(VmCmd.ENABLE_IRQ), encode_control(VmCmd.DISABLE_IRQ),
                            encode_control(VmCmd.ATTN_IRQ)]
    ext.submit(bytes((0x18, 0x01)), 0, iface.deliver)
    sim.run(until=ms(1))
    assert iface.irq == [True, False]
    assert iface.atn[-1] == (True, True)
    assert iface.got == [(us(100), GOLDEN_DEVICE_ID)]
    ext.close()


@pytest.mark.parametrize("addr,field", [
    ("nope", "extern.addr"), ("127.0.0.1:0", "extern.addr"), ("127.0.0.1:http", "extern.addr"),
    ("unix:", "extern.addr"),
])
def test_bad_address_names_the_field(addr, field):
    with pytest.raises(ValueError, match=field):
        ExternConfig(addr)


def test_bad_config_names_the_field():
    with pytest.raises(ValueError, match="extern.wall_timeout"):
        ExternConfig("127.0.0.1:1", wall_timeout=0)
    with pytest.raises(ValueError, match="extern.response_latency"):
        ExternConfig("127.0.0.1:1", response_latency=1.5)
    with pytest.raises(ValueError, match="bmc"):
        World("ast2600", bmc="extern", extern="127.0.0.1:1")


def test_parse_addr_forms():
    assert parse_addr("127.0.0.1:9002") == (socket.AF_INET, ("127.0.0.1", 9002))
    assert parse_addr("[::1]:9002") == (socket.AF_INET6, ("::1", 9002))
    assert parse_addr("unix:/tmp/x.sock") == (socket.AF_UNIX, "/tmp/x.sock")


def test_unix_socket_peer(tmp_path):
    path = str(tmp_path / "bmc.sock")
    srv = socket.socket(socket.AF_UNIX)
    srv.bind(path)
    srv.listen(1)
    sim = Simulation()
    ext = ExternBmc(sim, ExternConfig(f"unix:{path}", wall_timeout=WALL))
    assert ext.start()
    conn, _ = srv.accept()
    conn.settimeout(1)
    assert conn.recv(16) == bytes.fromhex("FF 01 A1 08 3F A1")
    ext.close()
    conn.close()
    srv.close()


# -- link faults (scenarios.faults.LinkFault) ------------------------------------------------------------

def test_garbage_on_the_link_is_dropped_and_the_answer_behind_it_kept(peer):
    from scenarios.faults import LinkFault, Schedule, inject
    w = extern_world(peer.addr, trace=True)
    assert w.boot() is True
    (f,) = inject(w, LinkFault("garbage", length=24, schedule=Schedule(count=1)))
    assert w.request(0x06, 0x01).raw == GOLDEN_DEVICE_ID
    assert f.acted == 1 and w.extern.connected
    assert any(r.event == "frame-dropped" for r in w.sim.tracer.records)
    assert any(r.layer == "fault" and r.event == "garbage" for r in w.sim.tracer.records)
    w.extern.close()


def test_a_cut_link_fails_the_request_and_the_client_reconnects(peer):
    from scenarios.faults import LinkFault, Schedule, inject
    w = extern_world(peer.addr, trace=True)
    assert w.boot() is True
    (f,) = inject(w, LinkFault("disconnect", schedule=Schedule(count=1)))
    r = w.request(0x06, 0x01, limit=s(30))
    assert r.raw == bytes((0x1C, 0x01, 0xD2)) and f.acted == 1 and not w.extern.connected
    assert _wait_for(lambda: peer.conn is None)
    w.sim.run(until=w.sim.now + s(2))                  # the back-off: reconnect within it
    assert w.extern.connected and w.request(0x06, 0x01).raw == GOLDEN_DEVICE_ID
    with pytest.raises(ValueError, match="not external"):
        inject(World("isa-ipmi-kcs"), LinkFault("garbage"))
    w.extern.close()
