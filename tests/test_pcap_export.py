"""``--pcap``: a run's IPMI messages as a Wireshark capture, decoded by the real tshark.

The capture's bytes are checked against the pcapng and IPMI trace (HPM.2) layouts here (the file
read back with ``tests/pcapng_read.py``); then Debian's tshark
(tests/peers/install.sh installs it) reads each capture with its own IPMI dissectors (KCS) and the
repository's Lua plugin (BT, SSIF), and every message the host's message handler sent must come
out as IPMI with its NetFn, command and completion code, at its simulated instant to the ns.
"""

from __future__ import annotations

import shutil
import subprocess

import pytest

from bmc.ipmi.netfn import NetFn
from scenarios.cli import main
from scenarios.pcap_export import LUA_PLUGIN, messages, trace_block, write_pcap
from scenarios.world import World
from tests import pcapng_read

TSHARK = shutil.which("tshark")
WORLDS = [("isa-ipmi-kcs", None), ("isa-ipmi-bt", None), ("smbus-ipmi", None), ("pci-ipmi-bt", None),
          ("ast2600", "kcs"), ("ast2600", "bt"), ("ast2600", "ssif")]
# Enough for SSIF's multi-part framing both ways: a 40-byte FRU write, a 40-byte FRU read (44 bytes back).
REQUESTS = [(NetFn.APP, 0x01, b""), (NetFn.STORAGE, 0x12, bytes((0, 0x40, 0)) + bytes(range(40))),
            (NetFn.STORAGE, 0x11, bytes((0, 0, 0, 40))), (NetFn.APP, 0x2E, b"")]


def _run(preset, interface, tmp_path):
    world = World(preset, interface=interface, trace=True)
    assert world.boot()
    results = [world.request(*r) for r in REQUESTS]
    path = tmp_path / f"{preset}-{interface}.pcap"
    n = write_pcap(world.sim.tracer.records, path)
    return world, results, path, n


def test_block_layout():
    """Channel 15, packet data, s/ms stamp, protocol, direction bit 7, length, then the message."""
    block = trace_block(3_004_000_123, 0x05, 0x80, b"\x18\x01")
    assert block == bytes((0x0F, 3, 0, 0, 0, 4, 0, 0x05, 0x80, 0x00, 2, 0x18, 0x01))


def test_pcap_header_and_packets(tmp_path):
    """pcapng: a Section Header Block, the two interfaces (IPMI_HPM_2 and raw IP, ns timestamps), then
    one Enhanced Packet Block per message on interface 0, whole, at the record's ns."""
    world, _results, path, n = _run("isa-ipmi-kcs", None, tmp_path)
    raw = path.read_bytes()
    assert raw[:4] == b"\x0a\x0d\x0d\x0a" and raw[8:12] == b"\x4d\x3c\x2b\x1a"   # SHB, little endian
    cap = pcapng_read.read(raw)
    assert cap.shb_version == (1, 0) and cap.shb_options[4] == b"ipmilab"
    assert [(i.linktype, i.snaplen) for i in cap.interfaces] == [(260, 65535), (101, 0)]
    assert all(i.options[9] == b"\x09" for i in cap.interfaces)        # if_tsresol: 10^-9 s
    assert [i.options[2] for i in cap.interfaces] == [b"system-interface", b"lan"]
    assert cap.block_types == [0x0A0D0D0A, 1, 1] + [6] * n
    assert all(p.interface == 0 and p.orig_len == len(p.data) and not p.options for p in cap.packets)
    got = [(p.t, p.data) for p in cap.packets]
    assert len(got) == n
    want = list(messages(world.sim.tracer.records))
    assert [(t, b[7], b[8], b[11:]) for t, b in got] == [(t, p, d, m) for t, p, d, m in want]


def test_ssif_blocks_are_joined(tmp_path):
    """The 40-byte write goes out as 0x06 + 0x07/0x08 blocks, the 44-byte answer comes back in parts:
    the capture holds each as one message, byte for byte what the message handler had."""
    world, results, _path, _n = _run("smbus-ipmi", None, tmp_path)
    msgs = [m for _t, _p, _d, m in messages(world.sim.tracer.records)]
    for r in results[1:3]:
        assert r.request in msgs and r.raw in msgs
    blocks = [dict(rec.fields)["cmd"] for rec in world.sim.tracer.records if rec.event == "block-write"]
    assert "0x06" in blocks


def test_unwritable_path_is_an_error_line(tmp_path, capsys):
    assert main(["trace", "--pcap", str(tmp_path / "no" / "such" / "dir.pcap")]) == 1
    err = capsys.readouterr().err
    assert "--pcap" in err and "No such file or directory" in err and "Traceback" not in err


def _tshark(path):
    out = subprocess.run([TSHARK, "-n", "-X", f"lua_script:{LUA_PLUGIN}", "-o", "ipmi.dissect_bus_commands:TRUE",
                          "-r", str(path), "-T", "fields", "-E", "separator=|", "-e", "frame.time_epoch",
                          "-e", "ipmi.trace.data.type", "-e", "ipmi.trace.dir", "-e", "ipmi.header.netfn",
                          "-e", "ipmi.header.command", "-e", "ipmi.header.completion", "-e", "_ws.col.Protocol"],
                         capture_output=True, text=True, timeout=60, check=True)
    return [line.split("|") for line in out.stdout.splitlines()]


@pytest.mark.slow
@pytest.mark.skipif(TSHARK is None, reason="tshark missing; tests/peers/install.sh installs it")
@pytest.mark.parametrize(("preset", "interface"), WORLDS)
def test_tshark_decodes_every_message(preset, interface, tmp_path):
    world, results, path, n = _run(preset, interface, tmp_path)
    rows = _tshark(path)
    assert len(rows) == n > 2 * len(REQUESTS)
    kind = world.interface.kind
    proto = {"kcs": ("0x05", "KCS"), "bt": ("0x08", "BT"), "ssif": ("0x04", "SSIF")}[kind]
    decoded = []
    for (t, _p, d, _m), row in zip(messages(world.sim.tracer.records), rows, strict=True):
        epoch, dtype, _dir, netfn, cmd, cc, column = row
        assert round(float(epoch) * 1e9) == t          # the packet's time is the record's, to the ns
        assert (dtype, column) == proto
        assert netfn and cmd, f"not decoded as IPMI: {row}"
        decoded.append((int(netfn, 16), int(cmd, 16), int(cc, 16) if cc else None))
        assert (cc != "") == (d == 0)                  # responses carry a completion code, requests none
    for r in results:
        netfn, cmd = r.request[0] >> 2, r.request[1]
        assert (netfn, cmd, None) in decoded
        assert (netfn | 1, cmd, r.cc) in decoded


def test_serve_captures_the_bmcs_side(tmp_path):
    """``serve --pcap``: each request the served BMC got over the VM link, and its answer, as it happened."""
    from scenarios.cli_serve import build_served_bmc, capture_to
    from tests.test_serve_robustness import VmPeer, VmServer

    served = build_served_bmc(None, trace=True)
    capture = capture_to(served, tmp_path / "serve.pcap", "bt")
    server = VmServer(served.sim, served.bmc, served.ipmid, served.host, log=lambda _line: None)
    host, port = server.listen("127.0.0.1:0").rsplit(":", 1)
    import threading

    thread = threading.Thread(target=server.serve, daemon=True)
    thread.start()
    try:
        peer = VmPeer((host, int(port)))
        peer.control()
        answers = [peer.request(0x06, 0x01), peer.request(0x0A, 0x40)]
        peer.close()
    finally:
        server.stop()
        thread.join(10)
        server.close()
        served.bmc.store.close()
        capture.close()
    blocks = [p.data for p in pcapng_read.read((tmp_path / "serve.pcap").read_bytes()).packets]
    def bt(msg, seq):
        return bytes((len(msg) + 1, msg[0], seq)) + msg[1:]
    assert [(b[7], b[8], b[11:]) for b in blocks] == [
        (0x08, 0x80, bt(b"\x18\x01", 0)), (0x08, 0x00, bt(answers[0], 0)),
        (0x08, 0x80, bt(b"\x28\x40", 1)), (0x08, 0x00, bt(answers[1], 1))]
