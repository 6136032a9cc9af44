"""B-6: ssif_bmc drops a new request that arrives while a response is still pending."""

from buses.time import ms, s
from scenarios.faults import BusFault, Schedule, inject
from scenarios.scenario import boot, first

from . import outcome, race

FIRST_BLOCK_READS = 33          # count byte + 32 bytes of a multi-part response's first block


@race("B-6", "ssif-bmc-request-lost", "BMC: ssif_bmc (AST2600)",
      "ssif_bmc drops a new request that arrives while a response is pending",
      """The host reads 60 bytes of FRU data: a 64-byte answer, read in three blocks. A glitch on the bus
      flips one bit in one of the first bytes of the middle block (which byte is drawn from the seed).
      When it hits the block number, ipmi_ssif sees a block out of sequence and fails the message
      without reading on, and the BMC still holds the rest of the answer. The host's next request
      (Get Device ID) comes at once. ssif_bmc stores its SMBus command, then discards the stale
      answer -- and before 'ipmi: ssif_bmc: Fix new request loss when bmc ready for a response'
      (6.14) that discard wiped the part buffer with the command in it, so the request was never
      handled: the host reads for 15 s and gives up. The fix clears the part buffer on STOP.""",
      "the request after an abandoned multi-part read is lost: 0xFF after 15 s",
      buggy=("ssif-bmc-request-lost-on-pending-response",), fixed=(), seed=1)
def play(variants, seed):
    w = boot("ast2600", interface="ssif", seed=seed, trace=True, variants=variants)
    sim = w.sim
    t0 = sim.now
    k = sim.rng.randrange(4)                                    # 0 count, 1 block number, 2-3 data
    inject(w, BusFault("corrupt", "read", value=0x01, schedule=Schedule(after=t0, nth=FIRST_BLOCK_READS + 1 + k),
                       name="bus-glitch"))
    fru = w.request(0x0A, 0x11, bytes((0, 0, 0, 60)), limit=s(30))
    gdi = w.request(0x06, 0x01, limit=s(30))
    what = ("the count byte", "the block number", "a data byte", "a data byte")[k]
    if gdi.cc != 0 or gdi.elapsed > ms(500):
        lost = first(w, layer="fw", event="response-discarded", since=t0)
        return outcome(w, True, gdi.t_done, f"the glitch hit {what}: the FRU read failed (0x{fru.cc:02X}); Get "
                       f"Device ID answered 0x{gdi.cc:02X} after {gdi.elapsed / 1e9:.2f} s"
                       + (f" (stale answer discarded at {lost.t / 1e9:.6f} s with the new command)" if lost else ""))
    return outcome(w, False, None, f"the glitch hit {what}: FRU read 0x{fru.cc:02X}, then Get Device ID answered in "
                   f"{gdi.elapsed / 1e6:.1f} ms")
