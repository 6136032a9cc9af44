"""``ipmi_si``'s start-up, as ``try_smi_init`` and ``smi_start_processing`` run it (Linux 6.12).

Detection, then Get Device ID (one try plus ``GET_DEVICE_ID_MAX_RETRY``,
retried only when the answer does not decode and its CC is not 0; a
state machine that goes HOSED fails the probe: -ENODEV), the receive
interrupt bit checked both ways (``check_clr_rcv_irq``,
``check_set_rcv_irq``: BMCs that cannot clear or set it are compensated
for), the event message buffer enabled (``try_enable_event_buffer``, no
re-read after its Set), and Clear Message Flags *started* -- not waited
for: whoever runs the state machine first finishes it.  The requests are
driven by hand with one-jiffy sleeps (``wait_for_msg_done``).  Then
``smi_start_processing`` arms the timer, claims the interrupt and starts
kipmid.  ``SmiInterface`` inherits this; it is its own file for size only.
"""

from __future__ import annotations

from bmc.ipmi.cc import CompletionCode as CC
from bmc.ipmi.cmd import App
from bmc.ipmi.netfn import NetFn, netfn_lun

from .sm import IPMI_MAX_MSG_LENGTH, SmResult

GET_DEVICE_ID_MAX_RETRY = 5            # include/linux/ipmi_smi.h; the message handler's too

# Message flags (Get Message Flags) and global-enable bits (Get/Set BMC Global Enables).
RECEIVE_MSG_AVAIL = 0x01
EVENT_MSG_BUFFER_FULL = 0x02
WDT_PRE_TIMEOUT_INT = 0x08
IPMI_BMC_RCV_MSG_INTR = 0x01
IPMI_BMC_EVT_MSG_INTR = 0x02
IPMI_BMC_EVT_MSG_BUFF = 0x04
GLOBAL_ENABLES_MASK = IPMI_BMC_EVT_MSG_BUFF | IPMI_BMC_RCV_MSG_INTR | IPMI_BMC_EVT_MSG_INTR


def demangle_device_id(rsp: bytes) -> str | None:
    """``ipmi_demangle_device_id`` on a response (NetFn/LUN, Cmd, CC, data): None if it decodes, or
    why not.  Linux counts the CC in the length: CC plus 6 data bytes at least."""
    if len(rsp) - 2 < 7:
        return f"{len(rsp) - 2} bytes of CC and data, under 7 (CC 0x{rsp[2]:02X})"
    if rsp[0] >> 2 != NetFn.APP | 1 or rsp[1] != App.GET_DEVICE_ID:
        return f"answer is netfn 0x{rsp[0] >> 2:02X} cmd 0x{rsp[1]:02X}, not a Get Device ID response"
    if rsp[2] != 0:
        return f"CC 0x{rsp[2]:02X}"
    return None


class TrySmiInit:
    """The start-up half of ``SmiInterface`` (``struct smi_info``)."""

    def _wait_for_msg_done(self):
        """Generator: drive the SM by hand, one-jiffy sleeps (``schedule_timeout_uninterruptible(1)``)."""
        result = yield from self.sm.event(0)
        while True:
            if result in (SmResult.CALL_WITH_DELAY, SmResult.CALL_WITH_TICK_DELAY):
                yield from self.cpu.sleep_until(self._next_jiffy(self.cpu.t))
                result = yield from self.sm.event(self.jiffy)
            elif result == SmResult.CALL_WITHOUT_DELAY:
                result = yield from self.sm.event(0)
            else:
                return result

    def _sync_request(self, netfn: int, cmd: int, data: bytes = b""):
        """Generator: one request by hand; the response, or None if the machine went HOSED (-ENODEV)."""
        self._start_transaction(bytes((netfn_lun(netfn), cmd)) + data)
        result = yield from self._wait_for_msg_done()
        if result == SmResult.HOSED:
            return None
        rsp = self.sm.get_result(IPMI_MAX_MSG_LENGTH)
        self._trace("probe-rsp", rsp=rsp)
        return rsp

    def _fail(self, reason: str) -> bool:
        self.failed = reason
        self._trace("probe-failed", reason=reason)
        return False

    def _try_get_dev_id(self):
        """Generator: ``try_get_dev_id``.  One try plus GET_DEVICE_ID_MAX_RETRY more, retried only when
        the answer does not decode *and* carries a non-zero CC; a HOSED machine fails at once."""
        retry_count = 0
        while True:
            rsp = yield from self._sync_request(NetFn.APP, App.GET_DEVICE_ID)
            if rsp is None:
                return "no response to Get Device ID (state machine hosed)"
            problem = demangle_device_id(rsp)
            if problem is None:
                self.device_id = rsp
                return None
            retry_count += 1
            if rsp[2] != CC.SUCCESS and retry_count <= GET_DEVICE_ID_MAX_RETRY:
                self._trace("get-device-id-retry", cc=f"0x{rsp[2]:02X}")
                continue
            return f"Get Device ID: {problem}"

    def _get_global_enables(self):
        rsp = yield from self._sync_request(NetFn.APP, App.GET_BMC_GLOBAL_ENABLES)
        if rsp is None:
            return None, -1
        if (len(rsp) < 4 or rsp[0] != netfn_lun(NetFn.APP | 1) or rsp[1] != App.GET_BMC_GLOBAL_ENABLES
                or rsp[2] != 0):
            return None, -1                          # -EINVAL
        return rsp[3], 0

    def _set_global_enables(self, enables: int):
        """Generator: 0, 1 for a CC error, -1 for no or a malformed answer (``set_global_enables``)."""
        rsp = yield from self._sync_request(NetFn.APP, App.SET_BMC_GLOBAL_ENABLES, bytes((enables,)))
        if rsp is None or len(rsp) < 3 or rsp[0] != netfn_lun(NetFn.APP | 1) or \
                rsp[1] != App.SET_BMC_GLOBAL_ENABLES:
            return -1
        return 1 if rsp[2] != 0 else 0

    def _check_clr_rcv_irq(self):
        """Some BMCs cannot clear the receive-interrupt bit, even without interrupts: compensate."""
        enables, rv = yield from self._get_global_enables()
        if rv == 0:
            if not enables & IPMI_BMC_RCV_MSG_INTR:
                return
            rv = yield from self._set_global_enables(enables & ~IPMI_BMC_RCV_MSG_INTR)
        if rv > 0:
            self.cannot_disable_irq = True
            self._trace("cannot-disable-irq")

    def _check_set_rcv_irq(self):
        """Some BMCs cannot set the interrupt bits although they have interrupts: compensate."""
        if not self.cfg.use_irq:
            return
        enables, rv = yield from self._get_global_enables()
        if rv == 0:
            rv = yield from self._set_global_enables(enables | IPMI_BMC_RCV_MSG_INTR)
        if rv > 0:
            self.cannot_disable_irq = True
            self.irq_enable_broken = True
            self._trace("irq-enable-broken")

    def _try_enable_event_buffer(self):
        """Generator: 0 if the event message buffer is (now) enabled (``try_enable_event_buffer``)."""
        enables, rv = yield from self._get_global_enables()
        if rv:
            return rv
        if enables & IPMI_BMC_EVT_MSG_BUFF:
            self.supports_event_msg_buff = True
            return 0
        rv = yield from self._set_global_enables(enables | IPMI_BMC_EVT_MSG_BUFF)
        if rv:
            return rv
        self.supports_event_msg_buff = True
        return 0

    def _startup(self):
        """Generator: ``try_smi_init`` from detection on; True if the interface registers."""
        present = yield from self.sm.detect()
        if not present:
            return self._fail("no device at the status port (reads 0xFF)")
        problem = yield from self._try_get_dev_id()
        if problem:
            return self._fail(problem)
        yield from self._check_clr_rcv_irq()          # check_for_broken_irqs
        yield from self._check_set_rcv_irq()
        self.interrupt_disabled = True
        self.has_event_buffer = (yield from self._try_enable_event_buffer()) == 0
        # "Start clearing the flags before we enable interrupts or the timer to avoid racing with
        # the timer": started, not waited for; whoever runs the state machine first finishes it.
        self._start_clear_flags()
        if self.cfg.use_irq:
            # "req_events will cause a global flags check that will enable interrupts."
            self.interrupt_disabled = False
            self.req_events = True
        return True

    def _start_processing(self):
        """Generator: ``smi_start_processing`` (ipmi_register_smi calls it): the timer, the
        interrupt (BT enables its own mask), kipmid."""
        self.timer_can_start = True
        self._mod_timer(self._next_jiffy(self.cpu.t, self.si_timeout_jiffies))
        if self.cfg.use_irq:
            yield from self.sm.irq_finish_setup()
        if self.has_kipmid:
            self.kipmid_next, self.kipmid_sleep = self.cpu.t, None    # kthread_run: it runs at once
