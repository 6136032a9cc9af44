"""Conformance rows for the Sensor/Event commands (NetFn 0x04): events, PEF, Device SDRs, sensors.

Every row runs against the default world's sensors (``bmc/sensors/defaults.py``):
0x01 "Inlet Temp" (full SDR, 24 C; LNC 5, LCR 0, UNC 40, UCR 45, UNR 50;
hysteresis 2/2), 0x02 "CPU1 Temp" (upper thresholds only), 0x20 "12V"
(M=5, B=8*10^2, Rexp=-2), 0x30 "PSU1 Status" (compact, sensor-specific,
state 0 "presence detected"), 0x00 "Watchdog" (QEMU's built-in compact
record).  Sensor 0x99 does not exist.  The world is not booted: global
enables are the power-up 0x08 (events logged, not buffered).

QEMU ``ipmi-bmc-sim`` shares Platform Event, Set/Get Sensor Event Enable,
Re-arm, Get Sensor Event Status, Get Sensor Reading, Set/Get Sensor Type
and Set Sensor Reading And Event Status (qemu-ipmi.md 3.2).  Rows marked
"QEMU" carry its bytes; rows marked "bug N" show one of its bugs fixed on
purpose (3.12: 14, 15, 16, 17, 18, 19).
"""

import pytest

from bmc.ipmi.msg import Channel, from_hex, hexdump
from bmc.privilege import Privilege
from bmc.sensors import Constant
from tests.conformance import Case, fresh_world, run_case

P = Privilege
FF6 = "FF FF FF FF FF"


def ask(w, request: str) -> str:
    return hexdump(w.ipmid.handle(from_hex(request)))


def sel(w) -> list[str]:
    """SEL records from byte 7 (generator) on: what the event said, without id and timestamp."""
    return [hexdump(r[7:]) for r in w.bmc.sel.records()]


def hot_inlet(w):
    """Inlet Temp at 47 C (above UNC and UCR) since installation: a baseline that logged nothing."""
    sensor = w.bmc.sensors.remove(0x01, sdr=False)
    sensor.model = Constant(47)
    w.bmc.sensors.add(sensor, sdr=False)
    assert len(w.bmc.sel) == 0


def psu_states(bits):
    def setup(w):
        w.bmc.sensors.get(0x30).set_states(bits, 0)
        w.bmc.sel.clear(0)
    return setup


def sel_capacity_one_full(w):
    w.bmc.open_stores(sel_capacity=1)
    assert ask(w, "28 44 00 00 02 00 00 00 00 20 00 04 01 01 01 57 28 28")[6:8] == "00"


def reserve_device(w):
    w.bmc.sensors.reserve_device_sdr()


def check(fn):
    def run(w, rsp):
        assert fn(w), f"state after {hexdump(rsp)}"
    return run


FILTER_1 = "01 80 01 00 10 FF FF 01 FF 01 00 02 FF 00 00 FF 00 00 FF 00 00"     # enabled: power off on temps

CASES = [
    # -- Set Event Receiver (29.1) --------------------------------------------------------------------
    Case("10 00 20 00", 0x00, rsp="14 00 00", check=check(lambda w: w.bmc.sensors.receiver_address == 0x20)),
    Case("10 00 FF 00", 0x00, rsp="14 00 00", note="FFh: disable event message generation",
         check=check(lambda w: not w.bmc.sensors.delivering)),
    Case("10 00 20", 0xC7, "short"),
    Case("10 00 20 00 00", 0xC7, "long"),
    Case("10 00 20 04", 0xCC, "reserved", note="LUN byte bits 7:2"),
    Case("10 00 21 00", 0xCC, "range", note="odd slave address"),
    Case("10 00 20 00", 0xD4, "privilege", privilege=P.OPERATOR),
    # -- Get Event Receiver (29.2) --------------------------------------------------------------------
    Case("10 01", 0x00, rsp="14 01 00 20 00"),
    Case("10 01", 0x00, "state", rsp="14 01 00 FF 00", setup=lambda w: w.bmc.sensors.set_receiver(0xFF, 0, 0)),
    Case("10 01 00", 0xC7, "long"),
    Case("10 01", 0xD4, "privilege", privilege=P.CALLBACK),
    # -- Platform Event (29.3) ------------------------------------------------------------------------
    Case("10 02 41 04 01 60 01 59 2D 2D", 0x00, rsp="14 02 00", note="QEMU: logged as a type-02h record",
         check=check(lambda w: sel(w) == ["41 00 04 01 60 01 59 2D 2D"])),
    Case("10 02 41 04 01 60 01 59 2D 2D", 0x00, "state", note="logging disabled: nothing logged",
         setup=lambda w: w.bmc.set_global_enables(0x00, 0), check=check(lambda w: len(w.bmc.sel) == 0)),
    Case("10 02 41 04 01 60 01 59 2D 2D", 0xC4, "state", setup=sel_capacity_one_full, note="QEMU: SEL full",
         check=check(lambda w: w.bmc.sel.overflow)),
    Case("10 02 41 04 01 60 01 59 2D", 0xC7, "short", note="QEMU: 8 data bytes on the system interface"),
    Case("10 02 41 04 01 60 01 59 2D 2D 00", 0xC7, "long"),
    Case("10 02 41 04 01 60 00 59 2D 2D", 0xCC, "reserved", note="event/reading type 00h"),
    Case("10 02 41 04 01 60 01 59 2D 2D", 0xD4, "privilege", privilege=P.USER),
    # -- Get PEF Capabilities (30.1) ------------------------------------------------------------------
    Case("10 10", 0x00, rsp="14 10 00 51 3F 10"),
    Case("10 10 00", 0xC7, "long"),
    Case("10 10", 0xD4, "privilege", privilege=P.CALLBACK),
    # -- Arm PEF Postpone Timer (30.2) ------------------------------------------------------------------
    Case("10 11 1E", 0x00, rsp="14 11 00 1E"),
    Case("10 11 FF", 0x00, "state", rsp="14 11 00 1A", note="4 s after arming 30 s",
         setup=lambda w: (w.bmc.sensors.pef.postpone(30, 0), w.sim.run(until=4 * 10**9))),
    Case("10 11", 0xC7, "short"),
    Case("10 11 1E 00", 0xC7, "long"),
    Case("10 11 1E", 0xD4, "privilege", privilege=P.OPERATOR),
    # -- Set PEF Configuration Parameters (30.3) -------------------------------------------------------
    Case("10 12 01 03", 0x00, rsp="14 12 00", check=check(lambda w: w.bmc.sensors.pef.control == 0x03)),
    Case("10 12 06 " + FILTER_1, 0x00, rsp="14 12 00",
         check=check(lambda w: ask(w, "10 13 06 01 00") == "14 13 00 11 " + FILTER_1)),
    Case("10 12 00 01", 0x81, "state", note="set in progress twice", setup=lambda w: ask(w, "10 12 00 01")),
    Case("10 12", 0xC7, "short"),
    Case("10 12 01 03 00", 0xC7, "long", note="PEF control is one byte"),
    Case("10 12 01 F0", 0xCC, "reserved", note="PEF control bits 7:4"),
    Case("10 12 81 00", 0xCC, "reserved", note="parameter selector bit 7"),
    Case("10 12 05 20", 0x82, "state", note="number of event filters is read-only"),
    Case("10 12 40 00", 0x80, "range", note="parameter not supported"),
    Case("10 12 07 00 80", 0xC9, "range", note="event filter 0"),
    Case("10 12 01 03", 0xD4, "privilege", privilege=P.OPERATOR),
    # -- Get PEF Configuration Parameters (30.4) -------------------------------------------------------
    Case("10 13 01 00 00", 0x00, rsp="14 13 00 11 00"),
    Case("10 13 05 00 00", 0x00, rsp="14 13 00 11 10"),
    Case("10 13 08 00 00", 0x00, rsp="14 13 00 11 10"),
    Case("10 13 09 02 00", 0x00, rsp="14 13 00 11 02 00 00 00"),
    Case("10 13 81 00 00", 0x00, rsp="14 13 00 11", note="revision only"),
    Case("10 13 01 00", 0xC7, "short"),
    Case("10 13 01 00 00 00", 0xC7, "long"),
    Case("10 13 06 11 00", 0xC9, "range", note="event filter 17 of 16"),
    Case("10 13 30 00 00", 0x80, "range", note="parameter not supported"),
    Case("10 13 01 00 00", 0xD4, "privilege", privilege=P.USER),
    # -- Set / Get Last Processed Event ID (30.5, 30.6) -------------------------------------------------
    Case("10 14 01 34 12", 0x00, rsp="14 14 00",
         check=check(lambda w: ask(w, "10 15") == "14 15 00 " + FF6 + " FF 00 00 34 12")),
    Case("10 14 02 00 00", 0xCC, "reserved"),
    Case("10 14 01 34", 0xC7, "short"),
    Case("10 14 01 34 12 00", 0xC7, "long"),
    Case("10 14 01 34 12", 0xD4, "privilege", privilege=P.OPERATOR),
    Case("10 15", 0x00, rsp="14 15 00 " + FF6 + " FF 00 00 00 00", note="empty SEL: last record FFFFh"),
    Case("10 15 00", 0xC7, "long"),
    Case("10 15", 0xD4, "privilege", privilege=P.OPERATOR),
    # -- Device SDRs (35.2-35.4) ----------------------------------------------------------------------------
    Case("10 20", 0x00, rsp="14 20 00 10 01", note="16 sensors on LUN 0, static population"),
    Case("10 20 01", 0x00, rsp="14 20 00 10 01", note="16 SDRs"),
    Case("10 20 02", 0xCC, "reserved"),
    Case("10 20 01 00", 0xC7, "long"),
    Case("10 20", 0xD4, "privilege", privilege=P.CALLBACK),
    Case("10 21 00 00 00 00 00 FF", 0x00, rsp="14 21 00 02 00 01 00 51 02 23 20 00 00 23 01 63 00 23 6F 0F 01"
         + " 00" * 15 + " C8 57 61 74 63 68 64 6F 67", note="the first: the watchdog sensor, QEMU's record"),
    Case("10 21 00 00 FF FF 00 05", 0x00, rsp="14 21 00 FF FF 10 00 51 02 24", note="FFFFh: the last"),
    Case("10 21 01 00 02 00 05 03", 0x00, "reservation", rsp="14 21 00 03 00 20 00 01",
         setup=reserve_device, note="partial read with the reservation"),
    Case("10 21 05 00 02 00 05 03", 0xC5, "reservation", setup=reserve_device),
    Case("10 21 00 00 50 00 00 FF", 0xCB, "missing"),
    Case("10 21 01 00 01 00 FF 01", 0xC9, "range", setup=reserve_device, note="offset beyond the record"),
    Case("10 21 00 00 00 00 00", 0xC7, "short"),
    Case("10 21 00 00 00 00 00 FF 00", 0xC7, "long"),
    Case("10 21 00 00 00 00 00 FF", 0xD4, "privilege", privilege=P.CALLBACK),
    Case("10 22", 0x00, rsp="14 22 00 01 00"),
    Case("10 22", 0x00, "state", rsp="14 22 00 02 00", setup=reserve_device, note="a new id on every reserve"),
    Case("10 22 00", 0xC7, "long"),
    Case("10 22", 0xD4, "privilege", privilege=P.CALLBACK),
    # -- Get Sensor Reading Factors (35.5) -------------------------------------------------------------------
    Case("10 23 20 00", 0x00, rsp="14 23 00 FF 05 00 08 00 00 E2", note="M=5, B=8, Bexp=2, Rexp=-2"),
    Case("10 23 30 00", 0xCD, "state", note="discrete sensor"),
    Case("10 23 99 00", 0xCB, "missing"),
    Case("10 23 20", 0xC7, "short"),
    Case("10 23 20 00 00", 0xC7, "long"),
    Case("10 23 20 00", 0xD4, "privilege", privilege=P.CALLBACK),
    # -- Set / Get Sensor Hysteresis (35.6, 35.7) ----------------------------------------------------------
    Case("10 24 01 FF 03 04", 0x00, rsp="14 24 00", check=check(lambda w: ask(w, "10 25 01 FF") == "14 25 00 03 04")),
    Case("10 24 01 00 03 04", 0xCC, "reserved", note="hysteresis mask: write FFh"),
    Case("10 24 30 FF 00 00", 0xCD, "state", note="discrete sensor"),
    Case("10 24 99 FF 00 00", 0xCB, "missing"),
    Case("10 24 01 FF 03", 0xC7, "short"),
    Case("10 24 01 FF 03 04 00", 0xC7, "long"),
    Case("10 24 01 FF 03 04", 0xD4, "privilege", privilege=P.USER),
    Case("10 25 01 FF", 0x00, rsp="14 25 00 02 02"),
    Case("10 25 01 00", 0xCC, "reserved"),
    Case("10 25 00 FF", 0xCD, "state", note="the watchdog is discrete"),
    Case("10 25 99 FF", 0xCB, "missing"),
    Case("10 25 01", 0xC7, "short"),
    Case("10 25 01 FF 00", 0xC7, "long"),
    Case("10 25 01 FF", 0xD4, "privilege", privilege=P.CALLBACK),
    # -- Set / Get Sensor Threshold (35.8, 35.9) ---------------------------------------------------------------
    Case("10 26 01 08 00 00 00 23 00 00", 0x00, rsp="14 26 00", note="UNC 40 -> 35",
         check=check(lambda w: ask(w, "10 27 01") == "14 27 00 3B 05 00 00 23 2D 32")),
    Case("10 26 01 10 00 00 00 00 14 00", 0x00, "state", note="UCR below the reading: the event at once",
         check=check(lambda w: sel(w) == ["20 00 04 01 01 01 59 18 14"])),
    Case("10 26 01 48 00 00 00 23 00 00", 0xCC, "reserved", note="mask bits 7:6"),
    Case("10 26 02 01 05 00 00 00 00 00", 0xCC, "range", note="CPU1 Temp has no LNC"),
    Case("10 26 30 08 00 00 00 00 00 00", 0xCD, "state", note="discrete sensor"),
    Case("10 26 99 08 00 00 00 23 00 00", 0xCB, "missing"),
    Case("10 26 01 08 00 00 00 23 00", 0xC7, "short"),
    Case("10 26 01 08 00 00 00 23 00 00 00", 0xC7, "long"),
    Case("10 26 01 08 00 00 00 23 00 00", 0xD4, "privilege", privilege=P.USER),
    Case("10 27 20", 0x00, rsp="14 27 00 3F 44 38 2C 5C 68 74", note="12V: 11.4 10.8 10.2 / 12.6 13.2 13.8 V"),
    Case("10 27 02", 0x00, rsp="14 27 00 38 00 00 00 55 5A 5F"),
    Case("10 27 30", 0xCD, "state", note="discrete sensor"),
    Case("10 27 99", 0xCB, "missing"),
    Case("10 27", 0xC7, "short"),
    Case("10 27 20 00", 0xC7, "long"),
    Case("10 27 20", 0xD4, "privilege", privilege=P.CALLBACK),
    # -- Set / Get Sensor Event Enable (35.10, 35.11) --------------------------------------------------------
    Case("10 28 01 E0 80 00", 0x00, rsp="14 28 00", note="disable UNC going high",
         check=check(lambda w: ask(w, "10 29 01") == "14 29 00 C0 05 0A 85 0A")),
    Case("10 28 01 D0 00 01 00 01", 0x00, rsp="14 28 00", note="enable offset 8: unsupported, ignored",
         check=check(lambda w: ask(w, "10 29 01") == "14 29 00 C0 85 0A 85 0A")),
    Case("10 28 01 00", 0x00, rsp="14 28 00", note="all event messages and scanning off",
         check=check(lambda w: ask(w, "10 2D 01") == "14 2D 00 18 00 00")),
    Case("10 28 01 F0", 0xCC, "reserved", note="QEMU: action 11b"),
    Case("10 28 01 C1", 0xCC, "reserved", note="bits 3:0"),
    Case("10 28 01 D0 00 80", 0xCC, "reserved", note="assertion MSB bit 7"),
    Case("10 28 99 C0", 0xCB, "missing", note="QEMU"),
    Case("10 28 01", 0xC7, "short", note="QEMU"),
    Case("10 28 01 D0 00 00 00 00 00", 0xC7, "long"),
    Case("10 28 01 C0", 0xD4, "privilege", privilege=P.USER),
    Case("10 29 00", 0x00, rsp="14 29 00 C0 0F 01 00 00", note="QEMU: the watchdog's supported masks"),
    Case("10 29 01", 0x00, rsp="14 29 00 C0 85 0A 85 0A"),
    Case("10 29 99", 0xCB, "missing"),
    Case("10 29", 0xC7, "short"),
    Case("10 29 01 00", 0xC7, "long"),
    Case("10 29 01", 0xD4, "privilege", privilege=P.CALLBACK),
    # -- Re-arm Sensor Events (35.12) --------------------------------------------------------------------------
    Case("10 2A 01 00", 0x00, rsp="14 2A 00", setup=hot_inlet, note="bug 19: present states generate events again",
         check=check(lambda w: sel(w) == ["20 00 04 01 01 01 57 2F 28", "20 00 04 01 01 01 59 2F 2D"])),
    Case("10 2A 01 80 00 02", 0x00, rsp="14 2A 00", setup=hot_inlet, note="selective: UCR going high only",
         check=check(lambda w: sel(w) == ["20 00 04 01 01 01 59 2F 2D"])),
    Case("10 2A 01 01", 0xCC, "reserved"),
    Case("10 2A 01 80 00 80", 0xCC, "reserved", note="assertion MSB bit 7"),
    Case("10 2A 99 00", 0xCB, "missing"),
    Case("10 2A 01", 0xC7, "short", note="QEMU"),
    Case("10 2A 01 80 00 00 00 00 00", 0xC7, "long"),
    Case("10 2A 01 00", 0xD4, "privilege", privilege=P.USER),
    # -- Get Sensor Event Status (35.13) -------------------------------------------------------------------------
    Case("10 2B 01", 0x00, rsp="14 2B 00 C0 00 00 00 00", note="bug 18: no leading reading byte"),
    Case("10 2B 01", 0x00, "state", rsp="14 2B 00 C0 80 02 00 00", setup=hot_inlet, note="UNC and UCR asserted"),
    Case("10 2B 30", 0x00, rsp="14 2B 00 C0 01 00 00 00", note="PSU presence detected"),
    Case("10 2B 99", 0xCB, "missing"),
    Case("10 2B", 0xC7, "short"),
    Case("10 2B 01 00", 0xC7, "long"),
    Case("10 2B 01", 0xD4, "privilege", privilege=P.CALLBACK),
    # -- Get Sensor Reading (35.14) --------------------------------------------------------------------------------
    Case("10 2D 01", 0x00, rsp="14 2D 00 18 C0 00", note="24 C, events and scanning on, no threshold reached"),
    Case("10 2D 20", 0x00, rsp="14 2D 00 50 C0 00", note="12V: raw 80 = 12.0 V"),
    Case("10 2D 01", 0x00, "state", rsp="14 2D 00 2F C0 18", setup=hot_inlet, note="at or above UNC and UCR"),
    Case("10 2D 30", 0x00, rsp="14 2D 00 00 C0 01 00", note="discrete: states 0-7, then 8-14"),
    Case("10 2D 00", 0x00, rsp="14 2D 00 00 C0 00 00", note="QEMU: its watchdog sensor"),
    Case("10 2D 99", 0xCB, "missing", note="QEMU"),
    Case("10 2D", 0xC7, "short", note="QEMU"),
    Case("10 2D 01 00", 0xC7, "long"),
    Case("10 2D 01", 0xD4, "privilege", privilege=P.CALLBACK),
    # -- Set / Get Sensor Type (35.15, 35.16) --------------------------------------------------------------------
    Case("10 2E 30 08 70", 0x00, rsp="14 2E 00", note="an OEM event/reading type",
         check=check(lambda w: ask(w, "10 2F 30") == "14 2F 00 08 70")),
    Case("10 2E 30 08 EF", 0xCC, "reserved", note="reading type bit 7"),
    Case("10 2E 30 08 20", 0xCC, "range", note="reading type 20h is reserved"),
    Case("10 2E 01 01 6F", 0xCD, "state", note="a threshold sensor stays threshold-based"),
    Case("10 2E 99 08 6F", 0xCB, "missing", note="QEMU"),
    Case("10 2E 30 08", 0xC7, "short", note="QEMU"),
    Case("10 2E 30 08 6F 00", 0xC7, "long"),
    Case("10 2E 30 08 6F", 0xD4, "privilege", privilege=P.USER),
    Case("10 2F 00", 0x00, rsp="14 2F 00 23 6F", note="QEMU"),
    Case("10 2F 01", 0x00, rsp="14 2F 00 01 01"),
    Case("10 2F 99", 0xCB, "missing"),
    Case("10 2F", 0xC7, "short"),
    Case("10 2F 01 00", 0xC7, "long"),
    Case("10 2F 01", 0xD4, "privilege", privilege=P.CALLBACK),
    # -- Set Sensor Reading And Event Status (35.17) ----------------------------------------------------------------
    Case("10 30 01 01 2E", 0x00, rsp="14 30 00", note="bugs 16, 17: a threshold sensor, the BMC's event data",
         check=check(lambda w: sel(w) == ["20 00 04 01 01 01 57 2E 28", "20 00 04 01 01 01 59 2E 2D"])),
    Case("10 30 30 10 00 02 00", 0x00, rsp="14 30 00", setup=psu_states(0x0001), note="write states: failure",
         check=check(lambda w: sel(w) == ["20 00 04 08 30 6F 01 FF FF"]
                     and w.bmc.sensors.get(0x30).states == 0x0002)),
    Case("10 30 30 30 00 01 00", 0x00, rsp="14 30 00", setup=psu_states(0x0003),
         note="bug 15: 11b clears the given bits (QEMU kept old AND given)",
         check=check(lambda w: w.bmc.sensors.get(0x30).states == 0x0002 and sel(w) == [])),
    Case("10 30 30 20 00 08 00", 0x00, rsp="14 30 00", setup=psu_states(0x0001), note="10b sets the given bits",
         check=check(lambda w: w.bmc.sensors.get(0x30).states == 0x0009
                     and sel(w) == ["20 00 04 08 30 6F 03 FF FF"])),
    Case("10 30 30 04 00 00 00 01 00", 0x00, rsp="14 30 00", setup=psu_states(0x0001),
         note="deassertion bits: presence deasserted", check=check(lambda w: sel(w) == ["20 00 04 08 30 EF 00 FF FF"])),
    Case("10 30 30 50 00 02 00 00 00 A1 B2 C3", 0x00, rsp="14 30 00", setup=psu_states(0x0001),
         note="01b: the given event data, offset included",
         check=check(lambda w: sel(w) == ["20 00 04 08 30 6F A1 B2 C3"])),
    Case("10 30 30 90 00 02 00 00 00 A7 B2 C3", 0x00, rsp="14 30 00", setup=psu_states(0x0001),
         note="10b: the given event data, the BMC's offset",
         check=check(lambda w: sel(w) == ["20 00 04 08 30 6F A1 B2 C3"])),
    Case("10 30 30 C0 00", 0xCC, "reserved", note="QEMU: event data operation 11b"),
    Case("10 30 30 02 00", 0xCC, "reserved", note="QEMU: reading operation 10b"),
    Case("10 30 30 50 00 02 00 00 00", 0xCC, "range", note="QEMU: event data operation without the bytes"),
    Case("10 30 30 10 00", 0xCC, "range", note="assertion operation without the bytes"),
    Case("10 30 30 10 00 00 80", 0xCC, "reserved", note="assertion MSB bit 7"),
    Case("10 30 99 00 00", 0xCB, "missing", note="QEMU"),
    Case("10 30 30 00", 0xC7, "short", note="QEMU"),
    Case("10 30 30 00 00 00 00 00 00 00 00 00 00", 0xC7, "long"),
    Case("10 30 30 00 00", 0xD4, "privilege", privilege=P.USER),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id() for c in CASES])
def test_sensor_event_conformance(case):
    run_case(case)


def test_device_sdr_commands_are_local_only():
    w = fresh_world()
    for req in ("10 20", "10 21 00 00 00 00 00 FF", "10 22"):
        assert w.ipmid.handle(from_hex(req), channel=1)[2] == 0xD4
        assert w.ipmid.handle(from_hex(req), channel=Channel.SYSTEM_INTERFACE)[2] == 0x00


def test_platform_event_from_a_lan_session_has_no_generator_byte():
    w = fresh_world()
    assert w.ipmid.handle(from_hex("10 02 04 01 60 01 59 2D 2D"), channel=1)[2] == 0x00
    assert sel(w) == ["81 10 04 01 60 01 59 2D 2D"]   # the remote console's software ID, channel 1
    assert w.ipmid.handle(from_hex("10 02 41 04 01 60 01 59 2D 2D"), channel=1)[2] == 0xC7


def test_events_fire_on_every_transition_not_once_per_lifetime():
    """QEMU bug 14: its sensors log an offset's first assertion only."""
    w = fresh_world()
    for _ in range(3):
        assert ask(w, "10 30 01 01 2E") == "14 30 00"      # 46 C: UNC and UCR asserted
        assert ask(w, "10 30 01 01 18") == "14 30 00"      # 24 C: both deasserted
    assert [s[15:20] for s in sel(w)] == ["01 57", "01 59", "81 57", "81 59"] * 3
