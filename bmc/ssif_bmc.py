"""The BMC's SSIF stack on an ASPEED SoC: ``i2c-aspeed``'s target interrupt and Linux ``ssif_bmc`` (6.12).

``AspeedI2cSlave`` is ``aspeed_i2c_bus_irq`` + ``aspeed_i2c_slave_irq``: it reads
INTR_STS, acknowledges everything but RX_DONE, turns the status into I2C slave
events (STOP first, for coalesced interrupts; then the address; then
READ_REQUESTED / READ_PROCESSED / WRITE_REQUESTED / WRITE_RECEIVED), loads the
byte to send with S_TX_CMD, and acknowledges RX_DONE last -- which is what
lets the host's clock run again.  Every register access costs MMIO time.

``SsifBmc`` is ``ssif_bmc``: its states (READY, START, SMBUS_CMD, REQ_RECVING,
RES_SENDING, ABORTING), the request/response parts (30 bytes in a read start
after ``00 01``, 31 in each middle, 0xFF for the last block), PEC checked on
writes when the host sends it and added on reads, a new request while a
response is pending drops that response, and the 500 ms response timer: a
request the daemon has not answered by then is abandoned (``aborting``) and
the host's reads get a zero-length block until the next request.  While it
waits for its daemon (``busy``) a read gets a zero count -- the host's driver
retries 60 ms later.  ``read_request``/``write_response`` are the character
device's read and write (``/dev/ipmi-ssif-host``).
"""

from __future__ import annotations

from buses import Notifier
from buses.i2c import smbus_pec
from buses.variant import variant
from soc.aspeed.i2c import (
    CMD_M_S_RX_LAST,
    CMD_S_TX,
    INTR_NORMAL_STOP,
    INTR_RX_DONE,
    INTR_SLAVE_MATCH,
    INTR_TX_ACK,
    INTR_TX_NAK,
    SLAVE_EN,
)

from .ipmi.ssif import (
    SSIF_IPMI_MULTI_PART_REQUEST_END,
    SSIF_IPMI_MULTI_PART_REQUEST_MIDDLE,
    SSIF_IPMI_MULTI_PART_REQUEST_START,
    SSIF_IPMI_MULTI_PART_RESPONSE_MIDDLE,
    SSIF_IPMI_REQUEST,
    SSIF_IPMI_RESPONSE,
)

FUN_CTRL, INTR_CTRL, INTR_STS, CMD, DEV_ADDR, BYTE_BUF = 0x00, 0x0C, 0x10, 0x14, 0x18, 0x20
SLAVE_INTERRUPTS = INTR_SLAVE_MATCH | INTR_NORMAL_STOP | INTR_RX_DONE | INTR_TX_NAK | INTR_TX_ACK

# i2c_slave_event
READ_REQUESTED, WRITE_REQUESTED, READ_PROCESSED, WRITE_RECEIVED, STOP = (
    "read-requested", "write-requested", "read-processed", "write-received", "stop")

MAX_PAYLOAD_PER_TRANSACTION = 32
MAX_TRANSACTION = MAX_PAYLOAD_PER_TRANSACTION + 4
MAX_IPMI_DATA_PER_START_TRANSACTION = 30
MAX_IPMI_DATA_PER_MIDDLE_TRANSACTION = 31
IPMI_SSIF_PAYLOAD_MAX = 254
# ssif_bmc's names for the SSIF commands.
SINGLEPART_WRITE, SINGLEPART_READ = SSIF_IPMI_REQUEST, SSIF_IPMI_RESPONSE
MULTIPART_WRITE_START, MULTIPART_WRITE_MIDDLE, MULTIPART_WRITE_END = (
    SSIF_IPMI_MULTI_PART_REQUEST_START, SSIF_IPMI_MULTI_PART_REQUEST_MIDDLE, SSIF_IPMI_MULTI_PART_REQUEST_END)
MULTIPART_READ_START, MULTIPART_READ_MIDDLE = SSIF_IPMI_RESPONSE, SSIF_IPMI_MULTI_PART_RESPONSE_MIDDLE
RESPONSE_TIMEOUT_MS = 500

READY, START, SMBUS_CMD, REQ_RECVING, RES_SENDING, ABORTING = (
    "SSIF_READY", "SSIF_START", "SSIF_SMBUS_CMD", "SSIF_REQ_RECVING", "SSIF_RES_SENDING", "SSIF_ABORTING")


class SsifBmcError(Exception):
    """A file operation the driver refuses (-EINVAL, -EAGAIN)."""


class SsifBmc:
    """``struct ssif_bmc_ctx``: the SSIF target at ``addr`` (7-bit), in the BMC's kernel."""

    def __init__(self, sim, addr: int, jiffy: int, name: str = "ssif-bmc"):
        self.sim = sim
        self.addr = addr
        self.jiffy = jiffy
        self.name = name
        self.state = READY
        self.msg_idx = 0
        self.pec_support = False
        self.is_singlepart_read = False
        self.nbytes_processed = self.remain_len = self.block_num = 0
        self.request_available = self.response_in_progress = self.busy = self.aborting = False
        self.response_timer_inited = False
        self._timer_gen = 0
        # struct ssif_part_buffer
        self.part_cmd = 0
        self.part_len = 0
        self.part_payload = bytearray(MAX_PAYLOAD_PER_TRANSACTION + 1)
        self.part_pec = 0
        self.part_index = 0
        self.request = bytearray()
        self.response = bytearray()
        self.request_ready = Notifier(sim)
        self.aborts = 0
        self.timeouts = 0

    def _trace(self, t: int, event: str, **fields) -> None:
        if self.sim.tracer.enabled:
            self.sim.trace(t, "fw", self.name, event, state=self.state, **fields)

    # -- the character device ------------------------------------------------------------------------
    def read_request(self) -> bytes:
        """``ssif_bmc_read``: the pending request (NetFn/LUN, Cmd, data)."""
        if not self.request_available:
            raise SsifBmcError("EAGAIN: no request available")
        self.request_available = False
        return bytes(self.request)

    def write_response(self, payload: bytes, t: int) -> None:
        """``ssif_bmc_write``: refused once the response timer has fired (the host has moved on)."""
        if not payload or len(payload) > IPMI_SSIF_PAYLOAD_MAX:
            raise SsifBmcError(f"EINVAL: response of {len(payload)} bytes")
        if not self.response_timer_inited:
            self._trace(t, "response-dropped", data=bytes(payload), why="the response timer fired first")
            raise SsifBmcError("EINVAL: the response timer fired; the request was abandoned")
        self._timer_gen += 1                               # del_timer
        self.response_timer_inited = False
        self.response = bytearray(payload)
        self.is_singlepart_read = len(payload) <= MAX_PAYLOAD_PER_TRANSACTION
        self.response_in_progress = True
        self.busy = False
        self.request = bytearray()
        self._trace(t, "response", data=bytes(payload))

    # -- the slave callback (ssif_bmc_cb) ----------------------------------------------------------------
    def slave_event(self, event: str, value: int, t: int) -> tuple[int, int]:
        """One I2C slave event; returns (ret, value): -EBUSY while waiting for the daemon."""
        if event == READ_REQUESTED:
            value = self._on_read_requested(t)
        elif event == WRITE_REQUESTED:
            self._on_write_requested(value)
        elif event == READ_PROCESSED:
            value = self._on_read_processed()
        elif event == WRITE_RECEIVED:
            self._on_write_received(value, t)
        elif event == STOP:
            self._on_stop(t)
        ret = -16 if not self.aborting and self.busy else 0
        return ret, value

    def _on_read_requested(self, t: int) -> int:
        if self.state in (READY, START, REQ_RECVING, RES_SENDING):
            self._trace(t, "unexpected", slave_event="READ REQUESTED")
            self.state = ABORTING
            return 0
        if self.state == SMBUS_CMD:
            if self.part_cmd not in (SINGLEPART_READ, MULTIPART_READ_START, MULTIPART_READ_MIDDLE):
                self.aborting = True
            self.state = ABORTING if self.aborting else RES_SENDING
        self.msg_idx = 0
        if not self.response_in_progress or self.state == ABORTING:
            return 0                                        # "Send 0 if there is nothing to send"
        if self.is_singlepart_read:
            self.part_len = len(self.response)
            self.part_payload[:] = bytes(self.response) + bytes(len(self.part_payload) - self.part_len)
        else:
            self._set_multipart_response_buffer()
        # calculate_response_part_pec: write address, command, read address, length, payload.
        a = (self.addr << 1) & 0xFF
        self.part_pec = smbus_pec(bytes((a, self.part_cmd, a | 1, self.part_len)) +
                                  bytes(self.part_payload[:self.part_len]))
        self.part_index = 0
        return self.part_len

    def _set_multipart_response_buffer(self) -> None:
        rsp, payload = self.response, self.part_payload
        if self.part_cmd == MULTIPART_READ_START:
            self.nbytes_processed = self.block_num = 0
            self.part_len = MAX_PAYLOAD_PER_TRANSACTION
            n = MAX_IPMI_DATA_PER_START_TRANSACTION
            self.remain_len = len(rsp) - n
            payload[0:2] = b"\x00\x01"
            payload[2:2 + n] = rsp[:n]
        elif self.part_cmd == MULTIPART_READ_MIDDLE:
            if self.remain_len <= MAX_IPMI_DATA_PER_MIDDLE_TRANSACTION:
                payload[:MAX_PAYLOAD_PER_TRANSACTION] = bytes(MAX_PAYLOAD_PER_TRANSACTION)
                self.part_len = self.remain_len + 1
                n = self.remain_len
                self.block_num = 0xFF
                payload[0] = 0xFF
            else:
                self.part_len = MAX_PAYLOAD_PER_TRANSACTION
                n = MAX_IPMI_DATA_PER_MIDDLE_TRANSACTION
                payload[0] = self.block_num
                self.block_num += 1
            self.remain_len -= n
            payload[1:1 + n] = rsp[self.nbytes_processed:self.nbytes_processed + n]
        else:
            return
        self.nbytes_processed += n

    def _on_read_processed(self) -> int:
        if self.state in (READY, START, REQ_RECVING, SMBUS_CMD):
            self.state = ABORTING
            return 0
        if not self.response_in_progress or self.state == ABORTING:
            return 0
        i = self.part_index
        if i < self.part_len:
            value = self.part_payload[i]
        elif i == self.part_len and self.pec_support:
            value = self.part_pec
        else:
            value = 0
        self.part_index += 1
        return value

    def _on_write_requested(self, value: int) -> None:
        if self.state in (READY, SMBUS_CMD):
            self.state = START
        elif self.state in (START, REQ_RECVING, RES_SENDING):
            self.state = ABORTING
            return
        self.msg_idx = 0

    def _on_write_received(self, value: int, t: int) -> None:
        st = self.state
        if st in (READY, RES_SENDING):
            self._trace(t, "unexpected", slave_event="WRITE RECEIVED")
            self.state = ABORTING
        elif st == START:
            self.state = SMBUS_CMD
        elif st == SMBUS_CMD:
            if self.part_cmd not in (SINGLEPART_WRITE, MULTIPART_WRITE_START, MULTIPART_WRITE_MIDDLE,
                                     MULTIPART_WRITE_END):
                self.aborting = True
            self.state = ABORTING if self.aborting else REQ_RECVING
        elif st == ABORTING and value in (SINGLEPART_WRITE, MULTIPART_WRITE_START):
            self.state = SMBUS_CMD
            self.aborting = False
        if self.state == REQ_RECVING:
            self._handle_write_received(value)
        elif self.state == SMBUS_CMD:
            self._process_smbus_cmd(value, t)

    def _handle_write_received(self, value: int) -> None:
        if self.msg_idx < 1 or self.msg_idx > MAX_TRANSACTION:
            return
        if self.msg_idx == 1:
            self.part_len, self.part_index = value, 0
        elif self.part_index < len(self.part_payload):
            self.part_payload[self.part_index] = value
            self.part_index += 1
        self.msg_idx += 1

    def _process_smbus_cmd(self, value: int, t: int) -> None:
        self.part_cmd = value
        self.msg_idx = 1
        self.part_payload[:] = bytes(len(self.part_payload))
        if value in (SINGLEPART_WRITE, MULTIPART_WRITE_START):
            # "The response maybe not come in-time, causing host SSIF driver to timeout and resend a
            # new request. In such case check for pending response and clear it"
            if self.response_in_progress:
                self._trace(t, "response-discarded", why="a new request came first")
                self._complete_response()
            self.aborting = False

    def _validate_request_part(self) -> bool:
        if self.part_index == self.part_len:
            self.pec_support = False
            return True
        if self.part_index != self.part_len + 1:
            return False
        self.pec_support = True
        a = (self.addr << 1) & 0xFF
        pec = smbus_pec(bytes((a, self.part_cmd, self.part_len)) + bytes(self.part_payload[:self.part_len]))
        return pec == self.part_payload[self.part_len]

    def _process_request_part(self) -> None:
        part = bytes(self.part_payload[:self.part_len])
        if self.part_cmd == SINGLEPART_WRITE:
            self.request = bytearray(part)
            return
        if self.part_cmd == MULTIPART_WRITE_START:
            self.request = bytearray()
        if len(self.request) + len(part) > IPMI_SSIF_PAYLOAD_MAX:
            self.aborting = True                            # "Request exceeded 254 bytes, aborting"
        else:
            self.request += part

    def _on_stop(self, t: int) -> None:
        st = self.state
        if st in (READY, START, SMBUS_CMD, ABORTING):
            self.state = READY
        elif st == REQ_RECVING:
            if self._validate_request_part():
                self._process_request_part()
                if self.part_cmd in (SINGLEPART_WRITE, MULTIPART_WRITE_END):
                    self._handle_request(t)
                self.state = READY
            else:
                self._trace(t, "invalid-pec")
                self.aborting = True
                self.aborts += 1
        elif st == RES_SENDING:
            if self.is_singlepart_read or self.block_num == 0xFF:
                self._complete_response()
            self.state = READY
        self.msg_idx = 0

    def _complete_response(self) -> None:
        self.response = bytearray()
        self.response_in_progress = False
        self.nbytes_processed = self.remain_len = 0
        self.busy = False

    def _handle_request(self, t: int) -> None:
        self.busy = True
        self.request_available = True
        self.response = bytearray()
        self._trace(t, "request", data=bytes(self.request))
        self.request_ready.notify(t)
        self.response_timer_inited = True
        self._timer_gen += 1
        jiffies = -(-RESPONSE_TIMEOUT_MS * 1_000_000 // self.jiffy)      # msecs_to_jiffies(500)
        due = (t // self.jiffy + jiffies) * self.jiffy
        self.sim.call_at(max(due, self.sim.now), self._response_timeout, self._timer_gen)

    def _response_timeout(self, gen: int) -> None:
        if gen != self._timer_gen or self.response_in_progress:
            return
        self.timeouts += 1
        self.busy = False
        self.response_timer_inited = False
        self.aborting = True
        self._trace(self.sim.now, "response-timeout")


class AspeedI2cSlave:
    """``i2c-aspeed`` in target mode on one bus, with ``SsifBmc`` as its slave backend."""

    def __init__(self, soc, bus_no: int, backend: SsifBmc, name: str | None = None):
        self.soc = soc
        self.sim = soc.sim
        self.cpu = soc.cpu
        self.base = soc.i2c_base(bus_no)
        self.irq = soc.i2c_irq(bus_no)
        self.backend = backend
        self.name = name or f"i2c-aspeed.{bus_no}"
        self.slave_state = "inactive"

    def _rd(self, reg: int):
        return self.cpu.mmio_read(self.base + reg)

    def _wr(self, reg: int, value: int):
        return self.cpu.mmio_write(self.base + reg, value)

    def probe(self):
        """Generator: ``aspeed_i2c_reg_slave``: the address, target mode on, the interrupts enabled."""
        yield from self._wr(DEV_ADDR, self.backend.addr)
        yield from self._wr(FUN_CTRL, SLAVE_EN)
        yield from self._wr(INTR_CTRL, SLAVE_INTERRUPTS)
        self.soc.intc.request_irq(self.irq, self._irq)
        if self.sim.tracer.enabled:
            self.sim.trace(self.cpu.t, "fw", self.name, "probed", addr=f"0x{self.backend.addr:02X}", irq=self.irq)

    def _event(self, event: str, value: int = 0):
        return self.backend.slave_event(event, value, self.cpu.t)

    def _stop_before_match(self, status: int) -> None:
        """"Handle stop conditions early, prior to SLAVE_MATCH": a STOP (or the NAK ending a read)
        coalesced with the next START reaches the backend before the new transaction does."""
        if status & INTR_NORMAL_STOP:
            self.slave_state = "stop"
        if status & INTR_TX_NAK and self.slave_state == "read-processed":
            self.slave_state = "stop"
        if self.slave_state == "stop":
            self._event(STOP)
            self.slave_state = "inactive"

    def _stop_after_match(self, status: int) -> None:
        """The older order looked at STOP after the address (here a STOP was handled already)."""

    def _irq(self):
        """Generator: ``aspeed_i2c_bus_irq`` -> ``aspeed_i2c_slave_irq``."""
        status = yield from self._rd(INTR_STS)
        if self.sim.tracer.enabled:
            self.sim.trace(self.cpu.t, "fw", self.name, "irq", status=f"0x{status:02X}", slave_state=self.slave_state)
        yield from self._wr(INTR_STS, status & ~INTR_RX_DONE)       # ack all but RX_DONE
        yield from self._rd(INTR_STS)
        self._stop_before_match(status)
        if status & INTR_SLAVE_MATCH:
            self.slave_state = "start"
        if self.slave_state != "inactive":
            yield from self._rd(CMD)
            if status & INTR_RX_DONE:
                value = (yield from self._rd(BYTE_BUF)) >> 8 & 0xFF
                if self.slave_state == "start":
                    self.slave_state = "read-requested" if value & 1 else "write-requested"
            else:
                value = 0
            self._stop_after_match(status)
            st = self.slave_state
            if st == "read-requested":
                self.slave_state = "read-processed"
                _ret, byte = self._event(READ_REQUESTED)
                yield from self._wr(BYTE_BUF, byte)
                yield from self._wr(CMD, CMD_S_TX)
            elif st == "read-processed":
                if status & INTR_TX_ACK:
                    _ret, byte = self._event(READ_PROCESSED)
                    yield from self._wr(BYTE_BUF, byte)
                    yield from self._wr(CMD, CMD_S_TX)
            elif st == "write-requested":
                self.slave_state = "write-received"
                ret, _v = self._event(WRITE_REQUESTED, value)
                if ret < 0:
                    yield from self._wr(CMD, CMD_M_S_RX_LAST)      # NAK the next byte
            elif st == "write-received":
                self._event(WRITE_RECEIVED, value)
            elif st == "stop":
                self._event(STOP)
                self.slave_state = "inactive"
        if status & INTR_RX_DONE:
            yield from self._wr(INTR_STS, INTR_RX_DONE)             # ack RX_DONE last: SCL runs again
            yield from self._rd(INTR_STS)


@variant(AspeedI2cSlave, "i2c-aspeed-stop-after-match",
         "before 'i2c: aspeed: Handle the coalesced stop conditions with the start conditions.' (2023)")
class StopAfterMatch(AspeedI2cSlave):
    """The STOP bit was looked at after SLAVE_MATCH and the address: with the two coalesced, the
    state became "stop" over the new transaction's "write-requested", the backend got the old STOP
    and never the new START, and the new transaction's bytes fell on an inactive target."""

    def _stop_before_match(self, status: int) -> None:
        return

    def _stop_after_match(self, status: int) -> None:
        if status & INTR_NORMAL_STOP:
            self.slave_state = "stop"
        if status & INTR_TX_NAK and self.slave_state == "read-processed":
            self.slave_state = "stop"


@variant(SsifBmc, "ssif-bmc-request-lost-on-pending-response",
         "before 'ipmi: ssif_bmc: Fix new request loss when bmc ready for a response' (6.14)")
class RequestLostOnPendingResponse(SsifBmc):
    """complete_response() also wiped the part buffer -- and with it the SMBus command byte that
    process_smbus_cmd had just stored for a new request, so that request was never handled."""

    def _complete_response(self) -> None:
        super()._complete_response()
        self.part_cmd, self.part_len, self.part_index = 0, 0, 0
