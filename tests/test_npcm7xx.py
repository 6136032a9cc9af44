"""The NPCM7xx KCS block and ``kcs_bmc_npcm7xx``: registers, the OBE interrupt, the shared GIC input."""

from bmc.kcs_engine import EVENT_IBF, EVENT_OBE
from bmc.kcs_npcm7xx import NpcmKcsDriver
from buses import IoSpace, Simulation
from soc.kcs import IBF, OBF
from soc.nuvoton.kcs import CHANNEL_BASE, CTL, DI, DIC, DO, DOC, DOM, IC, IE, ST
from soc.nuvoton.soc import KCS_GIC_SPI, NpcmSoc


def make():
    sim = Simulation(trace=True)
    io = IoSpace(sim)
    soc = NpcmSoc(sim, io)
    soc.kcs.decode(1, 0xCA2)
    return sim, io, soc


def reg(ch, index):
    return CHANNEL_BASE[ch] + 2 * index


def test_register_layout_and_reset_values_follow_the_driver_table():
    # kcs_bmc_npcm7xx.c: KCS1ST 0x0C, KCS1DO 0x0E, KCS1DI 0x10, KCS1CTL 0x18, KCS1IE 0x1C; channel 3 IE at 0x40.
    assert (reg(1, ST), reg(1, DO), reg(1, DI), reg(1, CTL), reg(1, IE)) == (0x0C, 0x0E, 0x10, 0x18, 0x1C)
    assert (reg(2, ST), reg(2, CTL), reg(3, ST), reg(3, IE)) == (0x1E, 0x2A, 0x30, 0x40)
    _sim, _io, soc = make()
    k = soc.kcs
    assert k.read(reg(1, CTL), 0) == 0xC0 and k.read(reg(1, IC), 0) == 0x41 and k.read(reg(1, IE), 0) == 0


def test_ibf_interrupts_the_bmc_only_with_ibfie_and_a_di_read_clears_it():
    _sim, io, soc = make()
    k = soc.kcs
    io.outb(0xCA3, 0x61, 10)
    assert k.kcs[1].status & IBF and k.irq[1].level == 0
    k.write(reg(1, CTL), 0xC0 | 0x01, 20)
    assert k.irq[1].level == 1
    assert k.read(reg(1, DIC), 30) == 0x61                       # the SCI flavour reads the same buffer
    assert not k.kcs[1].status & IBF and k.irq[1].level == 0


def test_obeie_is_a_level_interrupt_while_the_output_buffer_is_empty():
    _sim, io, soc = make()
    k = soc.kcs
    k.write(reg(1, CTL), 0xC0 | 0x02, 10)
    assert k.irq[1].level == 1                                   # empty at once
    k.write(reg(1, DO), 0x1C, 20)
    assert k.kcs[1].status & OBF and k.irq[1].level == 0
    assert io.inb(0xCA2, 30) == 0x1C
    assert k.irq[1].level == 1                                   # the host emptied it
    k.write(reg(1, DOM), 0x2D, 40)                               # DOC/DOM load the same buffer
    assert io.inb(0xCA2, 50) == 0x2D
    k.write(reg(1, DOC), 0x3E, 60)
    assert k.kcs[1].odr == 0x3E and k.irq[1].level == 0


def test_host_interrupt_needs_irqe_and_hirqe():
    _sim, _io, soc = make()
    k = soc.kcs
    blk = k.kcs[1]
    k.write(reg(1, IE), 0x01, 0)
    k.write(reg(1, DO), 0x00, 10)
    assert blk.host_irq.level == 0
    k.write(reg(1, IE), 0x09, 20)
    assert blk.host_irq.level == 1
    k.write(reg(1, IE), 0x08, 30)
    assert blk.host_irq.level == 0


def test_firmware_writes_only_its_own_status_bits_and_do_is_write_only():
    _sim, _io, soc = make()
    k = soc.kcs
    k.write(reg(1, ST), 0xFF, 0)
    assert k.read(reg(1, ST), 0) == 0xF4
    k.write(reg(1, DO), 0x55, 0)
    assert k.read(reg(1, DO), 0) == 0


def test_host_ports_decode_only_where_the_host_firmware_put_them():
    _sim, io, soc = make()
    assert io.inb(0xCA8, 0) == 0xFF                              # channel 2: not decoded
    soc.kcs.decode(2, 0xCA8)
    soc.kcs.kcs[2].write_str(0x40, 0)
    assert io.inb(0xCA9, 0) == 0x40


def _probe(sim, soc, driver):
    done = sim.env.event()

    def job():
        yield from driver.probe()
        sim.trigger_at(done, soc.cpu.t)
    soc.cpu.post(job, sim.now, latency=0)
    sim.run(until=done)


def test_probe_masks_both_events_enables_the_channel_and_shares_spi_9():
    sim, _io, soc = make()
    d1, d3 = NpcmKcsDriver(soc, 1), NpcmKcsDriver(soc, 3)
    for d in (d1, d3):
        _probe(sim, soc, d)
    k = soc.kcs
    assert k.read(reg(1, CTL), 0) & 0x03 == 0 and k.read(reg(1, IE), 0) == 0x09
    assert d1.irq == d3.irq == KCS_GIC_SPI and len(soc.intc.handlers[KCS_GIC_SPI]) == 2
    # KCS3IE (0x40) lies past the device tree's 0x40-byte syscon window: the regmap refuses it.
    assert d1.regmap_errors == 0 and d3.regmap_errors == 1 and k.read(reg(3, IE), 0) == 0
    assert any("regmap-eio" in line and "reg=0x40" in line for line in sim.tracer.lines())
    seen = []

    def client(name, driver):
        def event():
            status = yield from driver.inb("STR")
            seen.append((name, bool(status & IBF)))
            if status & IBF:
                yield from driver.inb("IDR")
        return event
    d1.client_event = client("kcs1", d1)
    d3.client_event = client("kcs3", d3)

    def enable():
        yield from d1.irq_mask_update(EVENT_IBF | EVENT_OBE, EVENT_IBF)
    soc.cpu.post(enable, sim.now, latency=0)
    sim.run(until=sim.now + 1_000)
    soc.kcs.decode(3, 0xCA4)
    _io.outb(0xCA3, 0x61, sim.now)
    sim.run(until=sim.now + 100_000)
    # One interrupt on the shared input runs both handlers; each checks its own channel's status.
    assert seen == [("kcs1", True), ("kcs3", False)]
    assert soc.kcs.irq[1].level == 0


def test_the_npcm7xx_preset_answers_through_the_full_stack():
    from scenarios.world import World

    w = World("npcm7xx")
    assert w.boot()
    rsp = w.request(0x06, 0x01)
    assert rsp.cc == 0 and rsp.data[0] == 0x20
    assert w.soc.family == "nuvoton" and w.channel.driver.name == "kcs_bmc_npcm7xx.1"
