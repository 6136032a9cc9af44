"""A sensor ramping across its upper critical threshold: the SEL entry, and the host receiving the event
through SMS_ATN -> Get Message Flags -> Read Event Message Buffer, at the instant the model predicts.

The crossing instant is computed here by hand from the ramp (exact to the
nanosecond).  The host side is Linux's ``ipmi_si``, either polled with a
``need_watch`` user (kipmid looks at the flags every 100 jiffies, so the host
reads the event at its first watch poll after the crossing, plus the two
transactions' time) or interrupt-driven on the ideal preset (QEMU's KCS
raises an attention interrupt with SMS_ATN; the handler reads status one
interrupt latency later).  The transactions' time is measured in a twin
world that has no sensor at all and raises the same event record by hand at
the computed instant; the sensor's world must match it to the nanosecond.
"""

from __future__ import annotations

import math
from fractions import Fraction

import pytest

from bmc.ipmi.cmd import App
from bmc.ipmi.netfn import NetFn
from bmc.sensors import Ramp, ThresholdSensor
from buses.time import S, ms, s
from scenarios.world import World

T0 = s(2)                 # the ramp starts after the host has booted
START, SLOPE = 30, 0.3    # degrees C, degrees C per second
UCR = 45
NUMBER = 0x60


def crossing_instant() -> int:
    """First ns at which the reading (value rounded to the nearest raw count) reaches UCR: value >= 44.5."""
    return T0 + math.ceil((Fraction(UCR) - Fraction(1, 2) - START) / Fraction(3, 10) * S)


def world(preset: str, sensor: bool, trace: bool = False, use_irq: bool = False) -> World:
    w = World(preset, seed=7, trace=trace, use_irq=use_irq)
    if sensor:
        w.bmc.sensors.add(ThresholdSensor(NUMBER, "Ramp Temp", model=Ramp(START, SLOPE, at=T0),
                                          thresholds={"ucr": UCR}, hysteresis=(1, 1)))
    return w


def expected_record(w: World, t: int) -> bytes:
    # Temperature sensor, threshold assertion, UCR going high (offset 9) with reading and threshold in ED2/ED3.
    return w.bmc.event_record(0x01, NUMBER, 0x01, 0x50 | 9, UCR, UCR, t)


def booted(w: World, mode: str) -> World:
    assert w.boot()
    if mode == "watch":
        w.host.si.set_need_watch(True)
    return w


@pytest.mark.parametrize("preset,mode", [("isa-ipmi-kcs", "watch"), ("ast2600", "watch"), ("isa-ipmi-kcs", "irq")])
def test_ramp_across_ucr_reaches_the_sel_and_the_host_on_time(preset, mode):
    t_cross = crossing_instant()
    assert t_cross == 50_333_333_334
    irq = mode == "irq"

    # The twin: no sensor; the same record raised by hand at the computed instant.
    twin = world(preset, sensor=False, use_irq=irq)
    twin.sim.call_at(t_cross, lambda: twin.bmc.raise_event(expected_record(twin, t_cross), t_cross))
    booted(twin, mode)
    twin.sim.run(until=t_cross)
    twin_poll = twin.host.si.kipmid_next
    twin.sim.run(until=t_cross + s(2))
    [(t_twin, rsp_twin)] = twin.host.ipmi.events

    w = booted(world(preset, sensor=True, trace=True, use_irq=irq), mode)
    w.sim.run(until=t_cross)
    assert len(w.bmc.sel) == 0                  # not a nanosecond early
    poll = w.host.si.kipmid_next                # the driver's next watch poll, as of the crossing
    w.sim.run(until=t_cross + s(2))

    # The SEL entry: system event, BMC 0x20 LUN 0, EvMRev 4, temperature, our sensor, UCR going high.
    [record] = w.bmc.sel.records()
    assert record == b"\x01\x00" + expected_record(w, t_cross)[2:]
    assert int.from_bytes(record[3:7], "little") == t_cross // S == 50

    # The host: one event, the same bytes, at the twin's instant.
    [(t_host, rsp)] = w.host.ipmi.events
    assert rsp == rsp_twin == bytes((0x1C, App.READ_EVENT_MESSAGE_BUFFER, 0x00)) + expected_record(w, t_cross)
    assert t_host == t_twin

    # And the path was ATN -> Get Message Flags -> Read Event Message Buffer.
    text = w.sim.tracer.text().splitlines()
    after = [ln for ln in text if float(ln.split()[0]) * S >= t_cross - 1]
    at = [round(float(ln.split()[0]) * S) for ln in after]
    atn = next(i for i, ln in enumerate(after) if " atn " in ln and "on=1" in ln)
    flags = next(i for i, ln in enumerate(after) if "get-flags" in ln)
    read = next(i for i, ln in enumerate(after) if " dispatch " in ln and "Read Event Message Buffer" in ln)
    assert atn < flags < read and at[atn] == t_cross
    if irq:
        # The interrupt goes up at the crossing; the handler's first status read completes one interrupt
        # latency and one port access later.
        first_read = next(i for i, ln in enumerate(after) if "host-rd-STR" in ln)
        assert at[first_read] == t_cross + w.host.cpu.irq_latency + w.host.cpu.io_ns
        assert t_host - t_cross < ms(1)
    else:
        # The first watch poll after the crossing starts the fetch, within 100 jiffies.
        assert poll == twin_poll and t_cross <= poll < t_cross + 100 * w.host.si.jiffy
        assert at[flags] >= poll and poll < t_host < poll + s(1)
    assert w.host.si.stats["events"] == 1 and w.bmc.event_buffer is None


def test_the_pipeline_does_not_depend_on_when_the_event_comes():
    """On the ideal preset the fetch after a watch poll takes the same time whatever the instant: the host
    timing is the poll grid plus a constant, so the sensor's event is read exactly that long after the poll."""
    durations = []
    for t_raise in (s(7) + 123_457, s(13) + 999_999_999):
        twin = world("isa-ipmi-kcs", sensor=False)
        twin.sim.call_at(t_raise, lambda t=t_raise, w=twin: w.bmc.raise_event(expected_record(w, t), t))
        assert twin.boot()
        twin.host.si.set_need_watch(True)
        twin.sim.run(until=t_raise)
        poll = twin.host.si.kipmid_next
        twin.sim.run(until=t_raise + s(2))
        [(t_host, _)] = twin.host.ipmi.events
        durations.append(t_host - poll)
    assert durations[0] == durations[1]

    w = world("isa-ipmi-kcs", sensor=True)
    assert w.boot()
    w.host.si.set_need_watch(True)
    w.sim.run(until=crossing_instant())
    poll = w.host.si.kipmid_next
    w.sim.run(until=crossing_instant() + s(2))
    [(t_host, _)] = w.host.ipmi.events
    assert t_host == poll + durations[0]


def test_full_stack_aspeed_has_no_attention_interrupt():
    """Real ASPEED silicon raises no host interrupt for SMS_ATN (only ODR writes do): an interrupt-driven
    host on the AST2600 sees the event only when something else makes it run the state machine."""
    w = World("ast2600", seed=7, use_irq=True)
    w.bmc.sensors.add(ThresholdSensor(NUMBER, "Ramp Temp", model=Ramp(START, SLOPE, at=T0), thresholds={"ucr": UCR}))
    assert w.boot()
    w.sim.run(until=crossing_instant() + s(1))
    assert len(w.bmc.sel) == 1 and not w.host.ipmi.events
    assert w.request(NetFn.APP, App.GET_DEVICE_ID).cc == 0                  # the next transaction...
    w.sim.run(until=w.sim.now + s(1))
    assert len(w.host.ipmi.events) == 1                                      # ...notices SMS_ATN
