"""QEMU's ``smbus-ipmi``: an SSIF BMC on the host's SMBus, answered by a ``BmcCore`` (``hw/ipmi/smbus_ipmi.c``).

The device sits behind QEMU's SMBus target layer (``hw/i2c/smbus_slave.c``),
which ACKs every byte and hands the device whole writes: at the STOP, or at
the repeated START of a write-then-read (``write_data``: the SMBus command
byte first); a read takes ``receive_byte`` per byte.  The SSIF commands:

- 0x02 request (SMBus block: count, NetFn/LUN, Cmd, data), 0x06/0x07/0x08
  multi-part start/middle/end.  The count must match and be at most 32, or
  the write is ignored; a start needs 2 bytes; a middle or end without a
  start, or more than 255 bytes in all, is dropped.  **A middle shorter than
  32 bytes ends the message** ("special hack": some hosts do that);
- 0x03 read start, 0x09 read middle/end, 0x0A read retry (block number in
  the data): each loads the 33-byte ``outbuf`` from the response -- up to 32
  bytes in one block (count, message), else block 0 is ``32 00 01`` + 30
  bytes and each middle ``n+1, block number, n bytes`` with 0xFF marking the
  last block;
- Get System Interface Capabilities (NetFn/LUN exactly 0x18, Cmd 0x57) is the
  device's own: ``1C 57 00 00 80 FF FF`` (multi-part, no PEC, 255 bytes each
  way), 0xC7 without its data byte, 0xCC for a non-SSIF interface type.

QEMU's oddities, kept (each has a test): the device **never NAKs**; a read
before the response is ready (only an extern BMC can be that slow) returns
the previous block again, well formed: sending a request empties the
response and rewinds the read position, and the failed reload leaves the
buffer as it was; a read past the loaded block returns leftover buffer
bytes, then 0xFF; the response stays loaded and 0x03 replays it; a
response over 255 bytes is cut to 255 with CC 0xC6; no alert, no interrupt
(``set_atn`` is where PEC would go), so the host polls the flags.
"""

from __future__ import annotations

from buses import Hop

from .channel import ChannelBase
from .ipmi.msg import ChannelProtocol
from .ipmi.ssif import (
    SSIF_IPMI_MULTI_PART_REQUEST_END,
    SSIF_IPMI_MULTI_PART_REQUEST_MIDDLE,
    SSIF_IPMI_MULTI_PART_REQUEST_START,
    SSIF_IPMI_MULTI_PART_RESPONSE_MIDDLE,
    SSIF_IPMI_MULTI_PART_RETRY,
    SSIF_IPMI_REQUEST,
    SSIF_IPMI_RESPONSE,
)

MAX_SSIF_IPMI_MSG_SIZE = 255
MAX_SSIF_IPMI_MSG_CHUNK = 32
SMBUS_DATA_MAX_LEN = 34            # smbus_slave.c: the command byte, the count, 32 bytes
IPMI_GET_SYS_INTF_CAP_CMD = 0x57
CC_REQUEST_DATA_LENGTH_INVALID = 0xC7
CC_INVALID_DATA_FIELD = 0xCC
CC_REQUEST_DATA_TRUNCATED = 0xC6


class SmbusIpmi(ChannelBase):
    """The device and its SMBus target face (``I2cTarget``); attach it to an ``I2cBus`` at ``address``."""

    protocol = ChannelProtocol.IPMI_SMBUS

    def __init__(self, sim, core, name: str = "smbus-ipmi"):
        self.sim = sim
        self.name = name
        self.to_core = Hop(core.submit, f"{name}.core")
        self.serving = True
        # The device's state (struct SMBusIPMIDevice).
        self.outmsg = bytearray(MAX_SSIF_IPMI_MSG_SIZE)
        self.outlen = 0
        self.currblk = 0
        self.outbuf = bytearray(MAX_SSIF_IPMI_MSG_CHUNK + 1)
        self.outpos = 0
        self.inmsg = bytearray(MAX_SSIF_IPMI_MSG_SIZE)
        self.inlen = 0
        self.waiting_rsp = 0
        # The SMBus target layer's (struct SMBusDevice).
        self._mode = "idle"                 # idle | write | read | recv
        self._data = bytearray()
        self.requests = 0
        self.bogus_writes = 0

    def _trace(self, t: int, event: str, **fields) -> None:
        if self.sim.tracer.enabled:
            self.sim.trace(t, "fw", self.name, event, **fields)

    # -- smbus_slave.c: the I2cTarget face ----------------------------------------------------------
    def i2c_start(self, t: int, read: bool) -> bool:
        if not read:
            self._mode, self._data = "write", bytearray()
        elif self._mode == "write":
            if self._data:
                self._write_data(t, bytes(self._data))      # a write-then-read: the command goes first
            self._mode = "read"
        else:
            self._mode = "recv"                             # receive byte without a command
        return True                                         # QEMU's SMBus layer never NAKs

    def i2c_write(self, t: int, byte: int) -> bool:
        if len(self._data) < SMBUS_DATA_MAX_LEN:
            self._data.append(byte)
        return True

    def i2c_read(self, t: int, acked: bool) -> int:
        if self.outpos >= len(self.outbuf):
            return 0xFF
        byte = self.outbuf[self.outpos]
        self.outpos += 1
        return byte

    def i2c_stop(self, t: int) -> None:
        if self._mode == "write" and self._data:
            self._write_data(t, bytes(self._data))
        self._mode, self._data = "idle", bytearray()

    def i2c_stretch(self, t: int, before: str = "byte"):
        return 0

    # -- smbus_ipmi.c ---------------------------------------------------------------------------------
    def _write_data(self, t: int, buf: bytes) -> None:
        """``ipmi_write_data``: an SSIF command and its block, as one SMBus write."""
        cmd, buf = buf[0], buf[1:]
        if cmd == SSIF_IPMI_RESPONSE:
            self.currblk = 0
            self._load_readbuf()
        elif cmd == SSIF_IPMI_MULTI_PART_RESPONSE_MIDDLE:
            self.currblk += 1
            self._load_readbuf()
        elif cmd == SSIF_IPMI_MULTI_PART_RETRY and buf:
            self.currblk = buf[0]
            self._load_readbuf()
        if buf:
            if buf[0] != len(buf) - 1 or buf[0] > MAX_SSIF_IPMI_MSG_CHUNK:
                self.bogus_writes += 1
                self._trace(t, "write-ignored", cmd=f"0x{cmd:02X}", why="count byte does not match")
                return
            buf = buf[1:]
        send = False
        if cmd in (SSIF_IPMI_REQUEST, SSIF_IPMI_MULTI_PART_REQUEST_START):
            if len(buf) < 2:
                self.bogus_writes += 1
                return
            self.inmsg[:len(buf)] = buf
            self.inlen = len(buf)
            send = cmd == SSIF_IPMI_REQUEST
        elif cmd in (SSIF_IPMI_MULTI_PART_REQUEST_MIDDLE, SSIF_IPMI_MULTI_PART_REQUEST_END):
            if not self.inlen:
                self.bogus_writes += 1
                return
            if self.inlen + len(buf) > MAX_SSIF_IPMI_MSG_SIZE:
                self.inlen = 0
                self.bogus_writes += 1
                return
            send = cmd == SSIF_IPMI_MULTI_PART_REQUEST_END or len(buf) < 32   # the "special hack"
            self.inmsg[self.inlen:self.inlen + len(buf)] = buf
            self.inlen += len(buf)
        else:
            return
        if send and self.inlen:
            self._send_msg(t)

    def _send_msg(self, t: int) -> None:
        """``smbus_ipmi_send_msg``: the device's own Get System Interface Capabilities, else the BMC."""
        msg = bytes(self.inmsg[:self.inlen])
        self.outlen = self.outpos = self.currblk = 0
        self._trace(t, "request", data=msg)
        if msg[0] == 0x06 << 2 and msg[1] == IPMI_GET_SYS_INTF_CAP_CMD:
            if len(msg) < 3:
                rsp = bytes((0x1C, msg[1], CC_REQUEST_DATA_LENGTH_INVALID))
            elif msg[2] & 0x0F:
                rsp = bytes((0x1C, msg[1], CC_INVALID_DATA_FIELD))
            else:
                rsp = bytes((0x1C, msg[1], 0x00, 0x00, 2 << 6, MAX_SSIF_IPMI_MSG_SIZE, MAX_SSIF_IPMI_MSG_SIZE))
            self._load_response(rsp, t)                  # "We handle this ourself": no response id used
            return
        if not self.serving:
            return
        self.requests += 1
        msg_id = self.waiting_rsp
        self.to_core.call(msg, t, lambda rsp, t2, msg_id=msg_id: self._handle_rsp(msg_id, rsp, t2))

    def _handle_rsp(self, msg_id: int, rsp: bytes, t: int) -> None:
        """``smbus_ipmi_handle_rsp``: a response to the message waited for replaces the buffer."""
        if msg_id != self.waiting_rsp:
            self._trace(t, "response-dropped", data=bytes(rsp), why="not the response waited for")
            return
        self.waiting_rsp = (self.waiting_rsp + 1) & 0xFF
        self._load_response(rsp, t)

    def _load_response(self, rsp: bytes, t: int) -> None:
        rsp = bytearray(rsp)
        if len(rsp) > MAX_SSIF_IPMI_MSG_SIZE:
            rsp[2] = CC_REQUEST_DATA_TRUNCATED
            del rsp[MAX_SSIF_IPMI_MSG_SIZE:]
        self.outmsg[:len(rsp)] = rsp
        self.outlen = len(rsp)
        self.outpos = self.currblk = 0
        self._trace(t, "response", data=bytes(rsp))

    def _load_readbuf(self) -> bool:
        """``ipmi_load_readbuf``: the block ``currblk`` of the response into ``outbuf``; False if none."""
        block, out, n = self.currblk, self.outbuf, self.outlen
        if n == 0:
            return False
        if n <= 32:
            if block != 0:
                return False
            out[0] = n
            out[1:1 + n] = self.outmsg[:n]
        elif block == 0:
            out[0:3] = b"\x20\x00\x01"
            out[3:33] = self.outmsg[:30]
        else:
            pos = 30 + (block - 1) * 31
            if pos >= n:
                return False
            size = n - pos
            if size > 31:
                size = 31
                out[1] = block - 1          # middle blocks count from 0
            else:
                out[1] = 0xFF               # the last one
            out[0] = size + 1
            out[2:2 + size] = self.outmsg[pos:pos + size]
        self.outpos = 0
        return True

    # -- ChannelBase ------------------------------------------------------------------------------------
    def stop_servicing(self) -> None:
        """The BMC behind the device stops answering: requests get no response (reads go stale)."""
        self.serving = False

    def start_servicing(self) -> None:
        self.serving = True
