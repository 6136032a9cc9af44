"""The host CPU as the IPMI drivers see it: port I/O with a cost, interrupts with a latency."""

from __future__ import annotations

from buses import Initiator
from buses.isa import CPU_PORT_IO_NS
from buses.time import us

# From device interrupt to the driver's handler on a Linux x86 host.
HOST_IRQ_LATENCY_NS = us(2)


class HostCpu(Initiator):
    __slots__ = ("io_space", "io_ns", "irq_latency", "_decode", "stalled_until")

    def __init__(self, sim, io_space, name: str = "host.cpu", io_ns: int | None = None,
                 irq_latency: int = HOST_IRQ_LATENCY_NS):
        super().__init__(sim, name)
        self.io_space = io_space
        self._decode = io_space._decode      # the space's live port map (mutated in place, never replaced)
        self.io_ns = CPU_PORT_IO_NS if io_ns is None else io_ns
        self.irq_latency = irq_latency
        self.stalled_until = 0                # a stall (scenarios.faults.HostStall) holds every cycle till then

    # inb/outb inline ``Initiator.advance`` and the space's decode: they are the
    # hottest code in the simulator, and a layer less per port access is worth it.
    # An unmapped port goes through ``IoSpace`` (which floats it and traces).
    def inb(self, port: int):
        """Generator: ``inb``; the read lands when the I/O cycle completes."""
        env = self.env
        now = env._now                       # SimPy's own fields: no property, no method call
        t = (self.t if self.t > now else now) + self.io_ns
        q = env._queue
        if q and q[0][0] <= t:
            yield env.timeout(t - now)
            if self.stalled_until > t - self.io_ns:
                t = yield from self._stalled()
        self.t = t
        hit = self._decode.get(port)
        if hit is None:
            return self.io_space.inb(port, t)
        return hit[0].io_read(hit[1], t)

    def outb(self, port: int, value: int):
        """Generator: ``outb``; the write lands when the I/O cycle completes."""
        env = self.env
        now = env._now
        t = (self.t if self.t > now else now) + self.io_ns
        q = env._queue
        if q and q[0][0] <= t:
            yield env.timeout(t - now)
            if self.stalled_until > t - self.io_ns:
                t = yield from self._stalled()
        self.t = t
        hit = self._decode.get(port)
        if hit is None:
            self.io_space.outb(port, value, t)
        else:
            hit[0].io_write(hit[1], value & 0xFF, t)

    def _wide(self):
        env = self.env
        now = env.now
        t = (self.t if self.t > now else now) + self.io_ns
        if env.peek() <= t:
            yield env.timeout(t - now)
            if self.stalled_until > t - self.io_ns:
                t = yield from self._stalled()
        self.t = t
        return t

    def _stalled(self):
        """Generator: a stall began while a cycle waited (``HostStall``): the cycle completes one I/O
        time after the CPU runs again.  Returns its completion time."""
        env = self.env
        while True:
            end = self.stalled_until + self.io_ns
            yield env.timeout(end - env.now)
            if self.stalled_until + self.io_ns <= end:          # not stalled again meanwhile
                return end

    def inl(self, port: int, size: int = 4):
        """Generator: ``inw``/``inl`` (``size`` 2 or 4): one I/O cycle, little-endian."""
        t = yield from self._wide()
        return self.io_space.read(port, size, t)

    def outl(self, port: int, value: int, size: int = 4):
        """Generator: ``outw``/``outl`` (``size`` 2 or 4): one I/O cycle."""
        t = yield from self._wide()
        self.io_space.write(port, value, size, t)

    def attach_irq(self, line, handler):
        """Deliver ``line``'s rising edges to ``handler(t)`` after the interrupt latency (``request_irq``).

        Returns the listener, for ``line.disconnect`` (``free_irq``).
        """
        lat = self.irq_latency

        def deliver(t: int) -> None:
            handler(t + lat)
        line.connect(deliver)
        return deliver
