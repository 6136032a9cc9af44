"""Host KCS state machine, faithful to Linux ``drivers/char/ipmi/ipmi_kcs_sm.c``.

``event(time)`` is called by the policy layer; ``time`` is the simulated
time (ns) that passed since the previous call *as that caller accounts it*
(the 10 ms/jiffy timer passes real elapsed time, interrupts and kipmid pass
0), which is what drives the IBF/OBF timeouts: the same rule that made the
Linux bugs H-2 and H-7 possible.  Each call reads the status register once,
waits for IBF to clear, and makes at most one move of the state machine in
the IPMI spec's flow chart.  Register access is real port I/O through the
host CPU, so every byte costs bus time.
"""

from __future__ import annotations

from enum import IntEnum

from bmc.ipmi.cc import CompletionCode as CC
from bmc.ipmi.kcs import (
    KCS_DATA_OFFSET,
    KCS_STATUS_OFFSET,
    STATUS_IBF,
    STATUS_OBF,
    STATUS_SMS_ATN,
    KcsControl,
    KcsState,
    render_status,
)
from buses.time import s
from buses.variant import variant

from .sm import IPMI_MAX_MSG_LENGTH, SiSm, SmResult

IBF_RETRY_TIMEOUT = s(5)
OBF_RETRY_TIMEOUT = s(5)
MAX_ERROR_RETRIES = 10
ERROR0_OBF_WAIT = s(2)                # ERROR0_OBF_WAIT_JIFFIES = 2 * HZ
MAX_KCS_READ_SIZE = IPMI_MAX_MSG_LENGTH
MAX_KCS_WRITE_SIZE = IPMI_MAX_MSG_LENGTH

FIX_MSG_STACK = "fix-msg-stack-6.2"


class KcsSmState(IntEnum):
    IDLE = 0
    START_OP = 1
    WAIT_WRITE_START = 2
    WAIT_WRITE = 3
    WAIT_WRITE_END = 4
    WAIT_READ = 5
    ERROR0 = 6
    ERROR1 = 7
    ERROR2 = 8
    ERROR3 = 9
    HOSED = 10


# The enum members event() compares with, as module globals: an Enum attribute lookup costs five
# times a global's, and event() runs once per byte.
_IDLE, _START_OP, _WAIT_WRITE_START, _WAIT_WRITE, _WAIT_WRITE_END, _WAIT_READ = (
    KcsSmState.IDLE, KcsSmState.START_OP, KcsSmState.WAIT_WRITE_START, KcsSmState.WAIT_WRITE,
    KcsSmState.WAIT_WRITE_END, KcsSmState.WAIT_READ)
_ERROR0, _ERROR1, _ERROR2, _ERROR3, _HOSED = (
    KcsSmState.ERROR0, KcsSmState.ERROR1, KcsSmState.ERROR2, KcsSmState.ERROR3, KcsSmState.HOSED)
_R_ATTN, _R_CALL_WITHOUT_DELAY, _R_CALL_WITH_DELAY, _R_CALL_WITH_TICK_DELAY = (
    SmResult.ATTN, SmResult.CALL_WITHOUT_DELAY, SmResult.CALL_WITH_DELAY, SmResult.CALL_WITH_TICK_DELAY)
_R_HOSED, _R_IDLE, _R_TRANSACTION_COMPLETE = SmResult.HOSED, SmResult.IDLE, SmResult.TRANSACTION_COMPLETE
_KCS_IDLE, _KCS_READ, _KCS_WRITE = KcsState.IDLE, KcsState.READ, KcsState.WRITE


class KcsSm(SiSm):
    """One KCS state machine (``struct si_sm_data``) over a ``PortIo`` (or any ``inputb``/``outputb``)."""

    si_type = "kcs"
    io_size = 2

    def __init__(self, sim, io, component: str = "kcs_sm", **kw):
        super().__init__(sim, io, component, **kw)
        # The register helpers of the C file (read_status, read_data, write_cmd, write_data): each
        # returns the port-access generator itself, bound once to its register (no extra layer).
        self._read_status = io.reader(KCS_STATUS_OFFSET)
        self._read_data = io.reader(KCS_DATA_OFFSET)
        self._write_cmd = io.writer(KCS_STATUS_OFFSET)
        self._write_data = io.writer(KCS_DATA_OFFSET)
        self._init_state(KcsSmState.IDLE)

    def _init_state(self, state: KcsSmState) -> None:
        self.state = state
        self.write_data = b""
        self.write_pos = 0
        self.write_count = 0
        self.orig_write_count = 0
        self.read_data = bytearray()
        self.truncated = False
        self.error_retries = 0
        self.ibf_timeout = IBF_RETRY_TIMEOUT
        self.obf_timeout = OBF_RETRY_TIMEOUT
        self.error0_deadline = 0
        self.last_error = ""

    # -- the si_sm_handlers -------------------------------------------------------------
    def detect(self):
        """Generator: True if something answers at the status port (not 0xFF)."""
        status = yield from self.io.inputb(KCS_STATUS_OFFSET)
        return status != 0xFF

    def start_transaction(self, data: bytes) -> int:
        """Returns 0, or the completion code Linux synthesises for a refused message."""
        if len(data) < 2:
            return CC.REQUEST_DATA_LENGTH_INVALID
        if len(data) > MAX_KCS_WRITE_SIZE:
            return CC.REQUEST_DATA_FIELD_LENGTH_EXCEEDED
        if self.state != KcsSmState.IDLE and self.state != KcsSmState.HOSED:
            return CC.NOT_SUPPORTED_IN_PRESENT_STATE          # "KCS in invalid state"
        self.error_retries = 0
        self.write_data = bytes(data)
        self.write_count = len(data)
        self.orig_write_count = len(data)
        self.write_pos = 0
        self.read_data = bytearray()
        self.state = KcsSmState.START_OP
        self.ibf_timeout = IBF_RETRY_TIMEOUT
        self.obf_timeout = OBF_RETRY_TIMEOUT
        self._trace("start", data=self.write_data)
        return 0

    def get_result(self, length: int = IPMI_MAX_MSG_LENGTH) -> bytes:
        """``get_kcs_result(length)``: at most ``length`` bytes (cut: CC 0xC6), at least 3 (CC 0xFF if
        short); a short answer is not padded beyond that."""
        if length < len(self.read_data):
            del self.read_data[length:]
            self.truncated = True
        data = bytearray(self.read_data)
        if len(data) < 3 <= length:
            data = bytearray(data[:2]) + bytes(2 - min(len(data), 2))
            data.append(CC.UNSPECIFIED_ERROR)
        if self.truncated:
            data[2] = CC.REQUEST_DATA_TRUNCATED
            self.truncated = False
        return bytes(data)

    # -- helpers, as in the C file --------------------------------------------------------
    def _write_next_byte(self):
        yield from self._write_data(self.write_data[self.write_pos])
        self.write_pos += 1
        self.write_count -= 1

    def _clear_obf(self, status: int):
        if status & STATUS_OBF:
            yield from self._read_data()

    def _start_error_recovery(self, reason: str) -> None:
        self.error_retries += 1
        self.last_error = reason
        if self.error_retries > MAX_ERROR_RETRIES:
            self.state = KcsSmState.HOSED
            self._trace("hosed", reason=reason)
        else:
            # error0_timeout = jiffies + ERROR0_OBF_WAIT_JIFFIES: whole jiffies from the current one.
            j = self.jiffy
            self.error0_deadline = (self.io.cpu.t // j + ERROR0_OBF_WAIT // j) * j
            self.state = KcsSmState.ERROR0
            self._trace("error-recovery", reason=reason, retry=self.error_retries)

    def _check_ibf(self, status: int, time: int) -> bool:
        if status & STATUS_IBF:
            self.ibf_timeout -= time
            if self.ibf_timeout < 0:
                self._start_error_recovery("IBF not ready in time")
                self.ibf_timeout = IBF_RETRY_TIMEOUT
                return True
            return False
        self.ibf_timeout = IBF_RETRY_TIMEOUT
        return True

    def _check_obf(self, status: int, time: int) -> bool:
        if not status & STATUS_OBF:
            self.obf_timeout -= time
            if self.obf_timeout < 0:
                self.obf_timeout = OBF_RETRY_TIMEOUT
                self._start_error_recovery("OBF not ready in time")
                return True
            return False
        self.obf_timeout = OBF_RETRY_TIMEOUT
        return True

    def _restart_transaction(self):
        self.write_count = self.orig_write_count
        self.write_pos = 0
        self.read_data = bytearray()
        self.state = KcsSmState.WAIT_WRITE_START
        self.ibf_timeout = IBF_RETRY_TIMEOUT
        self.obf_timeout = OBF_RETRY_TIMEOUT
        yield from self._write_cmd(KcsControl.WRITE_START)

    # -- the state machine ---------------------------------------------------------------
    def event(self, time: int):
        """Generator: one step of the state machine; returns an ``SmResult``."""
        status = yield from self._read_status()
        if status & STATUS_IBF:                  # check_ibf; its IBF-clear case is the line below
            if not self._check_ibf(status, time):
                return _R_CALL_WITH_DELAY
        else:
            self.ibf_timeout = IBF_RETRY_TIMEOUT
        state = status >> 6
        st = self.state

        if st == _IDLE:
            yield from self._clear_obf(status)
            return _R_ATTN if status & STATUS_SMS_ATN else _R_IDLE

        if st == _START_OP:
            if state != _KCS_IDLE:
                self._start_error_recovery("State machine not idle at start")
            else:
                yield from self._clear_obf(status)
                yield from self._write_cmd(KcsControl.WRITE_START)
                self.state = _WAIT_WRITE_START

        elif st == _WAIT_WRITE_START:
            if state != _KCS_WRITE:
                self._start_error_recovery("Not in write state at write start")
            else:
                yield from self._read_data()
                if self.write_count == 1:
                    yield from self._write_cmd(KcsControl.WRITE_END)
                    self.state = _WAIT_WRITE_END
                else:
                    yield from self._write_next_byte()
                    self.state = _WAIT_WRITE

        elif st == _WAIT_WRITE:
            if state != _KCS_WRITE:
                self._start_error_recovery("Not in write state for write")
            else:
                yield from self._clear_obf(status)
                if self.write_count == 1:
                    yield from self._write_cmd(KcsControl.WRITE_END)
                    self.state = _WAIT_WRITE_END
                else:
                    yield from self._write_next_byte()

        elif st == _WAIT_WRITE_END:
            if state != _KCS_WRITE:
                self._start_error_recovery("Not in write state for write end")
            else:
                yield from self._clear_obf(status)
                yield from self._write_next_byte()
                self.state = _WAIT_READ

        elif st == _WAIT_READ:
            if state != _KCS_READ and state != _KCS_IDLE:
                self._start_error_recovery("Not in read or idle in read state")
            elif state == _KCS_READ:
                if not status & STATUS_OBF:      # check_obf; its OBF-set case is the else below
                    if not self._check_obf(status, time):
                        return _R_CALL_WITH_DELAY
                else:
                    self.obf_timeout = OBF_RETRY_TIMEOUT
                # read_next_byte(), inlined: this is the per-byte path of every response.
                if len(self.read_data) >= MAX_KCS_READ_SIZE:
                    yield from self._read_data()
                    self.truncated = True
                else:
                    self.read_data.append((yield from self._read_data()))
                yield from self._write_data(KcsControl.READ)
            else:
                # Some BMCs never write the final dummy byte: go idle now and
                # let the IDLE state drain OBF if it turns up.
                yield from self._clear_obf(status)
                self.orig_write_count = 0
                self.state = _IDLE
                self._trace("complete", data=bytes(self.read_data))
                return _R_TRANSACTION_COMPLETE

        elif st == _ERROR0:
            yield from self._clear_obf(status)
            status = yield from self._read_status()
            # time_before(jiffies, error0_timeout): compared in whole jiffies.
            if status & STATUS_OBF and self.io.cpu.t // self.jiffy < self.error0_deadline // self.jiffy:
                return _R_CALL_WITH_TICK_DELAY  # the controller isn't responding
            yield from self._write_cmd(KcsControl.GET_STATUS_ABORT)
            self.state = _ERROR1

        elif st == _ERROR1:
            yield from self._clear_obf(status)
            yield from self._write_data(0)
            self.state = _ERROR2

        elif st == _ERROR2:
            if state != _KCS_READ:
                self._start_error_recovery("Not in read state for error2")
            else:
                if not self._check_obf(status, time):
                    return _R_CALL_WITH_DELAY
                yield from self._clear_obf(status)
                yield from self._write_data(KcsControl.READ)
                self.state = _ERROR3

        elif st == _ERROR3:
            if state != _KCS_IDLE:
                self._start_error_recovery("Not in idle state for error3")
            else:
                if not self._check_obf(status, time):
                    return _R_CALL_WITH_DELAY
                yield from self._clear_obf(status)
                if self.orig_write_count:
                    yield from self._restart_transaction()
                else:
                    self.state = _IDLE
                    return _R_TRANSACTION_COMPLETE

        if self.state == _HOSED:
            self._hosed_reinit()
            return _R_HOSED
        return _R_CALL_WITHOUT_DELAY

    def _hosed_reinit(self) -> None:
        """``init_kcs_data`` after HOSED: back to IDLE (6.12.118; the variant ``fix-msg-stack-6.2``: ERROR0)."""
        self._init_state(_IDLE)

    def describe_status(self, status: int) -> str:
        return render_status(status)


@variant(KcsSm, FIX_MSG_STACK, "ipmi: fix msg stack when IPMI is disconnected (6.2; reverted in 6.18 and 6.12.118)")
class FixMsgStack(KcsSm):
    """c608966f3f9c: after HOSED the machine restarts in ERROR0, so the next message begins with an
    abort and a dead BMC fails it fast -- and a misbehaving one loops forever (why it was reverted)."""

    def _hosed_reinit(self) -> None:
        self._init_state(_ERROR0)
