"""H-9: BT's own capabilities fetch races the message handler's first requests."""

import dataclasses

from buses.time import ms, s
from scenarios.world import World

from . import outcome, race

REGISTER_WORK = ms(40)      # ipmi_add_smi's work before its first request: drawn from [0, 40 ms)


@race("H-9", "bt-capabilities-from-idle", "host: ipmi_bt_sm + ipmi_si + msghandler",
      "BT: a request started while the state machine fetched its capabilities",
      """The host boots against the AST2600's iBT. Before the 2018 rework the BT machine fetched
      Get BT Interface Capabilities by itself: bt_detect only looked at the status, and the first
      event that found the machine IDLE with no capabilities yet sent the request from IDLE -- a
      transaction ipmi_si knows nothing about, with no current message. Here that first idle event
      comes when ipmi_si's start-up flag clear is done, about 28 ms after boot. The message handler,
      meanwhile, registers the interface (its work takes 0-40 ms, drawn from the seed) and then
      asks for the device GUID. If that request lands while the capabilities are on the wire,
      sender() finds nothing current and starts it at once; bt_start_transaction refuses (not
      IDLE: 0xD5) and the request fails. The Device ID request that follows fails the same way,
      and ipmi_add_smi gives up: 'Unable to get the device id', no /dev/ipmi0 until the module is
      reloaded. The fixed machine fetches its capabilities inside bt_detect, before the interface
      is registered, so the window is gone.""",
      "the interface never registers: Get Device GUID and Get Device ID refused with 0xD5",
      buggy=("bt-capabilities-from-idle",), fixed=(), seed=3)
def play(variants, seed):
    w = World("ast2600", interface="bt", seed=seed, trace=True, variants=variants)
    work = w.sim.rng.randrange(REGISTER_WORK)
    w.si_config = dataclasses.replace(w.si_config, register_work=work)      # before the host attaches
    booted = w.boot(limit=s(30))
    refused = [r for r in w.sim.tracer.records if r.event == "start-refused"]
    if not booted:
        t = refused[-1].t if refused else w.sim.now
        return outcome(w, True, t, f"the message handler's first request came {work / 1e6:.3f} ms into its "
                       f"registration, inside the capabilities fetch: {len(refused)} requests refused with "
                       f"0xD5, 'Unable to get the device id' at {t / 1e9:.6f} s")
    return outcome(w, False, None, f"registered; the message handler's work took {work / 1e6:.3f} ms "
                   f"({len(refused)} requests refused)")
