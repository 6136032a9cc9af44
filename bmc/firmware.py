"""BMC firmware: the channel drivers and the IPMI daemon behind them.

Two ways to put the same KCS engine and command set behind a register block:

- ``IdealKcs``: QEMU-like.  The engine runs inside the host's register
  access and the command is answered at once: no firmware, no time.
- ``FullStackKcs``: an OpenBMC-like stack on a SoC.  The SoC channel driver
  (``kcs_bmc_aspeed``) takes each IBF interrupt after the CPU's interrupt
  latency and runs the engine with a cost per MMIO access; whole requests go
  to a daemon (``kcsbridged`` -> D-Bus -> ``ipmid``) that answers after its
  latency plus the command's processing cost.
"""

from __future__ import annotations

from dataclasses import dataclass

from buses.time import ms

from .ipmi.kcs import STATUS_SMS_ATN
from .kcs_aspeed import AspeedKcsDriver
from .kcs_engine import EVENT_IBF, KcsEngineError, KcsIpmiEngine
from .kcs_ideal import IdealKcsOps, run_now

# ipmid's identity as a KCS channel (Get Channel Info protocol type 0x05 = KCS).
KCS_CHANNEL_PROTOCOL = 0x05


@dataclass(frozen=True)
class FirmwareTiming:
    """How long the BMC's userspace takes, per request.

    ``daemon_latency`` is the bridge round trip (kcsbridged, D-Bus, ipmid
    wake-ups) paid by every request on top of the command's own cost.
    """

    daemon_latency: int = ms(2)


class IdealKcs:
    """The engine behind a block with no firmware latency (``isa-ipmi-kcs`` + ``ipmi-bmc-sim``)."""

    protocol = KCS_CHANNEL_PROTOCOL

    def __init__(self, sim, block, ipmid, use_irq: bool = False, name: str = "kcs-bmc"):
        self.sim = sim
        self.block = block
        self.ipmid = ipmid
        self.use_irq = use_irq
        self.ops = IdealKcsOps(block)
        self.engine = KcsIpmiEngine(sim, self.ops, name)
        self.engine.on_request = self._answer
        block.on_host_write = self._host_wrote
        self.serving = True

    def _host_wrote(self, t: int) -> None:
        if not self.serving:
            return
        self.ops.t = t
        run_now(self.engine.event())

    def _answer(self):
        request = self.engine.read_request()
        yield from self.engine.write_response(self.ipmid.handle(request, t=self.ops.t))

    # -- what the BMC core calls ----------------------------------------------------------------
    def set_atn(self, on: bool, irq: bool, t: int) -> None:
        if bool(self.block.status & STATUS_SMS_ATN) == on:
            return
        self.ops.t = max(t, self.sim.now)
        run_now(self.engine.set_sms_atn(on))
        if on and irq:
            self.block.raise_atn_irq(self.ops.t)

    def set_irq_enable(self, on: bool, t: int) -> None:
        self.block.set_obf_irq_enable(on and self.use_irq, t)

    def stop_servicing(self) -> None:
        """Firmware stops answering: nobody reads IDR any more and IBF stays set."""
        self.serving = False


class FullStackKcs:
    """``kcs_bmc_aspeed`` + ``kcs_bmc_cdev_ipmi`` + a daemon, on a SoC."""

    protocol = KCS_CHANNEL_PROTOCOL

    def __init__(self, sim, soc, ipmid, channel: int, io_addr: int, sirq: int = 0,
                 timing: FirmwareTiming | None = None, name: str | None = None):
        self.sim = sim
        self.soc = soc
        self.ipmid = ipmid
        self.timing = timing or FirmwareTiming()
        self.driver = AspeedKcsDriver(soc, channel, io_addr, sirq)
        self.engine = KcsIpmiEngine(sim, self.driver, name or f"ipmi-kcs{channel}")
        self.driver.client_event = self._event
        self.ready = sim.env.event()
        self.dropped_responses = 0
        self.served = 0
        self._atn = False
        soc.cpu.post(self._probe, sim.now, latency=0)
        sim.process(self._daemon())

    def _probe(self):
        yield from self.driver.probe()
        # The daemon opens /dev/ipmi-kcsN: the client enables the IBF interrupt.
        yield from self.driver.irq_mask_update(EVENT_IBF, EVENT_IBF)
        self.sim.trigger_at(self.ready, self.soc.cpu.t)

    def _event(self):
        yield from self.engine.event()

    def _daemon(self):
        env = self.sim.env
        engine = self.engine
        while True:
            if not engine.data_in_avail:
                yield engine.request_ready.wait()
            try:
                request = engine.read_request()
            except KcsEngineError:
                continue
            cost = self.timing.daemon_latency + self.ipmid.cost_ns(request[0] >> 2, request[1])
            yield env.timeout(cost)
            response = self.ipmid.handle(request)
            self.served += 1
            self.soc.cpu.post(lambda r=response: self._write(r), env.now, latency=0)

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
        self.soc.gic.enabled.discard(self.driver.spi)
