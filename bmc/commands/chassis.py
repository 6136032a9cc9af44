"""Chassis (NetFn 0x00) commands (IPMI 2.0 chapter 28).

Power state comes from the host's wires (``HostControl``), not a constant as
in QEMU; an action the host cannot perform answers 0xD5.  Identify, power-on
hours and the boot options live in ``bmc.chassis`` (``bmc/chassis_state.py``,
``bmc/boot_options.py``).
"""

from __future__ import annotations

from ..chassis_state import DEFAULT_IDENTIFY_S, LAST_POWER_ON_VIA_IPMI
from ..ipmi.cc import CompletionCode, IpmiError
from ..ipmi.cmd import Chassis
from ..ipmi.msg import ChassisControl, RestartCause
from ..ipmi.netfn import NetFn
from ..privilege import Privilege
from .spec import command

CHASSIS = NetFn.CHASSIS

# The HostControl wire each Chassis Control value pulls.
CONTROL_OPS = {
    ChassisControl.POWER_DOWN: "power_off",
    ChassisControl.POWER_UP: "power_on",
    ChassisControl.POWER_CYCLE: "power_cycle",
    ChassisControl.HARD_RESET: "hard_reset",
    ChassisControl.PULSE_DIAGNOSTIC_INTERRUPT: "pulse_diag_interrupt",
    ChassisControl.SOFT_SHUTDOWN: "soft_shutdown",
}
RESTARTS = (ChassisControl.POWER_UP, ChassisControl.POWER_CYCLE, ChassisControl.HARD_RESET)
POWER_UPS = (ChassisControl.POWER_UP, ChassisControl.POWER_CYCLE)


def invalid(what: str) -> IpmiError:
    return IpmiError(CompletionCode.INVALID_DATA_FIELD, what)


@command(CHASSIS, Chassis.GET_CHASSIS_CAPABILITIES, privilege=Privilege.USER, req_len=0)
def get_chassis_capabilities(call):
    # Capability flags (intrusion sensor, lockout, diagnostic interrupt, interlock) from the chassis; this BMC
    # is the FRU, SDR, SEL and system management device.
    addr = call.bmc.slave_address
    return bytes((call.bmc.chassis.capability_flags, addr, addr, addr, addr))


@command(CHASSIS, Chassis.GET_CHASSIS_STATUS, privilege=Privilege.USER, req_len=0)
def get_chassis_status(call):
    bmc = call.bmc
    current = bmc.power_restore_policy << 5 | bmc.power_on
    # Byte 4 (front panel button capabilities) is optional and not modelled.
    return bytes((current, bmc.last_power_event, bmc.chassis.misc_state(call.t), 0x00))


def _control(call, control: ChassisControl) -> None:
    """Check the host can do ``control`` (0xD5 if not), answer, and pull the wire afterwards.

    A BMC acts after it has answered: the wire is pulled ``bmc.chassis_control_delay``
    after the request, so the requester reads its success before the power goes.
    """
    bmc = call.bmc
    chassis = bmc.chassis
    op = CONTROL_OPS[control]
    bmc.host.check(op)
    chassis.boot.chassis_control_seen(call.t)
    if control in POWER_UPS:
        chassis.command_power_on_pending = True
    if control in POWER_UPS and not chassis.listening:
        bmc.last_power_event |= LAST_POWER_ON_VIA_IPMI   # a host without power listeners: assume it came on
    if control in RESTARTS:
        bmc.note_restart(RestartCause.CHASSIS_CONTROL_COMMAND, call.channel)
    if bmc.sim.tracer.enabled:
        bmc.sim.trace(call.t, "bmc", bmc.name, "chassis", control=control.name)
    bmc.sim.call_at(call.t + bmc.chassis_control_delay, _pull, bmc, control, op)


def _pull(bmc, control: ChassisControl, op: str) -> None:
    t = bmc.sim.now
    try:
        getattr(bmc.host, op)(t)
    except IpmiError as err:                  # the host changed state since the check
        bmc.chassis.command_power_on_pending = False
        bmc.sim.trace(t, "bmc", bmc.name, "chassis-refused", control=control.name, why=str(err))
        return
    if bmc.sim.tracer.enabled:
        bmc.sim.trace(t, "bmc", bmc.name, "chassis-wire", control=control.name)


@command(CHASSIS, Chassis.CHASSIS_CONTROL, privilege=Privilege.OPERATOR, req_len=1)
def chassis_control(call):
    byte = call.data[0]
    if byte & 0xF0 or byte not in CONTROL_OPS:
        raise invalid(f"chassis control 0x{byte:02X}")
    _control(call, ChassisControl(byte))
    return b""


@command(CHASSIS, Chassis.CHASSIS_RESET, privilege=Privilege.OPERATOR, req_len=0)
def chassis_reset(call):
    # The ICMB-era command: a hard reset of the system, like Chassis Control 03h.
    _control(call, ChassisControl.HARD_RESET)
    return b""


@command(CHASSIS, Chassis.CHASSIS_IDENTIFY, privilege=Privilege.OPERATOR, min_len=0, max_len=2)
def chassis_identify(call):
    data = call.data
    interval = data[0] if data else DEFAULT_IDENTIFY_S
    force = False
    if len(data) == 2:
        if data[1] & 0xFE:
            raise invalid(f"force identify byte reserved bits 7:1 (0x{data[1]:02X})")
        force = bool(data[1] & 0x01)
    call.bmc.chassis.identify(interval, force, call.t)
    return b""


# Set Power Restore Policy (section 28.8): 0 stay off, 1 restore previous, 2 always on, 3 no change.
RESTORE_POLICY_NO_CHANGE = 0x03
SUPPORTED_RESTORE_POLICIES = 0x07   # bit per policy: always on (2), previous (1), always off (0)


@command(CHASSIS, Chassis.SET_POWER_RESTORE_POLICY, privilege=Privilege.OPERATOR, req_len=1)
def set_power_restore_policy(call):
    policy = call.data[0]
    if policy & 0xF8 or policy > RESTORE_POLICY_NO_CHANGE:
        raise invalid(f"power restore policy 0x{policy:02X}")
    if policy != RESTORE_POLICY_NO_CHANGE:
        call.bmc.power_restore_policy = policy
    return bytes((SUPPORTED_RESTORE_POLICIES,))


# QEMU registers this at 0x09 (Get System Boot Options' code) and leaves 0x07 unanswered (its bug 2).
@command(CHASSIS, Chassis.GET_SYSTEM_RESTART_CAUSE, privilege=Privilege.USER, req_len=0)
def get_system_restart_cause(call):
    bmc = call.bmc
    return bytes((bmc.restart_cause & 0x0F, bmc.restart_channel))


@command(CHASSIS, Chassis.SET_SYSTEM_BOOT_OPTIONS, privilege=Privilege.OPERATOR, min_len=1, max_len=18)
def set_system_boot_options(call):
    head = call.data[0]
    call.bmc.chassis.boot.set(head & 0x7F, bool(head & 0x80), call.data[1:], call.t)
    return b""


@command(CHASSIS, Chassis.GET_SYSTEM_BOOT_OPTIONS, privilege=Privilege.OPERATOR, req_len=3)
def get_system_boot_options(call):
    selector, set_selector, _block = call.data
    if selector & 0x80:
        raise invalid(f"parameter selector reserved bit 7 (0x{selector:02X})")
    return call.bmc.chassis.boot.get(selector, set_selector)


@command(CHASSIS, Chassis.GET_POH_COUNTER, privilege=Privilege.USER, req_len=0)
def get_poh_counter(call):
    chassis = call.bmc.chassis
    count = chassis.poh_counter(call.t)
    return bytes((chassis.minutes_per_count,)) + count.to_bytes(4, "little")
