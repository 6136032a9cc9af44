"""The one simulated clock: a SimPy environment in integer nanoseconds."""

from __future__ import annotations

import random

import simpy
from simpy.events import NORMAL

from .trace import Tracer


class Simulation:
    """SimPy environment + the only RNG + the tracer.

    Everything in a world shares one ``Simulation``.  Time is an ``int`` of
    nanoseconds.  Hot paths read ``env._now`` and ``env._queue`` (SimPy 4's
    own fields) instead of the ``now`` property and ``peek()``: a call less
    per register access.  Randomness comes only from ``rng`` (seeded), so the same
    config and seed give the same trace, byte for byte.
    """

    def __init__(self, seed: int = 0, trace: bool = False, layers: tuple[str, ...] | None = None):
        self.env = simpy.Environment()
        self.seed = seed
        self.rng = random.Random(seed)
        self.tracer = Tracer(trace, layers)

    @property
    def now(self) -> int:
        return self.env.now

    def trigger_at(self, event: simpy.Event, t: int, value=None) -> None:
        """Succeed ``event`` at absolute time ``t`` (>= now) with a single heap entry.

        This is how a decoupled initiator (running ahead of the kernel clock)
        notifies others: the waiter wakes exactly at the instant of the access
        that caused it, never earlier.
        """
        event._ok = True
        event._value = value
        self.env.schedule(event, NORMAL, t - self.env._now)

    def call_at(self, t: int, fn, *args) -> simpy.Event:
        """Run ``fn(*args)`` at absolute time ``t``; returns the scheduled event."""
        ev = self.env.event()
        ev.callbacks.append(lambda _ev: fn(*args))
        self.trigger_at(ev, t)
        return ev

    def process(self, gen) -> simpy.Process:
        return self.env.process(gen)

    def run(self, until=None):
        """Run the kernel; ``until`` is an absolute time (int ns) or an event."""
        return self.env.run(until=until)

    def run_process(self, gen, limit: int | None = None):
        """Start ``gen`` as a process, run until it ends, and return its value.

        ``limit`` bounds simulated time: hitting it raises ``TimeoutError``
        naming the limit, so a wedged scenario fails instead of hanging.
        """
        proc = self.env.process(gen)
        if limit is None:
            return self.env.run(until=proc)
        deadline = self.env.now + limit
        while not proc.triggered:
            if self.env.peek() > deadline:
                raise TimeoutError(f"process did not finish within {limit} ns of simulated time")
            self.env.step()
        self.env.run(until=proc)
        return proc.value

    @property
    def events_scheduled(self) -> int:
        """How many events the kernel has scheduled so far (SimPy numbers each one)."""
        # SimPy numbers every scheduled event with an itertools.count; its repr
        # is "count(N)" where N is the next number, i.e. the events so far.
        return int(repr(self.env._eid)[6:-1])

    def trace(self, t: int, layer: str, component: str, event: str, **fields) -> None:
        if self.tracer.enabled:
            self.tracer.emit(t, layer, component, event, **fields)
