"""bmc.ipmi.layout: every implemented command's spec section and fields, checked against the dispatcher's
length bounds and decoded from the BMC's own answers."""

from __future__ import annotations

import re

import pytest

from bmc.ipmi.layout import LAYOUTS, REST, Field, covered, decode, layout, render
from scenarios.world import World

SPECS = World().ipmid.specs()
IDS = [f"{s.netfn:02X}:{s.cmd:02X} {s.name}" for s in SPECS]
LONG = 300                      # a length past every bound: "the rest" fields stretch to it
CHAPTERS = {0x00: {28}, 0x04: {29, 30, 35}, 0x06: {20, 22, 24, 27}, 0x0A: {31, 33, 34}, 0x0C: {23, 26}}

# Platform Event (29.3) is laid out in its system-interface form, led by the Generator ID; the dispatcher's
# 7-byte lower bound is the IPMB/LAN form without that byte, so its last field ends past min_len.
TWO_FORMS = {(0x04, 0x02)}


def occupancy(fields: tuple[Field, ...], length: int = LONG) -> list[set[tuple[int, int]]]:
    """The (byte, bit) positions each field claims in a ``length``-byte message."""
    out = []
    for f in fields:
        claimed = set()
        for k in range(f.offset, f.end(length)):
            lo, hi = (0, 7) if f.bits is None else (f.bits[1] - 8 * (k - f.offset), f.bits[0] - 8 * (k - f.offset))
            claimed.update((k, b) for b in range(max(lo, 0), min(hi, 7) + 1))
        out.append(claimed)
    return out


# -- (a) every command has a layout with a spec section ---------------------------------------------


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_every_command_has_a_layout_with_a_section(spec):
    found = layout(spec.netfn, spec.cmd)
    assert found is not None
    m = re.fullmatch(r"(\d{1,2})\.(\d{1,2})[a-z]?", found.section)
    assert m, found.section
    assert int(m.group(1)) in CHAPTERS[spec.netfn]
    assert layout(spec.netfn | 1, spec.cmd) is found            # a response NetFn finds it as well


def test_layouts_are_exactly_the_implemented_commands():
    assert set(LAYOUTS) == {(s.netfn, s.cmd) for s in SPECS}
    assert len(LAYOUTS) == 108
    assert len({lay.section for lay in LAYOUTS.values()}) == 108     # one section per command
    assert len({hash(lay) for lay in LAYOUTS.values()}) == 108       # frozen data, usable as keys


def test_sections_of_well_known_commands():
    for (netfn, cmd), section in {(0x06, 0x01): "20.1", (0x06, 0x04): "20.4", (0x06, 0x2F): "22.2",
                                  (0x00, 0x01): "28.2", (0x0A, 0x23): "33.12", (0x0A, 0x43): "31.5",
                                  (0x0A, 0x11): "34.2", (0x04, 0x2D): "35.14", (0x06, 0x24): "27.6",
                                  (0x06, 0x38): "22.13", (0x00, 0x09): "28.13"}.items():
        assert layout(netfn, cmd).section == section


# -- (b) request fields fit the dispatcher's length bounds ---------------------------------------------


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_request_fields_cover_exactly_the_accepted_bytes(spec):
    """The rule: required fields lie within min_len and explain every one of its bytes (a required "rest"
    field starts before min_len); optional fields start at min_len or later; no sized field runs past
    max_len; and at max_len (or any length, when unbounded) every byte is some field's."""
    fields = layout(spec.netfn, spec.cmd).request
    lo, hi = spec.min_len, spec.max_len
    required = tuple(f for f in fields if not f.optional)
    for f in fields:
        if hi is not None and f.size != REST:
            assert f.offset + f.size <= hi, f.name
        if f.optional:
            assert f.offset >= lo, f"optional {f.name} inside the required {lo} bytes"
        elif (spec.netfn, spec.cmd) not in TWO_FORMS:
            assert (f.offset < lo) if f.size == REST else (f.offset + f.size <= lo), f"{f.name} past min_len {lo}"
    assert covered(required, lo) == set(range(lo))
    top = LONG if hi is None else hi
    assert covered(fields, top) == set(range(top))
    if hi is None or hi > 64:
        assert any(f.size == REST for f in fields), "a long request needs a 'rest of the data' field"


def test_platform_event_is_the_system_interface_form():
    spec = next(s for s in SPECS if (s.netfn, s.cmd) == (0x04, 0x02))
    fields = layout(0x04, 0x02).request
    assert fields[0].name == "Generator ID" and spec.max_len == 8 and spec.min_len == 7
    assert max(f.end(8) for f in fields) == 8


def test_response_optional_fields_come_after_the_required_ones():
    for key, lay in LAYOUTS.items():
        required_end = max((f.offset + max(f.size, 1) for f in lay.response if not f.optional), default=0)
        for f in lay.response:
            if f.optional:
                assert f.offset >= required_end, (key, f.name)


# -- (c) fields do not overlap ------------------------------------------------------------------------------


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_no_overlapping_fields(spec):
    lay = layout(spec.netfn, spec.cmd)
    for fields in (lay.request, lay.response):
        claims = occupancy(fields)
        seen: dict[tuple[int, int], str] = {}
        for f, claimed in zip(fields, claims, strict=True):
            assert claimed, f"{f.name} claims no bits"
            for pos in claimed:
                assert pos not in seen, f"{f.name} overlaps {seen[pos]} at byte {pos[0]} bit {pos[1]}"
                seen[pos] = f.name
        names = [f.name for f in fields]
        assert len(names) == len(set(names)), names
        for f in fields:
            assert f.name and f.name == f.name.strip() and f.offset >= 0 and f.size >= 0
            if f.bits is not None:
                assert 0 <= f.bits[1] <= f.bits[0] < 8 * max(f.size, 1), f.name


# -- (d) decoding the BMC's real answers ----------------------------------------------------------------


@pytest.fixture(scope="module")
def world():
    w = World()
    assert w.boot()
    return w


def ask(world, netfn, cmd, data=b""):
    """Request, decode the answer with the response layout, and check every byte of both is explained."""
    request = decode(layout(netfn, cmd).request, bytes(data))
    assert not [name for name, _ in request if name.startswith("data[")], request
    r = world.request(netfn, cmd, bytes(data))
    assert r.cc == 0, r
    fields = layout(netfn, cmd).response
    got = decode(fields, r.data)
    assert not [name for name, _ in got if name.startswith("data[")], got
    assert covered(fields, len(r.data)) == set(range(len(r.data)))
    return dict(got), r.data


def number(text: str) -> int:
    return int(text.split()[0], 16) if text.startswith("0x") else int(text.split()[0])


def test_decode_app_answers(world):
    bmc = world.bmc
    d, _ = ask(world, 0x06, 0x01)                                      # Get Device ID
    assert d["Device ID"] == "0x20 (32)"
    assert d["IPMI Version"] == "0x02 (2.0)"
    assert d["Chassis Device"] == "1" and d["Sensor Device"] == "1"
    d, _ = ask(world, 0x06, 0x04)                                      # Get Self Test Results
    assert d["Self Test Result"] == "0x55 (no error)"
    d, _ = ask(world, 0x06, 0x07)                                      # Get ACPI Power State
    assert number(d["ACPI System Power State"]) == bmc.acpi_system_power_state
    ask(world, 0x06, 0x24, bytes((0x04, 0x01, 0x00, 0x00, 0x58, 0x02)))   # Set Watchdog: SMS/OS, reset, 60 s
    d, _ = ask(world, 0x06, 0x25)                                      # Get Watchdog Timer
    assert d["Timer Use"] == "0x04 (SMS/OS)" and d["Timeout Action"] == "0x01 (Hard Reset)"
    assert d["Initial Countdown Value"] == "0x0258 (600)" and d["Timer is Started"] == "0"
    d, _ = ask(world, 0x06, 0x2F)                                      # Get BMC Global Enables
    assert d["System Event Logging"] == str(bmc.global_enables >> 3 & 1)
    assert d["Event Message Buffer"] == str(bmc.global_enables >> 2 & 1)
    d, _ = ask(world, 0x06, 0x31)                                      # Get Message Flags
    assert d["Receive Message Available"] == str(bmc.message_flags & 1)
    d, _ = ask(world, 0x06, 0x38, b"\x8e\x04")                         # Get Channel Authentication Capabilities
    assert d["IPMI v2.0+ Extended Capabilities Available"] == "1"
    assert d["Channel Number"] == "0x0F (system interface)"           # asked for 0Eh, "this channel"
    d, _ = ask(world, 0x06, 0x41, b"\x0e\x80")                         # Get Channel Access, volatile
    assert d["Access Mode"].endswith("(always available)") and d["PEF Alerting"] == "1 (disabled)"
    d, raw = ask(world, 0x06, 0x42, b"\x0e")                           # Get Channel Info
    assert number(d["Vendor ID"]) == bmc.vendor_iana
    assert number(d["Channel Protocol Type"]) == raw[2] & 0x1F
    assert d["Channel Medium Type"] == "0x0C (System Interface (KCS, SMIC, or BT))"
    assert d["Channel Protocol Type"] == "0x05 (KCS)"
    d, _ = ask(world, 0x06, 0x44, b"\x0e\x01")                         # Get User Access
    assert number(d["Maximum Number of User IDs"]) == bmc.users.max_users
    assert number(d["Count of User IDs with Fixed Names"]) == 1
    d, _ = ask(world, 0x06, 0x46, b"\x01")                             # Get User Name: user 1's null name
    assert d["User Name String"] == " ".join(["00"] * 16)
    d, _ = ask(world, 0x06, 0x59, b"\x00\x01\x00\x00")                 # Get System Info Parameters
    assert d["Present Parameter Revision"] == "0x01 (1)" and "Configuration Parameter Data" in d


def test_decode_chassis_answers(world):
    bmc = world.bmc
    d, _ = ask(world, 0x00, 0x00)                                      # Get Chassis Capabilities
    assert number(d["Chassis FRU Info Device Address"]) == bmc.slave_address
    d, _ = ask(world, 0x00, 0x01)                                      # Get Chassis Status
    assert d["Power is on"] == str(int(bmc.power_on))
    assert number(d["Power Restore Policy"]) == bmc.power_restore_policy
    d, _ = ask(world, 0x00, 0x06, b"\x03")                             # Set Power Restore Policy: no change
    assert d["Always Powering Up Supported"] == "1" and d["Staying Powered Off Supported"] == "1"
    d, _ = ask(world, 0x00, 0x07)                                      # Get System Restart Cause
    assert number(d["Restart Cause"]) == bmc.restart_cause & 0x0F
    d, _ = ask(world, 0x00, 0x09, b"\x05\x00\x00")                     # Get System Boot Options: boot flags
    assert number(d["Boot Option Parameter Selector"]) == 5 and d["Parameter Version"] == "0x01 (1)"
    d, _ = ask(world, 0x00, 0x0F)                                      # Get POH Counter
    assert number(d["Minutes per Count"]) == bmc.chassis.minutes_per_count


def test_decode_sensor_event_answers(world):
    bmc = world.bmc
    reg = bmc.sensors
    d, _ = ask(world, 0x04, 0x01)                                      # Get Event Receiver
    assert number(d["Event Receiver Slave Address"]) == reg.receiver_address
    d, _ = ask(world, 0x04, 0x10)                                      # Get PEF Capabilities
    assert d["PEF Version"] == "0x51 (1.5)"
    d, _ = ask(world, 0x04, 0x11, b"\xff")                             # Arm PEF Postpone Timer: get
    assert "Present Timer Countdown Value" in d
    d, raw = ask(world, 0x04, 0x13, b"\x80\x00\x00")                   # Get PEF Configuration Parameters: revision
    assert list(d) == ["Present Parameter Revision", "Oldest Backward-compatible Parameter Revision"]
    assert d["Present Parameter Revision"] == "0x01 (1)" and len(raw) == 1
    d, _ = ask(world, 0x04, 0x15)                                      # Get Last Processed Event ID
    assert number(d["Last BMC Processed Event Record ID"]) == reg.pef.last_bmc_event
    d, _ = ask(world, 0x04, 0x20)                                      # Get Device SDR Info
    assert number(d["Number of Sensors"]) == sum(1 for s in reg if s.lun == 0)
    assert d["LUN 0 Has Sensors"] == "1" and d["Sensor Population"] == "0 (static)"
    ask(world, 0x04, 0x22)                                             # Reserve Device SDR Repository
    d, _ = ask(world, 0x04, 0x21, b"\x00\x00\x00\x00\x00\xff")         # Get Device SDR: the first
    assert number(d["Record ID for Next Record"]) == 2
    threshold = next(s for s in reg if s.is_threshold)
    discrete = next(s for s in reg if not s.is_threshold)
    n = bytes((threshold.number,))
    d, _ = ask(world, 0x04, 0x23, n + b"\x00")                         # Get Sensor Reading Factors
    assert d["Next Reading"] == "0xFF (same factors for all readings)"
    assert number(d["M (LS 8 bits)"]) == threshold.linear.m & 0xFF
    d, _ = ask(world, 0x04, 0x25, n + b"\xff")                         # Get Sensor Hysteresis
    assert number(d["Positive-going Threshold Hysteresis Value"]) == threshold.hysteresis[0]
    d, raw = ask(world, 0x04, 0x27, n)                                 # Get Sensor Threshold
    assert d["Readable Lower Non-Critical Threshold"] == str(threshold.readable_mask & 1)
    assert number(d["Upper Critical Threshold"]) == raw[5]
    d, _ = ask(world, 0x04, 0x29, n)                                   # Get Sensor Event Enable
    assert d["Event Messages Enabled"] == str(int(threshold.events_enabled))
    assert number(d["Assertion Event Message Enables 7:0"]) == threshold.assert_enable & 0xFF
    d, _ = ask(world, 0x04, 0x2B, n)                                   # Get Sensor Event Status
    assert d["Sensor Scanning Enabled"] == str(int(threshold.scanning_enabled))
    d, raw = ask(world, 0x04, 0x2D, n)                                 # Get Sensor Reading, threshold
    assert number(d["Sensor Reading"]) == raw[0] and "States 14:8" not in d
    d, raw = ask(world, 0x04, 0x2D, bytes((discrete.number,)))        # Get Sensor Reading, discrete
    assert len(raw) == 4 and "States 14:8" in d
    d, _ = ask(world, 0x04, 0x2F, n)                                   # Get Sensor Type
    assert number(d["Sensor Type"]) == threshold.sensor_type
    assert number(d["Event/Reading Type Code"]) == 0x01


def test_decode_storage_answers(world):
    bmc = world.bmc
    d, _ = ask(world, 0x0A, 0x10, b"\x00")                             # Get FRU Inventory Area Info
    assert number(d["FRU Inventory Area Size in Bytes"]) == len(bmc.fru.device(0).read(0, 0xFFFF))
    assert d["Device is Accessed by"] == "0 (bytes)"
    d, _ = ask(world, 0x0A, 0x11, b"\x00\x00\x00\x08")                 # Read FRU Data
    assert d["Count Returned"] == "0x08 (8)" and len(d["Requested Data"].split()) == 8
    d, _ = ask(world, 0x0A, 0x20)                                      # Get SDR Repository Info
    assert d["SDR Version"] == "0x51 (IPMI v1.5 / v2.0)" and number(d["Record Count"]) == len(bmc.sdr)
    ask(world, 0x0A, 0x21)                                             # Get SDR Repository Allocation Info
    d, _ = ask(world, 0x0A, 0x22)                                      # Reserve SDR Repository
    assert "Reservation ID" in d
    d, raw = ask(world, 0x0A, 0x23, b"\x00\x00\x00\x00\x00\xff")       # Get SDR: the first record
    assert number(d["Record ID for Next Record in Repository"]) == raw[0] | raw[1] << 8
    assert d["Requested Bytes from Record"].split()[2] == f"{raw[4]:02X}"
    ask(world, 0x0A, 0x28)                                             # Get SDR Repository Time
    d, _ = ask(world, 0x0A, 0x5C)                                      # Get SEL Time UTC Offset
    assert d["UTC Offset"] == "0x07FF (unspecified)"
    record = bytes((0, 0, 0x02, 0, 0, 0, 0, 0x20, 0x00, 0x04, 0x01, 0x01, 0x01, 0x57, 0x00, 0x00))
    d, _ = ask(world, 0x0A, 0x44, record)                              # Add SEL Entry
    added = number(d["Record ID for Added Record"])
    d, _ = ask(world, 0x0A, 0x40)                                      # Get SEL Info
    assert number(d["Entries"]) == len(bmc.sel) >= 1 and d["Delete SEL Entry Supported"] in "01"
    ask(world, 0x0A, 0x41)                                             # Get SEL Allocation Info
    d, raw = ask(world, 0x0A, 0x43, bytes((0, 0, added & 0xFF, added >> 8, 0, 0xFF)))   # Get SEL Entry
    assert len(d["Record Data"].split()) == 16
    reservation = ask(world, 0x0A, 0x42)[1]                            # Reserve SEL
    d, _ = ask(world, 0x0A, 0x47, reservation + b"CLR\x00")            # Clear SEL: get status
    assert d["Erasure Progress"] == "0x01 (erase completed)"
    d, _ = ask(world, 0x0A, 0x48)                                      # Get SEL Time
    assert abs(number(d["Time"]) - bmc.timestamp(world.sim.now)) <= 1


def test_decode_requests_name_their_bytes():
    d = dict(decode(layout(0x06, 0x24).request, bytes((0x44, 0x31, 0x0A, 0x10, 0x58, 0x02))))
    assert d["Don't Log"] == "0" and d["Don't Stop Timer"] == "1" and d["Timer Use"] == "0x04 (SMS/OS)"
    assert d["Pre-timeout Interrupt"] == "0x03 (Messaging Interrupt)" and d["Timeout Action"] == "0x01 (Hard Reset)"
    assert d["Pre-timeout Interval"] == "0x0A (10)" and d["Clear SMS/OS Expiration Flag"] == "1"
    assert d["Initial Countdown Value"] == "0x0258 (600)"
    d = dict(decode(layout(0x00, 0x06).request, b"\x01"))
    assert d["Power Restore Policy"] == "0x01 (previous)"
    d = dict(decode(layout(0x0A, 0x5D).request, (-60).to_bytes(2, "little", signed=True)))
    assert d["UTC Offset"] == "0xFFC4 (-60)"
    d = dict(decode(layout(0x0A, 0x47).request, b"\x34\x12CLR\xaa"))
    assert d["Reservation ID"] == "0x1234 (4660)" and d["'C' (43h)"] == "0x43 (67)"
    assert d["Operation"] == "0xAA (initiate erase)"


# -- (e) short and long messages ----------------------------------------------------------------------------


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_decoding_short_messages_never_raises(spec):
    lay = layout(spec.netfn, spec.cmd)
    for fields in (lay.request, lay.response):
        for n in range(0, 40):
            for fill in (0x00, 0xFF, 0xA5):
                got = decode(fields, bytes([fill]) * n)
                assert all(isinstance(a, str) and isinstance(b, str) for a, b in got)
                # Nothing is invented: every name shown is a field present or an unexplained byte.
                names = {f.name for f in fields if f.offset < n}
                assert {a for a, _ in got if not a.startswith("data[")} == names


def test_short_and_long_messages_render_what_is_there():
    fields = layout(0x06, 0x01).response
    full = bytes.fromhex("20 81 02 12 02 8f 57 01 00 34 12")
    assert "Auxiliary Firmware Revision Information" not in dict(decode(fields, full))   # optional: omitted
    assert dict(decode(fields, full + b"\x01\x02\x03\x04"))["Auxiliary Firmware Revision Information"] == \
        "01 02 03 04"
    d = dict(decode(fields, full[:10]))
    assert d["Product ID"] == "34 (1 of 2 bytes)" and d["Manufacturer ID"] == "0x00157 (343)"
    assert d["Provides Device SDRs"] == "1" and d["Device Revision"] == "0x01 (1)"
    tail = decode(layout(0x06, 0x2F).response, b"\x0c\x99")
    assert tail[-1] == ("data[1]", "0x99 (153)")
    assert decode(layout(0x06, 0x01).request, b"\x07") == [("data[0]", "0x07 (7)")]


def test_render_big_endian_and_blobs():
    assert render(Field("x", 0, 2, endian="big"), b"\x12\x34") == "0x1234 (4660)"
    assert render(Field("x", 0, 2), b"\x12\x34") == "0x3412 (13330)"
    assert render(Field("x", 0, REST, raw=True), b"ab") == "61 62"
    assert render(Field("x", 0, 1, bits=(6, 5), values={1: "previous"}), b"\x20") == "0x01 (previous)"


def handled(w, netfn, cmd, data=b""):
    """Straight to the dispatcher (no host driver to take queued messages first): the decoded answer."""
    rsp = w.ipmid.handle(bytes((netfn << 2, cmd)) + bytes(data))
    assert rsp[2] == 0, rsp.hex(" ")
    fields = layout(netfn, cmd).response
    assert covered(fields, len(rsp) - 3) == set(range(len(rsp) - 3))
    got = decode(fields, rsp[3:])
    assert not [name for name, _ in got if name.startswith("data[")], got
    return dict(got)


def test_decode_guids_messages_and_events():
    from bmc.bmc import Identity

    w = World()
    assert w.boot()
    w.bmc.identity = Identity(device_guid=bytes(range(16)), system_guid=bytes(range(16, 32)))
    assert handled(w, 0x06, 0x08)["GUID"] == bytes(range(16)).hex(" ").upper()          # Get Device GUID
    assert handled(w, 0x06, 0x37)["GUID"] == bytes(range(16, 32)).hex(" ").upper()      # Get System GUID
    frame = bytes.fromhex("00 40 18 A8 20 0A 01 D5")     # to the IPMB satellite at 40h: Get Device ID
    request = dict(decode(layout(0x06, 0x34).request, frame))
    assert request["Channel Number"] == "0x00 (primary IPMB)" and request["Tracking"] == "0x00 (no tracking)"
    assert handled(w, 0x06, 0x34, frame) == {}                                          # Send Message
    d = handled(w, 0x06, 0x33)                                                         # Get Message: the answer
    assert d["Channel Number"] == "0x00 (primary IPMB)"
    assert d["Message Data"].split()[:2] == ["1E", "C2"]   # netFn/LUN App response to SMS LUN, its checksum
    w.bmc.set_global_enables(0x0C, 0)
    w.bmc.raise_event(w.bmc.event_record(0x23, 0, 0x6F, 0xC1, 0x04, 0xFF), 0)
    d = handled(w, 0x06, 0x35)                                                         # Read Event Message Buffer
    assert len(d["Message Data"].split()) == 16


def test_decode_bt_interface_capabilities():
    w = World("isa-ipmi-bt")
    assert w.boot()
    d, raw = ask(w, 0x06, 0x36)
    assert number(d["Number of Outstanding Requests Supported"]) == raw[0]
    assert number(d["Recommended Retries"]) == raw[4]


def test_decode_writes():
    """Commands that change state: each request decodes field for field, and the answers (often empty) too."""
    w = World()
    assert w.boot()
    bmc = w.bmc
    sensor = next(s for s in bmc.sensors if s.is_threshold and s.settable)
    n = f"{sensor.number:02X}"
    for netfn, cmd, data in (
        (0x04, 0x00, "20 00"),                                   # Set Event Receiver
        (0x04, 0x24, f"{n} FF 02 02"),                           # Set Sensor Hysteresis
        (0x04, 0x28, f"{n} C0"),                                 # Set Sensor Event Enable: no mask bytes
        (0x04, 0x2A, f"{n} 00"),                                 # Re-arm Sensor Events: all
        (0x04, 0x2E, f"{n} {sensor.sensor_type:02X} 01"),        # Set Sensor Type: unchanged
        (0x04, 0x30, f"{n} 01 20"),                              # Set Sensor Reading And Event Status: reading
        (0x04, 0x12, "01 01"),                                   # Set PEF Configuration Parameters: control
        (0x04, 0x14, "00 05 00"),                                # Set Last Processed Event ID: software's
        (0x04, 0x02, "41 04 01 01 6F 00 FF FF"),                 # Platform Event
        (0x00, 0x04, "05 00"),                                   # Chassis Identify
        (0x00, 0x08, "05 80 00 00 00 00"),                       # Set System Boot Options: boot flags
        (0x06, 0x06, "80 80"),                                   # Set ACPI Power State: S0, D0
        (0x06, 0x2E, "0C"),                                      # Set BMC Global Enables
        (0x06, 0x30, "02"),                                      # Clear Message Flags: event buffer
        (0x06, 0x45, "02 61 6C 69 63 65" + " 00" * 11),          # Set User Name: user 2 "alice"
        (0x06, 0x47, "02 02" + " 70" * 16),                      # Set User Password: set, 16 bytes
        (0x06, 0x43, "9E 02 04 00"),                             # Set User Access
        (0x06, 0x58, "01 00 00 05 68 65 6C 6C 6F" + " 00" * 9),  # Set System Info Parameters: firmware version
        (0x0A, 0x29, "00 00 00 60"),                             # Set SDR Repository Time
        (0x0A, 0x49, "00 00 00 60"),                             # Set SEL Time
        (0x0A, 0x5D, "C4 FF"),                                   # Set SEL Time UTC Offset: -60 minutes
    ):
        assert ask(w, netfn, cmd, bytes.fromhex(data))[0] == {}
    assert bmc.sensors.receiver_address == 0x20 and tuple(sensor.hysteresis) == (2, 2)
    assert dict(decode(layout(0x06, 0x45).request, bytes.fromhex("02 61 6C 69 63 65" + " 00" * 11)))[
        "User Name String"].startswith("61 6C 69 63 65")
    assert dict(decode(layout(0x04, 0x02).request, bytes.fromhex("41 04 01 01 6F 00 FF FF")))["Event Type"] == \
        "0x6F (111)"
    assert ask(w, 0x0A, 0x5C)[0]["UTC Offset"] == "0xFFC4 (-60)"
    d, _ = ask(w, 0x0A, 0x12, bytes.fromhex("00 10 00 AA BB"))   # Write FRU Data: two bytes at 10h
    assert d["Count Written"] == "0x02 (2)"
    reservation = ask(w, 0x0A, 0x42)[1]                           # Reserve SEL, then Partial Add SEL Entry
    record = bytes((0, 0, 0x02, 0, 0, 0, 0, 0x20, 0x00, 0x04, 0x01, 0x01, 0x01, 0x57, 0x00, 0x00))
    d, _ = ask(w, 0x0A, 0x45, reservation + b"\x00\x00\x00\x01" + record)
    added = number(d["Record ID for Added Record"])
    reservation = ask(w, 0x0A, 0x42)[1]                           # the add cancelled the reservation
    d, _ = ask(w, 0x0A, 0x46, reservation + added.to_bytes(2, "little"))   # Delete SEL Entry
    assert number(d["Record ID for Deleted Record"]) == added
    reservation = ask(w, 0x0A, 0x22)[1]                           # Reserve SDR Repository, Delete SDR
    d, _ = ask(w, 0x0A, 0x26, reservation + b"\x01\x00")
    assert number(d["Record ID for Deleted Record"]) == 1
    reservation = ask(w, 0x0A, 0x22)[1]
    d, _ = ask(w, 0x0A, 0x27, reservation + b"CLR\xaa")           # Clear SDR Repository: initiate
    assert d["Erasure Progress"] == "0x01 (erase completed)" and len(bmc.sdr) == 0


def test_decode_the_remaining_commands():
    """The last of the 90: SDR adds, thresholds, channel access, watchdog reset, then the resets and power."""
    from bmc.bmc import ChannelInfo
    from bmc.ipmi.msg import ChannelMedium, ChannelProtocol

    w = World()
    assert w.boot()
    record = ask(w, 0x0A, 0x23, b"\x00\x00\x00\x00\x00\xff")[1][2:]          # the first SDR, whole
    d, _ = ask(w, 0x0A, 0x24, record)                                         # Add SDR: a copy
    assert number(d["Record ID for Added Record"]) == len(w.bmc.sdr)
    assert dict(decode(layout(0x0A, 0x24).request, record))["SDR Data"] == record.hex(" ").upper()
    reservation = ask(w, 0x0A, 0x22)[1]
    request = reservation + b"\x00\x00\x00\x01" + record                      # Partial Add SDR: all, last part
    assert dict(decode(layout(0x0A, 0x25).request, request))["In Progress"] == \
        "0x01 (last record data being transferred)"
    d, _ = ask(w, 0x0A, 0x25, request)
    assert number(d["Record ID for Added Record"]) == len(w.bmc.sdr)
    sensor = next(s for s in w.bmc.sensors if s.is_threshold and s.settable_mask & 0x08)
    request = bytes((sensor.number, 0x08, 0, 0, 0, 0x30, 0, 0))               # Set Sensor Threshold: UNC only
    d = dict(decode(layout(0x04, 0x26).request, request))
    assert d["Set Upper Non-Critical Threshold"] == "1" and d["Upper Non-Critical Threshold"] == "0x30 (48)"
    assert ask(w, 0x04, 0x26, request)[0] == {}
    w.bmc.channels[1] = ChannelInfo(ChannelMedium.LAN_802_3, ChannelProtocol.IPMB_10)
    request = bytes.fromhex("01 82 84")                                       # Set Channel Access: volatile
    d = dict(decode(layout(0x06, 0x40).request, request))
    assert d["Access Set"] == "0x02 (set volatile (active))" and d["Access Mode"] == "0x02 (always available)"
    assert d["Channel Privilege Level Limit"] == "0x04 (administrator)"
    assert ask(w, 0x06, 0x40, request)[0] == {}
    assert ask(w, 0x06, 0x24, bytes.fromhex("04 01 00 00 58 02"))[0] == {}    # Set, then Reset Watchdog Timer
    assert ask(w, 0x06, 0x22)[0] == {}
    assert dict(decode(layout(0x00, 0x02).request, b"\x02")) == {"Chassis Control": "0x02 (power cycle)"}
    for netfn, cmd, data in ((0x00, 0x02, b"\x02"), (0x00, 0x03, b""), (0x06, 0x03, b""), (0x06, 0x02, b"")):
        assert ask(w, netfn, cmd, data)[0] == {}   # Chassis Control, Chassis Reset, Warm Reset, Cold Reset


def test_the_module_example():
    import doctest

    import bmc.ipmi.layout

    assert doctest.testmod(bmc.ipmi.layout).failed == 0
