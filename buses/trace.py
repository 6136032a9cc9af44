"""Structured trace: every layer reports what happened, when, with decoded fields.

A record is ``(t, layer, component, event, fields)``.  Producers check
``tracer.enabled`` before building fields, so a disabled tracer costs one
attribute test on the hot path.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import NamedTuple

from .time import fmt_time

LAYERS = ("user", "msg", "si", "drv", "bus", "reg", "irq", "fw", "ipmid", "bmc", "host", "fault")


class TraceRecord(NamedTuple):
    t: int
    layer: str
    component: str
    event: str
    fields: tuple

    def format(self) -> str:
        body = " ".join(f"{k}={fmt_value(v)}" for k, v in self.fields)
        return f"{fmt_time(self.t):>14} {self.layer:<5} {self.component:<14} {self.event:<12} {body}".rstrip()


def fmt_value(v) -> str:
    if isinstance(v, (bytes, bytearray)):
        return "[" + " ".join(f"{b:02X}" for b in v) + "]"
    return str(v)


def hexb(v: int) -> str:
    """One byte as the trace shows it."""
    return f"0x{v:02X}"


class Tracer:
    """Collects trace records; optionally forwards them to sinks (printers, files)."""

    def __init__(self, enabled: bool = False, layers: tuple[str, ...] | None = None):
        self.enabled = enabled
        self.layers = frozenset(layers) if layers else None
        self.records: list[TraceRecord] = []
        self.sinks: list[Callable[[TraceRecord], None]] = []

    def emit(self, t: int, layer: str, component: str, event: str, **fields) -> None:
        if self.layers is not None and layer not in self.layers:
            return
        rec = TraceRecord(t, layer, component, event, tuple(fields.items()))
        self.records.append(rec)
        for sink in self.sinks:
            sink(rec)

    def replay(self, rec: TraceRecord) -> None:
        """A record for an instant already passed (a poll that pollskip skipped), put in time order
        after the records of the same instant."""
        recs = self.records
        i = len(recs)
        while i and recs[i - 1].t > rec.t:
            i -= 1
        recs.insert(i, rec)
        for sink in self.sinks:
            sink(rec)

    def lines(self) -> list[str]:
        return [r.format() for r in self.records]

    def text(self) -> str:
        return "\n".join(self.lines()) + ("\n" if self.records else "")

    def digest(self) -> str:
        """SHA-256 of the rendered trace: equal digests mean byte-identical traces."""
        return hashlib.sha256(self.text().encode()).hexdigest()

    def clear(self) -> None:
        self.records.clear()
