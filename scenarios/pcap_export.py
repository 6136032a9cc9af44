"""The IPMI messages of a traced run as a capture Wireshark reads: ``write_pcap(records, path)``.

The file is a classic pcap (nanosecond timestamps, the run's simulated time) of link type
``IPMI_HPM_2`` (260): each packet is a PICMG HPM.2 trace data block, the format an IPM controller
uses to trace its own channels, which Wireshark's ``ipmi-trace`` dissector reads.  The 11-byte
block header: byte 0 the channel (15, the system interface) with block type 0 (packet data) in
bits 5:4; bytes 1-4 seconds and 5-6 milliseconds (little endian, the same instant as the packet's);
byte 7 the channel protocol (KCS 0x05, BT-15 0x08, IPMI-SMBus 0x04 for SSIF, IPMI 2.0 table
6-2); bytes 8-9 protocol data, whose bit 7 is the direction (1: to the IPM controller, a
request); byte 10 the length of the message that follows.

The messages are taken where the host's driver moves them, so a capture shows what crossed the
interface, retries and lost answers included (``serve``, whose host is a real QEMU guest, captures
the BMC's side of the VM link instead, ``bmc_messages``):

- KCS: ``kcs_sm`` start (the request) and complete (the response), NetFn/LUN, Cmd, data;
- BT: ``bt_sm`` write and response, the buffer's frame as it went through (Length, NetFn/LUN,
  Seq, Cmd, data);
- SSIF: the SMBus blocks ``ssif`` wrote and read, joined as the SSIF framing says (IPMI 2.0
  section 12: write 0x02, or 0x06, 0x07... and 0x08; read 0x03, a multi-part one starting
  ``00 01`` and continued by 0x09 reads numbered up to 0xFF).

Wireshark 4.0 decodes KCS messages itself; it has no dissector for the BT-15 and SMBus
protocols, so ``docs/wireshark/ipmilab.lua`` (in the repository) hands those messages to its
own IPMI dissector: ``tshark -X lua_script:docs/wireshark/ipmilab.lua -o ipmi.dissect_bus_commands:TRUE
-r run.pcap -V`` (the preference makes Wireshark decode system-interface messages, which it calls bus
commands, field by field).
"""

from __future__ import annotations

import struct
from pathlib import Path

LINKTYPE_IPMI_HPM_2 = 260
PCAP_MAGIC_NS = 0xA1B23C4D          # classic pcap with nanosecond timestamps
SYSTEM_INTERFACE_CHANNEL = 0x0F
PROTOCOL = {"kcs": 0x05, "bt": 0x08, "ssif": 0x04}
TO_IPMC = 0x80
LUA_PLUGIN = Path(__file__).resolve().parent.parent / "docs" / "wireshark" / "ipmilab.lua"

# SSIF SMBus commands (IPMI 2.0 table 12-2 / Linux ipmi_ssif.c)
SSIF_WRITE, SSIF_WRITE_START, SSIF_WRITE_MIDDLE, SSIF_WRITE_END = 0x02, 0x06, 0x07, 0x08
SSIF_READ, SSIF_READ_MIDDLE = 0x03, 0x09


def _hexbytes(value) -> bytes:
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    return bytes(int(b, 16) for b in str(value).strip("[]").split())


class _SsifJoin:
    """Joins one host driver's SMBus blocks into whole messages, as a bus analyser would."""

    def __init__(self):
        self.out: bytearray | None = None
        self.inp: bytearray | None = None

    def block(self, rec) -> tuple[int, bytes] | None:
        """``(direction, message)`` when the block ends one; None otherwise."""
        f = dict(rec.fields)
        cmd, data = int(str(f["cmd"]), 16), _hexbytes(f.get("data", b""))
        if rec.event == "block-write":
            if cmd == SSIF_WRITE:
                return TO_IPMC, data
            if cmd == SSIF_WRITE_START:
                self.out = bytearray(data)
            elif cmd in (SSIF_WRITE_MIDDLE, SSIF_WRITE_END) and self.out is not None:
                self.out += data
                # Without a working 0x08 the driver ends with a short middle block.
                if cmd == SSIF_WRITE_END or len(data) < 32:
                    msg, self.out = bytes(self.out), None
                    return TO_IPMC, msg
            return None
        if cmd == SSIF_READ:
            if data[:2] == b"\x00\x01":
                self.inp = bytearray(data[2:])
                return None
            return 0, data
        if cmd == SSIF_READ_MIDDLE and self.inp is not None and data:
            self.inp += data[1:]
            if data[0] == 0xFF:
                msg, self.inp = bytes(self.inp), None
                return 0, msg
        return None


def messages(records):
    """``(t, protocol, direction, message)`` for every message a host driver moved, in time order."""
    ssif: dict[str, _SsifJoin] = {}
    for r in sorted(records, key=lambda rec: rec.t):
        if r.layer != "drv":
            continue
        f = dict(r.fields)
        if r.component.startswith("kcs_sm") and r.event in ("start", "complete") and "data" in f:
            yield r.t, PROTOCOL["kcs"], TO_IPMC if r.event == "start" else 0, _hexbytes(f["data"])
        elif r.component.startswith("bt_sm") and r.event in ("write", "response") and "frame" in f:
            yield r.t, PROTOCOL["bt"], TO_IPMC if r.event == "write" else 0, _hexbytes(f["frame"])
        elif r.component.startswith("ssif") and r.event in ("block-write", "block-read"):
            got = ssif.setdefault(r.component, _SsifJoin()).block(r)
            if got is not None:
                yield r.t, PROTOCOL["ssif"], got[0], got[1]


def trace_block(t: int, protocol: int, direction: int, message: bytes) -> bytes:
    """One HPM.2 trace data block (packet data) for a message at ``t`` ns."""
    secs, ms = divmod(t // 1_000_000, 1000)
    message = message[:255]           # the block's length is one byte (Linux's own limit is 272)
    header = struct.pack("<BIHBHB", SYSTEM_INTERFACE_CHANNEL, secs, ms, protocol, direction, len(message))
    return header + message


def bmc_messages(rec, protocol: int):
    """The message of one served-BMC record, for a run with no host driver in it (``serve``): each
    request as it came in over the VM link and each answer as it went out.  For BT the frame is
    rebuilt with the link's seq, which is the BT Seq (QEMU's BT device passes it through)."""
    if rec.layer != "bmc" or rec.event not in ("msg-in", "msg-out"):
        return
    f = dict(rec.fields)
    msg = _hexbytes(f["msg"])
    if protocol == PROTOCOL["bt"] and len(msg) >= 2:
        msg = bytes((len(msg) + 1, msg[0], int(f["seq"]))) + msg[1:]
    yield rec.t, protocol, TO_IPMC if rec.event == "msg-in" else 0, msg


class PcapWriter:
    """An open capture: ``add`` appends one message as a packet (flushed, so a capture that is
    being written can be read, and a killed run keeps what it had)."""

    def __init__(self, path):
        try:
            self.out = open(path, "wb")
        except OSError as err:
            raise ValueError(f"--pcap {path}: {err.strerror or err}") from None
        self.out.write(struct.pack("<IHHiIII", PCAP_MAGIC_NS, 2, 4, 0, 0, 65535, LINKTYPE_IPMI_HPM_2))
        self.packets = 0

    def add(self, t: int, protocol: int, direction: int, message: bytes) -> None:
        block = trace_block(t, protocol, direction, message)
        secs, ns = divmod(t, 1_000_000_000)
        self.out.write(struct.pack("<IIII", secs, ns, len(block), len(block)) + block)
        self.out.flush()
        self.packets += 1

    def close(self) -> None:
        self.out.close()


def write_pcap(records, path) -> int:
    """Write the records' messages to ``path``; returns how many packets were written.  A path that
    cannot be written is a ValueError naming it (for the command line's error line)."""
    writer = PcapWriter(path)
    try:
        for msg in messages(records):
            writer.add(*msg)
    finally:
        writer.close()
    return writer.packets


def add_pcap_option(parser) -> None:
    """``--pcap FILE`` for a command that has a trace."""
    parser.add_argument("--pcap", metavar="FILE",
                        help="write the run's IPMI messages as a Wireshark capture (IPMI trace, link type 260)")


def export_pcap(records, path) -> None:
    """The commands' ``--pcap FILE``: write it, and say how to open it on stderr."""
    from rich.console import Console

    n = write_pcap(records, path)
    Console(stderr=True).print(f"capture: {n} IPMI messages in {path} (tshark -X lua_script:{LUA_PLUGIN} "
                               f"-o ipmi.dissect_bus_commands:TRUE -r {path} -V)", style="dim", markup=False,
                               highlight=False)
