"""The BMC firmware CPU's time model: interrupt latency and a cost per MMIO access.

Interrupt handlers are generator functions run one at a time, in the order
their interrupts became due: a single core with interrupts disabled inside
a handler, as Linux runs a hardirq.  The CPU steps the handler itself from
the interrupt's own kernel event (and from the events the handler waits
on), as a SimPy process would, without a process's wake-up event per
interrupt.  Register
accesses go through ``mmio_read``/``mmio_write``, which charge ``mmio_ns``
of local time each (see ``buses.initiator`` for why that costs no kernel
event unless something else is due in between).
"""

from __future__ import annotations

from collections import deque

from buses import Initiator


class FirmwareCpu(Initiator):
    __slots__ = ("irq_latency", "mmio_ns", "mmio", "_runq", "_gen", "irqs_taken", "_decoded")

    def __init__(self, sim, name: str, irq_latency: int, mmio_ns: int, mmio=None):
        super().__init__(sim, name)
        self.irq_latency = irq_latency
        self.mmio_ns = mmio_ns
        self.mmio = mmio                  # address decoder with read(addr, t)/write(addr, v, t)
        self._runq: deque = deque()
        self._gen = None                  # the handler running (suspended on an event), if any
        self._decoded: dict = {}          # address -> (device, offset): regions never move or overlap
        self.irqs_taken = 0

    def post(self, handler, t: int, latency: int | None = None) -> None:
        """Run ``handler()`` (a generator function) in interrupt context from ``t + latency``."""
        due = t + (self.irq_latency if latency is None else latency)
        self.sim.call_at(due, self._ready, handler)

    def _ready(self, handler) -> None:
        self._runq.append(handler)
        if self._gen is None:
            self._run_queue()

    def _run_queue(self) -> None:
        """Run queued handlers in order until one waits on an event (or none is left)."""
        runq = self._runq
        while runq:
            handler = runq.popleft()
            now = self.env._now
            if self.t < now:
                self.t = now
            self.irqs_taken += 1
            self._gen = handler()
            if not self._step(None, True):
                return                        # suspended: _resume carries on
        self._gen = None

    def _step(self, value, ok: bool) -> bool:
        """Advance the running handler; True when it has finished."""
        gen = self._gen
        while True:
            try:
                event = gen.send(value) if ok else gen.throw(value)
            except StopIteration:
                self._gen = None
                return True
            if event.callbacks is not None:   # pending: resume when the kernel processes it
                event.callbacks.append(self._resume)
                return False
            ok, value = event._ok, event._value   # already processed: go on at once
            if not ok:
                event._defused = True

    def _resume(self, event) -> None:
        if not event._ok:
            event._defused = True
        if self._step(event._value, event._ok):
            self._run_queue()

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
        hit = self._decoded.get(addr)
        if hit is None:
            hit = self._decoded[addr] = self.mmio._find(addr)
        return hit[0].read(hit[1], t)

    def mmio_write(self, addr: int, value: int):
        env = self.env
        if self.t < env._now:
            self.t = env._now
        t = self.t + self.mmio_ns
        q = env._queue
        if q and q[0][0] <= t:
            yield env.timeout(t - env._now)
        self.t = t
        hit = self._decoded.get(addr)
        if hit is None:
            hit = self._decoded[addr] = self.mmio._find(addr)
        hit[0].write(hit[1], value, t)

    def mmio_update(self, addr: int, mask: int, value: int):
        """Read-modify-write as one locked access pair (regmap_update_bits)."""
        old = yield from self.mmio_read(addr)
        new = (old & ~mask) | (value & mask)
        if new != old:
            yield from self.mmio_write(addr, new)

    def busy(self, cost: int):
        """Generator: spend ``cost`` of CPU time (handler bookkeeping, spinning)."""
        return self.advance(cost)

