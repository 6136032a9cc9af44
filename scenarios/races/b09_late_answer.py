"""B-9: a user-space SSIF bridge forwards ipmid's late answer to an older request as the current one's."""

from buses.time import ms, s
from scenarios.faults import AnswerFault, inject
from scenarios.scenario import boot, first

from . import outcome, race

GUID, DEVICE_ID = 0x37, 0x01


@race("B-9", "ssifbridge-late-answer", "BMC: ssifbridged (user space) over ssif_bmc (AST2600)",
      "User-space SSIF bridge: a late answer matched to the wrong request",
      """During AC cycling ipmid is slow on D-Bus. The host asks Get Device GUID; ipmid answers it only
      14.9-15.6 s later (drawn from the seed). ssif_bmc abandons the request after 500 ms, the host's
      ipmi_ssif reads for 250 x 60 ms, gives up with 0xFF and sends its next request, Get Device ID,
      which ipmid takes 450 ms to answer. When the GUID answer lands inside that wait, the older
      bridge writes it back as the answer to the request in flight: ssif_bmc has a request pending,
      takes it, and the host reads a Get Device GUID answer for Get Device ID, which the message
      handler rejects (0xFF). ssifbridge's 'Fix host ssif driver unable to create /dev/ipmi0
      interface' writes back only the answer to the last request read, and only when no other is
      outstanding -- which has its own cost, visible here: while ipmid still owes the GUID answer,
      the Get Device ID answer is dropped too, and the host gives up on it after 15 s (0xFF), but
      it never reads another request's answer.""",
      "the host's request gets another request's answer (the message handler rejects it)",
      buggy=("ssifbridge-forward-every-answer",), fixed=(), seed=3)
def play(variants, seed):
    w = boot("ast2600", interface="ssif", seed=seed, trace=True, variants=variants)
    sim = w.sim
    late = s(14.5) + sim.rng.randrange(s(2))
    inject(w, AnswerFault(0x06, GUID, delay=late, name="slow-ipmid-guid"),
           AnswerFault(0x06, DEVICE_ID, delay=ms(450), name="slow-ipmid-devid"))
    a = w.request(0x06, GUID, limit=s(30))
    b = w.request(0x06, DEVICE_ID, limit=s(30))
    t_late = a.t_sent + late
    wrong = first(w, layer="msg", event="invalid-response", since=b.t_sent)
    if wrong is not None:
        return outcome(w, True, wrong.t, f"Get Device ID got the Get Device GUID answer "
                       f"({(t_late - b.t_sent) / 1e6:.0f} ms into its wait): rejected, 0x{b.cc:02X}")
    where = "before" if t_late < b.t_sent else "inside" if t_late < b.t_done else "after"
    return outcome(w, False, None, f"the GUID answer came {where} Get Device ID's wait; Get Device ID "
                   f"answered 0x{b.cc:02X} after {b.elapsed / 1e9:.2f} s, never with another's answer")
