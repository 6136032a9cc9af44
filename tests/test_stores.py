"""The BMC's stores: SEL, SDR repository and FRU devices, in memory and persisted (bmc/store.py)."""

import datetime as dt
import sqlite3

import pytest

from bmc.bmc import Bmc
from bmc.fru import (
    BoardInfo,
    ChassisInfo,
    FruDevices,
    FruFormatError,
    FruInventory,
    ProductInfo,
    frudatafile_bytes,
    minutes_since_1996,
    parse_frudatafile,
)
from bmc.ipmi.cc import IpmiError
from bmc.ipmi.msg import from_hex, hexdump
from bmc.ipmid import Ipmid
from bmc.sdr import Sdr, parse_sdrfile, sdrfile_bytes
from bmc.sel import Sel
from bmc.store import Store, StoreError
from buses import Simulation
from buses.time import S
from tests.test_conformance_storage import EVENT, WATCHDOG_SDR

WD = from_hex(WATCHDOG_SDR)
EV = from_hex(EVENT)


def sdr_record(body: bytes, rtype: int = 0xC0) -> bytes:
    return bytes((0, 0, 0x51, rtype, len(body))) + body


def make(state_dir=None, **kw):
    sim = Simulation()
    bmc = Bmc(sim, state_dir=state_dir, **kw)
    return sim, bmc, Ipmid(sim, bmc, raise_unexpected=True)


def ask(ipmid, request, t=None):
    return hexdump(ipmid.handle(from_hex(request), t=t))


# -- persistence ------------------------------------------------------------------------------------


def test_everything_survives_a_reopen(tmp_path):
    sim, bmc, ipmid = make(tmp_path)
    assert bmc.store.persistent and (tmp_path / "bmc.sqlite3").exists()
    ids = [bmc.sel.add(EV, 5 * S) for _ in range(3)]
    bmc.sel.delete(ids[1], 6 * S)
    bmc.sel.set_utc_offset(-300)
    sdr_ids = [bmc.sdr.add(WD, 7 * S), bmc.sdr.add(sdr_record(b"oem"), 7 * S)]
    assert ask(ipmid, "28 12 00 10 00 DE AD BE EF") == "2C 12 00 04"
    before = (bmc.sel.records(), bmc.sel.info(), bmc.sdr.records(), bmc.sdr.info(), bmc.fru[0].data)
    bmc.store.close()

    _, again, ipmid2 = make(tmp_path)
    after = (again.sel.records(), again.sel.info(), again.sdr.records(), again.sdr.info(), again.fru[0].data)
    assert after == before
    assert again.sel.ids() == [ids[0], ids[2]] and again.sdr.ids() == sdr_ids
    assert again.sel.utc_offset == -300
    # Ids go on from where they were; reservations do not survive (they are volatile).
    assert again.sel.add(EV, 0) == 4 and again.sdr.add(WD, 0) == 3
    assert ask(ipmid2, "28 42") == "2C 42 00 01 00"
    again.store.close()


def test_the_overflow_flag_persists(tmp_path):
    _, bmc, _ = make(tmp_path)
    bmc.open_stores(tmp_path, sel_capacity=1)
    bmc.sel.add(EV, 0)
    assert bmc.sel.log_event(EV, 0) is None
    bmc.store.close()
    _, again, _ = make(tmp_path)
    assert again.sel.overflow and again.sel.info()[-1] == 0x8F
    again.store.close()


def test_a_second_bmc_on_the_same_state_dir_is_refused(tmp_path):
    _, bmc, _ = make(tmp_path)
    with pytest.raises(StoreError, match="in use by another BMC"):
        Store(tmp_path)
    bmc.store.close()
    Store(tmp_path).close()   # free again once the first let go


def test_bad_state_dirs_name_the_path(tmp_path):
    f = tmp_path / "afile"
    f.write_text("x")
    with pytest.raises(StoreError, match=f"state_dir '{f}' is not a directory"):
        Store(f)
    d = tmp_path / "junk"
    d.mkdir()
    (d / "bmc.sqlite3").write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match="junk.*not a usable database"):
        Store(d)
    with pytest.raises(ValueError, match="synchronous 'sometimes' not one of FULL, NORMAL, EXTRA"):
        Store(None, synchronous="sometimes")


def test_wal_and_synchronous_are_set(tmp_path):
    for sync, code in (("FULL", 2), ("NORMAL", 1)):
        s = Store(tmp_path / sync, synchronous=sync)
        assert s._conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert s._conn.execute("PRAGMA synchronous").fetchone()[0] == code
        s.close()


def test_a_failed_commit_changes_nothing(monkeypatch):
    sim = Simulation()
    store = Store()
    sdr = Sdr(sim, store, lambda t: t // S)
    sdr.add(WD, 0)
    calls = []

    def failing_put(*args):
        calls.append(args)
        if len(calls) == 2:
            raise sqlite3.OperationalError("disk I/O error")
        return Store.put(store, *args)

    monkeypatch.setattr(store, "put", failing_put)
    with pytest.raises(sqlite3.OperationalError):
        sdr.import_sdrfile(sdrfile_bytes([WD, WD, WD]))
    monkeypatch.undo()
    assert sdr.ids() == [1] and sdr.info()[1:3] == b"\x01\x00"
    assert [i for i, _ in store.load("sdr")[0]] == [1]
    assert sdr.add(WD, 0) == 2   # the id counter did not move either


def test_open_stores_with_a_bad_capacity_keeps_the_old_stores():
    _, bmc, _ = make()
    bmc.sel.add(EV, 0)
    old = bmc.sel
    with pytest.raises(ValueError, match="sel capacity 0 out of range 1-4095"):
        bmc.open_stores(sel_capacity=0)
    with pytest.raises(ValueError, match="sdr capacity 10 out of range"):
        bmc.open_stores(sdr_capacity=10)
    assert bmc.sel is old and len(bmc.sel) == 1


# -- SEL ----------------------------------------------------------------------------------------------


def test_raise_event_logs_into_the_sel():
    sim, bmc, ipmid = make()
    bmc.sel_time_offset = 1000
    record = bmc.event_record(0x23, 0, 0x6F, 0x01, t=3 * S)
    bmc.raise_event(record, 3 * S)
    stored = bmc.sel.record(1)
    assert stored[:2] == b"\x01\x00" and stored[2:] == record[2:]
    assert stored[3:7] == (1003).to_bytes(4, "little")
    assert ask(ipmid, "28 40")[12:17] == "01 00"


def test_a_full_sel_drops_events_and_sets_overflow():
    _, bmc, _ = make()
    bmc.open_stores(sel_capacity=2)
    for _ in range(3):
        bmc.raise_event(bmc.event_record(0x23, 0, 0x6F, 0x01), 0)
    assert len(bmc.sel) == 2 and bmc.sel.overflow


def test_sel_ids_skip_reserved_values_and_restart_after_clear():
    sim = Simulation()
    sel = Sel(sim, Store(), lambda t: 0)
    sel.next_id = 0xFFFE
    assert [sel.add(EV, 0) for _ in range(3)] == [0xFFFE, 1, 2]
    assert sel.get(0)[0][:2] == b"\xfe\xff"   # first in repository order
    assert sel.get(0xFFFF)[0][:2] == b"\x02\x00"
    sel.clear(0)
    assert sel.add(EV, 0) == 1


def test_reservations_count_up_and_wrap_past_zero():
    sel = Sel(Simulation(), Store(), lambda t: 0)
    assert [sel.reserve() for _ in range(3)] == [1, 2, 3]
    sel._last_reservation = 0xFFFE
    assert [sel.reserve(), sel.reserve()] == [0xFFFF, 1]
    with pytest.raises(IpmiError, match="RESERVATION_CANCELED"):
        sel.check_reservation(0xFFFF)
    sel.check_reservation(1)


def test_sel_time_and_sdr_time_are_one_clock():
    _, bmc, ipmid = make()
    ask(ipmid, "28 49 00 00 00 10", t=50 * S)     # Set SEL Time 0x10000000 at 50 s
    assert ask(ipmid, "28 28", t=60 * S) == "2C 28 00 0A 00 00 10"
    assert bmc.timestamp(60 * S) == 0x1000000A


# -- SDR ------------------------------------------------------------------------------------------------


def test_sdr_add_get_next_and_free_space():
    _, bmc, ipmid = make()
    a = bmc.sdr.add(WD)
    b = bmc.sdr.add(sdr_record(b"x" * 20))
    assert (a, b) == (1, 2)
    assert bmc.sdr.records()[1] == b"\x02\x00" + sdr_record(b"x" * 20)[2:]
    assert bmc.sdr.get(0) == (bmc.sdr.record(1), 2)
    assert bmc.sdr.get(2) == (bmc.sdr.record(2), 0xFFFF)
    assert bmc.sdr.free_bytes == 16384 - 40 - 25
    assert ask(ipmid, "28 23 00 00 02 00 00 FF").startswith("2C 23 00 FF FF 02 00 51 C0 14 78")


def test_sdrfile_round_trip_as_qemu_writes_it(tmp_path):
    other = sdr_record(bytes(range(43)), rtype=0x01)   # a full sensor record is at least 48 bytes
    qemu_file = WD + bytes((1, 0)) + other[2:]          # QEMU numbers from 0
    path = tmp_path / "sdrfile"
    path.write_bytes(qemu_file)
    _, bmc, ipmid = make()
    assert bmc.sdr.import_sdrfile(path.read_bytes()) == [1, 2]
    out = bmc.sdr.export_sdrfile()
    assert out[2:40] == qemu_file[2:40] and out[42:] == qemu_file[42:]   # all but the ids
    assert parse_sdrfile(out) == bmc.sdr.records()
    _, again, _ = make()
    again.sdr.import_sdrfile(out)
    assert again.sdr.export_sdrfile() == out


def test_a_malformed_sdrfile_loads_nothing():
    _, bmc, _ = make()
    with pytest.raises(ValueError, match=r"sdrfile: record at offset 40 declares 14 bytes but only 8 remain"):
        bmc.sdr.import_sdrfile(WD + sdr_record(b"123456789")[:8])
    with pytest.raises(ValueError, match="3 stray bytes at offset 40"):
        bmc.sdr.import_sdrfile(WD + b"\x00\x00\x51")
    assert len(bmc.sdr) == 0


def test_sdr_full_sets_overflow_and_clear_resets_it():
    sim = Simulation()
    sdr = Sdr(sim, Store(), lambda t: 7, capacity=290)
    sdr.add(sdr_record(bytes(250)))
    with pytest.raises(IpmiError, match="OUT_OF_SPACE"):
        sdr.add(WD)
    assert sdr.overflow and sdr.info()[-1] == 0xAF
    sdr.clear(0)
    assert not sdr.overflow and sdr.info() == bytes.fromhex("51 0000 2201 07000000 07000000 2f")


# -- FRU --------------------------------------------------------------------------------------------------

INVENTORY = FruInventory(
    chassis=ChassisInfo(type=0x17, part_number="CH-0042", serial_number="CSN123", custom=("rack 7",)),
    board=BoardInfo(mfg_minutes=minutes_since_1996(dt.datetime(2024, 3, 1, 12, 30)), manufacturer="ipmilab",
                    product_name="Sim Board X1", serial_number="BSN0001", part_number="BRD-1", fru_file_id="v1"),
    product=ProductInfo(manufacturer="ipmilab", product_name="Simulated Server", part_number="SRV-9", version="A",
                        serial_number="PSN777", asset_tag="ASSET-1"),
)


def test_fru_image_round_trip():
    image = INVENTORY.encode(size=1024)
    assert len(image) == 1024 and image[0] == 1 and sum(image[:8]) & 0xFF == 0
    back = FruInventory.decode(image)
    assert back == INVENTORY
    assert back.board.mfg_date == dt.datetime(2024, 3, 1, 12, 30, tzinfo=dt.UTC)
    assert back.product.version == "A"   # one character: 6-bit ASCII, since 0xC1 ends the fields


def test_python_ipmi_reads_the_fru_image():
    fru = pytest.importorskip("pyipmi.fru")
    inv = fru.FruInventory(list(INVENTORY.encode(size=512)))
    assert str(inv.chassis_info_area.part_number) == "CH-0042"
    assert [str(c) for c in inv.chassis_info_area.custom_chassis_info] == ["rack 7"]
    board = inv.board_info_area
    assert (str(board.manufacturer), str(board.product_name), str(board.serial_number), str(board.part_number)) == \
        ("ipmilab", "Sim Board X1", "BSN0001", "BRD-1")
    assert board.mfg_date == dt.datetime(2024, 3, 1, 12, 30)
    product = inv.product_info_area
    assert (str(product.name), str(product.version), str(product.asset_tag)) == ("Simulated Server", "A", "ASSET-1")


@pytest.mark.parametrize("inv, message", [
    (FruInventory(board=BoardInfo(manufacturer="x" * 64)), "fru.board.manufacturer: 'x+' is 64 bytes, over"),
    (FruInventory(product=ProductInfo(version="a")), "fru.product.version: one-character text 'a'"),
    (FruInventory(chassis=ChassisInfo(serial_number="\u20ac5")), r"fru.chassis.serial_number: '€5' is not 8-bit"),
    (FruInventory(chassis=ChassisInfo(type=300)), "fru.chassis.type: 300 out of range"),
    (FruInventory(board=BoardInfo(custom=("ok", 5))), r"fru.board.custom\[1\]: 5 is neither text nor bytes"),
    (FruInventory(board=BoardInfo(mfg_minutes=-1)), "fru.board.mfg_minutes: -1 out of range"),
])
def test_fru_build_errors_name_the_field(inv, message):
    with pytest.raises(ValueError, match=message):
        inv.encode()


def test_fru_image_too_big_for_its_device():
    with pytest.raises(ValueError, match=r"fru: the image is \d+ bytes, over the device's 64"):
        INVENTORY.encode(size=64)


def test_fru_decode_errors_say_where():
    image = bytearray(INVENTORY.encode())
    image[7] ^= 1
    with pytest.raises(FruFormatError, match="common header: checksum"):
        FruInventory.decode(image)
    image = bytearray(INVENTORY.encode())
    image[image[3] * 8 + 6] ^= 0x40   # a board area byte
    with pytest.raises(FruFormatError, match=r"board area at offset \d+: checksum"):
        FruInventory.decode(image)


def test_frudatafile_round_trip(tmp_path):
    raw = INVENTORY.encode() + bytes(range(256)) * 8          # > 2 areas of 1024
    path = tmp_path / "frudatafile"
    path.write_bytes(raw)
    areas = parse_frudatafile(path.read_bytes(), 1024)
    assert [len(a) for a in areas] == [1024] * 3
    _, bmc, ipmid = make()
    assert bmc.fru.import_frudatafile(raw, 1024) == [0, 1, 2]
    assert ask(ipmid, "28 10 02") == "2C 10 00 00 04 00"
    assert bmc.fru.export_frudatafile(1024) == raw + bytes(3 * 1024 - len(raw))
    assert frudatafile_bytes(areas, 1024) == bmc.fru.export_frudatafile(1024)
    assert FruInventory.decode(bmc.fru[0].data) == INVENTORY


def test_fru_define_keeps_a_persisted_device(tmp_path):
    _, bmc, _ = make(tmp_path)
    bmc.fru.define(1, INVENTORY.encode(), size=512)
    bmc.fru[1].write(0x100, b"kept")
    bmc.store.close()
    store = Store(tmp_path)
    frus = FruDevices(store)
    assert frus.define(1, b"config", size=512).read(0x100, 4) == b"kept"
    assert frus.define(1, b"config", size=512, replace=True).read(0, 6) == b"config"
    with pytest.raises(ValueError, match="fru id 255 out of range 0-254"):
        frus.define(255, size=8)
    with pytest.raises(ValueError, match="FRU 2: 9 bytes of data do not fit its 8-byte size"):
        frus.define(2, bytes(9), size=8)
    store.close()


# -- through the host's driver ------------------------------------------------------------------------------


def test_sel_and_sdr_through_the_kcs_path():
    from bmc.ipmi.netfn import NetFn
    from scenarios.world import World

    w = World("isa-ipmi-kcs")
    w.bmc.open_stores()
    assert w.boot()
    r = w.request(NetFn.STORAGE, 0x44, EV)
    assert r.cc == 0 and r.data == b"\x01\x00"
    r = w.request(NetFn.STORAGE, 0x43, from_hex("00 00 00 00 00 FF"))
    assert r.cc == 0 and r.data[:4] == b"\xff\xff\x01\x00" and r.data[4:] == EV[2:3] + r.data[5:9] + EV[7:]
    assert w.request(NetFn.STORAGE, 0x24, WD).data == b"\x01\x00"
    assert w.request(NetFn.STORAGE, 0x23, from_hex("00 00 00 00 00 FF")).data == b"\xff\xff\x01\x00" + WD[2:]


def test_dispatcher_bench_shape():
    from scenarios.bench import bench_dispatcher

    r = bench_dispatcher(0.1)
    assert r["get_device_id_per_s"] > 0 and r["get_sdr_per_s"] > 0 and r["target_per_s"] == 50_000
