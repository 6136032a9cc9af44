"""H-2: unloading ipmi_si with a disconnected BMC waits about 400 times the intended timeout."""

from buses.time import ms, s
from scenarios.scenario import boot, first

from . import outcome, race

PATIENCE = s(90)        # an rmmod still waiting after this long shows the symptom


@race("H-2", "unload-long-wait", "host: ipmi_si (module unload)",
      "Unload waits ~100x the intended timeout",
      """The BMC is gone and a Get Device ID is in flight when the administrator unloads ipmi_si
      (0.1-1 s later, drawn from the seed). shutdown_smi stops the timer and kipmid, and then only
      its own loop moves the KCS state machine: it steps it, sleeps a jiffy, and repeats until the
      message is done. Before 'ipmi: fix long wait in unload when IPMI disconnect' (6.2) that step
      was poll(), which tells the state machine 10 us have passed: with a 4 ms jiffy its 5 s IBF wait
      lasts 2000 s, and the eleven of them hours. Since 6.2 the loop hands it the real time since
      the last step, and the unload ends when the message fails, within the 55 s of its retries.""",
      "rmmod still waits after 90 s: the state machine's clock runs 400 times slow",
      buggy=("si-unload-poll",), fixed=())
def play(variants, seed):
    w = boot("isa-ipmi-kcs", seed=seed, trace=True, variants=variants)
    sim, si = w.sim, w.host.si
    w.channel.stop_servicing()
    req = sim.process(w.host.ipmi.request(0x06, 0x01))
    sim.run(until=sim.now + ms(100) + sim.rng.randrange(ms(900)))
    t_rmmod = sim.now
    rmmod = sim.process(si.unload())
    sim.run(until=sim.env.any_of([rmmod, sim.env.timeout(PATIENCE)]))
    if not rmmod.triggered:
        left = si.sm.ibf_timeout
        return outcome(w, True, t_rmmod + PATIENCE,
                       f"rmmod still waiting {PATIENCE / 1e9:.0f} s on: the state machine counted "
                       f"{(5e9 - left) / 1e6:.1f} ms of its 5 s IBF wait (error retry {si.sm.error_retries})")
    done = first(w, layer="si", event="unloaded")
    r = req.value if req.triggered else None
    return outcome(w, False, None, f"rmmod done {(done.t - t_rmmod) / 1e9:.1f} s after it began; the message "
                   f"failed with 0x{r.cc:02X}" if r else "rmmod done")
