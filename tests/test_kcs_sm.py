"""The host KCS state machine stepped with scripted status bytes (no simulation)."""

import pytest

from bmc.kcs_ideal import run_now
from buses import Simulation
from buses.time import s
from buses.variant import compose
from vserver.kcs_sm import FIX_MSG_STACK, MAX_ERROR_RETRIES, KcsSm, KcsSmState
from vserver.sm import SmResult

IDLE, READ, WRITE, ERROR = 0x00, 0x40, 0x80, 0xC0
OBF, IBF, ATN = 0x01, 0x02, 0x04
DATA, STATUS = 0, 1


class ScriptedIo:
    """Checks every register access against a script of (direction, offset, value)."""

    def __init__(self, script):
        self.script = list(script)
        self.cpu = type("Cpu", (), {"t": 0})()

    def _next(self, kind, offset):
        assert self.script, f"unexpected {kind} at offset {offset}"
        step = self.script.pop(0)
        assert step[:2] == (kind, offset), f"expected {step}, got {kind} offset {offset}"
        return step[2]

    def inputb(self, offset):
        return self._next("in", offset)
        yield

    def outputb(self, offset, value):
        expected = self._next("out", offset)
        assert value == expected, f"wrote 0x{value:02X}, expected 0x{expected:02X}"
        return
        yield

    def reader(self, offset):
        return lambda: self.inputb(offset)

    def writer(self, offset):
        return lambda value: self.outputb(offset, value)


def sm_with(script, variants=()):
    io = ScriptedIo(script)
    return compose(KcsSm, variants)(Simulation(), io), io


def step(sm, time=0):
    return run_now(sm.event(time))


def test_get_device_id_byte_by_byte():
    rsp = [0x1C, 0x01, 0x00, 0x20]
    script = [
        ("in", STATUS, IDLE), ("out", STATUS, 0x61),                          # START_OP
        ("in", STATUS, WRITE | OBF), ("in", DATA, 0), ("out", DATA, 0x18),    # WAIT_WRITE_START
        ("in", STATUS, WRITE | OBF), ("in", DATA, 0), ("out", STATUS, 0x62),  # WAIT_WRITE: WRITE_END
        ("in", STATUS, WRITE | OBF), ("in", DATA, 0), ("out", DATA, 0x01),    # WAIT_WRITE_END: last byte
        ("in", STATUS, READ | IBF),                                           # BMC still busy
        ("in", STATUS, READ),                                                 # no OBF yet
    ]
    for b in rsp:
        script += [("in", STATUS, READ | OBF), ("in", DATA, b), ("out", DATA, 0x68)]
    script += [("in", STATUS, IDLE | OBF), ("in", DATA, 0)]
    sm, io = sm_with(script)
    assert sm.start_transaction(b"\x18\x01") == 0
    for _ in range(4):
        assert step(sm) == SmResult.CALL_WITHOUT_DELAY
    assert step(sm, 1000) == SmResult.CALL_WITH_DELAY        # IBF set
    assert step(sm, 1000) == SmResult.CALL_WITH_DELAY        # waiting for OBF
    for _ in rsp:
        assert step(sm) == SmResult.CALL_WITHOUT_DELAY
    assert step(sm) == SmResult.TRANSACTION_COMPLETE
    assert sm.get_result() == bytes(rsp) and not io.script and sm.state == KcsSmState.IDLE


def test_idle_reports_attention_and_drains_obf():
    sm, io = sm_with([("in", STATUS, IDLE | ATN | OBF), ("in", DATA, 0x55)])
    assert step(sm) == SmResult.ATTN and not io.script


def test_start_transaction_refusals():
    sm, _ = sm_with([])
    assert sm.start_transaction(b"\x18") == 0xC7
    assert sm.start_transaction(bytes(273)) == 0xC8
    assert sm.start_transaction(b"\x18\x01") == 0
    assert sm.start_transaction(b"\x18\x01") == 0xD5


def test_ibf_timeout_runs_the_abort_sequence_and_restarts():
    script = [
        ("in", STATUS, IDLE), ("out", STATUS, 0x61),
        ("in", STATUS, WRITE | IBF),                                             # stuck: timeout expires
        ("in", STATUS, WRITE), ("out", STATUS, 0x60),                            # ERROR0 -> abort
        ("in", STATUS, WRITE | OBF), ("in", DATA, 0), ("out", DATA, 0x00),      # ERROR1
        ("in", STATUS, READ | OBF), ("in", DATA, 0x01), ("out", DATA, 0x68),    # ERROR2: status code 01
        ("in", STATUS, IDLE | OBF), ("in", DATA, 0), ("out", STATUS, 0x61),     # ERROR3 -> restart
    ]
    sm, io = sm_with(script)
    sm.start_transaction(b"\x18\x01")
    assert step(sm) == SmResult.CALL_WITHOUT_DELAY
    assert step(sm, s(5) + 1) == SmResult.CALL_WITHOUT_DELAY   # error recovery starts inside this call
    assert sm.state == KcsSmState.ERROR1 and sm.error_retries == 1
    for _ in range(3):
        assert step(sm) == SmResult.CALL_WITHOUT_DELAY
    assert sm.state == KcsSmState.WAIT_WRITE_START and not io.script


def test_ibf_timeout_needs_more_than_five_seconds():
    sm, io = sm_with([("in", STATUS, IDLE), ("out", STATUS, 0x61), ("in", STATUS, WRITE | IBF)])
    sm.start_transaction(b"\x18\x01")
    step(sm)
    assert step(sm, s(5)) == SmResult.CALL_WITH_DELAY and sm.state == KcsSmState.WAIT_WRITE_START


def test_wrong_state_at_write_start_enters_error_recovery():
    sm, io = sm_with([("in", STATUS, IDLE), ("out", STATUS, 0x61), ("in", STATUS, IDLE)])
    sm.start_transaction(b"\x18\x01")
    step(sm)
    assert step(sm) == SmResult.CALL_WITHOUT_DELAY
    assert sm.state == KcsSmState.ERROR0 and sm.last_error == "Not in write state at write start"


@pytest.mark.parametrize("variants, after", [((), KcsSmState.IDLE), ((FIX_MSG_STACK,), KcsSmState.ERROR0)],
                         ids=["6.12.118", "fix-msg-stack-6.2"])
def test_eleven_errors_make_the_state_machine_hosed(variants, after):
    sm, io = sm_with([("in", STATUS, IDLE), ("out", STATUS, 0x61)], variants)
    sm.start_transaction(b"\x18\x01")
    step(sm)
    results = []
    for _ in range(MAX_ERROR_RETRIES + 1):
        sm.state = KcsSmState.ERROR2                     # ERROR2 needs READ; WRITE is an error
        io.script.append(("in", STATUS, WRITE))
        results.append(step(sm))
    assert results[:-1] == [SmResult.CALL_WITHOUT_DELAY] * MAX_ERROR_RETRIES
    assert results[-1] == SmResult.HOSED
    # init_kcs_data: IDLE in 6.12.118 (the revert 5d09ee1bec87); ERROR0 with c608966f3f9c applied.
    assert sm.state == after and sm.error_retries == 0


def test_result_is_at_least_three_bytes_and_truncation_is_reported():
    sm, _ = sm_with([])
    sm.read_data = bytearray(b"\x1c")
    assert sm.get_result() == b"\x1c\x00\xff"
    sm.read_data = bytearray(b"\x1c\x01\x00\x20")
    sm.truncated = True
    assert sm.get_result()[2] == 0xC6


@pytest.mark.parametrize("status,present", [(0xFF, False), (0x00, True)])
def test_detect(status, present):
    sm, _ = sm_with([("in", STATUS, status)])
    assert run_now(sm.detect()) is present
