"""The I²C/SMBus bus (buses/i2c.py) and its smbus2-shaped host API (buses/smbus.py)."""

import errno
import inspect

import pytest

from buses import Simulation
from buses.i2c import I2cBus, I2cController, I2cError, I2cMsg, smbus_pec
from buses.smbus import SMBus, i2c_msg
from buses.time import us


class RegisterFile:
    """A test target: registers written with (reg, data...), read from the last register set."""

    def __init__(self, regs=None, stretch=0):
        self.regs = bytearray(regs or bytes(256))
        self.ptr = None
        self.at = 0
        self.stops = 0
        self.stretch = stretch
        self.block = None            # answer SMBus block reads from here: count, data

    def i2c_start(self, t, read):
        self.first = not read
        return True

    def i2c_write(self, t, byte):
        if self.first:
            self.ptr, self.at, self.first = byte, 0, False
        else:
            self.regs[(self.ptr + self.at) & 0xFF] = byte
            self.at += 1
        return True

    def i2c_read(self, t, acked):
        if self.block is not None:
            byte = self.block[self.at] if self.at < len(self.block) else 0xFF
        else:
            byte = self.regs[(self.ptr + self.at) & 0xFF]
        self.at += 1
        return byte

    def i2c_stop(self, t):
        self.stops += 1

    def i2c_stretch(self, t, before="byte"):
        return self.stretch if before != "stop" else 0


def world(hz=100_000, **kw):
    sim = Simulation(trace=True)
    bus = I2cBus(sim, "i2c1", hz=hz)
    dev = RegisterFile(**kw)
    bus.attach(0x50, dev)
    return sim, bus, dev, I2cController(sim, bus)


def run(sim, gen):
    return sim.run_process(gen)


def records(sim, event=None):
    return [r for r in sim.tracer.records if r.layer == "bus" and (event is None or r.event == event)]


@pytest.mark.parametrize("hz, byte_ns", [(100_000, us(90)), (400_000, 22_500), (1_000_000, 9_000)])
def test_a_byte_with_its_ack_takes_nine_clocks(hz, byte_ns):
    sim, bus, dev, ctl = world(hz)
    smb = SMBus(ctl)
    run(sim, smb.write_byte_data(0x50, 0x10, 0xAB))
    start, addr, w1, w2, stop = records(sim)
    assert [r.event for r in (start, addr, w1, w2, stop)] == ["start", "addr", "write", "write", "stop"]
    assert addr.t - start.t == w1.t - addr.t == w2.t - w1.t == byte_ns
    tm = bus.timing
    assert start.t == tm.hd_sta and stop.t - w2.t == tm.su_sto and bus.free_at == stop.t + tm.buf
    assert dev.regs[0x10] == 0xAB and dev.stops == 1


def test_clock_stretching_adds_exactly_its_duration():
    plain = world()
    stretched = world(stretch=us(37))
    for sim, _bus, _dev, ctl in (plain, stretched):
        run(sim, SMBus(ctl).write_byte_data(0x50, 1, 2))
    t_plain = records(plain[0], "stop")[0].t
    t_stretched = records(stretched[0], "stop")[0].t
    assert t_stretched - t_plain == 3 * us(37)            # before the address and each of two bytes
    assert [r.fields for r in records(stretched[0], "stretch")] == [(("held", us(37)),)] * 3


def test_a_target_can_stretch_until_an_event():
    sim, bus, dev, ctl = world()
    release = sim.env.event()
    dev.stretch = release
    sim.call_at(us(500), lambda: release.succeed())
    run(sim, SMBus(ctl).write_byte(0x50, 7))
    assert records(sim, "stretch")[0].t == us(500)


def test_a_nacked_address_is_enxio_and_the_bus_is_released():
    sim, bus, dev, ctl = world()
    with pytest.raises(OSError) as exc:
        run(sim, SMBus(ctl).read_byte(0x51))
    assert exc.value.errno == errno.ENXIO
    assert records(sim)[-1].event == "stop" and bus.owner is None


def test_smbus_protocols_against_a_register_file():
    sim, bus, dev, ctl = world(regs=bytes(range(256)))
    smb = SMBus(ctl)

    def script():
        assert (yield from smb.read_byte_data(0x50, 0x20)) == 0x20
        assert (yield from smb.read_word_data(0x50, 0x30)) == 0x3130
        yield from smb.write_word_data(0x50, 0x40, 0xBEEF)
        assert dev.regs[0x40:0x42] == b"\xef\xbe"
        assert (yield from smb.read_i2c_block_data(0x50, 0x60, 4)) == [0x60, 0x61, 0x62, 0x63]
        yield from smb.write_i2c_block_data(0x50, 0x70, [1, 2, 3])
        yield from smb.write_block_data(0x50, 0x80, [9, 8])
        assert dev.regs[0x80:0x83] == b"\x02\x09\x08"         # the count is written too
        dev.block = b"\x03\xaa\xbb\xcc"
        assert (yield from smb.read_block_data(0x50, 0x00)) == [0xAA, 0xBB, 0xCC]
        msgs = [i2c_msg.write(0x50, [0x10]), i2c_msg.read(0x50, 2)]
        dev.block = None
        yield from smb.i2c_rdwr(*msgs)
        assert list(msgs[1]) == [0x10, 0x11]
    run(sim, script())
    assert "restart" in [r.event for r in records(sim)]


def test_a_block_read_with_a_bad_length_byte_is_eproto():
    sim, bus, dev, ctl = world()
    dev.block = b"\x40" + bytes(64)                          # 64 > 32
    with pytest.raises(OSError) as exc:
        run(sim, SMBus(ctl).read_block_data(0x50, 0))
    assert exc.value.errno == errno.EPROTO
    assert records(sim)[-1].event == "stop"


def test_pec_is_the_smbus_crc8_and_a_mismatch_is_ebadmsg():
    assert smbus_pec(b"123456789") == 0xF4                    # CRC-8 (poly 0x07) check value
    sim, bus, dev, ctl = world(regs=bytes(range(256)))
    smb = SMBus(ctl)
    smb.pec = 1
    run(sim, smb.write_byte_data(0x50, 0x05, 0x99))
    assert dev.regs[0x05] == 0x99 and dev.regs[0x06] == smbus_pec(b"\xa0\x05\x99")   # PEC byte went out
    dev.block = b"\x01\x42" + bytes((smbus_pec(b"\xa0\x00\xa1\x01\x42"),))
    assert run(sim, smb.read_block_data(0x50, 0)) == [0x42]
    dev.block = b"\x01\x42\x00"
    with pytest.raises(OSError) as exc:
        run(sim, smb.read_block_data(0x50, 0))
    assert exc.value.errno == errno.EBADMSG


def test_a_busy_bus_makes_the_next_controller_wait_for_stop_plus_bus_free():
    sim, bus, dev, ctl = world()
    other = I2cController(sim, bus, "bmc-master")
    sim.process(SMBus(ctl).write_byte(0x50, 1))
    sim.call_at(us(50), lambda: sim.process(SMBus(other).write_byte(0x50, 2)))
    sim.run(until=us(2000))
    starts, stops = records(sim, "start"), records(sim, "stop")
    assert starts[1].t == stops[0].t + bus.timing.buf + bus.timing.hd_sta


def test_two_starts_at_one_instant_arbitrate_on_the_address():
    sim, bus, dev, ctl = world()
    bus.attach(0x20, RegisterFile())
    other = I2cController(sim, bus, "bmc-master")
    def attempt(gen):
        try:
            yield from gen
        except OSError as exc:
            return exc.errno
        return 0
    a = sim.process(attempt(SMBus(ctl).write_byte(0x50, 1)))
    b = sim.process(attempt(SMBus(other).write_byte(0x20, 2)))
    sim.run(until=us(2000))
    assert b.value == 0 and a.value == errno.EAGAIN and dev.stops == 0
    (lost,) = records(sim, "arbitration-lost")
    # 0x50 << 1 = 0xA0 vs 0x20 << 1 = 0x40: they differ in the first bit on the wire.
    assert lost.t == bus.timing.hd_sta + bus.timing.period


def test_faults_stand_in_the_wire():
    sim, bus, dev, ctl = world()

    def nack_second_byte(nxt):
        seen = []

        def call(cond, t, target, value):
            if cond == "write":
                seen.append(value)
                if len(seen) == 2:
                    return False
            if cond == "stop":
                return None                                  # the target never sees the STOP
            return nxt(cond, t, target, value)
        return call
    bus.wire.interpose(nack_second_byte)
    with pytest.raises(I2cError) as exc:
        run(sim, SMBus(ctl).write_byte_data(0x50, 3, 4))
    assert exc.value.errno == errno.EREMOTEIO and dev.stops == 0 and bus.owner is None


def test_the_api_matches_the_installed_smbus2():
    smbus2 = pytest.importorskip("smbus2")
    theirs = {n: m for n, m in vars(smbus2.SMBus).items() if callable(m) and not n.startswith("_")}
    for name, fn in theirs.items():
        ours = getattr(SMBus, name, None)
        assert ours is not None, f"SMBus.{name} is missing"
        assert inspect.signature(ours) == inspect.signature(fn), name
    assert isinstance(SMBus.pec, property)
    for name in ("read", "write"):
        assert inspect.signature(getattr(i2c_msg, name)) == inspect.signature(getattr(smbus2.i2c_msg, name))


def test_messages_need_7_bit_addresses():
    with pytest.raises(ValueError, match="not a 7-bit address"):
        I2cMsg(0x80, False)
    sim, bus, dev, ctl = world()
    with pytest.raises(ValueError, match="already has a device"):
        bus.attach(0x50, RegisterFile())
