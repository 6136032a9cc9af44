"""NetFn Chassis (00h): the command tables of spec chapter 28.

Sections as Appendix G (Table G-1) assigns them; each command's fields are its
section's request/response table, in the spec's order.
"""

from __future__ import annotations

from ..cmd import Chassis as C
from .fields import REST, bit, blob, byte, flags, lay, word

RESTORE_POLICY = {0b00: "always off", 0b01: "previous", 0b10: "always on", 0b11: "unknown"}
SET_RESTORE_POLICY = {0b000: "always off", 0b001: "previous", 0b010: "always on", 0b011: "no change"}
CONTROL = {0x0: "power down", 0x1: "power up", 0x2: "power cycle", 0x3: "hard reset",
           0x4: "pulse diagnostic interrupt", 0x5: "initiate soft-shutdown via ACPI by emulating a fatal overtemp"}
IDENTIFY_STATE = {0b00: "off", 0b01: "temporary (timed) on", 0b10: "indefinite on", 0b11: "reserved"}
RESTART_CAUSE = {
    0x0: "unknown", 0x1: "Chassis Control command", 0x2: "reset via pushbutton",
    0x3: "power-up via power pushbutton", 0x4: "Watchdog expiration", 0x5: "OEM",
    0x6: "automatic power-up on AC being applied due to 'always restore' power restore policy",
    0x7: "automatic power-up on AC being applied due to 'restore previous power state' power restore policy",
    0x8: "reset via PEF", 0x9: "power-cycle via PEF", 0xA: "soft reset", 0xB: "power-up via RTC wakeup",
}

LAYOUTS = {
    # 28.1: the chassis bridge address (byte 7) is optional; this BMC leaves it out.
    C.GET_CHASSIS_CAPABILITIES: lay("28.1", response=(
        flags(0, {3: "Provides Power Interlock", 2: "Provides Diagnostic Interrupt (FP NMI)",
                  1: "Provides Front Panel Lockout", 0: "Provides Intrusion Sensor"}),
        byte("Chassis FRU Info Device Address", 1), byte("Chassis SDR Device Address", 2),
        byte("Chassis SEL Device Address", 3), byte("Chassis System Management Device Address", 4),
        byte("Chassis Bridge Device Address", 5, optional=True),
    )),
    C.GET_CHASSIS_STATUS: lay("28.2", response=(
        bit("Power Restore Policy", 0, 6, 5, RESTORE_POLICY),
        flags(0, {4: "Power Control Fault", 3: "Power Fault", 2: "Interlock", 1: "Power Overload",
                  0: "Power is on"}),
        flags(1, {4: "Last Power-on via IPMI Command", 3: "Power Down Caused by Power Fault",
                  2: "Power Down Caused by Power Interlock", 1: "Power Down Caused by Power Overload",
                  0: "AC Failed"}),
        bit("Chassis Identify Command and State Info Supported", 2, 6),
        bit("Chassis Identify State", 2, 5, 4, IDENTIFY_STATE),
        flags(2, {3: "Cooling/Fan Fault Detected", 2: "Drive Fault", 1: "Front Panel Lockout Active",
                  0: "Chassis Intrusion Active"}),
        # Byte 5: front panel button capabilities and disable/enable status, optional.
        flags(3, {7: "Standby (Sleep) Button Disable Allowed", 6: "Diagnostic Interrupt Button Disable Allowed",
                  5: "Reset Button Disable Allowed", 4: "Power Off Button Disable Allowed",
                  3: "Standby (Sleep) Button Disabled", 2: "Diagnostic Interrupt Button Disabled",
                  1: "Reset Button Disabled", 0: "Power Off Button Disabled"}, optional=True),
    )),
    C.CHASSIS_CONTROL: lay("28.3", request=(bit("Chassis Control", 0, 3, 0, CONTROL),)),
    C.CHASSIS_RESET: lay("28.4"),
    C.CHASSIS_IDENTIFY: lay("28.5", request=(
        byte("Identify Interval", 0, optional=True),     # seconds; 0 turns identify off
        bit("Force Identify On", 1, 0, optional=True),
    )),
    C.SET_POWER_RESTORE_POLICY: lay("28.8",
        request=(bit("Power Restore Policy", 0, 2, 0, SET_RESTORE_POLICY),),
        response=(flags(0, {2: "Always Powering Up Supported", 1: "Restoring Previous Power State Supported",
                            0: "Staying Powered Off Supported"}),)),
    C.GET_SYSTEM_RESTART_CAUSE: lay("28.11", response=(
        bit("Restart Cause", 0, 3, 0, RESTART_CAUSE),
        byte("Channel Number", 1),
    )),
    # 28.12: the parameter data's length depends on the parameter (Table 28-14, boot option parameters).
    C.SET_SYSTEM_BOOT_OPTIONS: lay("28.12", request=(
        bit("Parameter Valid", 0, 7, values={0: "valid (unlocked)", 1: "invalid (locked)"}),
        bit("Boot Option Parameter Selector", 0, 6, 0),
        blob("Boot Option Parameter Data", 1, REST, optional=True),
    )),
    C.GET_SYSTEM_BOOT_OPTIONS: lay("28.13",
        request=(bit("Parameter Selector", 0, 6, 0), byte("Set Selector", 1), byte("Block Selector", 2)),
        response=(
            bit("Parameter Version", 0, 3, 0),
            bit("Parameter Valid", 1, 7, values={0: "valid (unlocked)", 1: "invalid (locked)"}),
            bit("Boot Option Parameter Selector", 1, 6, 0),
            blob("Configuration Parameter Data", 2, REST),
        )),
    C.GET_POH_COUNTER: lay("28.14", response=(
        byte("Minutes per Count", 0),
        word("Counter Reading", 1, 4),
    )),
}
