"""Message codecs: system-interface bytes <-> Request/Response, hex helpers, command names."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bmc.ipmi import (
    App,
    Chassis,
    NetFn,
    Request,
    Response,
    command_name,
    decode,
    decode_request,
    decode_response,
    encode,
    from_hex,
    hexdump,
)


def test_get_device_id_request_golden():
    req = Request(NetFn.APP, 0, App.GET_DEVICE_ID)
    assert encode(req) == from_hex("18 01")
    assert decode_request(from_hex("18 01")) == req


def test_get_device_id_response_golden():
    raw = from_hex("1C 01 00 20 00 00 00 02 07 00 00 00 00 00")
    rsp = decode_response(raw)
    assert (rsp.netfn, rsp.lun, rsp.cmd, rsp.cc) == (NetFn.APP | 1, 0, App.GET_DEVICE_ID, 0)
    assert rsp.data == from_hex("20 00 00 00 02 07 00 00 00 00 00")
    assert encode(rsp) == raw


def test_lun_and_response_helper():
    req = decode_request(from_hex("19 01"))
    assert (req.netfn, req.lun) == (NetFn.APP, 1)
    assert encode(Response.to(req, 0xC2)) == from_hex("1D 01 C2")


def test_decode_picks_kind_by_netfn_parity():
    assert isinstance(decode(from_hex("00 02 01")), Request)
    assert isinstance(decode(from_hex("04 02 D5")), Response)


def test_data_accepts_byte_sequences():
    assert Request(NetFn.CHASSIS, 0, Chassis.CHASSIS_CONTROL, [1]).data == b"\x01"
    assert Response(NetFn.APP | 1, 0, 1, 0, bytearray(b"\x20")).data == b"\x20"


def test_hexdump_and_from_hex():
    assert hexdump(b"\x1c\x01\x00\x20") == "1C 01 00 20"
    assert hexdump(b"") == ""
    assert from_hex("1c0100 20") == b"\x1c\x01\x00\x20"
    with pytest.raises(ValueError, match="hex bytes"):
        from_hex("1C 0")


@pytest.mark.parametrize(
    ("make", "field"),
    [
        (lambda: Request(0x40, 0, 1), r"netfn 0x40 out of range"),
        (lambda: Request(0x07, 0, 1), r"netfn 0x07 is a response netfn"),
        (lambda: Request(0x06, 4, 1), r"lun 0x04 out of range"),
        (lambda: Request(0x06, 0, 0x100), r"cmd 0x100 out of range"),
        (lambda: Request(0x06, 0, -1), r"cmd -1 out of range"),
        (lambda: Request(0x06, 0, 1, "x"), r"data 'x' is not a byte string"),
        (lambda: Request(0x06, True, 1), r"lun True out of range"),
        (lambda: Response(0x06, 0, 1, 0), r"netfn 0x06 is a request netfn"),
        (lambda: Response(0x07, 0, 1, 0x100), r"cc 0x100 out of range"),
        (lambda: decode_request(b"\x18"), r"request length 1 too short"),
        (lambda: decode_response(b"\x1c\x01"), r"response length 2 too short"),
        (lambda: decode(b""), r"message length 0 too short"),
        (lambda: encode(b"\x18\x01"), r"neither a Request nor a Response"),
    ],
)
def test_errors_name_the_field(make, field):
    with pytest.raises(ValueError, match=field):
        make()


def test_command_names():
    assert command_name(NetFn.APP, App.GET_DEVICE_ID) == "Get Device ID"
    assert command_name(NetFn.APP | 1, App.SET_BMC_GLOBAL_ENABLES) == "Set BMC Global Enables"
    assert command_name(NetFn.CHASSIS, Chassis.GET_SYSTEM_RESTART_CAUSE) == "Get System Restart Cause"
    assert command_name(NetFn.APP, 0xFF) == "APP cmd 0xFF"
    assert command_name(0x3A, 0x5A) == "0x3A cmd 0x5A"


request_netfns = st.integers(0, 0x1F).map(lambda n: n * 2)
payloads = st.binary(max_size=300)


@given(request_netfns, st.integers(0, 3), st.integers(0, 255), payloads)
def test_request_round_trip(netfn, lun, cmd, data):
    req = Request(netfn, lun, cmd, data)
    raw = encode(req)
    assert len(raw) == 2 + len(data)
    assert decode_request(raw) == req == decode(raw)
    assert from_hex(hexdump(raw)) == raw


@given(request_netfns.map(lambda n: n | 1), st.integers(0, 3), st.integers(0, 255), st.integers(0, 255), payloads)
def test_response_round_trip(netfn, lun, cmd, cc, data):
    rsp = Response(netfn, lun, cmd, cc, data)
    raw = encode(rsp)
    assert decode_response(raw) == rsp == decode(raw)


@given(st.binary(min_size=2, max_size=64))
def test_any_request_bytes_round_trip(raw):
    if raw[0] & 0x04:  # a response netfn: decode() reads it as a response
        if len(raw) >= 3:
            assert encode(decode(raw)) == raw
    else:
        assert encode(decode_request(raw)) == raw


def test_device_id_has_one_codec_both_ways():
    from bmc.bmc import QEMU_IDENTITY
    from bmc.ipmi.device_id import DeviceId

    golden = from_hex("20 00 00 00 02 07 00 00 00 00 00")           # QEMU's Get Device ID data
    assert QEMU_IDENTITY.device_id_data() == golden
    d = DeviceId.decode(golden)
    assert d.ipmi_version_text == "2.0" and d.support_names == ["Sensor Device", "SDR Repository Device", "SEL Device"]
    rich = DeviceId(0x21, 3, True, 1, 0x12, True, 0x51, 0x88, 0x0ABCDE, 0x1234, b"\x01\x02\x03\x04")
    assert DeviceId.decode(rich.encode()) == rich
    assert rich.firmware_revision == "1.12" and rich.ipmi_version_text == "1.5"
    with pytest.raises(ValueError, match="length 10 too short"):
        DeviceId.decode(golden[:10])
