"""Conformance table, Chassis commands (NetFn 0x00): happy paths and the CC ladder of each.

The BMC drives a real ``vserver.Host`` here, so power actions are checked on the host's
wires.  Rows marked "QEMU" carry ``ipmi-bmc-sim``'s bytes; QEMU bug 2 (restart cause at
0x09) is the one this table declines on purpose.
"""

import pytest

from bmc.ipmi.msg import from_hex, hexdump
from bmc.privilege import Privilege
from buses.time import S
from tests.conformance import Case, fresh_world, run_case

P = Privilege


def ask(w, request: str) -> str:
    return hexdump(w.ipmid.handle(from_hex(request)))


def host_off(w):
    w.host.power_off(0)


def identify_reported(w):
    w.bmc.chassis.identify_state_supported = True
    w.bmc.chassis.identify(10, False, 0)


def three_hours_on(w):
    w.sim.run(until=3 * 3600 * S + 1)


def boot_set_in_progress(w):
    assert ask(w, "00 08 00 01") == "04 08 00"


def pxe_staged(w):
    boot_set_in_progress(w)
    assert ask(w, "00 08 05 80 04 00 00 00") == "04 08 00"


def after_the_answer(w):
    """The BMC answers Chassis Control first and pulls the wire ``chassis_control_delay`` later."""
    assert w.host.power_events in ([], [(0, "power-off")])      # nothing yet (host_off's own event aside)
    w.sim.run(until=w.bmc.chassis_control_delay + 1)
    return w.bmc.chassis_control_delay


def last_event(event):
    def check(w, rsp):
        t = after_the_answer(w)
        assert w.host.power_events[-1] == (t, event)
    return check


def hard_reset_by_command(w, rsp):
    assert ask(w, "00 07") == "04 07 00 01 0F"            # chassis control command, system interface: at once
    t = after_the_answer(w)
    assert w.host.power_events == [(t, "hard-reset")]


def identify_15s(w, rsp):
    chassis = w.bmc.chassis
    assert chassis.identify_state(15 * S - 1) == 1 and chassis.identify_state(15 * S) == 0


def identify_forced(w, rsp):
    assert w.bmc.chassis.identify_state(10**15) == 2


def identify_off(w, rsp):
    assert w.bmc.chassis.identify_state(0) == 0


def policy_always_on(w, rsp):
    assert ask(w, "00 01") == "04 01 00 41 00 00 00"


def pxe_committed(w, rsp):
    assert w.bmc.chassis.boot.flags == from_hex("80 04 00 00 00")
    assert ask(w, "00 09 05 00 00") == "04 09 00 01 05 80 04 00 00 00"


def pxe_rolled_back(w, rsp):
    assert w.bmc.chassis.boot.flags == bytes(5)
    assert ask(w, "00 09 05 00 00") == "04 09 00 01 05 00 00 00 00 00"


def flags_locked(w, rsp):
    assert ask(w, "00 09 05 00 00") == "04 09 00 01 85 00 00 00 00 00"


def mailbox_block_1(w, rsp):
    assert ask(w, "00 09 07 01 00") == "04 09 00 01 07 01 01 02 03 " + hexdump(bytes(13))


CASES = [
    # Get Chassis Capabilities
    Case("00 00", 0x00, rsp="04 00 00 00 20 20 20 20", note="QEMU: FRU/SDR/SEL/SM device at 0x20"),
    Case("00 00 00", 0xC7, "long"),
    Case("00 00", 0xD4, "privilege", privilege=P.CALLBACK),
    # Get Chassis Status
    Case("00 01", 0x00, rsp="04 01 00 61 00 00 00", note="QEMU: on, restore policy unknown"),
    Case("00 01", 0x00, "state", rsp="04 01 00 60 00 00 00", setup=host_off, note="power from the host's wires"),
    Case("00 01", 0x00, "state", rsp="04 01 00 61 00 50 00", setup=identify_reported, note="timed identify"),
    Case("00 01 00", 0xC7, "long"),
    Case("00 01", 0xD4, "privilege", privilege=P.CALLBACK),
    # Chassis Control
    Case("00 02 03", 0x00, rsp="04 02 00", check=hard_reset_by_command),
    Case("00 02 00", 0x00, rsp="04 02 00", check=last_event("power-off")),
    Case("00 02 01", 0x00, rsp="04 02 00", setup=host_off, check=last_event("power-on")),
    Case("00 02 02", 0x00, rsp="04 02 00", check=last_event("power-cycle")),
    Case("00 02 04", 0x00, rsp="04 02 00", check=last_event("diag-interrupt")),
    Case("00 02 05", 0x00, rsp="04 02 00", check=last_event("soft-shutdown")),
    Case("00 02 02", 0xD5, "state", setup=host_off, note="power cycle while off: the spec recommends D5"),
    Case("00 02", 0xC7, "short"),
    Case("00 02 01 00", 0xC7, "long"),
    Case("00 02 10", 0xCC, "reserved", note="bits 7:4"),
    Case("00 02 06", 0xCC, "range", note="control 6"),
    Case("00 02 01", 0xD4, "privilege", privilege=P.USER),
    # Chassis Reset
    Case("00 03", 0x00, rsp="04 03 00", check=hard_reset_by_command),
    Case("00 03", 0xD5, "state", setup=host_off),
    Case("00 03 00", 0xC7, "long"),
    Case("00 03", 0xD4, "privilege", privilege=P.USER),
    # Chassis Identify
    Case("00 04", 0x00, rsp="04 04 00", check=identify_15s, note="default interval 15 s"),
    Case("00 04 00 01", 0x00, rsp="04 04 00", check=identify_forced),
    Case("00 04 00", 0x00, rsp="04 04 00", setup=identify_reported, check=identify_off),
    Case("00 04 0F 01 00", 0xC7, "long"),
    Case("00 04 0F 02", 0xCC, "reserved", note="force byte bits 7:1"),
    Case("00 04 0F", 0xD4, "privilege", privilege=P.USER),
    # Set Power Restore Policy
    Case("00 06 02", 0x00, rsp="04 06 00 07", check=policy_always_on, note="all three policies supported"),
    Case("00 06 03", 0x00, rsp="04 06 00 07", note="no change: just the supported policies"),
    Case("00 06", 0xC7, "short"),
    Case("00 06 02 00", 0xC7, "long"),
    Case("00 06 12", 0xCC, "reserved"),
    Case("00 06 04", 0xCC, "range"),
    Case("00 06 02", 0xD4, "privilege", privilege=P.USER),
    # Get System Restart Cause, at its real code 0x07 (QEMU bug 2 puts it at 0x09)
    Case("00 07", 0x00, rsp="04 07 00 00 00", note="unknown, channel 0"),
    Case("00 07 00", 0xC7, "long"),
    Case("00 07", 0xD4, "privilege", privilege=P.CALLBACK),
    # Set System Boot Options
    Case("00 08 05 80 04 00 00 00", 0x00, rsp="04 08 00", check=pxe_committed, note="ipmitool chassis bootdev pxe"),
    Case("00 08 00 01", 0x00, rsp="04 08 00", note="set in progress"),
    Case("00 08 00 02", 0x00, setup=pxe_staged, check=pxe_committed, note="commit write"),
    Case("00 08 00 00", 0x00, setup=pxe_staged, check=pxe_rolled_back, note="complete without commit: rollback"),
    Case("00 08 85", 0x00, check=flags_locked, note="no data: only the invalid/locked bit"),
    Case("00 08 07 01 01 02 03", 0x00, check=mailbox_block_1, note="a partial mailbox block"),
    Case("00 08 00 01", 0x81, "state", setup=boot_set_in_progress, note="set in progress already claimed"),
    Case("00 08", 0xC7, "short"),
    Case("00 08 05 80 04 00 00", 0xC7, "short", note="boot flags are 5 bytes"),
    Case("00 08 07 00 " + "00 " * 17, 0xC7, "long"),
    Case("00 08 05 81 04 00 00 00", 0xCC, "reserved", note="boot flags data 1 bits 4:0"),
    Case("00 08 05 80 28 00 00 00", 0xCC, "reserved", note="boot device selector 0xA"),
    Case("00 08 00 03", 0xCC, "reserved", note="set in progress 11b"),
    Case("00 08 07 05 01", 0xC9, "range", note="mailbox block 5"),
    Case("00 08 08 00", 0x80, "missing", note="parameter 8 not supported"),
    Case("00 08 05 80 04 00 00 00", 0xD4, "privilege", privilege=P.USER),
    # Get System Boot Options
    Case("00 09 05 00 00", 0x00, rsp="04 09 00 01 05 00 00 00 00 00", note="not restart cause data (QEMU bug 2)"),
    Case("00 09 00 00 00", 0x00, rsp="04 09 00 01 00 00"),
    Case("00 09 04 00 00", 0x00, rsp="04 09 00 01 04 00 00", note="write mask reads back 00"),
    Case("00 09 03 00 00", 0x00, rsp="04 09 00 01 03 00"),
    Case("00 09 07 04 00", 0x00, rsp="04 09 00 01 07 04 " + hexdump(bytes(16))),
    Case("00 09 05 00", 0xC7, "short"),
    Case("00 09 05 00 00 00", 0xC7, "long"),
    Case("00 09 85 00 00", 0xCC, "reserved"),
    Case("00 09 07 05 00", 0xC9, "range", note="mailbox block 5"),
    Case("00 09 08 00 00", 0x80, "missing"),
    Case("00 09 05 00 00", 0xD4, "privilege", privilege=P.USER),
    # Get POH Counter
    Case("00 0F", 0x00, rsp="04 0F 00 3C 00 00 00 00", note="60 minutes per count"),
    Case("00 0F", 0x00, "state", rsp="04 0F 00 3C 03 00 00 00", setup=three_hours_on),
    Case("00 0F 00", 0xC7, "long"),
    Case("00 0F", 0xD4, "privilege", privilege=P.CALLBACK),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id() for c in CASES])
def test_chassis_conformance(case):
    run_case(case)


def test_ipmitool_bootdev_sequence_then_bootparam_get_5():
    """``ipmitool chassis bootdev pxe``: in progress, ack, flags, commit, complete."""
    w = fresh_world()
    for request in ("00 08 00 01", "00 08 04 01 01", "00 08 05 80 04 00 00 00", "00 08 00 02", "00 08 00 00"):
        assert ask(w, request) == "04 08 00", request
    assert ask(w, "00 09 05 00 00") == "04 09 00 01 05 80 04 00 00 00"
    assert ask(w, "00 09 04 00 00") == "04 09 00 01 04 00 01"    # BIOS/POST has not handled it yet
    assert ask(w, "00 09 00 00 00") == "04 09 00 01 00 00"


def test_boot_flag_valid_bit_clears_60_s_after_set_without_chassis_control():
    w = fresh_world()
    assert ask(w, "00 08 05 80 04 00 00 00") == "04 08 00"
    w.sim.run(until=59 * S)
    assert w.bmc.chassis.boot.flags[0] == 0x80
    w.sim.run(until=60 * S + 1)
    assert w.bmc.chassis.boot.flags == from_hex("00 04 00 00 00")


def test_chassis_control_restarts_the_60_s_and_parameter_3_can_stop_it():
    w = fresh_world()
    assert ask(w, "00 08 05 C0 04 00 00 00") == "04 08 00"          # persistent PXE
    w.sim.run(until=50 * S)
    assert ask(w, "00 02 04") == "04 02 00"                          # any Chassis Control restarts the 60 s
    w.sim.run(until=109 * S)
    assert w.bmc.chassis.boot.flags[0] == 0xC0
    w.sim.run(until=111 * S)
    assert w.bmc.chassis.boot.flags[0] == 0x40
    assert ask(w, "00 08 03 08") == "04 08 00"                       # don't clear on the 60 s timeout
    assert ask(w, "00 08 05 C0 04 00 00 00") == "04 08 00"
    w.sim.run(until=300 * S)
    assert w.bmc.chassis.boot.flags[0] == 0xC0


def test_identify_state_is_lazy_no_event_turns_it_off():
    w = fresh_world()
    w.bmc.chassis.identify_state_supported = True
    before = len(w.sim.env._queue)
    assert ask(w, "00 04 05") == "04 04 00"
    assert len(w.sim.env._queue) == before
    assert ask(w, "00 01") == "04 01 00 61 00 50 00"
    w.sim.run(until=5 * S)
    assert ask(w, "00 01") == "04 01 00 61 00 40 00"


def test_cold_reset_drops_volatile_boot_options_and_keeps_the_flags():
    w = fresh_world()
    for request in ("00 08 04 01 01", "00 08 05 C0 04 00 00 00", "00 08 00 01"):
        assert ask(w, request) == "04 08 00"
    assert ask(w, "18 02") == "1C 02 00"
    assert ask(w, "00 09 00 00 00") == "04 09 00 01 00 00"           # set complete again
    assert ask(w, "00 09 04 00 00") == "04 09 00 01 04 00 00"        # acknowledge data back to 00h
    assert ask(w, "00 09 05 00 00") == "04 09 00 01 05 C0 04 00 00 00"
