"""Whole-pair simulation tests: host driver -> LPC/ISA -> KCS block -> BMC firmware and back."""

from functools import partial

import pytest

from bmc.ipmi.msg import from_hex
from buses.time import MS, S, ms, s, us
from scenarios.scenario import boot
from scenarios.world import World
from vserver.si import SiConfig

GOLDEN_DEVICE_ID = from_hex("1C 01 00 20 00 00 00 02 8F 00 00 00 00 00")   # the default identity (QEMU_IDENTITY: 07)
PRESETS = ["isa-ipmi-kcs", "ast2600"]


booted = partial(boot, seed=7, settle=0)      # scenarios.scenario.boot, this file's seed


@pytest.mark.parametrize("irq", [False, True], ids=["polled", "irq"])
@pytest.mark.parametrize("preset", PRESETS)
def test_get_device_id_matches_qemu_golden_bytes(preset, irq):
    w = booted(preset, use_irq=irq)
    r = w.request(0x06, 0x01)
    assert r.raw == GOLDEN_DEVICE_ID


def test_same_seed_same_trace_byte_for_byte():
    def run(seed):
        w = World("ast2600", seed=seed, trace=True)
        w.boot()
        for _ in range(3):
            w.request(0x06, 0x01)
        return w.sim.tracer.text()
    a, b = run(11), run(11)
    assert a == b and len(a) > 10_000
    assert run(12) != a          # the seed matters: kipmid's sleeps are drawn from it


def test_presets_differ_in_timing_not_in_answers():
    answers, times = {}, {}
    for preset in PRESETS:
        w = booted(preset)
        rs = [w.request(nf, cmd, data) for nf, cmd, data in [(6, 1, b""), (6, 0x2F, b""), (6, 0x31, b""),
                                                              (0, 1, b""), (6, 0x42, b"\x0f")]]
        answers[preset] = [r.raw for r in rs]
        times[preset] = [r.elapsed for r in rs]
    assert answers["isa-ipmi-kcs"] == answers["ast2600"]
    assert all(a < b for a, b in zip(times["isa-ipmi-kcs"], times["ast2600"], strict=True))


def test_polled_get_device_id_lands_in_the_published_band():
    # reference/linux-ipmi.md 6: 3.5 ms (kipmid spinning) .. 10.5 ms (usleep_range 100-200)
    for seed in range(5):
        w = booted("ast2600", seed=seed)
        r = w.request(0x06, 0x01)
        assert ms(3.5) <= r.elapsed <= ms(10.5), r.elapsed


def test_ideal_is_faster_and_interrupts_beat_polling():
    ideal = booted("isa-ipmi-kcs").request(6, 1).elapsed
    polled = booted("ast2600").request(6, 1).elapsed
    irq = booted("ast2600", use_irq=True).request(6, 1).elapsed
    assert ideal < irq < polled
    assert ideal < 100 * us(1)     # ~55 port accesses of 1 us, no firmware


@pytest.mark.parametrize("preset", PRESETS)
@pytest.mark.parametrize("request_hex,cc", [
    ("18 FF", 0xC1),        # unknown command
    ("08 00", 0xC1),        # unknown netfn (Bridge)
    ("18 2E", 0xC7),        # Set BMC Global Enables without its byte
    ("18 2E 10", 0xCC),     # reserved bit
    ("18 24 04 01 00", 0xC7),  # Set Watchdog Timer, short
])
def test_bad_requests_get_completion_codes_through_the_whole_path(preset, request_hex, cc):
    w = booted(preset)
    raw = from_hex(request_hex)
    r = w.request(raw[0] >> 2, raw[1], raw[2:])
    assert r.cc == cc
    assert w.request(6, 1).raw == GOLDEN_DEVICE_ID          # and the interface still works


def test_bmc_force_abort_mid_transfer_recovers():
    w = booted("ast2600", trace=True)
    t0 = w.sim.now
    # 150 us into the next request the firmware aborts (the FORCE_ABORT ioctl).
    w.sim.call_at(t0 + us(150), lambda: w.soc.cpu.post(w.channel.engine.force_abort, w.sim.now, latency=0))
    r = w.request(0x06, 0x01)
    assert r.raw == GOLDEN_DEVICE_ID
    text = w.sim.tracer.text()
    assert "force-abort" in text and "error-recovery" in text and "abort-status" in text
    assert w.host.si.sm.error_retries >= 1


@pytest.mark.parametrize("preset", PRESETS)
def test_dead_bmc_drives_the_host_to_hosed(preset):
    w = booted(preset)
    w.channel.stop_servicing()
    r = w.request(0x06, 0x01, limit=s(300))
    assert r.cc == 0xFF
    # 11 IBF waits of 5 s (MAX_ERROR_RETRIES + 1), each ending on a timer tick.
    assert 55 * S <= r.elapsed <= 55 * S + 11 * 2 * w.host.si.jiffy, r.elapsed
    assert w.host.si.stats["hosed_count"] == 1


def test_an_hour_of_idle_costs_a_bounded_number_of_events():
    w = booted("ast2600")
    before = w.sim.events_scheduled
    w.sim.run(until=w.sim.now + 3600 * S)
    assert w.sim.events_scheduled - before <= 5
    assert w.request(6, 1).raw == GOLDEN_DEVICE_ID


def test_pollskip_keeps_the_exact_timing_of_naive_polling():
    def run(pollskip):
        w = World("ast2600", seed=3, trace=True, si=SiConfig(pollskip=pollskip))
        w.boot()
        e0 = w.sim.events_scheduled
        rs = [w.request(6, 1) for _ in range(4)]
        lines = [ln for ln in w.sim.tracer.lines() if "host-rd-STR" not in ln and "0x0CA3" not in ln]
        return [(r.t_sent, r.t_done) for r in rs], lines, w.sim.events_scheduled - e0
    fast_t, fast_lines, fast_events = run(True)
    slow_t, slow_lines, slow_events = run(False)
    assert fast_t == slow_t
    assert fast_lines == slow_lines
    assert fast_events < slow_events


@pytest.mark.parametrize(("preset", "interface", "kipmid"), [("ast2600", "kcs", None), ("npcm7xx", "kcs", None),
                                                           ("ast2600", "bt", True)])
def test_show_polls_replays_every_skipped_poll(preset, interface, kipmid):
    """``show_polls``: the trace is naive polling's, record for record (cycles, status reads), and
    the timing and the events are pollskip's."""
    def run(pollskip, show):
        w = World(preset, seed=3, trace=True, interface=interface, si=SiConfig(pollskip=pollskip, show_polls=show,
                                                                             kipmid=kipmid))
        w.boot()
        e0 = w.sim.events_scheduled
        rs = [w.request(6, 1) for _ in range(4)]
        return [(r.t_sent, r.t_done) for r in rs], w.sim.tracer.lines(), w.sim.events_scheduled - e0
    naive = run(False, False)
    shown = run(True, True)
    skipped = run(True, False)
    assert shown[0] == naive[0] == skipped[0]
    assert shown[1] == naive[1]
    assert len(skipped[1]) < len(naive[1])
    assert shown[2] == skipped[2] < naive[2]


def test_events_per_transaction_budget():
    for preset, budget in (("isa-ipmi-kcs", 60), ("ast2600", 150)):
        w = booted(preset)
        w.request(6, 1)
        e0 = w.sim.events_scheduled
        for _ in range(10):
            w.request(6, 1)
        assert (w.sim.events_scheduled - e0) / 10 <= budget


def test_time_is_integer_nanoseconds():
    w = booted("ast2600")
    r = w.request(6, 1)
    assert isinstance(w.sim.now, int) and isinstance(r.t_done, int)
    assert r.elapsed % 1 == 0 and MS < r.elapsed
