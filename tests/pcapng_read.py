"""A small pcapng reader for the tests, written from the format's text (draft-ietf-opsawg-pcapng),
not from the writer: every block's two lengths, the padding, the options, and IPv4/UDP packets with
their checksums recomputed here."""

from __future__ import annotations

import ipaddress
import struct
from dataclasses import dataclass, field


@dataclass
class Interface:
    linktype: int
    snaplen: int
    options: dict = field(default_factory=dict)


@dataclass
class Packet:
    interface: int
    t: int            # in the interface's if_tsresol units
    data: bytes
    orig_len: int
    options: dict = field(default_factory=dict)


@dataclass
class Capture:
    shb_version: tuple
    shb_options: dict
    interfaces: list
    packets: list
    block_types: list


def _options(raw: bytes) -> dict:
    """code -> value (the last one wins); stops at opt_endofopt or the end."""
    out, off = {}, 0
    while off + 4 <= len(raw):
        code, length = struct.unpack_from("<HH", raw, off)
        if code == 0:
            assert length == 0
            break
        out[code] = raw[off + 4:off + 4 + length]
        off += 4 + length + (-length % 4)
    return out


def read(raw: bytes) -> Capture:
    assert len(raw) % 4 == 0, "a pcapng file is whole 32-bit words"
    off, interfaces, packets, types = 0, [], [], []
    version = shb_opts = None
    while off < len(raw):
        btype, blen = struct.unpack_from("<II", raw, off)
        assert blen % 4 == 0 and blen >= 12 and off + blen <= len(raw), (hex(btype), blen)
        assert struct.unpack_from("<I", raw, off + blen - 4)[0] == blen, "trailing block length"
        body = raw[off + 8:off + blen - 4]
        types.append(btype)
        if btype == 0x0A0D0D0A:
            magic, major, minor, section_len = struct.unpack_from("<IHHq", body)
            assert magic == 0x1A2B3C4D
            version, shb_opts = (major, minor), _options(body[16:])
            assert section_len == -1 or section_len >= 0
        elif btype == 1:
            linktype, reserved, snaplen = struct.unpack_from("<HHI", body)
            assert reserved == 0
            interfaces.append(Interface(linktype, snaplen, _options(body[8:])))
        elif btype == 6:
            iface, hi, lo, cap, orig = struct.unpack_from("<IIIII", body)
            assert iface < len(interfaces), "an EPB names an interface described before it"
            data = body[20:20 + cap]
            padded = cap + (-cap % 4)
            assert body[20 + cap:20 + padded] == bytes(padded - cap), "packet padding is zeros"
            packets.append(Packet(iface, hi << 32 | lo, data, orig, _options(body[20 + padded:])))
        off += blen
    assert types and types[0] == 0x0A0D0D0A, "a file starts with a Section Header Block"
    return Capture(version, shb_opts, interfaces, packets, types)


def _sum16(data: bytes) -> int:
    if len(data) % 2:
        data += b"\x00"
    total = sum(int.from_bytes(data[i:i + 2], "big") for i in range(0, len(data), 2))
    while total > 0xFFFF:
        total = (total >> 16) + (total & 0xFFFF)
    return total


@dataclass
class Udp:
    src: tuple
    dst: tuple
    payload: bytes
    ttl: int


def parse_udp(pkt: bytes) -> Udp:
    """An IPv4 or IPv6 packet holding one UDP datagram, every length and checksum checked."""
    version = pkt[0] >> 4
    if version == 4:
        ihl = (pkt[0] & 0x0F) * 4
        assert ihl == 20
        total, _ident, frag, ttl, proto = struct.unpack_from("!HHHBB", pkt, 2)
        assert total == len(pkt) and proto == 17 and frag & 0x1FFF == 0 and not frag & 0x2000
        assert _sum16(pkt[:20]) == 0xFFFF, "IPv4 header checksum"
        src, dst = pkt[12:16], pkt[16:20]
        udp = pkt[20:]
        pseudo = src + dst + bytes((0, 17)) + len(udp).to_bytes(2, "big")
    else:
        assert version == 6
        plen, nxt, ttl = struct.unpack_from("!HBB", pkt, 4)
        assert nxt == 17 and plen == len(pkt) - 40
        src, dst = pkt[8:24], pkt[24:40]
        udp = pkt[40:]
        pseudo = src + dst + len(udp).to_bytes(4, "big") + bytes((0, 0, 0, 17))
    sport, dport, ulen, check = struct.unpack_from("!HHHH", udp)
    assert ulen == len(udp)
    assert check != 0 and _sum16(pseudo + udp) == 0xFFFF, "UDP checksum"
    ip = ipaddress.ip_address
    return Udp((str(ip(src)), sport), (str(ip(dst)), dport), udp[8:], ttl)
