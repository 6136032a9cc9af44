"""B-3: ASPEED has no OBE interrupt, so a host slower than the busy poll costs 500 ms a byte."""

from buses.time import us
from scenarios import obe_stall

from . import Outcome, race


@race("B-3", "obe-stall", "BMC: kcs_bmc_aspeed (AST2600)",
      "ASPEED has no OBE interrupt: 500 ms stalls per byte",
      """The BMC writes a byte to ODR and waits for the host to read it before writing the next. The
      ASPEED LPC block raises no interrupt when OBF clears, so kcs_bmc_aspeed busy-polls STR for
      100 us and then falls back to a timer every HZ/2. A host whose read of ODR comes later than the
      poll (here 60-160 us after it saw OBF, drawn per byte from the seed) leaves the byte to the
      timer: the next byte goes up to 500 ms later. The 200 us poll proposed in 2024 covers those
      hosts. The run stops when the driver falls back (trace: fw obe-slow-path): from there the
      stall is certain.""",
      "the driver falls back to its HZ/2 OBE timer: the next byte waits up to 500 ms",
      buggy=(), fixed=("obe-poll-200us",))
def play(variants, seed):
    r = obe_stall.run(read_delay=us(60), read_jitter=us(100), nbytes=4, seed=seed, trace=True,
                      variants=variants, stop_on_fallback=True)
    if r.fallback_at is not None:
        n = len(r.read_times)
        return Outcome(True, r.fallback_at, f"byte {n + 1}: OBF still set when the 100 us poll ended; "
                       "left to the OBE timer", r.digest, r.end, r.records)
    worst = max(r.intervals) if r.intervals else 0
    return Outcome(False, None, f"all {len(r.read_times)} bytes seen by the busy poll (worst gap {worst / 1e3:.1f} us)",
                   r.digest, r.end, r.records)
