"""The host state-machine contract (Linux ``ipmi_si_sm.h``): results, register I/O, and ``SiSm``.

``ipmi_si`` drives one byte-level state machine per interface through a
table of handlers (``struct si_sm_handlers``): ``init_data``,
``start_transaction``, ``get_result``, ``event``, ``detect``, ``size``.
``SiSm`` is that table as a base class.  The few things Linux keeps in
``ipmi_si_intf.c`` behind ``si_type == SI_BT`` (a private interrupt mask
to set up, acknowledge and switch, and no kipmid by default) are hooks
here, so the policy layer never asks which interface it drives.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from functools import partial

from buses.time import S


class SmResult(Enum):
    CALL_WITHOUT_DELAY = "call-without-delay"  # call event() again at once
    CALL_WITH_DELAY = "call-with-delay"        # waiting on the hardware; poll again soon
    CALL_WITH_TICK_DELAY = "call-with-tick-delay"  # wait at least one scheduler tick
    TRANSACTION_COMPLETE = "transaction-complete"
    IDLE = "idle"
    ATTN = "attn"                              # idle, and the BMC raised attention
    HOSED = "hosed"                            # gave up; the current message is failed


# Linux IPMI_MAX_MSG_LENGTH: sized for BT, "a multiple of 16".
IPMI_MAX_MSG_LENGTH = 272


@dataclass(frozen=True)
class SiDevice:
    """One system interface as the platform describes it, what ``ipmi_si`` is handed (``struct si_sm_io``).

    ``source`` is Linux's ``addr_source``: "smbios" (type 38 record), "acpi"
    (an IPI0001 device), "pci" (class 0x0C07 found by enumeration),
    "hardcoded" (module parameters).
    """

    si_type: str          # "kcs", "bt", "ssif"
    addr: int             # I/O base of register 0; for SSIF the 7-bit I2C address
    regspacing: int = 1
    irq: int = 0          # host interrupt number; 0 = none (polled)
    source: str = "smbios"

    def __post_init__(self):
        if not 0 <= self.addr <= 0xFFFF:
            raise ValueError(f"si device addr 0x{self.addr:X} outside the I/O space 0x0000-0xFFFF")
        if self.regspacing not in (1, 4, 16):
            raise ValueError(f"si device regspacing {self.regspacing!r} is not 1, 4 or 16")


class PortIo:
    """``struct si_sm_io`` for port I/O: register ``n`` at ``base + n * regspacing``, through the host CPU.

    ``inputb``/``outputb`` return the CPU's access generators themselves, so
    a state machine's ``yield from io.inputb(1)`` adds no generator layer;
    ``reader(n)``/``writer(n)`` bind one register once (a C-level partial),
    which the state machines' register helpers are, saving two calls per access.
    """

    __slots__ = ("cpu", "base", "regspacing", "ports")

    def __init__(self, cpu, base: int, regspacing: int = 1, size: int = 2):
        self.cpu = cpu
        self.base = base
        self.regspacing = regspacing
        self.ports = tuple(base + n * regspacing for n in range(size))

    def inputb(self, offset: int):
        return self.cpu.inb(self.ports[offset])

    def outputb(self, offset: int, value: int):
        return self.cpu.outb(self.ports[offset], value)

    def reader(self, offset: int):
        return partial(self.cpu.inb, self.ports[offset])

    def writer(self, offset: int):
        return partial(self.cpu.outb, self.ports[offset])


class SiSm:
    """One system-interface state machine (``struct si_sm_data`` + its ``si_sm_handlers``).

    Subclasses implement ``start_transaction``, ``get_result``, ``event`` and
    ``detect`` (``event`` and ``detect`` are generators: they do port I/O);
    they name themselves with ``si_type`` and claim ``io_size`` registers.
    """

    si_type = ""            # sysfs "type": kcs, bt (the key of the host's driver table)
    io_size = 2             # registers claimed (init_data's return value)
    uses_kipmid = True      # smi_start_processing: "The BT interface is efficient enough to not need a thread"
    status_offset = 1       # the register whose changes a waiting driver polls for (KCS status, BT_CTRL)

    # A code path a race depends on is a method a variant overrides (buses.variant).

    def __init__(self, sim, io, component: str, jiffy: int = S // 250):
        self.jiffy = jiffy                  # the host's tick (ns), for the waits Linux counts in jiffies
        self.sim = sim
        self.io = io
        self.component = component

    @property
    def status_port(self) -> int:
        return self.io.ports[self.status_offset]

    def _trace(self, event: str, **fields) -> None:
        if self.sim.tracer.enabled:
            cpu = self.io.cpu      # a start outside any port access happens at the clock's now, not the CPU's last
            self.sim.trace(max(cpu.t, self.sim.env._now), "drv", self.component, event, state=self.state.name,
                           **fields)

    # -- si_sm_handlers --------------------------------------------------------------------
    def start_transaction(self, data: bytes) -> int:
        """Start sending ``data`` (NetFn/LUN, Cmd, Data); 0, or the completion code of a refusal."""
        raise NotImplementedError

    def get_result(self, length: int = IPMI_MAX_MSG_LENGTH) -> bytes:
        """The response of the finished transaction (NetFn/LUN, Cmd, CC, Data), at least 3 bytes; the
        caller's buffer holds ``length`` (Linux: 4 for flags and enables, 3 for clearing flags)."""
        raise NotImplementedError

    def event(self, time: int):
        """Generator: one step; ``time`` is the ns elapsed as the caller accounts it; returns ``SmResult``."""
        raise NotImplementedError

    def detect(self):
        """Generator: True if an interface of this type answers at the address."""
        raise NotImplementedError

    # -- what ipmi_si_intf.c does for this type only (BT: its interrupt mask) ------------------
    def irq_finish_setup(self):
        """Generator (``ipmi_irq_finish_setup``): the interrupt was claimed; enable it at the interface."""
        return
        yield

    def irq_ack(self):
        """Generator: first thing in the interrupt handler (``ipmi_si_irq_handler``)."""
        return
        yield

    def check_irq(self, on: bool):
        """Generator: the global-enables check decided the interrupt state (``check_bt_irq``)."""
        return
        yield
