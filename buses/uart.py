"""One direction of an asynchronous serial line: a UART transmitter and the wire to its peer's receiver.

8N1 framing, as a PC serial console and a BMC's SOL UART use it: a start
bit, 8 data bits and a stop bit, so a character occupies ``BITS_PER_CHAR``
bit times on the wire and reaches the receiver when its stop bit ends.
Character end times are computed from the start of a burst (``epoch``) and
the number of characters since, rounded up to the nanosecond, so a long
burst does not drift at bit rates (115200) whose bit time is not a whole
number of nanoseconds.

Hardware flow control (CTS) pauses the transmitter after the character on
the wire, as a 16550 with auto-CTS does.  One scheduled callback per
character; an idle line costs nothing.
"""

from __future__ import annotations

from collections.abc import Callable

from .time import S

BITS_PER_CHAR = 10  # start + 8 data + stop (8N1)

# The rates SOL and PC consoles use (IPMI 2.0 Table 26-5 parameter 5: 9.6k-115.2k).
STANDARD_BIT_RATES = (9600, 19200, 38400, 57600, 115200)


def char_end(epoch: int, n: int, bit_rate: int) -> int:
    """When the ``n``-th character (1-based) of a burst that started at ``epoch`` has left the wire."""
    return epoch + -(-n * BITS_PER_CHAR * S // bit_rate)


class UartTx:
    """A transmitter: ``write`` queues bytes, ``deliver(byte, t)`` runs as each one arrives at the peer.

    ``on_drain(t)``, when set, runs whenever the queue becomes empty after a character left.
    """

    def __init__(self, sim, bit_rate: int, deliver: Callable[[int, int], None], name: str = "uart"):
        self.sim = sim
        self.name = name
        self.deliver = deliver
        self.on_drain: Callable[[int], None] | None = None
        self._check_rate(bit_rate)
        self.bit_rate = bit_rate
        self.queue = bytearray()
        self.paused = False
        self.sent = 0              # characters delivered, for statistics and tests
        self._busy = False         # a character is on the wire
        self._epoch = 0
        self._n = 0                # characters of the current burst started so far
        self._gen = 0              # bumps on flush/stop: a scheduled end of a dropped character is stale

    @staticmethod
    def _check_rate(bit_rate: int) -> None:
        if not isinstance(bit_rate, int) or bit_rate <= 0:
            raise ValueError(f"bit_rate {bit_rate!r} must be a positive int (bits per second)")

    @property
    def char_time(self) -> int:
        """Nominal time of one character at the present rate (rounded up to the nanosecond)."""
        return char_end(0, 1, self.bit_rate)

    @property
    def pending(self) -> int:
        """Characters queued, including the one on the wire."""
        return len(self.queue)

    @property
    def busy(self) -> bool:
        return self._busy

    def write(self, data: bytes, t: int) -> None:
        """Queue ``data`` at time ``t``; transmission starts at once if the line is idle."""
        if not data:
            return
        self.queue += data
        if not self._busy and not self.paused:
            self._start(t)

    def set_bit_rate(self, bit_rate: int, t: int) -> None:
        """A new divisor: the character on the wire finishes at the old rate, the next starts a new burst."""
        self._check_rate(bit_rate)
        self.bit_rate = bit_rate

    def pause(self, paused: bool, t: int) -> None:
        """CTS deasserted (True) or asserted again (False)."""
        if paused == self.paused:
            return
        self.paused = paused
        if not paused and self.queue and not self._busy:
            self._start(t)

    def flush(self) -> None:
        """Drop everything queued, the character on the wire included (a FIFO reset)."""
        self.queue.clear()
        self._busy = False
        self._gen += 1

    # -- internals ------------------------------------------------------------------

    def _start(self, t: int) -> None:
        self._epoch = t
        self._n = 0
        self._next()

    def _next(self) -> None:
        self._busy = True
        self._n += 1
        end = char_end(self._epoch, self._n, self.bit_rate)
        self.sim.call_at(end, self._char_done, self._gen, self.bit_rate)

    def _char_done(self, gen: int, rate: int) -> None:
        if gen != self._gen:
            return
        t = self.sim.now
        byte = self.queue.pop(0)
        self.sent += 1
        self._busy = False
        if self.queue and not self.paused:
            if rate != self.bit_rate:   # rate changed during this character: a new burst from here
                self._epoch, self._n = t, 0
            self._next()
        self.deliver(byte, t)
        if not self.queue and not self._busy and self.on_drain is not None:
            self.on_drain(t)
