"""LAN traffic in ``--pcap``: the LAN channel's datagram records, the pcapng blocks and IPv4/UDP packets that
carry them (read back with the independent ``tests/pcapng_read.py``), and, slow, real ipmitool against
``ipmilab serve --lan --pcap`` with the capture decoded by Debian's tshark (RMCP, RMCP+ and IPMI v1.5)."""

from __future__ import annotations

import pathlib
import re
import shutil
import struct
import subprocess
import sys

import pytest

from bmc.bmc import Bmc
from bmc.ipmid import Ipmid
from bmc.lan import LanChannel, rmcpplus
from bmc.lan.server import LanServer
from buses import Simulation
from buses.trace import TraceRecord
from scenarios import pcapng
from scenarios.cli import main
from scenarios.pcap_export import (
    EPB_INBOUND,
    EPB_OUTBOUND,
    PcapWriter,
    lan_datagrams,
    write_pcap,
)
from scenarios.world import World
from tests import pcapng_read
from tests.lan_client import PEER, Console15, Console20

ROOT = pathlib.Path(__file__).resolve().parent.parent
TSHARK = shutil.which("tshark")
PING = bytes((0x06, 0x00, 0xFF, 0x06)) + bytes.fromhex("000011BE80420000")


def channel(trace: bool = True, **kw):
    sim = Simulation(seed=1, trace=trace)
    bmc = Bmc(sim, lan_channel=1)
    return LanChannel(sim, bmc, Ipmid(sim, bmc), **kw)


def udp_records(records):
    return [r for r in records if r.event in ("udp-in", "udp-out")]


# -- the records -------------------------------------------------------------------------------------------

def test_each_datagram_in_and_answer_out_is_a_record():
    lan = channel()
    answers = lan.datagram(PING, PEER, 1234)
    assert len(answers) == 1
    recs = udp_records(lan.sim.tracer.records)
    assert [(r.t, r.layer, r.component, r.event, dict(r.fields)) for r in recs] == [
        (1234, "bmc", "bmc.lan1", "udp-in", {"peer": "192.0.2.7:50623", "local": "127.0.0.1:623", "data": PING}),
        (1234, "bmc", "bmc.lan1", "udp-out", {"peer": "192.0.2.7:50623", "local": "127.0.0.1:623",
                                              "data": answers[0]})]
    assert recs[0].format().split()[1:4] == ["bmc", "bmc.lan1", "udp-in"]
    lan.bmc.store.close()


def test_dropped_datagrams_are_recorded_too_and_nothing_without_tracing():
    lan = channel()
    assert lan.datagram(b"\x01\x02", ("::1", 40000, 0, 0), 5) == []
    (rec,) = udp_records(lan.sim.tracer.records)
    assert dict(rec.fields)["peer"] == "[::1]:40000" and dict(rec.fields)["data"] == b"\x01\x02"
    lan.bmc.store.close()
    quiet = channel(trace=False)
    assert quiet.datagram(PING, PEER, 0) and quiet.sim.tracer.records == []
    quiet.bmc.store.close()


def test_payloads_sent_outside_a_datagram_are_recorded_when_sent():
    """SOL output (send_payload with no request in hand) leaves through the sink/outbox: a udp-out then."""
    lan = channel(local=("10.1.2.3", 6230))
    c = Console20(lan, suite=17)
    c.login()
    s = lan.sessions.get(c.bmc_id)
    lan.sim.call_at(777, s.send_payload, rmcpplus.PAYLOAD_SOL, b"hello")   # later, as SOL output is
    lan.sim.run(until=1000)
    ((peer, packet),) = lan.outbox
    last = udp_records(lan.sim.tracer.records)[-1]
    assert (last.t, last.event, dict(last.fields)) == (777, "udp-out", {"peer": "192.0.2.7:50623",
                                                                        "local": "10.1.2.3:6230", "data": packet})
    lan.bmc.store.close()


def test_listen_gives_the_channel_its_bound_address():
    lan = channel()
    server = LanServer(lan.sim)
    try:
        bound = server.listen(lan, "127.0.0.1:0")
        assert lan.local == ("127.0.0.1", int(bound.rsplit(":", 1)[1]))
    finally:
        server.close()
        lan.bmc.store.close()


# -- pcapng and IP/UDP bytes --------------------------------------------------------------------------------

def test_pcapng_block_layout():
    """Every block as the format's text lays it out: type, length, body padded to 32 bits, length again."""
    shb = pcapng.section_header("ab")
    assert shb == struct.pack("<IIIHHq", 0x0A0D0D0A, 40, 0x1A2B3C4D, 1, 0, -1) + struct.pack("<HH", 4, 2) + \
        b"ab\0\0" + bytes(4) + struct.pack("<I", 40)
    idb = pcapng.interface_description(101, "lan", "x", snaplen=0)
    assert idb == struct.pack("<IIHHI", 1, 48, 101, 0, 0) + struct.pack("<HH", 2, 3) + b"lan\0" + \
        struct.pack("<HH", 3, 1) + b"x\0\0\0" + struct.pack("<HHB3x", 9, 1, 9) + bytes(4) + struct.pack("<I", 48)
    t = (5 << 32) + 123_456_789
    epb = pcapng.enhanced_packet(1, t, b"\xAA\xBB\xCC", flags=2)
    assert epb == struct.pack("<IIIIIII", 6, 48, 1, 5, 123_456_789, 3, 3) + b"\xAA\xBB\xCC\0" + \
        struct.pack("<HHI", 2, 4, 2) + bytes(4) + struct.pack("<I", 48)
    assert pcapng.enhanced_packet(0, 0, b"1234") == struct.pack("<IIIIIII", 6, 36, 0, 0, 0, 4, 4) + b"1234" + \
        struct.pack("<I", 36)


def test_ipv4_udp_packet():
    pkt = pcapng.udp_packet(("127.0.0.1", 40000), ("127.0.0.2", 623), PING)
    assert len(pkt) == 20 + 8 + len(PING)
    assert pkt[:12] == bytes((0x45, 0, 0, 40, 0, 0, 0x40, 0, 64, 17)) + pkt[10:12]
    assert pkt[12:20] == bytes((127, 0, 0, 1, 127, 0, 0, 2))
    udp = pcapng_read.parse_udp(pkt)          # lengths, header checksum and UDP checksum recomputed there
    assert (udp.src, udp.dst, udp.payload, udp.ttl) == (("127.0.0.1", 40000), ("127.0.0.2", 623), PING, 64)
    # RFC 1071's worked example: the sum of 00 01 f2 03 f4 f5 f6 f7 is ddf2, so the checksum is 220d.
    assert pcapng.internet_checksum(bytes.fromhex("0001f203f4f5f6f7")) == 0x220D
    odd = pcapng.udp_packet(("10.0.0.1", 1), ("10.0.0.2", 2), b"\x01\x02\x03")
    assert pcapng_read.parse_udp(odd).payload == b"\x01\x02\x03"


def test_ipv6_udp_packet():
    pkt = pcapng.udp_packet(("::1", 623), ("fe80::2", 50000), b"\x06\x00\xff\x07xyz")
    assert pkt[0] >> 4 == 6 and len(pkt) == 40 + 8 + 7
    udp = pcapng_read.parse_udp(pkt)
    assert (udp.src, udp.dst, udp.payload) == (("::1", 623), ("fe80::2", 50000), b"\x06\x00\xff\x07xyz")


def test_udp_packet_refuses_mixed_families_and_oversize():
    with pytest.raises(ValueError, match="one IPv4, one IPv6"):
        pcapng.udp_packet(("::1", 1), ("127.0.0.1", 2), b"")
    with pytest.raises(ValueError, match="more than 65535"):
        pcapng.udp_packet(("127.0.0.1", 1), ("127.0.0.1", 2), bytes(65530))


# -- the export ---------------------------------------------------------------------------------------------

def test_world_with_lan_traffic_writes_both_interfaces(tmp_path):
    """A booted KCS world with a LAN channel: host-driver messages on interface 0, LAN datagrams on
    interface 1 as IPv4/UDP between the peer and 127.0.0.1:623, all in time order."""
    w = World("isa-ipmi-kcs", trace=True)
    assert w.boot()
    w.request(0x06, 0x01)
    lan = LanChannel(w.sim, w.bmc, w.ipmid)
    c = Console15(lan, t=w.sim.now)
    assert c.activate()[3][0] == 0
    c.t += 1000
    assert c.request(0x06, 0x01)[0] == 0
    w.request(0x06, 0x01)
    path = tmp_path / "both.pcap"
    n = write_pcap(w.sim.tracer.records, path)
    cap = pcapng_read.read(path.read_bytes())
    assert len(cap.packets) == n
    recs = udp_records(w.sim.tracer.records)
    lan_pkts = [p for p in cap.packets if p.interface == 1]
    assert len(lan_pkts) == len(recs) == 6 and len(cap.packets) > len(lan_pkts)     # 3 requests, 3 answers
    assert [p.t for p in cap.packets] == sorted(p.t for p in cap.packets)
    for p, r in zip(lan_pkts, recs, strict=True):
        udp = pcapng_read.parse_udp(p.data)
        peer, local = ("192.0.2.7", 50623), ("127.0.0.1", 623)
        inbound = r.event == "udp-in"
        assert (udp.src, udp.dst) == ((peer, local) if inbound else (local, peer))
        assert udp.payload == dict(r.fields)["data"] and p.t == r.t
        assert struct.unpack("<I", p.options[2])[0] == (EPB_INBOUND if inbound else EPB_OUTBOUND)
    w.bmc.store.close()


def test_lan_msg_records_are_not_vm_link_messages(tmp_path):
    """``serve --pcap`` takes the VM server's msg-in/msg-out; the LAN channel's are in its datagrams."""
    writer = PcapWriter(tmp_path / "x.pcap")
    lan_msg = TraceRecord(5, "bmc", "bmc.lan1", "msg-in", (("session", "none"), ("seq", 1), ("msg", b"\x18\x01")))
    vm_msg = TraceRecord(6, "bmc", "vm-server", "msg-in", (("seq", 1), ("msg", b"\x18\x01")))
    dgram = TraceRecord(7, "bmc", "bmc-0002.lan1", "udp-in", (("peer", "127.0.0.1:9"), ("local", "127.0.0.1:10"),
                                                              ("data", PING)))
    for rec in (lan_msg, vm_msg, dgram):
        writer.add_record(rec, 0x05)
    writer.close()
    assert (writer.packets, writer.datagrams, writer.ports) == (1, 1, {10})
    cap = pcapng_read.read((tmp_path / "x.pcap").read_bytes())
    assert [(p.t, p.interface) for p in cap.packets] == [(6, 0), (7, 1)]
    assert cap.packets[0].data[7:9] == b"\x05\x80" and cap.packets[0].data[11:] == b"\x18\x01"


def test_unparsable_addresses_are_left_out():
    bad = TraceRecord(1, "bmc", "bmc.lan1", "udp-in", (("peer", "somewhere"), ("local", "127.0.0.1:623"),
                                                       ("data", b"")))
    mixed = TraceRecord(2, "bmc", "bmc.lan1", "udp-in", (("peer", "[::1]:5"), ("local", "127.0.0.1:623"),
                                                         ("data", b"")))
    assert list(lan_datagrams([bad, mixed])) == []


def test_scenario_run_exports_lan_datagrams(tmp_path, capsys):
    script = tmp_path / "lan.py"
    script.write_text("from bmc.lan import LanChannel\n"
                      "from scenarios.scenario import boot\n"
                      "w = boot('isa-ipmi-kcs')\n"
                      f"assert LanChannel(w.sim, w.bmc, w.ipmid).datagram({PING!r}, ('127.0.0.9', 4000), w.sim.now)\n")
    out = tmp_path / "lan.pcap"
    assert main(["scenario", "run", str(script), "--pcap", str(out)]) == 0
    err = capsys.readouterr().err
    assert "2 LAN datagrams" in err and "-d udp.port" not in err          # port 623: tshark knows it
    lan_pkts = [p for p in pcapng_read.read(out.read_bytes()).packets if p.interface == 1]
    assert [pcapng_read.parse_udp(p.data).payload[:4] for p in lan_pkts] == [PING[:4], PING[:4]]


# -- real peers: ipmitool against serve --lan --pcap, tshark reading the file ----------------------------

def _serve(tmp_path, *extra):
    cmd = [sys.executable, "-c", "import sys; from scenarios.cli import main; sys.exit(main())", "serve",
           "--lan", "127.0.0.1:0", "--state-dir", str(tmp_path / "state"), "--duration", "20", *extra]
    return subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for(proc, pattern: str, lines: int = 10) -> re.Match:
    seen = []
    while len(seen) < lines:
        line = proc.stdout.readline()
        seen.append(line)
        m = re.search(pattern, line)
        if m:
            return m
    raise AssertionError("".join(seen))


def _stop(proc) -> str:
    proc.terminate()
    out, err = proc.communicate(timeout=10)
    assert proc.returncode == 0, err
    return out


def _ipmitool(port, *args):
    r = subprocess.run(["ipmitool", *args[:-2], "-U", "ipmiusr", "-P", "test", "-H", "127.0.0.1", "-p", str(port),
                        "-R", "1", "-N", "1", *args[-2:]], capture_output=True, text=True, timeout=15)
    assert r.returncode == 0, r.stderr
    return r.stdout


def _tshark(path, port, *fields):
    out = subprocess.run([TSHARK, "-n", "-o", "ipmi.dissect_bus_commands:TRUE", "-o", "udp.check_checksum:TRUE",
                          "-o", "ip.check_checksum:TRUE", "-d", f"udp.port=={port},rmcp", "-r", str(path),
                          "-T", "fields", "-E", "separator=|", "-E", "occurrence=f",
                          *[x for f in fields for x in ("-e", f)]],
                         capture_output=True, text=True, timeout=60, check=True)
    return [line.split("|") for line in out.stdout.splitlines()]


peers = pytest.mark.skipif(TSHARK is None or shutil.which("ipmitool") is None,
                           reason="tshark and ipmitool; tests/peers/install.sh installs them")


@pytest.mark.slow
@peers
def test_tshark_decodes_ipmitool_sessions(tmp_path):
    path = tmp_path / "lan.pcap"
    proc = _serve(tmp_path, "--pcap", str(path))
    try:
        port = int(_wait_for(proc, r"listening on udp 127\.0\.0\.1:(\d+)").group(1))
        assert "Device ID" in _ipmitool(port, "-I", "lanplus", "-C", "17", "mc", "info")
        assert "System Power" in _ipmitool(port, "-I", "lan", "-A", "MD5", "chassis", "status")
    finally:
        out = _stop(proc)
    m = re.search(r"capture: 0 VM-link message\(s\), (\d+) LAN datagram\(s\) in (\S+) \((tshark .*)\)", out)
    assert m and m.group(2) == str(path) and f"-d udp.port=={port},rmcp" in m.group(3), out
    rows = _tshark(path, port, "frame.interface_id", "frame.protocols", "ip.checksum.status", "udp.checksum.status",
                   "udp.srcport", "udp.dstport", "rmcp.class", "ipmi_session.authtype", "ipmi_session.payloadtype",
                   "ipmi_session.id", "ipmi_session.sequence", "ipmi.header.netfn", "ipmi.header.command",
                   "ipmi.header.completion", "_ws.col.Info", "frame.packet_flags_direction")
    assert len(rows) == int(m.group(1)) > 20
    for (iface, protos, ip_ok, udp_ok, sport, dport, rclass, *_rest, direction) in rows:
        assert iface == "1" and protos.startswith("raw:ip:udp:rmcp") and ip_ok == udp_ok == "1"   # 1: Good
        assert (dport if int(direction, 16) == EPB_INBOUND else sport) == str(port)   # the BMC's port
        assert rclass in ("0x07", "0x06")                                   # IPMI, ASF (ipmitool's ping)
    plus = [r for r in rows if r[7] == "0x06"]                              # RMCP+ (authentication type 6)
    kinds = [r[8] for r in plus]
    for payload in ("0x10", "0x11", "0x12", "0x13", "0x14", "0x15"):     # Open Session, RAKP 1-4
        assert payload in kinds, kinds
    infos = " ".join(r[14] for r in plus)
    for name in ("RMCP+ Open Session Request", "RMCP+ Open Session Response", "RAKP Message 1", "RAKP Message 4"):
        assert name in infos
    in_session = [r for r in plus if r[8] == "0x00" and r[9] != "0x00000000"]
    assert len(in_session) >= 4 and len({r[10] for r in in_session}) > 2  # session ids and sequence numbers
    v15 = [r for r in rows if r[7] in ("0x00", "0x02")]          # IPMI v1.5: MD5 or none (per-message auth off)
    assert any(r[7] == "0x02" for r in v15)
    decoded = {(int(r[11], 16), int(r[12], 16), r[13], r[9] != "0x00000000") for r in v15 if r[11]}
    assert (0x06, 0x38, "", False) in decoded and (0x07, 0x38, "0x00", False) in decoded   # Get Ch. Auth. Cap.
    assert (0x07, 0x3A, "0x00", True) in decoded                           # Activate Session answered
    assert (0x00, 0x01, "", True) in decoded and (0x01, 0x01, "0x00", True) in decoded   # Get Chassis Status
    text = subprocess.run([TSHARK, "-n", "-o", "ipmi.dissect_bus_commands:TRUE", "-d", f"udp.port=={port},rmcp",
                           "-r", str(path), "-V"], capture_output=True, text=True, timeout=60, check=True).stdout
    for line in ("Remote Management Control Protocol, Class: IPMI", "IPMI v2.0+ Session Wrapper",
                 "Payload Type: RAKP Message 3 (0x14)", "Authentication Type: MD5 (0x02)",
                 "Command: Get Chassis Status (0x01)", "Completion Code: Command Completed Normally (0x00)",
                 "Interface name: lan", "Encapsulation type: Raw IP"):
        assert line in text, line


@pytest.mark.slow
@peers
def test_vm_and_lan_in_one_file(tmp_path):
    """``serve --vm --lan --pcap``: the VM link's messages (IPMI trace, KCS) and the LAN datagrams (raw IP) in
    one pcapng file, and tshark reads both link types; the LAN requests are not among the KCS messages."""
    from tests.test_serve_robustness import VmPeer

    path = tmp_path / "mixed.pcap"
    proc = _serve(tmp_path, "--vm", "127.0.0.1:0", "--pcap", str(path))
    try:
        vm_port = int(_wait_for(proc, r"listening on 127\.0\.0\.1:(\d+) \(one VM").group(1))
        port = int(_wait_for(proc, r"listening on udp 127\.0\.0\.1:(\d+)").group(1))
        peer = VmPeer(("127.0.0.1", vm_port))
        peer.control()
        assert peer.request(0x06, 0x01)[:3] == b"\x1c\x01\x00"
        assert "Device ID" in _ipmitool(port, "-I", "lanplus", "-C", "3", "mc", "info")
        assert peer.request(0x00, 0x01)[:3] == b"\x04\x01\x00"        # Get Chassis Status over the VM link
        peer.close()
    finally:
        out = _stop(proc)
    assert re.search(r"capture: 4 VM-link message\(s\), \d+ LAN datagram\(s\)", out), out
    cap = pcapng_read.read(path.read_bytes())
    assert [i.linktype for i in cap.interfaces] == [260, 101]
    assert sum(p.interface == 0 for p in cap.packets) == 4
    rows = subprocess.run([TSHARK, "-n", "-o", "ipmi.dissect_bus_commands:TRUE", "-d", f"udp.port=={port},rmcp",
                           "-r", str(path), "-T", "fields", "-E", "separator=|", "-e", "frame.interface_id",
                           "-e", "frame.encap_type", "-e", "_ws.col.Protocol", "-e", "ipmi.header.netfn",
                           "-e", "ipmi.header.command", "-e", "ipmi_session.payloadtype"],
                          capture_output=True, text=True, timeout=60, check=True).stdout.splitlines()
    rows = [r.split("|") for r in rows]
    assert len(rows) == len(cap.packets)
    trace = [r for r in rows if r[0] == "0"]
    lan = [r for r in rows if r[0] == "1"]
    assert [(r[2], r[3], r[4]) for r in trace] == [("KCS", "0x06", "0x01"), ("KCS", "0x07", "0x01"),
                                                   ("KCS", "0x00", "0x01"), ("KCS", "0x01", "0x01")]
    assert {r[1] for r in trace} != {r[1] for r in lan}                   # two encapsulations in one file
    assert {"0x10", "0x12", "0x14"} <= {r[5] for r in lan}


@pytest.mark.slow
@pytest.mark.skipif(TSHARK is None, reason="tshark; tests/peers/install.sh installs it")
def test_tshark_reads_ipv6_datagrams(tmp_path):
    """A LAN channel on an IPv6 address: the datagrams go out as IPv6/UDP, checksums good, RMCP inside."""
    lan = channel(local=("::1", 623))
    Console15(lan, peer=("fe80::7", 50623, 0, 0)).sessionless(6, 0x38, b"\x8E\x04")
    path = tmp_path / "v6.pcap"
    assert write_pcap(lan.sim.tracer.records, path) == 2
    lan.bmc.store.close()
    out = subprocess.run([TSHARK, "-n", "-o", "ipmi.dissect_bus_commands:TRUE", "-o", "udp.check_checksum:TRUE",
                          "-r", str(path), "-T", "fields", "-E", "separator=|", "-e", "ipv6.src", "-e", "ipv6.dst",
                          "-e", "udp.checksum.status", "-e", "rmcp.class", "-e", "ipmi.header.command",
                          "-e", "ipmi.header.completion"], capture_output=True, text=True, timeout=60, check=True)
    assert [line.split("|") for line in out.stdout.splitlines()] == [
        ["fe80::7", "::1", "1", "0x07", "0x38", ""], ["::1", "fe80::7", "1", "0x07", "0x38", "0x00"]]
