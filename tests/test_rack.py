"""A rack of served BMCs on one clock (scenarios/rack.py): identities, independence, shared read-only tables."""

from __future__ import annotations

import gc
import tracemalloc
import uuid

import pytest

from bmc.fru import FruInventory
from bmc.ipmid import Ipmid
from bmc.store import Store, StoreError
from bmc.vm.codec import VmCap
from buses import Simulation
from buses.time import ms
from scenarios.cli_serve import build_served_bmc, rack_fru_image, rack_identity, rack_name
from scenarios.config import DEFAULT_DOC, default_config, load_config
from scenarios.rack import build_rack, close_rack, rack_dir_name

SEL_EVENT = bytes.fromhex("0000020000000020000423006F01FFFF")   # a watchdog system event record


def ask(served, netfn: int, cmd: int, data: bytes = b"") -> bytes:
    """The answer's CC and data from the BMC's own dispatcher."""
    rsp = served.ipmid.handle(bytes((netfn << 2, cmd)) + data)
    assert rsp[:2] == bytes(((netfn | 1) << 2, cmd)), rsp.hex()
    return rsp[2:]


def guid_text(wire: bytes) -> str:
    return str(uuid.UUID(bytes=wire[::-1]))   # Get Device/System GUID send the UUID least significant first


def get_device_guid(served) -> str:
    rsp = ask(served, 0x06, 0x08)
    assert rsp[0] == 0
    return guid_text(rsp[1:])


def get_system_guid(served) -> str:
    rsp = ask(served, 0x06, 0x37)
    assert rsp[0] == 0
    return guid_text(rsp[1:])


def sel_entries(served) -> int:
    rsp = ask(served, 0x0A, 0x40)          # Get SEL Info: entries in bytes 2-3
    assert rsp[0] == 0
    return int.from_bytes(rsp[2:4], "little")


def user_name(served, user: int) -> bytes:
    rsp = ask(served, 0x06, 0x46, bytes((user,)))
    assert rsp[0] == 0
    return rsp[1:].rstrip(b"\x00")


def power_on(served) -> bool:
    rsp = ask(served, 0x00, 0x01)          # Get Chassis Status: current power state bit 0
    assert rsp[0] == 0
    return bool(rsp[1] & 0x01)


class RecordingLink:
    """Stands in for the VmServer at the VM end: what the BMC sends the VM over the VM protocol."""

    vm_ready = True

    def __init__(self):
        self.sent = []

    def send_control(self, cmd, t):
        self.sent.append((cmd, t))


# -- index 0 is today's BMC --------------------------------------------------------------------------


def test_index_0_is_the_configured_bmc_exactly(monkeypatch):
    # A served BMC's SDR and SEL clocks start at the wall clock's present (whole seconds): the two builds
    # must not straddle a second, or Get SDR Repository Info's addition times differ by one.
    monkeypatch.setattr("scenarios.cli_serve.time.time", lambda: 1_767_225_600.0)
    lone, first = build_served_bmc(), build_served_bmc(index=0)
    try:
        for served in (lone, first):
            assert served.bmc.name == "bmc"
            assert get_device_guid(served) == DEFAULT_DOC["bmc"]["device_guid"]
            assert get_system_guid(served) == DEFAULT_DOC["bmc"]["system_guid"]
        for netfn, cmd, data in ((0x06, 0x01, b""), (0x0A, 0x20, b""), (0x0A, 0x10, b"\x00"),
                                 (0x0A, 0x11, b"\x00\x00\x00\x40"), (0x06, 0x44, b"\x01\x02"),
                                 (0x04, 0x2D, b"\x01")):
            assert ask(lone, netfn, cmd, data) == ask(first, netfn, cmd, data)
        assert lone.bmc.sdr.records() == first.bmc.sdr.records()
        assert lone.bmc.identity == first.bmc.identity
    finally:
        lone.bmc.store.close()
        first.bmc.store.close()


def test_rack_identity_moves_the_guids_by_the_index_and_keeps_their_series():
    cfg = default_config()
    dev = DEFAULT_DOC["bmc"]["device_guid"]
    assert guid_text(rack_identity(cfg.identity, 1).device_guid) == dev[:-12] + "0c0ffee10001"
    assert guid_text(rack_identity(cfg.identity, 0x10).system_guid) == dev[:-12] + "0c0ffef00002"
    guids = set()
    for i in range(300):
        ident = rack_identity(cfg.identity, i)
        guids |= {ident.device_guid, ident.system_guid}
        assert ident.device_id_data() == rack_identity(cfg.identity, 0).device_id_data()   # same product
    assert len(guids) == 600
    assert [rack_name(i) for i in (0, 1, 41)] == ["bmc", "bmc-0002", "bmc-0042"]


def test_a_config_without_guids_gets_the_default_series_beyond_index_0():
    cfg = load_config({"bmc": {"product_id": 0x1234}})
    assert rack_identity(cfg.identity, 0).device_guid is None         # as configured: Get Device GUID 0xC1
    second = rack_identity(cfg.identity, 1)
    assert second.product_id == 0x1234
    assert guid_text(second.device_guid).endswith("0c0ffee10001")


def read_fru0(served) -> FruInventory:
    size = int.from_bytes(ask(served, 0x0A, 0x10, b"\x00")[1:3], "little")     # Get FRU Inventory Area Info
    data = b""
    while len(data) < size:                                                      # Read FRU Data, 32 at a time
        rsp = ask(served, 0x0A, 0x11, b"\x00" + len(data).to_bytes(2, "little") + bytes((min(32, size - len(data)),)))
        assert rsp[0] == 0
        data += rsp[2:]
    return FruInventory.decode(data)


def test_each_rack_bmc_reads_back_its_own_serial_numbers():
    first, second, tenth = (build_served_bmc(index=i) for i in (0, 1, 9))
    try:
        a, b, j = (read_fru0(s) for s in (first, second, tenth))
        assert (a.chassis.serial_number, a.board.serial_number, a.product.serial_number) == \
            ("CH0000001", "BD0000001", "SV0000001")
        assert (b.chassis.serial_number, b.board.serial_number, b.product.serial_number, b.product.asset_tag) == \
            ("CH0000002", "BD0000002", "SV0000002", "LAB-0002")
        assert j.product.serial_number == "SV0000010"
        assert b.product.product_name == a.product.product_name and b.board.mfg_date == a.board.mfg_date
    finally:
        for s in (first, second, tenth):
            s.bmc.store.close()


def test_serials_without_digits_get_a_suffix_and_foreign_images_stay():
    cfg = load_config({"fru": {"product": {"serial_number": "ABC", "manufacturer": "acme"}}})
    inv = FruInventory.decode(rack_fru_image(cfg.fru_image, 4))
    assert inv.product.serial_number == "ABC-0005" and inv.product.manufacturer == "acme"
    odd = cfg.fru_image[:1] + b"\x01" + cfg.fru_image[2:7]            # an internal use area this code keeps out of
    odd += bytes(((-sum(odd)) & 0xFF,)) + cfg.fru_image[8:]
    assert rack_fru_image(odd, 4) == odd
    assert rack_fru_image(b"\x00" * 64, 4) == b"\x00" * 64          # not a FRU image


def test_a_rack_is_deterministic():
    def build():
        rack = build_rack(None, 5, seed=11, trace=True)
        out = ([r.format() for r in rack[0].sim.tracer.records],
               [(s.bmc.identity, s.bmc.sdr.records(), s.bmc.fru[0].data) for s in rack])
        close_rack(rack)
        return out

    first = build()
    assert first == build()
    components = {line.split()[2] for line in first[0] if " add " in line}
    assert {"sdr", "bmc-0002.sdr", "bmc-0005.sdr"} <= components, components   # whose record each is


@pytest.mark.parametrize("index", [-1, 1 << 32, 1.0, True])
def test_a_bad_index_names_itself(index):
    with pytest.raises(ValueError, match=f"index {index!r} out of range"):
        build_served_bmc(index=index)


# -- a rack ------------------------------------------------------------------------------------------


def test_a_rack_of_50_shares_one_clock_and_each_bmc_answers_for_itself():
    calls = []
    rack = build_rack(None, 50, progress=lambda done, total: calls.append((done, total)))
    try:
        assert calls == [(i, 50) for i in range(1, 51)]
        sim = rack[0].sim
        assert all(s.sim is sim and s.bmc.sim is sim and s.ipmid.sim is sim for s in rack)
        assert len({id(s.ipmid) for s in rack}) == 50 and all(s.ipmid.bmc is s.bmc for s in rack)
        device_id = ask(rack[0], 0x06, 0x01)
        assert device_id[0] == 0
        for s in rack:
            assert ask(s, 0x06, 0x01) == device_id      # one product, fifty boards
        assert [s.bmc.name for s in rack[:3]] == ["bmc", "bmc-0002", "bmc-0003"]
        guids = [get_device_guid(s) for s in rack] + [get_system_guid(s) for s in rack]
        assert len(set(guids)) == 100
        assert not sim.env._queue       # an idle rack schedules nothing: no BMC runs a do-nothing process
    finally:
        close_rack(rack)


def test_rack_bmcs_are_independent():
    a, b = build_rack(None, 2)
    try:
        # SEL
        assert ask(a, 0x0A, 0x44, SEL_EVENT)[0] == 0                  # Add SEL Entry
        assert (sel_entries(a), sel_entries(b)) == (1, 0)
        # users (Set User Name, Set User Access)
        assert ask(b, 0x06, 0x45, b"\x03" + b"rackuser".ljust(16, b"\x00"))[0] == 0
        assert user_name(b, 3) == b"rackuser" and user_name(a, 3) == b""
        assert a.bmc.users is not b.bmc.users
        # chassis power: both VMs up, power down on one
        for s in (a, b):
            s.host.link = RecordingLink()
            s.host.capabilities = VmCap.POWER
            s.host.vm_connected(0)
        assert ask(a, 0x00, 0x02, b"\x00")[0] == 0                     # Chassis Control: power down
        a.sim.run(until=a.sim.now + ms(200))
        assert [c for c, _ in a.host.link.sent] and not b.host.link.sent
        assert (power_on(a), power_on(b)) == (False, True)
        # global enables, a volatile setting
        assert ask(b, 0x06, 0x2E, b"\x0C")[0] == 0                     # Set BMC Global Enables
        assert ask(a, 0x06, 0x2F)[1] != ask(b, 0x06, 0x2F)[1]
    finally:
        close_rack([a, b])


def test_one_bmcs_own_commands_and_costs_do_not_reach_the_others():
    from bmc.commands.spec import command
    from bmc.privilege import Privilege

    a, b = build_rack(None, 2)
    try:
        assert a.ipmid._table is b.ipmid._table            # shared while nobody changes it

        @command(0x30, 0x01, privilege=Privilege.USER, req_len=0)
        def oem(call):
            return b"\x42"

        a.ipmid.install([oem])
        a.ipmid.cost_scale = 3
        assert ask(a, 0x30, 0x01) == b"\x00\x42"
        assert ask(b, 0x30, 0x01) == b"\xC1"
        assert a.ipmid.cost_ns(0x06, 0x01) == 3 * b.ipmid.cost_ns(0x06, 0x01)
        fresh = Ipmid(b.sim, b.bmc)
        assert fresh.lookup(0x30, 0x01) is None and fresh.cost_ns(0x06, 0x01) == b.ipmid.cost_ns(0x06, 0x01)
    finally:
        close_rack([a, b])


def test_a_persisted_rack_keeps_each_bmcs_store_in_its_own_directory(tmp_path):
    rack = build_rack(None, 3, tmp_path)
    try:
        assert sorted(p.name for p in tmp_path.iterdir()) == ["bmc-0001", "bmc-0002", "bmc-0003"]
        assert rack[1].bmc.store.state_dir == tmp_path / rack_dir_name(1)
        assert rack[1].bmc.store._conn is None            # built: connection closed, directory still locked
        with pytest.raises(StoreError, match="bmc-0002.*in use by another BMC"):
            Store(tmp_path / "bmc-0002")
        assert ask(rack[1], 0x0A, 0x44, SEL_EVENT)[0] == 0   # reopens the database to commit
    finally:
        close_rack(rack)
    again = build_rack(None, 3, tmp_path)
    try:
        assert [sel_entries(s) for s in again] == [0, 1, 0]
        assert [get_device_guid(s) for s in again] == [get_device_guid(s) for s in rack]
    finally:
        close_rack(again)


def test_a_rack_that_cannot_be_built_closes_what_it_built(tmp_path):
    held = Store(tmp_path / "bmc-0003")
    try:
        with pytest.raises(StoreError, match="bmc-0003"):
            build_rack(None, 4, tmp_path)
    finally:
        held.close()
    close_rack(build_rack(None, 4, tmp_path))            # the first two were let go


@pytest.mark.parametrize("count", [0, -3, 2.5, True])
def test_a_bad_count_names_itself(count):
    with pytest.raises(ValueError, match=f"count {count!r} out of range"):
        build_rack(None, count)


def test_a_rack_seed_is_the_shared_simulations():
    rack = build_rack(None, 2, seed=7)
    assert rack[0].sim.seed == 7
    close_rack(rack)
    shared = Simulation(seed=3)
    served = build_served_bmc(sim=shared, index=5)
    assert served.sim is shared and served.bmc.name == "bmc-0006"
    served.bmc.store.close()


def test_memory_per_bmc_stays_well_below_a_generous_bound():
    # Measured, not tuned against: about 60 KiB of Python heap per default BMC (bench/rack_memory.py
    # has the figures); the bound only catches a regression that brings back a per-BMC table.
    cfg = default_config()
    close_rack(build_rack(cfg, 1))
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        rack = build_rack(cfg, 40)
        gc.collect()
        per_bmc = (tracemalloc.get_traced_memory()[0] - before) / 40
    finally:
        tracemalloc.stop()
    close_rack(rack)
    assert per_bmc < 400 * 1024, f"{per_bmc / 1024:.0f} KiB per BMC"


# -- the in-memory store -------------------------------------------------------------------------------


def test_an_in_memory_store_undoes_a_failed_transaction_whole():
    store = Store()
    with store.transaction() as s:
        s.put("sel", 1, 1, b"a")
        s.put("sel", 2, 2, b"b")
        s.set_meta("sel", next_id=3)
    with pytest.raises(RuntimeError, match="boom"), store.transaction() as s:
        s.clear("sel")
        s.put("sel", 1, 3, b"c")
        s.set_meta("sel", next_id=9, overflow=1)
        raise RuntimeError("boom")
    assert store.load("sel") == ([(1, b"a"), (2, b"b")], {"next_id": 3})
    with store.transaction() as s:
        s.put("sel", 1, 5, b"d")                             # INSERT OR REPLACE: moves to the end
    assert store.load("sel")[0] == [(2, b"b"), (1, b"d")]
    store.close()
    with pytest.raises(StoreError, match="closed"):
        store.load("sel")


def test_the_progress_bar_draws_on_a_terminal_for_a_big_rack_only():
    import io

    from rich.console import Console

    from scenarios.rack import rack_progress

    shown = io.StringIO()
    with rack_progress(Console(file=shown, force_terminal=True, width=80), 60) as progress:
        close_rack(build_rack(None, 60, progress=progress))
    assert "building BMCs" in shown.getvalue() and "60/60" in shown.getvalue()
    quiet = io.StringIO()
    with rack_progress(Console(file=quiet, force_terminal=False), 60) as progress:
        progress(1, 60)
    with rack_progress(Console(file=quiet, force_terminal=True), 3) as progress:
        progress(1, 3)
    assert quiet.getvalue() == ""


def test_a_store_removed_while_its_connection_is_parked_is_an_error_not_a_new_database(tmp_path):
    served = build_served_bmc(state_dir=tmp_path)
    try:
        (tmp_path / "bmc.sqlite3").unlink()
        with pytest.raises(StoreError, match="bmc.sqlite3: cannot reopen it"):
            served.bmc.sel.add(SEL_EVENT, 0)
        assert not (tmp_path / "bmc.sqlite3").exists() and sel_entries(served) == 0
    finally:
        served.bmc.store.close()
