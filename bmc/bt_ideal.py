"""Ideal attachment of a BT block: QEMU's ``hw/ipmi/ipmi_bt.c``, no firmware, no time.

The host's H2B_ATN write is handled inside the write, as QEMU does it:
B_BUSY is set and H2B_ATN cleared at once (so the host never sees
H2B_ATN), the request is taken from the buffer and checked, and the BMC
core answers.  The answer is framed with the host's sequence number,
written to the BMC2HOST buffer, B_BUSY cleared and B2H_ATN set (which
raises the interrupt when the host enabled it).  QEMU's oddities are kept
and happen here, not in the register model:

- fewer than 4 bytes, or a length byte that does not match the bytes
  written: nothing is answered and B_BUSY stays set until the next good
  request (reference/qemu-ipmi.md, "B_BUSY sticks");
- Get BT Interface Capabilities (NetFn/LUN exactly 0x18, Cmd 0x36) is
  answered by the device itself: 1 outstanding request, 0xFF-byte
  buffers, 10 s, no retries; it never reaches the BMC;
- a response over 298 bytes becomes the 4-byte error form with 0xCA;
- ``set_atn(0)`` takes SMS_ATN back; ``set_atn(1, irq)`` interrupts only
  while B2H_ATN is clear.

The whole request goes to a ``BmcCore`` through a ``buses.Hop``, like the
ideal KCS channel.
"""

from __future__ import annotations

from bmc.ipmi.bt import BT_CMD, BT_NETFN, BT_SEQ, bt_capabilities
from bmc.ipmi.cc import CompletionCode as CC
from bmc.ipmi.cmd import App
from bmc.ipmi.msg import ChannelProtocol
from buses import Hop
from soc.bt import B2H_ATN, B_BUSY, CLR_RD_PTR, CLR_WR_PTR, H2B_ATN, SMS_ATN

from .channel import ChannelBase

QEMU_BT_BUFFER = 300                   # MAX_IPMI_MSG_SIZE: the whole message, no wrap in practice
QEMU_BT_MAX_RESPONSE = 298             # longer answers become 0xCA
QEMU_BT_CAPS = bt_capabilities(1, 0xFF, 0xFF, 10, 0)
GET_BT_CAPS_NETFN_LUN = 0x18


class IdealBt(ChannelBase):
    protocol = ChannelProtocol.BT_15

    def __init__(self, sim, block, core, use_irq: bool = False, irq_info: int = 0xFF, name: str = "bt-bmc"):
        self.sim = sim
        self.block = block
        self.name = name
        self.use_irq = use_irq
        self.irq_info = irq_info
        self.to_core = Hop(core.submit, f"{name}.core")
        self.serving = True
        self.token = 0                 # the request whose answer the interface waits for
        self.seq = 0                   # its host sequence number
        self.netfn_cmd = b""
        self.discarded = 0
        self.dropped_responses = 0
        block.set_host_irq_enable(False, 0)
        block.host_ctrl_listeners.append(self._host_ctrl)

    def _trace(self, t: int, event: str, **fields) -> None:
        if self.sim.tracer.enabled:
            self.sim.trace(t, "bmc", self.name, event, **fields)

    def _host_ctrl(self, t: int, before: int, after: int) -> None:
        if not after & H2B_ATN or not self.serving:
            return
        blk = self.block
        if not blk.ctrl & B_BUSY:
            blk.bmc_write_ctrl(B_BUSY, t)        # "sets B_BUSY, then processes the request"
        blk.bmc_write_ctrl(H2B_ATN, t)
        n = blk.host_bytes_written
        blk.bmc_write_ctrl(CLR_RD_PTR, t)
        frame = bytes(blk.bmc_read_buf(t) for _ in range(min(n, blk.size)))
        if n < 4:
            self.discarded += 1
            self._trace(t, "request-short", written=n, why="fewer than 4 bytes; B_BUSY stays set")
            return
        if frame[0] != n - 1:
            self.discarded += 1
            self._trace(t, "request-bad-length", length=frame[0], written=n, why="discarded; B_BUSY stays set")
            return
        self.token += 1
        self.seq = frame[BT_SEQ]
        request = bytes((frame[BT_NETFN],)) + frame[BT_CMD:]
        self._trace(t, "request", seq=self.seq, data=request)
        if frame[BT_NETFN] == GET_BT_CAPS_NETFN_LUN and frame[BT_CMD] == App.GET_BT_INTERFACE_CAPABILITIES:
            self._respond(bytes((0x1C, App.GET_BT_INTERFACE_CAPABILITIES, CC.SUCCESS)) + QEMU_BT_CAPS, t)
            return
        token = self.token
        self.to_core.call(request, t, lambda rsp, t_rsp: self._answered(token, rsp, t_rsp))

    def _answered(self, token: int, response: bytes, t: int) -> None:
        if token != self.token:
            self.dropped_responses += 1
            self._trace(t, "response-dropped", data=response, why="a newer request replaced it")
            return
        self._respond(response, max(t, self.sim.now))

    def _respond(self, response: bytes, t: int) -> None:
        if len(response) > QEMU_BT_MAX_RESPONSE:
            response = bytes((response[0], response[1], CC.CANNOT_RETURN_REQUESTED_BYTES))
        # ipmi_bt_handle_rsp: length (rsp_len + 1), NetFn, seq, the rest.  A crafted answer shorter than
        # NetFn/Cmd/CC goes out as it is (an empty one as the bare length byte, NetFn 0); the host's
        # driver judges it.
        frame = bytes((len(response) + 1, response[0] if response else 0, self.seq)) + response[1:]
        blk = self.block
        blk.bmc_write_ctrl(CLR_WR_PTR, t)
        for b in frame:
            blk.bmc_write_buf(b, t)
        self._trace(t, "response", seq=self.seq, data=response)
        if blk.ctrl & B_BUSY:
            blk.bmc_write_ctrl(B_BUSY, t)
        blk.bmc_write_ctrl(B2H_ATN, t)

    # -- what the BMC core calls ----------------------------------------------------------------
    def set_atn(self, on: bool, irq: bool, t: int) -> None:
        blk = self.block
        t = max(t, self.sim.now)
        if bool(blk.ctrl & SMS_ATN) == on:
            return
        if on:
            blk.bmc_write_ctrl(SMS_ATN, t, sms_irq=irq and not blk.ctrl & B2H_ATN)
        else:
            blk.withdraw_sms_atn(t)

    def set_irq_enable(self, on: bool, t: int) -> None:
        self.block.set_host_irq_enable(on and self.use_irq, t)

    def cold_reset(self, t: int) -> None:
        self.block.bmc_cold_reset(t)

    def stop_servicing(self) -> None:
        """Nobody answers: H2B_ATN stays set and B_BUSY never clears."""
        self.serving = False

    def start_servicing(self) -> None:
        """Back: a request the host left behind (H2B_ATN still set) is taken now."""
        self.serving = True
        ctrl = self.block.ctrl
        if ctrl & H2B_ATN:
            self._host_ctrl(self.sim.now, ctrl, ctrl)
