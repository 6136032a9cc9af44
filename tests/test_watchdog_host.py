"""The BMC watchdog with consequences on a real simulated host, armed by the host's ``ipmi_watchdog``.

Acceptance (issue 6, item 3): set for 10.0 s with power-cycle action and not petted, the host
power-cycles at exactly 10.0 s of simulated time after the Reset instant, after the pre-timeout
interrupt at its lead (3 s: 7.0 s), delivered through the flags path or as an NMI; petting
every 5 s keeps it from ever firing over 1 h, at a bounded event cost; the watchdog's events
(Watchdog 2 sensor, offsets 8 and 3) are raised at those instants.
"""

import pytest

from bmc.ipmi.cc import IpmiError
from bmc.ipmi.cmd import App
from bmc.ipmi.msg import from_hex, hexdump
from bmc.ipmi.netfn import NetFn
from bmc.ipmid import command
from bmc.privilege import Privilege
from buses.time import MS, S, ms
from scenarios.world import World
from vserver.watchdog import WatchdogDaemon

PRESETS = ["isa-ipmi-kcs", "ast2600"]
WATCH_POLL = 100 * 4 * MS        # a polled driver in watch mode looks for attention every 100 jiffies (HZ 250)


def booted(preset="isa-ipmi-kcs", **kw):
    w = World(preset, seed=kw.pop("seed", 5), **kw)
    assert w.boot() is True
    events = []
    raise_event = w.bmc.raise_event

    def spy(record, t):
        events.append((t, bytes(record)))
        raise_event(record, t)
    w.bmc.raise_event = spy
    return w, events


def sel_watchdog_records(w) -> list[bytes] | None:
    """Watchdog 2 records read back with Get SEL Entry, or None while no SEL is wired to the BMC."""
    if w.bmc.event_log is None or w.ipmid.lookup(NetFn.STORAGE, 0x43) is None:
        return None
    found, record_id = [], 0x0000
    while record_id != 0xFFFF:
        rsp = w.ipmid.handle(bytes((NetFn.STORAGE << 2, 0x43, 0, 0, record_id & 0xFF, record_id >> 8, 0, 0xFF)))
        if rsp[2] != 0:
            break
        record_id = rsp[3] | rsp[4] << 8
        if rsp[5 + 10] == 0x23:
            found.append(rsp[5:])
    return found


def arm(w, **kw) -> tuple[WatchdogDaemon, int]:
    """Start the daemon and run until it has armed the timer; returns it and the Reset instant."""
    d = WatchdogDaemon(**kw)
    w.host.add_service(d)
    w.sim.run(until=w.sim.now + S)
    assert d.heartbeats and d.heartbeats[0][1] == 0
    return d, w.bmc.watchdog.started_at


@pytest.mark.parametrize("preset", PRESETS)
def test_unpetted_power_cycle_at_exactly_10_s_after_the_pretimeout_interrupt_at_7_s(preset):
    w, events = booted(preset)
    d, t0 = arm(w, timeout=10, pretimeout=3, action="power_cycle", preaction="pre_int", pet=False)
    assert d.sets[0][1] == from_hex("04 00 00 00 64 00")        # module load: stop (no don't-stop, action none)
    assert d.sets[1][1] == from_hex("44 33 03 00 64 00")        # SMS/OS don't-stop, msg int + power cycle, 3 s, 10 s
    w.sim.run(until=t0 + 12 * S)
    # The BMC side, to the nanosecond: pre-timeout (offset 8) at 7.0 s, power cycle (offset 3) at 10.0 s.
    assert [(t - t0, r[13:]) for t, r in events] == [(7 * S, from_hex("C8 34 FF")), (10 * S, from_hex("C3 34 FF"))]
    assert all(r[10:13] == from_hex("23 00 6F") for _, r in events)   # Watchdog 2, sensor 0, sensor-specific
    logged = sel_watchdog_records(w)
    if logged is not None:                                            # the SEL, once wired, holds both
        assert [r[2:] for r in logged] == [r[2:] for _, r in events]
    # The host: the pre-timeout arrived through ATN -> Get Message Flags -> Clear Message Flags, before the cycle.
    (pre,) = d.pretimeouts
    assert t0 + 7 * S < pre <= t0 + 7 * S + WATCH_POLL + ms(5)
    assert w.host.si is not None
    assert [(t - t0, e) for t, e in w.host.power_events] == [(10 * S, "power-cycle"), (11 * S, "power-on")]
    # After the reboot the daemon arms the timer again, and the BMC knows why the system restarted.
    w.sim.run(until=t0 + 20 * S)
    assert w.host.ready and len(d.sets) == 4                    # stop + arm, before and after the cycle
    assert w.request(0x00, 0x07).raw == from_hex("04 07 00 04 00")   # watchdog expiration


@pytest.mark.parametrize("preset", PRESETS)
def test_nmi_pretimeout_lands_at_exactly_7_s(preset):
    w, events = booted(preset)
    d, t0 = arm(w, timeout=10, pretimeout=3, action="power_cycle", preaction="pre_nmi", pet=False)
    w.sim.run(until=t0 + 10 * S + 1)
    assert w.host.nmis == [t0 + 7 * S]
    assert d.pretimeouts[0] == t0 + 7 * S                      # the NMI handler, at the instant
    # The flag path reports it too (unlike QEMU bug 13, an NMI pre-timeout also sets ATN).
    assert len(d.pretimeouts) == 2 and d.pretimeouts[1] <= t0 + 7 * S + WATCH_POLL + ms(5)
    assert [(t - t0, e) for t, e in w.host.power_events] == [(7 * S, "nmi"), (10 * S, "power-cycle")]
    assert [r[13] for _, r in events] == [0xC8, 0xC3] and events[0][1][14] == 0x24


@pytest.mark.parametrize("preset", PRESETS)
def test_petting_every_5_s_never_fires_over_an_hour(preset):
    w, events = booted(preset)
    d, t0 = arm(w, timeout=10, pretimeout=3, action="power_cycle", preaction="pre_int", heartbeat=5 * S)
    before = w.sim.events_scheduled
    wakeups = w.bmc.watchdog.wakeups_scheduled
    w.sim.run(until=t0 + 3600 * S)
    pets = len(d.heartbeats) - 1
    assert pets == 719
    assert w.host.power_events == [] and events == [] and d.pretimeouts == [] and d.errors == []
    assert w.bmc.watchdog.expirations == 0 and w.bmc.watchdog.pre_timeouts == 0
    assert w.bmc.watchdog.wakeups_scheduled - wakeups <= pets + 2    # one live wake-up per pet at most
    # Each 5 s costs one heartbeat transaction plus the driver's 400 ms attention polls: no busy loop anywhere.
    assert w.sim.events_scheduled - before <= 100 * pets


def test_bmc_cold_reset_is_recovered_by_setting_the_timer_again():
    w, events = booted()
    d, t0 = arm(w, timeout=10, action="reset", heartbeat=5 * S)
    w.sim.run(until=t0 + 7 * S)
    assert hexdump(w.ipmid.handle(from_hex("18 02"))) == "1C 02 00"      # the BMC forgets the watchdog
    w.sim.run(until=t0 + 60 * S)
    # Heartbeat at 10 s: 0x80, Set again, Reset again; then it keeps being petted.
    assert [cc for _, cc in list(d.heartbeats)[:4]] == [0x00, 0x00, 0x80, 0x00]
    assert len(d.sets) == 3 and d.errors == []                 # stop, arm, restore
    assert w.bmc.watchdog.running and w.host.power_events == []


def test_restoring_gives_up_after_three_attempts():
    w, _ = booted()

    @command(NetFn.APP, App.RESET_WATCHDOG_TIMER, privilege=Privilege.OPERATOR, req_len=0)
    def forgetful(call):
        raise IpmiError(0x80, "this BMC never keeps its settings")
    w.ipmid.install([forgetful], replace=True)
    d = WatchdogDaemon(timeout=10, pet=False)
    w.host.add_service(d)
    w.sim.run(until=w.sim.now + S)
    assert [cc for _, cc in d.heartbeats] == [0x80] * 4
    assert len(d.sets) == 2 + 3                                # stop, arm, three restores
    assert d.errors[-1][1] == "Unable to restore the IPMI watchdog's settings, giving up"


def test_preop_panic_halts_and_the_bmc_resets_after_the_panic_timeout():
    w, events = booted()
    d, t0 = arm(w, timeout=10, pretimeout=3, action="reset", preaction="pre_int", preop="preop_panic", pet=False)
    w.sim.run(until=t0 + 9 * S)
    (t_panic, what), = w.host.power_events
    assert what == "panic" and t_panic == d.pretimeouts[0]
    # The panic notifier: 255 s, reset, no pre-timeout; then the kernel halts and its driver stops.
    t_set, data, cc = d.sets[-1]
    assert data == from_hex("44 01 00 00 F6 09") and cc == 0
    assert w.host.state == "halted" and not w.host.ready
    t_reset = w.bmc.watchdog.expiry_at
    assert t_reset - w.bmc.watchdog.started_at == 255 * S
    w.sim.run(until=t_reset + 1)
    assert w.host.power_events[-1] == (t_reset, "hard-reset")
    w.sim.run(until=t_reset + 10 * S)
    assert w.host.ready and w.host.boots[-1][1] == "no override"


def test_clean_power_off_disables_the_timer_and_a_reboot_gets_120_s():
    w, events = booted()
    d, t0 = arm(w, timeout=10, pretimeout=3, action="power_cycle", preaction="pre_int", heartbeat=5 * S)
    w.host.reboot()
    w.sim.run(until=w.sim.now + S)
    assert d.sets[-1][1] == from_hex("44 01 00 00 B0 04")        # reset after 120 s, no pre-timeout
    w.sim.run(until=w.sim.now + 10 * S)
    assert w.host.ready and d.sets[-1][1] == from_hex("44 33 03 00 64 00")   # configured values again
    assert hexdump(w.ipmid.handle(from_hex("00 02 05"))) == "04 02 00"      # ACPI soft shutdown
    w.sim.run(until=w.sim.now + S)
    assert d.sets[-1][1] == from_hex("04 00 00 00 64 00")        # action none: no don't-stop either
    w.sim.run(until=w.sim.now + 3600 * S)
    assert w.host.power_events[-1][1] == "power-off" and not w.host.power_on_state
    # The Set without "don't stop" stopped the timer: it never expires (with don't-stop it would have
    # run on with action none and been logged).
    assert w.bmc.watchdog.expirations == 0 and not w.bmc.watchdog.running


def test_a_long_run_keeps_at_most_history_heartbeats():
    w, _ = booted()
    d, t0 = arm(w, timeout=10, action="reset", heartbeat=5 * S, history=16)
    w.sim.run(until=t0 + 600 * S)
    assert len(d.heartbeats) == 16 and d.heartbeats.maxlen == 16     # 120 pets, the last 16 kept
    assert d.heartbeats[-1][0] > t0 + 590 * S and d.heartbeat_count == 120
    assert WatchdogDaemon().heartbeats.maxlen == 1024
    with pytest.raises(ValueError, match="watchdog history 0 must be a positive int"):
        WatchdogDaemon(history=0)
