"""H-3: a half-alive BMC during a cold reset, and an event handler that never lets go of the CPU."""

from simpy import Interrupt

from buses.time import ms, s
from scenarios.faults import RegisterFault, Schedule, inject
from scenarios.scenario import boot

from . import outcome, race

RESET = s(3)            # how long the BMC is down
LOCKUP = ms(20)         # one smi_event_handler run this long is a lockup in the making


@race("H-3", "half-alive-bmc-lockup", "host: ipmi_kcs_sm + ipmi_si",
      "Half-alive BMC during 'mc reset cold': the event handler loops without end",
      """The BMC is reset. For three seconds its firmware is gone and its LPC block reads back a KCS
      status of 0x00 (IDLE, no IBF, no OBF) whatever the host writes. A message is in flight. Every
      step of the host's state machine now finds the wrong state: error recovery writes the abort
      sequence, ERROR2 wants READ and sees IDLE, and starts error recovery again -- each time
      returning "call without delay". After eleven rounds the machine is HOSED; with 'ipmi: fix msg
      stack when IPMI is disconnected' (6.2, as in 6.6 where it was reported) it restarts in ERROR0,
      smi_event_handler steps it again at once, and the same eleven rounds follow, for ever, inside
      one timer softirq: the NMI watchdog's hard lockup. Reverting that commit (6.18, 6.12.118) ends
      the loop: after HOSED the machine is IDLE and the handler returns.""",
      "one smi_event_handler run never ends: back-to-back port I/O in softirq (a hard lockup)",
      buggy=("fix-msg-stack-6.2",), fixed=())
def play(variants, seed):
    w = boot("isa-ipmi-kcs", seed=seed, trace=True, variants=variants)
    sim, si = w.sim, w.host.si
    t_reset = sim.now + sim.rng.randrange(ms(10))
    inject(w, RegisterFault("stuck", offset=1, value=0x00, device="kcs",
                            schedule=Schedule(after=t_reset, until=t_reset + RESET), name="bmc-in-reset"))
    sim.run(until=t_reset)
    w.channel.stop_servicing()
    sim.call_at(t_reset + RESET, w.channel.start_servicing)
    sim.process(w.host.ipmi.request(0x06, 0x01))
    locked_up = sim.env.event()

    def nmi_watchdog():
        """Samples the handler every millisecond: the same run holding si_lock for LOCKUP is a lockup."""
        since, run = None, None
        try:
            while True:
                yield sim.env.timeout(ms(1))
                if si._locked and si.handler_runs == run:
                    if sim.now - since >= LOCKUP:
                        sim.trigger_at(locked_up, sim.now, since)
                        return
                else:
                    since, run = sim.now, si.handler_runs
        except Interrupt:
            return
    watchdog = sim.process(nmi_watchdog())
    sim.run(until=sim.env.any_of([locked_up, sim.env.timeout(ms(200))]))
    if not watchdog.triggered:
        watchdog.interrupt("done")
    if locked_up.triggered:
        since = locked_up.value
        return outcome(w, True, since, f"smi_event_handler has held si_lock since {since / 1e9:.6f} s: "
                       f"{si.stats['hosed_count']} HOSED results inside one run")
    return outcome(w, False, None, f"the message failed with 0xFF after one HOSED round; the handler returned "
                   f"({si.stats['hosed_count']} HOSED in 200 ms)")
