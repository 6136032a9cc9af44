"""BT bad input: what Linux ``ipmi_bt_sm``, QEMU's ``ipmi_bt`` and ``bt-bmc`` do, each with a trace record.

A scripted BMC stands on the register block's BMC face (in place of the
preset's channel) where a test needs answers no correct BMC gives.
"""

from bmc.ipmi.msg import from_hex
from buses.time import S, ms, s
from scenarios.world import World
from soc.bt import B2H_ATN, B_BUSY, CLR_RD_PTR, CLR_WR_PTR, H2B_ATN

GET_DEVICE_ID_RSP = from_hex("1C 01 00 20 00 00 00 02 8F 00 00 00 00 00")


def booted(preset="isa-ipmi-bt", **kw):
    w = World(preset, interface="bt", seed=3, trace=True, **kw)
    assert w.boot()
    return w


class ScriptedBmc:
    """Answers each request with ``answer(request, seq, attempt) -> frame bytes`` (None: stay silent)."""

    def __init__(self, world, answer):
        self.sim = world.sim
        self.block = blk = world.block
        self.answer = answer
        self.requests: list[tuple[int, bytes]] = []
        blk.host_ctrl_listeners.clear()             # the preset's channel no longer answers
        blk.host_ctrl_listeners.append(self._host_ctrl)

    def _host_ctrl(self, t, before, after):
        if not after & ~before & H2B_ATN:
            return
        blk = self.block
        blk.bmc_write_ctrl(H2B_ATN | CLR_RD_PTR, t)
        n = min(blk.host_bytes_written, blk.size)
        frame = bytes(blk.bmc_read_buf(t) for _ in range(n))
        self.requests.append((t, frame))
        out = self.answer(frame, len(self.requests))
        if out is not None:
            self.sim.call_at(t + ms(1), self._respond, out)

    def _respond(self, frame):
        blk, t = self.block, self.sim.now
        blk.bmc_write_ctrl(CLR_WR_PTR, t)
        for b in frame:
            blk.bmc_write_buf(b, t)
        blk.bmc_write_ctrl(B2H_ATN, t)


def framed(rsp: bytes, seq: int) -> bytes:
    return bytes((len(rsp) + 1, rsp[0], seq)) + rsp[1:]


def test_a_response_with_the_wrong_sequence_number_is_ignored_until_the_request_times_out():
    w = booted()
    sm = w.host.si.sm
    bmc = ScriptedBmc(w, lambda req, n: framed(GET_DEVICE_ID_RSP, req[2] + (1 if n == 1 else 0)))
    r = w.request(0x06, 0x01, limit=s(60))
    # ipmi_bt_sm read the stray answer, went back to READ_WAIT for its own and timed out after
    # BT_CAP_req2rsp.  QEMU's capabilities say 0 retries, and error_recovery's ``++error_retries <
    # BT_CAP_retries`` gives no restart for 0 or 1: the request fails with 0xC3.
    assert sm.retries == 0 and r.cc == 0xC3
    assert sm.req2rsp <= r.elapsed < sm.req2rsp + s(1)
    text = w.sim.tracer.text()
    assert "match=False" in text and "reason=timeout" in text and "action=fail" in text
    assert w.request(0x06, 0x01, limit=s(60)).raw == GET_DEVICE_ID_RSP    # the next seq is answered rightly
    assert len(bmc.requests) == 2 and bmc.requests[1][1][2] == bmc.requests[0][1][2] + 1


def test_a_length_byte_under_four_is_taken_as_truncated_without_draining():
    w = booted()
    ScriptedBmc(w, lambda req, n: bytes((3, 0x1C, req[2], 0x01)) if n == 1 else framed(GET_DEVICE_ID_RSP, req[2]))
    r = w.request(0x06, 0x01, limit=s(60))
    assert r.cc == 0xC6 and r.raw[:2] == bytes((0x1C, 0x01))          # IPMI_ERR_MSG_TRUNCATED, no crash
    assert "truncated" in w.sim.tracer.text()
    assert w.request(0x06, 0x01, limit=s(60)).raw == GET_DEVICE_ID_RSP   # the next request is fine


def test_a_bmc_that_stays_busy_holds_the_host_in_xaction_start_until_it_clears():
    w = booted()
    blk = w.block
    t0 = w.sim.now
    blk.bmc_write_ctrl(B_BUSY, t0)                                    # the BMC is busy for 2 s
    w.sim.call_at(t0 + 2 * S, lambda: blk.bmc_write_ctrl(B_BUSY, w.sim.now))
    r = w.request(0x06, 0x01, limit=s(60))
    assert r.raw == GET_DEVICE_ID_RSP
    # Linux never writes while B_BUSY is set: the request waited, then went through at once.
    assert 2 * S <= r.elapsed < 2 * S + ms(50)


def test_qemu_leaves_b_busy_set_after_a_short_request_and_the_host_times_out():
    w = booted()
    # A request of fewer than 4 bytes, written by hand: QEMU discards it and B_BUSY sticks.
    io, t = w.io, w.sim.now
    io.outb(0xE4, CLR_WR_PTR, t)
    for b in (2, 0x18, 0x00):
        io.outb(0xE5, b, t)
    io.outb(0xE4, H2B_ATN, t)
    assert w.block.ctrl & B_BUSY and w.channel.discarded == 1
    assert "request-short" in w.sim.tracer.text()
    r = w.request(0x06, 0x01, limit=s(120))
    sm = w.host.si.sm
    assert r.cc == 0xC0 and sm.state.name == "LONG_BUSY"              # timed out with B_BUSY: node busy


def test_a_request_longer_than_the_ibt_fifo_wraps_it_and_bt_bmc_gets_garbage_not_a_crash():
    # Linux ipmi_bt_sm does not check the capabilities' buffer size: a 70-byte request overruns the
    # AST2600 iBT's 64-byte FIFO, whose pointer wraps over the length byte.
    w = booted("ast2600")
    data = bytes((0, 0, 0)) + bytes(range(64))                        # Write FRU Data: id, offset, 64 bytes
    r = w.request(0x0A, 0x12, data, limit=s(120))
    assert r.cc != 0
    text = w.sim.tracer.text()
    assert "host-wr-HOST2BMC-wrapped" in text
    assert w.request(0x06, 0x01, limit=s(120)).cc == 0               # the interface recovers
