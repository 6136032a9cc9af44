"""A minimal interrupt controller: numbered inputs, shared lines, enables, level semantics.

Modelled on what a GIC (or the AST2500's VIC) does for a level-sensitive
input: while any device wired to it holds its line high and the input is
enabled, it is pending; the CPU takes it after its interrupt latency, runs
every handler registered on it in order (``IRQF_SHARED``: each checks its
own device), and takes it again if the input is still asserted afterwards
(no handler cleared its source).
"""

from __future__ import annotations


class Intc:
    def __init__(self, sim, cpu, name: str = "intc"):
        self.sim = sim
        self.cpu = cpu
        self.name = name
        self.sources: dict[int, list] = {}      # input -> device IrqLines wired to it (wired-OR)
        self.handlers: dict[int, list] = {}     # input -> handlers, in request order
        self.enabled: set[int] = set()
        self._in_flight: set[int] = set()

    def connect(self, n: int, line) -> None:
        """Wire a device's interrupt output to input ``n`` (several devices may share one input)."""
        wired = self.sources.setdefault(n, [])
        if line in wired:
            raise ValueError(f"{self.name}: {line.name} is already wired to input {n}")
        wired.append(line)
        line.connect(lambda t, n=n: self._pend(n, t))

    def asserted(self, n: int) -> bool:
        for line in self.sources.get(n, ()):
            if line.level:
                return True
        return False

    def request_irq(self, n: int, handler) -> None:
        """Add ``handler`` (a generator function) on input ``n`` and enable it."""
        self.handlers.setdefault(n, []).append(handler)
        self.enabled.add(n)
        if self.asserted(n):
            self._pend(n, self.cpu.t)

    def free_irq(self, n: int, handler=None) -> None:
        """Remove ``handler`` (all of them if None); the input is disabled once none is left."""
        hs = self.handlers.get(n, [])
        if handler is None:
            hs.clear()
        elif handler in hs:
            hs.remove(handler)
        if not hs:
            self.enabled.discard(n)

    def disable(self, n: int) -> None:
        """Mask input ``n`` (``disable_irq``): pending and future assertions are ignored."""
        self.enabled.discard(n)

    def enable(self, n: int) -> None:
        """Unmask input ``n`` (``enable_irq``); a line still asserted is taken at once."""
        self.enabled.add(n)
        if self.asserted(n):
            self._pend(n, max(self.cpu.t, self.sim.now))

    def _pend(self, n: int, t: int) -> None:
        if n not in self.enabled or n in self._in_flight:
            return
        self._in_flight.add(n)
        self.cpu.post(lambda: self._service(n), t)

    def _service(self, n: int):
        for handler in tuple(self.handlers.get(n, ())):
            yield from handler()
        self._in_flight.discard(n)
        # Level semantics: still asserted -> taken again.
        if n in self.enabled and self.asserted(n):
            self._pend(n, self.cpu.t)
