"""An independent reader agrees: python-ipmi (PyPI ``python-ipmi``), through ``IpmilabInterface``, reads the
default world over the simulated host's KCS driver and decodes what the configuration put there."""

from __future__ import annotations

import pytest

pyipmi = pytest.importorskip("pyipmi")

from bmc.ipmi.cmd import App  # noqa: E402
from bmc.ipmi.netfn import NetFn  # noqa: E402
from buses.time import s  # noqa: E402
from scenarios.config import default_doc  # noqa: E402
from scenarios.pyipmi_interface import IpmilabInterface  # noqa: E402
from scenarios.world import World  # noqa: E402
from vserver.userland import IpmiTool  # noqa: E402


def connect(world):
    iface = IpmilabInterface(world)
    ipmi = pyipmi.create_connection(iface)
    ipmi.target = pyipmi.Target(ipmb_address=0x20)
    ipmi.open()
    return ipmi, iface


@pytest.fixture
def default_world():
    return World.from_config(None)


def test_each_call_runs_the_simulation(default_world):
    ipmi, iface = connect(default_world)
    t0 = iface.simulated_time
    dev = ipmi.get_device_id()
    assert dev.device_id == 0x20 and dev.ipmi_version.major == 2 and dev.ipmi_version.minor == 0
    r = iface.results[-1]
    assert r.request == bytes((NetFn.APP << 2, App.GET_DEVICE_ID))
    assert r.raw.hex(" ").upper() == "1C 01 00 20 00 00 00 02 8F 00 00 00 00 00"   # the default identity
    assert t0 <= r.t_sent < r.t_done == iface.simulated_time
    assert ipmi.is_target_accessible()


def test_guid_and_chassis(default_world):
    ipmi, _ = connect(default_world)
    status = ipmi.get_chassis_status()
    assert status.power_on is True
    # python-ipmi prints the 16 bytes reversed, as the IPMI (SMBIOS) byte order asks: the configured UUID.
    assert ipmi.get_device_guid().device_guid_string == default_doc()["bmc"]["device_guid"]


def test_fru_strings_equal_the_configured_ones(default_world):
    ipmi, _ = connect(default_world)
    inv = ipmi.get_fru_inventory(0)
    fru = default_doc()["fru"]
    c, b, p = inv.chassis_info_area, inv.board_info_area, inv.product_info_area
    assert c.type == 0x17                                       # "rack mount chassis"
    assert str(c.part_number) == fru["chassis"]["part_number"]
    assert str(c.serial_number) == fru["chassis"]["serial_number"]
    for key in ("manufacturer", "product_name", "serial_number", "part_number"):
        assert str(getattr(b, key)) == fru["board"][key], key
    assert b.mfg_date.replace(tzinfo=None) == fru["board"]["mfg_date"].replace(tzinfo=None)
    for ours, theirs in (("manufacturer", "manufacturer"), ("product_name", "name"), ("part_number", "part_number"),
                         ("version", "version"), ("serial_number", "serial_number"), ("asset_tag", "asset_tag")):
        assert str(getattr(p, theirs)) == fru["product"][ours], ours


def test_sel_events_read_by_both_readers(default_world):
    """The BMC logs watchdog expiries; python-ipmi and the host's own ipmitool decode the same records."""
    world = default_world
    assert world.boot()
    # SMS/OS timer, action none, 1.0 s, not petted: it expires and logs Watchdog 2 "timer expired".
    for _ in range(2):
        assert world.request(NetFn.APP, App.SET_WATCHDOG_TIMER, bytes((0x04, 0x00, 0, 0, 10, 0))).cc == 0
        assert world.request(NetFn.APP, App.RESET_WATCHDOG_TIMER).cc == 0
        world.sim.run(until=world.sim.now + s(2))
    ipmi, _ = connect(world)
    entries = ipmi.get_sel_entries()
    assert len(entries) == 2 == ipmi.get_sel_entries_count()
    ours = world.sim.run_process(IpmiTool(world.host.ipmi).run(["sel", "list"]), limit=s(60)).data["entries"]
    for theirs, mine in zip(entries, ours, strict=True):
        assert theirs.record_id == mine["record_id"]
        assert theirs.type == 0x02
        assert theirs.sensor_type == 0x23 == mine["sensor_type"]
        assert theirs.sensor_number == mine["sensor_number"]
        assert theirs.event_direction == 0 and mine["direction"] == "Asserted"
        assert theirs.event_data[0] & 0x0F == 0 and mine["description"] == "Timer expired"   # ipmitool's words
        assert theirs.timestamp == mine["timestamp"]


UNIT_NAMES = {1: "degrees C", 4: "Volts", 18: "RPM"}
THRESHOLD_SHORT = {"lnr": "lnr", "lcr": "lcr", "lnc": "lnc", "unc": "unc", "ucr": "ucr", "unr": "unr"}


def configured_default_sensors():
    """What bmc.sensors.defaults configures: name -> (number, unit code, value, thresholds, discrete)."""
    from bmc.sensors.defaults import FAN_THRESHOLDS, FANS, RAILS, TEMPERATURES, default_sensors

    out = {}
    for number, name, _e, _i, value, th in TEMPERATURES:
        out[name] = (number, 1, value, th)
    for number, name, _e, _i, rpm in FANS:
        out[name] = (number, 18, rpm, FAN_THRESHOLDS)
    for number, name, _lin, volts, th in RAILS:
        out[name] = (number, 4, volts, th)
    discrete = {s.name: s.number for s in default_sensors() if s.name not in out}
    return out, discrete


def test_sdr_repository_and_readings_equal_the_configured_ones(default_world):
    ipmi, iface = connect(default_world)
    analog, discrete = configured_default_sensors()
    seen_analog, seen_discrete = set(), set()
    for rec in ipmi.sdr_repository_entries():
        kind = type(rec).__name__
        if kind == "SdrFullSensorRecord":
            number, unit, value, thresholds = analog[rec.device_id_string]
            assert rec.number == number and rec.units_2 == unit, rec.device_id_string
            raw, _states = ipmi.get_sensor_reading(rec.number)
            assert rec.convert_sensor_raw_to_value(raw) == pytest.approx(value, abs=1e-9), rec.device_id_string
            for key, want in thresholds.items():
                got = rec.convert_sensor_raw_to_value(rec.threshold[THRESHOLD_SHORT[key]])
                assert got == pytest.approx(want, abs=1e-9), (rec.device_id_string, key)
            # Get Sensor Thresholds agrees with the SDR.
            live = ipmi.get_sensor_thresholds(rec.number)
            for key, want in thresholds.items():
                assert rec.convert_sensor_raw_to_value(live[key]) == pytest.approx(want, abs=1e-9)
            seen_analog.add(rec.device_id_string)
        elif kind == "SdrCompactSensorRecord":
            assert discrete[rec.device_id_string] == rec.number
            raw, states = ipmi.get_sensor_reading(rec.number)
            assert raw is not None and states is not None
            seen_discrete.add(rec.device_id_string)
        elif kind == "SdrManagementControllerDeviceLocator":
            # python-ipmi gives the 7-bit form of the BMC's 8-bit IPMB address 20h.
            assert rec.device_id_string == "BMC" and rec.device_slave_address == 0x20 >> 1
    assert seen_analog == set(analog) and seen_discrete == set(discrete)
    # Every byte went through the host's driver: dozens of requests, each with its simulated time.
    assert len(iface.results) > 30 and all(r.t_done > r.t_sent for r in iface.results)


CONFIGURED = """
[[sensors]]
number = 0x50
name = "Exhaust Temp"
type = "temperature"
units = "degrees C"
model = { kind = "ramp", start = 30.0, slope = 0.5, at = "10 s", stop = 60.0 }
thresholds = { upper_non_critical = 50.0, upper_critical = 55.0 }
hysteresis = { positive = 1.0, negative = 1.0 }

[[sensors]]
number = 0x51
name = "VBAT"
type = "voltage"
units = "Volts"
conversion = { range = [0, 5.1], resolution = 0.02 }
model = { kind = "step", before = 3.02, after = 2.5, at = "20 s" }
thresholds = { lower_critical = 2.6, lower_non_critical = 2.8 }

[[sensors]]
number = 0x52
name = "Pump"
type = "fan"
units = "RPM"
conversion = { m = 50 }
model = { kind = "piecewise", points = [["0 s", 1000.0], ["30 s", 2500.0]], interpolate = "linear" }

[[sensors]]
number = 0x53
name = "Lid"
type = "physical security"
sdr = "compact"
reading_type = "sensor_specific"
model = { kind = "step", before = 0, after = 1, at = "15 s" }
"""


def test_configured_sensors_read_back_over_time(tmp_path):
    file = tmp_path / "w.toml"
    file.write_text(CONFIGURED)
    world = World.from_config(file)
    ipmi, _ = connect(world)
    records = {r.device_id_string: r for r in ipmi.sdr_repository_entries() if hasattr(r, "number")}
    assert set(records) == {"Exhaust Temp", "VBAT", "Pump", "Lid"}
    assert (records["Exhaust Temp"].units_2, records["VBAT"].units_2, records["Pump"].units_2) == (1, 4, 18)

    def value(name):
        rec = records[name]
        raw, _ = ipmi.get_sensor_reading(rec.number)
        return rec.convert_sensor_raw_to_value(raw)

    def at(t_s):
        world.sim.run(until=s(t_s))

    at(5)
    assert value("Exhaust Temp") == pytest.approx(30.0)
    assert value("VBAT") == pytest.approx(3.02)
    assert value("Pump") == pytest.approx(1250.0)       # 1000 + 1500 * 5/30, on the 50 RPM grid
    assert ipmi.get_sensor_reading(0x53)[1] & 0x01 == 0
    at(30)
    assert value("Exhaust Temp") == pytest.approx(40.0)  # 30 + 0.5/s * 20 s
    assert value("VBAT") == pytest.approx(2.5)
    assert value("Pump") == pytest.approx(2500.0)
    assert ipmi.get_sensor_reading(0x53)[1] & 0x01 == 1
    at(100)
    assert value("Exhaust Temp") == pytest.approx(60.0)  # held at stop


def test_interface_builds_its_world_from_a_config():
    iface = IpmilabInterface(config={"preset": "ast2600", "bmc": {"product_id": 0x4242}})
    ipmi = pyipmi.create_connection(iface)
    ipmi.target = pyipmi.Target(ipmb_address=0x20)
    with ipmi:
        assert ipmi.get_device_id().product_id == 0x4242
    assert iface.world.preset.name == "ast2600"
    assert iface.results[-1].elapsed > 1_000_000      # full-stack firmware: milliseconds per request
    with pytest.raises(RuntimeError, match="bridging"):
        iface.send_and_receive_raw(pyipmi.Target(ipmb_address=0x72), 0, 6, b"\x01")
