"""What the BMC can do to the host it manages: the power, reset and interrupt wires.

On a real board these are GPIOs and pins from the BMC to the chipset.  The
host model (``vserver``) implements ``HostControl``; the BMC calls it from
Chassis Control and from the watchdog, at the simulated instant ``t`` the
action takes effect.  An operation the board cannot do raises
``IpmiError(NOT_SUPPORTED_IN_PRESENT_STATE)`` (0xD5).  Chassis Control asks
``check`` first, answers, and pulls the wire afterwards (a BMC answers
before the power goes: the requester sees its success); the watchdog acts
at once and records a refusal in its trace.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from .ipmi.cc import CompletionCode, IpmiError

# The operation names, as ``supports()`` takes them.
HOST_OPS = ("power_off", "power_on", "power_cycle", "hard_reset", "pulse_diag_interrupt", "soft_shutdown", "nmi", "smi")


@runtime_checkable
class HostControl(Protocol):
    """The BMC's wires into the host.  Every method acts at time ``t`` (int ns)."""

    @property
    def power_on_state(self) -> bool:
        """True while system power is on (Get Chassis Status bit 0)."""
        ...

    def check(self, op: str) -> None:
        """Raise ``IpmiError`` (0xD5) if ``op`` (one of ``HOST_OPS``) cannot be done now."""
        ...

    def power_off(self, t: int) -> None:
        """Hard power down (Chassis Control 0; watchdog action "power down")."""
        ...

    def power_on(self, t: int) -> None:
        """Power up (Chassis Control 1)."""
        ...

    def power_cycle(self, t: int) -> None:
        """Power down, wait the board's interval, power up (Chassis Control 2; watchdog "power cycle")."""
        ...

    def hard_reset(self, t: int) -> None:
        """Pulse the system reset line (Chassis Control 3; watchdog "hard reset")."""
        ...

    def pulse_diag_interrupt(self, t: int) -> None:
        """Pulse the diagnostic interrupt, usually an NMI (Chassis Control 4)."""
        ...

    def soft_shutdown(self, t: int) -> None:
        """Ask the OS to shut down, as an ACPI overtemperature/power button event (Chassis Control 5)."""
        ...

    def nmi(self, t: int) -> None:
        """Raise an NMI (watchdog pre-timeout "NMI/diagnostic interrupt")."""
        ...

    def smi(self, t: int) -> None:
        """Raise an SMI (watchdog pre-timeout "SMI")."""
        ...


def host_supports(host, op: str) -> bool:
    """Whether ``host`` can do ``op``.

    A host may define ``supports(op) -> bool`` so that Set Watchdog Timer can
    reject an action the board cannot perform up front (as the spec and QEMU
    do, with 0xCC); without it every operation counts as supported and a
    failure surfaces only when the action runs.
    """
    probe = getattr(host, "supports", None)
    return True if probe is None else bool(probe(op))


class NullHostControl:
    """A BMC with no wires to a host: power always reads on and every operation answers 0xD5.

    This is QEMU's ``ipmi-bmc-sim`` without a machine behind it, and the
    default until a world wires a real host in.
    """

    power_on_state = True

    def supports(self, op: str) -> bool:
        return False

    def check(self, op: str) -> None:
        self._unsupported(op)

    def _unsupported(self, op: str):
        raise IpmiError(CompletionCode.NOT_SUPPORTED_IN_PRESENT_STATE, f"no host wired for {op}")

    def power_off(self, t: int) -> None:
        self._unsupported("power_off")

    def power_on(self, t: int) -> None:
        self._unsupported("power_on")

    def power_cycle(self, t: int) -> None:
        self._unsupported("power_cycle")

    def hard_reset(self, t: int) -> None:
        self._unsupported("hard_reset")

    def pulse_diag_interrupt(self, t: int) -> None:
        self._unsupported("pulse_diag_interrupt")

    def soft_shutdown(self, t: int) -> None:
        self._unsupported("soft_shutdown")

    def nmi(self, t: int) -> None:
        self._unsupported("nmi")

    def smi(self, t: int) -> None:
        self._unsupported("smi")


class RecordingHostControl:
    """A host that only writes down what the BMC did to it: ``calls`` is a list of ``(t, op)``.

    Power follows the calls (off after ``power_off``, on after ``power_on``);
    operations named in ``unsupported`` answer 0xD5 as a board without that
    wire would.  For tests and for worlds that have no host model yet.
    """

    def __init__(self, power_on: bool = True, unsupported: tuple[str, ...] = ()):
        for op in unsupported:
            if op not in HOST_OPS:
                raise ValueError(f"unsupported op {op!r} is not one of {', '.join(HOST_OPS)}")
        self.power_on_state = power_on
        self.unsupported = frozenset(unsupported)
        self.calls: list[tuple[int, str]] = []

    def supports(self, op: str) -> bool:
        return op not in self.unsupported

    def check(self, op: str) -> None:
        if op in self.unsupported:
            raise IpmiError(CompletionCode.NOT_SUPPORTED_IN_PRESENT_STATE, f"host cannot {op}")

    def _record(self, op: str, t: int) -> None:
        if op in self.unsupported:
            raise IpmiError(CompletionCode.NOT_SUPPORTED_IN_PRESENT_STATE, f"host cannot {op}")
        self.calls.append((t, op))

    def power_off(self, t: int) -> None:
        self._record("power_off", t)
        self.power_on_state = False

    def power_on(self, t: int) -> None:
        self._record("power_on", t)
        self.power_on_state = True

    def power_cycle(self, t: int) -> None:
        self._record("power_cycle", t)

    def hard_reset(self, t: int) -> None:
        self._record("hard_reset", t)

    def pulse_diag_interrupt(self, t: int) -> None:
        self._record("pulse_diag_interrupt", t)

    def soft_shutdown(self, t: int) -> None:
        self._record("soft_shutdown", t)

    def nmi(self, t: int) -> None:
        self._record("nmi", t)

    def smi(self, t: int) -> None:
        self._record("smi", t)
