"""A sweep: race B-3 (the ASPEED OBE stall) over 100 seeds on every core, then a replay of one.

Each seed draws the host's read latency for each byte (60-160 us); the mainline 100 us busy poll
misses the bytes read late, the 200 us variant does not.  A sweep runs each seed in a worker
process; the same seed gives the same trace digest wherever it runs.
"""

from scenarios import races
from scenarios.races.sweep import sweep

buggy = sweep("B-3", range(100), "buggy", jobs=2)
fixed = sweep("B-3", range(100), "fixed", jobs=2)
print(f"B-3 buggy: symptom in {len(buggy.failing)} of 100 seeds ({100 * buggy.fraction:.1f}%), "
      f"fixed: {len(fixed.failing)}; {buggy.wall_s:.1f} s + {fixed.wall_s:.1f} s on 2 workers")
assert 0.5 < buggy.fraction < 1.0 and not fixed.failing
seed = buggy.failing[0]
again, _ = races.run("B-3", "buggy", seed)                 # in this process: the same run, bit for bit
assert again == buggy.runs[seed]
print(f"seed {seed} replayed here: digest {again.digest[:16]}..., symptom at {again.at / 1e3:.1f} us")
