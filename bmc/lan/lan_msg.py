"""The IPMI LAN message inside a session packet (IPMI 2.0 section 13.8, Table 13-4).

    request : rsAddr, netFn/rsLUN, chk1, rqAddr, rqSeq/rqLUN, cmd, data..., chk2
    response: rqAddr, netFn/rqLUN, chk1, rsAddr, rqSeq/rsLUN, cmd, cc, data..., chk2

Each checksum makes its bytes sum to zero (mod 256).  ``decode_request``
gives the dispatcher's ``NetFn/LUN, Cmd, Data`` form plus the addressing
the response needs; a bad checksum is None (the packet is dropped).
"""

from __future__ import annotations

from dataclasses import dataclass


def checksum(data: bytes) -> int:
    return -sum(data) & 0xFF


@dataclass(frozen=True, slots=True)
class LanRequest:
    rs_addr: int
    rq_addr: int
    rq_seq: int
    rq_lun: int
    body: bytes          # NetFn/rsLUN, Cmd, Data...: what Ipmid.handle takes

    @property
    def netfn(self) -> int:
        return self.body[0] >> 2

    @property
    def cmd(self) -> int:
        return self.body[1]


def decode_request(msg: bytes) -> LanRequest | None:
    if len(msg) < 7:
        return None
    if sum(msg[0:3]) & 0xFF or sum(msg[3:]) & 0xFF:
        return None
    return LanRequest(msg[0], msg[3], msg[4] >> 2, msg[4] & 0x03, bytes((msg[1],)) + msg[5:-1])


def encode_request(rs_addr: int, netfn: int, rs_lun: int, rq_addr: int, rq_seq: int, rq_lun: int, cmd: int,
                   data: bytes = b"") -> bytes:
    head = bytes((rs_addr, netfn << 2 | rs_lun))
    tail = bytes((rq_addr, (rq_seq & 0x3F) << 2 | rq_lun, cmd)) + bytes(data)
    return head + bytes((checksum(head),)) + tail + bytes((checksum(tail),))


def encode_response(req: LanRequest, rsp: bytes, bmc_addr: int) -> bytes:
    """The LAN response to ``req`` from the dispatcher's ``NetFn|1/LUN, Cmd, CC, Data...``."""
    head = bytes((req.rq_addr, (rsp[0] & 0xFC) | req.rq_lun))
    tail = bytes((bmc_addr, req.rq_seq << 2 | (rsp[0] & 0x03))) + rsp[1:]
    return head + bytes((checksum(head),)) + tail + bytes((checksum(tail),))


def decode_response(msg: bytes) -> tuple[int, int, int, bytes] | None:
    """(netfn, rq_seq, cmd, cc+data) of a response, None on a bad checksum: for tests and clients."""
    if len(msg) < 8 or sum(msg[0:3]) & 0xFF or sum(msg[3:]) & 0xFF:
        return None
    return msg[1] >> 2, msg[4] >> 2, msg[5], msg[6:-1]
