"""Sensors: value models, reading conversion, SDRs, thresholds with hysteresis and their events, scheduling."""

from __future__ import annotations

import json
import math
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bmc.bmc import Bmc
from bmc.ipmi.msg import hexdump
from bmc.sensors import (
    Constant,
    DiscreteSensor,
    Function,
    Linear,
    Piecewise,
    Ramp,
    Step,
    ThresholdSensor,
    default_sensors,
    install_default_sensors,
    sensor_from_spec,
)
from bmc.sensors.models import parse_time
from bmc.sensors.sdr import (
    CompactSensorRecord,
    EventOnlyRecord,
    FruDeviceLocator,
    FullSensorRecord,
    McDeviceLocator,
    parse_sdr,
)
from buses import Simulation
from buses.time import ms, s
from scenarios.world import World
from tests.test_conformance_storage import WATCHDOG_SDR
from vserver.userland.sdr import decode_sdr

S = 10**9


def bare_bmc(trace=False):
    """A BMC with no host and no sensors; events are logged and buffered (global enables 0x0C)."""
    sim = Simulation(trace=trace)
    bmc = Bmc(sim)
    bmc.set_global_enables(0x0C, 0)
    return sim, bmc


def sel_events(bmc):
    """(timestamp, sensor number, dir/type, ED1, ED2, ED3) of every SEL record."""
    return [(int.from_bytes(r[3:7], "little"), r[11], r[12], r[13], r[14], r[15]) for r in bmc.sel.records()]


# -- models -----------------------------------------------------------------------------------------


def test_models_follow_the_clock_exactly():
    assert Constant(24.5).value(s(99)) == 24.5
    r = Ramp(30, 0.1, at=s(10), stop=31)
    assert [r.value(t) for t in (0, s(10), s(15), s(20), s(100))] == [30, 30, 30.5, 31, 31]
    assert r.exact(s(13)) == Fraction(303, 10)          # 0.1 means one tenth, not the nearest double
    st_ = Step(1, 0, at=ms(5))
    assert (st_.value(ms(5) - 1), st_.value(ms(5))) == (1, 0)
    p = Piecewise([(s(1), 10), (s(3), 20), (s(4), 0)])
    assert [p.value(t) for t in (0, s(1), s(2), s(3), ms(3500), s(9))] == [10, 10, 15, 20, 10, 0]
    h = Piecewise([(s(1), 10), (s(3), 20)], interpolate="hold")
    assert [h.value(t) for t in (s(2), s(3) - 1, s(3))] == [10, 10, 20] and h.piecewise_constant
    f = Function(lambda t: t / S, period=ms(500))
    assert [f.value(t) for t in (0, ms(499), ms(500), ms(1700))] == [0, 0, 0.5, 1.5]


def test_model_errors_name_the_field():
    with pytest.raises(ValueError, match=r"ramp stop 10 is never reached from 20 at slope 1/s"):
        Ramp(20, 1, stop=10)
    with pytest.raises(ValueError, match=r"piecewise point \[1\] time 5 does not come after 5"):
        Piecewise([(5, 1), (5, 2)])
    with pytest.raises(ValueError, match=r"value nan is not a finite number"):
        Constant(float("nan"))
    with pytest.raises(ValueError, match=r"function model period 0"):
        Function(abs, period=0)


def test_piecewise_trace_files(tmp_path):
    csv = tmp_path / "inlet.csv"
    csv.write_text("time,value\n0,20\n1.5,21.5\n# a comment\n2500 ms,30\n")
    p = Piecewise.from_file(csv)
    assert p.points == ((0, 20), (ms(1500), Fraction(43, 2)), (ms(2500), 30))
    js = tmp_path / "fan.json"
    js.write_text(json.dumps([["0 s", 5000], [2, 5200]]))
    assert Piecewise.from_file(js, "hold").points == ((0, 5000), (s(2), 5200))
    bad = tmp_path / "bad.csv"
    bad.write_text("0,1\n1,oops\n")
    with pytest.raises(ValueError, match=r"bad.csv line 2: value 'oops' is not a number"):
        Piecewise.from_file(bad)
    assert parse_time("250us") == 250_000 and parse_time(0.001) == ms(1)


# -- conversion -------------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(m=st.integers(-512, 511).filter(bool), b=st.integers(-512, 511), b_exp=st.integers(-8, 7),
       r_exp=st.integers(-8, 7), fmt=st.sampled_from([0, 1, 2]), data=st.data())
def test_raw_value_raw_round_trip(m, b, b_exp, r_exp, fmt, data):
    """Every raw reading converts to a value that converts back to it; a host's decoder agrees."""
    lin = Linear(m=m, b=b, b_exp=b_exp, r_exp=r_exp, analog_format=fmt)
    lo, hi = lin.raw_range
    x = data.draw(st.integers(lo, hi))
    y = lin.value_exact(x)
    assert lin.raw(y) == x
    assert lin.from_byte(lin.to_byte(x)) == x
    # A value a little off the raw grid still rounds to the nearest raw reading.
    step = abs(lin.value_exact(1) - lin.value_exact(0))
    assert lin.raw(y + step * Fraction(2, 5) * lin.direction) == x
    rec = FullSensorRecord(1, "S", 0x01, 0x01, linear=lin).pack()
    assert parse_sdr(rec).linear == lin
    assert decode_sdr(rec).convert(lin.to_byte(x)) == pytest.approx(float(y), rel=1e-9, abs=1e-300)


@pytest.mark.parametrize("lo,hi,res,want", [
    (8, 20.75, 0.05, (5, 8, 2, -2)),          # 12 V rail: 0.05 V steps from 8 V
    (0, 25500, 100, (1, 0, 0, 2)),            # fan: 100 RPM per count
    (-40, 87.5, 0.5, (5, -40, 1, -1)),        # two's complement below
    (0, 2.55, None, (1, 0, 0, -2)),
])
def test_fit_chooses_exact_factors(lo, hi, res, want):
    fmt = "twos_complement" if lo < 0 and res == 0.5 else "unsigned"
    lin = Linear.fit(lo, hi, res, fmt)
    if fmt == "twos_complement":
        assert lin.value(-128) <= lo and lin.value(127) >= hi
        assert lin.raw(25) * 0.5 + lin.value(0) == pytest.approx(25, abs=0.5)
    else:
        assert (lin.m, lin.b, lin.b_exp, lin.r_exp) == want
        assert lin.value(0) == lo and lin.value(255) >= hi


def test_fit_and_factor_errors_name_the_value():
    with pytest.raises(ValueError, match=r"0..1000 in steps of 1 needs more than 256 raw readings"):
        Linear.fit(0, 1000, 1)
    with pytest.raises(ValueError, match=r"conversion.m 0"):
        Linear(m=0)
    with pytest.raises(ValueError, match=r"conversion.r_exp 9 out of range -8..7"):
        Linear(r_exp=9)


# -- SDRs -------------------------------------------------------------------------------------------


def test_records_pack_and_parse_back():
    lin = Linear(m=-3, b=100, b_exp=1, r_exp=-1, analog_format=2, tolerance=5, accuracy=700, accuracy_exp=2)
    full = FullSensorRecord(0x42, "Volt X", 0x02, 0x01, linear=lin, thresholds={"ucr": 7, "lnc": 250},
                            positive_hysteresis=3, negative_hysteresis=4, lun=1, entity_id=0x0A)
    for rec in (full, CompactSensorRecord(0x43, "PSU", 0x08, 0x6F, assertion_mask=0x0F),
                EventOnlyRecord(0x44, "Events", 0x12, 0x6F), FruDeviceLocator(1, "Riser FRU"),
                McDeviceLocator("BMC", capabilities=0xBF)):
        raw = rec.pack()
        assert raw[4] == len(raw) - 5 and raw[2] == 0x51
        back = parse_sdr(raw)
        if isinstance(back, FullSensorRecord):
            back.thresholds = {k: v for k, v in back.thresholds.items() if v}
        assert back == rec
    assert CompactSensorRecord.unpack(bytes.fromhex(WATCHDOG_SDR.replace(" ", ""))).name == "Watchdog"
    with pytest.raises(ValueError, match=r"ID string 'seventeen chars!!' is 17 bytes; at most 16"):
        McDeviceLocator("seventeen chars!!").pack()


def test_default_sensors_as_independent_readers_decode_them():
    """python-ipmi's and the host userland's SDR decoders read the configured names, units and values."""
    pyipmi = pytest.importorskip("pyipmi.sdr")
    for sensor in default_sensors():
        rec = sensor.sdr()
        theirs = pyipmi.SdrCommon.from_data(rec)
        ours = decode_sdr(rec)
        assert theirs.device_id_string == ours.name == sensor.name
        assert theirs.number == sensor.number
        if sensor.is_threshold:
            raw = sensor.linear.to_byte(sensor.raw_at(0))
            want = float(sensor.model.exact(0))
            assert theirs.convert_sensor_raw_to_value(raw) == pytest.approx(want, abs=1e-9)
            assert ours.convert(raw) == pytest.approx(want, abs=1e-9)
            assert theirs.units_2 == sensor.units
            for name, x in ((n, sensor.threshold_raw[i]) for i, n in enumerate(("lnc", "lcr", "lnr", "unc", "ucr",
                                                                                  "unr")) if i in
                            sensor.threshold_raw):
                assert theirs.threshold[name] == sensor.linear.to_byte(x)
    watchdog = [x for x in default_sensors() if x.name == "Watchdog"][0]
    assert hexdump(watchdog.sdr()) == WATCHDOG_SDR       # QEMU's built-in record, byte for byte


# -- thresholds and events --------------------------------------------------------------------------


def _idle_run_events() -> int:
    """What ``sim.run(until=...)`` itself costs a BMC without sensors (SimPy's own events)."""
    sim = Simulation()
    Bmc(sim)
    before = sim.events_scheduled
    sim.run(until=s(3600))
    return sim.events_scheduled - before


IDLE_RUN_EVENTS = _idle_run_events()


def ramp_sensor(**kw):
    args = dict(model=Ramp(30, 0.3, at=s(1)), thresholds={"unc": 40, "ucr": 45}, hysteresis=(2, 2))
    args.update(kw)
    return ThresholdSensor(0x50, "Ramp Temp", **args)


def test_ramp_crosses_at_the_instant_the_model_says():
    sim, bmc = bare_bmc()
    sensor = bmc.sensors.add(ramp_sensor())
    # raw >= 40 once the value reaches 39.5 (nearest raw reading): 1 s + 9.5/0.3 s, rounded up to a whole ns.
    t_unc = s(1) + math.ceil(Fraction(95, 10) / Fraction(3, 10) * S)
    t_ucr = s(1) + math.ceil(Fraction(145, 10) / Fraction(3, 10) * S)
    assert (t_unc, t_ucr) == (32_666_666_667, 49_333_333_334)
    assert sensor._wake_at == t_unc and sensor.wakeups_scheduled == 1
    sim.run(until=t_unc - 1)
    assert len(bmc.sel) == 0 and sensor.reading_bytes()[0] == 39
    sim.run(until=t_ucr + 1)
    assert sensor.reading_bytes(t_unc)[0] == 40
    assert sel_events(bmc) == [(32, 0x50, 0x01, 0x57, 40, 40), (49, 0x50, 0x01, 0x59, 45, 45)]
    assert bmc.event_buffer[3:] == bmc.sel.records()[0][3:]       # the first waits in the buffer
    assert sensor.wakeups_scheduled == 2 and sensor._wake_at is None      # nothing left to cross


def test_hysteresis_delays_the_deassertion():
    sim, bmc = bare_bmc()
    # Up to 50 by 100 s, then down at 1/s: UCR 45 deasserts below 45 - 2 (raw 42, value < 42.5).
    model = Piecewise([(0, 40), (s(10), 50), (s(100), 50), (s(110), 40)])
    sensor = bmc.sensors.add(ThresholdSensor(0x51, "Hyst", model=model, thresholds={"ucr": 45}, hysteresis=(0, 2)))
    sim.run(until=s(200))
    t_assert = math.ceil(Fraction(45 - Fraction(1, 2) - 40, 1) * S)         # 44.5 on the way up, at 1/s
    t_deassert = s(100) + math.floor((50 - Fraction(85, 2)) * S) + 1        # strictly below 42.5
    assert [(t, r[12], r[13], r[14]) for t, r in zip((t_assert, t_deassert), bmc.sel.records(), strict=True)] == \
        [(t_assert, 0x01, 0x59, 45), (t_deassert, 0x81, 0x59, 42)]
    assert sel_events(bmc)[1][0] == t_deassert // S
    assert sensor.event_status() == (0, 1 << 9)


def test_negative_m_and_signed_formats_compare_in_the_value_direction():
    sim, bmc = bare_bmc()
    lin = Linear(m=-1, b=0, analog_format="twos_complement")      # raw -10 is +10 degrees
    sensor = bmc.sensors.add(ThresholdSensor(0x52, "Backwards", linear=lin, model=Ramp(0, 1, at=0),
                                             thresholds={"unc": 10}))
    assert sensor.linear.raw(10) == -10
    sim.run(until=s(20))
    # raw <= -10 from value 9.5 on: 9.5 s.
    assert len(bmc.sel) == 1 and bmc.sel.records()[0][13:] == bytes((0x57, 0xF6, 0xF6))
    assert sensor._wake_at is None


def test_lower_thresholds_go_low_and_step_crosses_several_at_once():
    sim, bmc = bare_bmc()
    sensor = bmc.sensors.add(ThresholdSensor(0x53, "Fan", linear=Linear.fit(0, 25500, 100), units=18,
                                             model=Step(5000, 200, at=s(3)),
                                             thresholds={"lnc": 800, "lcr": 500, "lnr": 300}))
    sim.run(until=s(4))
    assert [r[13] for r in bmc.sel.records()] == [0x50, 0x52, 0x54]   # LNC, LCR, LNR going low, offset order
    assert {r[3] for r in bmc.sel.records()} == {3}
    assert sensor.reading_bytes()[2] == 0x07                   # at or below all three


def test_function_model_events_land_on_its_sampling_grid():
    sim, bmc = bare_bmc()
    bmc.sensors.add(ThresholdSensor(0x54, "Py", model=Function(lambda t: 20 + t / S, period=ms(250)),
                                    thresholds={"ucr": 30}))
    before = sim.events_scheduled
    sim.run(until=s(15))
    # 29.5 is first sampled at 9.5 s; after it, one look-ahead wake-up 3600 samples on, none before.
    assert sel_events(bmc) == [(9, 0x54, 0x01, 0x59, 30, 30)]
    sensor = bmc.sensors.get(0x54)
    assert sensor.wakeups_scheduled == 2 and sensor._wake_at == ms(9500) + 3600 * ms(250)
    assert sim.events_scheduled - before == 1 + IDLE_RUN_EVENTS


def test_discrete_states_assert_and_deassert():
    sim, bmc = bare_bmc()
    install_default_sensors(bmc)
    psu = bmc.sensors.get(0x30)
    psu.set_model(Piecewise([(0, 1), (s(5), 3), (s(8), 1)], "hold"))   # failure detected from 5 s to 8 s
    intrusion = bmc.sensors.get(0x40)
    intrusion.set_states(1, s(6))
    sim.run(until=s(10))
    assert sel_events(bmc) == [(5, 0x30, 0x6F, 0x01, 0xFF, 0xFF), (6, 0x40, 0x6F, 0x00, 0xFF, 0xFF),
                               (8, 0x30, 0xEF, 0x01, 0xFF, 0xFF)]
    assert bmc.chassis.intrusion and bmc.chassis.misc_state(sim.now) & 0x01
    assert psu.reading_bytes() == bytes((0x00, 0xC0, 0x01, 0x00))


def test_constant_sensors_schedule_nothing_and_idle_costs_nothing():
    sim, bmc = bare_bmc()
    install_default_sensors(bmc)
    before = sim.events_scheduled
    sim.run(until=s(3600))
    assert sim.events_scheduled - before == IDLE_RUN_EVENTS
    assert all(x.wakeups_scheduled == 0 for x in bmc.sensors)
    assert len(bmc.sel) == 0


def test_disabled_events_schedule_nothing_but_the_status_still_follows():
    sim, bmc = bare_bmc()
    sensor = bmc.sensors.add(ramp_sensor(events=False))
    sim.run(until=s(60))
    assert sensor.wakeups_scheduled == 0 and len(bmc.sel) == 0
    assert sensor.event_status(sim.now) == ((1 << 7) | (1 << 9), 0)
    # Re-enabling events does not replay the past; the next change (none here) would be sent.
    sensor.set_event_enable(True, True, 0, None, None, sim.now)
    assert sensor._wake_at is None


def test_rearm_makes_present_states_generate_events_again():
    """QEMU bug 14/19: there events fire once per offset for the BMC's lifetime and Re-arm clears the wrong
    thing; here every transition fires and a re-arm re-evaluates."""
    sim, bmc = bare_bmc()
    sensor = bmc.sensors.add(ramp_sensor(model=Constant(47)))
    assert sensor.event_status() == ((1 << 7) | (1 << 9), 0)     # the state at installation is the baseline
    assert len(bmc.sel) == 0
    sensor.rearm(t=s(1))
    assert [r[13] for r in bmc.sel.records()] == [0x57, 0x59]
    sensor.rearm(1 << 9, 0, t=s(2))                               # selective: only UCR going high
    assert [r[13] for r in bmc.sel.records()] == [0x57, 0x59, 0x59]


def test_event_receiver_ffh_stops_generation():
    sim, bmc = bare_bmc()
    sensor = bmc.sensors.add(ramp_sensor())
    bmc.sensors.set_receiver(0xFF, 0, 0)
    assert sensor._wake_at is None
    sim.run(until=s(60))
    assert len(bmc.sel) == 0
    bmc.sensors.set_receiver(0x20, 0, sim.now)
    sensor.set_model(Ramp(30, 0.3, at=s(70)))
    sim.run(until=s(200))
    # Back on: the new model starts below both thresholds (deassertions at 60 s), then crosses them again.
    assert [(r[3], r[12], r[13]) for r in bmc.sel.records()] == [(60, 0x81, 0x57), (60, 0x81, 0x59),
                                                               (101, 0x01, 0x57), (118, 0x01, 0x59)]


def test_thresholds_set_at_run_time_reschedule():
    sim, bmc = bare_bmc()
    sensor = bmc.sensors.add(ramp_sensor())
    sensor.set_thresholds(0b01000, bytes((0, 0, 0, 35, 0, 0)), s(2))       # UNC 40 -> 35
    assert sensor._wake_at == s(1) + math.ceil(Fraction(45, 10) / Fraction(3, 10) * S)
    with pytest.raises(Exception, match=r"threshold\(s\) lnc not settable"):
        sensor.set_thresholds(0b00001, bytes(6), s(2))


def test_determinism_same_seed_same_trace():
    def run():
        w = World("isa-ipmi-kcs", seed=3, trace=True)
        w.bmc.sensors.add(ramp_sensor())
        w.boot()
        w.host.si.set_need_watch(True)
        w.sim.run(until=s(60))
        return w.sim.tracer.digest(), len(w.host.ipmi.events)
    a, b = run(), run()
    assert a == b and a[1] == 2


def test_registry_rules_and_persisted_repository(tmp_path):
    sim = Simulation()
    bmc = Bmc(sim, state_dir=tmp_path)
    install_default_sensors(bmc)
    n = len(bmc.sdr)
    assert n == len(bmc.sensors) + 1                                  # + the BMC's device locator
    with pytest.raises(ValueError, match=r"sensor number 0x01 \(LUN 0\) is already installed"):
        bmc.sensors.add(ramp_sensor(), sdr=False) and bmc.sensors.add(ThresholdSensor(0x01, "Dup"))
    bmc.store.close()
    again = Bmc(Simulation(), state_dir=tmp_path)
    install_default_sensors(again)
    assert len(again.sdr) == n                                        # nothing added twice
    again.sensors.remove(0x01)
    assert len(again.sdr) == n - 1 and again.sensors.get(0x01) is None
    again.store.close()


def test_sensor_from_a_config_entry():
    from scenarios.config_sensors import Conversion, ModelSpec, SensorSpec

    spec = SensorSpec(number=0x60, name="Exhaust", sensor_type=0x01, units=1,
                      model=ModelSpec("ramp", start=25, slope=0.5, at=s(1)), conversion=Conversion(m=1),
                      thresholds={"upper_critical": 60}, hysteresis=(1, 1), path="sensors[0]")
    sensor = sensor_from_spec(spec)
    assert sensor.threshold_raw == {4: 60} and sensor.reading(s(11)) == 30
    bad = SensorSpec(number=0x61, name="Bad", sensor_type=0x08, units=0, reading_type=0x6F,
                     model=ModelSpec("ramp", start=0, slope=1), path="sensors[3]")
    with pytest.raises(ValueError, match=r"sensors\[3\]: sensor 'Bad': a discrete sensor's states need a "
                                         r"piecewise-constant model"):
        sensor_from_spec(bad)
    discrete = sensor_from_spec(SensorSpec(number=0x62, name="PSU", sensor_type=0x08, units=0, reading_type=0x6F,
                                           model=ModelSpec("constant", value=1), sdr="compact"))
    assert isinstance(discrete, DiscreteSensor) and discrete.states_at(0) == 1


_FUZZ_WORLD = {}


@settings(max_examples=400, deadline=None, derandomize=True)
@given(cmd=st.sampled_from([0x00, 0x01, 0x02, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x20, 0x21, 0x22, 0x23, 0x24,
                            0x25, 0x26, 0x27, 0x28, 0x29, 0x2A, 0x2B, 0x2D, 0x2E, 0x2F, 0x30]),
       sensor=st.sampled_from([0x00, 0x01, 0x02, 0x10, 0x20, 0x30, 0x40, 0x99]),
       data=st.binary(max_size=12), later=st.integers(1, s(5)))
def test_sensor_event_commands_never_fail_unexpectedly(cmd, sensor, data, later):
    """Whatever arrives, a Sensor/Event handler answers with a completion code, never a Python error."""
    w = _FUZZ_WORLD.get("w")
    if w is None:
        w = _FUZZ_WORLD["w"] = World("isa-ipmi-kcs")
        w.ipmid.raise_unexpected = True
        w.bmc.sensors.add(ramp_sensor(model=Ramp(30, 0.3, at=0)))
    rsp = w.ipmid.handle(bytes((0x10, cmd, sensor)) + data, t=w.sim.now)
    assert rsp[:2] == bytes((0x14, cmd)) and rsp[2] != 0xFF
    w.sim.run(until=w.sim.now + later)
