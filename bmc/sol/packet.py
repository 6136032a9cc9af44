"""The SOL payload (payload type 01h) as it crosses an RMCP+ session: IPMI 2.0 Table 15-2.

Four header bytes, then the characters:

1. packet sequence number, bits 3:0: 1-Fh; 0 = an ACK-only packet (no characters);
2. packet ACK/NACK sequence number, bits 3:0: the packet being acknowledged; 0 = none;
3. accepted character count: how many characters of that packet were accepted;
4. operation (remote console to BMC) or status (BMC to remote console) bits, below.

The same layout goes both ways; only byte 4's meaning differs.  Reserved
bits are ignored on receipt and sent as 0.
"""

from __future__ import annotations

from dataclasses import dataclass

PAYLOAD_TYPE_SOL = 0x01
HEADER_LEN = 4
SEQ_MASK = 0x0F

# Byte 4, remote console to BMC: operation.
OP_NACK = 0x40            # 1 = the packet being acked is NACKed: the console cannot take characters now
OP_RING_WOR = 0x20        # assert Ring Indicator (wake on ring) to the baseboard
OP_BREAK = 0x10           # generate a break on the baseboard serial port
OP_CTS_PAUSE = 0x08       # deassert CTS to the baseboard: it should stop sending
OP_DCD_DSR_DEASSERT = 0x04
OP_FLUSH_INBOUND = 0x02   # drop what the BMC holds for the baseboard (console -> host)
OP_FLUSH_OUTBOUND = 0x01  # drop what the BMC holds for the console (host -> console)

# Byte 4, BMC to remote console: status.
ST_NACK = 0x40                          # the packet being acked is NACKed (BMC buffer full)
ST_CHARACTER_TRANSFER_UNAVAILABLE = 0x20  # the baseboard serial port cannot take or give characters
ST_SOL_DEACTIVATING = 0x10
ST_TRANSMIT_OVERRUN = 0x08              # characters from the baseboard were dropped (BMC buffer full)
ST_BREAK = 0x04                         # a break was detected on the baseboard serial port


def next_seq(seq: int) -> int:
    """Sequence numbers run 1..0Fh and wrap to 1 (0 is the ACK-only packet)."""
    return 1 if seq >= 0x0F else seq + 1


@dataclass(frozen=True, slots=True)
class SolPacket:
    seq: int = 0
    ack_seq: int = 0
    accepted: int = 0
    flags: int = 0
    data: bytes = b""

    @property
    def ack_only(self) -> bool:
        return self.seq == 0

    def encode(self) -> bytes:
        return bytes((self.seq & SEQ_MASK, self.ack_seq & SEQ_MASK, self.accepted & 0xFF, self.flags & 0x7F)) \
            + bytes(self.data)

    @classmethod
    def decode(cls, raw: bytes) -> SolPacket:
        if len(raw) < HEADER_LEN:
            raise ValueError(f"SOL payload of {len(raw)} bytes is shorter than its {HEADER_LEN}-byte header")
        return cls(raw[0] & SEQ_MASK, raw[1] & SEQ_MASK, raw[2], raw[3] & 0x7F, bytes(raw[HEADER_LEN:]))
