import pytest

from buses import Access, Field, Register, RegisterFile, Simulation
from buses.time import fmt_duration, fmt_time, ms, ns, s, us


def test_time_helpers_are_integer_ns():
    assert ns(5) == 5 and us(1) == 1_000 and ms(1) == 1_000_000 and s(1) == 1_000_000_000
    assert us(2.5) == 2_500 and isinstance(ms(0.1), int)
    assert fmt_time(s(10) + 5) == "10.000000005"
    assert fmt_duration(ms(4.5)) == "4.5 ms"


REG = Register("CTRL", 0x10, [
    Field("MODE", 7, 6, Access.RW, 2, values={0: "OFF", 1: "ON", 2: "AUTO"}),
    Field("ERR", 5, 5, Access.W1C),
    Field("GO", 4, 4, Access.W1S),
    Field("RDY", 3, 3, Access.RO, 1),
    Field("EVT", 2, 2, Access.RC),
    Field("KEY", 1, 0, Access.WO),
])


def test_field_geometry_and_reset():
    assert REG.MODE.mask == 0xC0 and REG.MODE.bits == "7:6"
    assert REG.reset == 0x88
    assert REG.render(0x88) == "MODE=AUTO ERR=0 GO=0 RDY=1 EVT=0 KEY=0x0"


def test_access_kinds_apply_on_bus_writes():
    rf = RegisterFile("blk", [REG])
    rf["CTRL"] = 0b0010_0100          # hardware sets ERR and EVT
    rf.write(0x10, 0b0100_0011)       # MODE=ON, KEY=3; ERR not written (stays), RDY ignored
    v = rf["CTRL"]
    assert REG.MODE.get(v) == 1 and REG.ERR.get(v) == 1 and REG.KEY.get(v) == 3
    assert REG.RDY.get(v) == 0        # RO: writes do not change it (it was cleared by the hw write)
    rf.write(0x10, 0b0110_0000)       # write 1 to ERR clears it
    assert REG.ERR.get(rf["CTRL"]) == 0
    rf.write(0x10, 0b0101_0000)       # W1S sets GO
    assert REG.GO.get(rf["CTRL"]) == 1


def test_read_clear_and_write_only():
    rf = RegisterFile("blk", [REG])
    rf["CTRL"] = 0b0000_0111
    seen = rf.read(0x10)
    assert REG.EVT.get(seen) == 1 and REG.KEY.get(seen) == 0   # WO reads as 0
    assert REG.EVT.get(rf["CTRL"]) == 0                        # RC cleared by the read


def test_hooks_see_old_and_new_values():
    rf = RegisterFile("blk", [REG])
    seen = []
    rf.on_write["CTRL"] = lambda old, new, t: seen.append((old, new, t))
    rf.write(0x10, 0x40, t=7)
    assert seen == [(0x88, 0x48, 7)]


def test_bad_declarations_name_the_field():
    with pytest.raises(ValueError, match="X: msb 1 < lsb 2"):
        Field("X", 1, 2)
    with pytest.raises(ValueError, match=r"R\.[AB]: overlaps"):
        Register("R", 0, [Field("A", 3, 0), Field("B", 2, 2)])
    with pytest.raises(ValueError, match="outside a 8-bit"):
        Register("R", 0, [Field("A", 8, 8)])
    with pytest.raises(KeyError, match="no register at offset 0x44"):
        RegisterFile("blk", [REG]).read(0x44)


def test_rich_table_renders_every_field():
    rf = RegisterFile("blk", [REG])
    table = rf.table()
    assert table.row_count == len(REG.fields)


def test_trigger_at_wakes_exactly_once_at_the_time():
    sim = Simulation()
    ev = sim.env.event()
    seen = []
    ev.callbacks.append(lambda e: seen.append(sim.now))
    sim.trigger_at(ev, 1234)
    sim.run()
    assert seen == [1234]
