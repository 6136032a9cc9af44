"""An event storm: 200 sensor events in 200 ms, a 128-entry SEL, one event message buffer.

The BMC logs every event in its SEL and offers each to the host through its one-slot event message
buffer; while the slot is full, a new event is only logged.  Its SEL holds 128 entries (QEMU's
size): the rest of the storm is lost and the overflow flag set.  The host has an event user (an
ipmievd) and a monitoring agent asking Get Device ID every 50 ms; ipmi_si takes the buffered event
when SMS_ATN shows in a status read, or when the message handler's 1 s tick asks for events and the
driver next goes idle -- never while it sleeps.  During the 200 ms storm the agent's four or five
requests each find SMS_ATN set and bring one event each: the host sees five of two hundred.
"""

from buses.time import ms, s
from scenarios.scenario import boot

w = boot("isa-ipmi-kcs", seed=6)
got = []
w.host.ipmi.set_gets_events(lambda t, rsp: got.append(t))
sel_before = len(w.bmc.sel)
t0 = w.sim.now


def agent():
    while w.sim.now < t0 + s(3):
        yield from w.host.ipmi.request(0x06, 0x01)
        yield w.sim.env.timeout(ms(50))


w.sim.process(agent())
for i in range(200):
    w.sim.run(until=t0 + i * ms(1) + 1)
    w.bmc.raise_event(w.bmc.event_record(0x01, 0x30, 0x01, 0x57 if i % 2 else 0x50), w.sim.now)
w.sim.run(until=t0 + s(3))
logged = len(w.bmc.sel) - sel_before
info = w.request(0x0A, 0x40).data                          # Get SEL Info: byte 14 bit 7 = overflow
print(f"{logged} of 200 events in the SEL (overflow flag {info[13] >> 7}); {len(got)} reached the host, "
      f"the first {(got[0] - t0) / 1e6:.1f} ms after the storm began")
assert logged == 128 - sel_before and info[13] & 0x80
assert 3 <= len(got) <= 6                                   # one per agent request during the storm
assert got[0] - t0 < ms(60)                                 # the agent's next request sees SMS_ATN
