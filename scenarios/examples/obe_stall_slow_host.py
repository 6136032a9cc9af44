"""A slow host on an AST2600 hits the OBE stall: 500 ms per byte once the host takes over 100 us.

kcs_bmc_aspeed has no OBE interrupt: after writing ODR it busy-polls STR for 100 us for the host
to read it, then falls back to a timer every HZ/2 (500 ms with the BMC's HZ 100).  A host that
reads each byte 90 us after seeing OBF keeps the stream moving at the poll's pace; one that reads
after 150 us leaves every byte to the timer.  The 2024 proposal of a 200 us poll (the variant
obe-poll-200us) covers that host.
"""

from buses.time import ms, us
from scenarios import obe_stall
from scenarios.scenario import assert_between

fast = obe_stall.run(read_delay=us(90), nbytes=4)
slow = obe_stall.run(read_delay=us(150), nbytes=4)
patched = obe_stall.run(read_delay=us(150), nbytes=4, variants=("obe-poll-200us",))
for name, r in (("90 us host", fast), ("150 us host", slow), ("150 us, 200 us poll", patched)):
    print(f"{name:20}: gaps {' '.join(f'{g / 1e6:.3f}' for g in r.intervals)} ms, {r.slow_path} fallbacks")
assert fast.slow_path == 0 and patched.slow_path == 0
for gap in fast.intervals + patched.intervals:
    assert_between(gap, us(90), us(200), "a byte taken by the busy poll")
for gap in slow.intervals:
    assert_between(gap, ms(490), ms(500), "a byte left to the HZ/2 timer")
