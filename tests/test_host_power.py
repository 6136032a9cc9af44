"""The simulated host as a machine: power, reset, NMI, boot (BIOS boot flags, OS, driver) and what the BMC sees."""

from functools import partial

import pytest

from bmc.ipmi.msg import from_hex
from buses.time import S, ms
from scenarios.scenario import ask as scenario_ask
from scenarios.scenario import boot
from scenarios.world import World
from vserver.host import HostTiming

PRESETS = ["isa-ipmi-kcs", "ast2600"]


booted = partial(boot, seed=2, settle=0)      # scenarios.scenario.boot, this file's seed
ask = partial(scenario_ask, via="bmc")         # a request that does not go through the host (as from the LAN)


def control(w, request: str) -> int:
    """A Chassis Control from outside: answered at once; returns when the BMC pulled the wire."""
    before = list(w.host.power_events)
    assert ask(w, request) == "04 02 00"
    assert w.host.power_events == before                         # the answer comes first
    t = w.sim.now + w.bmc.chassis_control_delay
    w.sim.run(until=t + 1)
    return t


def request_when_ready(w, netfn, cmd, data=b""):
    def go():
        yield from w.host.wait_ready()
        return (yield from w.host.ipmi.request(netfn, cmd, data))
    return w.sim.run_process(go(), limit=60 * S)


@pytest.mark.parametrize("preset", PRESETS)
def test_power_cycle_stops_the_driver_and_boots_it_again(preset):
    w = booted(preset)
    t = control(w, "00 02 02")
    timing = w.host.timing
    assert w.host.power_events == [(t, "power-cycle")]
    w.sim.run(until=t + ms(1))
    assert not w.host.ready and w.request(0x06, 0x01).cc == 0xFF          # /dev/ipmi0 is gone while off
    assert ask(w, "00 01") == "04 01 00 60 00 00 00"
    r = request_when_ready(w, 0x06, 0x01)
    assert r.raw == from_hex("1C 01 00 20 00 00 00 02 8F 00 00 00 00 00")
    on = t + timing.power_cycle_interval
    assert w.host.power_events == [(t, "power-cycle"), (on, "power-on")]
    names = [what for _, what in w.host.boot_log]
    assert names[-4:] == ["driver-stop", "firmware", "os-boot", "driver-ready"]
    (t_boot, device), = w.host.boots
    assert device == "no override" and on + timing.firmware_boot <= t_boot < on + timing.firmware_boot + ms(10)
    assert r.t_sent >= on + timing.firmware_boot + timing.os_boot
    assert ask(w, "00 01") == "04 01 00 61 10 00 00"                      # on, via an IPMI command


def test_a_request_in_flight_completes_with_ff_when_power_drops():
    w = booted("ast2600")

    def user():
        return (yield from w.host.ipmi.request(0x06, 0x01))
    proc = w.sim.process(user())
    w.sim.run(until=w.sim.now + ms(1))                    # the request is on the wires (about 5 ms in all)
    w.bmc.chassis_control_delay = 0                       # the wire at the instant of the answer
    t_off = w.sim.now
    assert ask(w, "00 02 00") == "04 02 00"
    w.sim.run(until=proc)
    r = proc.value
    assert r.cc == 0xFF and r.t_done == t_off
    assert not w.host.si.proc.is_alive
    w.sim.run(until=t_off + 3600 * S)                     # off for an hour: nothing ticks
    assert w.host.power_events == [(t_off, "power-off")]


def test_idle_off_host_costs_nothing():
    w = booted()
    control(w, "00 02 00")
    w.sim.run(until=w.sim.now + S)
    before = w.sim.events_scheduled
    w.sim.run(until=w.sim.now + 3600 * S)
    assert w.sim.events_scheduled - before <= 2


@pytest.mark.parametrize("preset", PRESETS)
def test_bios_boots_pxe_once_and_acknowledges(preset):
    w = booted(preset)
    for data in ("00 01", "04 01 01", "05 80 04 00 00 00", "00 02", "00 00"):   # ipmitool chassis bootdev pxe
        assert w.request(0x00, 0x08, from_hex(data)).cc == 0
    control(w, "00 02 03")                                                      # hard reset
    request_when_ready(w, 0x06, 0x01)
    assert [d for _, d in w.host.boots] == ["PXE"]
    assert ask(w, "00 09 05 00 00") == "04 09 00 01 05 00 04 00 00 00"          # one-time flags used up
    assert ask(w, "00 09 04 00 00") == "04 09 00 01 04 00 00"                   # BIOS/POST handled it
    control(w, "00 02 03")
    request_when_ready(w, 0x06, 0x01)
    assert [d for _, d in w.host.boots] == ["PXE", "no override"]


def test_persistent_boot_flags_stay():
    w = booted()
    assert ask(w, "00 08 05 C0 14 00 00 00") == "04 08 00"                      # persistent CD/DVD
    for _ in range(2):
        control(w, "00 02 03")
        request_when_ready(w, 0x06, 0x01)
    assert [d for _, d in w.host.boots] == ["CD/DVD", "CD/DVD"]
    assert w.bmc.chassis.boot.flags[0] == 0xC0


def test_reset_button_clears_the_valid_bit_unless_parameter_3_says_not_to():
    w = booted()
    assert ask(w, "00 08 05 80 04 00 00 00") == "04 08 00"
    w.host.press_reset_button()
    assert w.bmc.chassis.boot.flags[0] == 0x00                   # cleared by the BMC: reset via pushbutton
    assert ask(w, "00 07") == "04 07 00 02 00"
    request_when_ready(w, 0x06, 0x01)
    assert [d for _, d in w.host.boots] == ["no override"]
    assert ask(w, "00 08 03 02") == "04 08 00"                   # don't clear on pushbutton/soft reset
    assert ask(w, "00 08 05 80 04 00 00 00") == "04 08 00"
    w.host.press_reset_button()
    request_when_ready(w, 0x06, 0x01)
    assert [d for _, d in w.host.boots] == ["no override", "PXE"]


def test_restart_causes_seen_by_the_bmc():
    w = booted()
    w.host.reboot()                                              # the OS reboots itself
    w.sim.run(until=w.sim.now + w.host.timing.soft_shutdown + 1)
    assert w.host.power_events[-1][1] == "os-reset" and not w.host.ready
    request_when_ready(w, 0x06, 0x01)
    assert w.request(0x00, 0x07).raw == from_hex("04 07 00 0A 00")    # soft reset
    w.host.press_power_button()                                  # ACPI: the OS shuts down, power goes off
    w.sim.run(until=w.sim.now + 10 * S)
    assert not w.host.power_on_state and w.host.power_events[-1][1] == "power-off"
    w.host.press_power_button()
    r = request_when_ready(w, 0x00, 0x07)
    assert r.raw == from_hex("04 07 00 03 00")                   # power-up via power pushbutton
    assert request_when_ready(w, 0x00, 0x01).raw == from_hex("04 01 00 61 00 00 00")   # not via IPMI command
    control(w, "00 02 01")                                       # already on: nothing happens
    assert w.host.power_events[-1][1] == "power-on"


def test_power_on_hours_count_only_on_time():
    w = booted()
    w.sim.run(until=2 * 3600 * S)
    assert ask(w, "00 0F") == "04 0F 00 3C 02 00 00 00"
    control(w, "00 02 00")
    w.sim.run(until=10 * 3600 * S)
    assert ask(w, "00 0F") == "04 0F 00 3C 02 00 00 00"          # off time does not count
    on = control(w, "00 02 01")
    w.sim.run(until=on + 3600 * S + 1)
    assert ask(w, "00 0F") == "04 0F 00 3C 03 00 00 00"


def test_diagnostic_interrupt_and_nmi_reach_the_running_os():
    w = booted()
    seen = []
    w.host.nmi_listeners.append(seen.append)
    t = control(w, "00 02 04")
    assert w.host.nmis == [t] and seen == [t] and w.host.power_events == [(t, "diag-interrupt")]


def test_host_reset_rolls_back_a_set_in_progress_and_clears_the_os_name():
    w = booted()
    w.bmc.system_info.set_text(4, "Debian GNU/Linux")
    assert ask(w, "00 08 00 01") == "04 08 00"
    assert ask(w, "00 08 05 80 04 00 00 00") == "04 08 00"
    control(w, "00 02 03")
    assert ask(w, "00 09 00 00 00") == "04 09 00 01 00 00"       # set complete again
    assert w.bmc.chassis.boot.flags == bytes(5)                  # the uncommitted write is gone
    assert w.bmc.system_info.text(4) == ""


def test_custom_timing_and_tracing_are_deterministic():
    def run():
        w = World("ast2600", seed=9, trace=True)
        w.host.timing = HostTiming(power_cycle_interval=2 * S, firmware_boot=S, os_boot=S)
        assert w.boot()
        control(w, "00 02 02")
        request_when_ready(w, 0x06, 0x01)
        return w
    a, b = run(), run()
    assert a.sim.tracer.text() == b.sim.tracer.text()
    on = a.host.power_events[1][0]
    assert a.host.power_events[1][1] == "power-on" and on - a.host.power_events[0][0] == 2 * S
    text = a.sim.tracer.text()
    assert "host  host           power-cycle" in text and "bios-boot" in text and "driver-stop" in text


def test_host_timing_errors_name_the_field():
    with pytest.raises(ValueError, match="host timing os_boot -1"):
        HostTiming(os_boot=-1)
