"""Host BT (Block Transfer) state machine, faithful to Linux 6.12 ``drivers/char/ipmi/ipmi_bt_sm.c``.

The functions mirror the C file one for one: ``bt_init_data`` (``_init_data``),
``force_result``, ``bt_start_transaction``, ``bt_get_result``, ``reset_flags``,
``drain_BMC2HOST``, ``write_all_bytes``, ``read_all_bytes``, ``error_recovery``,
``bt_event`` and ``bt_detect``; the three BT-only pieces of ``ipmi_si_intf.c``
(``ipmi_irq_finish_setup``, the BT branch of ``ipmi_si_irq_handler``,
``check_bt_irq``) are the ``SiSm`` interrupt hooks.

``event(time)``: ``time`` is the simulated time (ns) since the previous call
*as the caller accounts it* (Linux passes microseconds: the jiffy timer the
real elapsed time, interrupts 0).  It only counts down ``timeout`` (set from
``BT_CAP_req2rsp`` per attempt, ``BT_RESET_DELAY`` after the soft reset), so a
caller that passes 0 never times out, exactly as in Linux.  Everything is
integer ns.  A whole message goes through the buffer in one call
(``write_all_bytes``/``read_all_bytes``): each byte is a real port access.

Quirks kept on purpose (commented where they happen): the stale-response
drain in IDLE/XACTION_START with its second B2H_ATN write for stubborn BMCs
and a status read as a pause; ``reset_flags`` writing BMC_HWRST to BT_INTMASK
(which also clears B2H_IRQ_EN); a length byte under 4 taken as "truncated"
without draining the buffer; the Warm Reset at insmod time (``seq <=
retries``) that keeps resetting a BMC that shows a nonzero status but never
answers (``detect`` then never returns, as ``bt_detect`` never does); leaving
LONG_BUSY through ``bt_init_data``, which forgets the capabilities and
restarts seq at 0; the request length byte kept as C's ``unsigned char``;
the ``complete`` field ("Startup magic", always IDLE).  ``bt_debug`` is 0: the
status reads done only for its printks are not made.
"""

from __future__ import annotations

from enum import IntEnum

from bmc.ipmi.bt import BT_BUF_OFFSET, BT_CTRL_OFFSET, BT_INTMASK_OFFSET, BtCtrl, BtIntmask
from bmc.ipmi.cc import CompletionCode as CC
from buses.time import S, s
from buses.variant import variant

from .sm import IPMI_MAX_MSG_LENGTH, SiSm, SmResult

BT_NORMAL_TIMEOUT = s(5)
BT_NORMAL_RETRY_LIMIT = 2
BT_RESET_DELAY = s(6)          # after warm reset

# The BtCtrl/BtIntmask bits as plain ints, named as in the C file: an IntFlag
# operand would cost a Flag construction per bit test on the polling path.
BT_CLR_WR_PTR = int(BtCtrl.CLR_WR_PTR)
BT_CLR_RD_PTR = int(BtCtrl.CLR_RD_PTR)
BT_H2B_ATN = int(BtCtrl.H2B_ATN)
BT_B2H_ATN = int(BtCtrl.B2H_ATN)
BT_SMS_ATN = int(BtCtrl.SMS_ATN)
BT_H_BUSY = int(BtCtrl.H_BUSY)
BT_B_BUSY = int(BtCtrl.B_BUSY)
BT_BMC_HWRST = int(BtIntmask.BMC_HWRST)
IPMI_BT_INTMASK_ENABLE_IRQ_BIT = int(BtIntmask.B2H_IRQ_EN)
IPMI_BT_INTMASK_CLEAR_IRQ_BIT = int(BtIntmask.B2H_IRQ)

GET_BT_CAP = b"\x18\x36"       # App NetFn, Get BT Interface Capabilities
BT_CAP_LENGTH = 8              # bt_detect's BT_CAP[8]: NetFn, Cmd, CC + 5 data bytes


class BtSmState(IntEnum):
    """``enum bt_states``: "Order is critical in this list"."""

    IDLE = 0
    XACTION_START = 1
    WRITE_BYTES = 2
    WRITE_CONSUME = 3
    READ_WAIT = 4
    CLEAR_B2H = 5
    READ_BYTES = 6
    RESET1 = 7          # these must come last
    RESET2 = 8
    RESET3 = 9
    RESTART = 10
    PRINTME = 11
    LONG_BUSY = 12      # BT doesn't get hosed :-)


# The members event() compares with, as module globals: an Enum attribute lookup costs five times
# a global's, and event() runs on every poll.
_IDLE, _XACTION_START, _WRITE_BYTES, _WRITE_CONSUME, _READ_WAIT, _CLEAR_B2H = (
    BtSmState.IDLE, BtSmState.XACTION_START, BtSmState.WRITE_BYTES, BtSmState.WRITE_CONSUME, BtSmState.READ_WAIT,
    BtSmState.CLEAR_B2H)
_READ_BYTES, _RESET1, _RESET2, _RESET3, _RESTART, _PRINTME, _LONG_BUSY = (
    BtSmState.READ_BYTES, BtSmState.RESET1, BtSmState.RESET2, BtSmState.RESET3, BtSmState.RESTART, BtSmState.PRINTME,
    BtSmState.LONG_BUSY)
_R_ATTN, _R_CALL_WITHOUT_DELAY = SmResult.ATTN, SmResult.CALL_WITHOUT_DELAY
_R_CALL_WITH_DELAY, _R_IDLE, _R_TRANSACTION_COMPLETE = (
    SmResult.CALL_WITH_DELAY, SmResult.IDLE, SmResult.TRANSACTION_COMPLETE)


class BtSm(SiSm):
    """One BT state machine (``struct si_sm_data``) over a ``PortIo`` (or any ``inputb``/``outputb``)."""

    si_type = "bt"
    io_size = 3
    uses_kipmid = False
    status_offset = BT_CTRL_OFFSET

    def __init__(self, sim, io, component: str = "bt_sm", jiffy: int = S // 250):
        # The register helpers (BT_STATUS, BT_CONTROL, BMC2HOST, HOST2BMC, BT_INTMASK_W of the C file):
        # each returns the port-access generator itself, bound once to its register.
        if io is not None:
            self._status = io.reader(BT_CTRL_OFFSET)
            self._control = io.writer(BT_CTRL_OFFSET)
            self._bmc2host = io.reader(BT_BUF_OFFSET)
            self._host2bmc = io.writer(BT_BUF_OFFSET)
            self._intmask_w = io.writer(BT_INTMASK_OFFSET)
        super().__init__(sim, io, component, jiffy=jiffy)
        self._init_data()

    def _init_data(self) -> None:
        """``bt_init_data``: the memset zeroes ``bt->io`` too, so seq always restarts at 0."""
        self.state = BtSmState.IDLE          # start here
        self.seq = 0
        self.write_data = bytearray(IPMI_MAX_MSG_LENGTH + 2)
        self.write_count = 0
        self.read_data = bytearray(IPMI_MAX_MSG_LENGTH + 2)
        self.read_count = 0
        self.truncated = False
        self.timeout = 0
        self.error_retries = 0
        self.nonzero_status = 0              # hung BMCs stay all 0
        self.complete = BtSmState.IDLE       # end here
        self.req2rsp = BT_NORMAL_TIMEOUT     # BT_CAP_req2rsp
        self.retries = BT_NORMAL_RETRY_LIMIT  # BT_CAP_retries

    def _force_result(self, completion_code: int) -> None:
        """Jam a completion code (probably an error) into a response."""
        rd, wd = self.read_data, self.write_data
        rd[0] = 4                    # following bytes
        rd[1] = wd[1] | 4            # odd NetFn/LUN
        rd[2] = wd[2]                # seq (ignored)
        rd[3] = wd[3]                # Command
        rd[4] = completion_code
        self.read_count = 5

    # -- the si_sm_handlers -------------------------------------------------------------
    def start_transaction(self, data: bytes) -> int:
        """Returns 0, or the completion code Linux synthesises for a refused message."""
        size = len(data)
        if size < 2:
            return CC.REQUEST_DATA_LENGTH_INVALID
        if size > IPMI_MAX_MSG_LENGTH:
            return CC.REQUEST_DATA_FIELD_LENGTH_EXCEEDED
        if self.state == BtSmState.LONG_BUSY:
            return CC.NODE_BUSY
        if self.state != BtSmState.IDLE:
            return CC.NOT_SUPPORTED_IN_PRESENT_STATE
        wd = self.write_data
        # "all data plus seq byte", stored in an unsigned char: over 254 bytes it wraps.
        wd[0] = (size + 1) & 0xFF
        wd[1] = data[0]                      # NetFn/LUN
        wd[2] = self.seq                     # seq++: per new request, not per retry
        self.seq = (self.seq + 1) & 0xFF
        wd[3:size + 2] = data[1:]
        self.write_count = size + 2
        self.error_retries = 0
        self.nonzero_status = 0
        self.truncated = False
        self.state = BtSmState.XACTION_START
        self.timeout = self.req2rsp
        self._force_result(CC.UNSPECIFIED_ERROR)
        if self.sim.tracer.enabled:
            self._trace("start", seq=wd[2], data=bytes(data))
        return 0

    def get_result(self, length: int = IPMI_MAX_MSG_LENGTH) -> bytes:
        """NetFn/LUN, Cmd, CC, Data (length and seq stripped), as ``bt_get_result``: an answer longer
        than ``length`` comes back as 3 bytes with CC 0xC6."""
        msg_len = self.read_count - 2        # account for length & seq
        if msg_len < 3 or msg_len > IPMI_MAX_MSG_LENGTH:
            self._force_result(CC.UNSPECIFIED_ERROR)
            msg_len = 3
        rd = self.read_data
        if length < msg_len or self.truncated:
            return bytes((rd[1], rd[3], CC.REQUEST_DATA_TRUNCATED))
        return bytes((rd[1], rd[3])) + bytes(rd[4:msg_len + 2])

    # -- helpers, as in the C file --------------------------------------------------------
    def _reset_flags(self):
        if (yield from self._status()) & BT_H_BUSY:
            yield from self._control(BT_H_BUSY)      # force clear
        yield from self._control(BT_CLR_WR_PTR)      # always reset
        yield from self._control(BT_SMS_ATN)         # always clear
        # "This bit's functionality is optional": a BMC that implements it resets;
        # the write also clears B2H_IRQ_EN (ipmi_si re-enables it only via check_bt_irq).
        yield from self._intmask_w(BT_BMC_HWRST)

    def _drain_bmc2host(self):
        """Get rid of an unwanted/stale response (BMCs with several outstanding requests)."""
        if not (yield from self._status()) & BT_B2H_ATN:   # not signalling a response
            return
        yield from self._control(BT_H_BUSY)          # now set
        yield from self._control(BT_B2H_ATN)         # always clear
        yield from self._status()                    # pause
        yield from self._control(BT_B2H_ATN)         # some BMCs are stubborn
        yield from self._control(BT_CLR_RD_PTR)      # always reset
        size = yield from self._bmc2host()
        for _ in range(size):
            yield from self._bmc2host()
        yield from self._control(BT_H_BUSY)          # now clear
        self._trace("stale-drain", size=size + 1)

    def _write_all_bytes(self):
        wd = self.write_data
        if self.sim.tracer.enabled:
            self._trace("write", frame=bytes(wd[:self.write_count]))
        for i in range(self.write_count):
            yield from self._host2bmc(wd[i])

    def _read_all_bytes(self):
        """True if the response is ours (or unreadable: "let next XACTION START clean it up")."""
        rd, wd = self.read_data, self.write_data
        # length is "framing info", minimum = 4: NetFn, Seq, Cmd, cCode.
        rd[0] = yield from self._bmc2host()
        self.read_count = rd[0]
        if self.read_count < 4 or self.read_count >= IPMI_MAX_MSG_LENGTH:
            self.truncated = True                    # the rest stays in the BMC's buffer
            self._trace("truncated", length=self.read_count)
            return True
        for i in range(1, self.read_count + 1):
            rd[i] = yield from self._bmc2host()
        self.read_count += 1                         # account internally for length byte
        # Per the spec, the (NetFn[1], Seq[2], Cmd[3]) tuples must match.
        ok = rd[3] == wd[3] and rd[2] == wd[2] and (rd[1] & 0xF8) == (wd[1] & 0xF8)
        if self.sim.tracer.enabled:
            self._trace("response", seq=rd[2], frame=bytes(rd[:self.read_count]), match=ok)
        return ok

    def _error_recovery(self, status: int, cc: int) -> SmResult:
        """Restart if retries are left, or return an error completion code."""
        self.timeout = self.req2rsp
        reason = "timeout" if cc == CC.TIMEOUT else "internal error"
        # Per the IPMI spec, retries are based on the sequence number known only
        # to this module, so manage a restart here.
        self.error_retries += 1
        if self.error_retries < self.retries:
            self._trace("error-recovery", reason=reason, status=status, action="restart",
                        retries_left=self.retries - self.error_retries)
            self.state = BtSmState.RESTART
            return SmResult.CALL_WITHOUT_DELAY
        if not self.nonzero_status:
            self._trace("error-recovery", reason=reason, status=status, action="stuck, try power cycle")
        elif self.seq <= (self.retries & 0xFF):      # this is most likely during insmod
            self._trace("error-recovery", reason=reason, status=status, action="reset")
            self.state = BtSmState.RESET1
            return SmResult.CALL_WITHOUT_DELAY
        self.state = BtSmState.IDLE
        if cc == CC.TIMEOUT and status & BT_B_BUSY:
            cc = CC.NODE_BUSY
            self.state = BtSmState.LONG_BUSY
        self._trace("error-recovery", reason=reason, status=status, action="fail", cc=cc)
        self._force_result(cc)
        return SmResult.TRANSACTION_COMPLETE

    # -- the state machine ---------------------------------------------------------------
    def event(self, time: int):
        """Generator (``bt_event``): check status and (usually) take action; returns an ``SmResult``."""
        status = yield from self._status()
        self.nonzero_status |= status
        st = self.state

        # Commands that time out may still (eventually) provide a response; remove
        # it (hopefully in IDLE).  Even if it comes later its seq rejects it.
        if st < _WRITE_BYTES and status & BT_B2H_ATN:
            yield from self._drain_bmc2host()
            return _R_CALL_WITH_DELAY

        if st != _IDLE and st < _PRINTME:
            self.timeout -= time
            if self.timeout < 0 and st < _RESET1:
                return self._error_recovery(status, CC.TIMEOUT)

        if st == _IDLE:
            return (yield from self._idle(status))

        if st == _XACTION_START:
            if status & (BT_B_BUSY | BT_H2B_ATN):
                return _R_CALL_WITH_DELAY
            if (yield from self._status()) & BT_H_BUSY:
                yield from self._control(BT_H_BUSY)      # force clear
            self.state = _WRITE_BYTES
            return _R_CALL_WITHOUT_DELAY

        if st == _WRITE_BYTES:
            if status & BT_H_BUSY:
                yield from self._control(BT_H_BUSY)      # clear
            yield from self._control(BT_CLR_WR_PTR)
            yield from self._write_all_bytes()
            yield from self._control(BT_H2B_ATN)         # can clear too fast to catch
            self.state = _WRITE_CONSUME
            return _R_CALL_WITHOUT_DELAY

        if st == _WRITE_CONSUME:
            if status & (BT_B_BUSY | BT_H2B_ATN):
                return _R_CALL_WITH_DELAY
            self.state = _READ_WAIT
            return _R_CALL_WITHOUT_DELAY

        if st == _READ_WAIT:
            # Spinning hard can suppress B2H_ATN and force a timeout.
            if not status & BT_B2H_ATN:
                return _R_CALL_WITH_DELAY
            yield from self._control(BT_H_BUSY)          # set
            # Some BMCs don't clear B2H_ATN with one hit: CLEAR_B2H keeps hitting it.
            yield from self._control(BT_B2H_ATN)         # clear it to ACK the BMC
            self.state = _CLEAR_B2H
            return _R_CALL_WITHOUT_DELAY

        if st == _CLEAR_B2H:
            if status & BT_B2H_ATN:
                yield from self._control(BT_B2H_ATN)     # keep hitting it
                return _R_CALL_WITH_DELAY
            self.state = _READ_BYTES
            return _R_CALL_WITHOUT_DELAY

        if st == _READ_BYTES:
            if not status & BT_H_BUSY:                   # check in case of retry
                yield from self._control(BT_H_BUSY)
            yield from self._control(BT_CLR_RD_PTR)      # start of BMC2HOST buffer
            mine = yield from self._read_all_bytes()
            yield from self._control(BT_H_BUSY)          # NOW clear
            if not mine:                                 # not my message
                self.state = _READ_WAIT
                return _R_CALL_WITHOUT_DELAY
            self.state = self.complete
            # "Startup magic": complete is always IDLE, so this is always the normal case.
            return _R_TRANSACTION_COMPLETE if self.state == _IDLE else _R_CALL_WITHOUT_DELAY

        if st == _LONG_BUSY:                           # for example: after FW update
            if not status & BT_B_BUSY:
                yield from self._reset_flags()
                self._init_data()                        # IDLE, but seq 0 and default capabilities
                self._trace("long-busy-end")
            return _R_CALL_WITH_DELAY

        if st == _RESET1:
            yield from self._reset_flags()
            yield from self._drain_bmc2host()
            self.state = _RESET2
            return _R_CALL_WITH_DELAY

        if st == _RESET2:                              # send a soft reset
            yield from self._control(BT_CLR_WR_PTR)
            yield from self._host2bmc(3)                 # number of bytes following
            yield from self._host2bmc(0x18)              # NetFn/LUN == Application, LUN 0
            yield from self._host2bmc(42)                # sequence number
            yield from self._host2bmc(3)                 # Cmd == Soft reset
            yield from self._control(BT_H2B_ATN)
            self.timeout = BT_RESET_DELAY
            self.state = _RESET3
            self._trace("reset", hold=BT_RESET_DELAY)
            return _R_CALL_WITH_DELAY

        if st == _RESET3:                              # hold off everything for a bit
            if self.timeout > 0:
                return _R_CALL_WITH_DELAY
            yield from self._drain_bmc2host()
            self.state = _RESTART
            return _R_CALL_WITH_DELAY

        if st == _RESTART:                             # don't reset retries or seq!
            self.read_count = 0
            self.nonzero_status = 0
            self.timeout = self.req2rsp
            self.state = _XACTION_START
            return _R_CALL_WITH_DELAY

        return self._error_recovery(status, CC.UNSPECIFIED_ERROR)   # should never occur

    def _idle(self, status: int):
        """IDLE: asynchronous messages from another channel first, then housekeeping."""
        if status & BT_SMS_ATN:
            yield from self._control(BT_SMS_ATN)         # clear it
            return _R_ATTN
        if status & BT_H_BUSY:                           # clear a leftover H_BUSY
            yield from self._control(BT_H_BUSY)
        return _R_IDLE

    def detect(self):
        """Generator (``bt_detect``): False if nothing is there; else read the BT capabilities, True."""
        # Status and INTMASK all 1's is what a bogus address reads (INTMASK only if status is).
        if (yield from self._status()) == 0xFF and (yield from self.io.inputb(BT_INTMASK_OFFSET)) == 0xFF:
            return False
        yield from self._reset_flags()
        rv = self.start_transaction(GET_BT_CAP)
        if rv:
            self._trace("detect", error=f"can't start capabilities transaction: {rv:#x}")
        else:
            cpu = self.io.cpu
            result = SmResult.CALL_WITHOUT_DELAY
            while True:
                if result is SmResult.CALL_WITH_DELAY or result is SmResult.CALL_WITH_TICK_DELAY:
                    yield from cpu.sleep(self.jiffy)     # schedule_timeout_uninterruptible(1)
                    result = yield from self.event(self.jiffy)
                elif result is SmResult.CALL_WITHOUT_DELAY:
                    result = yield from self.event(0)
                else:
                    break
            cap = self.get_result(BT_CAP_LENGTH)        # sizeof(BT_CAP): a longer answer is "truncated"
            self._init_data()
            if len(cap) >= BT_CAP_LENGTH and cap[2] == 0:
                self.req2rsp = cap[6] * S
                self.retries = cap[7]
            else:
                self._trace("detect", error=f"bt cap response {cap.hex(' ')}, using default values")
        self._trace("detect", req2rsp=self.req2rsp, retries=self.retries)
        return True

    # -- the BT branches of ipmi_si_intf.c ---------------------------------------------------
    def irq_finish_setup(self):
        """Generator: enable the interrupt in the BT interface."""
        return self._intmask_w(IPMI_BT_INTMASK_ENABLE_IRQ_BIT)

    def irq_ack(self):
        """Generator: "We need to clear the IRQ flag for the BT interface"."""
        return self._intmask_w(IPMI_BT_INTMASK_CLEAR_IRQ_BIT | IPMI_BT_INTMASK_ENABLE_IRQ_BIT)

    def check_irq(self, on: bool):
        """Generator (``check_bt_irq``): BT has its own interrupt enable bit."""
        irqstate = (yield from self.io.inputb(BT_INTMASK_OFFSET)) & IPMI_BT_INTMASK_ENABLE_IRQ_BIT
        if bool(irqstate) == on:
            return
        yield from self._intmask_w(IPMI_BT_INTMASK_ENABLE_IRQ_BIT if on else 0)


# The old machine's two extra states came after PRINTME, so its timeout check never counted them down.
CAPABILITIES_BEGIN = 13
CAPABILITIES_END = 14


@variant(BtSm, "bt-capabilities-from-idle",
         "before 2018: the BT machine fetched Get BT Interface Capabilities itself, from IDLE (H-9)")
class CapabilitiesFromIdle(BtSm):
    """The BT machine as it was when H-9 was reported: ``bt_detect`` only checked the status and
    reset the flags; the first event that found the machine IDLE with ``BT_CAP_outreqs`` still 0
    sent Get BT Interface Capabilities on its own, through CAPABILITIES_BEGIN/END.  ipmi_si knows
    nothing of that transaction (no current message), so a message ``sender()`` starts meanwhile is
    refused by ``bt_start_transaction`` (not IDLE: 0xD5) and fails at once."""

    def _init_data(self) -> None:
        super()._init_data()
        self.cap_outreqs = 0                 # BT_CAP_outreqs == zero is a flag to read BT Capabilities

    def detect(self):
        if (yield from self._status()) == 0xFF and (yield from self.io.inputb(BT_INTMASK_OFFSET)) == 0xFF:
            return False
        yield from self._reset_flags()
        return True

    def _idle(self, status: int):
        result = yield from super()._idle(status)
        if result is _R_IDLE and not self.cap_outreqs:   # read BT capabilities if not done yet
            self.state = CAPABILITIES_BEGIN
            return _R_CALL_WITHOUT_DELAY
        self.timeout = self.req2rsp
        return result

    def event(self, time: int):
        if self.state == CAPABILITIES_BEGIN:
            yield from self._status()
            self.cap_outreqs = 1                 # set first: a timeout must not loop here for ever
            self.state = BtSmState.IDLE
            self.start_transaction(GET_BT_CAP)
            self.complete = CAPABILITIES_END
            self._trace("capabilities", why="from IDLE")
            self.state = _XACTION_START
            return _R_CALL_WITH_DELAY
        if self.state == CAPABILITIES_END:
            yield from self._status()
            cap = self.get_result(BT_CAP_LENGTH)
            self._init_data()
            if len(cap) >= BT_CAP_LENGTH and cap[2] == 0:
                self.cap_outreqs = cap[3]
                self.req2rsp = cap[6] * S
                self.retries = cap[7]
            self.cap_outreqs = self.cap_outreqs or 1
            self.timeout = self.req2rsp
            self._trace("detect", req2rsp=self.req2rsp, retries=self.retries)
            return _R_CALL_WITHOUT_DELAY
        return (yield from super().event(time))
