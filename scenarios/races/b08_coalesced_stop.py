"""B-8: the ASPEED I2C target's coalesced interrupt: a STOP and the next START in one status read."""

from buses.time import ms, s, us
from scenarios.faults import IrqHold, Schedule, inject
from scenarios.scenario import boot, find
from soc.aspeed.i2c import INTR_NORMAL_STOP

from . import outcome, race

REQUESTS = 10


@race("B-8", "aspeed-coalesced-stop", "BMC: i2c-aspeed target + ssif_bmc (AST2600)",
      "ASPEED I2C slave: coalesced interrupts lose a transaction",
      """The host asks Get Device ID ten times back to back over SSIF. The BMC's CPU is busy: a third
      of the interrupts that carry a STOP are taken late (0.1-0.5 ms, drawn from the seed). When the
      STOP ending the read of one answer is late, the host's next request has already started, and the
      handler finds the STOP, the new address match and its byte in one status read (0x94 and up). The
      older handler looked at SLAVE_MATCH and the address first and at the STOP after: the state
      became "stop" over "write-requested", ssif_bmc got the old STOP and never the new transaction's
      start, and the request's bytes fell on an inactive target. The request is lost; ipmi_ssif reads
      for 250 x 60 ms and gives up with 0xFF. Since 'i2c: aspeed: Handle the coalesced stop
      conditions with the start conditions.' the STOP goes to the backend first.""",
      "a request is lost on the BMC side: the host gives up after 15 s",
      buggy=("i2c-aspeed-stop-after-match",), fixed=(), seed=1)
def play(variants, seed):
    w = boot("ast2600", interface="ssif", seed=seed, trace=True, variants=variants)
    sim = w.sim
    t0 = sim.now
    # A busy BMC CPU: a third of the STOP interrupts are taken late (0.1-0.5 ms).
    hold = us(100) + sim.rng.randrange(us(400))
    inject(w, IrqHold(hold, status=INTR_NORMAL_STOP, schedule=Schedule(probability=0.3), name="late-irq"))
    for k in range(REQUESTS):                                     # Get Device ID back to back
        r = w.request(0x06, 0x01, limit=s(30))
        if r.cc != 0 or r.elapsed > ms(500):
            return outcome(w, True, r.t_done, f"request {k + 1}: cc 0x{r.cc:02X} after {r.elapsed / 1e6:.1f} ms "
                           f"({_coalesced(w, t0)} STOP+START coalesced, irq held {hold / 1e3:.0f} us)")
    return outcome(w, False, None, f"{REQUESTS} requests answered ({_coalesced(w, t0)} STOP+START coalesced, "
                   f"irq held {hold / 1e3:.0f} us)")


def _coalesced(w, t0) -> int:
    return sum(1 for x in find(w, layer="fw", event="irq", since=t0)
               if int(dict(x.fields)["status"], 16) & 0x90 == 0x90)
