"""Reading the SEL across a BMC cold reset: the read waits for the firmware, then the reservation is gone.

The host reserves the SEL and reads its 20 entries in two parts each (bytes 0-7, then 8-15 with the
reservation, which a partial read needs).  After ten it sends ``mc reset cold``: the BMC answers,
then its firmware is down for 2 s while it reboots.  The next read waits in IDR for the firmware
(ipmi_kcs_sm waits 5 s for IBF, longer than the reboot) and is answered when the BMC is back; the
partial read after it gets 0xC5: a cold reset cancels the reservation.  The reader reserves again
and goes on; no entry is lost (the SEL lives in the BMC's store, the reservation does not).
"""

from buses.time import ms, s
from scenarios.scenario import ask, assert_between, boot

REBOOT = s(2)
w = boot("ast2600", seed=3)
for i in range(20):                                        # 20 records the BMC logged earlier
    w.bmc.sel.add(bytes((0, 0, 0x02)) + bytes(4) + bytes((0x20, 0, 0x04, 0x01, 0x30 + i, 0x01, 0, 0, 0)), w.sim.now)


def reserve() -> str:
    return " ".join(ask(w, "28 42").split()[3:5])           # Reserve SEL: the reservation id, LSB first


def reboot_bmc() -> None:
    assert ask(w, "18 02").split()[2] == "00"               # mc reset cold: answered first
    w.bmc.cold_reset(w.sim.now)
    w.channel.stop_servicing()                              # then the firmware is gone for REBOOT
    w.sim.call_at(w.sim.now + REBOOT, w.channel.start_servicing)


rid, record, read, waited = reserve(), "00 00", [], None
while record != "FF FF":
    t0 = w.sim.now
    head = ask(w, f"28 43 {rid} {record} 00 08", limit=s(60)).split()
    if len(read) == 10 and waited is None:
        waited = w.sim.now - t0
        print(f"{w.sim.now / 1e9:9.6f} s  the read after the reset waited {waited / 1e9:.3f} s: {head[2]}")
    assert head[2] == "00", head
    tail = ask(w, f"28 43 {rid} {record} 08 08").split()
    if tail[2] == "C5":                                     # the reservation died with the reboot
        print(f"{w.sim.now / 1e9:9.6f} s  record {record}, bytes 8-15: C5, reserving again")
        rid = reserve()
        tail = ask(w, f"28 43 {rid} {record} 08 08").split()
    assert tail[2] == "00", tail
    read.append(record)
    record = " ".join(head[3:5])
    if len(read) == 10:
        reboot_bmc()

assert len(read) == 20 == len(set(read)), read
assert_between(waited, REBOOT - ms(5), REBOOT + ms(20), "the read that met the reboot")
print(f"read all {len(read)} entries at {w.sim.now / 1e9:.3f} s")
