"""The OpenIPMI "VM" wire protocol (``lanserv/README.vm``), both directions.

QEMU's ``ipmi-bmc-extern`` and OpenIPMI's ``ipmi_sim`` speak it over a byte
stream (TCP or a Unix socket).  This module is the one home of its framing;
the client role (``bmc.vm.extern``) and the server role build on it.

Wire format
-----------
- ``VM_MSG_CHAR`` (0xA0) ends an IPMI message, ``VM_CMD_CHAR`` (0xA1) ends a
  control command, ``VM_ESCAPE_CHAR`` (0xAA) escapes the next byte, which is
  sent with bit 4 (0x10) set.  Only 0xA0, 0xA1 and 0xAA are escaped; framing
  characters themselves never are.
- Message (unescaped): ``seq``, ``netfn << 2 | lun``, ``cmd``, [``cc`` in a
  response], ``data...``, ``checksum``.  The checksum is the two's complement
  of the 8-bit sum of every byte before it, so the whole frame sums to 0.
- Control command: a command byte (``VmCmd``) and optional data, no
  checksum.  ``VERSION`` carries the protocol version (1), ``CAPABILITIES``
  one byte of ``VmCap`` bits.

API
---
Encoding (all return the wire bytes, framing character included)::

    encode_message(seq, msg)            # msg = netfn<<2|lun, cmd, [cc,] data
    encode_request(seq, netfn, cmd, data=b"", lun=0)
    encode_response(seq, netfn, cmd, cc, data=b"", lun=0)   # netfn: the response netfn
    encode_control(cmd, data=b"")
    connect_burst(caps)                 # VERSION 1 + CAPABILITIES, what a VM sends on connect

Decoding: ``Decoder(min_len=..., max_len=...)``; ``decoder.feed(chunk, t)``
returns a list of ``VmMessage`` / ``VmControl`` in arrival order and keeps
any partial frame for the next call.  A bad frame (``DropReason``: short,
over-long, bad checksum, ended inside an escape, unknown or short control,
empty control) is dropped: it is counted in ``decoder.dropped`` (a Counter
keyed by reason), handed to ``decoder.on_drop(reason, frame, t)`` if set,
and traced as ``frame-dropped`` when a ``sim`` with tracing is given.
Decoding always continues with the next byte.  Memory is bounded: an
over-long frame stops buffering at ``max_len`` bytes.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from enum import IntEnum, IntFlag

VM_MSG_CHAR = 0xA0
VM_CMD_CHAR = 0xA1
VM_ESCAPE_CHAR = 0xAA
VM_ESCAPE_BIT = 0x10
VM_PROTOCOL_VERSION = 1

# QEMU's MAX_IPMI_MSG_SIZE; its receive buffer adds the seq and checksum bytes.
VM_MAX_IPMI_MSG = 300
VM_MAX_FRAME = VM_MAX_IPMI_MSG + 2
# Shortest acceptable frames, checksum included: OpenIPMI takes requests of
# seq/netfn/cmd/checksum; QEMU wants a completion code in a response too.
VM_MIN_REQUEST = 4
VM_MIN_RESPONSE = 5


class VmCmd(IntEnum):
    """Control commands (README.vm, ``serial_ipmi.c``, ``ipmi_bmc_extern.c``: ``VM_CMD_*``)."""

    NOATTN = 0x00             # BMC->VM: clear ATTN
    ATTN = 0x01               # BMC->VM: set ATTN, no interrupt
    ATTN_IRQ = 0x02           # BMC->VM: set ATTN and interrupt
    POWEROFF = 0x03           # BMC->VM: power the target off
    RESET = 0x04              # BMC->VM: reset the target; VM->BMC: a reset happened
    ENABLE_IRQ = 0x05         # BMC->VM: enable the messaging interrupt
    DISABLE_IRQ = 0x06        # BMC->VM: disable it
    SEND_NMI = 0x07           # BMC->VM: NMI to the target
    CAPABILITIES = 0x08       # VM->BMC: one byte of VmCap
    GRACEFUL_SHUTDOWN = 0x09  # BMC->VM: ACPI power button
    DISABLE = 0x0A            # BMC->VM: OpenIPMI 2026, disable the host's interface
    ENABLE = 0x0B             # BMC->VM: OpenIPMI 2026, re-enable it
    VERSION = 0xFF            # both: one byte, the protocol version


# Commands that need a data byte to mean anything.
_CONTROL_MIN_DATA = {VmCmd.VERSION: 1, VmCmd.CAPABILITIES: 1}


class VmCap(IntFlag):
    """Capability bits, the data of ``VM_CMD_CAPABILITIES`` (``VM_CAPABILITIES_*``)."""

    POWER = 0x01
    RESET = 0x02
    IRQ = 0x04
    NMI = 0x08
    ATTN = 0x10
    GRACEFUL_SHUTDOWN = 0x20
    ENABLE = 0x40


# What QEMU advertises with the default hardware ops: everything but ENABLE.
QEMU_CAPABILITIES = VmCap.POWER | VmCap.RESET | VmCap.IRQ | VmCap.NMI | VmCap.ATTN | VmCap.GRACEFUL_SHUTDOWN


class DropReason(IntEnum):
    SHORT = 1          # message below min_len bytes (checksum included)
    OVERLONG = 2       # more than max_len bytes before the terminator
    CHECKSUM = 3       # bytes do not sum to 0
    ESCAPE_AT_END = 4  # terminator right after 0xAA
    EMPTY_CONTROL = 5  # 0xA1 with nothing before it
    UNKNOWN_CONTROL = 6
    SHORT_CONTROL = 7  # VERSION/CAPABILITIES without their data byte


@dataclass(frozen=True, slots=True)
class VmMessage:
    """One IPMI message: ``msg`` is netfn<<2|lun, cmd, [cc,] data (seq and checksum stripped)."""

    seq: int
    msg: bytes

    @property
    def netfn(self) -> int:
        return self.msg[0] >> 2

    @property
    def lun(self) -> int:
        return self.msg[0] & 0x03

    @property
    def cmd(self) -> int:
        return self.msg[1]

    @property
    def data(self) -> bytes:
        """Everything after cmd (for a response, starts with the completion code)."""
        return self.msg[2:]

    def encode(self) -> bytes:
        return encode_message(self.seq, self.msg)


@dataclass(frozen=True, slots=True)
class VmControl:
    cmd: VmCmd
    data: bytes = b""

    @property
    def capabilities(self) -> VmCap:
        """The capability bits of a CAPABILITIES command."""
        return VmCap(self.data[0] & 0x7F)

    def encode(self) -> bytes:
        return encode_control(self.cmd, self.data)


# -- encoding ---------------------------------------------------------------------------------

def checksum(data: bytes) -> int:
    """Two's complement of the 8-bit sum: ``sum(data) + checksum(data) == 0 mod 256``."""
    return -sum(data) & 0xFF


def escape(raw: bytes) -> bytes:
    out = bytearray()
    for b in raw:
        if b == VM_MSG_CHAR or b == VM_CMD_CHAR or b == VM_ESCAPE_CHAR:
            out.append(VM_ESCAPE_CHAR)
            out.append(b | VM_ESCAPE_BIT)
        else:
            out.append(b)
    return bytes(out)


def encode_message(seq: int, msg: bytes) -> bytes:
    if not 0 <= seq <= 0xFF:
        raise ValueError(f"seq: 0x{seq:X} is not a byte")
    if len(msg) < 2:
        raise ValueError(f"msg: {len(msg)} bytes, need at least netfn/LUN and cmd")
    if len(msg) > VM_MAX_IPMI_MSG:
        raise ValueError(f"msg: {len(msg)} bytes exceeds {VM_MAX_IPMI_MSG}")
    body = bytes((seq,)) + bytes(msg)
    return escape(body + bytes((checksum(body),))) + bytes((VM_MSG_CHAR,))


def encode_request(seq: int, netfn: int, cmd: int, data: bytes = b"", lun: int = 0) -> bytes:
    return encode_message(seq, bytes((netfn << 2 | lun, cmd)) + bytes(data))


def encode_response(seq: int, netfn: int, cmd: int, cc: int, data: bytes = b"", lun: int = 0) -> bytes:
    return encode_message(seq, bytes((netfn << 2 | lun, cmd, cc)) + bytes(data))


def encode_control(cmd: int, data: bytes = b"") -> bytes:
    cmd = VmCmd(cmd)
    return escape(bytes((cmd,)) + bytes(data)) + bytes((VM_CMD_CHAR,))


def connect_burst(caps: int = QEMU_CAPABILITIES) -> bytes:
    """What a VM sends on connect: ``FF 01 A1 08 <caps> A1``."""
    return encode_control(VmCmd.VERSION, bytes((VM_PROTOCOL_VERSION,))) + \
        encode_control(VmCmd.CAPABILITIES, bytes((int(caps) & 0xFF,)))


# -- decoding ---------------------------------------------------------------------------------

class Decoder:
    """Incremental decoder: feed bytes, get whole messages and control commands.

    ``min_len``/``max_len`` bound a message frame in unescaped bytes, seq and
    checksum included (``VM_MIN_REQUEST`` for a BMC reading requests,
    ``VM_MIN_RESPONSE`` for a VM reading responses).
    """

    __slots__ = ("min_len", "max_len", "sim", "name", "on_drop", "dropped", "delivered",
                 "_buf", "_escape", "_overflow")

    def __init__(self, min_len: int = VM_MIN_REQUEST, max_len: int = VM_MAX_FRAME, sim=None,
                 name: str = "vm-codec", on_drop=None):
        if min_len < 3:
            raise ValueError(f"min_len: {min_len} < 3 (seq, netfn, cmd... and checksum)")
        if max_len < min_len:
            raise ValueError(f"max_len: {max_len} < min_len {min_len}")
        self.min_len = min_len
        self.max_len = max_len
        self.sim = sim
        self.name = name
        self.on_drop = on_drop
        self.dropped: Counter[DropReason] = Counter()
        self.delivered = 0
        self._buf = bytearray()
        self._escape = False
        self._overflow = False

    def reset(self) -> None:
        """Forget a partial frame (a new connection starts clean)."""
        self._buf.clear()
        self._escape = False
        self._overflow = False

    @property
    def pending(self) -> int:
        """Bytes of a frame not yet terminated."""
        return len(self._buf)

    def feed(self, chunk: bytes, t: int | None = None) -> list[VmMessage | VmControl]:
        out: list[VmMessage | VmControl] = []
        buf = self._buf
        max_len = self.max_len
        for b in chunk:
            if b == VM_MSG_CHAR:
                item = self._end_message(t)
            elif b == VM_CMD_CHAR:
                item = self._end_control(t)
            elif b == VM_ESCAPE_CHAR:
                self._escape = True
                continue
            else:
                if self._escape:
                    b &= ~VM_ESCAPE_BIT
                    self._escape = False
                if len(buf) < max_len:
                    buf.append(b)
                else:
                    self._overflow = True
                continue
            if item is not None:
                out.append(item)
                self.delivered += 1
        return out

    def _end_message(self, t) -> VmMessage | None:
        frame = bytes(self._buf)
        reason = self._frame_error()
        if reason is None:
            if len(frame) < self.min_len:
                reason = DropReason.SHORT
            elif sum(frame) & 0xFF:
                reason = DropReason.CHECKSUM
        self.reset()
        if reason is not None:
            self._drop(reason, frame, t)
            return None
        return VmMessage(frame[0], frame[1:-1])

    def _end_control(self, t) -> VmControl | None:
        frame = bytes(self._buf)
        reason = self._frame_error()
        cmd = None
        if reason is None:
            if not frame:
                reason = DropReason.EMPTY_CONTROL
            else:
                try:
                    cmd = VmCmd(frame[0])
                except ValueError:
                    reason = DropReason.UNKNOWN_CONTROL
                else:
                    if len(frame) - 1 < _CONTROL_MIN_DATA.get(cmd, 0):
                        reason = DropReason.SHORT_CONTROL
        self.reset()
        if reason is not None:
            self._drop(reason, frame, t)
            return None
        return VmControl(cmd, frame[1:])

    def _frame_error(self) -> DropReason | None:
        if self._escape:
            return DropReason.ESCAPE_AT_END
        if self._overflow:
            return DropReason.OVERLONG
        return None

    def _drop(self, reason: DropReason, frame: bytes, t) -> None:
        self.dropped[reason] += 1
        sim = self.sim
        if sim is not None and sim.tracer.enabled:
            sim.trace(sim.now if t is None else t, "bmc", self.name, "frame-dropped",
                      reason=reason.name, length=len(frame), frame=frame[:32])
        if self.on_drop is not None:
            self.on_drop(reason, frame, t)
