"""BT (Block Transfer) interface vocabulary (IPMI 2.0 section 11): registers, control bits, framing.

Three registers from the base address (host view)::

    +0  BT_CTRL     read: status bits; write: control (write-1 actions, see BtCtrl)
    +1  HOST2BMC    write: next request byte   /   BMC2HOST  read: next response byte
    +2  BT_INTMASK  B2H_IRQ_EN (RW), B2H_IRQ (write 1 to clear), BMC_HWRST

A whole message sits in the buffer before either side is told (H2B_ATN,
B2H_ATN).  Its framing adds a length and a sequence number to the IPMI
message body the other interfaces carry::

    request : Length, NetFn/LUN, Seq, Cmd, Data...        (Length counts the bytes after it)
    response: Length, NetFn/LUN, Seq, Cmd, CC, Data...

The same bits have a host meaning and a BMC meaning (Table 11-1): the host
*sets* H2B_ATN and *clears* B2H_ATN and SMS_ATN by writing 1; the BMC
clears H2B_ATN and sets B2H_ATN and SMS_ATN by writing 1; H_BUSY toggles on
each host write of 1, B_BUSY on each BMC write of 1.  Writing 0 never
changes a bit.
"""

from enum import IntFlag

# Default I/O base (IPMI 2.0 section 11.2 / SMBIOS; QEMU's isa-ipmi-bt, ASPEED bt-bmc).
BT_DEFAULT_BASE = 0xE4

# Register offsets from the base, host view.
BT_CTRL_OFFSET = 0
BT_BUF_OFFSET = 1
BT_INTMASK_OFFSET = 2


class BtCtrl(IntFlag):
    """BT_CTRL bits (IPMI 2.0 Table 11-1)."""

    CLR_WR_PTR = 0x01
    CLR_RD_PTR = 0x02
    H2B_ATN = 0x04
    B2H_ATN = 0x08
    SMS_ATN = 0x10
    OEM0 = 0x20
    H_BUSY = 0x40
    B_BUSY = 0x80


class BtIntmask(IntFlag):
    """BT_INTMASK bits (IPMI 2.0 Table 11-2)."""

    B2H_IRQ_EN = 0x01
    B2H_IRQ = 0x02
    BMC_HWRST = 0x80


# The framing bytes BT adds around an IPMI message.
BT_LENGTH = 0
BT_NETFN = 1
BT_SEQ = 2
BT_CMD = 3
BT_CC = 4


def render_ctrl(value: int) -> str:
    """``B_BUSY B2H_ATN``: the BT_CTRL bits that are set, as the spec names them."""
    names = [b.name for b in reversed(BtCtrl) if value & b]
    return " ".join(names) if names else "-"


def bt_frame(seq: int, message: bytes) -> bytes:
    """A request or response body (``NetFn/LUN, Cmd[, CC], Data``) framed for the BT buffer."""
    if len(message) < 2:
        raise ValueError(f"message length {len(message)} too short: need NetFn/LUN and Cmd")
    if not 0 <= seq <= 0xFF:
        raise ValueError(f"seq {seq!r} out of range 0x00-0xFF")
    if len(message) + 1 > 0xFF:
        raise ValueError(f"message length {len(message)} too long for BT's one-byte length")
    return bytes((len(message) + 1, message[0], seq)) + bytes(message[1:])


def bt_unframe(frame: bytes) -> tuple[int, bytes]:
    """``(seq, NetFn/LUN + Cmd + rest)`` from a BT frame; ``ValueError`` names what is wrong."""
    if len(frame) < 4:
        raise ValueError(f"BT frame length {len(frame)} too short: need Length, NetFn/LUN, Seq and Cmd")
    if frame[BT_LENGTH] != len(frame) - 1:
        raise ValueError(f"BT length byte {frame[BT_LENGTH]} does not match the {len(frame) - 1} bytes after it")
    return frame[BT_SEQ], bytes((frame[BT_NETFN],)) + bytes(frame[BT_CMD:])


# Get BT Interface Capabilities (App 0x36) response data after the completion code (IPMI 2.0 section 22.10).
BT_CAPS_OUTSTANDING = 0       # number of outstanding requests supported
BT_CAPS_INPUT_SIZE = 1        # input (request) buffer size in bytes, the length byte excluded
BT_CAPS_OUTPUT_SIZE = 2       # output (response) buffer size in bytes
BT_CAPS_REQ2RSP = 3           # BMC request-to-response time, seconds
BT_CAPS_RETRIES = 4           # recommended retries (1-based)


def bt_capabilities(outstanding: int, input_size: int, output_size: int, req2rsp_s: int, retries: int) -> bytes:
    """The five data bytes of a Get BT Interface Capabilities answer."""
    values = (outstanding, input_size, output_size, req2rsp_s, retries)
    for name, v in zip(("outstanding", "input_size", "output_size", "req2rsp_s", "retries"), values, strict=True):
        if not isinstance(v, int) or not 0 <= v <= 0xFF:
            raise ValueError(f"bt capabilities {name} {v!r} out of range 0-255")
    return bytes(values)
