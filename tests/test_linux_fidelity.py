"""The host stack as Linux 6.12 runs it: one test per divergence the audit found, named after its point.

Each cites the kernel function it follows (drivers/char/ipmi, Linux 6.12).
"""

import pytest

from buses.time import S, ms, s
from scenarios.world import World
from vserver.si import SiConfig


def booted(preset="isa-ipmi-kcs", **kw):
    w = World(preset, seed=kw.pop("seed", 4), **kw)
    assert w.boot()
    return w


@pytest.mark.parametrize("hz, jiffies", [(250, 2), (1000, 10), (100, 1)])
def test_3_si_timeout_jiffies_is_the_c_integer_division(hz, jiffies):
    # ipmi_si_intf.c: SI_TIMEOUT_JIFFIES = SI_TIMEOUT_TIME_USEC / SI_USEC_PER_JIFFY = 10000 / (1000000 / HZ).
    w = World("isa-ipmi-kcs", si=SiConfig(hz=hz))
    w.boot()
    assert w.host.si.si_timeout_jiffies == jiffies


def test_3_the_long_timer_runs_every_8_ms_in_interrupt_mode():
    w = booted("ast2600", use_irq=True)
    si = w.host.si
    w.channel.stop_servicing()                         # the state machine waits: the timer keeps running
    w.sim.process(w.host.ipmi.request(0x06, 0x01))
    w.sim.run(until=w.sim.now + ms(100))
    before = si.stats["long_timeouts"]
    w.sim.run(until=w.sim.now + S)
    assert si.stats["long_timeouts"] - before == S // ms(8)


def _dead(preset="isa-ipmi-kcs", **kw):
    w = booted(preset, **kw)
    w.channel.stop_servicing()
    return w


def test_1_every_message_to_a_dead_bmc_completes_with_ff_after_the_retry_cycle():
    # sender -> check_start_timer_thread -> start_next_msg: a free interface starts the message at once
    # (ipmi_si_intf.c); the KCS machine re-inits to IDLE after HOSED, so each message runs the full
    # 11 x IBF_RETRY_TIMEOUT cycle and fails with 0xFF.  Before, the second one was never answered.
    w = _dead()
    for _ in range(3):
        r = w.request(0x06, 0x01, limit=s(120))
        assert r.cc == 0xFF and s(55) <= r.elapsed < s(55.1)
    assert w.host.si.stats["hosed_count"] == 3


def test_1_a_machine_in_error_recovery_refuses_a_new_message_with_d5_at_once():
    # The pre-revert variant leaves the machine in ERROR0 after HOSED: start_kcs_transaction answers
    # IPMI_NOT_IN_MY_STATE_ERR and start_next_msg fails the message through return_hosed_msg.
    w = _dead(si=SiConfig(variants=("fix-msg-stack-6.2",)))
    assert w.request(0x06, 0x01, limit=s(120)).cc == 0xFF
    r = w.request(0x06, 0x01, limit=s(120))
    # Sent while the event handler that failed the first is finishing its pass: the sender waits for
    # si_lock (one status read), then start_next_msg refuses it.
    assert r.cc == 0xD5 and r.elapsed <= w.host.cpu.io_ns


def test_1_a_user_message_goes_before_a_pending_attention():
    # SMS_ATN is pending on an idle interface: sender starts the user message at once; the flag
    # fetch (smi_event_handler's ATTN branch) follows once it is done.
    w = booted(trace=True)
    blk = w.channel.block
    w.sim.run(until=w.sim.now + ms(1))                           # the start-up traffic has drained
    blk.write_str(blk.status | 0x04, w.sim.now)                  # SMS_ATN, set by the BMC
    w.sim.tracer.clear()
    r = w.request(0x06, 0x01)
    w.sim.run(until=w.sim.now + ms(10))
    order = [rec.event for rec in w.sim.tracer.records if rec.layer == "si" and rec.event in ("start-msg", "get-flags")]
    assert r.cc == 0 and order[:2] == ["start-msg", "get-flags"]


@pytest.mark.parametrize("variants, state", [((), "IDLE"), (("fix-msg-stack-6.2",), "ERROR0")])
def test_2_hosed_reinitialises_to_idle_and_the_old_error0_is_a_variant(variants, state):
    w = _dead(si=SiConfig(variants=variants))
    assert w.request(0x06, 0x01, limit=s(120)).cc == 0xFF
    assert w.host.si.sm.state.name == state


def test_2_an_unknown_variant_is_named_in_the_error():
    with pytest.raises(ValueError, match="'no-such-fix' is not a kcs variant"):
        booted(si=SiConfig(variants=("no-such-fix",)))
