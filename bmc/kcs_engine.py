"""The BMC-side KCS protocol engine, modelled on Linux ``kcs_bmc_cdev_ipmi``.

It runs in interrupt context on every IBF interrupt and moves the KCS
state machine of IPMI 2.0 section 9 from the BMC's side: dummy ODR writes
that keep an interrupt-driven host moving, the phases of a request, the
abort sequence, and the userspace face (``read_request``/``write_response``,
SMS_ATN control, force abort) that the IPMI daemon uses.  A whole request
is announced on ``request_ready``; an ideal attachment instead checks
``data_in_avail`` when ``event()`` returns.

Register access goes through *device ops* (``inb``/``outb``/``updateb`` on
"IDR", "ODR", "STR", and ``irq_mask_update``), all generators, so the same
engine runs over an ideal attachment (no time, QEMU-like) and over a real
SoC channel driver with interrupt latency and MMIO cost.
"""

from __future__ import annotations

from enum import IntEnum

from buses import Notifier
from buses.variant import variant

from .ipmi.kcs import STATUS_C_D, STATUS_IBF, STATUS_SMS_ATN, STATUS_STATE_MASK, KcsControl, KcsError, KcsState

KCS_MSG_BUFSIZ = 1000
KCS_ZERO_DATA = 0x00

EVENT_OBE = 0x01
EVENT_IBF = 0x02


class Phase(IntEnum):
    IDLE = 0
    WRITE_START = 1
    WRITE_DATA = 2
    WRITE_END_CMD = 3
    WRITE_DONE = 4
    WAIT_READ = 5
    READ = 6
    ABORT_ERROR1 = 7
    ABORT_ERROR2 = 8
    ERROR = 9


# The members the interrupt handlers compare with, as module globals (an Enum attribute lookup
# costs five times a global's; these run for every byte).
_P_ABORT_ERROR1, _P_ABORT_ERROR2, _P_IDLE, _P_READ = Phase.ABORT_ERROR1, Phase.ABORT_ERROR2, Phase.IDLE, Phase.READ
_P_WRITE_DATA, _P_WRITE_DONE, _P_WRITE_END_CMD, _P_WRITE_START = (
    Phase.WRITE_DATA, Phase.WRITE_DONE, Phase.WRITE_END_CMD, Phase.WRITE_START)
_S_ERROR, _S_IDLE, _S_READ, _S_WRITE = KcsState.ERROR, KcsState.IDLE, KcsState.READ, KcsState.WRITE
_C_GET_STATUS_ABORT, _C_READ, _C_WRITE_END, _C_WRITE_START = (
    KcsControl.GET_STATUS_ABORT, KcsControl.READ, KcsControl.WRITE_END, KcsControl.WRITE_START)
_E_ABORTED_BY_COMMAND, _E_ILLEGAL_CONTROL_CODE, _E_LENGTH_ERROR, _E_NO_ERROR = (
    KcsError.ABORTED_BY_COMMAND, KcsError.ILLEGAL_CONTROL_CODE, KcsError.LENGTH_ERROR, KcsError.NO_ERROR)


class MmioKcsDevice:
    """Device ops over memory-mapped IDR/ODR/STR (``kcs_bmc_device_ops``' io_inputb/io_outputb/io_updateb),
    for SoC drivers that set ``cpu`` (a ``soc.cpu.FirmwareCpu``) and ``addr`` {"IDR", "ODR", "STR": address}."""

    cpu = None
    addr: dict = {}
    def configure_kernel(self, kernel: str, hz: int) -> None:
        """The BMC kernel (a driver whose code does not differ between kernels ignores it)."""

    def time(self) -> int:
        return self.cpu.t

    def inb(self, reg: str):
        return (yield from self.cpu.mmio_read(self.addr[reg]))

    def outb(self, reg: str, value: int):
        yield from self.cpu.mmio_write(self.addr[reg], value)

    def updateb(self, reg: str, mask: int, value: int):
        yield from self.cpu.mmio_update(self.addr[reg], mask, value)   # regmap_update_bits: atomic


class KcsEngineError(Exception):
    """A userspace call the driver refuses (EINVAL/EAGAIN/EOVERFLOW in Linux)."""


class KcsIpmiEngine:
    def __init__(self, sim, ops, name: str = "kcs-bmc"):
        self.sim = sim
        self.ops = ops
        self.name = name
        self.phase = Phase.IDLE
        self.error = KcsError.NO_ERROR
        self.data_in = bytearray()
        self.data_out = b""
        self.data_out_idx = 0
        self.data_in_avail = False
        self.request_ready = Notifier(sim)  # wakes the daemon's read() (free when nobody waits)
        self.aborts = 0
        self.opened = False                 # a daemon has /dev/ipmi-kcsN open

    def _trace(self, event: str, **fields) -> None:
        if self.sim.tracer.enabled:
            self.sim.trace(self.ops.time(), "fw", self.name, event, phase=self.phase.name, **fields)

    def _set_state(self, state: KcsState):
        yield from self.ops.updateb("STR", STATUS_STATE_MASK, state << 6)

    # -- interrupt context -----------------------------------------------------
    def event(self):
        """Generator: handle one IBF event; returns False if IBF was not set (not ours)."""
        status = yield from self.ops.inb("STR")
        if not status & STATUS_IBF:
            return False
        if status & STATUS_C_D:
            yield from self._handle_cmd()
        else:
            yield from self._handle_data()
        return True

    def _handle_cmd(self):
        yield from self._set_state(_S_WRITE)
        yield from self.ops.outb("ODR", KCS_ZERO_DATA)
        cmd = yield from self.ops.inb("IDR")
        if cmd == _C_WRITE_START:
            self.phase = _P_WRITE_START
            self.error = _E_NO_ERROR
            self.data_in_avail = False
            self.data_in.clear()
        elif cmd == _C_WRITE_END:
            if self.phase != _P_WRITE_DATA:
                yield from self._force_abort("WRITE_END outside WRITE_DATA")
                return
            self.phase = _P_WRITE_END_CMD
        elif cmd == _C_GET_STATUS_ABORT:
            if self.error == _E_NO_ERROR:
                self.error = _E_ABORTED_BY_COMMAND
            self.phase = _P_ABORT_ERROR1
            self.data_in_avail = False
            self.data_in.clear()
            self.aborts += 1
        else:
            yield from self._force_abort(f"illegal control code 0x{cmd:02X}")
            self.error = _E_ILLEGAL_CONTROL_CODE
        self._trace("cmd", code=f"0x{cmd:02X}")

    def _handle_data(self):
        phase = self.phase
        if phase == _P_WRITE_START or phase == _P_WRITE_DATA:
            self.phase = _P_WRITE_DATA
            if len(self.data_in) < KCS_MSG_BUFSIZ:
                yield from self._set_state(_S_WRITE)
                yield from self.ops.outb("ODR", KCS_ZERO_DATA)
                self.data_in.append((yield from self.ops.inb("IDR")))
            else:
                yield from self._force_abort("request longer than the buffer")
                self.error = _E_LENGTH_ERROR
        elif phase == _P_WRITE_END_CMD:
            yield from self._set_state(_S_READ)
            if len(self.data_in) < KCS_MSG_BUFSIZ:
                self.data_in.append((yield from self.ops.inb("IDR")))
            else:
                yield from self._force_abort("request longer than the buffer")
                self.error = _E_LENGTH_ERROR
                return
            self.phase = _P_WRITE_DONE
            self.data_in_avail = True
            self._trace("request", data=bytes(self.data_in))
            self.request_ready.notify(self.ops.time())
        elif phase == _P_READ:
            done = self.data_out_idx == len(self.data_out)
            if done:
                yield from self._set_state(_S_IDLE)
            data = yield from self.ops.inb("IDR")
            if data != _C_READ:
                yield from self._set_state(_S_ERROR)
                yield from self.ops.outb("ODR", KCS_ZERO_DATA)
                self._trace("bad-read-code", code=f"0x{data:02X}")
                return
            if done:
                yield from self.ops.outb("ODR", KCS_ZERO_DATA)
                self.phase = _P_IDLE
                self._trace("response-done")
                return
            yield from self.ops.outb("ODR", self.data_out[self.data_out_idx])
            self.data_out_idx += 1
        elif phase == _P_ABORT_ERROR1:
            yield from self._set_state(_S_READ)
            yield from self.ops.inb("IDR")
            yield from self.ops.outb("ODR", self.error)
            self.phase = _P_ABORT_ERROR2
            self._trace("abort-status", error=f"0x{self.error:02X}")
        elif phase == _P_ABORT_ERROR2:
            yield from self._set_state(_S_IDLE)
            yield from self.ops.inb("IDR")
            yield from self.ops.outb("ODR", KCS_ZERO_DATA)
            self.phase = _P_IDLE
        else:
            yield from self._force_abort(f"data byte in phase {phase.name}")

    def _force_abort(self, why: str):
        yield from self._set_state(KcsState.ERROR)
        yield from self.ops.inb("IDR")
        yield from self.ops.outb("ODR", KCS_ZERO_DATA)
        self.phase = Phase.ERROR
        self.data_in_avail = False
        self.data_in.clear()
        self.aborts += 1
        self._trace("force-abort", why=why)

    # -- userspace face (/dev/ipmi-kcsN) --------------------------------------------
    def open(self):
        """Generator ``kcs_bmc_ipmi_open``: "Enable IBF on open" (5.14): the IBF interrupt is on only
        while a daemon has the device open, so a host write with nobody there waits in IDR."""
        self.opened = True
        yield from self.ops.irq_mask_update(EVENT_IBF, EVENT_IBF)
        self._trace("open")

    def release(self):
        """Generator ``kcs_bmc_ipmi_release``: the last close masks IBF and OBE again."""
        self.opened = False
        yield from self.ops.irq_mask_update(EVENT_IBF | EVENT_OBE, 0)
        self._trace("release")

    def read_request(self) -> bytes:
        """``read()``: take the pending request (phase WRITE_DONE -> WAIT_READ)."""
        if not self.data_in_avail:
            raise KcsEngineError("EAGAIN: no request available")
        if self.phase != Phase.WRITE_DONE:
            # kcs_bmc_ipmi_read checks the phase before it clears data_in_avail: the request stays
            # "available" (poll() says readable) until the host's next WRITE_END replaces it.
            raise KcsEngineError(f"EAGAIN: host moved the interface to {self.phase.name}")
        self.phase = Phase.WAIT_READ
        self.data_in_avail = False
        return bytes(self.data_in)

    def write_response(self, response: bytes):
        """Generator ``write()``: load the response and put its first byte in ODR."""
        if not 3 <= len(response) <= KCS_MSG_BUFSIZ:
            raise KcsEngineError(f"EINVAL: response length {len(response)} outside 3..{KCS_MSG_BUFSIZ}")
        if self.phase != Phase.WAIT_READ:
            # The host restarted or aborted while the daemon was busy: the late
            # response is dropped, exactly as the Linux driver does.
            self._trace("response-dropped", data=bytes(response))
            raise KcsEngineError(f"EINVAL: interface in phase {self.phase.name}, not WAIT_READ")
        self.phase = Phase.READ
        self.data_out = bytes(response)
        self.data_out_idx = 1
        self._trace("response", data=self.data_out)
        yield from self.ops.outb("ODR", self.data_out[0])

    def set_sms_atn(self, on: bool):
        """Generator: the SET/CLEAR_SMS_ATN ioctls."""
        yield from self.ops.updateb("STR", STATUS_SMS_ATN, STATUS_SMS_ATN if on else 0)

    def force_abort(self):
        """Generator: the FORCE_ABORT ioctl."""
        yield from self._force_abort("ioctl")


@variant(KcsIpmiEngine, "kcs-bmc-abort-when-closed", "before 'ipmi: kcs_bmc: Enable IBF on open' (5.14)")
class AbortWhenClosed(KcsIpmiEngine):
    """The IBF interrupt stayed on from probe, and an IBF with no daemon attached was force-aborted:
    the host saw the ERROR state at once and ran its abort sequence into the same wall."""

    def release(self):
        self.opened = False
        self._trace("release")
        return
        yield

    def event(self):
        if not self.opened:
            status = yield from self.ops.inb("STR")
            if not status & STATUS_IBF:
                return False
            yield from self._force_abort("no client has the device open")
            return True
        return (yield from super().event())
