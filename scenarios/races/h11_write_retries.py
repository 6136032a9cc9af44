"""H-11: SSIF write retries hammered a busy BMC and spent all five tries inside a millisecond."""

from buses.time import ms, us
from scenarios.faults import BusFault, Schedule, inject
from scenarios.scenario import boot

from . import outcome, race


@race("H-11", "ssif-write-retries", "host: ipmi_ssif",
      "SSIF write retries hammered a busy BMC",
      """The BMC is busy when the request comes and NAKs its address for a while (0.1-2 ms, drawn from
      the seed), as a busy SSIF BMC may. ipmi_ssif retries a NAKed write five times. Before 6.3 it
      resent at once, so the five tries were spent within about half a millisecond and the message
      failed although the BMC was ready a moment later. 'ipmi:ssif: Add a timer between request
      retries' (6.3) waits the retry interval (60 ms) between tries.""",
      "the request fails: all five write tries fall inside the BMC's busy window",
      buggy=("ssif-write-retry-at-once",), fixed=())
def play(variants, seed):
    w = boot("smbus-ipmi", seed=seed, trace=True, variants=variants)
    sim = w.sim
    t0 = sim.now
    busy = us(100) + sim.rng.randrange(ms(1.9))
    inject(w, BusFault("nak", "start", schedule=Schedule(after=t0, until=t0 + busy), name="busy-bmc"))
    r = w.request(0x06, 0x01, limit=ms(2000))
    tries = 1 + w.host.si.stats["send_retries"]
    if r.cc != 0:
        return outcome(w, True, r.t_done, f"cc 0x{r.cc:02X} after {tries} tries in {r.elapsed / 1e3:.0f} us; "
                       f"the BMC was busy for {busy / 1e3:.0f} us")
    return outcome(w, False, None, f"answered after {tries} tries in {r.elapsed / 1e6:.2f} ms "
                   f"(busy for {busy / 1e3:.0f} us)")
