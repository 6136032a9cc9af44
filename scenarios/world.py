"""A world: one host and one BMC on one simulated clock, assembled from a preset's parts.

The preset names the parts (``scenarios.presets``); the factory tables in
``scenarios.parts`` build them.  Two attachments exist:

- **ideal**: the interface's register block sits on the host's bus (ISA
  ports, or a PCI function's I/O BAR) and its QEMU-like channel hands
  whole requests to the BMC core, the in-process ``Ipmid`` or a remote
  BMC over the VM protocol;
- **firmware**: a BMC SoC places its own blocks on its LPC bus; the
  firmware channel (SoC driver, engine, bridge daemon) serves the block
  and the host's driver loads once the channel is up.
"""

from __future__ import annotations

import dataclasses

from bmc.bmc import Bmc
from bmc.ipmid import Ipmid
from bmc.sensors import install_default_sensors
from bmc.vm.extern import extern_bmc
from buses import IoSpace, Simulation
from buses.cycle_trace import trace_io, trace_mmio
from buses.time import s
from buses.variant import check, compose
from vserver.host import Host
from vserver.si import SiConfig
from vserver.sm import SiDevice

from . import parts
from .presets import Preset, get_preset

LAN_CHANNEL = 1


class World:
    """Build with ``World("ast2600", seed=1)``; drive with ``request()`` or your own processes."""

    def __init__(self, preset: str | Preset = "isa-ipmi-kcs", seed: int = 0, trace: bool = False,
                 use_irq: bool = False, si: SiConfig | None = None, layers: tuple[str, ...] | None = None,
                 firmware=None, host_kwargs: dict | None = None, bmc_kwargs: dict | None = None,
                 bmc: str = "sim", extern=None, default_sensors: bool = True, interface: str | None = None,
                 variants: tuple[str, ...] = (), show_polls: bool = False):
        # bmc="extern": the interface is answered by a remote BMC over the VM protocol (bmc.vm.extern);
        # extern is its address ("host:port", "unix:/path") or an ExternConfig.
        # default_sensors: the default server's sensor set (bmc.sensors.defaults); a config brings its own.
        # interface: which of the preset's system interfaces the host uses ("kcs", "bt"; default the first).
        # variants: named driver variants (buses.variant) for every part of the world, host and BMC side;
        # each part takes those of its own class.
        self.preset = get_preset(preset) if isinstance(preset, str) else preset
        p = self.preset
        self.interface = p.system_interface(interface)
        if bmc not in ("sim", "extern") or (bmc == "extern" and p.attachment != "ideal"):
            raise ValueError(f"bmc: {bmc!r} is not 'sim' or 'extern' (extern needs an ideal preset, not {p.name})")
        self.sim = Simulation(seed=seed, trace=trace, layers=layers)
        sim = self.sim
        self.io = IoSpace(sim, p.bus)
        trace_io(sim, self.io)
        self.host = Host(sim, self.io, **(host_kwargs or {}))
        # Channel 1 is the LAN channel (802.3, multi-session), as on ipmi_sim's lan.conf and most BMCs.
        self.bmc = Bmc(sim, host=self.host, **{"lan_channel": LAN_CHANNEL, **(bmc_kwargs or {})})
        self.ipmid = Ipmid(sim, self.bmc)
        if default_sensors:
            install_default_sensors(self.bmc)
        self.use_irq = use_irq
        self.si_config = si or SiConfig(use_irq=use_irq)
        if show_polls:          # trace the kipmid polls pollskip skips (SiConfig.show_polls)
            self.si_config = dataclasses.replace(self.si_config, show_polls=True)
        self.variants = check(variants)
        if self.variants:
            self.si_config = dataclasses.replace(self.si_config, variants=self.si_config.variants + self.variants)
            if p.attachment != "ideal":
                fw = firmware or p.firmware
                firmware = dataclasses.replace(fw, variants=fw.variants + self.variants)
        self.host_attached = sim.env.event()   # the host's IPMI driver stack exists
        self.extern = extern_bmc(sim, self.host, extern) if bmc == "extern" else None
        self.core = self.extern or self.ipmid
        self.soc = None
        self.faults: list = []                 # scenarios.faults attached (inject)
        self.pci = None                        # the host's PCI bus, when a part sits on one
        self.device: SiDevice | None = None
        if p.attachment == "ideal":
            self._build_ideal()
        else:
            self._build_firmware(firmware or p.firmware)

    def _build_ideal(self) -> None:
        si = self.interface
        self.block = parts.BLOCKS[si.kind](self.sim, f"{self.preset.name}.{si.kind}")
        placement = parts.BUSES[self.preset.bus](self, self.block, si)
        kw = {"si": si, "variants": self.variants} if si.kind == "ssif" else {}
        build = parts.IDEAL_CHANNELS[si.kind]
        if isinstance(build, type):
            build = compose(build, self.variants)
        self.channel = build(self.sim, self.block, self.core, use_irq=self.use_irq,
                                                     irq_info=placement.irq_info, **kw)
        if self.extern is not None:
            self.extern.attach(self.channel)
        else:
            self.bmc.attach_interface(self.channel)
        if placement.discover is None:
            self._start_host(placement.device)
        else:
            self.sim.process(self._discover(placement.discover))

    def _discover(self, discover):
        """The host firmware finds the interface (PCI enumeration, the driver's probe), then the OS loads it."""
        device = yield from discover()
        if device is None:
            raise RuntimeError(f"{self.preset.name}: the host found no IPMI function on its bus")
        self._start_host(device)

    def _build_firmware(self, timing) -> None:
        si = self.interface
        self.soc = parts.SOCS[self.preset.soc](self.sim, self.io)
        trace_mmio(self.sim, self.soc.mmio)
        sirq = si.irq if self.use_irq else 0
        build = parts.FIRMWARE_CHANNELS[(self.soc.family, si.kind)]
        if isinstance(build, type):
            build = compose(build, timing.variants)
        kw = {"host": self.host} if si.kind == "ssif" else {}
        self.channel = build(self.sim, self.soc, self.core, si, sirq=sirq, timing=timing, **kw)
        self.block = self.channel.block
        if si.irq:
            self.host.wire_irq(si.irq, self.block.host_irq)
        self.bmc.attach_interface(self.channel)
        device = SiDevice(si.kind, si.address, irq=sirq)
        # The host's driver loads once the BMC has brought its channel up.
        self.channel.ready.callbacks.append(lambda _e: self._start_host(device))

    @classmethod
    def from_config(cls, config=None, *, preset: str | None = None, seed: int | None = None, trace: bool = False,
                    layers: tuple[str, ...] | None = None, use_irq: bool | None = None, state_dir=None,
                    interface: str | None = None, show_polls: bool = False) -> World:
        """A world from a TOML file, TOML text, a dict or a ``WorldConfig``; None: the default server.

        Keyword overrides win over the file (the command line's ``--preset``,
        ``--seed``, ``--irq``).  The whole config is validated before anything
        is built.
        """
        import dataclasses

        from bmc.bmc import Identity

        from .config import ConfigError, apply_config, default_config, host_kwargs, load_config, si_config

        cfg = default_config() if config is None else load_config(config)
        preset_name = preset or cfg.preset
        p = get_preset(preset_name)
        irq = cfg.use_irq if use_irq is None else use_irq
        firmware = None
        if cfg.timing.firmware_daemon_latency is not None:
            if p.attachment == "ideal":
                raise ConfigError([("timing.firmware_daemon_latency", cfg.timing.firmware_daemon_latency,
                                    f"preset {preset_name!r} has no BMC firmware (ideal)")], cfg.source)
            firmware = dataclasses.replace(p.firmware, daemon_latency=cfg.timing.firmware_daemon_latency)
        if cfg.timing.firmware_kernel is not None:
            firmware = dataclasses.replace(firmware or p.firmware, kernel=cfg.timing.firmware_kernel)
        bmc_kwargs: dict = {"identity": Identity(**cfg.identity), "slave_address": cfg.slave_address}
        where = state_dir if state_dir is not None else cfg.state_dir
        if where is not None:  # the store makes the directory, and says why when it cannot
            bmc_kwargs["state_dir"] = where
        world = cls(p, seed=cfg.seed if seed is None else seed, trace=trace, layers=layers, use_irq=irq,
                    si=si_config(cfg, irq), firmware=firmware, host_kwargs=host_kwargs(cfg), bmc_kwargs=bmc_kwargs,
                    default_sensors=cfg.sensors is None, interface=interface or cfg.interface,
                    variants=cfg.variants, show_polls=show_polls)
        try:
            apply_config(world, cfg)
            if cfg.faults:
                from .fault_table import fault_from_spec
                from .faults import inject

                try:
                    inject(world, *(fault_from_spec(f) for f in cfg.faults))
                except ValueError as exc:
                    raise ConfigError([("faults", "", str(exc))], cfg.source) from None
        except BaseException:
            world.bmc.store.close()
            raise
        world.config = cfg
        return world

    def _start_host(self, device: SiDevice) -> None:
        self.device = device
        self.host.attach(device, self.si_config)
        self.host_attached.succeed()

    # -- driving -----------------------------------------------------------------------------
    def boot(self, limit: int = s(60)) -> bool:
        """Run until the host driver finished its start-up (``ipmi_si`` and the message handler's,
        and with an interrupt the enables check behind them: the first request is interrupt-driven);
        returns whether it found the BMC."""
        def wait():
            yield self.host_attached
            ok = yield self.host.ipmi.ready
            settled = self.host.si.settled
            return ok and ((yield settled) if not settled.processed else settled.value)
        return self.sim.run_process(wait(), limit=limit)

    def request(self, netfn: int, cmd: int, data: bytes = b"", limit: int = s(120), **kw):
        """Send one request from the host and run the simulation until it completes."""
        def go():
            if self.host.ipmi is None:
                yield self.host_attached
            return (yield from self.host.ipmi.request(netfn, cmd, data, **kw))
        return self.sim.run_process(go(), limit=limit)
