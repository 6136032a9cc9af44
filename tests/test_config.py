"""World configuration files: broken ones are refused with the field path and the value, and nothing is
half-applied; a good one builds the world it describes (read back through the host, over IPMI)."""

from __future__ import annotations

import textwrap

import pytest

from buses.time import ms, s, us
from scenarios import config as C
from scenarios import world as world_module
from scenarios.config import ConfigError, load_config, parse_duration
from scenarios.world import World

SENSOR = """
[[sensors]]
number = 0x01
name = "Inlet Temp"
type = "temperature"
units = "degrees C"
model = { kind = "constant", value = 24.0 }
thresholds = { upper_non_critical = 40.0, upper_critical = 45.0 }
"""

# An event-only SDR (type 03h) for sensor 01h "SYS": system event, sensor-specific.
EVENT_ONLY_01 = "000051030F" + "200001070112" + "6F000000" + "00" + "C3535953"
EVENT_ONLY_70 = EVENT_ONLY_01[:14] + "70" + EVENT_ONLY_01[16:]

# (id, TOML text, field path, bad value): each is one broken file.
BROKEN = [
    ("unknown-top-key", 'colour = "red"', "colour", "red"),
    ("unknown-preset", 'preset = "nope"', "preset", "nope"),
    ("seed-wrong-type", 'seed = "seven"', "seed", "seven"),
    ("use-irq-not-bool", "use_irq = 1", "use_irq", 1),
    ("device-id-range", "[bmc]\ndevice_id = 300", "bmc.device_id", 300),
    ("manufacturer-negative", "[bmc]\nmanufacturer_id = -1", "bmc.manufacturer_id", -1),
    ("guid-not-uuid", '[bmc]\nsystem_guid = "not-a-guid"', "bmc.system_guid", "not-a-guid"),
    ("slave-address-odd", "[bmc]\nslave_address = 0x21", "bmc.slave_address", 0x21),
    ("bmc-unknown-key", '[bmc]\nvendor = "acme"', "bmc.vendor", "acme"),
    ("ipmi-version", '[bmc]\nipmi_version = "3.0"', "bmc.ipmi_version", "3.0"),
    ("duplicate-sensor-number", SENSOR + SENSOR.replace("Inlet Temp", "Outlet Temp"), "sensors[1].number", 1),
    ("duplicate-sensor-name", SENSOR + SENSOR.replace("0x01", "0x02"), "sensors[1].name", "Inlet Temp"),
    ("threshold-wrong-type", SENSOR.replace("upper_critical = 45.0", 'upper_critical = "hot"'),
     "sensors[0].thresholds.upper_critical", "hot"),
    ("bad-unit-name", SENSOR.replace('"degrees C"', '"furlongs"'), "sensors[0].units", "furlongs"),
    ("bad-sensor-type", SENSOR.replace('"temperature"', '"flux capacitor"'), "sensors[0].type", "flux capacitor"),
    ("sensor-number-range", SENSOR.replace("0x01", "0xFF"), "sensors[0].number", 0xFF),
    ("sensor-name-too-long", SENSOR.replace("Inlet Temp", "Inlet Temperature Sensor"), "sensors[0].name",
     "Inlet Temperature Sensor"),
    ("sensor-unknown-key", SENSOR + 'colour = "red"\n', "sensors[0].colour", "red"),
    ("model-kind", SENSOR.replace('kind = "constant", value = 24.0', 'kind = "sine", value = 24.0'),
     "sensors[0].model.kind", "sine"),
    ("duration-bad-unit", SENSOR.replace('kind = "constant", value = 24.0',
                                         'kind = "step", before = 24.0, after = 30.0, at = "10 parsecs"'),
     "sensors[0].model.at", "10 parsecs"),
    ("duration-without-unit", SENSOR.replace('kind = "constant", value = 24.0',
                                             'kind = "ramp", start = 24.0, slope = 0.5, at = 10'),
     "sensors[0].model.at", 10),
    ("thresholds-out-of-order", SENSOR.replace("upper_critical = 45.0", "upper_critical = 35.0"),
     "sensors[0].thresholds.upper_critical", 35.0),
    ("threshold-not-representable", SENSOR.replace("upper_critical = 45.0", "upper_critical = 300.0"),
     "sensors[0].thresholds.upper_critical", 300.0),
    ("model-value-not-representable", SENSOR.replace("value = 24.0", "value = -40.0"),
     "sensors[0].model", -40.0),
    ("conversion-range-too-wide", SENSOR + "conversion = { range = [0, 1000], resolution = 0.5 }\n",
     "sensors[0].conversion", {"range": [0, 1000], "resolution": 0.5}),
    ("conversion-range-and-factors", SENSOR + "conversion = { range = [0, 100], m = 2 }\n",
     "sensors[0].conversion.m", 2),
    ("conversion-m-zero", SENSOR + "conversion = { m = 0 }\n", "sensors[0].conversion.m", 0),
    ("compact-with-thresholds", SENSOR.replace('name = "Inlet Temp"', 'name = "Inlet Temp"\nsdr = "compact"'),
     "sensors[0].thresholds", {"upper_non_critical": 40.0, "upper_critical": 45.0}),
    ("ramp-stop-never-reached", SENSOR.replace('kind = "constant", value = 24.0',
                                              'kind = "ramp", start = 24.0, slope = -0.5, stop = 30.0'),
     "sensors[0].model", {"kind": "ramp", "start": 24.0, "slope": -0.5, "stop": 30.0}),
    ("python-model-period-zero", SENSOR.replace('kind = "constant", value = 24.0',
                                                'kind = "python", function = "math:sin", period = "0 s"'),
     "sensors[0].model.period", "0 s"),
    ("python-model-missing-module", SENSOR.replace('kind = "constant", value = 24.0',
                                                   'kind = "python", function = "no_such_module_xyz:f"'),
     "sensors[0].model.function", "no_such_module_xyz:f"),
    ("piecewise-times-decrease", SENSOR.replace('kind = "constant", value = 24.0',
                                                'kind = "piecewise", points = [["2 s", 24.0], ["1 s", 25.0]]'),
     "sensors[0].model.points[1].time", "1 s"),
    ("piecewise-file-missing", SENSOR.replace('kind = "constant", value = 24.0',
                                              'kind = "piecewise", file = "no-such-trace.csv"'),
     "sensors[0].model.file", "no-such-trace.csv"),
    ("duplicate-user-id", '[[users]]\nid = 2\nname = "a"\n[[users]]\nid = 2\nname = "b"', "users[1].id", 2),
    ("user-privilege", '[[users]]\nid = 3\nname = "op"\nprivilege = "god"', "users[0].privilege", "god"),
    ("user-password-too-long", '[[users]]\nid = 3\nname = "op"\npassword = "' + "x" * 21 + '"',
     "users[0].password", "x" * 21),
    ("daemon-latency-on-ideal", '[timing]\nfirmware_daemon_latency = "2ms"', "timing.firmware_daemon_latency",
     "2ms"),
    ("host-hz-not-dividing", "[timing]\nhost_hz = 7", "timing.host_hz", 7),
    ("fractional-nanoseconds", '[timing]\nhost_irq_latency = "1.5 ns"', "timing.host_irq_latency", "1.5 ns"),
    ("negative-duration", '[timing]\nos_boot = "-1 s"', "timing.os_boot", "-1 s"),
    ("fru-field-too-long", '[fru.board]\nmanufacturer = "' + "M" * 70 + '"', "fru.board.manufacturer", "M" * 70),
    ("fru-chassis-type", '[fru.chassis]\ntype = "spaceship"', "fru.chassis.type", "spaceship"),
    ("fru-mfg-date-type", '[fru.board]\nmfg_date = "yesterday"', "fru.board.mfg_date", "yesterday"),
    ("fru-areas-too-big", '[fru]\nsize = 16\n[fru.product]\nmanufacturer = "ipmilab"', "fru.size", 16),
    ("sdr-record-for-a-configured-sensor", SENSOR + '[sdr]\nrecords = ["' + EVENT_ONLY_01 + '"]',
     "sdr.records[0]", EVENT_ONLY_01.lower()),
    ("sdr-record-not-hex", '[sdr]\nrecords = ["zz"]', "sdr.records[0]", "zz"),
    ("sdr-record-truncated", '[sdr]\nrecords = ["0100510233"]', "sdr.records[0]", "0100510233"),
]


@pytest.fixture
def no_world(monkeypatch):
    """Count World constructions: a refused config must build nothing."""
    built = []
    real = world_module.World.__init__

    def counting(self, *a, **kw):
        built.append(self)
        real(self, *a, **kw)

    monkeypatch.setattr(world_module.World, "__init__", counting)
    return built


def write(tmp_path, body: str):
    state = tmp_path / "state"
    path = tmp_path / "world.toml"
    path.write_text(f'state_dir = "{state}"\n' + textwrap.dedent(body))
    return path, state


def test_at_least_twenty_broken_configs():
    assert len(BROKEN) >= 20


@pytest.mark.parametrize(("body", "path", "value"), [b[1:] for b in BROKEN], ids=[b[0] for b in BROKEN])
def test_broken_config_names_path_and_value(tmp_path, no_world, body, path, value):
    file, state = write(tmp_path, body)
    with pytest.raises(ConfigError) as exc:
        World.from_config(file)
    err = exc.value
    paths = [p for p, _, _ in err.problems]
    assert path in paths, f"{path} not among {paths}: {err}"
    assert f"{path}: " in str(err) and repr(value) in str(err)
    assert str(file) in str(err)                  # which file
    # Nothing half-applied: no world was built, the state directory was not created.
    assert no_world == []
    assert not state.exists()


def test_every_problem_at_once(tmp_path):
    file, _ = write(tmp_path, 'preset = "nope"\nseed = -1\n[bmc]\ndevice_id = 999\n')
    with pytest.raises(ConfigError) as exc:
        load_config(file)
    assert [p for p, _, _ in exc.value.problems] == ["preset", "seed", "bmc.device_id"]
    assert "3 problems" in str(exc.value)


def test_not_toml(tmp_path):
    file = tmp_path / "w.toml"
    file.write_text("this is = = not toml")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(file)


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="cannot read it"):
        load_config(tmp_path / "absent.toml")


def test_state_dir_that_is_a_file(tmp_path):
    f = tmp_path / "plain"
    f.write_text("")
    with pytest.raises(ConfigError, match="state_dir: exists and is not a directory"):
        load_config({"state_dir": str(f)})


@pytest.mark.parametrize(("text", "ns"), [
    ("10ms", ms(10)), ("2.5 s", s(2.5)), ("100 us", us(100)), ("250ns", 250), ("1 min", s(60)), ("0", None),
    ("1.5 ns", None), ("3 furlongs", None), ("", None), ("0.000000001 s", 1), ("2 h", s(7200)),
])
def test_durations_parse_exactly(text, ns):
    if ns is None:
        with pytest.raises(ValueError):
            parse_duration(text)
    else:
        assert parse_duration(text) == ns


GOOD = """
preset = "ast2600"
seed = 7
use_irq = true

[bmc]
device_id = 0x21
device_revision = 3
firmware_major = 2
firmware_minor = 0x15
manufacturer_id = 0x002A7C
product_id = 0x0B0B
system_guid = "01234567-89ab-cdef-0123-456789abcdef"
device_guid = "fedcba98-7654-3210-fedc-ba9876543210"
aux_firmware_revision = [1, 2, 3, 4]

[timing]
firmware_daemon_latency = "1.5 ms"
host_hz = 1000
host_irq_latency = "3 us"
power_cycle_interval = "2 s"
command_cost_scale = 2.0

[fru]
size = 512
[fru.chassis]
type = "rack mount chassis"
serial_number = "CH-42"
[fru.board]
manufacturer = "Acme"
product_name = "Roadrunner Board"
mfg_date = 2020-02-29T12:00:00Z
[fru.product]
manufacturer = "Acme"
product_name = "Coyote 1U"
asset_tag = "ASSET-7"

[[sensors]]
number = 0x60
name = "Rail 1V8"
type = "voltage"
units = "Volts"
conversion = { range = [0, 2.55], resolution = 0.01 }
model = { kind = "constant", value = 1.8 }
thresholds = { lower_critical = 1.62, upper_critical = 1.98 }
hysteresis = { positive = 0.02, negative = 0.02 }

[[sensors]]
number = 0x61
name = "Door"
type = "physical security"
sdr = "compact"
reading_type = "sensor_specific"
model = { kind = "constant", value = 1 }

[[users]]
id = 2
name = "admin"
password = "secret"
privilege = "administrator"
[[users]]
id = 3
name = "viewer"
password = "view"
privilege = "user"
enabled = false
"""


def run_tool(world, *words):
    from vserver.userland import IpmiTool

    return world.sim.run_process(IpmiTool(world.host.ipmi).run(list(words)), limit=s(60))


def test_good_config_round_trip(tmp_path):
    file = tmp_path / "world.toml"
    file.write_text(GOOD)
    world = World.from_config(file)
    assert world.preset.name == "ast2600" and world.sim.seed == 7 and world.use_irq
    assert world.channel.timing.daemon_latency == us(1500)
    assert world.si_config.hz == 1000 and world.host.cpu.irq_latency == us(3)
    assert world.host.timing.power_cycle_interval == s(2)
    assert world.ipmid.cost_scale == 2.0
    assert world.boot()

    info = run_tool(world, "mc", "info").data
    assert info["device_id"] == 0x21 and info["device_revision"] == 3
    assert (info["firmware_major"], info["firmware_minor"]) == (2, 0x15)
    assert info["manufacturer_id"] == 0x002A7C and info["product_id"] == 0x0B0B
    assert info["aux_firmware_revision"] == "01020304"
    guid = run_tool(world, "mc", "guid").data
    assert guid["ipmi_guid"] == "01234567-89ab-cdef-0123-456789abcdef"
    # This GUID's version nibble is invalid read LSB first, valid (2) read as RFC 4122: ipmitool says so.
    assert guid["encoding"] == "RFC4122" and guid["system_guid"] == "efcdab89-6745-2301-efcd-ab8967452301"

    fru = run_tool(world, "fru", "print").data
    assert fru["size"] == 512
    assert fru["chassis"]["type_name"] == "Rack Mount Chassis" and fru["chassis"]["serial_number"] == "CH-42"
    assert fru["board"]["manufacturer"] == "Acme" and fru["board"]["product_name"] == "Roadrunner Board"
    assert fru["board"]["mfg_date"] == "2020-02-29T12:00:00+00:00"
    assert fru["product"]["product_name"] == "Coyote 1U" and fru["product"]["asset_tag"] == "ASSET-7"

    sensors = {x["name"]: x for x in run_tool(world, "sensor", "list").data["sensors"]}
    assert set(sensors) == {"Rail 1V8", "Door"}
    assert sensors["Rail 1V8"]["value"] == pytest.approx(1.8) and sensors["Rail 1V8"]["units"] == "Volts"
    assert sensors["Rail 1V8"]["thresholds"] == pytest.approx({"lcr": 1.62, "ucr": 1.98})
    assert sensors["Door"]["states"] & 1 == 1
    # "sdr list all" shows the MC locator too; a bare "sdr list" only full and compact sensors (as ipmitool).
    assert [r[0] for r in run_tool(world, "sdr", "list", "all").rows] == ["BMC", "Rail 1V8", "Door"]

    # Users as Get User Name / Get User Access report them (App 0x46 / 0x44).
    r = world.request(0x06, 0x46, b"\x02")
    assert r.cc == 0 and r.data.rstrip(b"\x00") == b"admin"
    r = world.request(0x06, 0x46, b"\x03")
    assert r.cc == 0 and r.data.rstrip(b"\x00") == b"viewer"
    users = world.bmc.users
    assert users.get(3).enabled is False and users.check_password(2, b"secret".ljust(16, b"\x00"))


def test_same_config_same_trace(tmp_path):
    file = tmp_path / "world.toml"
    file.write_text(GOOD)
    digests = []
    for _ in range(2):
        w = World.from_config(file, trace=True)
        w.boot()
        run_tool(w, "mc", "info")
        digests.append(w.sim.tracer.digest())
    assert digests[0] == digests[1]


def test_dict_and_text_configs():
    cfg = load_config({"preset": "isa-ipmi-kcs", "seed": 3})
    assert cfg.seed == 3
    assert load_config("seed = 4\n").seed == 4
    assert load_config(cfg) is cfg


def test_default_server_without_config():
    world = World.from_config(None)
    assert world.config.source == "default server"
    world.boot()
    fru = run_tool(world, "fru", "print").data
    assert fru["product"]["manufacturer"] == "ipmilab"
    assert run_tool(world, "mc", "guid").data["system_guid"] == C.DEFAULT_DOC["bmc"]["system_guid"]


def test_overrides_win(tmp_path):
    file = tmp_path / "world.toml"
    file.write_text(GOOD)
    world = World.from_config(file, preset="ast2600", seed=11)
    assert world.sim.seed == 11


def test_state_dir_keeps_what_the_bmc_wrote(tmp_path):
    """A persisted FRU and SDR repository are the BMC's flash: a restart with another config keeps them."""
    doc = {"state_dir": str(tmp_path / "st"), "fru": {"product": {"manufacturer": "First"}},
           "sensors": [{"number": 1, "name": "T1", "type": "temperature", "units": "C",
                        "model": {"kind": "constant", "value": 20}}]}
    w = World.from_config(doc)
    assert w.boot()
    assert w.request(0x0A, 0x12, bytes((0, 0xF0, 0x01)) + b"written").cc == 0    # Write FRU Data at 1F0h
    image, records = w.bmc.fru[0].data, w.bmc.sdr.records()
    w.bmc.store.close()
    w2 = World.from_config(dict(doc, fru={"product": {"manufacturer": "Second"}}))
    assert w2.bmc.fru[0].data == image and image[0x1F0:0x1F7] == b"written"
    assert w2.bmc.sdr.records() == records           # the same sensor again: no duplicate record
    w2.bmc.store.close()


def test_extra_sdr_records_once(tmp_path):
    doc = {"state_dir": str(tmp_path / "st"), "sdr": {"records": [EVENT_ONLY_70]}}
    for _ in range(2):   # a restart on the same state directory adds nothing twice
        w = World.from_config(doc)
        w.boot()
        rows = {r[0]: r[1:] for r in run_tool(w, "sdr", "list", "event").rows}
        assert rows["SYS"] == ["Event-Only", "ns"]
        assert sum(1 for r in w.bmc.sdr.records() if r[3] == 0x03) == 1
        w.bmc.store.close()


def test_qemu_sdrfile_and_frudatafile(tmp_path):
    from bmc import fru as F

    image = F.FruInventory(product=F.ProductInfo(manufacturer="QEMU", product_name="ipmi-bmc-sim")).encode()
    (tmp_path / "fru.bin").write_bytes(image + bytes(256 - len(image)) + bytes(256))   # FRU ids 0 and 1
    (tmp_path / "sdr.bin").write_bytes(bytes.fromhex(EVENT_ONLY_70))
    file = tmp_path / "w.toml"
    file.write_text('[fru]\nfile = "fru.bin"\narea_size = 256\n[sdr]\nfile = "sdr.bin"\n')
    w = World.from_config(file)
    assert sorted(w.bmc.fru) == [0, 1] and w.bmc.fru[0].size == 256
    w.boot()
    assert run_tool(w, "fru", "print").data["product"]["product_name"] == "ipmi-bmc-sim"
    assert "SYS" in [r[0] for r in run_tool(w, "sdr", "list", "all").rows]
