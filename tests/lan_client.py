"""A remote console written from the spec for the LAN tests: it builds its packets with hashlib/hmac/cryptography
itself (nothing from ``bmc.lan``), so the tests compare the BMC against an independent implementation.

It talks to ``LanChannel.datagram`` directly (no socket) at a time the test chooses.
"""

from __future__ import annotations

import hashlib
import hmac
import os

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

PEER = ("192.0.2.7", 50623)
RMCP_IPMI = bytes((0x06, 0x00, 0xFF, 0x07))
# Suite -> (auth alg, integrity alg, confidentiality alg, hash, integrity size), Table 22-20.
SUITES = {0: (0, 0, 0, None, 0), 1: (1, 0, 0, hashlib.sha1, 0), 2: (1, 1, 0, hashlib.sha1, 12),
          3: (1, 1, 1, hashlib.sha1, 12), 15: (3, 0, 0, hashlib.sha256, 0), 16: (3, 4, 0, hashlib.sha256, 16),
          17: (3, 4, 1, hashlib.sha256, 16)}


def cks(data: bytes) -> int:
    return -sum(data) & 0xFF


def lan_request(netfn: int, cmd: int, data: bytes = b"", seq: int = 1) -> bytes:
    head = bytes((0x20, netfn << 2))
    tail = bytes((0x81, seq << 2, cmd)) + data
    return head + bytes((cks(head),)) + tail + bytes((cks(tail),))


def lan_response(msg: bytes) -> bytes:
    """cc + data of a LAN response, after checking both checksums and the addressing."""
    assert sum(msg[0:3]) & 0xFF == 0 and sum(msg[3:]) & 0xFF == 0, msg.hex()
    assert msg[0] == 0x81 and msg[3] == 0x20
    return msg[6:-1]


class Console:
    def __init__(self, channel, t: int = 0, peer=PEER):
        self.ch = channel
        self.t = t
        self.peer = peer
        self.rq_seq = 0

    def send(self, packet: bytes) -> list[bytes]:
        return self.ch.datagram(packet, self.peer, self.t)

    def _rq(self) -> int:
        self.rq_seq = (self.rq_seq + 1) & 0x3F
        return self.rq_seq


class Console15(Console):
    """IPMI v1.5 sessions: none, straight password, MD5."""

    def __init__(self, channel, name: bytes = b"ipmiusr", password: bytes = b"test", auth_type: int = 2, **kw):
        super().__init__(channel, **kw)
        self.name = name.ljust(16, b"\x00")
        self.password = password.ljust(16, b"\x00")
        self.auth_type = auth_type
        self.sid = 0
        self.seq = 0

    def code(self, auth_type, sid, seq, msg) -> bytes:
        if auth_type == 0:
            return b""
        if auth_type == 4:
            return self.password
        return hashlib.md5(self.password + sid.to_bytes(4, "little") + msg + seq.to_bytes(4, "little")
                           + self.password).digest()

    def packet(self, msg: bytes, auth_type=None, sid=None, seq=None) -> bytes:
        at = self.auth_type if auth_type is None else auth_type
        sid = self.sid if sid is None else sid
        seq = self.seq if seq is None else seq
        return (RMCP_IPMI + bytes((at,)) + seq.to_bytes(4, "little") + sid.to_bytes(4, "little")
                + self.code(at, sid, seq, msg) + bytes((len(msg),)) + msg)

    def parse(self, out: list[bytes]):
        """(auth type, seq, sid, cc+data) of the one answer; None when dropped."""
        if not out:
            return None
        (p,) = out
        assert p[:4] == RMCP_IPMI
        at = p[4]
        seq = int.from_bytes(p[5:9], "little")
        sid = int.from_bytes(p[9:13], "little")
        pos = 13
        if at:
            code = p[pos:pos + 16]
            pos += 16
        n = p[pos]
        msg = p[pos + 1:pos + 1 + n]
        if at:
            assert code == self.code(at, sid, seq, msg), "the BMC's auth code does not check"
        return at, seq, sid, lan_response(msg)

    def sessionless(self, netfn, cmd, data=b""):
        return self.parse(self.send(self.packet(lan_request(netfn, cmd, data, self._rq()), 0, 0, 0)))

    def challenge(self):
        r = self.sessionless(6, 0x39, bytes((self.auth_type,)) + self.name)
        return r[3]

    def activate(self, max_priv: int = 4, outbound: int = 0x1000):
        rsp = self.challenge()
        assert rsp[0] == 0, rsp.hex()
        temp, chal = int.from_bytes(rsp[1:5], "little"), rsp[5:21]
        data = bytes((self.auth_type, max_priv)) + chal + outbound.to_bytes(4, "little")
        r = self.parse(self.send(self.packet(lan_request(6, 0x3A, data, self._rq()), sid=temp, seq=0)))
        if r is None or r[3][0] != 0:
            return r
        body = r[3]
        self.sid = int.from_bytes(body[2:6], "little")
        self.seq = int.from_bytes(body[6:10], "little")
        return r

    def request(self, netfn, cmd, data=b"", seq=None):
        """cc+data in the session, or None when the BMC dropped it.  The sequence number goes up by one."""
        if seq is None:
            self.seq = (self.seq + 1) & 0xFFFFFFFF
            seq = self.seq
        r = self.parse(self.send(self.packet(lan_request(netfn, cmd, data, self._rq()), seq=seq)))
        return None if r is None else r[3]


class Console20(Console):
    """RMCP+ sessions for every suite of Table 22-20 this BMC offers."""

    def __init__(self, channel, name: bytes = b"ipmiusr", password: bytes = b"test", suite: int = 3, **kw):
        super().__init__(channel, **kw)
        self.name = name
        self.kuid = password
        self.suite = suite
        self.auth, self.integ, self.conf, self.hash, self.icv = SUITES[suite]
        self.console_id = 0xA0A1A2A3
        self.rm = bytes(range(0x10, 0x20))
        self.bmc_id = 0
        self.seq = 0
        self.k1 = self.k2 = self.sik = b""
        self.iv_source = os.urandom          # a test that needs the same bytes each run gives its own

    def hm(self, key, data):
        return hmac.new(key, data, self.hash).digest()

    def plus(self, ptype: int, payload: bytes, sid=0, seq=0, secure=False) -> bytes:
        if secure and self.conf:
            iv = self.iv_source(16)
            n = (-(len(payload) + 1)) % 16
            plain = payload + bytes(range(1, n + 1)) + bytes((n,))
            enc = Cipher(algorithms.AES(self.k2[:16]), modes.CBC(iv)).encryptor()
            payload = iv + enc.update(plain) + enc.finalize()
            ptype |= 0x80
        if secure and self.integ:
            ptype |= 0x40
        out = bytes((0x06, ptype)) + sid.to_bytes(4, "little") + seq.to_bytes(4, "little") + \
            len(payload).to_bytes(2, "little") + payload
        if secure and self.integ:
            pad = (-(len(out) + 2)) % 4
            out += b"\xFF" * pad + bytes((pad, 0x07))
            out += hmac.new(self.k1, out, self.hash).digest()[:self.icv]
        return RMCP_IPMI + out

    def unplus(self, out: list[bytes], secure=False):
        """(payload type, session id, seq, payload) of the one answer, checked and decrypted; None if dropped."""
        if not out:
            return None
        (p,) = out
        assert p[:4] == RMCP_IPMI and p[4] == 0x06
        ptype, sid, seq = p[5], int.from_bytes(p[6:10], "little"), int.from_bytes(p[10:14], "little")
        n = int.from_bytes(p[14:16], "little")
        payload = p[16:16 + n]
        if secure and self.integ:
            assert ptype & 0x40
            body = p[4:]
            signed, code = body[:-self.icv], body[-self.icv:]
            assert signed[-1] == 0x07 and len(signed) % 4 == 0
            assert code == hmac.new(self.k1, signed, self.hash).digest()[:self.icv], "BMC integrity code"
        if secure and self.conf:
            assert ptype & 0x80
            dec = Cipher(algorithms.AES(self.k2[:16]), modes.CBC(payload[:16])).decryptor()
            plain = dec.update(payload[16:]) + dec.finalize()
            k = plain[-1]
            assert plain[-1 - k:-1] == bytes(range(1, k + 1))
            payload = plain[:-1 - k]
        return ptype & 0x3F, sid, seq, payload

    def open_session(self, privilege: int = 0):
        req = bytes((0x01, privilege, 0, 0)) + self.console_id.to_bytes(4, "little") + \
            bytes((0, 0, 0, 8, self.auth, 0, 0, 0)) + bytes((1, 0, 0, 8, self.integ, 0, 0, 0)) + \
            bytes((2, 0, 0, 8, self.conf, 0, 0, 0))
        r = self.unplus(self.send(self.plus(0x10, req)))
        assert r[0] == 0x11
        p = r[3]
        if p[1] == 0:
            self.bmc_id = int.from_bytes(p[8:12], "little")
        return p

    def rakp1(self, role: int = 0x14):
        self.role = role
        req = (bytes((0x02, 0, 0, 0)) + self.bmc_id.to_bytes(4, "little") + self.rm
               + bytes((role, 0, 0, len(self.name))) + self.name)
        r = self.unplus(self.send(self.plus(0x12, req)))
        assert r[0] == 0x13
        self.rc, self.guid = r[3][8:24], r[3][24:40]
        return r[3]

    def rakp2_valid(self, p: bytes) -> bool:
        if not self.hash:
            return len(p) == 40
        want = self.hm(self.kuid, self.console_id.to_bytes(4, "little") + self.bmc_id.to_bytes(4, "little")
                       + self.rm + self.rc + self.guid + bytes((self.role, len(self.name))) + self.name)
        return p[40:] == want

    def rakp3(self, password: bytes | None = None):
        key = self.kuid if password is None else password
        code = b"" if not self.hash else self.hm(key, self.rc + self.console_id.to_bytes(4, "little")
                                                 + bytes((self.role, len(self.name))) + self.name)
        req = bytes((0x03, 0, 0, 0)) + self.bmc_id.to_bytes(4, "little") + code
        r = self.unplus(self.send(self.plus(0x14, req)))
        assert r[0] == 0x15
        p = r[3]
        if p[1] == 0 and self.hash:
            self.sik = self.hm(self.kuid, self.rm + self.rc + bytes((self.role, len(self.name))) + self.name)
            self.k1 = self.hm(self.sik, b"\x01" * 20)
            self.k2 = self.hm(self.sik, b"\x02" * 20)
            icv = {hashlib.sha1: 12, hashlib.sha256: 16}[self.hash]
            assert p[8:] == self.hm(self.sik, self.rm + self.bmc_id.to_bytes(4, "little") + self.guid)[:icv]
        return p

    def login(self, role: int = 0x14):
        assert self.open_session()[1] == 0
        p = self.rakp1(role)
        assert p[1] == 0 and self.rakp2_valid(p)
        p = self.rakp3()
        assert p[1] == 0, p.hex()

    def request(self, netfn, cmd, data=b"", seq=None):
        if seq is None:
            self.seq += 1
            seq = self.seq
        r = self.unplus(self.send(self.plus(0x00, lan_request(netfn, cmd, data, self._rq()), self.bmc_id, seq,
                                            secure=True)), secure=True)
        if r is None:
            return None
        assert r[1] == self.console_id
        return lan_response(r[3])
