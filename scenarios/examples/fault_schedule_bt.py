"""A fault schedule on BT (AST2600, btbridged): the second answer dropped, the fourth late, one corrupt.

Faults attach at the seams and act on a schedule: here the BMC's answer to the 2nd Get Device ID is
dropped, the 4th is 2 s late, and the 6th comes back as Node Busy.  btbridged gives a request
5 s (BT_BMC_TIMEOUT_SEC) and then answers 0xCE itself; a late answer within that is simply late;
the host's ipmi_bt_sm takes whatever completes first.  Every act is a trace record (layer fault).
"""

from buses.time import s
from scenarios.faults import AnswerFault, Schedule, inject
from scenarios.scenario import assert_between, boot, find

w = boot("ast2600", interface="bt", seed=7, trace=True)
inject(w, AnswerFault(0x06, 0x01, drop=True, schedule=Schedule(nth=2), name="lost"),
       AnswerFault(0x06, 0x01, delay=s(2), schedule=Schedule(nth=4), name="late"),
       AnswerFault(0x06, 0x01, replace=bytes.fromhex("1C 01 C0"), schedule=Schedule(nth=6), name="busy"))
results = []
for i in range(1, 7):
    r = w.request(0x06, 0x01, limit=s(30))
    results.append(r)
    print(f"Get Device ID #{i}: cc 0x{r.cc:02X} after {r.elapsed / 1e6:9.3f} ms")
ccs = [r.cc for r in results]
assert ccs == [0x00, 0xCE, 0x00, 0x00, 0x00, 0xC0], ccs
assert_between(results[1].elapsed, s(5), s(5.01), "btbridged's 5 s answer for the lost one")
assert_between(results[3].elapsed, s(2), s(2.01), "the late answer")
assert [x.component for x in find(w, layer="fault")] == ["lost", "late", "busy"]
