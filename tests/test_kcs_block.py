from bmc.ipmi import kcs as spec
from buses import IoSpace, Simulation
from soc.kcs import IBF, OBF, STR, KcsBlock


def make():
    sim = Simulation(trace=True)
    io = IoSpace(sim)
    blk = KcsBlock(sim, "kcs")
    io.map(0xCA2, 2, blk, "kcs")
    return sim, io, blk


def test_status_layout_is_built_from_the_protocol_vocabulary():
    # The datasheet view of IPMI Table 9-1 is laid out from the one declaration in bmc.ipmi.kcs.
    assert STR.OBF.mask == spec.STATUS_OBF
    assert STR.IBF.mask == spec.STATUS_IBF
    assert STR.SMS_ATN.mask == spec.STATUS_SMS_ATN
    assert STR.C_D.mask == spec.STATUS_C_D
    assert STR.STATE.mask == spec.STATUS_STATE_MASK and STR.STATE.lsb == spec.STATUS_STATE_SHIFT


def test_host_write_sets_ibf_and_cd_and_bmc_read_clears_it():
    sim, io, blk = make()
    io.outb(0xCA3, 0x61, 10)
    assert blk.status & IBF and blk.status & spec.STATUS_C_D and blk.idr == 0x61
    assert blk.read_idr(20) == 0x61 and not blk.status & IBF
    io.outb(0xCA2, 0x18, 30)
    assert blk.status & IBF and not blk.status & spec.STATUS_C_D


def test_write_while_ibf_set_is_dropped_and_traced():
    sim, io, blk = make()
    io.outb(0xCA2, 0x11, 10)
    io.outb(0xCA2, 0x22, 20)
    assert blk.idr == 0x11 and blk.dropped_writes == 1
    assert any("dropped" in line for line in sim.tracer.lines())


def test_obf_and_host_interrupt():
    sim, io, blk = make()
    blk.set_obf_irq_enable(True, 0)
    blk.write_odr(0x1C, 5)
    assert io.inb(0xCA3, 6) & OBF and blk.host_irq.level == 1
    assert io.inb(0xCA2, 7) == 0x1C
    assert not blk.status & OBF and blk.host_irq.level == 0


def test_unmapped_port_floats_to_ff():
    sim, io, blk = make()
    assert io.inb(0xCA4, 0) == 0xFF
    io.outb(0xCA4, 0x12, 0)   # lost, no exception


def test_firmware_only_changes_its_own_status_bits():
    sim, io, blk = make()
    blk.write_str(0xFF, 0)
    assert blk.status == 0xF4   # STATE, OEM2, OEM1, SMS_ATN; not C/D, IBF, OBF


def test_attention_interrupt_is_acknowledged_by_a_status_read():
    sim, io, blk = make()
    blk.raise_atn_irq(1)
    assert blk.host_irq.level == 0           # interrupts not enabled: nothing
    blk.set_obf_irq_enable(True, 2)
    blk.raise_atn_irq(3)
    assert blk.host_irq.level == 1
    io.inb(0xCA3, 4)
    assert blk.host_irq.level == 0 and not blk.atn_irq
