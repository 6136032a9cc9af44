"""SSIF against a busy BMC: the host's reads come 60 ms apart, and 500 ms is ssif_bmc's patience.

On an AST2600, ssifbridged hands each request to ipmid over D-Bus.  Here ipmid is slow for Get SEL
Info.  Until the answer is written, ssif_bmc NAKs the host's read of it, and ipmi_ssif tries again
SSIF_MSG_MSEC (60 ms) later: the host sees the answer on the first read after it is ready, so the
time is quantised to the retry grid.  Past 500 ms, ssif_bmc's own timer abandons the request, its
late answer is refused, and the host reads zero counts for 250 tries, 15 s, then gives up: 0xFF.
"""

from buses.time import ms, s
from scenarios.faults import AnswerFault, inject
from scenarios.scenario import assert_between, boot

w = boot("ast2600", interface="ssif", seed=4)
for delay in (ms(100), ms(300), ms(600)):
    (slow,) = inject(w, AnswerFault(0x0A, 0x40, delay=delay, name=f"ipmid-{delay // 1_000_000}ms"))
    r = w.request(0x0A, 0x40, limit=s(60))
    slow.detach()
    print(f"ipmid {delay / 1e6:4.0f} ms late: cc 0x{r.cc:02X} after {r.elapsed / 1e6:8.1f} ms")
    if delay < ms(500):
        assert r.cc == 0
        assert_between(r.elapsed, delay, delay + ms(60) + ms(10), "the answer on the next 60 ms read")
    else:
        assert r.cc == 0xFF
        assert_between(r.elapsed, s(14.9), s(15.1), "ipmi_ssif's 250 reads")
    w.sim.run(until=w.sim.now + s(1))
