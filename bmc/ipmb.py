"""The primary IPMB behind Send Message: a satellite controller that answers, like QEMU's fake MC.

QEMU's ``ipmi-bmc-sim`` (qemu-ipmi.md 3.4) emulates one management
controller on IPMB at 0x40.  It answers Get Device ID with an IPMI 1.5
device and everything else with 0xC1; the answer goes to the BMC's receive
message queue, where system software reads it with Get Message.

IPMB frames (IPMB v1.0 section 2.2)::

    request : rsSA, netFn/rsLUN, chk1, rqSA, rqSeq/rqLUN, cmd, data..., chk2
    response: rqSA, netFn/rqLUN, chk1, rsSA, rqSeq/rsLUN, cmd, cc, data..., chk2

Each checksum makes its bytes sum to zero: chk1 covers the two bytes before
it (the responder's address *and* netFn/LUN), chk2 everything from the
third address to the end.  QEMU leaves the address out of chk1 (its bug
20); here it is in.  The queued message is the response without its first
byte (rqSA, our own address), as Get Message returns it.
"""

from __future__ import annotations

from .ipmi.cmd import App
from .ipmi.netfn import NetFn

# QEMU's fake MC: device ID 0, revision 0, firmware 0.00, IPMI 1.5, no device support, manufacturer/product 0.
SATELLITE_DEVICE_ID = bytes((0x00, 0x00, 0x00, 0x00, 0x51, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00))

SMS_LUN = 0x02   # responses for system software are addressed to the BMC's SMS LUN


def checksum(data: bytes) -> int:
    """The two's complement checksum that makes ``data`` plus it sum to 0 modulo 256."""
    return -sum(data) & 0xFF


def frame_ok(frame: bytes) -> bool:
    """Both IPMB checksums of ``frame`` (header: bytes 0-2, body: 3 to the end) are right."""
    return len(frame) >= 7 and sum(frame[:3]) & 0xFF == 0 and sum(frame[3:]) & 0xFF == 0


class IpmbSatellite:
    """A management controller on the primary IPMB that answers Get Device ID, as QEMU's does."""

    def __init__(self, address: int = 0x40, device_id_data: bytes = SATELLITE_DEVICE_ID):
        self.address = address
        self.device_id_data = bytes(device_id_data)
        self.requests: list[bytes] = []

    def answer(self, netfn: int, cmd: int, data: bytes) -> tuple[int, bytes]:
        """(completion code, response data) for one request."""
        if netfn == NetFn.APP and cmd == App.GET_DEVICE_ID and not data:
            return 0x00, self.device_id_data
        return 0xC1, b""

    def receive(self, frame: bytes) -> bytes | None:
        """Take a request frame; the response frame (from rqSA on), or None if it is not answered.

        A frame with a bad checksum is dropped, as IPMB receivers do.
        """
        self.requests.append(bytes(frame))
        if not frame_ok(frame):
            return None
        netfn_lun, rq_sa, seq_lun, cmd = frame[1], frame[3], frame[4], frame[5]
        cc, data = self.answer(netfn_lun >> 2, cmd, frame[6:-1])
        head = bytes((rq_sa, ((netfn_lun >> 2) | 1) << 2 | (seq_lun & 0x03)))
        body = bytes((self.address, (seq_lun & 0xFC) | (netfn_lun & 0x03), cmd, cc)) + data
        return head + bytes((checksum(head),)) + body + bytes((checksum(body),))
