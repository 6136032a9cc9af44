"""pcapng blocks and IP/UDP packets, written with ``struct``: what ``--pcap`` files are made of.

pcapng (IETF draft-ietf-opsawg-pcapng; Wireshark's native format) holds packets of more than one
link type in one file, each Enhanced Packet Block naming the Interface Description Block it was
captured on.  A ``--pcap`` file has one section (little endian) and two interfaces:

- interface 0, link type 260 ``IPMI_HPM_2``: the system-interface messages (PICMG HPM.2 trace
  data blocks, ``pcap_export.trace_block``);
- interface 1, link type 101 ``LINKTYPE_RAW``: the LAN channel's datagrams as IPv4 (or IPv6) +
  UDP packets, whose payload is the RMCP packet.

Both have ``if_tsresol`` = 9, so a packet's timestamp is the simulated (or served) instant in ns.
"""

from __future__ import annotations

import ipaddress
import struct

LINKTYPE_RAW = 101                 # raw IPv4/IPv6, the version nibble says which
LINKTYPE_IPMI_HPM_2 = 260

BLOCK_SHB, BLOCK_IDB, BLOCK_EPB = 0x0A0D0D0A, 0x00000001, 0x00000006
BYTE_ORDER_MAGIC = 0x1A2B3C4D
OPT_ENDOFOPT, OPT_SHB_USERAPPL = 0, 4
OPT_IF_NAME, OPT_IF_DESCRIPTION, OPT_IF_TSRESOL = 2, 3, 9
OPT_EPB_FLAGS = 2
EPB_INBOUND, EPB_OUTBOUND = 0x1, 0x2      # epb_flags bits 1:0, the packet's direction
TSRESOL_NS = 9                            # if_tsresol: 10^-9 s

IPPROTO_UDP = 17
IPV4_DF = 0x4000                    # Don't Fragment (RFC 791); with it the Identification may stay 0 (RFC 6864)
TTL = 64


def _pad4(data: bytes) -> bytes:
    return data + bytes(-len(data) % 4)


def _options(options) -> bytes:
    """Options as (code, value bytes) pairs, each padded to 32 bits, then opt_endofopt."""
    out = b"".join(struct.pack("<HH", code, len(value)) + _pad4(value) for code, value in options)
    return out + struct.pack("<HH", OPT_ENDOFOPT, 0)


def _block(block_type: int, body: bytes) -> bytes:
    """A block: type, total length, body (a multiple of 4 bytes), total length again."""
    length = 12 + len(body)
    return struct.pack("<II", block_type, length) + body + struct.pack("<I", length)


def section_header(userappl: str = "ipmilab") -> bytes:
    """Section Header Block: version 1.0, section length -1 (not given: the file is written as it goes)."""
    body = struct.pack("<IHHq", BYTE_ORDER_MAGIC, 1, 0, -1)
    return _block(BLOCK_SHB, body + _options([(OPT_SHB_USERAPPL, userappl.encode())]))


def interface_description(linktype: int, name: str, description: str, snaplen: int = 0) -> bytes:
    """Interface Description Block with ns timestamps (snaplen 0: packets are never cut)."""
    options = [(OPT_IF_NAME, name.encode()), (OPT_IF_DESCRIPTION, description.encode()),
               (OPT_IF_TSRESOL, bytes((TSRESOL_NS,)))]
    return _block(BLOCK_IDB, struct.pack("<HHI", linktype, 0, snaplen) + _options(options))


def enhanced_packet(interface: int, t: int, packet: bytes, flags: int | None = None) -> bytes:
    """Enhanced Packet Block: ``packet`` captured whole on ``interface`` at ``t`` ns (if_tsresol 9)."""
    options = [] if flags is None else [(OPT_EPB_FLAGS, struct.pack("<I", flags))]
    head = struct.pack("<IIIII", interface, (t >> 32) & 0xFFFFFFFF, t & 0xFFFFFFFF, len(packet), len(packet))
    return _block(BLOCK_EPB, head + _pad4(packet) + (_options(options) if options else b""))


def internet_checksum(data: bytes) -> int:
    """The ones' complement of the ones' complement sum of 16-bit words (RFC 1071)."""
    data = _pad2(data)
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def _pad2(data: bytes) -> bytes:
    return data + b"\x00" if len(data) % 2 else data


def udp_packet(src, dst, payload: bytes) -> bytes:
    """An IPv4 (RFC 791) or IPv6 (RFC 8200) packet carrying one UDP datagram (RFC 768) from ``src`` to
    ``dst``, each ``(address, port)`` with the address as text or an ``ipaddress`` object.  The UDP
    checksum is computed over the pseudo-header (a result of 0 is sent as 0xFFFF, RFC 768)."""
    s_ip, d_ip = ipaddress.ip_address(src[0]), ipaddress.ip_address(dst[0])
    if s_ip.version != d_ip.version:
        raise ValueError(f"addresses {s_ip} and {d_ip}: one IPv4, one IPv6")
    udp_len = 8 + len(payload)
    if udp_len > 0xFFFF:
        raise ValueError(f"UDP datagram of {udp_len} bytes: more than 65535")
    s_raw, d_raw = s_ip.packed, d_ip.packed
    if s_ip.version == 4:
        pseudo = s_raw + d_raw + struct.pack("!BBH", 0, IPPROTO_UDP, udp_len)
    else:
        pseudo = s_raw + d_raw + struct.pack("!I3xB", udp_len, IPPROTO_UDP)
    udp = struct.pack("!HHHH", int(src[1]), int(dst[1]), udp_len, 0) + payload
    check = internet_checksum(pseudo + udp) or 0xFFFF
    udp = udp[:6] + struct.pack("!H", check) + udp[8:]
    if s_ip.version == 6:
        return struct.pack("!IHBB", 6 << 28, udp_len, IPPROTO_UDP, TTL) + s_raw + d_raw + udp
    if 20 + udp_len > 0xFFFF:
        raise ValueError(f"IPv4 packet of {20 + udp_len} bytes: more than 65535")
    header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + udp_len, 0, IPV4_DF, TTL, IPPROTO_UDP, 0, s_raw, d_raw)
    header = header[:10] + struct.pack("!H", internet_checksum(header)) + header[12:]
    return header + udp
