"""The BMC watchdog fires at 10.0 s, to the nanosecond, with its pre-timeout interrupt at 7.0 s.

The host's ipmi_watchdog arms it (SMS/OS, power cycle, 3 s pre-timeout) and nobody pets it.  The
pre-timeout reaches the host through SMS_ATN -> Get Message Flags within the driver's watch poll.
"""

from buses.time import S, ms
from scenarios.scenario import assert_between, boot, run_until
from vserver.watchdog import WatchdogDaemon

w = boot("ast2600", trace=True, seed=5)
daemon = WatchdogDaemon(timeout=10, pretimeout=3, action="power_cycle", preaction="pre_int", pet=False)
w.host.add_service(daemon)
armed = run_until(w, layer="host", event="set", data=bytes.fromhex("44 33 03 00 64 00"))
run_until(w, w.sim.now + S)
t0 = w.bmc.watchdog.started_at
cycle = run_until(w, layer="host", event="power-cycle", limit=20 * S)
assert_between(cycle.t - t0, 10 * S, 10 * S, "power cycle after the watchdog's Reset")
(pre,) = daemon.pretimeouts
assert_between(pre - t0, 7 * S, 7 * S + 400 * ms(1) + ms(10), "pre-timeout seen by the host")
print(f"armed at {armed.t / 1e9:.6f} s; pre-timeout on the host {(pre - t0) / 1e9:.3f} s and power cycle "
      f"{(cycle.t - t0) / 1e9:.3f} s after the Reset")
