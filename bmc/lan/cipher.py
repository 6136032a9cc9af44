"""RMCP+ algorithms and cipher suites (IPMI 2.0 sections 13.28-13.29, Table 22-19/22-20).

Authentication (RAKP) algorithms key the RAKP exchange and derive the
session keys (13.31, 13.32):

    SIK = HMAC_Kg(Rm | Rc | RoleM | ULengthM | UNameM)
    K1  = HMAC_SIK(Const1),  K2 = HMAC_SIK(Const2)   (Const1 = 20 bytes of 01h, Const2 = 20 of 02h, whatever the hash)

Integrity algorithms sign a packet with K1 (HMAC-SHA1-96: 12 bytes,
HMAC-SHA256-128: 16 bytes); AES-CBC-128 encrypts the payload with the
first 16 bytes of K2 (13.29).  HMACs are ``hmac``/``hashlib``, AES is
``cryptography``'s.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

# Authentication algorithm numbers (Table 13-17).
AUTH_RAKP_NONE = 0x00
AUTH_RAKP_HMAC_SHA1 = 0x01
AUTH_RAKP_HMAC_SHA256 = 0x03
# Integrity algorithm numbers (Table 13-18).
INTEGRITY_NONE = 0x00
INTEGRITY_HMAC_SHA1_96 = 0x01
INTEGRITY_HMAC_SHA256_128 = 0x04
# Confidentiality algorithm numbers (Table 13-19).
CONF_NONE = 0x00
CONF_AES_CBC_128 = 0x01

_HASH = {AUTH_RAKP_HMAC_SHA1: hashlib.sha1, AUTH_RAKP_HMAC_SHA256: hashlib.sha256}
# RAKP 4's integrity check value is the authentication HMAC cut to this size (13.31 "RAKP Message 4").
_RAKP4_ICV_LEN = {AUTH_RAKP_NONE: 0, AUTH_RAKP_HMAC_SHA1: 12, AUTH_RAKP_HMAC_SHA256: 16}
_INTEGRITY = {INTEGRITY_NONE: (None, 0), INTEGRITY_HMAC_SHA1_96: (hashlib.sha1, 12),
              INTEGRITY_HMAC_SHA256_128: (hashlib.sha256, 16)}

AES_BLOCK = 16
CONST_1 = b"\x01" * 20   # 13.32: the constants are 20 bytes for every authentication algorithm
CONST_2 = b"\x02" * 20


@dataclass(frozen=True, slots=True)
class CipherSuite:
    """One row of Table 22-20: the algorithms a suite id names."""

    id: int
    auth: int
    integrity: int
    conf: int


SUITES = {s.id: s for s in (
    CipherSuite(0, AUTH_RAKP_NONE, INTEGRITY_NONE, CONF_NONE),
    CipherSuite(1, AUTH_RAKP_HMAC_SHA1, INTEGRITY_NONE, CONF_NONE),
    CipherSuite(2, AUTH_RAKP_HMAC_SHA1, INTEGRITY_HMAC_SHA1_96, CONF_NONE),
    CipherSuite(3, AUTH_RAKP_HMAC_SHA1, INTEGRITY_HMAC_SHA1_96, CONF_AES_CBC_128),
    CipherSuite(15, AUTH_RAKP_HMAC_SHA256, INTEGRITY_NONE, CONF_NONE),
    CipherSuite(16, AUTH_RAKP_HMAC_SHA256, INTEGRITY_HMAC_SHA256_128, CONF_NONE),
    CipherSuite(17, AUTH_RAKP_HMAC_SHA256, INTEGRITY_HMAC_SHA256_128, CONF_AES_CBC_128),
)}


def find_suite(offered: tuple[int, ...], auth: int, integrity: int, conf: int) -> CipherSuite | None:
    """The first suite this BMC offers whose algorithms are exactly the proposed ones."""
    for sid in offered:
        s = SUITES.get(sid)
        if s is not None and (s.auth, s.integrity, s.conf) == (auth, integrity, conf):
            return s
    return None


def auth_hmac(auth: int, key: bytes, data: bytes) -> bytes:
    """The RAKP key exchange authentication code (empty for RAKP-none)."""
    if auth == AUTH_RAKP_NONE:
        return b""
    return hmac.new(key, data, _HASH[auth]).digest()


def rakp4_icv(auth: int, sik: bytes, data: bytes) -> bytes:
    return auth_hmac(auth, sik, data)[:_RAKP4_ICV_LEN[auth]]


def session_keys(auth: int, kg: bytes, rm: bytes, rc: bytes, role: int, name: bytes) -> tuple[bytes, bytes, bytes]:
    """(SIK, K1, K2) for the session (13.31, 13.32)."""
    if auth == AUTH_RAKP_NONE:
        return b"", b"", b""
    sik = auth_hmac(auth, kg, rm + rc + bytes((role, len(name))) + name)
    return sik, auth_hmac(auth, sik, CONST_1), auth_hmac(auth, sik, CONST_2)


def integrity_len(integrity: int) -> int:
    return _INTEGRITY[integrity][1]


def integrity_code(integrity: int, k1: bytes, data: bytes) -> bytes:
    digest, size = _INTEGRITY[integrity]
    if digest is None:
        return b""
    return hmac.new(k1, data, digest).digest()[:size]


def aes_encrypt(k2: bytes, iv: bytes, payload: bytes) -> bytes:
    """IV + AES-CBC-128(payload | pad 01 02 .. n | n), padded to whole blocks (13.29, Figure 13-?)."""
    n = (-(len(payload) + 1)) % AES_BLOCK
    plain = payload + bytes(range(1, n + 1)) + bytes((n,))
    enc = Cipher(algorithms.AES(k2[:16]), modes.CBC(iv)).encryptor()
    return iv + enc.update(plain) + enc.finalize()


def aes_decrypt(k2: bytes, data: bytes) -> bytes | None:
    """The payload of IV + ciphertext, or None when the length or the confidentiality pad is wrong."""
    if len(data) < 2 * AES_BLOCK or len(data) % AES_BLOCK:
        return None
    dec = Cipher(algorithms.AES(k2[:16]), modes.CBC(data[:AES_BLOCK])).decryptor()
    plain = dec.update(data[AES_BLOCK:]) + dec.finalize()
    n = plain[-1]
    if n >= AES_BLOCK or plain[-1 - n:-1] != bytes(range(1, n + 1)):
        return None
    return plain[:-1 - n]
