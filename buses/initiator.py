"""Bus initiators that run ahead of the kernel clock (temporal decoupling).

A CPU executes a burst of register accesses far faster than anything else in
the world changes.  Scheduling one SimPy event per access would make every
byte cost several kernel events, so an initiator keeps its own *local time*
``t`` (>= the kernel's ``now``) and stamps each access with it.  An access
at time ``ta`` is performed at once, without an event, when no other event is
due at or before ``ta`` (``env.peek() > ta``): nothing else can observe the
world in between, so the result is exactly what a step-by-step simulation
would give.  Otherwise the initiator first lets the kernel catch up to
``ta``.  This is SystemC TLM's loosely-timed quantum with a zero-lookahead
guard, and it keeps traces exact to the nanosecond.

Components that react to an access (an IRQ, a status change) schedule their
reaction at the access time via ``Simulation.trigger_at``.
"""

from __future__ import annotations


class Initiator:
    """Local time bookkeeping for one bus master."""

    __slots__ = ("sim", "env", "name", "t")

    def __init__(self, sim, name: str):
        self.sim = sim
        self.env = sim.env
        self.name = name
        self.t = 0

    def advance(self, cost: int):
        """Generator: account ``cost`` ns of work; returns the completion time.

        Yields to the kernel only when some other event falls due before the
        work completes.
        """
        env = self.env
        if self.t < env._now:
            self.t = env._now
        t = self.t + cost
        q = env._queue
        if q and q[0][0] <= t:                 # env.peek() <= t, without the call
            yield env.timeout(t - env._now)
        self.t = t
        return t

    def sleep(self, duration: int):
        """Generator: be idle for ``duration`` from local time; always syncs."""
        env = self.env
        t = max(self.t, env._now) + duration
        yield env.timeout(t - env._now)
        self.t = t

    def sleep_until(self, t: int):
        """Generator: be idle until absolute time ``t`` (no-op if already past)."""
        env = self.env
        if t > env._now:
            yield env.timeout(t - env._now)
        if self.t < t:
            self.t = t

    def wait(self, event):
        """Generator: block on ``event``; local time resumes at max(busy-until, event time)."""
        value = yield event
        if self.t < self.env._now:
            self.t = self.env._now
        return value

    def sync(self):
        """Generator: bring the kernel clock up to local time."""
        env = self.env
        if self.t > env._now:
            yield env.timeout(self.t - env._now)
        else:
            self.t = env._now
