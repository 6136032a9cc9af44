"""Chassis (NetFn 0x00) commands: capabilities, status, power control, restart cause (IPMI 2.0 chapter 28).

Power state comes from the host's wires (``HostControl``), not a constant as
in QEMU; an action the host cannot perform answers 0xD5.
"""

from __future__ import annotations

from ..ipmi.cc import CompletionCode, IpmiError
from ..ipmi.cmd import Chassis
from ..ipmi.msg import ChassisControl, RestartCause
from ..ipmi.netfn import NetFn
from ..ipmid import command
from ..privilege import Privilege

CHASSIS = NetFn.CHASSIS

# Get Chassis Status byte 2 bit 4: the last power-on was entered via an IPMI command.
LAST_POWER_ON_VIA_IPMI = 0x10

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


@command(CHASSIS, Chassis.GET_CHASSIS_CAPABILITIES, privilege=Privilege.USER, req_len=0)
def get_chassis_capabilities(call):
    # No intrusion sensor, lockout, diagnostic-interrupt button or interlock; this BMC is the FRU,
    # SDR, SEL and system management device.
    addr = call.bmc.slave_address
    return bytes((0x00, addr, addr, addr, addr))


@command(CHASSIS, Chassis.GET_CHASSIS_STATUS, privilege=Privilege.USER, req_len=0)
def get_chassis_status(call):
    bmc = call.bmc
    current = bmc.power_restore_policy << 5 | bmc.power_on
    # Byte 3 (misc chassis state) and byte 4 (front panel buttons): nothing modelled yet.
    return bytes((current, bmc.last_power_event, 0x00, 0x00))


@command(CHASSIS, Chassis.CHASSIS_CONTROL, privilege=Privilege.OPERATOR, req_len=1)
def chassis_control(call):
    byte = call.data[0]
    if byte & 0xF0 or byte not in CONTROL_OPS:
        raise IpmiError(CompletionCode.INVALID_DATA_FIELD, f"chassis control 0x{byte:02X}")
    control = ChassisControl(byte)
    bmc = call.bmc
    getattr(bmc.host, CONTROL_OPS[control])(call.t)  # IpmiError(0xD5) from the host passes through
    if control in (ChassisControl.POWER_UP, ChassisControl.POWER_CYCLE):
        bmc.last_power_event = LAST_POWER_ON_VIA_IPMI
    if control in RESTARTS:
        bmc.note_restart(RestartCause.CHASSIS_CONTROL_COMMAND, call.channel)
    if bmc.sim.tracer.enabled:
        bmc.sim.trace(call.t, "bmc", bmc.name, "chassis", control=control.name)
    return b""


# QEMU registers this at 0x09 (Get System Boot Options' code) and leaves 0x07 unanswered (its bug 2).
@command(CHASSIS, Chassis.GET_SYSTEM_RESTART_CAUSE, privilege=Privilege.USER, req_len=0)
def get_system_restart_cause(call):
    bmc = call.bmc
    return bytes((bmc.restart_cause & 0x0F, bmc.restart_channel))
