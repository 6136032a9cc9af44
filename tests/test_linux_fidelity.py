"""The host stack as Linux 6.12 runs it: one test per divergence the audit found, named after its point.

Each cites the kernel function it follows (drivers/char/ipmi, Linux 6.12).  One file (over 600
lines) on purpose: the audit's points read in order, as the audit listed them.
"""

from functools import partial

import pytest

from buses.time import S, ms, s, us
from scenarios.scenario import boot
from scenarios.world import World
from vserver.si import SiConfig

booted = partial(boot, seed=4, settle=0)      # scenarios.scenario.boot, this file's seed


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


def test_1_ten_messages_queued_to_a_dead_bmc_each_fail_one_cycle_after_the_last():
    # The message handler sends one at a time (smi_send / smi_recv_work); each runs the full HOSED
    # cycle: the tenth is answered 10 x 55 s after they were queued, none is left pending.
    w = _dead()
    ipmi = w.host.ipmi
    procs = [w.sim.process(ipmi.request(0x06, 0x01)) for _ in range(10)]
    t0 = w.sim.now
    w.sim.run(until=t0 + s(600))
    done = [p.value for p in procs]
    assert all(r.cc == 0xFF for r in done)
    ends = [r.t_done - t0 for r in done]
    assert all(s(55) * k <= end < s(55.1) * k for k, end in enumerate(ends, 1))
    assert ipmi.curr_msg is None and not ipmi.xmit and w.host.si.waiting_msg is None


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
    with pytest.raises(ValueError, match="si variants: 'no-such-fix' is not a known variant"):
        booted(si=SiConfig(variants=("no-such-fix",)))


# -- helpers for the later points --------------------------------------------------------------------


def rewrite(w, fn):
    """Stand in the channel's hop to the BMC core: the host gets ``fn(request, response)``."""
    def layer(nxt):
        def call(req, t, done):
            nxt(req, t, lambda rsp, t2: done(fn(bytes(req), bytes(rsp)), t2))
        return call
    w.channel.to_core.interpose(layer)


def wire_requests(w):
    """The requests the BMC core saw, in order, as (netfn, cmd, data)."""
    return [(r[0] >> 2, r[1], r[2:]) for r in w.seen]


def watched(preset="isa-ipmi-kcs", **kw):
    """A world not yet booted whose BMC core logs every request it is given."""
    w = World(preset, seed=kw.pop("seed", 4), **kw)
    w.seen = []

    def layer(nxt):
        def call(req, t, done):
            w.seen.append(bytes(req))
            nxt(req, t, done)
        return call
    w.channel.to_core.interpose(layer)
    return w


def settle(w, t=ms(2)):
    w.sim.run(until=w.sim.now + t)


def run_until(w, pred, limit=s(5)):
    """Step the clock until ``pred()`` holds (the state at that very event)."""
    env = w.sim.env
    end = env.now + limit
    while not pred():
        assert env.peek() <= end, "condition never held"
        env.step()


# -- 4: internal requests re-arm the timer -------------------------------------------------------------


def test_4_an_internal_request_rearms_the_timer_from_its_own_start():
    # start_new_msg: smi_mod_timer(jiffies + SI_TIMEOUT_JIFFIES) -> last_timeout_jiffies = jiffies,
    # for the flag fetch and the event read as for a user's message.
    w = booted(trace=True)
    settle(w)
    si = w.host.si
    armed = []
    mod_timer = si._mod_timer

    def spy(expires):
        armed.append((max(w.host.cpu.t, w.sim.now), expires))
        mod_timer(expires)
    si._mod_timer = spy
    w.bmc.raise_event(w.bmc.event_record(0x01, 0x30, 0x01, 0x57), w.sim.now)   # SMS_ATN, event buffer full
    settle(w, ms(20))                                    # polled and idle: nobody looks yet
    assert armed == []
    w.request(0x06, 0x01)
    settle(w, ms(20))
    starts = [r.t for r in w.sim.tracer.records if r.layer == "si" and r.event == "get-flags"]
    assert starts and len(w.host.ipmi.events) == 1
    jiffy = si.jiffy
    for t in starts:
        assert (t, (t // jiffy + si.si_timeout_jiffies) * jiffy) in armed
    assert len(armed) >= 3                               # the user's message, the flag fetch, the event read


def test_4_an_interrupt_pass_arms_no_timer_and_an_idle_pass_stops_it():
    # ipmi_si_irq_handler only runs smi_event_handler; smi_event_handler del_timer()s when idle.
    w = booted("ast2600", use_irq=True)
    settle(w, ms(50))
    si = w.host.si
    r = w.request(0x06, 0x01)
    assert r.cc == 0
    settle(w, us(50))
    assert si.timer_expires is None
    before = si.stats["long_timeouts"] + si.stats["short_timeouts"]
    settle(w, ms(100))
    assert si.stats["long_timeouts"] + si.stats["short_timeouts"] == before


# -- 5: no message-handler timeouts or retries on the system interface ---------------------------------


def test_5_the_system_interface_has_no_handler_timeout_and_msgids_are_the_callers():
    w = booted()
    with pytest.raises(TypeError):
        w.request(0x06, 0x01, timeout=ms(10))           # no such thing for a system-interface message
    w.channel.stop_servicing()
    w.sim.call_at(w.sim.now + s(3), w.channel.start_servicing)
    r = w.request(0x06, 0x01, msgid=0xBEEF)
    # The state machine waited (IBF, 5 s budget) and the answer came: no 0xC3, no retry.
    assert r.cc == 0 and s(3) <= r.elapsed < s(3.1) and r.msgid == 0xBEEF


# -- 6: kipmid's busy window ----------------------------------------------------------------------------


def test_6_kipmid_busy_window_restarts_after_its_jiffy_sleep():
    # ipmi_thread_busy_wait: the deadline is cleared when passed ('>' not '>='), so the next wait
    # after the one-jiffy sleep opens a new window.
    from vserver.sm import SmResult

    w = booted(si=SiConfig(kipmid_max_busy_us=100))
    si = w.host.si
    wait = SmResult.CALL_WITH_DELAY
    t0 = ms(10)
    assert si._busy_wait(wait, t0) and si.kipmid_busy_until == t0 + us(100)
    assert si._busy_wait(wait, t0 + us(100))                  # not past it yet: '>'
    assert not si._busy_wait(wait, t0 + us(101))              # past: one jiffy's sleep...
    assert si.kipmid_busy_until is None
    assert si._busy_wait(wait, t0 + ms(4))                    # ...then a fresh window
    assert si.kipmid_busy_until == t0 + ms(4) + us(100)


# -- 7: start-up as Linux does it ---------------------------------------------------------------------


def _probe_requests(w):
    """The ipmi_si probe's requests: everything before the message handler's Get Device GUID."""
    reqs = wire_requests(w)
    return reqs[:reqs.index((0x06, 0x08, b""))]


def test_7_start_up_traffic_in_linux_order_polled():
    w = watched()
    assert w.boot()
    reqs = wire_requests(w)
    probe = _probe_requests(w)
    # try_get_dev_id, check_clr_rcv_irq (RCV already clear: no Set), try_enable_event_buffer (no
    # re-read after the Set), start_clear_flags.
    assert probe == [(0x06, 0x01, b""), (0x06, 0x2F, b""), (0x06, 0x2F, b""), (0x06, 0x2E, b"\x0c"),
                     (0x06, 0x30, b"\x08")]
    # The message handler: Get Device GUID, Get Device ID, then Get Channel Info 0..15, twice.
    scan = [(0x06, 0x42, bytes((ch,))) for ch in range(16)]
    assert reqs[len(probe):] == [(0x06, 0x08, b""), (0x06, 0x01, b"")] + scan + scan
    assert w.host.ipmi.channels[0][0] == 0x01 and w.host.ipmi.channels_ready


def test_7_start_up_traffic_in_interrupt_mode_checks_the_rcv_irq_bit_both_ways():
    w = watched(use_irq=True)
    assert w.boot()
    probe = _probe_requests(w)
    assert probe[:5] == [(0x06, 0x01, b""), (0x06, 0x2F, b""),           # check_clr_rcv_irq: already clear
                         (0x06, 0x2F, b""), (0x06, 0x2E, b"\x09"),       # check_set_rcv_irq
                         (0x06, 0x2F, b"")]                              # try_enable_event_buffer
    assert probe[-1] == (0x06, 0x30, b"\x08")


def test_7_the_message_handler_traffic_appears_in_the_msg_trace_in_order(capsys):
    from scenarios.cli import main

    assert main(["trace", "--boot", "--layers", "msg", "--raw"]) == 0
    lines = [ln for ln in capsys.readouterr().out.splitlines() if " request " in ln]
    sent = [ln.split("data=[")[1].rstrip("]") for ln in lines]
    scan = [f"18 42 {ch:02X}" for ch in range(16)]
    # Get Device GUID, Get Device ID, the channel scan twice, then the command asked for.
    assert sent == ["18 08", "18 01"] + scan + scan + ["18 01"]
    assert all("msgid=internal" in ln for ln in lines[:-1]) and "msgid=0" in lines[-1]


def test_7_get_device_id_is_retried_only_for_a_cc_error():
    # try_get_dev_id: retried (up to 5 more times) when it does not decode *and* the CC is non-zero.
    w = watched()
    busy = [2]

    def answer(req, rsp):
        if req[:2] == b"\x18\x01" and busy[0]:
            busy[0] -= 1
            return b"\x1c\x01\xc0"
        return rsp
    rewrite(w, answer)
    assert w.boot()
    assert [r for r in _probe_requests(w) if r[1] == 0x01] == [(0x06, 0x01, b"")] * 3


def test_7_a_short_cc0_device_id_fails_the_probe_at_once():
    # ipmi_demangle_device_id: CC and data under 7 bytes is -EINVAL; with CC 0 there is no retry.
    w = watched()
    rewrite(w, lambda req, rsp: rsp[:8] if req[:2] == b"\x18\x01" else rsp)
    assert w.boot() is False
    assert wire_requests(w) == [(0x06, 0x01, b"")]
    assert "under 7" in w.host.si.failed


def test_7_a_hosed_probe_fails_without_a_retry():
    w = watched()
    w.channel.stop_servicing()
    assert w.boot(limit=s(200)) is False
    assert w.host.si.failed.startswith("no response to Get Device ID")
    assert w.host.si.sm.error_retries == 0 and w.sim.now < s(60)     # one 55 s cycle, not six


def test_7_the_message_handler_does_not_retry_a_device_id_cc_error():
    # __get_device_id's msleep(500) retry tests bmc->cc, which bmc_device_id_handler sets only after
    # checking that the CC is 0: a CC error fails ipmi_add_smi at once.
    w = watched()
    calls = [0]

    def answer(req, rsp):
        if req[:2] == b"\x18\x01":
            calls[0] += 1
            if calls[0] == 2:                             # the handler's, not the probe's
                return b"\x1c\x01\xc0"
        return rsp
    rewrite(w, answer)
    assert w.boot() is False
    assert calls[0] == 2 and wire_requests(w)[-1] == (0x06, 0x01, b"")


def test_7_a_bmc_that_cannot_set_the_rcv_irq_bit_is_compensated():
    w = watched(use_irq=True)
    rewrite(w, lambda req, rsp: b"\x1c\x2e\xcc" if req[:3] == b"\x18\x2e\x09" else rsp)
    assert w.boot()
    si = w.host.si
    assert si.irq_enable_broken and si.cannot_disable_irq
    assert not si.current_global_enables() & 0x03                     # no interrupt bits asked for


def test_7_a_message_before_the_channel_scan_is_dropped():
    w = World("isa-ipmi-kcs", seed=4, trace=True)
    w.bmc.enqueue_message(bytes.fromhex("18 c8 81 04 30 01 02 03 ff"), 0)   # in the queue from the start
    assert w.boot()
    dropped = [dict(r.fields)["why"] for r in w.sim.tracer.records if r.event == "message-dropped"]
    assert dropped == ["channels not scanned yet"] and w.host.ipmi.messages == []


def test_7_clear_flags_is_started_not_waited_for():
    w = World("isa-ipmi-kcs", seed=4, trace=True)
    assert w.boot()
    recs = w.sim.tracer.records
    t_ready = next(r.t for r in recs if r.layer == "si" and r.event == "ready")
    t_clear_done = next(r.t for r in recs if r.layer == "si" and r.event == "transaction-done"
                        and dict(r.fields)["rsp"][:2] == b"\x1c\x30")
    assert t_ready < t_clear_done


# -- 8: result lengths ------------------------------------------------------------------------------


def test_8_get_result_truncates_to_the_callers_buffer_and_pads_only_to_three():
    from vserver.kcs_sm import KcsSm

    class NoIo:
        cpu = None

        def reader(self, _n):
            return None

        writer = reader
    sm = KcsSm(None, NoIo())
    sm.read_data = bytearray(b"\x1c\x31\x00\x01\x02")
    assert sm.get_result(4) == b"\x1c\x31\xc6\x01"           # get_kcs_result(.., 4): cut, 0xC6
    sm.read_data = bytearray(b"\x1c\x31\x00")
    assert sm.get_result(4) == b"\x1c\x31\x00"               # shorter: not padded to 4
    sm.read_data = bytearray(b"\x1c")
    assert sm.get_result() == b"\x1c\x00\xff"


def test_8_a_five_byte_flags_answer_is_truncated_and_ignored():
    w = booted()
    settle(w)
    rewrite(w, lambda req, rsp: rsp + b"\x00" if req[:2] == b"\x18\x31" else rsp)
    w.bmc.enqueue_message(bytes.fromhex("18 c8 81 04 30 01 02 03 ff"), w.sim.now)
    w.request(0x06, 0x01)
    settle(w, ms(20))
    si = w.host.si
    assert si.stats["flag_fetches"] >= 1 and si.stats["incoming_messages"] == 0


# -- 9: replies validated by the message handler -------------------------------------------------------


def test_9_a_reply_for_another_command_becomes_ff():
    w = booted()
    settle(w)
    rewrite(w, lambda req, rsp: b"\x1c\x02\x00" if req[:2] == b"\x18\x01" else rsp)
    r = w.request(0x06, 0x01)
    assert r.raw == b"\x1c\x01\xff"


def test_9_a_reply_under_two_bytes_becomes_ff():
    from vserver.si import SmiMsg

    w = booted()
    settle(w)
    ipmi = w.host.ipmi
    got = []
    ipmi.smi = type("Quiet", (), {"sender": lambda self, m: got.append(m), "jiffy": w.host.si.jiffy})()
    proc = w.sim.process(ipmi.request(0x06, 0x01))
    w.sim.run(until=w.sim.now + 1)
    (msg,) = got
    assert isinstance(msg, SmiMsg)
    msg.rsp = b"\x1c"
    ipmi.smi_msg_received(msg, w.sim.now)
    w.sim.run(until=w.sim.now + 1)
    assert proc.value.raw == b"\x1c\x01\xff"


def test_9_an_empty_event_is_dropped_not_delivered():
    w = booted()
    settle(w)
    rewrite(w, lambda req, rsp: b"\x1c\x35\x00" if req[:2] == b"\x18\x35" else rsp)
    w.bmc.raise_event(w.bmc.event_record(0x01, 0x30, 0x01, 0x57), w.sim.now)
    w.request(0x06, 0x01)
    settle(w, ms(20))
    assert not w.host.ipmi.events and w.host.si.stats["events"] == 0


def test_9_a_get_message_answer_under_10_bytes_is_dropped():
    w = booted(trace=True)
    settle(w)
    w.bmc.enqueue_message(bytes.fromhex("18 c8 81 04"), w.sim.now)          # channel 0 (IPMB), 5 bytes
    w.request(0x06, 0x01)
    settle(w, ms(20))
    assert w.host.ipmi.stats["invalid_commands"] == 1
    assert any(r.event == "message-dropped" and "bytes" in dict(r.fields)["why"] for r in w.sim.tracer.records)


def test_9_an_unhandled_ipmb_command_is_answered_c1_through_send_message():
    w = booted()
    settle(w)
    seen = []
    rewrite(w, lambda req, rsp: (seen.append(req), rsp)[1])
    # rsSA (ours) cut: netFn/rsLUN 0x18 (App, SMS LUN 0), chk, rqSA 0x82, rqSeq 0x04, Get Device ID.
    w.bmc.enqueue_message(bytes.fromhex("18 c8 82 04 01 79"), w.sim.now)
    w.request(0x06, 0x01)
    settle(w, ms(20))
    send = [r for r in seen if r[:2] == b"\x18\x34"]
    assert send and send[0][2:] == bytes.fromhex("00 82 1c 62 20 04 01 c1 1a")


# -- 10: priority -----------------------------------------------------------------------------------------


def test_10_a_priority_message_goes_ahead_of_queued_normal_ones():
    w = booted()
    settle(w)
    ipmi = w.host.ipmi
    done = []

    def one(tag, **kw):
        r = yield from ipmi.request(0x06, 0x01, **kw)
        done.append(tag)
        return r
    for tag in ("a", "b", "c"):
        w.sim.process(one(tag))
    w.sim.process(one("watchdog", priority=1))
    settle(w, ms(10))
    assert done == ["a", "watchdog", "b", "c"]


# -- 11: the watchdog driver -----------------------------------------------------------------------------


def test_11_watchdog_stop_set_at_load_and_dont_stop_only_when_armed():
    from vserver.watchdog import WatchdogDaemon

    w = booted()
    d = WatchdogDaemon(timeout=10, action="reset")
    w.host.add_service(d)
    settle(w, s(1))
    assert [data for _t, data, _cc in d.sets[:2]] == [bytes.fromhex("04 00 00 00 64 00"),
                                                      bytes.fromhex("44 01 00 00 64 00")]


def test_11_the_heartbeat_follows_the_set_whatever_its_completion_code():
    from vserver.watchdog import WatchdogDaemon

    w = booted()
    rewrite(w, lambda req, rsp: b"\x1c\x24\xcc" if req[:2] == b"\x18\x24" else rsp)
    d = WatchdogDaemon(timeout=10, action="reset", pet=False)
    w.host.add_service(d)
    settle(w, s(1))
    assert [cc for _t, _d, cc in d.sets] == [0xCC, 0xCC] and len(d.heartbeats) == 1


# -- 12: the ASPEED OBE busy poll -------------------------------------------------------------------------


def test_12_obe_busy_poll_budget_by_bmc_kernel():
    # include/linux/iopoll.h read_poll_timeout_atomic(.., delay 1 us, timeout 100 us): 6.12 counts the
    # budget down per pass (1000 per udelay(1), 1 per cpu_relax): 100 delays, 101 reads, then one more;
    # 6.1 compares ktime_get() with start + 100 us, so the reads' own cost shortens the poll.
    from bmc.kcs_aspeed import OBE_POLL_STEP
    from buses.time import US
    from scenarios import obe_stall

    slow = {}
    for kernel in ("6.12", "6.1"):
        r = obe_stall.run(read_delay=ms(1), nbytes=1, trace=True, kernel=kernel)
        slow[kernel] = next(x for x in r.records if x.event == "obe-slow-path")
    step = OBE_POLL_STEP + r.mmio_ns
    k61 = (100 * US - r.mmio_ns) // step + 1
    assert dict(slow["6.12"].fields)["reads"] == 102 and dict(slow["6.1"].fields)["reads"] == k61 + 2
    assert slow["6.12"].t - slow["6.1"].t == (100 - k61) * step


def test_12_obe_timer_lands_on_the_bmc_jiffy_grid_and_200us_is_a_variant():
    from scenarios import obe_stall

    r = obe_stall.run(read_delay=ms(600), nbytes=2, trace=True)
    fired = [x.t for x in r.records if x.event == "obe-timer"]
    assert fired and all(t % ms(10) == 0 for t in fired)          # mod_timer(jiffies + HZ/2), HZ=100
    with pytest.raises(ValueError, match="'obe-poll-1ms' is not a known variant"):
        obe_stall.run(read_delay=us(50), nbytes=1, variants=("obe-poll-1ms",))
    fast = obe_stall.run(read_delay=us(150), nbytes=3, variants=("obe-poll-200us",))
    assert fast.slow_path == 0


# -- 13: the smaller ones ---------------------------------------------------------------------------------


def test_13_request_events_only_sets_a_flag():
    w = booted(trace=True)
    settle(w)
    w.sim.tracer.clear()
    w.host.si.request_events()
    settle(w, ms(50))
    assert w.host.si.req_events and w.sim.tracer.records == []      # nothing ran
    w.request(0x06, 0x01)
    settle(w, ms(5))
    assert not w.host.si.req_events                                  # taken when the machine went idle


def test_13_the_message_handler_requests_events_every_second_for_its_event_users():
    w = booted()
    settle(w)
    got = []
    w.host.ipmi.set_gets_events(lambda t, rsp: got.append(rsp))
    w.bmc.raise_event(w.bmc.event_record(0x01, 0x30, 0x01, 0x57), w.sim.now)
    w.request(0x06, 0x01)                                           # someone runs the machine
    settle(w, s(3))
    assert len(got) == 1


def test_13_cold_reset_starts_30_s_of_maintenance_mode_counted_by_the_tick():
    w = booted()
    settle(w)
    w.host.ipmi.set_gets_events(lambda t, rsp: None)                # keeps the 1 s tick running
    w.request(0x06, 0x02)
    assert w.host.si.in_maintenance_mode
    settle(w, s(29))
    assert w.host.si.in_maintenance_mode
    settle(w, s(2))
    assert not w.host.si.in_maintenance_mode


def test_13_without_the_tick_maintenance_mode_lasts():
    w = booted()
    settle(w)
    w.request(0x06, 0x03)                                           # Warm Reset, nobody gets events
    settle(w, s(60))
    assert w.host.si.in_maintenance_mode and w.host.ipmi.maintenance_mode_enable


@pytest.mark.parametrize("cmd", [0x33, 0x34, 0x35])
def test_13_users_may_not_send_the_handlers_own_commands(cmd):
    from vserver.msghandler import IpmiSendError

    w = booted()
    with pytest.raises(IpmiSendError, match="EINVAL"):
        w.request(0x06, cmd, b"\x00" * 8)


def test_13_error0_waits_whole_jiffies():
    from vserver.kcs_sm import KcsSm, KcsSmState

    class Cpu:
        t = ms(1) + 7

    class Io:
        cpu = Cpu()

        def reader(self, _n):
            return None

        writer = reader
    from buses import Simulation

    sm = KcsSm(Simulation(), Io())
    sm._start_error_recovery("test")
    assert sm.state == KcsSmState.ERROR0
    assert sm.error0_deadline == s(2)                    # jiffies + 2*HZ from jiffy 0 (HZ 250: 4 ms)


def test_13_read_request_checks_the_phase_before_clearing_data_in():
    from bmc.kcs_engine import KcsEngineError, Phase

    w = booted("ast2600")
    eng = w.channel.engine
    eng.data_in_avail, eng.phase, eng.data_in = True, Phase.WRITE_START, bytearray(b"\x18\x01")
    with pytest.raises(KcsEngineError, match="EAGAIN"):
        eng.read_request()
    assert eng.data_in_avail                             # still there: read() may be retried


@pytest.mark.parametrize("kernel", ["6.12", "6.1"])
def test_kernel_is_a_parameter_of_the_host_and_of_the_firmware(kernel):
    from bmc.firmware import FirmwareTiming

    w = booted(si=SiConfig(kernel=kernel))
    assert w.host.si.cfg.kernel == kernel and w.request(0x06, 0x01).cc == 0
    assert FirmwareTiming(kernel=kernel).kernel == kernel
    with pytest.raises(ValueError, match="si kernel: '5.15' is not one of 6.12, 6.1"):
        SiConfig(kernel="5.15")
    with pytest.raises(ValueError, match="firmware kernel: '5.15'"):
        FirmwareTiming(kernel="5.15")


def test_13_request_events_is_skipped_without_an_event_buffer():
    # try_enable_event_buffer failed (the BMC refused the bit): has_event_buffer stays false and
    # request_events returns at once.
    w = watched()
    rewrite(w, lambda req, rsp: b"\x1c\x2e\xcc" if req[:2] == b"\x18\x2e" else rsp)
    assert w.boot()
    si = w.host.si
    assert not si.has_event_buffer and not si.supports_event_msg_buff
    si.request_events()
    assert not si.req_events
