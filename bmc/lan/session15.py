"""The IPMI v1.5 session header and its authentication codes (IPMI 2.0 sections 13.6, 22.17.1, Table 13-8).

    auth type | session seq (4, LS first) | session ID (4) | [auth code (16)] | msg length | IPMI message

The auth code is present unless the auth type is none.  Straight password
puts the 16-byte password in it; MD5 signs the packet (section 22.17.1):

    AuthCode = MD5(password | session ID | IPMI message | session seq | password)

MD2 and OEM are not supported (``bmc.lan_config``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

# Authentication type numbers (Table 13-8 / 22-15 bit positions); 06h is the RMCP+ format.
AUTHTYPE_NONE = 0x00
AUTHTYPE_MD2 = 0x01
AUTHTYPE_MD5 = 0x02
AUTHTYPE_PASSWORD = 0x04
AUTHTYPE_OEM = 0x05
AUTHTYPE_RMCPP = 0x06

PASSWORD_15_LEN = 16


def auth_bit(auth_type: int) -> int:
    """The auth type's bit in the LAN parameters' masks (``lan_config.auth_enables``)."""
    return 1 << auth_type


@dataclass(frozen=True, slots=True)
class Session15Packet:
    auth_type: int
    seq: int
    session_id: int
    auth_code: bytes
    message: bytes


def parse(body: bytes) -> Session15Packet | None:
    """Parse what follows the RMCP header; None when it is too short for its own length fields."""
    if len(body) < 10 or body[0] & 0xF0:      # auth type byte bits 7:4 are reserved
        return None
    auth_type = body[0]
    seq = int.from_bytes(body[1:5], "little")
    sid = int.from_bytes(body[5:9], "little")
    pos = 9
    code = b""
    if auth_type != AUTHTYPE_NONE:
        code = body[pos:pos + 16]
        pos += 16
    if len(body) < pos + 1:
        return None
    n = body[pos]
    msg = body[pos + 1:pos + 1 + n]
    if len(msg) != n:
        return None
    return Session15Packet(auth_type, seq, sid, code, msg)


def password16(password: bytes) -> bytes:
    return password[:PASSWORD_15_LEN].ljust(PASSWORD_15_LEN, b"\x00")


def auth_code(auth_type: int, password: bytes, session_id: int, seq: int, message: bytes) -> bytes:
    """The 16-byte auth code of a packet (none: empty)."""
    pw = password16(password)
    if auth_type == AUTHTYPE_PASSWORD:
        return pw
    if auth_type == AUTHTYPE_MD5:
        return hashlib.md5(pw + session_id.to_bytes(4, "little") + message + seq.to_bytes(4, "little")
                           + pw).digest()
    if auth_type == AUTHTYPE_NONE:
        return b""
    raise ValueError(f"auth type {auth_type} not supported")


def encode(auth_type: int, seq: int, session_id: int, message: bytes, password: bytes = b"") -> bytes:
    """A session header + message (without the RMCP header), signed for ``auth_type``."""
    code = auth_code(auth_type, password, session_id, seq, message)
    return (bytes((auth_type,)) + seq.to_bytes(4, "little") + session_id.to_bytes(4, "little") + code
            + bytes((len(message),)) + message)
