"""H-13: the SSIF probe's multi-part test writes its parts back to back, and a busy BMC NAKs the second."""

from buses.time import ms, s, us
from scenarios.faults import Fault, Schedule, inject
from scenarios.scenario import boot_world, first
from scenarios.world import World

from . import outcome, race

MULTI_PART = (0x06, 0x07)          # SSIF_IPMI_MULTI_PART_REQUEST_START / _MIDDLE


class BusyAfterPart(Fault):
    """A BMC that works on each multi-part write for ``busy`` ns after its STOP and NAKs its address
    meanwhile (an I2C target that cannot take the next part yet)."""

    seam = "smbus.wire"

    def __init__(self, busy: int, name: str = "busy-after-part"):
        super().__init__(Schedule(), name)
        self.busy = busy
        self._cmd = None              # the SMBus command byte of the transfer in progress
        self._first = False
        self._until = -1

    def hop(self, world):
        return world.host.smbus_adapter.bus.wire

    def layer(self, nxt):
        def call(cond, t, target, value):
            if cond == "start":
                if not value and t < self._until and self._fires(t):
                    self._trace(t, "nak", cond="start", busy_until=self._until)
                    return False
                self._first = not value
            elif cond == "write" and self._first:
                self._cmd, self._first = value, False
            elif cond == "stop" and self._cmd in MULTI_PART:
                self._until, self._cmd = t + self.busy, None
            return nxt(cond, t, target, value)
        return call


@race("H-13", "ssif-multipart-probe", "host: ipmi_ssif (probe)",
      "SSIF multi-part probe races a slow BMC",
      """The BMC offers multi-part messages (Get System Interface Capabilities: 255 bytes each way), so
      ipmi_ssif's probe tests them: it writes a 0x06 start and a 0x07 middle part of a Get Device ID
      back to back. This BMC, under load, works on each part for 0.1-2 ms (drawn from the seed) and
      NAKs its address meanwhile. The middle write has no retry in the probe: it fails, and multi-part
      support is switched off for good (max_xmit_msg_size 32), although the BMC would have taken the
      part a moment later. The proposed 'ipmi: ssif: Add msleep in multipart test' (2021) sleeps
      SSIF_MSG_MSEC after each part; it was not merged (the maintainer asked for a quirk list instead),
      so mainline keeps the race and the fix is the variant.""",
      "multi-part support wrongly switched off: messages over 32 bytes cannot be sent",
      buggy=(), fixed=("ssif-multipart-probe-msleep",))
def play(variants, seed):
    w = World("smbus-ipmi", seed=seed, trace=True, variants=variants)
    busy = us(100) + w.sim.rng.randrange(ms(1.9))
    (f,) = inject(w, BusyAfterPart(busy))
    boot_world(w, limit=s(60))
    si = w.host.si
    ready = first(w, layer="si", event="ready")
    if si.max_xmit_msg_size <= 32:
        return outcome(w, True, ready.t, f"probe: the middle part was NAKed ({f.acted} NAKs, BMC busy "
                       f"{busy / 1e3:.0f} us after each part): max_xmit_msg_size {si.max_xmit_msg_size}")
    return outcome(w, False, None, f"probe: multi-part works (max_xmit_msg_size {si.max_xmit_msg_size}, "
                   f"BMC busy {busy / 1e3:.0f} us after each part)")
