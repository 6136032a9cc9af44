"""BMC firmware: the channel drivers and the IPMI daemon behind them.

The full-stack way to put the KCS engine and command set behind a register
block (the ideal, QEMU-like way is ``bmc.kcs_ideal``):

- ``FullStackKcs``: an OpenBMC-like stack on a SoC.  The SoC channel driver
  (``kcs_bmc_aspeed``) takes each IBF interrupt after the CPU's interrupt
  latency and runs the engine with a cost per MMIO access; whole requests go
  to a daemon (``kcsbridged`` -> D-Bus -> ``ipmid``) that answers after its
  latency plus the command's processing cost.
"""

from __future__ import annotations

from dataclasses import dataclass

from buses import Hop
from buses.time import ms

from .channel import ChannelBase
from .ipmi.msg import ChannelProtocol
from .kcs_aspeed import AspeedKcsDriver
from .kcs_engine import EVENT_IBF, KcsEngineError, KcsIpmiEngine


@dataclass(frozen=True)
class FirmwareTiming:
    """How long the BMC's userspace takes, per request.

    ``daemon_latency`` is the bridge round trip (kcsbridged, D-Bus, ipmid
    wake-ups) paid by every request on top of the command's own cost.
    """

    daemon_latency: int = ms(2)


class FullStackKcs(ChannelBase):
    """``kcs_bmc_aspeed`` + ``kcs_bmc_cdev_ipmi`` + a daemon, on a SoC."""

    protocol = ChannelProtocol.KCS

    def __init__(self, sim, soc, core, si, sirq: int = 0, timing: FirmwareTiming | None = None,
                 name: str | None = None):
        # si: the preset's SystemInterface (its SoC channel number and host I/O address).
        channel, io_addr = si.channel, si.address
        self.sim = sim
        self.soc = soc
        self.core = core
        self.to_core = Hop(core.submit, f"kcs{channel}.core")
        self.timing = timing or FirmwareTiming()
        self.driver = AspeedKcsDriver(soc, channel, io_addr, sirq)
        self.block = self.driver.block
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
        self.soc.gic.disable(self.driver.spi)

    def start_servicing(self) -> None:
        """The firmware is back: the interrupt is unmasked and a pending IBF is taken."""
        self.soc.gic.enable(self.driver.spi)
