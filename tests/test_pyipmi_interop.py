"""An independent reader agrees: python-ipmi (PyPI ``python-ipmi``), through ``IpmilabInterface``, reads the
default world over the simulated host's KCS driver and decodes what the configuration put there."""

from __future__ import annotations

import pytest

pyipmi = pytest.importorskip("pyipmi")

from bmc.ipmi.cmd import App  # noqa: E402
from bmc.ipmi.netfn import NetFn  # noqa: E402
from buses.time import s  # noqa: E402
from scenarios.config import build_world, default_doc  # noqa: E402
from scenarios.pyipmi_interface import IpmilabInterface  # noqa: E402
from vserver.userland import IpmiTool  # noqa: E402


def connect(world):
    iface = IpmilabInterface(world)
    ipmi = pyipmi.create_connection(iface)
    ipmi.target = pyipmi.Target(ipmb_address=0x20)
    ipmi.open()
    return ipmi, iface


@pytest.fixture
def default_world():
    return build_world(None)


def test_each_call_runs_the_simulation(default_world):
    ipmi, iface = connect(default_world)
    t0 = iface.simulated_time
    dev = ipmi.get_device_id()
    assert dev.device_id == 0x20 and dev.ipmi_version.major == 2 and dev.ipmi_version.minor == 0
    r = iface.results[-1]
    assert r.request == bytes((NetFn.APP << 2, App.GET_DEVICE_ID))
    assert r.raw.hex(" ").upper() == "1C 01 00 20 00 00 00 02 07 00 00 00 00 00"   # QEMU's bytes
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
        assert theirs.event_data[0] & 0x0F == 0 and mine["description"] == "Timer expired, status only"
        assert theirs.timestamp == mine["timestamp"]
