"""H-10: SSIF stuck in SSIF_GETTING_FLAGS after a flags answer with the wrong NetFn/Cmd."""

from buses.time import ms, s
from scenarios.faults import AnswerFault, Schedule, inject
from scenarios.scenario import boot, first

from . import outcome, race

BAD_FLAGS = bytes.fromhex("1C 01 00 20")        # "Invalid response getting flags: 1c 1"


@race("H-10", "ssif-flags-stuck", "host: ipmi_ssif",
      "SSIF stuck in SSIF_GETTING_FLAGS",
      """A user registered for commands, so ipmi_ssif fetches the message flags every 250 ms. After a
      BMC firmware update, some flag fetches are answered with another command's header (1C 01: the
      fault answers 2% of them that way, drawn from the seed). The driver's check for a wrong
      NetFn/Cmd logged "Invalid response getting flags" and returned without leaving SSIF_GETTING_FLAGS:
      every later send needs the driver idle, so all requests queue forever. 'ipmi: fix SSIF not
      responding under certain cond.' (6.4) sets SSIF_IDLE in that branch.""",
      "a user request is never answered: the driver never leaves GETTING_FLAGS",
      buggy=("ssif-flags-stuck",), fixed=(), seed=1)
def play(variants, seed):
    w = boot("smbus-ipmi", seed=seed, trace=True, variants=variants)
    sim = w.sim
    w.host.ipmi.register_for_cmd(0x06, 0x34, lambda t, rsp: None)       # the watch: flags every 250 ms
    inject(w, AnswerFault(0x06, 0x31, replace=BAD_FLAGS, schedule=Schedule(probability=0.02)))
    t0 = sim.now
    procs = []
    for k in range(10):                                                # Get Device ID every 500 ms for 5 s
        if k:
            sim.run(until=t0 + k * ms(500))
        procs.append((sim.now, sim.process(w.host.ipmi.request(0x06, 0x01))))
    sim.run(until=t0 + s(7))
    hung = [t for t, p in procs if not p.triggered]
    bad = first(w, layer="si", event="flags-invalid", since=t0)
    if hung:
        return outcome(w, True, bad.t if bad else hung[0],
                       f"{len(hung)} of {len(procs)} requests never answered; stuck in "
                       f"{w.host.si.ssif_state} since {bad.t / 1e9:.3f} s" if bad else f"{len(hung)} requests hung")
    seen = "an invalid flags answer, back to idle" if bad else "no invalid flags answer drawn"
    return outcome(w, False, None, f"all {len(procs)} requests answered ({seen})")
