"""B-1: KCS host writes while no BMC daemon has the device open."""

from buses.time import ms, s
from scenarios.scenario import boot, first

from . import outcome, race


@race("B-1", "kcs-no-client", "BMC: kcs_bmc_cdev_ipmi (AST2600)",
      "KCS host writes while no BMC client is attached",
      """kcsbridged restarts (an update, a crash): /dev/ipmi-kcs3 is closed for 1-3 s (drawn from the
      seed), and the host sends Get Device ID meanwhile. Before 'ipmi: kcs_bmc: Enable IBF on open'
      (5.14) the IBF interrupt stayed on and the client force-aborted every write that found no
      daemon: STR went to ERROR at once, the host's error recovery wrote its abort sequence into the
      same forced aborts, and after eleven rounds the message failed, in milliseconds, although the
      daemon was back a moment later. Since 5.14 the interrupt is masked while nobody has the device
      open: the byte waits in IDR with IBF set, the host waits too (up to 5 s per try), and the
      request goes through when the daemon opens the device again.""",
      "the request fails at once (forced aborts) while the daemon is away",
      buggy=("kcs-bmc-abort-when-closed",), fixed=())
def play(variants, seed):
    w = boot("ast2600", seed=seed, trace=True, variants=variants)
    sim = w.sim
    gap = s(1) + sim.rng.randrange(s(2))
    t0 = sim.now
    w.channel.restart_daemon(gap)
    sim.run(until=t0 + sim.rng.randrange(gap // 2) + ms(1))
    r = w.request(0x06, 0x01, limit=s(120))
    if r.cc != 0:
        abort = first(w, layer="fw", event="force-abort", since=t0)
        return outcome(w, True, r.t_done, f"cc 0x{r.cc:02X} after {r.elapsed / 1e6:.1f} ms; the daemon was away "
                       f"{gap / 1e9:.2f} s, the first forced abort at {abort.t / 1e9:.6f} s" if abort else
                       f"cc 0x{r.cc:02X}")
    return outcome(w, False, None, f"answered after {r.elapsed / 1e9:.2f} s, once the daemon was back "
                   f"({gap / 1e9:.2f} s away)")
