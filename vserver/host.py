"""The simulated server: power, reset and NMI wires, firmware and OS boot, and the IPMI driver stack.

The host is a machine, not a recorder.  It is the BMC's ``HostControl``:
every wire the BMC pulls acts at the simulated instant ``t`` it is given,
is written to ``power_events`` and traced (layer ``host``), and has its
consequences:

- **power off** (hard, or ACPI soft shutdown after ``soft_shutdown``, during
  which the services' ``shutdown(host, "off")`` hooks run): the
  OS stops.  Its services' processes end, the IPMI driver stack stops (its
  processes end and requests still pending complete with 0xFF, as Linux's
  ``cleanup_smi_msgs`` does), and ``host.ipmi`` answers 0xFF at once until
  the driver is back;
- **power on**: firmware (POST) runs ``firmware_boot``; the BIOS reads the
  BMC's boot flags through the system interface (Get System Boot Options),
  boots from the device they select, clears one-time flags and acknowledges
  (``boots``); after ``os_boot`` the OS loads ``ipmi_si`` again (the same
  Linux-faithful driver, a new instance) and, once the driver is ready,
  starts its services (``add_service``, e.g. the watchdog daemon);
- **power cycle**: off, then on after ``power_cycle_interval``; refused
  with 0xD5 while the power is off, as the spec recommends;
- **hard reset**: the OS stops and the boot starts again, power staying on;
- **NMI / diagnostic interrupt**: recorded in ``nmis`` and delivered to the
  running OS (``nmi_listeners``); **SMI**: recorded.

Whoever watches the power (the BMC's chassis state) registers in
``power_listeners`` and hears ``(event, t, source)`` with event "on", "off"
or "reset" and source "bmc", "button" or "os".  Buttons and an OS reboot
are available to scenarios (``press_power_button``, ``press_reset_button``,
``reboot``).  Everything that happens later is one scheduled callback or
process, so an idle host costs nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from bmc.ipmi.boot import (
    BOOT_FLAGS_PERSISTENT,
    BOOT_FLAGS_VALID,
    BOOT_INFO_ACK_BIOS,
    BootParameter,
    boot_device_name,
)
from bmc.ipmi.cc import CompletionCode, IpmiError
from bmc.ipmi.cmd import Chassis
from bmc.ipmi.netfn import NetFn, netfn_lun
from buses.smbus import SMBus
from buses.time import ms, s
from buses.variant import check, compose

from .bt_sm import BtSm
from .cpu import HostCpu
from .kcs_sm import KcsSm
from .msghandler import IpmiMsgHandler
from .si import SiConfig, SmiInterface
from .sm import PortIo, SiDevice, SiSm, SmResult
from .ssif import SsifInterface

# ipmi_si's state machines by interface type (si_to_str / the handlers table of try_smi_init).
SM_TYPES: dict[str, type[SiSm]] = {KcsSm.si_type: KcsSm, BtSm.si_type: BtSm}

OFF = "off"
FIRMWARE = "firmware"      # POST and the BIOS
OS_BOOT = "os-boot"        # the OS is loading; no IPMI driver yet
RUNNING = "running"        # the OS runs (the driver may still be probing)
HALTED = "halted"          # the OS panicked and stopped; power stays on


@dataclass(frozen=True)
class HostTiming:
    """How long the machine takes for each step (int ns)."""

    power_cycle_interval: int = s(1)   # off time of a power cycle (the spec's minimum, ipmi_sim's timer)
    firmware_boot: int = s(2)          # power-on or reset until the BIOS picks the boot device
    os_boot: int = s(3)                # BIOS hand-off until the OS loads ipmi_si
    soft_shutdown: int = s(5)          # ACPI power button (or an OS reboot) until the OS is down
    bios_reads_boot_options: bool = True
    bios_poll_fallback: int = ms(1)    # the BIOS's busy poll sleeps on status changes, re-checking this often

    def __post_init__(self):
        for name in ("power_cycle_interval", "firmware_boot", "os_boot", "soft_shutdown", "bios_poll_fallback"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 0:
                raise ValueError(f"host timing {name} {value!r} must be a non-negative int of ns")


class _NoInterface:
    """What a message handler talks to once its interface has gone: every request fails at once."""

    def __init__(self, sim):
        self.ready = sim.env.event()
        sim.trigger_at(self.ready, sim.now, False)

    def sender(self, msg) -> None:
        raise RuntimeError("the IPMI interface is gone")

    def request_events(self) -> None:
        pass

    def set_need_watch(self, on: bool) -> None:
        pass

    def set_maintenance_mode(self, on: bool) -> None:
        pass

    def shutdown(self) -> None:
        pass


def _kill(proc) -> None:
    """End a SimPy process from outside; its Interrupt is expected, not an error."""
    if proc is not None and proc.is_alive:
        proc.defused = True
        proc.interrupt("host stopped")


class Host:
    """One server.  ``host.ipmi.request(netfn, cmd, data)`` is the user API (``/dev/ipmi0``)."""

    def __init__(self, sim, io_space, name: str = "host", cpu_kwargs: dict | None = None,
                 timing: HostTiming | None = None):
        self.sim = sim
        self.name = name
        self.io_space = io_space
        self.cpu_kwargs = dict(cpu_kwargs or {})
        self.cpu = HostCpu(sim, io_space, f"{name}.cpu", **self.cpu_kwargs)
        self.timing = timing or HostTiming()
        self.power_on_state = True
        self.state = RUNNING               # a world starts with the OS up
        self.power_events: list[tuple[int, str]] = []
        self.boot_log: list[tuple[int, str]] = []
        self.boots: list[tuple[int, str]] = []   # (time, boot device) as the BIOS chose it
        self.nmis: list[int] = []
        self.si: SmiInterface | None = None
        self.ipmi: IpmiMsgHandler | None = None
        self.power_listeners: list = []    # fn(event, t, source)
        self.nmi_listeners: list = []      # fn(t), registered by the running OS; cleared when it stops
        self.services: list = []           # objects with run(host) [and shutdown(host), panic(host)] generators
        self.device: SiDevice | None = None   # the system interface the platform describes (SMBIOS, PCI)
        self.smbus_adapter = None             # the host's SMBus controller (an I2cController), if it has one
        self.si_config: SiConfig | None = None
        self.irq_inputs: dict[int, list] = {}  # host interrupt number -> device lines wired to it
        self._irq_taps: list = []              # (line, listener) the running driver requested
        self._gen = 0                      # bumps on every power transition: stale callbacks do nothing
        self._boot_proc = None
        self._service_procs: list = []
        self._driver_up = False
        self._ready_waiters: list = []

    # -- the driver stack ---------------------------------------------------------------------

    def wire_irq(self, n: int, line) -> None:
        """The platform wires a device's interrupt output to host interrupt ``n`` (ISA IRQ, routed PCI INTx)."""
        self.irq_inputs.setdefault(n, []).append(line)

    def _sm(self, device: SiDevice, component: str, variants=(), jiffy: int | None = None) -> SiSm:
        try:
            cls = compose(SM_TYPES[device.si_type], variants)
        except KeyError:
            raise ValueError(f"si type: {device.si_type!r} is not one of {', '.join(SM_TYPES)}") from None
        kw = {} if jiffy is None else {"jiffy": jiffy}
        return cls(self.sim, PortIo(self.cpu, device.addr, device.regspacing, cls.io_size), component=component,
                   **kw)

    def attach(self, device: SiDevice, config: SiConfig | None = None) -> IpmiMsgHandler:
        """Load ``ipmi_si`` for ``device`` (its interrupt too, if it has one and ``config.use_irq``).

        The host remembers the device and loads the driver the same way after
        every boot; the BIOS talks to the same device, polled.
        """
        self.device = device
        self.si_config = config
        cfg = config or SiConfig(use_irq=bool(device.irq))
        variants = check(cfg.variants, "si variants")
        lines = self.irq_inputs.get(device.irq, []) if device.irq else []
        if cfg.use_irq and not lines and device.si_type != "ssif":     # SSIF's interrupt is the SMBus alert
            raise ValueError(f"si irq: host interrupt {device.irq} has no device wired to it")
        if device.si_type == "ssif":
            # ipmi_ssif: an I2C client on the host's SMBus adapter, not ipmi_si.
            if self.smbus_adapter is None:
                raise ValueError("si type: 'ssif' needs an SMBus adapter on the host (none is wired)")
            self.si = compose(SsifInterface, variants)(self.sim, SMBus(self.smbus_adapter), device.addr, cfg,
                                                       name="ipmi_ssif")
        else:
            sm = self._sm(device, f"{device.si_type}_sm", variants, cfg.jiffy)
            self.si = compose(SmiInterface, variants)(self.sim, self.cpu, sm, cfg, name="ipmi_si")
        if cfg.use_irq:
            self._irq_taps = [(line, self.cpu.attach_irq(line, self.si.irq)) for line in lines]
        self.ipmi = compose(IpmiMsgHandler, variants)(self.sim, self.si)
        self._driver_up = True
        self.ipmi.ready.callbacks.append(self._driver_ready)
        return self.ipmi

    def _driver_ready(self, ev) -> None:
        if ev.value and self.ipmi is not None and ev is self.ipmi.ready and self.state == RUNNING:
            self._trace(self.sim.now, "driver-ready")
            self.boot_log.append((self.sim.now, "driver-ready"))
            for service in self.services:
                self._start_service(service)
            waiters, self._ready_waiters = self._ready_waiters, []
            for waiter in waiters:
                waiter.succeed()

    def add_service(self, service) -> None:
        """A program the OS runs once the IPMI driver is up, after every boot (``service.run(host)``)."""
        self.services.append(service)
        if self.ready:
            self._start_service(service)

    def _start_service(self, service) -> None:
        self._service_procs.append(self.sim.process(service.run(self)))

    def _stop_os(self, t: int, why: str) -> None:
        """The OS is gone: services and the driver stop, pending requests fail with 0xFF."""
        for proc in self._service_procs:
            _kill(proc)
        self._service_procs = []
        self.nmi_listeners = []
        _kill(self._boot_proc)
        self._boot_proc = None
        self._stop_driver(t, why)

    def _stop_driver(self, t: int, why: str) -> None:
        si, ipmi = self.si, self.ipmi
        if si is None or not self._driver_up:
            return
        self._driver_up = False
        si.shutdown()
        _kill(si.proc)
        if not si.ready.triggered:
            self.sim.trigger_at(si.ready, t, False)
        for line, listener in self._irq_taps:       # free_irq
            line.disconnect(listener)
        self._irq_taps = []
        failed = 0
        if ipmi is not None:
            failed = ipmi.shutdown(t, CompletionCode.UNSPECIFIED_ERROR)
            ipmi.smi = _NoInterface(self.sim)
        self._trace(t, "driver-stop", why=why, failed=failed)
        self.boot_log.append((t, "driver-stop"))

    # -- boot ------------------------------------------------------------------------------------------

    def _start_boot(self, t: int) -> None:
        """Power came on or the system was reset at ``t``: a fresh CPU starts POST."""
        self.state = FIRMWARE
        self.cpu = HostCpu(self.sim, self.io_space, f"{self.name}.cpu", **self.cpu_kwargs)
        self.cpu.t = t
        self.boot_log.append((t, "firmware"))
        self._boot_proc = self.sim.process(self._boot(t))

    def _boot(self, t0: int):
        timing = self.timing
        env = self.sim.env
        yield env.timeout(max(0, t0 + timing.firmware_boot - env.now))
        if timing.bios_reads_boot_options and self.device is not None:
            yield from self._bios()
        else:
            self._booted_from("no override", "BIOS does not ask the BMC")
        self.state = OS_BOOT
        self.boot_log.append((env.now, "os-boot"))
        self._trace(env.now, "os-boot")
        yield env.timeout(timing.os_boot)
        self.state = RUNNING
        self._boot_proc = None
        if self.device is not None:
            self.cpu.t = max(self.cpu.t, env.now)
            self.attach(self.device, self.si_config)

    def _booted_from(self, device: str, why: str = "") -> None:
        t = max(self.cpu.t, self.sim.now)
        self.boots.append((t, device))
        self._trace(t, "bios-boot", device=device, **({"why": why} if why else {}))

    def _bios(self):
        """The BIOS asks the BMC where to boot (Get System Boot Options, boot flags), polled."""
        if self.device.si_type == "ssif":
            self._booted_from("no override", "this BIOS does not talk SSIF")
            return
        sm = self._sm(self.device, "bios")
        if not (yield from sm.detect()):
            self._booted_from("no override", "no BMC")
            return
        rsp = yield from self._bios_request(sm, Chassis.GET_SYSTEM_BOOT_OPTIONS,
                                            bytes((BootParameter.BOOT_FLAGS, 0, 0)))
        if rsp is None or rsp[2] != 0 or len(rsp) < 10:
            self._booted_from("no override", "boot flags unavailable")
            return
        flags = rsp[5:10]
        if not flags[0] & BOOT_FLAGS_VALID:
            self._booted_from("no override")
            return
        self._booted_from(boot_device_name(flags))
        if not flags[0] & BOOT_FLAGS_PERSISTENT:
            # One-time flags are used up: write them back with the valid bit clear.
            yield from self._bios_request(sm, Chassis.SET_SYSTEM_BOOT_OPTIONS,
                                          bytes((BootParameter.BOOT_FLAGS, flags[0] & ~BOOT_FLAGS_VALID)) + flags[1:])
        # "BIOS/POST has handled boot info": write 0 to its acknowledge bit.
        yield from self._bios_request(sm, Chassis.SET_SYSTEM_BOOT_OPTIONS,
                                      bytes((BootParameter.BOOT_INFO_ACKNOWLEDGE, BOOT_INFO_ACK_BIOS, 0)))

    def _bios_request(self, sm: SiSm, cmd: int, data: bytes):
        """Generator: one polled transaction; the response, or None if the interface gave up."""
        if sm.start_transaction(bytes((netfn_lun(NetFn.CHASSIS), cmd)) + data):
            return None
        cpu, env = self.cpu, self.sim.env
        elapsed = 0
        while True:
            result = yield from sm.event(elapsed)
            elapsed = 0
            if result == SmResult.TRANSACTION_COMPLETE:
                return sm.get_result()
            if result == SmResult.HOSED:
                return None
            if result in (SmResult.CALL_WITH_DELAY, SmResult.CALL_WITH_TICK_DELAY):
                # A busy-polling BIOS reacts to the first status change; sleeping on the change costs O(changes).
                yield from cpu.sync()
                before = env.now
                watch = self.io_space.watch(sm.status_port)
                waits = [env.timeout(self.timing.bios_poll_fallback)]
                if watch is not None:
                    waits.append(watch.wait())
                yield env.any_of(waits)
                cpu.t = max(cpu.t, env.now)
                elapsed = env.now - before

    # -- power transitions -----------------------------------------------------------------------------

    def _event(self, t: int, what: str, **fields) -> None:
        self.power_events.append((t, what))
        self._trace(t, what, **fields)

    def _trace(self, t: int, event: str, **fields) -> None:
        if self.sim.tracer.enabled:
            self.sim.trace(t, "host", self.name, event, state=self.state, **fields)

    def _notify(self, event: str, t: int, source: str) -> None:
        for fn in self.power_listeners:
            fn(event, t, source)

    def check(self, op: str) -> None:
        """``HostControl.check``: every wire exists; all but power off/on need the power on."""
        if op not in ("power_off", "power_on"):
            self._refuse_when_off(op.replace("_", " "))

    def _refuse_when_off(self, op: str) -> None:
        if not self.power_on_state:
            raise IpmiError(CompletionCode.NOT_SUPPORTED_IN_PRESENT_STATE, f"{op}: system power is off")

    def _go_off(self, t: int, source: str, why: str) -> None:
        self._gen += 1
        self.power_on_state = False
        self.state = OFF
        self.sim.call_at(t, self._stop_os, t, why)
        self._notify("off", t, source)

    def _go_on(self, t: int, source: str) -> None:
        self._gen += 1
        self.power_on_state = True
        self.state = FIRMWARE
        self._event(t, "power-on", source=source)
        self._notify("on", t, source)
        self.sim.call_at(t, self._start_boot, t)

    def _restart(self, t: int, source: str, why: str) -> None:
        self._gen += 1
        self.state = FIRMWARE
        gen = self._gen

        def go():
            if gen == self._gen:
                self._stop_os(t, why)
                self._start_boot(t)
        self.sim.call_at(t, go)
        self._notify("reset", t, source)

    # -- HostControl: what the BMC's wires do ---------------------------------------------------------

    def power_off(self, t: int, source: str = "bmc") -> None:
        if not self.power_on_state:
            self._trace(t, "power-off-ignored", why="already off")
            return
        self._event(t, "power-off", source=source)
        self._go_off(t, source, "power off")

    def power_on(self, t: int, source: str = "bmc") -> None:
        if self.power_on_state:
            self._trace(t, "power-on-ignored", why="already on")
            return
        self._go_on(t, source)

    def power_cycle(self, t: int, source: str = "bmc") -> None:
        self._refuse_when_off("power cycle")
        self._event(t, "power-cycle", source=source, off_for=self.timing.power_cycle_interval)
        self._go_off(t, source, "power cycle")
        gen = self._gen
        on_at = t + self.timing.power_cycle_interval
        self.sim.call_at(on_at, self._power_back, gen, on_at, source)

    def _power_back(self, gen: int, t: int, source: str) -> None:
        if gen == self._gen and not self.power_on_state:
            self._go_on(t, source)

    def hard_reset(self, t: int, source: str = "bmc") -> None:
        self._refuse_when_off("hard reset")
        self._event(t, "hard-reset", source=source)
        self._restart(t, source, "hard reset")

    def pulse_diag_interrupt(self, t: int) -> None:
        self._refuse_when_off("diagnostic interrupt")
        self._event(t, "diag-interrupt")
        self._nmi(t)

    def soft_shutdown(self, t: int, source: str = "bmc") -> None:
        """ACPI power button: the OS shuts down and powers off ``soft_shutdown`` later."""
        self._refuse_when_off("soft shutdown")
        self._event(t, "soft-shutdown", source=source)
        self._graceful(t, source, then="off")

    def nmi(self, t: int) -> None:
        self._refuse_when_off("NMI")
        self._event(t, "nmi")
        self._nmi(t)

    def smi(self, t: int) -> None:
        self._refuse_when_off("SMI")
        self._event(t, "smi")

    def _nmi(self, t: int) -> None:
        self.nmis.append(t)
        if self.state == RUNNING:
            self.sim.call_at(t, self._deliver_nmi, self._gen, t)

    def _deliver_nmi(self, gen: int, t: int) -> None:
        if gen == self._gen:
            for fn in list(self.nmi_listeners):
                fn(t)

    def _graceful(self, t: int, source: str, then: str) -> None:
        """The OS runs its services' shutdown hooks, then powers off or resets ``soft_shutdown`` later."""
        gen = self._gen
        if self.state == RUNNING:
            hooks = [svc.shutdown(self, then) for svc in self.services if hasattr(svc, "shutdown")]
            if hooks:
                self._service_procs.append(self.sim.process(self._run_hooks(hooks, t)))
        done = t + self.timing.soft_shutdown

        def finish():
            if gen != self._gen or not self.power_on_state:
                return
            if then == "off":
                self._event(done, "power-off", source=source, why="OS shut down")
                self._go_off(done, source, "OS shut down")
            else:
                self._event(done, "os-reset", source=source)
                self._restart(done, source, "OS reboot")
        self.sim.call_at(done, finish)

    def _run_hooks(self, hooks, t: int):
        env = self.sim.env
        if t > env.now:
            yield env.timeout(t - env.now)
        for hook in hooks:
            yield from hook

    # -- scenario actions: buttons and the OS ----------------------------------------------------------

    def press_power_button(self, t: int | None = None) -> None:
        """Off: power on.  On: an ACPI power button event (the OS shuts down)."""
        t = self.sim.now if t is None else t
        self._event(t, "power-button")
        if self.power_on_state:
            self._graceful(t, "button", then="off")
        else:
            self._go_on(t, "button")

    def press_reset_button(self, t: int | None = None) -> None:
        t = self.sim.now if t is None else t
        self._refuse_when_off("reset button")
        self._event(t, "reset-button")
        self._restart(t, "button", "reset button")

    def reboot(self, t: int | None = None) -> None:
        """The OS reboots itself (``reboot``): services stop, then a soft reset ``soft_shutdown`` later."""
        t = self.sim.now if t is None else t
        self._refuse_when_off("reboot")
        self._event(t, "os-reboot")
        self._graceful(t, "os", then="reset")

    def panic(self, t: int | None = None, reason: str = "") -> None:
        """The OS panics: userland stops, the services' panic hooks run, then the kernel halts.

        The driver stays up for the hooks (Linux's panic notifiers use it,
        e.g. ``ipmi_watchdog`` setting its panic timeout); then it stops.
        """
        t = self.sim.now if t is None else t
        if self.state != RUNNING:
            return
        self._event(t, "panic", reason=reason)
        self.state = HALTED
        self.sim.call_at(t, self._panic, t, self._gen)

    def _panic(self, t: int, gen: int) -> None:
        if gen != self._gen:
            return
        for proc in self._service_procs:
            _kill(proc)
        self.nmi_listeners = []
        hooks = [svc.panic(self) for svc in self.services if hasattr(svc, "panic")]
        self._service_procs = [self.sim.process(self._halt(hooks, t, gen))]

    def _halt(self, hooks, t: int, gen: int):
        yield from self._run_hooks(hooks, t)
        if gen == self._gen:
            self._stop_driver(self.sim.now, "kernel halted after panic")

    # -- readiness -------------------------------------------------------------------------------------

    @property
    def ready(self) -> bool:
        """The OS runs and its IPMI driver is up (the message handler's start-up done)."""
        return self.state == RUNNING and self.ipmi is not None and self.ipmi.up

    def wait_ready(self):
        """Generator: until the OS is up with its IPMI driver (no polling: the driver's readiness wakes it)."""
        while not self.ready:
            waiter = self.sim.env.event()
            self._ready_waiters.append(waiter)
            yield waiter
