"""The IPMI v2.0 / RMCP+ session header and trailer, and the session setup messages (IPMI 2.0 13.6, 13.8, 13.17-13.23).

    auth type 06h | payload type (bit 7 encrypted, bit 6 authenticated, 5:0 type) | session ID (4)
    | session seq (4) | payload length (2) | payload | [integrity pad, pad length, next header 07h, AuthCode]

The trailer is there when the packet is authenticated: the pad (FFh bytes)
makes auth type .. next header a multiple of 4 bytes, and the AuthCode
signs exactly that range (13.28.4).  An encrypted payload is IV +
AES-CBC ciphertext (``cipher``).
"""

from __future__ import annotations

from dataclasses import dataclass

from . import cipher

PAYLOAD_IPMI = 0x00
PAYLOAD_SOL = 0x01
PAYLOAD_OEM = 0x02
PAYLOAD_OPEN_SESSION_REQUEST = 0x10
PAYLOAD_OPEN_SESSION_RESPONSE = 0x11
PAYLOAD_RAKP1 = 0x12
PAYLOAD_RAKP2 = 0x13
PAYLOAD_RAKP3 = 0x14
PAYLOAD_RAKP4 = 0x15
ENCRYPTED = 0x80
AUTHENTICATED = 0x40
NEXT_HEADER = 0x07

# RMCP+ and RAKP message status codes (Table 13-15).
STATUS_OK = 0x00
STATUS_NO_RESOURCES = 0x01
STATUS_INVALID_SESSION_ID = 0x02
STATUS_INVALID_PAYLOAD_TYPE = 0x03
STATUS_INVALID_AUTH_ALGORITHM = 0x04
STATUS_INVALID_INTEGRITY_ALGORITHM = 0x05
STATUS_NO_MATCHING_AUTH_PAYLOAD = 0x06
STATUS_NO_MATCHING_INTEGRITY_PAYLOAD = 0x07
STATUS_INACTIVE_SESSION_ID = 0x08
STATUS_INVALID_ROLE = 0x09
STATUS_UNAUTHORIZED_ROLE = 0x0A
STATUS_NO_RESOURCES_FOR_ROLE = 0x0B
STATUS_INVALID_NAME_LENGTH = 0x0C
STATUS_UNAUTHORIZED_NAME = 0x0D
STATUS_UNAUTHORIZED_GUID = 0x0E
STATUS_INVALID_INTEGRITY_CHECK = 0x0F
STATUS_INVALID_CONF_ALGORITHM = 0x10
STATUS_NO_CIPHER_SUITE_MATCH = 0x11
STATUS_ILLEGAL_PARAMETER = 0x12

# RAKP 1 requested maximum privilege byte: bit 4 = name-only lookup (13.20, ipmitool's default).
NAME_ONLY_LOOKUP = 0x10


@dataclass(frozen=True, slots=True)
class PlusPacket:
    payload_type: int     # bits 5:0
    encrypted: bool
    authenticated: bool
    session_id: int
    seq: int
    payload: bytes        # as on the wire (still encrypted)
    signed: bytes         # auth type .. next header: what the AuthCode covers
    auth_code: bytes


def parse(body: bytes, icv_len: int | None = None) -> PlusPacket | None:
    """Parse what follows the RMCP header.  ``icv_len`` is the session's AuthCode size for an
    authenticated packet (None: the caller does not know the session yet; the trailer is split later)."""
    if len(body) < 12 or body[0] != 0x06:
        return None
    ptype = body[1]
    pos = 2
    if ptype & 0x3F == PAYLOAD_OEM:
        pos += 6                       # OEM IANA (4) + OEM payload ID (2): not supported, but skipped exactly
        if len(body) < pos + 10:
            return None
    sid = int.from_bytes(body[pos:pos + 4], "little")
    seq = int.from_bytes(body[pos + 4:pos + 8], "little")
    n = int.from_bytes(body[pos + 8:pos + 10], "little")
    start = pos + 10
    payload = body[start:start + n]
    if len(payload) != n:
        return None
    signed, code = b"", b""
    if ptype & AUTHENTICATED and icv_len is not None:
        end = len(body) - icv_len
        if end < start + n + 2 or body[end - 1] != NEXT_HEADER:
            return None
        pad = body[end - 2]
        if end - 2 - pad != start + n or any(b != 0xFF for b in body[start + n:end - 2]):
            return None
        signed, code = body[:end], body[end:]
    return PlusPacket(ptype & 0x3F, bool(ptype & ENCRYPTED), bool(ptype & AUTHENTICATED), sid, seq, payload,
                      signed, code)


def encode(payload_type: int, session_id: int, seq: int, payload: bytes, *, encrypted: bool = False,
           integrity: int = cipher.INTEGRITY_NONE, k1: bytes = b"") -> bytes:
    """A packet without the RMCP header; ``payload`` already encrypted when ``encrypted``."""
    authenticated = integrity != cipher.INTEGRITY_NONE
    head = bytes((0x06, payload_type | (ENCRYPTED if encrypted else 0) | (AUTHENTICATED if authenticated else 0)))
    out = head + session_id.to_bytes(4, "little") + seq.to_bytes(4, "little") + len(payload).to_bytes(2, "little")
    out += payload
    if not authenticated:
        return out
    pad = (-(len(out) + 2)) % 4
    out += b"\xFF" * pad + bytes((pad, NEXT_HEADER))
    return out + cipher.integrity_code(integrity, k1, out)


# -- Open Session and RAKP message bodies (13.17-13.23) ----------------------------------------------


@dataclass(frozen=True, slots=True)
class OpenSessionRequest:
    tag: int
    privilege: int
    console_id: int
    auth: int
    integrity: int
    conf: int


def _algorithm(record: bytes, kind: int) -> int | None:
    """One 8-byte algorithm payload: type, reserved (2), length 08h, algorithm (5:0), reserved (3).
    A record of length 0 (the 4-byte "any" form is not used by ipmitool/FreeIPMI) is refused."""
    if len(record) < 8 or record[0] != kind or record[3] != 0x08:
        return None
    return record[4] & 0x3F


def parse_open_session(p: bytes) -> OpenSessionRequest | int:
    """The request, or the RMCP+ status code that refuses it."""
    if len(p) < 32:
        return STATUS_ILLEGAL_PARAMETER
    auth = _algorithm(p[8:16], 0x00)
    if auth is None:
        return STATUS_NO_MATCHING_AUTH_PAYLOAD
    integrity = _algorithm(p[16:24], 0x01)
    if integrity is None:
        return STATUS_NO_MATCHING_INTEGRITY_PAYLOAD
    conf = _algorithm(p[24:32], 0x02)
    if conf is None:
        return STATUS_ILLEGAL_PARAMETER
    return OpenSessionRequest(p[0], p[1] & 0x0F, int.from_bytes(p[4:8], "little"), auth, integrity, conf)


def algorithm_payload(kind: int, algorithm: int) -> bytes:
    return bytes((kind, 0, 0, 0x08, algorithm, 0, 0, 0))


def open_session_response(tag: int, status: int, privilege: int, console_id: int, bmc_id: int = 0,
                          suite: cipher.CipherSuite | None = None) -> bytes:
    out = bytes((tag, status, privilege, 0)) + console_id.to_bytes(4, "little")
    if status != STATUS_OK or suite is None:
        return out
    return (out + bmc_id.to_bytes(4, "little") + algorithm_payload(0, suite.auth)
            + algorithm_payload(1, suite.integrity) + algorithm_payload(2, suite.conf))


@dataclass(frozen=True, slots=True)
class Rakp1:
    tag: int
    bmc_id: int
    console_random: bytes
    role: int            # the whole byte: bit 4 name-only lookup, 3:0 requested maximum privilege
    name: bytes


def parse_rakp1(p: bytes) -> Rakp1 | int:
    if len(p) < 28:
        return STATUS_ILLEGAL_PARAMETER
    n = p[27]
    if n > 16 or len(p) < 28 + n:
        return STATUS_INVALID_NAME_LENGTH
    return Rakp1(p[0], int.from_bytes(p[4:8], "little"), p[8:24], p[24], p[28:28 + n])


def rakp_header(tag: int, status: int, session_id: int) -> bytes:
    """Tag, status, reserved (2), a session ID: how RAKP 2, 3 and 4 (and their errors) begin."""
    return bytes((tag, status, 0, 0)) + session_id.to_bytes(4, "little")
