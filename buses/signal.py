"""Signals between components: lazy notifications and interrupt lines."""

from __future__ import annotations

from collections.abc import Callable


class Notifier:
    """A change notification that costs nothing unless someone waits.

    ``wait()`` hands out one shared event; ``notify(t)`` fires it at the time
    ``t`` of the change (which may lie ahead of the kernel clock when the
    notifier is a decoupled initiator) and forgets it.  With no waiter,
    ``notify`` is a single attribute test: the "lazy notify" rule.
    """

    __slots__ = ("sim", "_ev")

    def __init__(self, sim):
        self.sim = sim
        self._ev = None

    def wait(self):
        ev = self._ev
        if ev is None:
            ev = self._ev = self.sim.env.event()
        return ev

    @property
    def waited(self) -> bool:
        return self._ev is not None

    def notify(self, t: int, value=None) -> None:
        ev = self._ev
        if ev is None:
            return
        self._ev = None
        self.sim.trigger_at(ev, t, value)


class IrqLine:
    """A level-sensitive interrupt line.

    The device drives the level with ``set(level, t)``.  Whoever consumes
    the line (an interrupt controller, a host CPU, a tracer, a fault that
    loses an edge) ``connect``s a listener, called synchronously with the
    time of each rising edge, in the order they connected.  Lowering is
    always allowed; an edge is reported only on a 0 -> 1 transition.
    """

    __slots__ = ("sim", "name", "level", "listeners", "fall_listeners", "asserts")

    def __init__(self, sim, name: str):
        self.sim = sim
        self.name = name
        self.level = 0
        self.listeners: list[Callable[[int], None]] = []
        self.fall_listeners: list[Callable[[int], None]] = []   # 1 -> 0: for a level follower (PCI INTx)
        self.asserts = 0

    def connect(self, fn: Callable[[int], None]) -> None:
        self.listeners.append(fn)

    def disconnect(self, fn: Callable[[int], None]) -> None:
        if fn in self.listeners:
            self.listeners.remove(fn)

    def set(self, level: int, t: int) -> None:
        level = 1 if level else 0
        if level == self.level:
            return
        self.level = level
        if self.sim.tracer.enabled:
            self.sim.trace(t, "irq", self.name, "assert" if level else "deassert")
        if level:
            self.asserts += 1
            for fn in self.listeners:
                fn(t)
        else:
            for fn in self.fall_listeners:
                fn(t)
