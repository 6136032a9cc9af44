"""A minimal interrupt controller: numbered lines, enables, level semantics.

Modelled on what a GIC does for a level-sensitive SPI: while a line is
asserted and enabled it is pending; the CPU takes it after its interrupt
latency, runs the registered handler, and takes it again if the line is
still asserted afterwards (the handler did not clear the source).
"""

from __future__ import annotations

from buses import IrqLine


class Intc:
    def __init__(self, sim, cpu, name: str = "intc"):
        self.sim = sim
        self.cpu = cpu
        self.name = name
        self.lines: dict[int, IrqLine] = {}
        self.handlers: dict[int, object] = {}
        self.enabled: set[int] = set()
        self._in_flight: set[int] = set()

    def line(self, n: int) -> IrqLine:
        ln = self.lines.get(n)
        if ln is None:
            ln = self.lines[n] = IrqLine(self.sim, f"{self.name}.spi{n}")
            ln.on_assert = lambda t, n=n: self._pend(n, t)
        return ln

    def connect(self, n: int, line: IrqLine) -> None:
        """Wire a device's interrupt output to input ``n``."""
        if n in self.lines:
            raise ValueError(f"{self.name}: input {n} is already wired to {self.lines[n].name}")
        self.lines[n] = line
        line.on_assert = lambda t, n=n: self._pend(n, t)

    def request_irq(self, n: int, handler) -> None:
        """Register ``handler`` (generator function) for line ``n`` and enable it."""
        if n in self.handlers:
            raise ValueError(f"{self.name}: IRQ {n} already has a handler")
        self.line(n)
        self.handlers[n] = handler
        self.enabled.add(n)

    def free_irq(self, n: int) -> None:
        self.handlers.pop(n, None)
        self.enabled.discard(n)

    def _pend(self, n: int, t: int) -> None:
        if n not in self.enabled or n in self._in_flight:
            return
        self._in_flight.add(n)
        self.cpu.post(lambda: self._service(n), t)

    def _service(self, n: int):
        handler = self.handlers.get(n)
        if handler is not None:
            yield from handler()
        self._in_flight.discard(n)
        # Level semantics: still asserted -> taken again.
        if self.lines[n].level and n in self.enabled:
            self._pend(n, self.cpu.t)
