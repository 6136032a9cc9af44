"""A raw KCS client, modelled on Linux ``kcs_bmc_cdev_raw`` (``/dev/raw-kcsN``).

Userspace moves bytes straight through IDR/ODR, with no IPMI framing: the
way MCTP-over-KCS or host firmware mailboxes use a channel.  After writing
ODR it asks for an "output buffer empty" event to learn when it may write
again, which on ASPEED silicon means the driver's busy poll and its 500 ms
fallback timer (``bmc.kcs_aspeed``).
"""

from __future__ import annotations

from collections import deque

from buses import Notifier

from .ipmi.kcs import STATUS_IBF, STATUS_OBF
from .kcs_engine import EVENT_IBF, EVENT_OBE


class KcsRawClient:
    def __init__(self, sim, driver, name: str = "raw-kcs"):
        self.sim = sim
        self.driver = driver
        self.cpu = driver.cpu
        self.name = name
        self.writable = Notifier(sim)
        self.is_writable = True
        self.rx: deque[int] = deque()
        self.last_write = 0
        driver.client_event = self._event

    def open(self):
        """Generator: attach (enables the IBF interrupt)."""
        yield from self.driver.irq_mask_update(EVENT_IBF, EVENT_IBF)

    def _became_writable(self):
        yield from self.driver.irq_mask_update(EVENT_OBE, 0)
        self.is_writable = True
        self.sim.trace(self.cpu.t, "fw", self.name, "writable")
        self.writable.notify(self.cpu.t)

    def _event(self):
        status = yield from self.driver.inb("STR")
        if status & STATUS_IBF:
            self.rx.append((yield from self.driver.inb("IDR")))
        if not self.is_writable and not status & STATUS_OBF:
            yield from self._became_writable()

    def write(self, byte: int):
        """Generator (run on the firmware CPU): put ``byte`` in ODR and arm the OBE event."""
        self.is_writable = False
        yield from self.driver.outb("ODR", byte)
        self.last_write = self.cpu.t
        yield from self.driver.irq_mask_update(EVENT_OBE, EVENT_OBE)
        # The race-free re-check the driver asks of its clients: OBF may already be clear.
        status = yield from self.driver.inb("STR")
        if not status & STATUS_OBF:
            yield from self._became_writable()

    def send(self, data: bytes):
        """Generator (a userspace process): write ``data`` byte by byte, waiting for OBE each time.

        Returns the times at which each byte landed in ODR.
        """
        env = self.sim.env
        times = []
        for byte in data:
            while not self.is_writable:
                yield self.writable.wait()
            done = env.event()

            def job(b=byte, done=done):
                yield from self.write(b)
                times.append(self.last_write)
                self.sim.trigger_at(done, self.cpu.t)
            self.cpu.post(job, env.now, latency=0)
            yield done
        return times
