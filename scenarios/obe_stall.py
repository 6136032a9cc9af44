"""The AST2600 has no "output buffer empty" interrupt (reference/linux-ipmi.md B-3).

The BMC streams bytes to the host through a raw KCS channel.  After each ODR
write the driver busy-polls STR for 100 us; a host that reads ODR within
that window lets the next byte go at once, a host that reads later (IBM P10
hosts often take 100-200 us) leaves the driver on its 500 ms timer: ten
times slower messages, a 50% longer boot.  The same stream on an NPCM7xx,
whose KCS block has a real OBE interrupt, never stalls: the comparison.  On
the AST2500 all LPC interrupts share one input, so the host's traffic on the
IPMI channel wakes the raw client early: its stalls shrink to that traffic's
period while the host driver is busy.
"""

from __future__ import annotations

from dataclasses import dataclass

from bmc.kcs_aspeed import AspeedKcsDriver
from bmc.kcs_npcm7xx import NpcmKcsDriver
from bmc.kcs_raw import KcsRawClient
from buses.time import S, us
from buses.variant import compose

from .world import World

RAW_CHANNEL = 2
RAW_DATA_PORT = 0xCA8
SOCS = ("ast2500", "ast2600", "npcm7xx")


@dataclass
class ObeStallResult:
    read_delay: int
    write_times: list[int]
    read_times: list[int]
    slow_path: int
    mmio_ns: int = 0                    # the BMC CPU's cost of one register access
    records: tuple = ()                 # the trace, when asked for
    digest: str = ""                    # its digest
    end: int = 0                        # simulated time at the end
    fallback_at: int | None = None      # stop_on_fallback: when the driver fell back to its timer

    @property
    def intervals(self) -> list[int]:
        t = self.write_times
        return [b - a for a, b in zip(t, t[1:], strict=False)]


def run(read_delay: int = us(150), nbytes: int = 4, poll: int = us(10), seed: int = 0,
        trace: bool = False, soc: str = "ast2600", kernel: str = "6.12", variants=(),
        read_jitter: int = 0, stop_on_fallback: bool = False) -> ObeStallResult:
    """Stream ``nbytes`` from BMC to host; the host reads each byte ``read_delay`` after seeing OBF.

    ``read_jitter``: each read waits up to that much more, drawn from the world's seeded RNG.
    ``stop_on_fallback``: end the run when the driver first falls back to its timer (``fallback_at``).
    ``kernel`` and ``variants`` are the BMC's (``bmc.kcs_aspeed``: how long the OBE busy poll lasts).
    """
    if soc not in SOCS:
        raise ValueError(f"soc: {soc!r} is not one of {', '.join(SOCS)}")
    w = World(soc, seed=seed, trace=trace)
    sim = w.sim
    if w.soc.family == "nuvoton":
        w.soc.kcs.decode(RAW_CHANNEL, RAW_DATA_PORT)           # the host's firmware places the channel
        driver = NpcmKcsDriver(w.soc, RAW_CHANNEL, name="kcs_bmc_npcm7xx.2")
        status_port = RAW_DATA_PORT + 1
    else:
        driver = compose(AspeedKcsDriver, variants)(w.soc, RAW_CHANNEL, RAW_DATA_PORT, name="kcs_bmc_aspeed.2")
        driver.configure_kernel(kernel, 100)
        status_port = RAW_DATA_PORT + 4                        # LPC channel 2: status at data + 4
    client = KcsRawClient(sim, driver)

    up = sim.env.event()

    def bring_up():
        yield from driver.probe()
        yield from client.open()
        sim.trigger_at(up, w.soc.cpu.t)
    w.soc.cpu.post(bring_up, 0, latency=0)
    reads: list[int] = []
    cpu = w.host.cpu
    data_port = RAW_DATA_PORT

    def host_reader():
        # Host firmware polling the mailbox's status register every ``poll``, once the
        # BMC has brought the channel up (before that the ports float to 0xFF).
        yield from cpu.wait(up)
        while len(reads) < nbytes:
            if stop_on_fallback and driver.obe_slow_path:
                sim.trigger_at(fallback, cpu.t, cpu.t)
                return
            status = yield from cpu.inb(status_port)
            if status & 0x01:
                yield from cpu.sleep(read_delay + (sim.rng.randrange(read_jitter) if read_jitter else 0))
                yield from cpu.inb(data_port)
                reads.append(cpu.t)
            else:
                yield from cpu.sleep(poll)

    def bmc_writer():
        yield up
        yield sim.env.timeout(us(50))
        return (yield from client.send(bytes(range(1, nbytes + 1))))

    fallback = sim.env.event()

    def main():
        writer = sim.process(bmc_writer())
        yield writer | fallback
        return writer.value if writer.triggered else []

    sim.process(host_reader())
    writes = sim.run_process(main(), limit=10 * S)
    if not fallback.triggered:
        sim.run(until=sim.now + S)
    return ObeStallResult(read_delay, writes, reads, driver.obe_slow_path, w.soc.cpu.mmio_ns,
                          tuple(sim.tracer.records) if trace else (), sim.tracer.digest() if trace else "",
                          sim.now, fallback.value if fallback.triggered else None)
