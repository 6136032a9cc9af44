"""The AST2600 has no "output buffer empty" interrupt (reference/linux-ipmi.md B-3).

The BMC streams bytes to the host through a raw KCS channel.  After each ODR
write the driver busy-polls STR for 100 us; a host that reads ODR within
that window lets the next byte go at once, a host that reads later (IBM P10
hosts often take 100-200 us) leaves the driver on its 500 ms timer: ten
times slower messages, a 50% longer boot.
"""

from __future__ import annotations

from dataclasses import dataclass

from bmc.kcs_aspeed import AspeedKcsDriver
from bmc.kcs_raw import KcsRawClient
from buses.time import S, us

from .world import World

RAW_CHANNEL = 2
RAW_DATA_PORT = 0xCA8     # channel 2: status at data + 4


@dataclass
class ObeStallResult:
    read_delay: int
    write_times: list[int]
    read_times: list[int]
    slow_path: int

    @property
    def intervals(self) -> list[int]:
        t = self.write_times
        return [b - a for a, b in zip(t, t[1:], strict=False)]


def run(read_delay: int = us(150), nbytes: int = 4, poll: int = us(10), seed: int = 0,
        trace: bool = False) -> ObeStallResult:
    """Stream ``nbytes`` from BMC to host; the host reads each byte ``read_delay`` after seeing OBF."""
    w = World("ast2600", seed=seed, trace=trace)
    sim = w.sim
    driver = AspeedKcsDriver(w.soc, RAW_CHANNEL, RAW_DATA_PORT, name="kcs_bmc_aspeed.2")
    client = KcsRawClient(sim, driver)

    up = sim.env.event()

    def bring_up():
        yield from driver.probe()
        yield from client.open()
        sim.trigger_at(up, w.soc.cpu.t)
    w.soc.cpu.post(bring_up, 0, latency=0)
    reads: list[int] = []
    cpu = w.host.cpu
    status_port, data_port = RAW_DATA_PORT + 4, RAW_DATA_PORT

    def host_reader():
        # Host firmware polling the mailbox's status register every ``poll``, once the
        # BMC has brought the channel up (before that the ports float to 0xFF).
        yield from cpu.wait(up)
        while len(reads) < nbytes:
            status = yield from cpu.inb(status_port)
            if status & 0x01:
                yield from cpu.sleep(read_delay)
                yield from cpu.inb(data_port)
                reads.append(cpu.t)
            else:
                yield from cpu.sleep(poll)

    def bmc_writer():
        yield up
        yield sim.env.timeout(us(50))
        return (yield from client.send(bytes(range(1, nbytes + 1))))

    sim.process(host_reader())
    writes = sim.run_process(bmc_writer(), limit=10 * S)
    sim.run(until=sim.now + S)
    return ObeStallResult(read_delay, writes, reads, driver.obe_slow_path)
