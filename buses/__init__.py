"""The wires and the clock: simulation kernel, tracer, signals, registers, buses."""

from .hop import Hop
from .initiator import Initiator
from .isa import IoSpace
from .mmio import MmioSpace
from .regs import Access, Field, Register, RegisterFile
from .signal import IrqLine, Notifier
from .sim import Simulation
from .time import MS, NS, US, S, fmt_duration, fmt_time, ms, ns, s, us
from .trace import Tracer, TraceRecord

__all__ = [
    "Access", "Field", "Hop", "Initiator", "IoSpace", "MmioSpace", "IrqLine", "MS", "NS", "Notifier", "Register",
    "RegisterFile", "S", "Simulation", "TraceRecord", "Tracer", "US", "fmt_duration", "fmt_time",
    "ms", "ns", "s", "us",
]
