"""H-16: the BMC is reset under an armed watchdog, and the host goes on without one."""

from buses.time import s
from buses.variant import compose
from scenarios.faults import RegisterFault, Schedule, inject
from scenarios.scenario import boot
from vserver.watchdog import WatchdogDaemon

from . import outcome, race

RESET = s(3)            # how long the BMC is down: its firmware reboots, the LPC block reads 0x00
PET = s(5)              # the daemon writes /dev/watchdog every 5 s (half the 10 s timeout)
AFTER = s(25)           # how long the run watches after the reset


@race("H-16", "watchdog-bmc-reset", "host: ipmi_watchdog",
      "Watchdog vs BMC reset: protection silently lost",
      """The host's watchdog daemon pets /dev/watchdog every 5 s; the BMC's timer is armed (10 s,
      hard reset). The BMC is reset at a moment drawn from the seed and is gone for 3 s: its
      firmware reboots and forgets the watchdog's settings. If a heartbeat falls in those 3 s, Reset
      Watchdog Timer fails (0xFF, the KCS machine found the BMC unresponsive), ipmi_watchdog hands
      -EINVAL to write(), and the daemon -- like the one in the 2026 report -- gives up and exits. Its
      close is not a magic close, so Linux sends one more heartbeat, at once, into the same dead
      BMC, and keeps believing the timer armed. The BMC comes back with no watchdog running: from
      then on a hung host is never reset. A heartbeat that misses the window finds the BMC back and
      answering 0x80 ('not initialized'), and 6.12 restores the settings: no harm. The proposed fix
      ('ipmi:watchdog: Reboot cleanly on BMC reset') treats a failed heartbeat while armed as the
      BMC's loss of the timer and reboots the host cleanly; the daemon arms the timer again after
      the boot.""",
      "the BMC's watchdog stays stopped while the host's driver believes it armed",
      buggy=(), fixed=("watchdog-reboot-on-bmc-reset",))
def play(variants, seed):
    w = boot("isa-ipmi-kcs", seed=seed, trace=True, variants=variants)
    sim = w.sim
    daemon = compose(WatchdogDaemon, variants)(timeout=10, heartbeat=PET, give_up=True)
    w.host.add_service(daemon)
    sim.run(until=sim.now + s(1))
    t_reset = sim.now + sim.rng.randrange(PET)
    inject(w, RegisterFault("stuck", offset=1, value=0x00, device="kcs",
                            schedule=Schedule(after=t_reset, until=t_reset + RESET), name="bmc-in-reset"))
    sim.run(until=t_reset)
    w.bmc.cold_reset(t_reset)
    w.channel.stop_servicing()
    sim.call_at(t_reset + RESET, w.channel.start_servicing)
    sim.run(until=t_reset + AFTER)
    wd = w.bmc.watchdog
    if not wd.running and w.host.ready and daemon.state != "none":
        at = daemon.daemon_exited if daemon.daemon_exited is not None else t_reset
        failed = [c for t, c in daemon.heartbeats if t >= t_reset and c]
        return outcome(w, True, at, f"the BMC was reset at {t_reset / 1e9:.3f} s; the heartbeat answered "
                       f"0x{failed[0]:02X} and the daemon exited at {at / 1e9:.3f} s; "
                       f"{(sim.now - t_reset - RESET) / 1e9:.0f} s later the BMC's timer is still stopped"
                       if failed else f"the BMC's timer stopped at the reset ({t_reset / 1e9:.3f} s)")
    reboots = [r for r in sim.tracer.records if r.event == "orderly-reboot"]
    if reboots:
        return outcome(w, False, None, f"the heartbeat at {reboots[0].t / 1e9:.3f} s failed; the host rebooted "
                       f"cleanly and its daemon armed the BMC's timer again (running: {wd.running})")
    return outcome(w, False, None, f"no heartbeat fell in the reset ({t_reset / 1e9:.3f} s + 3 s); the next one "
                   f"found the settings lost (0x80) and restored them (running: {wd.running})")
