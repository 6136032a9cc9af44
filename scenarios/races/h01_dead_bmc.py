"""H-1: a dead BMC, and every message behind the first one pays the whole 55 s cycle again."""

from buses.time import s
from scenarios.scenario import boot

from . import outcome, race

EVERY = s(20)          # the monitoring agent's period
MESSAGES = 4


@race("H-1", "dead-bmc-pileup", "host: ipmi_kcs_sm + ipmi_si",
      "Dead BMC: messages pile up, 55 s each",
      """The BMC stops answering (drawn within a second of the start-up, from the seed). A monitoring
      agent asks Get Device ID every 20 s. Each message walks IDLE, waits 5 s for IBF, goes through
      error recovery eleven times and ends HOSED after 55 s; the state machine is re-initialised to
      IDLE, so the next message, queued meanwhile, walks the same 55 s. Requests arrive faster than
      they fail and the queue grows. With 'ipmi: fix msg stack when IPMI is disconnected' (6.2) the
      machine restarts in ERROR0 instead: the next message is refused at once (0xD5) and the queue
      drains. (That fix was reverted in 6.18 and 6.12.118: a misbehaving BMC then loops in error
      recovery, H-3/H-4; the default model follows 6.12.118.)""",
      "a message after the first waits more than 55 s: the queue grows",
      buggy=(), fixed=("fix-msg-stack-6.2",))
def play(variants, seed):
    w = boot("isa-ipmi-kcs", seed=seed, trace=True, variants=variants)
    sim = w.sim
    sim.run(until=sim.now + sim.rng.randrange(s(1)))
    w.channel.stop_servicing()
    t0 = sim.now
    procs = []
    for k in range(MESSAGES):
        if k:
            sim.run(until=t0 + k * EVERY)
        procs.append(sim.process(w.host.ipmi.request(0x06, 0x01)))
    end = t0 + s(120)
    sim.run(until=end)
    waits = [(p.value.t_done - p.value.t_sent) if p.triggered else end - (t0 + k * EVERY) for k, p in enumerate(procs)]
    pending = sum(not p.triggered for p in procs)
    late = [k for k in range(1, MESSAGES) if waits[k] > s(55.1)]
    if late:
        k = late[0]
        at = procs[k].value.t_done if procs[k].triggered else end
        return outcome(w, True, at, f"message {k + 1} waited {waits[k] / 1e9:.1f} s; {pending} of {MESSAGES} "
                       f"still queued {120} s after the BMC died")
    ccs = " ".join(f"{p.value.cc:02X}" for p in procs if p.triggered)
    return outcome(w, False, None, f"the first failed after {waits[0] / 1e9:.1f} s, the rest at once behind it "
                   f"(completion codes {ccs})")
