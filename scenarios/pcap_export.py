"""A traced run's IPMI traffic as a capture Wireshark reads: ``write_pcap(records, path)``.

The file is pcapng (``scenarios/pcapng.py``): one section, two interfaces, nanosecond timestamps at
the run's simulated instants (``serve``: the served instants, wall ns since it began).

Interface 0, link type ``IPMI_HPM_2`` (260), holds the system-interface messages: each packet is a
PICMG HPM.2 trace data block, the format an IPM controller uses to trace its own channels, which
Wireshark's ``ipmi-trace`` dissector reads.  The 11-byte block header: byte 0 the channel (15, the
system interface) with block type 0 (packet data) in bits 5:4; bytes 1-4 seconds and 5-6
milliseconds (little endian, the same instant as the packet's); byte 7 the channel protocol (KCS
0x05, BT-15 0x08, IPMI-SMBus 0x04 for SSIF, IPMI 2.0 table 6-2); bytes 8-9 protocol data, whose
bit 7 is the direction (1: to the IPM controller, a request); byte 10 the length of the message
that follows.

Interface 1, link type ``LINKTYPE_RAW`` (101), holds the LAN channel's datagrams (its ``udp-in`` /
``udp-out`` records) as IPv4 (IPv6 for an IPv6 peer) + UDP packets between the peer's address and
port and the channel's own: RMCP, ASF, IPMI v1.5 and RMCP+ session packets exactly as they crossed
the socket, which Wireshark's ``rmcp``, ``ipmi_session`` and ``ipmi`` dissectors decode (on a port
other than 623, tell it: ``-d udp.port==PORT,rmcp``).

The system-interface messages are taken where the host's driver moves them, so a capture shows what
crossed the interface, retries and lost answers included (``serve``, whose host is a real QEMU guest,
captures the BMC's side of the VM link instead, ``bmc_messages``):

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

import heapq
import ipaddress
import re
import struct
from pathlib import Path

from bmc.vm.server import DEFAULT_NAME as VM_LINK  # the VM server's component

from . import pcapng
from .pcapng import EPB_INBOUND, EPB_OUTBOUND, LINKTYPE_IPMI_HPM_2, LINKTYPE_RAW

IF_SYSTEM_INTERFACE, IF_LAN = 0, 1      # the file's interfaces, in the order their IDBs are written
LAN_CHANNEL = re.compile(r".+\.lan\d+")  # a LAN channel's component, "bmc.lan1" (bmc.lan.channel)
RMCP_PORT = 623
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


def bmc_messages(rec, protocol: int, component: str = VM_LINK):
    """The message of one served-BMC record, for a run with no host driver in it (``serve``): each
    request as it came in over the VM link and each answer as it went out (the VM server's records,
    ``component``; a LAN channel's own msg-in/msg-out are not VM-link messages).  For BT the frame
    is rebuilt with the link's seq, which is the BT Seq (QEMU's BT device passes it through)."""
    if rec.layer != "bmc" or rec.component != component or rec.event not in ("msg-in", "msg-out"):
        return
    f = dict(rec.fields)
    msg = _hexbytes(f["msg"])
    if protocol == PROTOCOL["bt"] and len(msg) >= 2:
        msg = bytes((len(msg) + 1, msg[0], int(f["seq"]))) + msg[1:]
    yield rec.t, protocol, TO_IPMC if rec.event == "msg-in" else 0, msg


def parse_addr(text: str):
    """``host:port`` / ``[v6host]:port`` as a LAN record names it -> (ip_address, port); None if not one."""
    host, _, port = str(text).rpartition(":")
    try:
        return ipaddress.ip_address(host.removeprefix("[").removesuffix("]").split("%", 1)[0]), int(port)
    except ValueError:
        return None


def lan_datagram(rec):
    """``(t, src, dst, payload, direction)`` of one LAN channel ``udp-in``/``udp-out`` record (src and
    dst ``(ip_address, port)``, direction an epb_flags value from the BMC's side); None for any other
    record, or one whose addresses are not IP addresses of one family."""
    if rec.layer != "bmc" or rec.event not in ("udp-in", "udp-out") or not LAN_CHANNEL.fullmatch(rec.component):
        return None
    f = dict(rec.fields)
    peer, local = parse_addr(f.get("peer", "")), parse_addr(f.get("local", ""))
    if peer is None or local is None or peer[0].version != local[0].version:
        return None
    if rec.event == "udp-in":
        return rec.t, peer, local, _hexbytes(f["data"]), EPB_INBOUND
    return rec.t, local, peer, _hexbytes(f["data"]), EPB_OUTBOUND


def lan_datagrams(records):
    """Every LAN datagram of the records, in time order."""
    for r in sorted(records, key=lambda rec: rec.t):
        got = lan_datagram(r)
        if got is not None:
            yield got


class PcapWriter:
    """An open capture (pcapng, both interfaces declared up front): ``add`` appends one system-interface
    message, ``add_datagram`` one LAN datagram (each flushed, so a capture that is being written can be
    read, and a killed run keeps what it had)."""

    def __init__(self, path):
        try:
            self.out = open(path, "wb")
        except OSError as err:
            raise ValueError(f"--pcap {path}: {err.strerror or err}") from None
        self.out.write(pcapng.section_header()
                       + pcapng.interface_description(LINKTYPE_IPMI_HPM_2, "system-interface",
                                                      "IPMI messages of the system interface (HPM.2 trace)",
                                                      snaplen=65535)
                       + pcapng.interface_description(LINKTYPE_RAW, "lan", "the LAN channel's UDP datagrams "
                                                      "(RMCP, IPMI v1.5 and RMCP+ sessions)"))
        self.out.flush()
        self.packets = 0         # system-interface messages
        self.datagrams = 0       # LAN datagrams
        self.ports: set[int] = set()   # the LAN channels' own UDP ports

    def add(self, t: int, protocol: int, direction: int, message: bytes) -> None:
        self._write(pcapng.enhanced_packet(IF_SYSTEM_INTERFACE, t, trace_block(t, protocol, direction, message)))
        self.packets += 1

    def add_datagram(self, t: int, src, dst, payload: bytes, direction: int | None = None) -> None:
        """A UDP datagram from ``src`` to ``dst`` (``(address, port)`` each); ``direction`` an epb_flags
        value (``EPB_INBOUND``: to the BMC)."""
        self._write(pcapng.enhanced_packet(IF_LAN, t, pcapng.udp_packet(src, dst, payload), direction))
        self.datagrams += 1
        self.ports.add(int((dst if direction == EPB_INBOUND else src)[1]))

    def add_record(self, rec, protocol: int) -> None:
        """Whatever packet a served BMC's trace record is (``serve --pcap``): a VM-link message as
        ``protocol``'s, a LAN datagram as UDP; nothing for other records."""
        for msg in bmc_messages(rec, protocol):
            self.add(*msg)
        got = lan_datagram(rec)
        if got is not None:
            self.add_datagram(*got)

    def _write(self, block: bytes) -> None:
        self.out.write(block)
        self.out.flush()

    def close(self) -> None:
        self.out.close()


def packets(records):
    """``("si", t, protocol, direction, message)`` and ``("lan", t, src, dst, payload, direction)``, in
    time order (a system-interface message first at the same instant)."""
    si = (("si", *m) for m in messages(records))
    lan = (("lan", *d) for d in lan_datagrams(records))
    return heapq.merge(si, lan, key=lambda p: p[1])


def write_pcap(records, path) -> int:
    """Write the records' packets to ``path``; returns how many were written (messages and datagrams).
    A path that cannot be written is a ValueError naming it (for the command line's error line)."""
    w = write_capture(records, path)
    return w.packets + w.datagrams


def write_capture(records, path) -> PcapWriter:
    """``write_pcap``, returning the closed writer (``packets``: system-interface messages,
    ``datagrams``: LAN datagrams, ``ports``: the LAN channels' UDP ports)."""
    records = list(records)
    writer = PcapWriter(path)
    try:
        for kind, *fields in packets(records):
            (writer.add if kind == "si" else writer.add_datagram)(*fields)
    finally:
        writer.close()
    return writer


def tshark_command(path, ports=()) -> str:
    """How to read the capture: the Lua plugin for BT/SSIF, and ``-d`` for LAN ports that are not 623."""
    decode = "".join(f" -d udp.port=={p},rmcp" for p in sorted(ports) if p != RMCP_PORT)
    return f"tshark -X lua_script:{LUA_PLUGIN} -o ipmi.dissect_bus_commands:TRUE{decode} -r {path} -V"


def add_pcap_option(parser) -> None:
    """``--pcap FILE`` for a command that has a trace."""
    parser.add_argument("--pcap", metavar="FILE",
                        help="write the run's IPMI messages (and LAN datagrams as IPv4/UDP) as a Wireshark "
                             "capture (pcapng)")


def export_pcap(records, path) -> None:
    """The commands' ``--pcap FILE``: write it, and say how to open it on stderr."""
    from rich.console import Console

    w = write_capture(records, path)
    lan = f" and {w.datagrams} LAN datagrams" if w.datagrams else ""
    Console(stderr=True).print(f"capture: {w.packets} IPMI messages{lan} in {path} ({tshark_command(path, w.ports)})",
                               style="dim", markup=False, highlight=False)
