"""RMCP (IPMI 2.0 section 13.1-13.2, ASF 2.0 section 3.2): the 4-byte header, ACKs, and ASF Presence Ping/Pong.

    version (06h) | reserved (00h) | sequence number | class (bit 7 ACK, bits 3:0 class)

IPMI messages use sequence number FFh ("no RMCP ACK"); an ASF message with
another sequence number is acknowledged with an RMCP ACK (the header echoed
with the ACK bit set), section 13.2.1.
"""

from __future__ import annotations

from dataclasses import dataclass

RMCP_VERSION = 0x06
RMCP_NO_ACK_SEQ = 0xFF
CLASS_ASF = 0x06
CLASS_IPMI = 0x07
CLASS_ACK_BIT = 0x80

ASF_IANA = 4542                  # the ASF message's IANA enterprise number (00 00 11 BE)
ASF_PRESENCE_PING = 0x80
ASF_PRESENCE_PONG = 0x40
# Pong data: supported entities bit 7 = IPMI supported, bits 3:0 = ASF version 1.0 (0001b);
# supported interactions 00h (no ASF security extensions, no DASH).
PONG_SUPPORTED_ENTITIES = 0x81
PONG_SUPPORTED_INTERACTIONS = 0x00


@dataclass(frozen=True, slots=True)
class RmcpHeader:
    seq: int
    msg_class: int     # bits 3:0 of the class byte
    ack: bool


def parse_header(data: bytes) -> RmcpHeader | None:
    """The RMCP header of a datagram, or None when it is not RMCP version 1.0 (06h)."""
    if len(data) < 4 or data[0] != RMCP_VERSION:
        return None
    return RmcpHeader(data[2], data[3] & 0x0F, bool(data[3] & CLASS_ACK_BIT))


def header(msg_class: int, seq: int = RMCP_NO_ACK_SEQ, ack: bool = False) -> bytes:
    return bytes((RMCP_VERSION, 0x00, seq, (CLASS_ACK_BIT if ack else 0) | msg_class))


def ack_for(h: RmcpHeader) -> bytes:
    """The RMCP ACK of a message that asked for one (13.2.1): same sequence number and class, ACK bit set."""
    return header(h.msg_class, h.seq, ack=True)


def _asf(msg_type: int, tag: int, data: bytes) -> bytes:
    return ASF_IANA.to_bytes(4, "big") + bytes((msg_type, tag, 0x00, len(data))) + data


def presence_pong(tag: int) -> bytes:
    """The ASF Presence Pong body (ASF 2.0 Table 3-? "Presence Pong"), answering ping ``tag``."""
    data = (ASF_IANA.to_bytes(4, "big") + bytes(4)
            + bytes((PONG_SUPPORTED_ENTITIES, PONG_SUPPORTED_INTERACTIONS)) + bytes(6))
    return _asf(ASF_PRESENCE_PONG, tag, data)


def presence_ping(tag: int) -> bytes:
    return _asf(ASF_PRESENCE_PING, tag, b"")


def handle_asf(h: RmcpHeader, body: bytes) -> list[bytes]:
    """Answer an ASF-class datagram: RMCP ACK when asked for, and a Pong for a Presence Ping."""
    if len(body) < 8 or int.from_bytes(body[0:4], "big") != ASF_IANA:
        return []
    out = []
    if h.seq != RMCP_NO_ACK_SEQ:
        out.append(ack_for(h))
    if body[4] == ASF_PRESENCE_PING:
        out.append(header(CLASS_ASF, h.seq) + presence_pong(body[5]))
    return out
