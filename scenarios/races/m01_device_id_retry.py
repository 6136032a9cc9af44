"""M-1: the message handler's Get Device ID retry cannot run, so one busy answer at start-up costs the interface."""

from buses.time import s
from scenarios.faults import AnswerFault, Schedule, inject
from scenarios.scenario import first
from scenarios.world import World

from . import outcome, race

BUSY = bytes.fromhex("1C 01 C0")         # Get Device ID: Node Busy


@race("M-1", "msghandler-devid-no-retry", "host: ipmi_msghandler (start-up)",
      "A busy BMC at start-up: the message handler's Get Device ID retry never runs",
      """Found while modelling 6.12, not in the reference catalogue. The BMC is still settling while the
      host's drivers load and answers some Get Device IDs with 0xC0, Node Busy (each with probability
      0.3, at most twice, drawn from the seed). ipmi_si's probe retries on a completion code and gets
      through. Then ipmi_add_smi fetches the device id itself: __get_device_id would sleep 500 ms and
      retry when bmc->cc is an error, but bmc_device_id_handler returns on a CC error before recording
      it ("device id fetch failed"), so bmc->cc stays 0, the retry never runs and the fetch fails:
      ipmi_add_smi gives up and /dev/ipmi0 never appears. Recording the code first makes the retry
      work (a proposed change; the variant).""",
      "the interface never appears: ipmi_add_smi fails on one busy answer",
      buggy=(), fixed=("msghandler-devid-retry-reachable",), seed=7)
def play(variants, seed):
    w = World("isa-ipmi-kcs", seed=seed, trace=True, variants=variants)
    (f,) = inject(w, AnswerFault(0x06, 0x01, replace=BUSY, schedule=Schedule(probability=0.3, count=2),
                                 name="bmc-settling"))
    up = w.boot(limit=s(30))
    failed = first(w, layer="msg", event="device-id-failed")
    if not up:
        return outcome(w, True, failed.t if failed else w.sim.now,
                       f"ipmi_add_smi failed: the message handler's Get Device ID got 0xC0 and did not retry "
                       f"({f.acted} busy answers in all)")
    retries = len([r for r in w.sim.tracer.records if r.event == "device-id-retry"])
    return outcome(w, False, None, f"the interface is up ({f.acted} busy answers, {retries} message-handler "
                   "retries)")
