"""The chassis as the BMC keeps it (IPMI 2.0 chapter 28): identify, power-on hours, boot options, power history.

The BMC learns about power from the host's wires: a host that offers
``power_listeners`` (``vserver.Host``) calls ``listener(event, t, source)``
at the exact instant power comes on ("on"), goes off ("off") or the system
is reset ("reset"); ``source`` says who did it ("bmc", "button", "os",
"ac").  From that the chassis keeps

- the power-on-hours counter: accumulated on-time, computed on demand;
- the restart cause of restarts the BMC did not command itself (power or
  reset button, an OS reboot), and the boot flag valid bit clearing that
  goes with each cause;
- "last power-on via IPMI command" (Get Chassis Status byte 2 bit 4).

A host without listeners (``RecordingHostControl``) is sampled when asked.
Chassis Identify is evaluated lazily: no event runs when the LED goes off.
"""

from __future__ import annotations

from buses.time import S

from .boot_options import BootOptions
from .ipmi.msg import RestartCause

LAST_POWER_ON_VIA_IPMI = 0x10
IDENTIFY_OFF, IDENTIFY_TIMED, IDENTIFY_INDEFINITE = 0, 1, 2
DEFAULT_IDENTIFY_S = 15

# Restart causes inferred from host-side power events that the BMC did not command.
HOST_CAUSES = {
    ("on", "button"): RestartCause.POWER_UP_VIA_POWER_PUSHBUTTON,
    ("reset", "button"): RestartCause.RESET_VIA_PUSHBUTTON,
    ("reset", "os"): RestartCause.SOFT_RESET,
}


class ChassisState:
    def __init__(self, bmc, minutes_per_count: int = 60):
        if not 1 <= minutes_per_count <= 0xFF:
            raise ValueError(f"chassis.minutes_per_count {minutes_per_count!r} out of range 1-255")
        self.bmc = bmc
        self.sim = bmc.sim
        self.minutes_per_count = minutes_per_count
        self.capability_flags = 0x00       # Get Chassis Capabilities byte 1 (intrusion sensor, lockout, ...)
        self.intrusion: bool | None = None  # chassis intrusion, when a sensor reports it
        self.identify_state_supported = False  # report identify state in Get Chassis Status (QEMU: no)
        self.identify_until: int | None = None  # end of a timed identify
        self.identify_forced = False
        self.boot = BootOptions(self.sim, bmc.name)
        self.command_power_on_pending = False
        self.poh_ns = 0                    # power-on time accumulated before ``on_since``
        host = bmc.host
        self._was_on = bool(host.power_on_state)
        self.on_since: int | None = self.sim.now if self._was_on else None
        listeners = getattr(host, "power_listeners", None)
        self.listening = listeners is not None
        if self.listening:
            listeners.append(self._power_event)

    # -- identify -----------------------------------------------------------------

    def identify(self, interval_s: int, force: bool, t: int) -> None:
        """Chassis Identify: on for ``interval_s`` seconds (0 = off), or indefinitely when forced."""
        self.identify_forced = force
        self.identify_until = None if force or interval_s == 0 else t + interval_s * S
        self._trace(t, "identify", state=("indefinite" if force else f"{interval_s} s" if interval_s else "off"))

    def identify_state(self, t: int) -> int:
        if self.identify_forced:
            return IDENTIFY_INDEFINITE
        if self.identify_until is not None and t < self.identify_until:
            return IDENTIFY_TIMED
        return IDENTIFY_OFF

    def misc_state(self, t: int) -> int:
        """Get Chassis Status byte 3 (misc chassis state)."""
        misc = 0x01 if self.intrusion else 0x00
        if self.identify_state_supported:
            misc |= 0x40 | self.identify_state(t) << 4
        return misc

    # -- power-on hours -----------------------------------------------------------------

    def _sample(self, t: int) -> None:
        """A host without listeners: notice a power change when asked."""
        if not self.listening:
            on = bool(self.bmc.host.power_on_state)
            if on != self._was_on:
                self._power_event("on" if on else "off", t, "bmc")

    def poh_counter(self, t: int) -> int:
        """Get POH Counter: whole counts of ``minutes_per_count`` minutes of power-on time."""
        self._sample(t)
        on_ns = self.poh_ns + (t - self.on_since if self.on_since is not None else 0)
        return on_ns // (self.minutes_per_count * 60 * S) & 0xFFFFFFFF

    # -- what the host's wires report -------------------------------------------------------

    def _power_event(self, event: str, t: int, source: str) -> None:
        bmc = self.bmc
        if event == "on":
            self._was_on = True
            if self.on_since is None:
                self.on_since = t
            if self.command_power_on_pending:
                bmc.last_power_event |= LAST_POWER_ON_VIA_IPMI
            else:
                bmc.last_power_event &= ~LAST_POWER_ON_VIA_IPMI
            self.command_power_on_pending = False
        elif event == "off":
            self._was_on = False
            if self.on_since is not None:
                self.poh_ns += t - self.on_since
                self.on_since = None
        if event in ("off", "reset"):
            self.boot.host_reset()
            bmc.system_info.host_reset()
        cause = HOST_CAUSES.get((event, source))
        if cause is not None:
            bmc.note_restart(cause)

    def restarted(self, cause: int) -> None:
        """Called by ``Bmc.note_restart``: apply the boot flag valid bit clearing rules."""
        self.boot.restarted(cause, self.sim.now)

    def cold_reset(self) -> None:
        self.boot.cold_reset()

    def _trace(self, t: int, event: str, **fields) -> None:
        if self.sim.tracer.enabled:
            self.sim.trace(t, "bmc", f"{self.bmc.name}.chassis", event, **fields)
