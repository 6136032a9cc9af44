"""The simulated clock paced to the wall clock, shared by the servers (``bmc.vm.server``, ``bmc.lan.server``).

Simulated ``t`` = monotonic wall ns since ``start()`` (plus the clock's value
then), never behind the simulation.  ``advance()`` runs every simulated
event due up to the wall's now (simpy.rt semantics, integer ns).
"""

from __future__ import annotations

import os
import selectors
import time
from collections.abc import Callable

# After a request, how long a server keeps reading its socket before it sleeps in select() again, and the
# longest such spin (so a listener and the other sockets are never starved).
BUSY_POLL_S = 200e-6
BUSY_POLL_MAX_S = 20e-3


class WallClock:
    def __init__(self, sim):
        self.sim = sim
        self.wall0: int | None = None

    def start(self) -> None:
        if self.wall0 is None:
            self.wall0 = time.monotonic_ns() - self.sim.now

    def now(self) -> int:
        t = time.monotonic_ns() - self.wall0
        now = self.sim.env.now
        return t if t > now else now

    def advance(self) -> int:
        """Run every simulated event due up to the wall clock's now; returns now."""
        t = self.now()
        env = self.sim.env
        if t > env.now:
            if env.peek() > t:
                # Nothing is due before t: moving the clock is all a timeout and its step would do, at a
                # fraction of the cost (a server does this twice per request).
                env._now = t
                return t
            # A timeout as the marker, not env.run(until=t): SimPy 4.1 leaves run()'s stop event queued at
            # "now", which would make the next select() return at once, forever.
            mark = env.timeout(t - env.now)
            while not mark.processed:
                env.step()
        return env.now

    def timeout_s(self) -> float | None:
        """Wall seconds until the next simulated event is due (None: nothing scheduled)."""
        due = self.sim.env.peek()
        return None if due == float("inf") else max(0.0, (due - self.now()) / 1e9)

    def busy_poll(self, read: Callable[[int], bool], quiet_s: float, go_on: Callable[[], bool] = lambda: True) -> None:
        """Spin on a socket after a request, as ``kipmid`` spins on its interface.

        A closed-loop peer's next request follows the answer within tens of
        microseconds; catching it here saves the sleep in select() and the
        wake-up, most of a round trip.  ``read(now)`` is called until it has
        found nothing for ``quiet_s`` (it returns whether it read something),
        a simulated event falls due, ``go_on()`` says stop, or
        ``BUSY_POLL_MAX_S`` have passed.
        """
        if not quiet_s:
            return
        clock = time.perf_counter
        start = clock()
        quiet_until = start + quiet_s
        stop = start + BUSY_POLL_MAX_S
        env = self.sim.env
        while go_on():
            now = clock()
            if now >= quiet_until or now >= stop:
                return
            t = self.advance()
            if env.peek() <= t:
                return
            if read(t):
                quiet_until = clock() + quiet_s


class WakePipe:
    """How ``stop()`` (a signal handler, another thread) wakes a server sleeping in ``select()``: a
    non-blocking pipe registered in the server's selector with ``tag`` as its key data."""

    def __init__(self, sel: selectors.BaseSelector, tag):
        self.sel = sel
        self.r, self.w = os.pipe()
        os.set_blocking(self.r, False)
        os.set_blocking(self.w, False)
        sel.register(self.r, selectors.EVENT_READ, tag)

    def wake(self) -> None:
        try:
            os.write(self.w, b"x")
        except OSError:
            pass    # the pipe is full (a wake-up is already pending) or closed

    def drain(self) -> None:
        try:
            while os.read(self.r, 512):
                pass
        except OSError:
            pass

    def close(self) -> None:
        if self.r >= 0:
            self.sel.unregister(self.r)
            os.close(self.r)
            os.close(self.w)
            self.r = self.w = -1
