"""Get Device ID on the AST2600, polled and interrupt-driven, with a lost answer on the way."""
from buses.time import ms, s
from scenarios.faults import AnswerFault, Schedule, inject
from scenarios.scenario import ask, assert_between, boot, find

for irq in (False, True):
    w = boot("ast2600", irq=irq, trace=True)
    t0 = w.sim.now
    assert ask(w, "18 01").startswith("1C 01 00")
    took = w.sim.now - t0
    print(f"{'irq' if irq else 'polled'}: Get Device ID took {took / 1e6:.3f} ms")
    assert_between(took, ms(2), ms(6), "a full-stack Get Device ID")

# The BMC drops its next answer: ipmi_kcs_sm waits 5 s for OBF, aborts and resends.
w = boot("ast2600", seed=2, trace=True)
inject(w, AnswerFault(0x06, 0x01, drop=True, schedule=Schedule(nth=1), name="lost"))
t0 = w.sim.now
rsp = ask(w, "18 01")
print(f"with the answer lost: {rsp[:8]} after {(w.sim.now - t0) / 1e9:.3f} s")
assert_between(w.sim.now - t0, s(5), s(6), "one OBF timeout and a resend")
assert [r.component for r in find(w, layer="fault")] == ["lost"]
