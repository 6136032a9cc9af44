"""BMC firmware: the channel drivers and the bridge daemons behind them (OpenBMC-like).

The full-stack way to put a system interface behind its register block
(the ideal, QEMU-like ways are ``bmc.kcs_ideal`` and ``bmc.bt_ideal``):

- ``FullStackKcs``: the SoC's KCS driver (``kcs_bmc_aspeed`` or
  ``kcs_bmc_npcm7xx``) takes each IBF interrupt after the CPU's interrupt
  latency and runs the KCS engine (``kcs_bmc_cdev_ipmi``) with a cost per
  MMIO access; whole requests go to ``kcsbridged`` -> D-Bus -> ``ipmid``;
- ``FullStackBt``: ``bt-bmc`` on the ASPEED iBT; ``btbridged`` reads whole
  frames from ``/dev/ipmi-bt-host``, strips the BT framing, asks ipmid and
  writes the framed answer back.  ipmid answers Get BT Interface
  Capabilities on this channel (``bt_capabilities``), as phosphor does.

Either bridge pays ``daemon_latency`` plus the command's cost per request.
"""

from __future__ import annotations

from dataclasses import dataclass

from simpy import Interrupt

from buses import Hop
from buses.time import S, ms
from buses.variant import compose, variant
from soc.bt import SMS_ATN

from .bt_aspeed import AspeedBtDriver, BtBmcError
from .channel import ChannelBase
from .ipmi.bt import bt_capabilities
from .ipmi.msg import ChannelProtocol
from .kcs_aspeed import BMC_KERNELS, AspeedKcsDriver
from .kcs_engine import KcsEngineError, KcsIpmiEngine


@dataclass(frozen=True)
class FirmwareTiming:
    """How long the BMC's userspace takes, per request.

    ``daemon_latency`` is the bridge round trip (kcsbridged, D-Bus, ipmid
    wake-ups) paid by every request on top of the command's own cost.
    """

    daemon_latency: int = ms(2)
    kernel: str = "6.12"                 # the BMC's Linux (read_poll_timeout_atomic differs: see kcs_aspeed)
    hz: int = 100                        # the BMC kernel's CONFIG_HZ (ARM's default; aspeed_g5_defconfig keeps it)
    variants: tuple[str, ...] = ()       # named BMC-side variants (buses.variant), composed where each part is built

    def __post_init__(self):
        if self.kernel not in BMC_KERNELS:
            raise ValueError(f"firmware kernel: {self.kernel!r} is not one of {', '.join(BMC_KERNELS)}")
        if not 0 < self.hz <= 1000 or S % self.hz:
            raise ValueError(f"firmware hz: {self.hz} must divide 1 s and be in 1..1000")


class FullStackKcs(ChannelBase):
    """``kcs_bmc_aspeed`` + ``kcs_bmc_cdev_ipmi`` + a daemon, on a SoC."""

    protocol = ChannelProtocol.KCS

    def __init__(self, sim, soc, core, si, sirq: int = 0, timing: FirmwareTiming | None = None,
                 name: str | None = None, driver=AspeedKcsDriver):
        # si: the preset's SystemInterface (its SoC channel number and host I/O address);
        # driver: the SoC's KCS device driver class (device ops + probe + interrupt).
        channel, io_addr = si.channel, si.address
        self.sim = sim
        self.soc = soc
        self.core = core
        self.to_core = Hop(core.submit, f"kcs{channel}.core")
        self.timing = timing or FirmwareTiming()
        self.driver = compose(driver, self.timing.variants)(soc, channel, io_addr, sirq)
        self.driver.configure_kernel(self.timing.kernel, self.timing.hz)
        self.block = self.driver.block
        self.engine = compose(KcsIpmiEngine, self.timing.variants)(sim, self.driver, name or f"ipmi-kcs{channel}")
        self.driver.client_event = self.engine.event    # kcs_bmc_ipmi_event: the client's event()
        self.ready = sim.env.event()
        self.dropped_responses = 0
        self.served = 0
        self._atn = False
        soc.cpu.post(self._probe, sim.now, latency=0)
        sim.process(self._daemon())

    def _probe(self):
        yield from self.driver.probe()
        yield from self.engine.open()           # the daemon opens /dev/ipmi-kcsN
        self.sim.trigger_at(self.ready, self.soc.cpu.t)

    def restart_daemon(self, gap: int) -> None:
        """kcsbridged exits and comes back ``gap`` later: the device is closed meanwhile."""
        self.soc.cpu.post(self.engine.release, self.sim.now, latency=0)
        self.soc.cpu.post(self.engine.open, self.sim.now + gap, latency=0)

    def _daemon(self):
        env = self.sim.env
        engine = self.engine
        while True:
            if not engine.data_in_avail:
                yield engine.request_ready.wait()
            try:
                request = engine.read_request()
            except KcsEngineError:
                # EAGAIN with the old request still flagged: the real daemon spins on poll()/read()
                # until the host's next WRITE_END; nothing changes before it, so wait for that.
                yield engine.request_ready.wait()
                continue
            cost = self.timing.daemon_latency + self.core.cost_ns(request[0] >> 2, request[1])
            yield env.timeout(cost)
            self.to_core.call(request, env.now, self._answered)

    def _answered(self, response: bytes, t: int) -> None:
        self.served += 1
        self.soc.cpu.post(lambda: self._write(response), t, latency=0)

    def _write(self, response: bytes):
        try:
            yield from self.engine.write_response(response)
        except KcsEngineError:
            self.dropped_responses += 1

    # -- what the BMC core calls ------------------------------------------------------------------
    def set_atn(self, on: bool, irq: bool, t: int) -> None:
        if on == self._atn:
            return
        self._atn = on
        self.soc.cpu.post(lambda: self.engine.set_sms_atn(on), t, latency=0)

    def set_irq_enable(self, on: bool, t: int) -> None:
        # The SerIRQ is wired by the driver at probe; global enables do not gate it.
        return

    def stop_servicing(self) -> None:
        """The firmware dies: the KCS interrupt is masked and IBF is never read again."""
        self.soc.intc.disable(self.driver.irq)

    def start_servicing(self) -> None:
        """The firmware is back: the interrupt is unmasked and a pending IBF is taken."""
        self.soc.intc.enable(self.driver.irq)


# phosphor-host-ipmid's Get BT Interface Capabilities: 1 outstanding request, 63-byte buffers
# (the 64-byte iBT FIFO less the length byte), 10 s request-to-response, 1 retry.
PHOSPHOR_BT_CAPS = bt_capabilities(1, 0x3F, 0x3F, 10, 1)


class FullStackBt(ChannelBase):
    """``bt-bmc`` + ``btbridged`` on an ASPEED SoC's iBT."""

    protocol = ChannelProtocol.BT_15

    def __init__(self, sim, soc, core, si, sirq: int = 0, timing: FirmwareTiming | None = None,
                 name: str = "btbridged"):
        self.sim = sim
        self.soc = soc
        self.core = core
        self.name = name
        self.to_core = Hop(core.submit, f"{name}.core")
        self.timing = timing or FirmwareTiming()
        # bt-bmc takes its BMC-side interrupt when the device tree gives one (always, on these SoCs);
        # the host-side SerIRQ is the driver's fixed 10, routed only when the host uses interrupts.
        self.driver = compose(AspeedBtDriver, self.timing.variants)(soc, use_irq=True, io_addr=si.address, sirq=sirq)
        self.block = self.driver.block
        self.ready = sim.env.event()
        self.served = 0
        self.bad_frames = 0
        self.timeouts = 0                   # requests answered 0xCE by the daemon's own timer
        self.dropped_responses = 0
        soc.cpu.post(self._probe, sim.now, latency=0)
        self.proc = sim.process(self._daemon())

    def bt_capabilities(self) -> bytes:
        return PHOSPHOR_BT_CAPS

    def _trace(self, event: str, **fields) -> None:
        if self.sim.tracer.enabled:
            self.sim.trace(self.sim.now, "fw", self.name, event, **fields)

    def _probe(self):
        yield from self.driver.probe()

    def _daemon(self):
        try:
            yield from self._serve()
        except Interrupt:
            # The daemon died: its file is released, which sets B_BUSY for the host to see.
            self._trace("stopped")
            yield from self.driver.release()

    def _serve(self):
        env = self.sim.env
        yield from self.driver.open()             # btbridged opens /dev/ipmi-bt-host: B_BUSY clears
        if not self.ready.triggered:
            self.sim.trigger_at(self.ready, max(self.soc.cpu.t, env.now))
        while True:
            try:
                frame = yield from self.driver.read()
            except BtBmcError as err:
                self._trace("read-failed", why=str(err))
                continue
            if len(frame) < 4:
                self.bad_frames += 1
                self._trace("bad-frame", frame=frame, why="shorter than len, netfn, seq, cmd")
                continue
            seq, request = frame[2], bytes((frame[1],)) + frame[3:]
            expiry = env.timeout(BT_BMC_TIMEOUT)          # armed when the request is queued
            yield env.timeout(self.timing.daemon_latency + self.core.cost_ns(request[0] >> 2, request[1]))
            answered = env.event()
            self.to_core.call(request, env.now, lambda rsp, t, ev=answered: self.sim.trigger_at(ev, t, rsp))
            if not expiry.processed:
                yield answered | expiry
            if answered.triggered:
                response = answered.value
            else:
                # dispatch_timer: "Command response could not be provided"; a later answer is dropped.
                response = bytes((request[0] | 0x04, request[1], CC_RESPONSE_NOT_AVAILABLE))
                self.timeouts += 1
                self._trace("request-expired", seq=seq, request=request)
            out = bytes((len(response) + 1, response[0] if response else 0, seq)) + response[1:]
            try:
                yield from self.driver.write(out)
                self.served += 1
            except BtBmcError as err:
                self.dropped_responses += 1
                self._trace("write-failed", why=str(err), frame=out)

    # -- what the BMC core calls ------------------------------------------------------------------
    def set_atn(self, on: bool, irq: bool, t: int) -> None:
        # The SMS_ATN ioctl sets the bit; only the host clears it.
        if on and not self.block.ctrl & SMS_ATN:
            self.soc.cpu.post(self.driver.set_sms_atn, t, latency=0)

    def stop_servicing(self) -> None:
        """btbridged dies: nobody reads the interface, and the released device shows B_BUSY."""
        if self.proc.is_alive:
            self.proc.interrupt("btbridged stopped")

    def start_servicing(self) -> None:
        """btbridged is started again: it opens the device (B_BUSY clears) and serves."""
        if not self.proc.is_alive:
            self.proc = self.sim.process(self._daemon())


# btbridged's BT_BMC_TIMEOUT_SEC: a request ipmid has not answered by then is answered 0xCE.
BT_BMC_TIMEOUT = 5 * S

# ssifbridged (openbmc/ssifbridge, 2025): it answers Get System Interface Capabilities for SSIF itself --
# eight bytes, the last one the zero its length field counts in -- and keeps the host alive with 0xCE
# when ipmid has not answered within hostReqTimeout.
SSIFBRIDGED_SYS_IF_CAPS = bytes.fromhex("1C 57 00 00 80 FF FF 00")
SSIFBRIDGED_DBUS_TIMEOUT = 60 * S       # dbusTimeout, 60000000 us
SSIFBRIDGED_HOST_REQ_TIMEOUT = S * 14
CC_RESPONSE_NOT_AVAILABLE = 0xCE


class FullStackSsif(ChannelBase):
    """``i2c-aspeed`` in target mode + ``ssif_bmc`` + ``ssifbridged`` on an ASPEED SoC's I2C bus.

    The host's SMBus segment (``smbus``) is wired to the SoC's I2C bus ``si.channel``; the bus
    controller is the host's target at ``si.address``.  ssifbridged reads requests from
    ``/dev/ipmi-ssif-host`` as they come (its D-Bus calls overlap), answers Get System Interface
    Capabilities itself, and writes back only the answer to the *last* request read, when no other
    is outstanding; after 14 s without one it writes 0xCE for the last request.  ``ssif_bmc``
    refuses any write once its own 500 ms timer has abandoned the request.
    """

    protocol = ChannelProtocol.IPMI_SMBUS

    def __init__(self, sim, soc, core, si, sirq: int = 0, timing: FirmwareTiming | None = None,
                 name: str = "ssifbridged", smbus=None):
        from .ssif_bmc import AspeedI2cSlave, SsifBmc

        if smbus is None:
            raise ValueError("ssif: the full-stack SSIF channel needs the host's SMBus segment")
        self.sim = sim
        self.soc = soc
        self.core = core
        self.name = name
        self.timing = timing or FirmwareTiming()
        self.to_core = Hop(core.submit, f"{name}.core")
        self.block = soc.i2c_bus(si.channel)
        smbus.attach(si.address, self.block)
        variants = self.timing.variants
        self.ssif = compose(SsifBmc, variants)(sim, si.address, S // self.timing.hz, f"ssif-bmc.{si.channel}")
        self.driver = compose(AspeedI2cSlave, variants)(soc, si.channel, self.ssif)
        self.ready = sim.env.event()
        self.serving = True
        self.served = 0
        self.dropped_responses = 0        # dropped by ssifbridged (not the last request) or refused by ssif_bmc
        self.prev_req = None              # (netfn, lun, cmd) of the last request read
        self.not_responded = 0            # numberOfReqNotRsp
        self.timed_out = False
        self._timer_gen = 0
        soc.cpu.post(self._probe, sim.now, latency=0)
        self.proc = sim.process(self._daemon())

    def _trace(self, event: str, **fields) -> None:
        if self.sim.tracer.enabled:
            self.sim.trace(self.sim.now, "fw", self.name, event, **fields)

    def _probe(self):
        yield from self.driver.probe()
        self.sim.trigger_at(self.ready, self.soc.cpu.t)

    def _daemon(self):
        """``processMessage``: each request read starts the 14 s timer and a D-Bus call of its own."""
        from .ssif_bmc import SsifBmcError

        ssif = self.ssif
        while True:
            if not ssif.request_available or not self.serving:
                yield ssif.request_ready.wait()
                continue
            try:
                request = ssif.read_request()
            except SsifBmcError:
                continue
            netfn, lun, cmd = request[0] >> 2, request[0] & 3, request[1]
            self.prev_req = (netfn, lun, cmd)
            self.not_responded += 1
            self.timed_out = False
            self._timer_gen += 1
            self.sim.call_at(self.sim.now + SSIFBRIDGED_HOST_REQ_TIMEOUT, self._rsp_timer, self._timer_gen)
            if netfn == 0x06 and cmd == 0x57 and len(request) > 2 and request[2] == 0x00:
                self.not_responded -= 1                     # handleGetSysIfCap
                self._timer_gen += 1
                self._write_at(SSIFBRIDGED_SYS_IF_CAPS, self.sim.now)
                continue
            self.sim.process(self._dbus_call(request))

    def _dbus_call(self, request: bytes):
        """``async_method_call_timed`` with ``dbusTimeout`` (60 s): a call ipmid never answers ends in an
        error that afterMethodCall only counts down -- until then every answer is dropped."""
        env = self.sim.env
        yield env.timeout(self.timing.daemon_latency + self.core.cost_ns(request[0] >> 2, request[1]))
        call = [False]                                      # done: answered or timed out

        def answered(response: bytes, t: int) -> None:
            if not call[0]:                                 # sd-bus drops a reply after the timeout
                call[0] = True
                self._after_method_call(response, t)
        self.to_core.call(request, env.now, answered)
        yield env.timeout(SSIFBRIDGED_DBUS_TIMEOUT)
        if not call[0]:
            call[0] = True
            self.not_responded -= 1
            self._trace("dbus-timeout", request=bytes(request), outstanding=self.not_responded)

    def _after_method_call(self, response: bytes, t: int) -> None:
        """``afterMethodCall``: only the answer to the last request, with nothing else outstanding."""
        self.not_responded -= 1
        # ipmid's D-Bus answer always names NetFn/LUN and Cmd; a crafted one without them matches nothing.
        who = (response[0] >> 2, response[0] & 3, response[1]) if len(response) >= 2 else None
        if self.timed_out or who is None or self.prev_req != (who[0] - 1, who[1], who[2]) or self.not_responded:
            self.dropped_responses += 1
            self._trace("response-dropped", rsp=bytes(response), outstanding=self.not_responded)
            return
        self.served += 1
        self._timer_gen += 1                                # rspTimer.cancel()
        self._write_at(response, t)

    def _rsp_timer(self, gen: int) -> None:
        if gen != self._timer_gen or self.prev_req is None:
            return
        netfn, lun, cmd = self.prev_req
        self.timed_out = True
        self._trace("keep-alive", cc=f"0x{CC_RESPONSE_NOT_AVAILABLE:02X}")
        self._write_at(bytes(((netfn + 1) << 2 | lun, cmd, CC_RESPONSE_NOT_AVAILABLE)), self.sim.now)

    def _write_at(self, response: bytes, t: int) -> None:
        self.soc.cpu.post(lambda: self._write(response), t, latency=0)

    def _write(self, response: bytes):
        from .ssif_bmc import SsifBmcError

        try:
            self.ssif.write_response(response, self.soc.cpu.t)
        except SsifBmcError:
            self.dropped_responses += 1
        return
        yield

    def stop_servicing(self) -> None:
        """ssifbridged stops reading requests: ssif_bmc's response timer abandons each one."""
        self.serving = False

    def start_servicing(self) -> None:
        self.serving = True
        if self.ssif.request_available:
            self.ssif.request_ready.notify(self.sim.now)


@variant(FullStackSsif, "ssifbridge-forward-every-answer",
         "ssifbridge before 'Fix host ssif driver unable to create /dev/ipmi0 interface'")
class ForwardEveryAnswer(FullStackSsif):
    """The older bridge wrote back every answer ipmid gave, whichever request it was for."""

    def _after_method_call(self, response: bytes, t: int) -> None:
        self.not_responded -= 1
        self.served += 1
        self._timer_gen += 1
        self._write_at(response, t)
