"""A world: one host and one BMC on one simulated clock, assembled from a preset."""

from __future__ import annotations

from bmc.bmc import Bmc
from bmc.firmware import FullStackKcs, IdealKcs
from bmc.ipmid import Ipmid
from bmc.sensors import install_default_sensors
from bmc.vm.extern import extern_kcs
from buses import IoSpace, Simulation
from buses.time import s
from soc.ast2600 import Ast2600
from soc.kcs import KcsBlock
from vserver.host import Host
from vserver.si import SiConfig

from .presets import Preset, get_preset


class World:
    """Build with ``World("ast2600", seed=1)``; drive with ``request()`` or your own processes."""

    def __init__(self, preset: str | Preset = "isa-ipmi-kcs", seed: int = 0, trace: bool = False,
                 use_irq: bool = False, si: SiConfig | None = None, layers: tuple[str, ...] | None = None,
                 firmware=None, host_kwargs: dict | None = None, bmc_kwargs: dict | None = None,
                 bmc: str = "sim", extern=None, default_sensors: bool = True):
        # bmc="extern": the interface is answered by a remote BMC over the VM protocol (bmc.vm.extern);
        # extern is its address ("host:port", "unix:/path") or an ExternConfig.
        # default_sensors: the default server's sensor set (bmc.sensors.defaults); a config brings its own.
        self.preset = get_preset(preset) if isinstance(preset, str) else preset
        p = self.preset
        if bmc not in ("sim", "extern") or (bmc == "extern" and p.fidelity != "ideal"):
            raise ValueError(f"bmc: {bmc!r} is not 'sim' or 'extern' (extern needs an ideal preset, not {p.name})")
        self.sim = Simulation(seed=seed, trace=trace, layers=layers)
        sim = self.sim
        self.io = IoSpace(sim, p.bus)
        self.host = Host(sim, self.io, **(host_kwargs or {}))
        self.bmc = Bmc(sim, host=self.host, **(bmc_kwargs or {}))
        self.ipmid = Ipmid(sim, self.bmc)
        if default_sensors:
            install_default_sensors(self.bmc)
        self.use_irq = use_irq
        self.si_config = si or SiConfig(use_irq=use_irq)
        self.host_attached = sim.env.event()   # the host's IPMI driver stack exists
        if p.fidelity == "ideal":
            self.soc = None
            self.block = KcsBlock(sim, p.name)
            self.io.map(p.io_base, 2, self.block, p.name)
            if bmc == "extern":
                self.channel = extern_kcs(sim, self.block, self.host, extern, use_irq=bool(p.host_irq) and use_irq)
                self.extern = self.channel.extern
            else:
                self.channel = IdealKcs(sim, self.block, self.ipmid, use_irq=bool(p.host_irq) and use_irq)
                self.bmc.attach_interface(self.channel)
            self._start_host()
        else:
            self.soc = Ast2600(sim, self.io)
            self.block = self.soc.lpc.kcs[p.kcs_channel]
            self.channel = FullStackKcs(sim, self.soc, self.ipmid, p.kcs_channel, p.io_base,
                                        sirq=p.host_irq if use_irq else 0, timing=firmware or p.firmware)
            self.bmc.attach_interface(self.channel)
            # The host's driver loads once the BMC has brought its channel up.
            self.channel.ready.callbacks.append(lambda _e: self._start_host())

    @classmethod
    def from_config(cls, config=None, **overrides) -> World:
        """A world from a TOML file, a dict or a ``WorldConfig`` (``scenarios.config``); None: the default server."""
        from .config import build_world

        return build_world(config, **overrides)

    def _start_host(self) -> None:
        irq_line = self.block.host_irq if self.use_irq else None
        self.host.attach_kcs(self.preset.io_base, self.si_config, irq_line=irq_line)
        self.host_attached.succeed()

    # -- driving -----------------------------------------------------------------------------
    def boot(self, limit: int = s(60)) -> bool:
        """Run until the host driver finished its start-up; returns whether it found the BMC."""
        def wait():
            yield self.host_attached
            return (yield self.host.si.ready)
        return self.sim.run_process(wait(), limit=limit)

    def request(self, netfn: int, cmd: int, data: bytes = b"", limit: int = s(120), **kw):
        """Send one request from the host and run the simulation until it completes."""
        def go():
            if self.host.ipmi is None:
                yield self.host_attached
            return (yield from self.host.ipmi.request(netfn, cmd, data, **kw))
        return self.sim.run_process(go(), limit=limit)
