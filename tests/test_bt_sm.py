"""The host BT state machine (Linux ``ipmi_bt_sm``) on its own, against a BT block with QEMU's device."""

import pytest

from bmc.ipmi.cc import CompletionCode as CC
from buses.time import S
from scenarios.world import World
from vserver.bt_sm import BT_NORMAL_RETRY_LIMIT, BT_NORMAL_TIMEOUT, BtSm, BtSmState


def booted(preset="isa-ipmi-bt", **kw):
    w = World(preset, interface="bt", seed=1, trace=True, **kw)
    assert w.boot()
    return w


def test_defaults_before_detect_are_the_drivers():
    sm = BtSm(World("isa-ipmi-bt").sim, io=None)
    assert (sm.req2rsp, sm.retries, sm.seq, sm.state) == (BT_NORMAL_TIMEOUT, BT_NORMAL_RETRY_LIMIT, 0, BtSmState.IDLE)


@pytest.mark.parametrize("preset,req2rsp,retries", [("isa-ipmi-bt", 10, 0), ("ast2600", 10, 1)])
def test_detect_takes_req2rsp_and_retries_from_get_bt_interface_capabilities(preset, req2rsp, retries):
    sm = booted(preset).host.si.sm
    assert sm.req2rsp == req2rsp * S and sm.retries == retries


def test_start_transaction_frames_length_netfn_seq_cmd_and_refuses_what_linux_refuses():
    sm = BtSm(World("isa-ipmi-bt").sim, io=None)
    assert sm.start_transaction(b"\x18") == CC.REQUEST_DATA_LENGTH_INVALID
    assert sm.start_transaction(bytes(273)) == CC.REQUEST_DATA_FIELD_LENGTH_EXCEEDED
    assert sm.start_transaction(b"\x18\x01") == 0
    assert bytes(sm.write_data[:sm.write_count]) == bytes((3, 0x18, 0, 0x01))
    assert sm.start_transaction(b"\x18\x01") == CC.NOT_SUPPORTED_IN_PRESENT_STATE   # busy
    sm.state = BtSmState.LONG_BUSY
    assert sm.start_transaction(b"\x18\x01") == CC.NODE_BUSY
    sm.state = BtSmState.IDLE
    # The length byte is an unsigned char: 255 bytes of message + seq wrap to 0.
    assert sm.start_transaction(bytes(255)) == 0 and sm.write_data[0] == 0 and sm.write_data[2] == 1


def test_seq_counts_requests_not_attempts_and_echoes_back():
    w = booted()
    sm = w.host.si.sm
    seqs = []
    for _ in range(3):
        before = sm.seq
        assert w.request(0x06, 0x01).cc == 0
        seqs.append(before)
        assert sm.read_data[2] == before                      # the BMC echoed this request's seq
    assert seqs == [seqs[0], seqs[0] + 1, seqs[0] + 2]
