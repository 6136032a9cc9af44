"""The BMC firmware CPU's time model: interrupt latency and a cost per MMIO access.

Interrupt handlers are generator functions run one at a time, in the order
their interrupts became due, on one persistent process: a single core with
interrupts disabled inside a handler, as Linux runs a hardirq.  Register
accesses go through ``mmio_read``/``mmio_write``, which charge ``mmio_ns``
of local time each (see ``buses.initiator`` for why that costs no kernel
event unless something else is due in between).
"""

from __future__ import annotations

from collections import deque

from buses import Initiator


class FirmwareCpu(Initiator):
    __slots__ = ("irq_latency", "mmio_ns", "mmio", "_runq", "_idle", "irqs_taken")

    def __init__(self, sim, name: str, irq_latency: int, mmio_ns: int, mmio=None):
        super().__init__(sim, name)
        self.irq_latency = irq_latency
        self.mmio_ns = mmio_ns
        self.mmio = mmio                  # address decoder with read(addr, t)/write(addr, v, t)
        self._runq: deque = deque()
        self._idle = None
        self.irqs_taken = 0
        sim.process(self._run())

    def post(self, handler, t: int, latency: int | None = None) -> None:
        """Run ``handler()`` (a generator function) in interrupt context from ``t + latency``."""
        due = t + (self.irq_latency if latency is None else latency)
        self.sim.call_at(due, self._ready, handler)

    def _ready(self, handler) -> None:
        self._runq.append(handler)
        idle = self._idle
        if idle is not None:
            self._idle = None
            idle.succeed()

    def _run(self):
        env = self.env
        while True:
            if not self._runq:
                self._idle = env.event()
                yield self._idle
            handler = self._runq.popleft()
            if self.t < env._now:
                self.t = env._now
            self.irqs_taken += 1
            yield from handler()

    def call(self, job, t: int | None = None):
        """Run ``job()`` (a generator function) on this CPU from ``t`` (default now), as a syscall under
        ``spin_lock_irq``: no interrupt handler runs in between.  Returns an event that succeeds with its value."""
        done = self.env.event()

        def run():
            value = yield from job()
            self.sim.trigger_at(done, self.t, value)
        self.post(run, self.env._now if t is None else t, latency=0)
        return done

    # -- register access -------------------------------------------------------
    # mmio_read/mmio_write inline ``Initiator.advance``: one generator layer less per access.
    def mmio_read(self, addr: int):
        env = self.env
        if self.t < env._now:
            self.t = env._now
        t = self.t + self.mmio_ns
        q = env._queue
        if q and q[0][0] <= t:
            yield env.timeout(t - env._now)
        self.t = t
        return self.mmio.read(addr, t)

    def mmio_write(self, addr: int, value: int):
        env = self.env
        if self.t < env._now:
            self.t = env._now
        t = self.t + self.mmio_ns
        q = env._queue
        if q and q[0][0] <= t:
            yield env.timeout(t - env._now)
        self.t = t
        self.mmio.write(addr, value, t)

    def mmio_update(self, addr: int, mask: int, value: int):
        """Read-modify-write as one locked access pair (regmap_update_bits)."""
        old = yield from self.mmio_read(addr)
        new = (old & ~mask) | (value & mask)
        if new != old:
            yield from self.mmio_write(addr, new)

    def busy(self, cost: int):
        """Generator: spend ``cost`` of CPU time (handler bookkeeping, spinning)."""
        return self.advance(cost)

