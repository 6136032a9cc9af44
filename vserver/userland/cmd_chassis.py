"""``chassis`` commands, as lib/ipmi_chassis.c sends and prints them."""

from __future__ import annotations

from bmc.ipmi.cc import CompletionCode
from bmc.ipmi.cmd import Chassis
from bmc.ipmi.netfn import NetFn

from .cfmt import buf2str, cc_string
from .parse import BOOT_DEVICES, bootdev_flags

POWER_CONTROL_VALS = ("Down/Off", "Up/On", "Cycle", "Reset", "Diag", "Soft")   # ipmi_chassis_power_control_vals
RESTORE_POLICIES = ("always-off", "previous", "always-on", "unknown")
SET_COMPLETE, SET_IN_PROGRESS, COMMIT_WRITE = 0, 1, 2
PARAM_SET_IN_PROGRESS, PARAM_INFO_ACK, PARAM_BOOT_FLAGS = 0, 4, 5
BIOS_POST_ACK = 0x01
SET_BOOTPARAM_CC = {0x80: "Unsupported parameter", 0x81: "Attempt to set 'in progress' while not in 'complete' state",
                    0x82: "Parameter is read-only"}
GET_BOOTPARAM_CC = {0x80: "Unsupported parameter"}
# Boot flags data 2 bits 5:2, the boot device selector ipmi_chassis_get_bootparam names.
BOOT_DEVICE_SELECTOR = {
    0x00: "No override", 0x04: "Force PXE", 0x08: "Force Boot from default Hard-Drive",
    0x0C: "Force Boot from default Hard-Drive, request Safe-Mode", 0x10: "Force Boot from Diagnostic Partition",
    0x14: "Force Boot from CD/DVD", 0x18: "Force Boot into BIOS Setup",
    0x1C: "Force Boot from remotely connected Floppy/primary removable media",
    0x20: "Force Boot from remotely connected CD/DVD", 0x24: "Force Boot from primary remote media",
    0x2C: "Force Boot from remotely connected Hard-Drive", 0x3C: "Force Boot from Floppy/primary removable media",
}
BIOS_VERBOSITY = {0x00: "System Default", 0x20: "Request Quiet Display", 0x40: "Request Verbose Display"}
CONSOLE_REDIRECTION = {0: "Console redirection occurs per BIOS configuration setting (default)",
                       1: "Suppress (skip) console redirection if enabled", 2: "Request console redirection be enabled"}
BIOS_MUX = {0: "BIOS uses recommended setting of the mux at the end of POST",
            1: "Requests BIOS to force mux to BMC at conclusion of POST/start of OS boot",
            2: "Requests BIOS to force mux to system at conclusion of POST/start of OS boot"}
SET_IN_PROGRESS_STATES = ("set complete", "set in progress", "commit write", "error, reserved bit")


def _tf(x) -> str:
    return "true" if x else "false"


def _active(x) -> str:
    return "active" if x else "inactive"


class ChassisCommands:
    def _chassis_status(self, what: str):
        r = yield from self.request(NetFn.CHASSIS, Chassis.GET_CHASSIS_STATUS)
        if r is None:
            self.out.error(what)
            return None
        if r.cc != CompletionCode.SUCCESS:
            self.out.error(f"{what}: {cc_string(r.cc)}")
            return None
        return r.data

    def chassis_status(self):
        """ipmi_chassis_status."""
        d = yield from self._chassis_status("Error sending Chassis Status command")
        if d is None:
            return -1
        cur, last, misc = d[0], d[1], d[2]
        events = "".join(word for bit, word in ((0x01, "ac-failed "), (0x02, "overload "), (0x04, "interlock "),
                                                (0x08, "fault "), (0x10, "command")) if last & bit)
        rows = [("System Power", "on" if cur & 1 else "off"), ("Power Overload", _tf(cur & 2)),
                ("Power Interlock", _active(cur & 4)), ("Main Power Fault", _tf(cur & 8)),
                ("Power Control Fault", _tf(cur & 0x10)), ("Power Restore Policy", RESTORE_POLICIES[cur >> 5 & 3]),
                ("Last Power Event", events), ("Chassis Intrusion", _active(misc & 1)),
                ("Front-Panel Lockout", _active(misc & 2)), ("Drive Fault", _tf(misc & 4)),
                ("Cooling/Fan Fault", _tf(misc & 8))]
        if len(d) > 3:     # optional byte 4: front panel button capabilities and disable state
            fp = d[3]
            if fp == 0:
                rows.append(("Front Panel Control", "none"))
            else:
                rows += [(f"{n} Button Disable", "allowed" if fp & bit else "not allowed")
                         for bit, n in ((0x80, "Sleep"), (0x40, "Diag"), (0x20, "Reset"), (0x10, "Power"))]
                rows += [(f"{n} Button Disabled", _tf(fp & bit))
                         for bit, n in ((0x08, "Sleep"), (0x04, "Diag"), (0x02, "Reset"), (0x01, "Power"))]
        # ipmi_chassis_status pads every label to 21 columns ("Sleep Button Disabled" fills them).
        self.out.write("".join(f"{label:<21}: {value}\n" for label, value in rows))
        self.out.fields = rows
        self.out.data = {"power_on": bool(cur & 1), "power_overload": bool(cur & 2),
                         "power_interlock": bool(cur & 4), "main_power_fault": bool(cur & 8),
                         "power_control_fault": bool(cur & 0x10),
                         "power_restore_policy": RESTORE_POLICIES[cur >> 5 & 3],
                         "last_power_event": events.split(), "chassis_intrusion": bool(misc & 1),
                         "front_panel_lockout": bool(misc & 2), "drive_fault": bool(misc & 4),
                         "cooling_fault": bool(misc & 8)}
        return 0

    def chassis_power_status(self):
        """ipmi_chassis_print_power_status."""
        d = yield from self._chassis_status("Unable to get Chassis Power Status")
        if d is None:
            return -1
        self.out.write(f"Chassis Power is {'on' if d[0] & 1 else 'off'}\n")
        self.out.data = {"power_on": bool(d[0] & 1)}
        return 0

    def chassis_power(self, code: int):
        """ipmi_chassis_power_control."""
        name = POWER_CONTROL_VALS[code]
        r = yield from self.request(NetFn.CHASSIS, Chassis.CHASSIS_CONTROL, bytes((code,)))
        if r is None:
            self.out.error(f"Unable to set Chassis Power Control to {name}")
            return -1
        if r.cc != CompletionCode.SUCCESS:
            self.out.error(f"Set Chassis Power Control to {name} failed: {cc_string(r.cc)}")
            return -1
        self.out.write(f"Chassis Power Control: {name}\n")
        self.out.data = {"control": name, "code": code}
        return 0

    # -- boot options ------------------------------------------------------------------------------

    def _set_bootparam(self, param: int, data: bytes):
        """Generator: ipmi_chassis_set_bootparam -> the completion code, or -1 without an answer."""
        r = yield from self.request(NetFn.CHASSIS, Chassis.SET_SYSTEM_BOOT_OPTIONS, bytes((param & 0x7F,)) + data)
        if r is None:
            self.out.error(f"Error setting Chassis Boot Parameter {param}")
            return -1
        if r.cc != CompletionCode.SUCCESS and param != PARAM_SET_IN_PROGRESS:
            self.out.error(f"Set Chassis Boot Parameter {param} failed: "
                           f"{SET_BOOTPARAM_CC.get(r.cc) or cc_string(r.cc)}")
        return r.cc

    def _set_in_progress(self, progress: int):
        """chassis_bootparam_set_in_progress: stops trying (for this run) once set-in-progress is refused."""
        if not self._use_progress:
            return
        rc = yield from self._set_bootparam(PARAM_SET_IN_PROGRESS, bytes((progress,)))
        if rc and progress == SET_IN_PROGRESS:
            self._use_progress = False

    def chassis_bootdev(self, device: str, options: str | None):
        """ipmi_chassis_set_bootdev: set in progress, clear the BIOS POST ack, boot flags, commit, complete."""
        flags = None
        if options is not None:
            flags, errors = bootdev_flags(options)
            if flags is None:
                for line in errors:
                    self.out.error(line)
                return -1
        yield from self._set_in_progress(SET_IN_PROGRESS)
        rc = yield from self._set_bootparam(PARAM_INFO_ACK, bytes((BIOS_POST_ACK, BIOS_POST_ACK)))
        if rc >= 0:
            if device not in BOOT_DEVICES:
                self.out.error(f"Invalid argument: {device}")
                rc = -1
            else:
                data = bytearray(flags or bytes(5))
                data[1] |= BOOT_DEVICES[device]
                data[0] |= 0x80                      # boot flags valid
                rc = yield from self._set_bootparam(PARAM_BOOT_FLAGS, bytes(data))
                if rc == 0:
                    yield from self._set_in_progress(COMMIT_WRITE)
                    self.out.write(f"Set Boot Device to {device}\n")
                self.out.data = {"boot_device": device, "flags": bytes(data).hex(), "cc": rc}
        yield from self._set_in_progress(SET_COMPLETE)
        return rc      # a completion code is positive: ipmitool still exits 0

    def chassis_bootparam_get(self, param: int):
        """ipmi_chassis_get_bootparam: generic lines, the data in hex, then the parameter decoded."""
        out = self.out
        r = yield from self.request(NetFn.CHASSIS, Chassis.GET_SYSTEM_BOOT_OPTIONS, bytes((param & 0x7F, 0, 0)))
        if r is None:
            out.error(f"Error Getting Chassis Boot Parameter {param}")
            return -1
        if r.cc != CompletionCode.SUCCESS:
            out.error(f"Get Chassis Boot Parameter {param} failed: {GET_BOOTPARAM_CC.get(r.cc) or cc_string(r.cc)}")
            return -1
        d = r.data
        got = d[1] & 0x7F
        out.write(f"Boot parameter version: {d[0]}\n")
        out.write(f"Boot parameter {got} is {'invalid/locked' if d[1] & 0x80 else 'valid/unlocked'}\n")
        out.write(f"Boot parameter data: {buf2str(d[2:])}\n")
        if got == PARAM_SET_IN_PROGRESS:
            out.write(f" Set In Progress : {SET_IN_PROGRESS_STATES[d[2] & 0x03]}\n")
        elif got == PARAM_BOOT_FLAGS:
            out.write(boot_flags_text(bytes(d[2:7]).ljust(5, b"\0")))
        out.data = {"parameter": got, "version": d[0], "valid": not d[1] & 0x80, "data": d[2:].hex()}
        return 0


def boot_flags_text(f: bytes) -> str:
    """The " Boot Flags :" block of ipmi_chassis_get_bootparam (parameter 5), from its five data bytes."""
    lines = [" Boot Flags :",
             "   - Boot Flag Valid" if f[0] & 0x80 else "   - Boot Flag Invalid",
             "   - Options apply to all future boots" if f[0] & 0x40 else "   - Options apply to only next boot",
             "   - BIOS EFI boot " if f[0] & 0x20 else "   - BIOS PC Compatible (legacy) boot "]
    lines += [text for bit, text in ((0x80, "   - CMOS Clear"), (0x40, "   - Lock Keyboard")) if f[1] & bit]
    lines.append(f"   - Boot Device Selector : {BOOT_DEVICE_SELECTOR.get(f[1] & 0x3C, 'Flag error')}")
    lines += [text for bit, text in ((0x02, "   - Screen blank"), (0x01, "   - Lock out Reset buttons")) if f[1] & bit]
    if f[2] & 0x80:
        lines.append("   - Lock out (power off/sleep request) via Power Button")
    lines.append(f"   - BIOS verbosity : {BIOS_VERBOSITY.get(f[2] & 0x60, 'Flag error')}")
    lines += [text for bit, text in ((0x10, "   - Force progress event traps"), (0x08, "   - User password bypass"),
                                     (0x04, "   - Lock Out Sleep Button")) if f[2] & bit]
    lines.append(f"   - Console Redirection control : {CONSOLE_REDIRECTION.get(f[2] & 0x03, 'Flag error')}")
    if f[3] & 0x08:
        lines.append("   - BIOS Shared Mode Override")
    lines.append(f"   - BIOS Mux Control Override : {BIOS_MUX.get(f[3] & 0x07, 'Flag error')}")
    return "".join(line + "\n" for line in lines)
