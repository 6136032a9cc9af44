"""ipmitool 1.8.19's exact formats, pinned fast: its printf formats and helpers, and the default world's output
as the real ipmitool printed it (tests/golden, captured in the QEMU guest; the slow test_ipmitool_fidelity.py
compares every command live)."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest

from bmc.ipmi.cmd import SensorEvent
from bmc.ipmi.netfn import NetFn
from buses.time import s
from scenarios.world import World
from vserver.userland import IpmiTool
from vserver.userland.cfmt import (
    event_description,
    timestamp_date,
    timestamp_numeric,
    timestamp_string,
    timestamp_time,
    unit_string,
)
from vserver.userland.cmd_chassis import boot_flags_text
from vserver.userland.cmd_fru import fru_area_str
from vserver.userland.cmd_mc import parse_guid
from vserver.userland.iana import manufacturer_name, product_name
from vserver.userland.parse import bootdev_flags

GOLDEN = json.loads((Path(__file__).parent / "golden" / "ipmitool-default-world.json").read_text())["stdout"]


@pytest.fixture(scope="module")
def world():
    w = World.from_config(None, use_irq=True)
    assert w.boot()
    yield w
    w.bmc.store.close()


def run(world, cmd: str):
    return world.sim.run_process(IpmiTool(world.host.ipmi).run(shlex.split(cmd)), limit=s(600))


@pytest.mark.parametrize("cmd", sorted(GOLDEN))
def test_default_world_prints_what_the_real_ipmitool_printed(world, cmd):
    out = run(world, cmd)
    assert out.text() == GOLDEN[cmd] and out.exit_code == 0


# -- ipmi_time.c ---------------------------------------------------------------------------------------


def test_timestamps_as_ipmitool_formats_them():
    t = 1_796_657_421          # 2026-12-07 15:30:21 UTC
    assert timestamp_numeric(t) == "12/07/26 15:30:21 UTC"          # %x %X %Z
    assert (timestamp_date(t), timestamp_time(t)) == ("12/07/26", "15:30:21 UTC")
    assert timestamp_string(1_705_307_400) == "Mon Jan 15 08:30:00 2024 UTC"    # %c %Z
    assert timestamp_string(0xFFFFFFFF) == timestamp_numeric(0xFFFFFFFF) == "Unspecified"
    assert timestamp_numeric(90) == "S+ 00:01:30"                   # since the BMC started, under a day
    assert timestamp_date(90) == "S+ 70/001"


# -- names -----------------------------------------------------------------------------------------------


def test_units_and_event_texts_keep_ipmitools_spelling():
    assert unit_string(False, 0, 1, 0) == "degrees C" and unit_string(True, 0, 0, 0) == "percent"
    assert unit_string(False, 1, 18, 22) == "RPM/second" and unit_string(True, 0, 4, 0) == "% Volts"
    # ipmitool's generic_event_types[] has a trailing space on every "going low" text.
    assert event_description(0x01, 0x01, bytes((0x00, 0xFF, 0xFF))) == "Lower Non-critical going low "
    assert event_description(0x01, 0x01, bytes((0x09, 0xFF, 0xFF))) == "Upper Critical going high"
    assert event_description(0x08, 0x6F, bytes((0x00, 0xFF, 0xFF))) == "Presence detected"


def test_manufacturer_and_product_names():
    assert manufacturer_name(0) == "Unknown" and manufacturer_name(0x0FFFFF) == "Unspecified"
    assert product_name(0, 0) == "Unknown (0x00)" and product_name(0xFFFFFE, 0x1234) == "Great Debuggable BMC"
    if Path("/usr/share/misc/enterprise-numbers.txt").exists():
        assert manufacturer_name(343) == "Intel Corporation"


# -- decoders ------------------------------------------------------------------------------------------------


def test_fru_field_types_as_get_fru_area_str_reads_them():
    assert fru_area_str(bytes((0xC3,)) + b"abc", 0) == ("abc", 4)                       # 8-bit ASCII
    assert fru_area_str(bytes((0x42, 0x12, 0x3D)), 0) == ("123:", 3)                     # BCD plus
    assert fru_area_str(bytes((0x02, 0xAB, 0xCD)), 0) == ("abcd", 3)                     # binary: hex
    # 6-bit ASCII, 3 bytes -> 4 characters, no trimming: "IPMI".
    packed = int.from_bytes(bytes((0x29, 0xDC, 0xA6)), "little")
    assert fru_area_str(bytes((0x83,)) + packed.to_bytes(3, "little"), 0)[0] == "IPMI"
    assert fru_area_str(bytes((0xC0,)), 0) == (None, 1)                                   # empty


def test_guid_encoding_is_found_from_the_version_nibble():
    ipmi = bytes.fromhex("0200e0fe0f0c559e7a4c1e6bd0f1c3a2")       # the default world's GUID, LSB first
    g = parse_guid(ipmi)
    assert g["text"] == "a2c3f1d0-6b1e-4c7a-9e55-0c0ffee00002" and g["mode"] == 1 and g["version"] == 4
    assert parse_guid(bytes(16)) is None                           # no valid version: ipmitool dumps it


def test_boot_flags_and_bootdev_options():
    flags, errors = bootdev_flags("persistent,efiboot")
    assert flags == bytes((0x60, 0, 0, 0, 0)) and errors == []
    flags, errors = bootdev_flags("persistent,usb")
    assert flags is None and errors[:2] == ["Invalid option: usb", "Legal options settings are:"]
    assert errors[2] == "  help                  : print this message"
    text = boot_flags_text(bytes((0xE0, 0x88, 0x00, 0x00, 0x00)))
    assert text.splitlines()[:6] == [" Boot Flags :", "   - Boot Flag Valid", "   - Options apply to all future boots",
                                     "   - BIOS EFI boot ", "   - CMOS Clear",
                                     "   - Boot Device Selector : Force Boot from default Hard-Drive"]


# -- whole commands on the simulated host ---------------------------------------------------------------------


def test_raw_prints_sixteen_bytes_a_line(world):
    # Get Device GUID's 16 bytes plus nothing else: one full line; ipmitool breaks before the 17th byte.
    out = run(world, "raw 0x06 0x08")
    assert out.text() == " 01 00 e0 fe 0f 0c 55 9e 7a 4c 1e 6b d0 f1 c3 a2\n"
    out = run(world, "raw 0x0a 0x23 0x00 0x00 0x00 0x00 0x00 0x10")     # Get SDR: 2 + 16 data bytes
    assert [len(line.split()) for line in out.text().splitlines()] == [16, 2]


def test_requests_follow_ipmitool(world):
    out = run(world, "sdr list compact")
    reqs = [r.request[:2].hex() for r in out.exchanges]
    # open (Get Device ID, PICMG, VITA), ipmi_sdr_start (Get Device ID, SDR info, reserve), then per record:
    # the header, the body in chunks of at most 33 bytes, and a reading for each record printed.
    assert reqs[:6] == ["1801", "b000", "b000", "1801", "2820", "2822"]
    assert reqs.count("102d") == 4 and reqs[-1] == "102d"
    assert all(r.request[7] <= 33 for r in out.exchanges if r.request[:2].hex() == "2823")


def test_sensor_get_and_missing_names(world):
    out = run(world, "sensor get FAN1 Nope")
    assert out.text().startswith("Locating sensor record...\nSensor ID              : FAN1 (0x10)\n")
    assert out.error_text() == 'Sensor data record "Nope" not found!\n' and out.exit_code == 1


def test_sel_get_of_a_missing_entry(world):
    out = run(world, "sel get 7")
    assert out.text() == "" and out.exit_code == 1
    assert out.error_text() == "Get SEL Entry 7 command failed: Requested sensor, data, or record not found\n"


def test_bootdev_then_bootparam_in_one_world(world):
    assert run(world, "chassis bootdev disk options=persistent,efiboot").text() == "Set Boot Device to disk\n"
    lines = run(world, "chassis bootparam get 5").text().splitlines()
    assert lines[2] == "Boot parameter data: e008000000" and "   - Options apply to all future boots" in lines
    assert run(world, "chassis bootdev bogus").error_text() == "Invalid argument: bogus\n"


def test_a_queued_event_answers_the_next_runs_first_request():
    """open.c: an event waiting for this user has msgid 0, like the run's first request, so it is taken as
    that answer; the real answer is dropped at the next request with ipmitool's notice."""
    w = World.from_config(None, use_irq=True)
    try:
        assert w.boot()
        event = bytes((0x41, 0x04, 0x01, 0x30, 0x01, 0x09, 0xFF, 0xFF))    # what "ipmitool event 1" sends
        assert w.request(NetFn.SENSOR_EVENT, SensorEvent.PLATFORM_EVENT, event).cc == 0
        w.sim.run(until=w.sim.now + s(1))
        assert w.host.ipmi.waiting_events, "the event should wait in the kernel's queue"
        out = run(w, "mc selftest")
        assert out.text() == "Selftest: passed\n"
        assert out.error_text() == "Received a response with unexpected ID 0 vs. 1\n"
        assert run(w, "mc selftest").error_text() == ""        # delivered once
    finally:
        w.bmc.store.close()


def test_plain_text_has_no_width_limit(capsys, monkeypatch):
    from scenarios.cli import main

    monkeypatch.setenv("COLUMNS", "80")
    assert main(["run", "--", "sensor", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert max(len(line) for line in lines) > 120 and lines[0].endswith("| 50.000    ")


@pytest.mark.parametrize("preset", ["isa-ipmi-bt", "smbus-ipmi", "ast2600", "npcm7xx"])
def test_every_interface_prints_the_same(capsys, preset):
    """The bytes ipmitool prints do not depend on the interface below /dev/ipmi0 (KCS, BT, SSIF, full stack)."""
    from scenarios.cli import main

    assert main(["run", "--preset", preset, "--", "sdr", "list"]) == 0
    assert capsys.readouterr().out == GOLDEN["sdr list"]
