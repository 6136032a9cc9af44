"""The BMC command set through ``Ipmid.handle``: QEMU golden bytes, the CC ladder, and BMC state.

Golden cases come from QEMU's KCS qtest (qemu-ipmi.md 4.1) and the cases
derived from ``ipmi-bmc-sim``'s code (4.4).  Where ipmilab answers
differently on purpose, the test says which QEMU bug it declines to copy.
"""

import pytest

from bmc.bmc import Bmc, Identity
from bmc.channel import ChannelBase
from bmc.host_control import NullHostControl, RecordingHostControl
from bmc.ipmi import App, ChannelProtocol, NetFn, from_hex, hexdump
from bmc.ipmid import DEFAULT_COST_NS, Ipmid, command
from bmc.privilege import Privilege
from buses import Simulation, us


def make(host=None, lan_channel=None, identity=None, **ipmid_kw):
    sim = Simulation()
    bmc = Bmc(sim, identity=identity, host=host, lan_channel=lan_channel)
    ipmid_kw.setdefault("raise_unexpected", True)
    return sim, bmc, Ipmid(sim, bmc, **ipmid_kw)


def ask(ipmid, request: str, **kw) -> str:
    return hexdump(ipmid.handle(from_hex(request), **kw))


class RecordingInterface(ChannelBase):
    """A system interface that writes down what the BMC tells it."""

    def __init__(self, protocol=ChannelProtocol.KCS, irq_info=0xFF):
        self.protocol = protocol
        self.irq_info = irq_info
        self.atn: list[tuple[bool, bool, int]] = []
        self.irq_enable: list[tuple[bool, int]] = []
        self.resets: list[tuple[str, int]] = []

    def set_atn(self, on, irq, t):
        self.atn.append((on, irq, t))

    def set_irq_enable(self, on, t):
        self.irq_enable.append((on, t))

    def cold_reset(self, t):
        self.resets.append(("cold", t))

    def warm_reset(self, t):
        self.resets.append(("warm", t))


# -- QEMU golden bytes -----------------------------------------------------------

QEMU_DEFAULT_STATE = [
    # (request, reply) for ipmi-bmc-sim in its default state (qemu-ipmi.md 4.1 case 1, 4.4)
    ("18 01", "1C 01 00 20 00 00 00 02 8F 00 00 00 00 00"),
    ("19 01", "1D 01 C2"),
    ("18 FF", "1C FF C1"),
    ("08 00", "0C 00 C1"),
    ("18 2E", "1C 2E C7"),
    ("18 2E 10", "1C 2E CC"),
    ("18 2F", "1C 2F 00 08"),
    ("18 22", "1C 22 80"),
    ("18 08", "1C 08 C1"),
    ("18 33", "1C 33 80"),
    ("18 35", "1C 35 80"),
    ("18 31", "1C 31 00 00"),
    ("00 00", "04 00 00 00 20 20 20 20"),
    ("00 01", "04 01 00 61 00 00 00"),
    ("00 02 01", "04 02 D5"),
]


@pytest.mark.parametrize(("request_hex", "reply_hex"), QEMU_DEFAULT_STATE)
def test_qemu_default_state_golden(request_hex, reply_hex):
    _, _, ipmid = make()
    assert ask(ipmid, request_hex) == reply_hex


def test_qemu_kcs_enable_irq_golden():
    # qtest kcs_enable_irq, then kcs_base_irq: Get Device ID is unchanged with interrupts on
    _, bmc, ipmid = make()
    assert ask(ipmid, "18 2E 0F") == "1C 2E 00"
    assert bmc.global_enables == 0x0F
    assert ask(ipmid, "18 01") == "1C 01 00 20 00 00 00 02 8F 00 00 00 00 00"


def test_qemu_kcs_lan_channel_golden():
    # qtest kcs_channel_access / kcs_channel_info run with lan.channel=1
    _, _, ipmid = make(lan_channel=1)
    assert ask(ipmid, "18 41 01 40") == "1C 41 00 3A 04"
    # Differs from QEMU on purpose: its LAN channel says session-less (it has no sessions); ours is
    # multi-session (section 22.24, byte 4 bits 7:6 = 10b), as the LAN session layer serves it.
    assert ask(ipmid, "18 42 01") == "1C 42 00 01 04 01 80 F2 1B 00 00 00"


def test_channel_one_without_lan_is_invalid_field():
    _, _, ipmid = make()
    assert ask(ipmid, "18 42 01") == "1C 42 CC"
    assert ask(ipmid, "18 41 01 40") == "1C 41 CC"


def test_qemu_watchdog_set_then_get_golden():
    # Set stops the timer, so Get shows the settings with a present count of 0.
    _, _, ipmid = make(host=RecordingHostControl())
    assert ask(ipmid, "18 24 04 01 00 00 64 00") == "1C 24 00"
    assert ask(ipmid, "18 25") == "1C 25 00 04 01 00 00 64 00 00 00"


def test_watchdog_power_cycle_differs_from_qemu_bug_11():
    # QEMU bug 11 (qemu-ipmi.md 3.12): Set Watchdog rejects power cycle (1C 24 CC) because its
    # default hardware ops cannot power-cycle.  ipmilab accepts it when the host can do it...
    _, _, ipmid = make(host=RecordingHostControl())
    assert ask(ipmid, "18 24 04 03 00 00 64 00") == "1C 24 00"
    assert ask(ipmid, "18 25") == "1C 25 00 04 03 00 00 64 00 00 00"
    # ...and rejects it, like QEMU, only when the host has no power-cycle wire.
    _, _, ipmid = make(host=RecordingHostControl(unsupported=("power_cycle",)))
    assert ask(ipmid, "18 24 04 03 00 00 64 00") == "1C 24 CC"


def test_restart_cause_differs_from_qemu_bug_2():
    # QEMU bug 2: it answers Get System Restart Cause at 0x09 (Get System Boot Options' code)
    # and 0x07 with 0xC1.  ipmilab answers at the spec's 0x07, and 0x09 is Get System Boot Options.
    _, _, ipmid = make()
    assert ask(ipmid, "00 07") == "04 07 00 00 00"
    assert ask(ipmid, "00 09 05 00 00") == "04 09 00 01 05 00 00 00 00 00"   # boot flags, not a restart cause


def test_kcs_qtest_trailing_zero_needs_lenient_length():
    # QEMU's KCS qtest writes one extra 0x00 after WRITE_END; ipmi-bmc-sim ignores extra bytes.
    _, _, strict = make()
    assert ask(strict, "18 01 00") == "1C 01 C7"
    _, _, lenient = make(strict_length=False)
    assert ask(lenient, "18 01 00") == "1C 01 00 20 00 00 00 02 8F 00 00 00 00 00"
    assert ask(lenient, "18 2E 0F 00") == "1C 2E 00"
    assert ask(lenient, "18 2E") == "1C 2E C7"  # short is still short


# -- the CC ladder ------------------------------------------------------------------

_, _, _registry = make()
SPECS = _registry.specs()


def spec_id(spec):
    return f"{spec.netfn:02X}-{spec.cmd:02X}-{spec.name.replace(' ', '_')}"


def request_for(spec, n_data: int, lun: int = 0) -> bytes:
    return bytes((spec.netfn << 2 | lun, spec.cmd)) + bytes(n_data)


@pytest.mark.parametrize("spec", SPECS, ids=spec_id)
def test_ladder_short_long_privilege_lun(spec):
    _, _, ipmid = make()
    head = f"{spec.netfn << 2 | 4:02X} {spec.cmd:02X}"
    if spec.min_len > 0:
        assert hexdump(ipmid.handle(request_for(spec, spec.min_len - 1))) == f"{head} C7"
    if spec.max_len is not None:
        assert hexdump(ipmid.handle(request_for(spec, spec.max_len + 1))) == f"{head} C7"
    if spec.privilege > Privilege.CALLBACK:
        below = Privilege(spec.privilege - 1)
        assert hexdump(ipmid.handle(request_for(spec, spec.min_len), privilege=below)) == f"{head} D4"
    # Privilege is judged before length.
    if spec.privilege > Privilege.CALLBACK and spec.max_len is not None:
        rsp = ipmid.handle(request_for(spec, spec.max_len + 1), privilege=Privilege.CALLBACK)
        assert rsp[2] == 0xD4
    if spec.system_interface_only:
        assert ipmid.handle(request_for(spec, spec.min_len), channel=1)[2] == 0xD4
    rsp = ipmid.handle(request_for(spec, spec.min_len, lun=2))
    assert hexdump(rsp) == f"{spec.netfn << 2 | 4 | 2:02X} {spec.cmd:02X} C2"


def test_ladder_covers_the_commands_of_this_brief():
    names = {s.name for s in SPECS}
    for name in (
        "Get Device ID", "Get Self Test Results", "Cold Reset", "Warm Reset", "Get BMC Global Enables",
        "Set BMC Global Enables", "Get Message Flags", "Clear Message Flags", "Get Message",
        "Read Event Message Buffer", "Get Channel Info", "Get Channel Access", "Get Device GUID",
        "Get System GUID", "Get Watchdog Timer", "Set Watchdog Timer", "Reset Watchdog Timer",
        "Get Chassis Status", "Chassis Control", "Get Chassis Capabilities",
    ):
        assert name in names


def test_ladder_order_short_lun_lookup():
    _, _, ipmid = make()
    assert ask(ipmid, "") == "04 00 C7"
    assert ask(ipmid, "18") == "1C 00 C7"
    assert ask(ipmid, "19 FF") == "1D FF C2"     # LUN before lookup
    assert ask(ipmid, "1C 01") == "1C 01 C1"     # a response netfn is no command
    assert ask(ipmid, "F8 01") == "FC 01 C1"     # netfn 0x3E: nothing registered


def test_privilege_values_match_the_spec_table():
    _, _, ipmid = make()
    assert ipmid.lookup(NetFn.APP, App.GET_DEVICE_ID).privilege == Privilege.USER
    assert ipmid.lookup(NetFn.APP, App.COLD_RESET).privilege == Privilege.ADMINISTRATOR
    assert ipmid.lookup(NetFn.APP, App.SET_WATCHDOG_TIMER).privilege == Privilege.OPERATOR
    assert ipmid.lookup(NetFn.CHASSIS, 0x02).privilege == Privilege.OPERATOR


def test_busy_answers_c0_before_the_handler_runs():
    _, bmc, ipmid = make()
    ipmid.busy = True
    assert ask(ipmid, "18 2E 0F") == "1C 2E C0"
    assert bmc.global_enables == 0x08
    assert ask(ipmid, "18 2E") == "1C 2E C7"  # length is judged first
    ipmid.busy = False
    ipmid.busy_hook = lambda netfn, cmd: cmd == App.GET_DEVICE_ID
    assert ask(ipmid, "18 01") == "1C 01 C0"
    assert ask(ipmid, "18 2F") == "1C 2F 00 08"


@command(0x30, 0x01, privilege=Privilege.USER, req_len=0)
def oem_broken(call):
    raise RuntimeError("handler bug")


@command(0x30, 0x02, privilege=Privilege.USER, min_len=1, max_len=3)
def oem_not_implemented(call):
    raise NotImplementedError


def test_unexpected_exception_is_ff_or_reraised():
    _, _, ipmid = make(command_sets=[[oem_broken, oem_not_implemented]], raise_unexpected=False)
    assert ask(ipmid, "C0 01") == "C4 01 FF"
    assert ask(ipmid, "C0 02 00") == "C4 02 C1"
    ipmid.raise_unexpected = True
    with pytest.raises(RuntimeError, match="handler bug"):
        ipmid.handle(from_hex("C0 01"))


def test_raise_unexpected_defaults_from_environment(monkeypatch):
    sim = Simulation()
    monkeypatch.setenv("IPMILAB_RAISE_UNEXPECTED", "1")
    assert Ipmid(sim, Bmc(sim)).raise_unexpected is True
    monkeypatch.setenv("IPMILAB_RAISE_UNEXPECTED", "0")
    assert Ipmid(sim, Bmc(sim)).raise_unexpected is False


def test_duplicate_registration_needs_replace():
    _, _, ipmid = make()
    override = command(NetFn.APP, App.GET_DEVICE_ID, privilege=Privilege.USER, req_len=0, name="OEM ID")(
        lambda call: b"\x99")
    with pytest.raises(ValueError, match="already registered as 'Get Device ID'"):
        ipmid.install([override])
    ipmid.install([override], replace=True)
    assert ask(ipmid, "18 01") == "1C 01 00 99"


def test_commands_table_and_costs():
    _, _, ipmid = make()
    table = ipmid.commands()
    assert table == sorted(table, key=lambda row: (row[0], row[1]))
    assert (NetFn.APP, App.GET_DEVICE_ID, "Get Device ID", Privilege.USER) in table
    assert ipmid.cost_ns(NetFn.APP, App.GET_DEVICE_ID) == DEFAULT_COST_NS == us(50)
    assert ipmid.cost_ns(0x3E, 0xFF) == us(50)
    ipmid.cost_scale = 2.5
    assert ipmid.cost_ns(NetFn.APP, App.GET_DEVICE_ID) == us(125)
    assert isinstance(ipmid.cost_ns(NetFn.APP, App.GET_DEVICE_ID), int)


def test_dispatch_is_traced_when_enabled():
    sim = Simulation(trace=True)
    ipmid = Ipmid(sim, Bmc(sim))
    ipmid.handle(from_hex("18 01"))
    (rec,) = [r for r in sim.tracer.records if r.layer == "ipmid"]
    fields = dict(rec.fields)
    assert (rec.event, fields["cmd"], fields["cc"]) == ("dispatch", "Get Device ID", "0x00")


# -- device commands -------------------------------------------------------------------


def test_identity_and_guids():
    ident = Identity(device_id=0x21, device_revision=3, firmware_major=1, firmware_minor=0x23,
                     manufacturer_id=0x00A2B3, product_id=0x0102, aux_firmware_revision=b"\x01\x02\x03\x04",
                     device_guid=bytes(range(16)), system_guid="00112233-4455-6677-8899-aabbccddeeff")
    _, _, ipmid = make(identity=ident)
    assert ask(ipmid, "18 01") == "1C 01 00 21 03 01 23 02 8F B3 A2 00 02 01 01 02 03 04"
    assert ask(ipmid, "18 08") == "1C 08 00 " + hexdump(bytes(range(16)))
    assert ask(ipmid, "18 37") == "1C 37 00 FF EE DD CC BB AA 99 88 77 66 55 44 33 22 11 00"


def test_identity_errors_name_the_field():
    with pytest.raises(ValueError, match="identity.firmware_major 128"):
        Identity(firmware_major=128)
    with pytest.raises(ValueError, match="identity.device_guid must be 16 bytes"):
        Identity(device_guid=b"\x00")


def test_self_test_and_acpi_power_state():
    _, bmc, ipmid = make()
    assert ask(ipmid, "18 04") == "1C 04 00 55 00"
    assert ask(ipmid, "18 07") == "1C 07 00 00 00"
    assert ask(ipmid, "18 06 85 FF") == "1C 06 00"   # S5, device "no change"
    assert ask(ipmid, "18 07") == "1C 07 00 05 00"
    assert ask(ipmid, "18 06 8F 00") == "1C 06 CC"   # 0x0F is no system power state
    assert bmc.acpi_system_power_state == 0x05


# -- global enables, flags, ATN ------------------------------------------------------------


def test_attention_follows_queue_and_enables_per_bit():
    sim, bmc, ipmid = make()
    iface = RecordingInterface()
    bmc.attach_interface(iface)
    assert iface.atn == [(False, False, 0)] and iface.irq_enable == [(False, 0)]
    bmc.enqueue_message(b"\x1c\x01\x00", sim.now, channel=0)
    assert iface.atn[-1] == (True, False, 0)         # enables 0x08: attention, no interrupt
    assert ask(ipmid, "18 31") == "1C 31 00 01"
    assert ask(ipmid, "18 2E 09") == "1C 2E 00"
    assert iface.atn[-1] == (True, True, 0) and iface.irq_enable[-1] == (True, 0)
    assert ask(ipmid, "18 33") == "1C 33 00 00 1C 01 00"
    assert iface.atn[-1] == (False, False, 0)
    assert ask(ipmid, "18 33") == "1C 33 80"


def test_event_buffer_interrupt_uses_bit_1_alone_unlike_qemu_bug_3():
    # QEMU bug 3: only global enables bit 0 lets any ATN interrupt; the spec gives the event
    # message buffer its own bit 1.
    sim, bmc, ipmid = make()
    iface = RecordingInterface()
    bmc.attach_interface(iface)
    assert ask(ipmid, "18 2E 0E") == "1C 2E 00"      # buffer on, buffer-full interrupt on, logging on
    logged = []
    bmc.event_log = lambda record, t: logged.append(record)
    record = bmc.event_record(0x23, 0, 0x6F, 0xC1, 0x04, 0xFF)
    bmc.raise_event(record, sim.now)
    assert logged == [record] and iface.atn[-1] == (True, True, 0)
    assert ask(ipmid, "18 31") == "1C 31 00 02"
    assert ask(ipmid, "18 35") == "1C 35 00 " + hexdump(record)
    assert iface.atn[-1] == (False, False, 0)


def test_event_logging_independent_of_buffer_unlike_qemu_bug_4():
    sim, bmc, ipmid = make()
    logged = []
    bmc.event_log = lambda record, t: logged.append(record)
    bmc.raise_event(bmc.event_record(0x23, 0, 0x6F, 0xC1), sim.now)   # default enables 0x08
    assert len(logged) == 1 and bmc.event_buffer is None
    assert ask(ipmid, "18 35") == "1C 35 80"


def test_clear_message_flags_flushes_and_checks_reserved_bits():
    sim, bmc, ipmid = make()
    bmc.enqueue_message(b"\x01", sim.now)
    bmc.enqueue_message(b"\x02", sim.now)
    bmc.set_watchdog_pre_timeout_flag(sim.now)
    assert ask(ipmid, "18 31") == "1C 31 00 09"
    assert ask(ipmid, "18 30 04") == "1C 30 CC"
    assert ask(ipmid, "18 30 08") == "1C 30 00"
    assert ask(ipmid, "18 31") == "1C 31 00 01"
    assert ask(ipmid, "18 30 01") == "1C 30 00"
    assert ask(ipmid, "18 31") == "1C 31 00 00"
    assert not bmc.atn


def test_cold_reset_restores_power_up_state():
    sim, bmc, ipmid = make(host=RecordingHostControl())
    iface = RecordingInterface()
    bmc.attach_interface(iface)
    ask(ipmid, "18 2E 0F")
    ask(ipmid, "18 24 04 01 00 00 64 00")
    bmc.enqueue_message(b"\x01", sim.now)
    assert ask(ipmid, "18 02") == "1C 02 00"
    assert ask(ipmid, "18 2F") == "1C 2F 00 08"
    assert ask(ipmid, "18 31") == "1C 31 00 00"
    assert ask(ipmid, "18 22") == "1C 22 80"          # the watchdog forgot its settings
    assert iface.resets == [("cold", 0)] and iface.irq_enable[-1] == (False, 0)
    assert ask(ipmid, "18 03") == "1C 03 00"
    assert iface.resets[-1] == ("warm", 0)


def test_get_message_privilege_needs_system_interface():
    sim, bmc, ipmid = make(lan_channel=1)
    assert ask(ipmid, "18 31", channel=1) == "1C 31 D4"
    assert ask(ipmid, "18 01", channel=1, privilege=Privilege.USER) == "1C 01 00 20 00 00 00 02 8F 00 00 00 00 00"


# -- channels ------------------------------------------------------------------------------------


def test_channel_info_system_interface_from_the_attached_interface():
    _, bmc, ipmid = make()
    bmc.attach_interface(RecordingInterface(ChannelProtocol.BT_15, irq_info=0x05))
    assert ask(ipmid, "18 42 0F") == "1C 42 00 0F 0C 08 00 F2 1B 00 05 05"
    assert ask(ipmid, "18 42 0E") == "1C 42 00 0F 0C 08 00 F2 1B 00 05 05"   # 0xE: this channel
    assert ask(ipmid, "18 42 00") == "1C 42 00 00 01 01 00 F2 1B 00 00 00"   # primary IPMB
    assert ask(ipmid, "18 42 12") == "1C 42 CC"                               # reserved bits
    assert ask(ipmid, "18 41 0F 80") == "1C 41 00 3A 04"
    assert ask(ipmid, "18 41 0F 00") == "1C 41 CC"                            # no set selected


# -- chassis -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("control", "op"),
    [(0, "power_off"), (1, "power_on"), (2, "power_cycle"), (3, "hard_reset"), (4, "pulse_diag_interrupt"),
     (5, "soft_shutdown")],
)
def test_chassis_control_drives_the_host(control, op):
    sim, bmc, ipmid = make(host=RecordingHostControl(power_on=(control != 1)))
    sim.run(until=1234)
    assert ask(ipmid, f"00 02 {control:02X}") == "04 02 00"
    assert bmc.host.calls == []                              # answered first
    sim.run(until=1234 + bmc.chassis_control_delay + 1)
    assert bmc.host.calls == [(1234 + bmc.chassis_control_delay, op)]


def test_chassis_control_status_and_restart_cause():
    sim, bmc, ipmid = make(host=RecordingHostControl())
    assert ask(ipmid, "00 02 00") == "04 02 00"
    assert ask(ipmid, "00 01") == "04 01 00 61 00 00 00"     # answered before the power goes
    sim.run(until=sim.now + bmc.chassis_control_delay + 1)
    assert ask(ipmid, "00 01") == "04 01 00 60 00 00 00"     # power now off
    assert ask(ipmid, "00 02 01") == "04 02 00"
    sim.run(until=sim.now + bmc.chassis_control_delay + 1)
    assert ask(ipmid, "00 01") == "04 01 00 61 10 00 00"     # on, last power-on via IPMI command
    assert ask(ipmid, "00 07") == "04 07 00 01 0F"           # chassis control command, channel 0xF
    assert ask(ipmid, "00 02 06") == "04 02 CC"
    assert ask(ipmid, "00 02 10") == "04 02 CC"
    assert ask(ipmid, "00 02 01", privilege=Privilege.USER) == "04 02 D4"


def test_chassis_control_unsupported_is_d5():
    _, _, ipmid = make(host=RecordingHostControl(unsupported=("power_cycle",)))
    assert ask(ipmid, "00 02 02") == "04 02 D5"
    _, _, ipmid = make(host=NullHostControl())
    assert ask(ipmid, "00 02 03") == "04 02 D5"
