"""A dead BMC and the host driver's give-up time, on the three system interfaces.

The BMC's firmware stops answering.  Linux gives up on its own clock:

- KCS (ipmi_kcs_sm): 5 s for IBF to clear, 10 error retries, each with an abort: 0xFF after 55 s;
- BT (ipmi_bt_sm): the capabilities' request-to-response time, times its retries (QEMU: 5 s, 2): 0xC3;
- SSIF (ipmi_ssif) on an AST2600: ssif_bmc abandons the request after 500 ms and answers every read
  with a zero count; the host retries the read 250 times, 60 ms apart: 0xFF after about 15 s.
"""

from buses.time import s
from scenarios.scenario import ask, assert_between, boot

for preset, interface, cc, lo, hi in (("isa-ipmi-kcs", "kcs", "FF", s(55), s(55.2)),
                                      ("isa-ipmi-bt", "bt", "C3", s(10), s(10.1)),
                                      ("ast2600", "ssif", "FF", s(14.9), s(15.1))):
    w = boot(preset, interface=interface, seed=1)
    w.channel.stop_servicing()
    t0 = w.sim.now
    rsp = ask(w, "18 01", limit=s(120))
    assert rsp.split()[2] == cc, f"{preset}/{interface}: {rsp}"
    assert_between(w.sim.now - t0, lo, hi, f"{preset}/{interface} give-up time")
    print(f"{preset:13} {interface:4}: {rsp} after {(w.sim.now - t0) / 1e9:.3f} s")
