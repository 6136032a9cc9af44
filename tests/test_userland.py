"""The host's ipmitool-like userland: decoders on golden bytes, command parsing, and commands end to end."""

from __future__ import annotations

import datetime as dt

import pytest

from bmc import fru as bmc_fru
from buses.time import s
from scenarios.scenario import boot
from scenarios.world import World
from vserver.userland import IpmiTool, ToolError, parse_command
from vserver.userland.fru import decode_fru
from vserver.userland.sdr import CompactSensor, FullSensor, decode_id_string, decode_sdr
from vserver.userland.sel import SelInfo, decode_sel_entry


def full_sdr(record_id=1, number=0x10, name=b"12V", m=6, b=0, r_exp=-2, b_exp=0, units1=0x00, base_unit=4,
             thresholds=(0, 0, 0, 0, 0, 0), mask=0x3F3F, reading_type=0x01, linearization=0):
    """A full sensor record built field by field from IPMI 2.0 Table 43-1."""
    m10, b10 = m & 0x3FF, b & 0x3FF
    body = bytes((
        0x20, 0x00, number,                     # owner, LUN, number
        0x07, 0x01, 0x7F, 0x68, 0x02, reading_type,
        0x00, 0x00, 0x00, 0x00, mask & 0xFF, mask >> 8,
        units1, base_unit, 0x00, linearization,
        m10 & 0xFF, (m10 >> 8) << 6, b10 & 0xFF, (b10 >> 8) << 6, 0x00,
        (r_exp & 0x0F) << 4 | (b_exp & 0x0F), 0x00, 0, 0, 0, 0xFF, 0x00,
        *thresholds,                            # UNR, UCR, UNC, LNR, LCR, LNC
        2, 3, 0, 0, 0, 0xC0 | len(name),
    )) + name
    return bytes((record_id & 0xFF, record_id >> 8, 0x51, 0x01, len(body))) + body


def test_full_sdr_decodes_and_converts():
    rec = decode_sdr(full_sdr(thresholds=(230, 220, 210, 170, 180, 190)))
    assert isinstance(rec, FullSensor)
    assert rec.record_id == 1 and rec.number == 0x10 and rec.name == "12V"
    assert rec.sensor_type_name == "Voltage" and rec.units == "Volts" and rec.is_threshold
    assert (rec.m, rec.b, rec.r_exp, rec.b_exp) == (6, 0, -2, 0)
    assert rec.convert(200) == pytest.approx(12.0)
    assert rec.thresholds["ucr"] == pytest.approx(13.2) and rec.thresholds["lcr"] == pytest.approx(10.8)
    assert (rec.positive_hysteresis, rec.negative_hysteresis) == (2, 3)
    assert rec.convert_hysteresis(2) == pytest.approx(0.12)


@pytest.mark.parametrize(("m", "b", "r_exp", "b_exp", "fmt", "raw", "value"), [
    (1, 0, 0, 0, 0x00, 25, 25.0),              # plain degrees
    (1, -40, 0, 0, 0x00, 65, 25.0),             # offset B
    (-3, 500, 0, 0, 0x00, 100, 200.0),          # negative M (10-bit two's complement)
    (5, 2, 0, 1, 0x00, 10, 70.0),               # B * 10^Bexp
    (1, 0, 0, 0, 0x80, 0xF6, -10.0),            # two's complement reading
    (1, 0, 0, 0, 0x40, 0xF5, -10.0),            # one's complement reading
    (100, 0, 0, 0, 0x00, 36, 3600.0),           # fan RPM
])
def test_conversion_formula(m, b, r_exp, b_exp, fmt, raw, value):
    rec = decode_sdr(full_sdr(m=m, b=b, r_exp=r_exp, b_exp=b_exp, units1=fmt))
    assert rec.convert(raw) == pytest.approx(value)


def test_linearization_and_no_reading():
    assert decode_sdr(full_sdr(linearization=8)).convert(3) == pytest.approx((6 * 3 * 0.01) ** 2)
    assert decode_sdr(full_sdr(units1=0xC0)).convert(3) is None   # analog format 11b: no analog reading


def test_compact_sdr_and_id_strings():
    body = bytes((0x20, 0, 0x30, 0x17, 1, 0x63, 0x40, 0x05, 0x6F, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0x01, 0, 0, 0, 0,
                  0, 0, 0, 0xC9)) + b"Intrusion"
    rec = decode_sdr(bytes((2, 0, 0x51, 0x02, len(body))) + body)
    assert isinstance(rec, CompactSensor) and rec.name == "Intrusion" and not rec.is_threshold
    assert rec.sensor_type_name == "Physical Security"
    assert decode_id_string(0x43, bytes((0x12, 0xAB, 0xC0))) == "12 -.0"    # BCD plus
    assert decode_id_string(0x83, bytes((0x29, 0xDC, 0xA6))) == "IPMI"      # 6-bit packed ASCII


def test_sdr_length_mismatch_names_the_record():
    raw = full_sdr(record_id=0x1234)
    with pytest.raises(ValueError, match="0x1234"):
        decode_sdr(raw[:-1])


def test_sel_record_decodes():
    rec = bytes.fromhex("0100 02 05000000 2000 04 01 01 01 59 B0 5A")
    e = decode_sel_entry(rec)
    assert (e.record_id, e.timestamp, e.sensor_type, e.sensor_number) == (1, 5, 1, 1)
    assert e.description == "Upper Critical going high" and e.direction == "Asserted"
    wd = decode_sel_entry(bytes.fromhex("0200 02 00000060 2000 04 23 00 EF C3 04 FF"))
    assert wd.description == "Power cycle" and wd.direction == "Deasserted"


def test_sel_info_decodes():
    info = SelInfo.decode(bytes.fromhex("51 0300 D007 05000000 FFFFFFFF 0F"))
    assert (info.entries, info.free_bytes, info.last_add, info.last_erase) == (3, 2000, 5, 0xFFFFFFFF)
    assert not info.overflow and info.supported_commands == ["Delete", "Partial Add", "Reserve", "Get Alloc Info"]


def test_fru_decoder_reads_the_bmc_encoder():
    # Two independent implementations of the FRU format agree.
    inv = bmc_fru.FruInventory(
        chassis=bmc_fru.ChassisInfo(0x17, "CP-1", "CS-1", custom=("extra",)),
        board=bmc_fru.BoardInfo(mfg_minutes=bmc_fru.minutes_since_1996(dt.datetime(2020, 2, 29, 12, 0)),
                                manufacturer="Acme", product_name="Board", serial_number="BS", part_number="BP"),
        product=bmc_fru.ProductInfo(manufacturer="Acme", product_name="Box", part_number="PP", version="2",
                                    serial_number="PS", asset_tag="AT"))
    image = inv.encode(256)
    got = decode_fru(image)
    assert got.chassis.chassis_type_name == "Rack Mount Chassis" and got.chassis.custom == ["extra"]
    assert got.board.fields["manufacturer"] == "Acme" and got.board.mfg_date == dt.datetime(2020, 2, 29, 12,
                                                                                             tzinfo=dt.UTC)
    assert got.product.fields["version"] == "2" and got.product.fields["asset_tag"] == "AT"
    bad = bytearray(image)
    bad[7] ^= 1
    with pytest.raises(ValueError, match="common header: checksum"):
        decode_fru(bytes(bad))


@pytest.mark.parametrize(("words", "name", "args"), [
    ("mc info", "mc_info", ()), ("MC Watchdog Get", "mc_watchdog_get", ()),
    ("chassis power cycle", "chassis_power", (2,)), ("chassis bootdev pxe", "chassis_bootdev", ("pxe", None)),
    ("chassis bootdev disk options=persistent,efiboot", "chassis_bootdev", ("disk", "persistent,efiboot")),
    ("chassis bootdev cdrom clear-cmos=yes", "chassis_bootdev", ("cdrom", "clear-cmos")),
    ("sdr list all", "sdr_list", (0xFF, False)), ("sdr elist mcloc", "sdr_list", (0x12, True)),
    ("sel get 0x10 3", "sel_get", ((16, 3),)), ("fru print 0", "fru_print", (0,)), ("fru", "fru_print_all", ()),
    ("chassis bootparam get 5", "chassis_bootparam_get", (5,)), ("mc reset cold", "mc_reset", ("cold",)),
    ("sdr", "sdr_list", (0xFE, False)), ("sensor", "sensor_list", ()), ("sel", "sel_info", ()),
    ("raw 0x06 0x01", "raw", (6, 1, b"")), ("raw 6 0x30 017 0x0d", "raw", (6, 0x30, bytes((0o17, 0x0D)))),
])
def test_parse_command(words, name, args):
    assert parse_command(words.split()) == (name, args)


@pytest.mark.parametrize(("words", "bad"), [
    ("sdr lst", "sdr lst"), ("chassis power sideways", "sideways"), ("sdr list bogus", "bogus"),
    ("chassis bootdev pxe persist", "persist"), ("chassis bootparam get 9", "'9'"), ("mc reset hot", "hot"),
    ("sel get 0x10000", "0x10000"), ("fru print 255", "255"),
    ("raw 0x07 0x01", "0x07"), ("raw 0x06 0x100", "0x100"), ("raw 0x06 0x01 zz", "zz"), ("raw 0x06", "raw"),
    ("", "no command"),
])
def test_parse_command_names_the_bad_word(words, bad):
    with pytest.raises(ToolError, match=bad):
        parse_command(words.split())


@pytest.fixture(scope="module")
def booted():
    return boot(settle=0)                      # scenarios.scenario.boot; one world for the module


def run(world, words):
    return world.sim.run_process(IpmiTool(world.host.ipmi).run(words.split()), limit=s(60))


def test_mc_info_matches_qemu_identity(booted):
    out = run(booted, "mc info")
    # ipmitool's open: Get Device ID (the manufacturer), PICMG and VITA probes; then the command's own.
    assert [r.request.hex(" ") for r in out.exchanges] == ["18 01", "b0 00 00", "b0 00 03", "18 01"]
    assert out.exchanges[-1].raw.hex(" ").upper() == "1C 01 00 20 00 00 00 02 8F 00 00 00 00 00"
    assert "IPMI Version              : 2.0\n" in out.text() and out.data["ipmi_version"] == "2.0"


def test_raw_prints_like_ipmitool(booted):
    out = run(booted, "raw 0x06 0x01")
    assert out.text() == " 20 00 00 00 02 8f 00 00 00 00 00\n" and out.exit_code == 0
    out = run(booted, "raw 0x06 0x7f")
    assert out.exit_code == 1 and out.text() == ""
    assert out.error_text() == ("Unable to send RAW command (channel=0x0 netfn=0x6 lun=0x0 cmd=0x7f rsp=0xc1): "
                                "Invalid command\n")


def test_chassis_power_status_and_control(booted):
    assert run(booted, "chassis power status").text() == "Chassis Power is on\n"
    out = run(booted, "chassis power on")          # already on: the BMC accepts, nothing changes
    assert out.text() == "Chassis Power Control: Up/On\n" and out.exchanges[-1].request == bytes((0x00, 0x02, 0x01))


def test_sel_list_shows_a_threshold_event_from_a_ramp():

    world = World.from_config({"sensors": [{
        "number": 0x50, "name": "Exhaust Temp", "type": "temperature", "units": "degrees C",
        "model": {"kind": "ramp", "start": 30.0, "slope": 1.0, "at": "1 s"},
        "thresholds": {"upper_non_critical": 40.0, "upper_critical": 45.0},
    }]})
    assert world.boot()
    world.sim.run(until=s(20))
    # The raw reading (1 degree per count, rounded) reaches 40 at 10.5 s and 45 at 15.5 s; SEL time is whole s.
    out = run(world, "sel list")
    # Before 20000000h a SEL time counts seconds since the BMC started: ipmitool's "Pre-Init" columns.
    assert out.text() == ("   1 |  Pre-Init  |0000000010| Temperature #0x50 | Upper Non-critical going high | "
                          "Asserted\n"
                          "   2 |  Pre-Init  |0000000015| Temperature #0x50 | Upper Critical going high | Asserted\n")
    assert [e["timestamp"] for e in out.data["entries"]] == [10, 15]
    out = run(world, "sel elist")      # with the sensor's record found: its name and the threshold crossed
    assert out.text().splitlines()[1] == ("   2 |  Pre-Init  |0000000015| Temperature Exhaust Temp | "
                                          "Upper Critical going high | Asserted | Reading 45 > Threshold 45 degrees C")
    sdr = {r[0]: r[1:] for r in run(world, "sdr list").rows}
    assert sdr["Exhaust Temp"][1] == "cr"
