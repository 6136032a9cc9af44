"""QEMU's smbus-ipmi on the simulated SMBus (bmc/ssif_ideal.py), driven through the smbus2-shaped API.

Each QEMU oddity the module docstring lists has a test here, named after it.
"""

import pytest

from bmc.bmc import Bmc
from bmc.ipmid import Ipmid, command
from bmc.privilege import Privilege
from bmc.ssif_ideal import SmbusIpmi
from buses import Simulation
from buses.i2c import I2cBus, I2cController
from buses.smbus import SMBus, i2c_msg
from buses.time import us

ADDR = 0x10
GOLDEN = bytes.fromhex("1c 01 00 20 00 00 00 02 8f 00 00 00 00 00")


@command(0x30, 0x01, privilege=Privilege.USER, min_len=1, max_len=255, name="Echo length")
def sized(call):
    """OEM test command: answer data[0] bytes (0..252), and the request's length in the first one."""
    n = call.data[0]
    return bytes((len(call.data),)) + bytes(range(1, n))


class LateCore:
    """A BMC core that answers ``delay`` later, as an extern BMC would."""

    def __init__(self, sim, core, delay):
        self.sim, self.core, self.delay = sim, core, delay

    def submit(self, request, t, done):
        self.core.submit(request, t, lambda rsp, t2: self.sim.call_at(t2 + self.delay, done, rsp, t2 + self.delay))

    def cost_ns(self, netfn, cmd):
        return 0


def rig(delay=None):
    sim = Simulation(trace=True)
    bmc = Bmc(sim)
    ipmid = Ipmid(sim, bmc)
    ipmid.install([sized])
    core = ipmid if delay is None else LateCore(sim, ipmid, delay)
    dev = SmbusIpmi(sim, core)
    bus = I2cBus(sim, "smbus0")
    bus.attach(ADDR, dev)
    return sim, dev, SMBus(I2cController(sim, bus))


def ask(sim, smb, msg):
    """Write ``msg`` (single- or multi-part) and read the whole response back, as a host would."""
    def go():
        if len(msg) <= 32:
            yield from smb.write_block_data(ADDR, 0x02, list(msg))
        else:
            yield from smb.write_block_data(ADDR, 0x06, list(msg[:32]))
            rest = msg[32:]
            while len(rest) > 32:
                yield from smb.write_block_data(ADDR, 0x07, list(rest[:32]))
                rest = rest[32:]
            yield from smb.write_block_data(ADDR, 0x08, list(rest))
        first = bytes((yield from smb.read_block_data(ADDR, 0x03)))
        if first[:2] != b"\x00\x01":
            return first, 1
        out, blocks = first[2:], 1
        while True:
            part = bytes((yield from smb.read_block_data(ADDR, 0x09)))
            blocks += 1
            out += part[1:]
            if part[0] == 0xFF:
                return out, blocks
    return sim.run_process(go())


def test_single_part_get_device_id():
    sim, dev, smb = rig()
    rsp, blocks = ask(sim, smb, b"\x18\x01")
    assert rsp == GOLDEN and blocks == 1


def test_get_system_interface_capabilities_is_the_devices_own():
    sim, dev, smb = rig()
    assert ask(sim, smb, b"\x18\x57\x00")[0] == bytes.fromhex("1c 57 00 00 80 ff ff")
    assert ask(sim, smb, b"\x18\x57")[0] == bytes.fromhex("1c 57 c7")
    assert ask(sim, smb, b"\x18\x57\x01")[0] == bytes.fromhex("1c 57 cc")
    assert dev.requests == 0                                       # none reached the BMC


@pytest.mark.parametrize("size, blocks", [(33, 2), (61, 2), (62, 3), (100, 4), (255, 9)])
def test_multi_part_reads_number_their_blocks(size, blocks):
    sim, dev, smb = rig()
    rsp, n = ask(sim, smb, bytes((0x30 << 2, 0x01, size - 3)))
    assert len(rsp) == size and n == blocks and rsp[:4] == bytes((0x31 << 2, 0x01, 0x00, 1))


def test_multi_part_write_reaches_the_bmc_whole():
    sim, dev, smb = rig()
    msg = bytes((0x30 << 2, 0x01, 4)) + bytes(range(67))                 # 70 bytes: 32 + 32 + 6
    rsp, _ = ask(sim, smb, msg)
    assert rsp[3] == 68                                                    # the handler saw all 68 data bytes


def test_a_middle_block_under_32_bytes_ends_the_message():
    sim, dev, smb = rig()

    def go():
        yield from smb.write_block_data(ADDR, 0x06, [0x30 << 2, 0x01, 4] + list(range(29)))
        yield from smb.write_block_data(ADDR, 0x07, [1, 2, 3])             # "special hack": sent now
        return bytes((yield from smb.read_block_data(ADDR, 0x03)))
    rsp = sim.run_process(go())
    assert rsp[3] == 33 and dev.requests == 1


def test_the_device_never_naks():
    # Nothing was ever answered: the read is still ACKed, and its zero count byte is what the host's
    # adapter refuses (i801: "Illegal SMBus block read size", -EPROTO), not a NAK.
    import errno

    sim, dev, smb = rig()
    with pytest.raises(OSError) as exc:
        sim.run_process(smb.read_block_data(ADDR, 0x03))
    assert exc.value.errno == errno.EPROTO
    assert all(dict(r.fields)["ack"] for r in sim.tracer.records if r.event == "addr")


def test_a_read_before_the_response_is_ready_returns_the_stale_block():
    # smbus_ipmi_send_msg empties the response and rewinds outpos; ipmi_load_readbuf then fails and
    # leaves outbuf as it was: the host reads the previous block again, as a well-formed answer.  (The
    # Linux guest's probe shows it: "Unable to clear message flags: -22 7 00" is the 7-byte Get System
    # Interface Capabilities block read back for Clear Message Flags.)
    sim, dev, smb = rig(delay=us(5000))                                   # an extern BMC, 5 ms away
    sim.run_process(smb.write_block_data(ADDR, 0x02, [0x18, 0x01]))
    sim.run(until=sim.now + us(6000))
    assert bytes(sim.run_process(smb.read_block_data(ADDR, 0x03))) == GOLDEN
    sim.run_process(smb.write_block_data(ADDR, 0x02, [0x18, 0x04]))       # Get Self Test Results
    assert bytes(sim.run_process(smb.read_block_data(ADDR, 0x03))) == GOLDEN   # read at once: stale
    sim.run(until=sim.now + us(6000))
    assert bytes(sim.run_process(smb.read_block_data(ADDR, 0x03))) == bytes.fromhex("1c 04 00 55 00")


def test_reading_past_the_block_returns_leftovers_then_ff():
    sim, dev, smb = rig()
    ask(sim, smb, bytes((0x30 << 2, 0x01, 60)))                           # 63 bytes: outbuf fully used
    ask(sim, smb, b"\x18\x01")                                             # 14 bytes over the old buffer
    w, r = i2c_msg.write(ADDR, [0x03]), i2c_msg.read(ADDR, 40)
    sim.run_process(smb.i2c_rdwr(w, r))
    got = bytes(r)
    assert got[0] == 14 and got[1:15] == GOLDEN
    assert got[15:33] != bytes(18) and got[33:] == b"\xff" * 7            # leftovers of the long one, then 0xFF


def test_a_response_over_255_bytes_is_cut_with_c6():
    sim, dev, smb = rig()
    dev._load_response(bytes((0x34, 0x01, 0x00)) + bytes(300), 0)
    assert dev.outlen == 255 and dev.outmsg[2] == 0xC6


def test_a_count_byte_that_does_not_match_is_ignored():
    sim, dev, smb = rig()

    def go():
        yield from smb.write_i2c_block_data(ADDR, 0x02, [5, 0x18, 0x01])   # count 5, 2 bytes follow
    sim.run_process(go())
    assert dev.requests == 0 and dev.bogus_writes == 1


def test_a_single_part_request_takes_its_bytes_on_the_bus_clock():
    sim, dev, smb = rig()
    sim.run_process(smb.write_block_data(ADDR, 0x02, [0x18, 0x01]))
    recs = [r for r in sim.tracer.records if r.layer == "bus"]
    start, stop = recs[0], recs[-1]
    # START hold, address, command, count, two bytes (5 x 90 us), STOP set-up.
    assert stop.t - start.t == 5 * us(90) + 4_000
