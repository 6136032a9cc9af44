"""Your own driver variant, defined here: ipmi_ssif with a 5 ms write retry instead of 60 ms.

A variant is a subclass that overrides the one method of the code path it changes, registered by
name (buses.variant); the world builds the driver with it and leaves the rest as Linux has it.
This one asks a question the catalogue does not: would a 5 ms retry interval have been enough for
a BMC that NAKs for a while when busy?  It survives 20 ms of busy (five tries span 20 ms), but
not 30 ms; Linux's 60 ms does.
"""

from buses.time import ms, us
from buses.variant import variant
from scenarios.faults import BusFault, Schedule, inject
from scenarios.scenario import boot
from vserver.ssif import SsifInterface


@variant(SsifInterface, "ssif-write-retry-5ms", "an experiment: retry a NAKed write after 5 ms")
class WriteRetry5ms(SsifInterface):
    def _retry_write(self) -> None:
        self.do_resend = True
        self.retry_at(ms(5))

    def retry_at(self, delay: int) -> None:
        self._retry_gen += 1
        self._retry_at = self._now() + delay


def try_it(variants, busy):
    w = boot("smbus-ipmi", seed=8, variants=variants)
    t0 = w.sim.now
    inject(w, BusFault("nak", "start", schedule=Schedule(after=t0, until=t0 + busy)))
    r = w.request(0x06, 0x01, limit=ms(2000))
    return r.cc, r.elapsed


for busy in (ms(2), ms(20), ms(30)):
    ours, linux = try_it(("ssif-write-retry-5ms",), busy), try_it((), busy)
    print(f"BMC busy {busy / 1e6:3.0f} ms: 5 ms retries -> cc 0x{ours[0]:02X} in {ours[1] / 1e6:6.1f} ms; "
          f"Linux's 60 ms -> cc 0x{linux[0]:02X} in {linux[1] / 1e6:6.1f} ms")
    assert linux[0] == 0
    assert (ours[0] == 0) == (busy < ms(20) + us(500))
