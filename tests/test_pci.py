"""PCI: configuration mechanism #1, BAR sizing and assignment, the driver at the assigned address, INTx."""

import pytest

from buses import IoSpace, IrqLine, Simulation
from buses.pci import (
    BAR0,
    COMMAND,
    COMMAND_INTX_DISABLE,
    COMMAND_IO,
    INTERRUPT_LINE,
    STATUS,
    STATUS_INTERRUPT,
    PciBus,
    PciFunction,
)
from scenarios.world import World
from soc.kcs import KcsBlock
from vserver.cpu import HostCpu
from vserver.kcs_sm import KcsSm
from vserver.pci import config_read, config_write, enumerate_bus
from vserver.sm import PortIo, SmResult


def run(sim, gen):
    return sim.run_process(gen)


def bare_bus(bars=((8, None),), pin=1):
    sim = Simulation()
    io = IoSpace(sim)
    bus = PciBus(sim, io)
    block = KcsBlock(sim, "kcs")
    line = IrqLine(sim, "dev")
    f = PciFunction(sim, "f", 0x1234, 0x1112, 0x0C0701, revision=1,
                    bars=tuple((n, block if t is None else t) for n, t in bars), pin=pin, irq_line=line)
    bus.add(4, f)
    return sim, io, bus, f, block, line, HostCpu(sim, io, "cpu")


def test_config_reads_identity_and_absent_slots_read_all_ones():
    sim, io, bus, f, *_, cpu = bare_bus()
    assert run(sim, config_read(cpu, 4, 0, 0)) == 0x1112_1234
    assert run(sim, config_read(cpu, 4, 0, 0x08)) == 0x0C07_0101           # class 0C07, prog-if 01, rev 1
    assert run(sim, config_read(cpu, 5, 0, 0)) == 0xFFFF_FFFF              # master abort
    assert run(sim, config_read(cpu, 4, 0, 0x3D, 1)) == 1                  # INTA


def test_config_address_needs_a_32_bit_access():
    sim, io, bus, *_ = bare_bus()
    io.write(0xCF8, 0x8000_2000, 4, 0)
    io.outb(0xCF8, 0x00, 0)                 # a byte write to 0xCF8 is not CONFIG_ADDRESS
    assert io.read(0xCF8, 4, 0) == 0x8000_2000


def test_enumeration_sizes_assigns_and_enables_the_bar():
    sim, io, bus, f, block, line, cpu = bare_bus()
    found = run(sim, enumerate_bus(cpu, bus.route, io_window=(0xD000, 0x10000)))
    assert [(x.device, x.vendor, x.device_id, x.class_code, x.bars, x.irq) for x in found] == [
        (4, 0x1234, 0x1112, 0x0C0701, ((0xD000, 8),), bus.route(4, 1))]
    assert f.command & COMMAND_IO and f.bar_address() == 0xD000
    assert f.cfg[INTERRUPT_LINE] == bus.route(4, 1) == 10                  # PIRQA after the swizzle
    assert io.decode(0xD001)[0] is block and io.decode(0xD002) is None     # the block has two ports
    # Sizing: all ones read back as the size mask with the I/O bit.
    run(sim, config_write(cpu, 4, 0, BAR0, 0xFFFF_FFFF))
    assert run(sim, config_read(cpu, 4, 0, BAR0)) == 0xFFFF_FFF9


def test_io_decode_follows_the_command_register():
    sim, io, bus, f, block, line, cpu = bare_bus()
    run(sim, enumerate_bus(cpu, bus.route))
    base = f.bar_address()
    assert io.inb(base + 1, 0) != 0xFF
    run(sim, config_write(cpu, 4, 0, COMMAND, 0, 2))
    assert io.inb(base + 1, 0) == 0xFF                                     # decode off: the bus floats


def test_intx_follows_the_device_and_interrupt_disable_gates_it():
    sim, io, bus, f, block, line, cpu = bare_bus()
    line.set(1, 0)
    assert f.intx.level == 1 and f.cfg[STATUS] & STATUS_INTERRUPT
    f.config_write(COMMAND, COMMAND_INTX_DISABLE, 2, 0)
    assert f.intx.level == 0 and f.cfg[STATUS] & STATUS_INTERRUPT          # status still says pending
    f.config_write(COMMAND, 0, 2, 0)
    assert f.intx.level == 1
    line.set(0, 0)
    assert f.intx.level == 0 and not f.cfg[STATUS] & STATUS_INTERRUPT


def test_bad_bar_sizes_are_refused():
    with pytest.raises(ValueError, match="power of two"):
        bare_bus(bars=((6, None),))


@pytest.mark.parametrize("preset", ["pci-ipmi-kcs", "pci-ipmi-bt"])
def test_the_driver_talks_at_the_assigned_address(preset):
    w = World(preset, trace=True)
    assert w.boot()
    base = w.pci_function.bar_address()
    assert w.device.addr == base and w.device.source == "pci"
    assert w.host.si.sm.io.ports[0] == base
    assert w.request(6, 1).cc == 0
    ports = {int(ln.split("port=")[1].split()[0], 16) for ln in w.sim.tracer.lines() if "port=" in ln}
    assert not ports & {0xCA2, 0xCA3, 0xE4, 0xE5, 0xE6}                   # nothing at the ISA defaults


def test_moving_the_bar_moves_the_traffic():
    w = World("pci-ipmi-kcs")
    assert w.boot()
    old = w.pci_function.bar_address()
    cpu = w.host.cpu
    w.sim.run_process(config_write(cpu, 4, 0, BAR0, 0xE000))
    assert w.io.inb(old + 1, w.sim.now) == 0xFF and w.io.decode(0xE001)[0] is w.block
    sm = KcsSm(w.sim, PortIo(cpu, 0xE000, 1, 2), component="moved")

    def txn():
        assert sm.start_transaction(bytes((0x18, 0x01))) == 0
        while True:
            result = yield from sm.event(0)
            if result == SmResult.TRANSACTION_COMPLETE:
                return sm.get_result()
            if result == SmResult.CALL_WITH_DELAY:
                yield from cpu.sleep(1000)
    assert w.sim.run_process(txn())[:3] == bytes((0x1C, 0x01, 0x00))


def test_intx_delivers_interrupts_to_the_driver():
    w = World("pci-ipmi-kcs", use_irq=True)
    assert w.boot()
    w.sim.run(until=w.sim.now + 10**8)       # the driver's global-enables check switches the OBF interrupt on
    assert w.device.irq == 10 and w.request(6, 0x42, b"\x0f").data[-2:] == b"\x10\x10"   # INTA
    for _ in range(3):
        assert w.request(6, 1).cc == 0
    assert w.pci_function.intx.asserts > 0
    assert w.host.si.stats["interrupts"] > 0
