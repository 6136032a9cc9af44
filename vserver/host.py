"""The simulated server: power, reset and NMI wires, the CPU, and the IPMI driver stack."""

from __future__ import annotations

from bmc.ipmi.kcs import KCS_DEFAULT_DATA_PORT, KCS_STATUS_OFFSET

from .cpu import HostCpu
from .kcs_sm import KcsIo, KcsSm
from .msghandler import IpmiMsgHandler
from .si import SiConfig, SmiInterface


class Host:
    """One server.  ``host.ipmi.request(netfn, cmd, data)`` is the user API.

    The host is also the BMC's ``HostControl``: power and reset requests from
    the BMC land here at the instant they take effect and are recorded in
    ``power_events``.
    """

    def __init__(self, sim, io_space, name: str = "host", cpu_kwargs: dict | None = None):
        self.sim = sim
        self.name = name
        self.io_space = io_space
        self.cpu = HostCpu(sim, io_space, f"{name}.cpu", **(cpu_kwargs or {}))
        self.power_on_state = True
        self.power_events: list[tuple[int, str]] = []
        self.nmis: list[int] = []
        self.si: SmiInterface | None = None
        self.ipmi: IpmiMsgHandler | None = None

    def attach_kcs(self, base: int = KCS_DEFAULT_DATA_PORT, config: SiConfig | None = None, irq_line=None,
                   regspacing: int = 1) -> IpmiMsgHandler:
        """Load ``ipmi_si`` for a KCS interface at ``base`` (and its interrupt, if any)."""
        sm = KcsSm(self.sim, KcsIo(self.cpu, base, regspacing))
        cfg = config or SiConfig(use_irq=irq_line is not None)
        self.si = SmiInterface(self.sim, self.cpu, sm, cfg, name="ipmi_si",
                               watch_port=base + KCS_STATUS_OFFSET * regspacing)
        if irq_line is not None and cfg.use_irq:
            self.cpu.attach_irq(irq_line, self.si.irq)
        self.ipmi = IpmiMsgHandler(self.sim, self.si)
        return self.ipmi

    # -- HostControl ------------------------------------------------------------------------
    def _event(self, t: int, what: str) -> None:
        self.power_events.append((t, what))
        self.sim.trace(t, "host", self.name, what)

    def power_off(self, t: int) -> None:
        self.power_on_state = False
        self._event(t, "power-off")

    def power_on(self, t: int) -> None:
        self.power_on_state = True
        self._event(t, "power-on")

    def power_cycle(self, t: int) -> None:
        self._event(t, "power-cycle")
        self.power_on_state = True

    def hard_reset(self, t: int) -> None:
        self._event(t, "hard-reset")

    def pulse_diag_interrupt(self, t: int) -> None:
        self.nmis.append(t)
        self._event(t, "diag-interrupt")

    def soft_shutdown(self, t: int) -> None:
        self.power_on_state = False
        self._event(t, "soft-shutdown")

    def nmi(self, t: int) -> None:
        self.nmis.append(t)
        self._event(t, "nmi")

    def smi(self, t: int) -> None:
        self._event(t, "smi")
