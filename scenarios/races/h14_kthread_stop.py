"""H-14: the SSIF thread exits on its own before kthread_stop() is called on it."""

from buses.time import us
from scenarios.scenario import ask, boot, first

from . import outcome, race


@race("H-14", "ssif-shutdown-race", "host: ipmi_ssif (module unload)",
      "SSIF kthread exits before kthread_stop",
      """rmmod ipmi_ssif: shutdown_ssif sets ssif->stopping, stops the timers, wakes the driver's
      thread with complete() and then calls kthread_stop() on it. The 6.12 thread checks
      ssif->stopping right after every wake-up and returns: when the shutdown path is held off
      between the two calls (here 30% of the time, by an interrupt of 1-20 us drawn from the seed),
      the woken thread runs first and is gone when kthread_stop() reaches it -- kthread_stop on a task
      that may already be freed. 'ipmi:ssif: Fix a shutdown race' (6.16) lets the thread leave only
      when kthread_should_stop() says so.""",
      "kthread_stop() is called on a thread that has already exited (a use after free)",
      buggy=(), fixed=("ssif-exit-on-kthread-stop",), seed=1)
def play(variants, seed):
    w = boot("smbus-ipmi", seed=seed, trace=True, variants=variants)
    sim, si = w.sim, w.host.si
    ask(w, "18 01")                                      # the interface in use, then idle
    preempted = us(1) + sim.rng.randrange(us(19)) if sim.rng.random() < 0.3 else 0
    t0 = sim.now
    rmmod = sim.process(si.unload(preempted))
    sim.run(until=rmmod)
    bad = first(w, layer="si", event="kthread-stop-after-exit", since=t0)
    if bad:
        return outcome(w, True, bad.t, f"the shutdown path was held off {preempted / 1e3:.0f} us after complete(): "
                       "the thread saw 'stopping' and returned before kthread_stop()")
    how = f"held off {preempted / 1e3:.0f} us" if preempted else "not held off"
    return outcome(w, False, None, f"kthread_stop() found the thread alive and stopped it (shutdown path {how})")
