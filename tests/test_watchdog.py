"""The BMC watchdog on the simulated clock: exact expiry instants, pre-timeouts, idle cost.

Where ipmilab fixes a QEMU ``ipmi-bmc-sim`` watchdog bug (qemu-ipmi.md 3.12:
11 power cycle, 12 Reset with action none, 13 NMI pre-timeout without ATN),
the test names it.
"""

import pytest

from bmc.bmc import Bmc
from bmc.host_control import RecordingHostControl
from bmc.ipmi import from_hex, hexdump
from bmc.ipmid import Ipmid
from buses import S, Simulation, ms

T0 = 1_234_567  # an odd start time, so "exactly 10 s after the Reset" is not a round number


def make(host=None):
    sim = Simulation()
    host = host if host is not None else RecordingHostControl()
    bmc = Bmc(sim, host=host)
    events = []
    bmc.event_log = lambda record, t: events.append((t, record))
    return sim, bmc, Ipmid(sim, bmc, raise_unexpected=True), events


def ask(ipmid, request: str) -> str:
    return hexdump(ipmid.handle(from_hex(request)))


def at(sim, t: int) -> None:
    """Advance to ``t``.  SimPy's ``until`` is exclusive: events due at ``t`` have not run yet."""
    sim.run(until=t)
    assert sim.now == t


def through(sim, t: int) -> None:
    """Advance past ``t``, so everything due at ``t`` has happened."""
    sim.run(until=t + 1)


def status(ipmid) -> bytes:
    """Get Watchdog Timer response data: use, actions, pre-timeout, flags, initial LSB/MSB, present LSB/MSB."""
    rsp = ipmid.handle(b"\x18\x25")
    assert rsp[2] == 0
    return rsp[3:]


def set_and_reset(sim, ipmid, set_hex: str, t: int = T0) -> None:
    at(sim, t)
    assert ask(ipmid, set_hex) == "1C 24 00"
    assert ask(ipmid, "18 22") == "1C 22 00"


def test_power_cycle_at_exactly_ten_seconds_after_reset():
    sim, bmc, ipmid, events = make()
    set_and_reset(sim, ipmid, "18 24 04 03 00 00 64 00")   # SMS/OS, power cycle, 100 x 100 ms
    through(sim, T0 + 10 * S - 1)
    assert bmc.host.calls == []
    through(sim, T0 + 20 * S)
    assert bmc.host.calls == [(T0 + 10_000_000_000, "power_cycle")]
    # Stopped, SMS/OS expiration flag (bit 4) set, present count 0.
    assert ask(ipmid, "18 25") == "1C 25 00 04 03 00 10 64 00 00 00"
    assert ask(ipmid, "00 07") == "04 07 00 04 00"          # restart cause: watchdog expiration


def test_power_cycle_logs_offset_3_unlike_qemu_bug_11():
    sim, bmc, ipmid, events = make()
    set_and_reset(sim, ipmid, "18 24 04 03 00 00 0A 00")
    sim.run(until=T0 + 2 * S)
    ((t, record),) = events
    assert t == T0 + S
    # Watchdog 2 (0x23), sensor 0, sensor-specific; ED1 0xC3 = offset 3 "power cycle"; ED2 = use 4.
    assert record[7:] == from_hex("20 00 04 23 00 6F C3 04 FF")
    assert record[2] == 0x02


def test_pre_timeout_messaging_interrupt_at_its_lead():
    sim, bmc, ipmid, events = make()
    ask(ipmid, "18 2E 09")                                   # receive-message interrupt + logging
    set_and_reset(sim, ipmid, "18 24 04 31 03 00 64 00")    # msg interrupt 3 s ahead, hard reset
    through(sim, T0 + 7 * S - 1)
    assert not bmc.watchdog_pre_timeout_flag
    through(sim, T0 + 7 * S)
    assert bmc.watchdog_pre_timeout_flag and bmc.atn and bmc._atn == (True, True)
    assert ask(ipmid, "18 31") == "1C 31 00 08"
    assert events[0][0] == T0 + 7 * S and events[0][1][13:] == from_hex("C8 34 FF")
    sim.run(until=T0 + 20 * S)
    assert bmc.host.calls == [(T0 + 10 * S, "hard_reset")]


def test_pre_timeout_nmi_sets_flag_and_attention_unlike_qemu_bug_13():
    sim, bmc, ipmid, _ = make()
    set_and_reset(sim, ipmid, "18 24 04 21 02 00 32 00")    # NMI 2 s ahead of 5 s, hard reset
    through(sim, T0 + 3 * S)
    assert bmc.host.calls == [(T0 + 3 * S, "nmi")]
    assert bmc.watchdog_pre_timeout_flag and bmc.atn
    sim.run(until=T0 + 6 * S)
    assert bmc.host.calls[-1] == (T0 + 5 * S, "hard_reset")


def test_pre_timeout_longer_than_countdown_fires_at_once():
    sim, bmc, ipmid, _ = make()
    set_and_reset(sim, ipmid, "18 24 04 21 0A 00 0A 00")    # NMI 10 s ahead of a 1 s countdown
    sim.run(until=T0 + 2 * S)
    assert bmc.host.calls == [(T0, "nmi"), (T0 + S, "hard_reset")]


def test_action_none_still_counts_down_unlike_qemu_bug_12():
    sim, bmc, ipmid, events = make()
    set_and_reset(sim, ipmid, "18 24 03 00 00 00 14 00")    # OS load, no action, 2 s
    assert status(ipmid)[0] == 0x43                         # running (bit 6), OS load
    sim.run(until=T0 + 3 * S)
    assert bmc.host.calls == []
    assert bmc.watchdog.expirations == 1
    assert ask(ipmid, "18 25") == "1C 25 00 03 00 00 08 14 00 00 00"   # OS-load expiration flag
    assert [(t, r[13]) for t, r in events] == [(T0 + 2 * S, 0xC0)]     # offset 0: status only


def test_dont_log_sets_flags_but_logs_nothing():
    sim, bmc, ipmid, events = make()
    set_and_reset(sim, ipmid, "18 24 84 01 00 00 01 00")    # don't log, SMS/OS, hard reset, 100 ms
    sim.run(until=T0 + S)
    assert events == [] and bmc.host.calls == [(T0 + ms(100), "hard_reset")]
    assert status(ipmid)[:6] == from_hex("84 01 00 10 01 00")


def test_present_countdown_and_restart_with_dont_stop():
    sim, bmc, ipmid, _ = make()
    set_and_reset(sim, ipmid, "18 24 04 01 00 00 64 00")
    at(sim, T0 + ms(2500))
    assert ask(ipmid, "18 25") == "1C 25 00 44 01 00 00 64 00 4B 00"   # 75 x 100 ms left
    at(sim, T0 + ms(2550))
    assert ask(ipmid, "18 25").endswith("4B 00")                       # rounded up
    # Set with "don't stop" while running: the new countdown runs from now.
    assert ask(ipmid, "18 24 44 01 00 00 32 00") == "1C 24 00"
    sim.run(until=T0 + ms(2550) + 5 * S + 1)
    assert bmc.host.calls == [(T0 + ms(2550) + 5 * S, "hard_reset")]


def test_set_without_dont_stop_stops_a_running_timer():
    sim, bmc, ipmid, _ = make()
    set_and_reset(sim, ipmid, "18 24 04 01 00 00 0A 00")
    at(sim, T0 + ms(500))
    assert ask(ipmid, "18 24 04 01 00 00 0A 00") == "1C 24 00"
    sim.run(until=T0 + 10 * S)
    assert bmc.host.calls == []


def test_set_clears_expiration_flags():
    sim, bmc, ipmid, _ = make()
    set_and_reset(sim, ipmid, "18 24 01 00 00 00 01 00")    # FRB2, no action, 100 ms
    sim.run(until=T0 + S)
    assert status(ipmid)[3] == 0x02                         # FRB2 expired
    assert ask(ipmid, "18 24 04 00 00 02 01 00") == "1C 24 00"
    assert status(ipmid)[3] == 0x00


def test_reset_after_expiry_restarts():
    sim, bmc, ipmid, _ = make()
    set_and_reset(sim, ipmid, "18 24 04 01 00 00 0A 00")
    sim.run(until=T0 + 2 * S)
    assert ask(ipmid, "18 22") == "1C 22 00"
    sim.run(until=T0 + 4 * S)
    assert bmc.host.calls == [(T0 + S, "hard_reset"), (T0 + 3 * S, "hard_reset")]


@pytest.mark.parametrize(
    "request_hex",
    [
        "18 24 00 01 00 00 64 00",   # timer use 0 reserved
        "18 24 06 01 00 00 64 00",   # timer use 6 reserved
        "18 24 0C 01 00 00 64 00",   # byte 1 bits 5:3 reserved
        "18 24 04 04 00 00 64 00",   # action 4 reserved
        "18 24 04 41 00 00 64 00",   # pre-timeout interrupt 4 reserved
        "18 24 04 09 00 00 64 00",   # byte 2 bit 3 reserved
        "18 24 04 81 00 00 64 00",   # byte 2 bit 7 reserved
        "18 24 04 01 00 01 64 00",   # expiration flags bit 0 reserved
        "18 24 04 01 00 40 64 00",   # expiration flags bit 6 reserved
    ],
)
def test_set_rejects_reserved_values(request_hex):
    _, _, ipmid, _ = make()
    assert ask(ipmid, request_hex) == "1C 24 CC"


def test_set_rejects_what_the_host_cannot_do():
    _, _, ipmid, _ = make(RecordingHostControl(unsupported=("nmi", "hard_reset")))
    assert ask(ipmid, "18 24 04 21 01 00 64 00") == "1C 24 CC"
    assert ask(ipmid, "18 24 04 01 00 00 64 00") == "1C 24 CC"
    assert ask(ipmid, "18 24 04 32 01 00 64 00") == "1C 24 00"   # messaging interrupt, power down


def test_petting_for_an_hour_never_fires_and_costs_bounded_events():
    sim, bmc, ipmid, _ = make()
    set_and_reset(sim, ipmid, "18 24 04 03 00 00 64 00")
    before = sim.events_scheduled
    pets = 0

    def petter():
        nonlocal pets
        while True:
            yield sim.env.timeout(5 * S)
            assert ipmid.handle(b"\x18\x22") == b"\x1c\x22\x00"
            pets += 1
            assert len(sim.env._queue) <= 3   # the petter's timeout plus at most one live wake-up

    sim.process(petter())
    sim.run(until=T0 + 3600 * S)
    assert bmc.host.calls == [] and bmc.watchdog.expirations == 0
    assert pets == 719
    assert bmc.watchdog.wakeups_scheduled <= pets + 2
    assert sim.events_scheduled - before <= 2 * pets + 5


def run_cost(t: int) -> int:
    """Events SimPy itself schedules for ``run(until=t)`` on an empty simulation."""
    empty = Simulation()
    empty.run(until=t)
    return empty.events_scheduled


def test_stopped_watchdog_schedules_nothing():
    sim, bmc, ipmid, _ = make()
    assert ask(ipmid, "18 24 04 01 00 00 64 00") == "1C 24 00"   # set, not started
    assert sim.env.peek() == float("inf") and sim.events_scheduled == 0
    sim.run(until=3600 * S)
    assert sim.events_scheduled == run_cost(3600 * S) and bmc.watchdog.wakeups_scheduled == 0


def watchdog_events_pending(sim, bmc) -> int:
    return sum(1 for _, _, _, ev in sim.env._queue if ev.callbacks and bmc.watchdog._wake in ev.callbacks)


def test_stopping_a_running_watchdog_leaves_nothing_that_acts():
    sim, bmc, ipmid, _ = make()
    set_and_reset(sim, ipmid, "18 24 04 31 03 00 64 00")
    at(sim, T0 + S)
    assert ask(ipmid, "18 24 04 31 03 00 64 00") == "1C 24 00"   # Set without don't-stop: stopped
    assert watchdog_events_pending(sim, bmc) == 1                 # superseded, still in SimPy's heap
    scheduled = bmc.watchdog.wakeups_scheduled
    sim.run(until=T0 + 3600 * S)
    assert bmc.host.calls == [] and not bmc.watchdog_pre_timeout_flag
    assert bmc.watchdog.wakeups_scheduled == scheduled
    assert watchdog_events_pending(sim, bmc) == 0
