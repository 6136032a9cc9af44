"""Conformance rows for the Storage commands (NetFn 0x0A): FRU, SDR repository, SEL.

Every row starts from fresh stores (``open_stores()``: empty SEL and SDR
repository, FRU 0 = 1024 zero bytes, as QEMU's ``ipmi-bmc-sim``), so the
rows hold whatever the default world later puts in its stores.  Replies
that QEMU shares are its bytes (qemu-ipmi.md 3.2, 4.4) except:

- the operation-support bytes of Get SEL Info (0x0F) and Get SDR Repository
  Info (0x2F) advertise the commands implemented here (QEMU: 0x02 / 0x22);
- record ids start at 1: 0000h means "first" (Table 32-1 forbids it as a SEL
  record id); QEMU numbers from 0;
- QEMU bugs 5-10 (qemu-ipmi.md 3.12), fixed on purpose, each named in a note.
"""

import pytest

from bmc.ipmi.msg import from_hex, hexdump
from bmc.privilege import Privilege
from buses.time import S
from tests.conformance import Case, run_case

CB = Privilege.CALLBACK
USER = Privilege.USER

# QEMU's built-in SDR (qemu-ipmi.md 3.6): a compact sensor record for the watchdog, 40 bytes.
WATCHDOG_SDR = ("00 00 51 02 23 20 00 00 23 01 63 00 23 6F 0F 01 00 00 00 00 00 00 00 00 00 00"
                " 00 00 00 00 00 C8" + "".join(f" {c:02X}" for c in b"Watchdog"))
# The same record as stored: id 0001h.
WATCHDOG_SDR_1 = "01 00" + WATCHDOG_SDR[5:]
EVENT = "00 00 02 00 00 00 00 20 00 04 23 00 6F 01 FF FF"       # a watchdog event, id and time to fill in
OEM_NT = "00 00 E0 11 22 33 44 55 66 77 88 99 AA BB CC DD"       # OEM non-timestamped: kept as given


def ask(w, request: str, privilege=Privilege.ADMINISTRATOR, t=None) -> str:
    return hexdump(w.ipmid.handle(from_hex(request), privilege=privilege, t=t))


def given(*steps):
    """A setup: fresh stores, then each step (a request that must succeed, or a callable)."""
    def setup(w):
        w.bmc.open_stores()
        for step in steps:
            if callable(step):
                step(w)
            else:
                rsp = w.ipmid.handle(from_hex(step))
                assert rsp[2] == 0, f"setup {step}: {hexdump(rsp)}"
    return setup


def reserve_sdr(w):
    w.bmc.sdr.reserve()


def reserve_sel(w):
    w.bmc.sel.reserve()


def add_sdr(w):
    w.bmc.sdr.add(from_hex(WATCHDOG_SDR), 0)


def add_sel(w, n=1):
    for _ in range(n):
        w.bmc.sel.add(from_hex(EVENT), 0)


def add_sel3(w):
    add_sel(w, 3)


def fill_sdr(w):
    w.bmc.sdr.add(bytes(4) + bytes((250,)) + bytes(250), 0)   # one 255-byte record


def set_clock(w):
    w.bmc.sel_time_offset = 0x12345678


def log_dropped(w):
    assert w.bmc.sel.log_event(from_hex(EVENT), 0) is None


def small(w):
    w.bmc.open_stores(sel_capacity=1, sdr_capacity=255)


def expect(request: str, rsp_hex: str, privilege=Privilege.ADMINISTRATOR, t=None):
    """A check: a follow-up request answers exactly ``rsp_hex``."""
    def check(w, _rsp):
        got = ask(w, request, privilege, t)
        assert got == rsp_hex, f"after the case, {request} -> {got}, expected {rsp_hex}"
    return check


def both(*checks):
    def check(w, rsp):
        for c in checks:
            c(w, rsp)
    return check


fresh = given()

# -- FRU inventory ---------------------------------------------------------------------------------

FRU = [
    Case("28 10 00", 0x00, rsp="2C 10 00 00 04 00", setup=fresh, note="QEMU 4.4: 1024-byte FRU 0"),
    Case("28 10", 0xC7, "short", setup=fresh),
    Case("28 10 00 00", 0xC7, "long", setup=fresh),
    Case("28 10 01", 0xCC, "missing", rsp="2C 10 CC", setup=fresh, note="QEMU 4.4: no FRU 1 -> 0xCC"),
    Case("28 10 FF", 0xCC, "reserved", setup=fresh, note="FRU device id 0xFF is reserved"),
    Case("28 10 00", 0xD4, "privilege", privilege=CB, setup=fresh),

    Case("28 11 00 00 00 04", 0x00, rsp="2C 11 00 04 00 00 00 00", setup=fresh),
    Case("28 11 00 FF 03 10", 0x00, "range", rsp="2C 11 00 01 00", setup=fresh,
         note="QEMU bug 10 fixed: the last byte (offset size-1) is readable"),
    Case("28 11 00 00 04 01", 0xCC, "range", setup=fresh, note="offset = size"),
    Case("28 11 00 00 00", 0xC7, "short", setup=fresh),
    Case("28 11 00 00 00 01 00", 0xC7, "long", setup=fresh),
    Case("28 11 01 00 00 01", 0xCC, "missing", setup=fresh),
    Case("28 11 00 00 00 01", 0xD4, "privilege", privilege=CB, setup=fresh),

    Case("28 12 00 10 00 AA BB", 0x00, rsp="2C 12 00 02", setup=fresh,
         check=expect("28 11 00 0F 00 04", "2C 11 00 04 00 AA BB 00")),
    Case("28 12 00 FF 03 AA BB", 0x00, "range", rsp="2C 12 00 01", setup=fresh,
         check=expect("28 11 00 FF 03 01", "2C 11 00 01 AA"),
         note="QEMU bug 10 fixed: the last byte is writable; the count says 1 of 2 fit"),
    Case("28 12 00 00 04 AA", 0xCC, "range", setup=fresh),
    Case("28 12 01 00 00 AA", 0xCC, "missing", setup=fresh),
    Case("28 12 00 00", 0xC7, "short", setup=fresh),
    Case("28 12 00 00 00" + " 00" * 256, 0xC7, "long", setup=fresh, note="the count written is one byte"),
    Case("28 12 00 00 00 AA", 0xD4, "privilege", privilege=USER, setup=fresh),
]

# -- SDR repository -------------------------------------------------------------------------------------

SDR_INFO_EMPTY = "2C 20 00 51 00 00 00 40 FF FF FF FF FF FF FF FF 2F"

SDR = [
    Case("28 20", 0x00, rsp=SDR_INFO_EMPTY, setup=fresh),
    Case("28 20", 0x00, "state", rsp="2C 20 00 51 01 00 D8 3F 00 00 00 00 FF FF FF FF 2F", setup=given(add_sdr),
         note="QEMU 4.4 with its built-in record: count 1, 16384 - 40 = 16344 bytes free"),
    Case("28 20", 0x00, "state", rsp="2C 20 00 51 01 00 D8 3F 00 00 00 00 00 00 00 00 2F",
         setup=given(add_sdr, add_sdr, reserve_sdr, "28 26 01 00 01 00"),
         note="QEMU bug 9 fixed: the record count is the live count, not the next record id"),
    Case("28 20 00", 0xC7, "long", setup=fresh),
    Case("28 20", 0xD4, "privilege", privilege=CB, setup=fresh),

    Case("28 21", 0x00, rsp="2C 21 00 00 40 01 00 00 40 00 40 FF", setup=fresh),
    Case("28 21", 0x00, "state", rsp="2C 21 00 00 40 01 00 D8 3F D8 3F FF", setup=given(add_sdr)),
    Case("28 21 00", 0xC7, "long", setup=fresh),
    Case("28 21", 0xD4, "privilege", privilege=CB, setup=fresh),

    Case("28 22", 0x00, rsp="2C 22 00 01 00", setup=fresh),
    Case("28 22", 0x00, "reservation", rsp="2C 22 00 02 00", setup=given("28 22"),
         check=expect("28 23 01 00 01 00 05 01", "2C 23 C5"),
         note="QEMU bug 8 fixed: every Reserve issues a new id and cancels the old one"),
    Case("28 22 00", 0xC7, "long", setup=fresh),
    Case("28 22", 0xD4, "privilege", privilege=CB, setup=fresh),

    Case("28 23 00 00 00 00 00 FF", 0x00, rsp=f"2C 23 00 FF FF {WATCHDOG_SDR_1}", setup=given(add_sdr),
         note="QEMU 4.4 except the record id: 0001h, as 0000h means 'first record'"),
    Case("28 23 00 00 FF FF 00 05", 0x00, rsp="2C 23 00 FF FF 02 00 51 02 23", setup=given(add_sdr, add_sdr),
         note="FFFFh = last record"),
    Case("28 23 00 00 01 00 00 05", 0x00, rsp="2C 23 00 02 00 01 00 51 02 23", setup=given(add_sdr, add_sdr),
         note="the next record id"),
    Case("28 23 01 00 01 00 20 FF", 0x00, rsp="2C 23 00 FF FF 57 61 74 63 68 64 6F 67",
         setup=given(add_sdr, reserve_sdr), note="a partial read with the reservation"),
    Case("28 23 01 00 01 00 24 10", 0x00, "range", rsp="2C 23 00 FF FF 68 64 6F 67",
         setup=given(add_sdr, reserve_sdr), note="a count past the end returns the bytes there are"),
    Case("28 23 01 00 01 00 29 01", 0xC9, "range", setup=given(add_sdr, reserve_sdr),
         note="QEMU: offset beyond the record -> 0xC9"),
    Case("28 23 00 00 01 00 05 01", 0xC5, "reservation", setup=given(add_sdr),
         note="a partial read (offset != 0) needs the reservation"),
    Case("28 23 01 00 01 00 05 01", 0xC5, "reservation", setup=given(add_sdr, reserve_sdr, add_sdr),
         note="Add SDR cancels the reservation"),
    Case("28 23 00 00 05 00 00 FF", 0xCB, "missing", setup=given(add_sdr)),
    Case("28 23 00 00 00 00 00 FF", 0xCB, "missing", setup=fresh, note="an empty repository has no first record"),
    Case("28 23 00 00 00 00 00", 0xC7, "short", setup=fresh),
    Case("28 23 00 00 00 00 00 FF 00", 0xC7, "long", setup=fresh),
    Case("28 23 00 00 00 00 00 FF", 0xD4, "privilege", privilege=CB, setup=given(add_sdr)),

    Case(f"28 24 {WATCHDOG_SDR}", 0x00, rsp="2C 24 00 01 00", setup=fresh,
         check=expect("28 23 00 00 01 00 00 FF", f"2C 23 00 FF FF {WATCHDOG_SDR_1}"),
         note="QEMU bug 5 fixed: Add SDR stores the request's record (QEMU read 10 bytes in and answered 0xCC)"),
    Case(f"28 24 {WATCHDOG_SDR}", 0x00, "reservation", rsp="2C 24 00 01 00", setup=given(reserve_sdr),
         check=expect("28 26 01 00 01 00", "2C 26 C5"), note="Add SDR cancels the reservation"),
    Case("28 24 00 00 51 12 0B 00 00 00", 0x80, "range", setup=fresh,
         note="the header's length byte (0Bh) disagrees with the 3 body bytes sent"),
    Case(f"28 24 {WATCHDOG_SDR}", 0xC4, "state", setup=given(small, fill_sdr),
         check=lambda w, _r: w.bmc.sdr.info()[-1] & 0x80 or pytest.fail("overflow flag not set"),
         note="full: 0xC4 and the overflow flag"),
    Case("28 24 00 00 51 12", 0xC7, "short", setup=fresh),
    Case("28 24 00 00 51 C0 FB" + " 00" * 251, 0xC7, "long", setup=fresh, note="256 bytes"),
    Case(f"28 24 {WATCHDOG_SDR}", 0xD4, "privilege", privilege=USER, setup=fresh),

    Case(f"28 25 01 00 00 00 00 01 {WATCHDOG_SDR}", 0x00, rsp="2C 25 00 01 00", setup=given(reserve_sdr),
         check=expect("28 23 00 00 01 00 00 FF", f"2C 23 00 FF FF {WATCHDOG_SDR_1}")),
    Case(f"28 25 01 00 01 00 0A 01 {WATCHDOG_SDR[30:]}", 0x00, "state", rsp="2C 25 00 01 00",
         setup=given(reserve_sdr, f"28 25 01 00 00 00 00 00 {WATCHDOG_SDR[:29]}"),
         check=expect("28 23 00 00 01 00 00 FF", f"2C 23 00 FF FF {WATCHDOG_SDR_1}"),
         note="two pieces: 10 bytes, then the rest at offset 10"),
    Case(f"28 25 01 00 01 00 0A 00 {WATCHDOG_SDR[30:]}", 0x00, "state", rsp="2C 25 00 01 00",
         setup=given(reserve_sdr, f"28 25 01 00 00 00 00 00 {WATCHDOG_SDR[:29]}"),
         check=expect("28 20", SDR_INFO_EMPTY), note="nothing is stored before the last piece"),
    Case(f"28 25 00 00 00 00 00 01 {WATCHDOG_SDR}", 0xC5, "reservation", setup=fresh),
    Case("28 25 01 00 05 00 00 01 00", 0xCB, "missing", setup=given(reserve_sdr),
         note="no partial add of record 0005h in progress"),
    Case("28 25 01 00 00 00 03 00 00", 0xC9, "range", setup=given(reserve_sdr),
         note="a first piece starts at offset 0"),
    Case("28 25 01 00 00 00 00 11 00 00", 0xCC, "reserved", setup=given(reserve_sdr), note="in-progress bits 7:4"),
    Case("28 25 01 00 00 00 00 02 00 00", 0xCC, "reserved", setup=given(reserve_sdr), note="in-progress 2h"),
    Case(f"28 25 01 00 00 00 00 01 {WATCHDOG_SDR[:29]}", 0x80, "range", setup=given(reserve_sdr),
         note="the last piece leaves the record shorter than its header says"),
    Case("28 25 01 00 00 00 00", 0xC7, "short", setup=fresh),
    Case("28 25 01 00 00 00 00 01" + " 00" * 256, 0xC7, "long", setup=fresh),
    Case(f"28 25 01 00 00 00 00 01 {WATCHDOG_SDR}", 0xD4, "privilege", privilege=USER, setup=given(reserve_sdr)),

    Case("28 26 01 00 01 00", 0x00, rsp="2C 26 00 01 00", setup=given(add_sdr, reserve_sdr),
         check=both(expect("28 23 00 00 01 00 00 05", "2C 23 CB"),
                    expect("28 26 01 00 01 00", "2C 26 C5"))),
    Case("28 26 01 00 05 00", 0xCB, "missing", setup=given(add_sdr, reserve_sdr)),
    Case("28 26 00 00 01 00", 0xC5, "reservation", setup=given(add_sdr)),
    Case("28 26 01 00 01", 0xC7, "short", setup=given(add_sdr, reserve_sdr)),
    Case("28 26 01 00 01 00 00", 0xC7, "long", setup=given(add_sdr, reserve_sdr)),
    Case("28 26 01 00 01 00", 0xD4, "privilege", privilege=USER, setup=given(add_sdr, reserve_sdr)),

    Case("28 27 01 00 43 4C 52 AA", 0x00, rsp="2C 27 00 01", setup=given(add_sdr, reserve_sdr),
         check=both(expect("28 20", "2C 20 00 51 00 00 00 40 00 00 00 00 00 00 00 00 2F"),
                    expect("28 27 01 00 43 4C 52 00", "2C 27 C5"))),
    Case("28 27 01 00 43 4C 52 00", 0x00, "state", rsp="2C 27 00 01", setup=given(add_sdr, reserve_sdr),
         check=expect("28 20", "2C 20 00 51 01 00 D8 3F 00 00 00 00 FF FF FF FF 2F"),
         note="0x00 asks for the erasure status and erases nothing"),
    Case("28 27 01 00 43 4C 51 AA", 0xCC, "reserved", setup=given(reserve_sdr), note="not 'CLR'"),
    Case("28 27 01 00 43 4C 52 55", 0xCC, "reserved", setup=given(reserve_sdr), note="neither 0xAA nor 0x00"),
    Case("28 27 00 00 43 4C 52 AA", 0xC5, "reservation", setup=fresh, note="QEMU: always needs the reservation"),
    Case("28 27 01 00 43 4C 52", 0xC7, "short", setup=given(reserve_sdr)),
    Case("28 27 01 00 43 4C 52 AA 00", 0xC7, "long", setup=given(reserve_sdr)),
    Case("28 27 01 00 43 4C 52 AA", 0xD4, "privilege", privilege=USER, setup=given(reserve_sdr)),

    Case("28 28", 0x00, rsp="2C 28 00 00 00 00 00", setup=fresh),
    Case("28 28 00", 0xC7, "long", setup=fresh),
    Case("28 28", 0xD4, "privilege", privilege=CB, setup=fresh),
    Case("28 29 00 E1 F5 05", 0x00, rsp="2C 29 00", setup=fresh,
         check=expect("28 28", "2C 28 00 64 E1 F5 05", t=100 * S), note="the time set, 100 s later"),
    Case("28 29 00 E1 F5", 0xC7, "short", setup=fresh),
    Case("28 29 00 E1 F5 05 00", 0xC7, "long", setup=fresh),
    Case("28 29 00 E1 F5 05", 0xD4, "privilege", privilege=USER, setup=fresh),
]

# -- SEL ----------------------------------------------------------------------------------------------

SEL_INFO_EMPTY = "2C 40 00 51 00 00 00 08 FF FF FF FF FF FF FF FF 0F"


def sel_full_info(w, _rsp):
    info = w.bmc.sel.info()
    assert info[-1] == 0x8F, f"operation support 0x{info[-1]:02X}: the overflow flag is not set"


SEL = [
    Case("28 40", 0x00, rsp=SEL_INFO_EMPTY, setup=fresh,
         note="QEMU 4.4 ('28 40' on an empty SEL) except the support byte: delete, partial add, alloc info"),
    Case("28 40", 0x00, "state", rsp="2C 40 00 51 01 00 F0 07 00 00 00 00 FF FF FF FF 0F", setup=given(add_sel)),
    Case("28 40 00", 0xC7, "long", setup=fresh),
    Case("28 40", 0xD4, "privilege", privilege=CB, setup=fresh),

    Case("28 41", 0x00, rsp="2C 41 00 80 00 10 00 80 00 80 00 01", setup=fresh),
    Case("28 41", 0x00, "state", rsp="2C 41 00 80 00 10 00 7D 00 7D 00 01", setup=given(add_sel3)),
    Case("28 41 00", 0xC7, "long", setup=fresh),
    Case("28 41", 0xD4, "privilege", privilege=CB, setup=fresh),

    Case("28 42", 0x00, rsp="2C 42 00 01 00", setup=fresh),
    Case("28 42", 0x00, "reservation", rsp="2C 42 00 02 00", setup=given("28 42"),
         check=expect("28 46 01 00 01 00", "2C 46 C5"),
         note="QEMU bug 8 fixed: every Reserve SEL issues a new id and cancels the old one"),
    Case("28 42 00", 0xC7, "long", setup=fresh),
    Case("28 42", 0xD4, "privilege", privilege=CB, setup=fresh),

    Case("28 43 00 00 00 00 00 FF", 0x00, rsp="2C 43 00 02 00 01 00 02 00 00 00 00 20 00 04 23 00 6F 01 FF FF",
         setup=given(add_sel, add_sel), note="0000h = first; the next id follows"),
    Case("28 43 00 00 FF FF 00 FF", 0x00, rsp="2C 43 00 FF FF 03 00 02 00 00 00 00 20 00 04 23 00 6F 01 FF FF",
         setup=given(add_sel3), note="FFFFh = last; its next id is FFFFh"),
    Case("28 43 01 00 02 00 0D 03", 0x00, rsp="2C 43 00 03 00 01 FF FF", setup=given(add_sel3, reserve_sel),
         note="a partial read with the reservation"),
    Case("28 43 00 00 01 00 0D 03", 0xC5, "reservation", setup=given(add_sel),
         note="a partial read (offset != 0) needs the reservation"),
    Case("28 43 01 00 01 00 0D 03", 0xC5, "reservation", setup=given(add_sel, reserve_sel, add_sel),
         note="an added entry cancels the reservation"),
    Case("28 43 00 00 00 00 00 FF", 0xCB, "missing", rsp="2C 43 CB", setup=fresh, note="QEMU: an empty SEL -> 0xCB"),
    Case("28 43 00 00 07 00 00 FF", 0xCB, "missing", setup=given(add_sel)),
    Case("28 43 01 00 01 00 10 01", 0xCC, "range", setup=given(add_sel, reserve_sel), note="QEMU: offset > 15"),
    Case("28 43 01 00 01 00 0A 07", 0xCC, "range", setup=given(add_sel, reserve_sel), note="QEMU: past byte 16"),
    Case("28 43 00 00 00 00 00", 0xC7, "short", setup=fresh),
    Case("28 43 00 00 00 00 00 FF 00", 0xC7, "long", setup=fresh),
    Case("28 43 00 00 00 00 00 FF", 0xD4, "privilege", privilege=CB, setup=given(add_sel)),

    Case(f"28 44 {EVENT}", 0x00, rsp="2C 44 00 01 00", setup=given(set_clock),
         check=expect("28 43 00 00 01 00 00 FF", "2C 43 00 FF FF 01 00 02 78 56 34 12 20 00 04 23 00 6F 01 FF FF"),
         note="the id (0001h) and the timestamp are filled in"),
    Case(f"28 44 {OEM_NT}", 0x00, "state", rsp="2C 44 00 01 00", setup=fresh,
         check=expect("28 43 00 00 01 00 00 FF", "2C 43 00 FF FF 01 00" + OEM_NT[5:]),
         note="an OEM non-timestamped record keeps bytes 3-15"),
    Case(f"28 44 {EVENT}", 0x00, "reservation", setup=given(add_sel, reserve_sel),
         check=expect("28 46 01 00 01 00", "2C 46 C5"), note="Add SEL Entry cancels the reservation"),
    Case("28 44 00 00 01 00 00 00 00 20 00 04 23 00 6F 01 FF FF", 0x80, "reserved", setup=fresh,
         note="record type 0x01 is not defined"),
    Case(f"28 44 {EVENT}", 0xC4, "state", setup=given(small, add_sel), check=sel_full_info,
         note="full: 0xC4 and the overflow flag (QEMU too)"),
    Case("28 44 00 00 02 00 00 00 00 20 00 04 23 00 6F 01 FF", 0xC7, "short", setup=fresh),
    Case(f"28 44 {EVENT} 00", 0xC7, "long", setup=fresh),
    Case(f"28 44 {EVENT}", 0xD4, "privilege", privilege=USER, setup=fresh),

    Case(f"28 45 01 00 00 00 00 01 {EVENT}", 0x00, rsp="2C 45 00 01 00", setup=given(reserve_sel),
         check=expect("28 40", "2C 40 00 51 01 00 F0 07 00 00 00 00 FF FF FF FF 0F")),
    Case(f"28 45 01 00 01 00 08 01 {EVENT[24:]}", 0x00, "state", rsp="2C 45 00 01 00",
         setup=given(reserve_sel, f"28 45 01 00 00 00 00 00 {EVENT[:23]}"),
         check=expect("28 43 00 00 01 00 00 FF", "2C 43 00 FF FF 01 00 02 00 00 00 00 20 00 04 23 00 6F 01 FF FF"),
         note="two pieces of 8 bytes"),
    Case(f"28 45 00 00 00 00 00 01 {EVENT}", 0xC5, "reservation", setup=fresh),
    Case("28 45 01 00 09 00 08 01 00", 0xCB, "missing", setup=given(reserve_sel)),
    Case("28 45 01 00 00 00 02 01 00", 0xC9, "range", setup=given(reserve_sel)),
    Case(f"28 45 01 00 00 00 00 21 {EVENT}", 0xCC, "reserved", setup=given(reserve_sel)),
    Case("28 45 01 00 00 00 00 01 00 00 02 00", 0x80, "range", setup=given(reserve_sel),
         note="the last piece leaves the record short of 16 bytes"),
    Case("28 45 01 00 00 00 00", 0xC7, "short", setup=given(reserve_sel)),
    Case(f"28 45 01 00 00 00 00 01 {EVENT} 00", 0xC7, "long", setup=given(reserve_sel)),
    Case(f"28 45 01 00 00 00 00 01 {EVENT}", 0xD4, "privilege", privilege=USER, setup=given(reserve_sel)),

    Case("28 46 01 00 02 00", 0x00, rsp="2C 46 00 02 00", setup=given(add_sel3, reserve_sel),
         check=expect("28 43 00 00 01 00 00 02", "2C 43 00 03 00 01 00"), note="the next id skips the hole"),
    Case("28 46 01 00 00 00", 0x00, "state", rsp="2C 46 00 01 00", setup=given(add_sel3, reserve_sel),
         note="0000h = the first entry"),
    Case("28 46 01 00 FF FF", 0x00, "state", rsp="2C 46 00 03 00", setup=given(add_sel3, reserve_sel),
         note="FFFFh = the last entry"),
    Case("28 46 01 00 07 00", 0xCB, "missing", setup=given(add_sel, reserve_sel)),
    Case("28 46 00 00 01 00", 0xC5, "reservation", setup=given(add_sel)),
    Case("28 46 01 00 01", 0xC7, "short", setup=given(add_sel, reserve_sel)),
    Case("28 46 01 00 01 00 00", 0xC7, "long", setup=given(add_sel, reserve_sel)),
    Case("28 46 01 00 01 00", 0xD4, "privilege", privilege=USER, setup=given(add_sel, reserve_sel)),

    Case("28 47 01 00 43 4C 52 AA", 0x00, rsp="2C 47 00 01", setup=given(add_sel, add_sdr, reserve_sel),
         check=both(expect("28 40", "2C 40 00 51 00 00 00 08 00 00 00 00 00 00 00 00 0F"),
                    expect("28 20", "2C 20 00 51 01 00 D8 3F 00 00 00 00 FF FF FF FF 2F")),
         note="QEMU bug 6 fixed: the SEL's last-erase time is stamped, the SDR repository's is not"),
    Case("28 47 01 00 43 4C 52 00", 0x00, "state", rsp="2C 47 00 01", setup=given(add_sel, reserve_sel),
         check=expect("28 40", "2C 40 00 51 01 00 F0 07 00 00 00 00 FF FF FF FF 0F")),
    Case("28 47 01 00 43 4C 52 AA", 0x00, "state", rsp="2C 47 00 01",
         setup=given(small, add_sel, log_dropped, reserve_sel),
         check=lambda w, _r: w.bmc.sel.info()[-1] == 0x0F or pytest.fail("overflow flag still set"),
         note="Clear SEL clears the overflow flag"),
    Case("28 47 01 00 43 4C 52 AB", 0xCC, "reserved", setup=given(reserve_sel)),
    Case("28 47 01 00 00 00 00 AA", 0xCC, "reserved", setup=given(reserve_sel)),
    Case("28 47 02 00 43 4C 52 AA", 0xC5, "reservation", setup=given(reserve_sel)),
    Case("28 47 01 00 43 4C 52", 0xC7, "short", setup=given(reserve_sel)),
    Case("28 47 01 00 43 4C 52 AA 00", 0xC7, "long", setup=given(reserve_sel)),
    Case("28 47 01 00 43 4C 52 AA", 0xD4, "privilege", privilege=USER, setup=given(reserve_sel)),

    Case("28 48", 0x00, rsp="2C 48 00 00 00 00 00", setup=fresh),
    Case("28 48 00", 0xC7, "long", setup=fresh),
    Case("28 48", 0xD4, "privilege", privilege=CB, setup=fresh),
    Case("28 49 00 E1 F5 05", 0x00, rsp="2C 49 00", setup=fresh,
         check=expect("28 48", "2C 48 00 64 E1 F5 05", t=100 * S),
         note="QEMU bug 7 fixed: Get SEL Time reads the time set plus the time since (QEMU: about 2 x now - value)"),
    Case("28 49 00 E1 F5", 0xC7, "short", setup=fresh),
    Case("28 49 00 E1 F5 05 00", 0xC7, "long", setup=fresh),
    Case("28 49 00 E1 F5 05", 0xD4, "privilege", privilege=USER, setup=fresh),

    Case("28 5C", 0x00, rsp="2C 5C 00 FF 07", setup=fresh, note="07FFh: unspecified"),
    Case("28 5C 00", 0xC7, "long", setup=fresh),
    Case("28 5C", 0xD4, "privilege", privilege=CB, setup=fresh),
    Case("28 5D D4 FE", 0x00, rsp="2C 5D 00", setup=fresh, check=expect("28 5C", "2C 5C 00 D4 FE"),
         note="-300 minutes (UTC-5)"),
    Case("28 5D A0 05", 0x00, "range", setup=fresh, note="+1440 minutes: the limit"),
    Case("28 5D A1 05", 0xC9, "range", setup=fresh, note="+1441 minutes"),
    Case("28 5D 5F FA", 0xC9, "range", setup=fresh, note="-1441 minutes"),
    Case("28 5D D4", 0xC7, "short", setup=fresh),
    Case("28 5D D4 FE 00", 0xC7, "long", setup=fresh),
    Case("28 5D D4 FE", 0xD4, "privilege", privilege=USER, setup=fresh),
]

CASES = FRU + SDR + SEL


@pytest.mark.parametrize("case", CASES, ids=[c.id() for c in CASES])
def test_storage(case):
    run_case(case)


def test_each_fixed_qemu_bug_has_its_row():
    notes = " ".join(c.note for c in CASES)
    for bug in range(5, 11):
        assert f"QEMU bug {bug} fixed" in notes, bug
