"""``mc`` commands, as lib/ipmi_mc.c sends and prints them."""

from __future__ import annotations

import time
import uuid

from bmc.ipmi.cc import CompletionCode
from bmc.ipmi.cmd import App
from bmc.ipmi.netfn import NetFn

from .cfmt import cc_string
from .iana import manufacturer_name, product_name

# ipm_dev_adtl_dev_support[]: Get Device ID byte 9, bit by bit.
ADDITIONAL_DEVICE_SUPPORT = ("Sensor Device", "SDR Repository Device", "SEL Device", "FRU Inventory Device",
                             "IPMB Event Receiver", "IPMB Event Generator", "Bridge", "Chassis Device")
# mc_enables_bf[]: Get BMC Global Enables bits.
GLOBAL_ENABLES = ((0x01, "Receive Message Queue Interrupt"), (0x02, "Event Message Buffer Full Interrupt"),
                  (0x04, "Event Message Buffer"), (0x08, "System Event Logging"), (0x20, "OEM 0"),
                  (0x40, "OEM 1"), (0x80, "OEM 2"))
WDT_USE = ("Reserved", "BIOS FRB2", "BIOS/POST", "OS Load", "SMS/OS", "OEM", "Reserved", "Reserved")
WDT_INT = ("None", "SMI", "NMI/Diagnostic", "Messaging", "Reserved", "Reserved", "Reserved", "Reserved")
WDT_ACTION = ("No action", "Hard Reset", "Power Down", "Power Cycle", "Reserved", "Reserved", "Reserved",
              "Reserved")
SELFTEST_PASSED, SELFTEST_NOT_IMPLEMENTED, SELFTEST_CORRUPTED, SELFTEST_FATAL = 0x55, 0x56, 0x57, 0x58
# ipmi_mc_get_selftest: device-corrupted detail bits, in the order (and words) it prints them.
SELFTEST_DETAIL = ((0x80, " -> SEL device not accessible"), (0x40, " -> SDR repository not accessible"),
                   (0x20, "FRU device not accessible"), (0x10, "IPMB signal lines do not respond"),
                   (0x08, "SDR repository empty"), (0x04, "Internal Use Area corrupted"),
                   (0x02, "Controller update boot block corrupted"),
                   (0x01, "controller operational firmware corrupted"))
# ipmi_guid_mode_t (real modes, probed in this order) and guid_ver_str[].
GUID_RFC4122, GUID_IPMI, GUID_SMBIOS = 0, 1, 2
GUID_MODE_NAMES = ("RFC4122", "IPMI", "SMBIOS")
GUID_VERSIONS = ("Unknown/unsupported", "Time-based", "DCE Security with POSIX UIDs (not for IPMI)",
                 "Name-based using MD5", "Random or pseudo-random", "Name-based using SHA-1")
GUID_EPOCH = 12219292800          # seconds from 15 Oct 1582 (GUID time zero) to 1 Jan 1970


class McCommands:
    def mc_info(self):
        """ipmi_mc_get_deviceid."""
        out = self.out
        r = yield from self.request(NetFn.APP, App.GET_DEVICE_ID)
        if not self._answered(r, "Get Device ID command failed"):
            return -1
        d = r.data
        mfg = int.from_bytes(d[6:9], "little") & 0x0FFFFF
        product = d[9] | d[10] << 8
        out.write(f"Device ID                 : {d[0]}\n")
        out.write(f"Device Revision           : {d[1] & 0x0F}\n")
        out.write(f"Firmware Revision         : {d[2] & 0x7F}.{d[3]:02x}\n")
        out.write(f"IPMI Version              : {d[4] & 0x0F:x}.{d[4] >> 4:x}\n")
        out.write(f"Manufacturer ID           : {mfg}\n")
        out.write(f"Manufacturer Name         : {manufacturer_name(mfg)}\n")
        out.write(f"Product ID                : {product} (0x{d[10]:02x}{d[9]:02x})\n")
        out.write(f"Product Name              : {product_name(mfg, product)}\n")
        out.write(f"Device Available          : {'no' if d[2] & 0x80 else 'yes'}\n")
        out.write(f"Provides Device SDRs      : {'yes' if d[1] & 0x80 else 'no'}\n")
        out.write("Additional Device Support :\n")
        support = [name for bit, name in enumerate(ADDITIONAL_DEVICE_SUPPORT) if d[5] >> bit & 1]
        for name in support:
            out.write(f"    {name}\n")
        if len(d) == 15:     # the response has the optional auxiliary firmware revision
            out.write("Aux Firmware Rev Info     : \n")
            out.write("".join(f"    0x{b:02x}\n" for b in d[11:15]))
        out.fields = [("Device ID", str(d[0])), ("Manufacturer", f"{mfg} ({manufacturer_name(mfg)})"),
                      ("Product", f"{product} ({product_name(mfg, product)})"),
                      ("Firmware Revision", f"{d[2] & 0x7F}.{d[3]:02x}"),
                      ("IPMI Version", f"{d[4] & 0x0F:x}.{d[4] >> 4:x}"),
                      ("Additional Device Support", ", ".join(support))]
        out.data = {"device_id": d[0], "device_revision": d[1] & 0x0F, "firmware_major": d[2] & 0x7F,
                    "firmware_minor": d[3], "ipmi_version": f"{d[4] & 0x0F}.{d[4] >> 4}", "manufacturer_id": mfg,
                    "manufacturer_name": manufacturer_name(mfg), "product_id": product,
                    "product_name": product_name(mfg, product), "device_available": not d[2] & 0x80,
                    "provides_device_sdrs": bool(d[1] & 0x80), "additional_device_support": support,
                    "aux_firmware_revision": d[11:15].hex() if len(d) == 15 else None}
        return 0

    def _answered(self, r, what: str) -> bool:
        """The usual check: no answer or an error completion code prints ipmitool's line (stderr)."""
        if r is None:
            self.out.error(what)
            return False
        if r.cc != CompletionCode.SUCCESS:
            self.out.error(f"{what}: {cc_string(r.cc)}")
            return False
        return True

    def mc_guid(self):
        """ipmi_mc_print_guid(GUID_AUTO): Get System GUID, its encoding found from the version nibble."""
        out = self.out
        r = yield from self.request(NetFn.APP, App.GET_SYSTEM_GUID)
        if r is None or r.cc != CompletionCode.SUCCESS or len(r.data) != 16:
            # _ipmi_mc_get_guid's result through eval_ccode (helper.c).
            out.error("IPMI response is NULL." if r is None else f"IPMI command failed: {cc_string(r.cc)}"
                      if r.cc != CompletionCode.SUCCESS else "Unexpected data length received.")
            return -1
        g = parse_guid(bytes(r.data))
        out.write("System GUID   : ")
        if g is None:
            out.write(r.data.hex().upper() + "\n")
            return 0
        out.write(f"{g['text']}\n")
        out.write(f"GUID Encoding : {GUID_MODE_NAMES[g['mode']]}")
        out.write(" (WARNING: IPMI Specification violation!)\n" if g["mode"] != GUID_IPMI else "\n")
        out.write(f"GUID Version  : {GUID_VERSIONS[g['version']]}")
        if g["version"] == 0:
            out.write(f" ({g['raw_version']})\n")
        elif g["version"] == 1:
            out.write(f"\nTimestamp     : {time.strftime('%m/%d/%y %H:%M:%S UTC', time.gmtime(g['time']))}\n")
        else:
            out.write("\n")
        # ipmitool picks the encoding from the version nibble; the IPMI reading (LSB first) is kept as well.
        out.data = {"system_guid": g["text"], "encoding": GUID_MODE_NAMES[g["mode"]], "raw": r.data.hex(),
                    "ipmi_guid": str(uuid.UUID(bytes=bytes(r.data[::-1])))}
        return 0

    def mc_selftest(self):
        """ipmi_mc_get_selftest."""
        out = self.out
        r = yield from self.request(NetFn.APP, App.GET_SELF_TEST_RESULTS)
        if r is None:
            out.error("No response from devices\n")
            return -1
        if r.cc != CompletionCode.SUCCESS:
            out.error(f"Bad response: ({cc_string(r.cc)})")
            return -1
        code, detail = r.data[0], r.data[1] if len(r.data) > 1 else 0
        out.data = {"code": code, "detail": detail}
        if code == SELFTEST_PASSED:
            out.write("Selftest: passed\n")
            return 0
        if code == SELFTEST_NOT_IMPLEMENTED:
            out.write("Selftest: not implemented\n")
        elif code == SELFTEST_CORRUPTED:
            out.write("Selftest: device corrupted\n")
            out.write("".join(f"{text}\n" for bit, text in SELFTEST_DETAIL if detail & bit))
        elif code == SELFTEST_FATAL:
            out.write(f"Selftest     : fatal error\nFailure code : {detail:02x}\n")
        else:
            out.write(f"Selftest     : device specific ({code:02X}h)\nFailure code : {detail:02X}h\n")
        return -1

    def mc_watchdog_get(self):
        """ipmi_mc_get_watchdog."""
        out = self.out
        r = yield from self.request(NetFn.APP, App.GET_WATCHDOG_TIMER)
        if not self._answered(r, "Get Watchdog Timer command failed"):
            return -1
        use, action, pre, flags = r.data[0], r.data[1], r.data[2], r.data[3]
        initial, present = (r.data[4] | r.data[5] << 8) / 10.0, (r.data[6] | r.data[7] << 8) / 10.0
        out.write(f"Watchdog Timer Use:     {WDT_USE[use & 0x07]} (0x{use:02x})\n")
        out.write(f"Watchdog Timer Is:      {'Started/Running' if use & 0x40 else 'Stopped'}\n")
        out.write(f"Watchdog Timer Logging: {'Off' if use & 0x80 else 'On'}\n")
        out.write(f"Watchdog Timer Action:  {WDT_ACTION[action & 0x07]} (0x{action:02x})\n")
        out.write(f"Pre-timeout interrupt:  {WDT_INT[action >> 4 & 0x07]}\n")
        out.write(f"Pre-timeout interval:   {pre} seconds\n")
        out.write(f"Timer Expiration Flags: {'' if flags else 'None '}(0x{flags:02x})\n")
        out.write("".join(f"                        * {WDT_USE[i]}\n" for i in range(8) if flags >> i & 1))
        out.write(f"Initial Countdown:      {initial:0.1f} sec\n")
        out.write(f"Present Countdown:      {present:0.1f} sec\n")
        out.data = {"timer_use": WDT_USE[use & 0x07], "running": bool(use & 0x40), "logging": not use & 0x80,
                    "action": WDT_ACTION[action & 0x07], "pre_timeout_interrupt": WDT_INT[action >> 4 & 0x07],
                    "pre_timeout_interval_s": pre, "expiration_flags": flags, "initial_countdown_s": initial,
                    "present_countdown_s": present}
        return 0

    def mc_getenables(self):
        """ipmi_mc_get_enables."""
        r = yield from self.request(NetFn.APP, App.GET_BMC_GLOBAL_ENABLES)
        if not self._answered(r, "Get Global Enables command failed"):
            return -1
        value = r.data[0]
        for mask, desc in GLOBAL_ENABLES:
            self.out.write(f"{desc:<40} : {'en' if value & mask else 'dis'}abled\n")
        self.out.data = {"enables": value, **{desc: bool(value & mask) for mask, desc in GLOBAL_ENABLES}}
        return 0

    def mc_reset(self, kind: str):
        """ipmi_mc_reset: a cold reset is sent with ``noanswer`` (IPMI 2.0 20.2: the BMC may not answer), so
        ipmitool never reads its answer and always says it was sent.  (The request still completes here, so
        the run records it.)"""
        cold = kind == "cold"
        r = yield from self.request(NetFn.APP, App.COLD_RESET if cold else App.WARM_RESET)
        if not cold and r is None:
            self.out.error("MC reset command failed.")
            return -1
        if not cold and r.cc != CompletionCode.SUCCESS:
            self.out.error(f"MC reset command failed: {cc_string(r.cc)}")
            return -1
        self.out.write(f"Sent {kind} reset command to MC\n")
        self.out.data = {"reset": kind}
        return 0


def parse_guid(raw: bytes) -> dict | None:
    """ipmi_parse_guid(GUID_AUTO): the last encoding whose version nibble is valid (1-5), or the first
    time-based one with a plausible time; None when no encoding fits (the GUID is dumped)."""
    le = int.from_bytes
    fields = {  # (time_low, time_mid, time_hi_and_version, clock_seq, node) per encoding
        GUID_RFC4122: (le(raw[0:4], "big"), le(raw[4:6], "big"), le(raw[6:8], "big"), le(raw[8:10], "big"),
                       raw[10:16]),
        GUID_IPMI: (le(raw[12:16], "little"), le(raw[10:12], "little"), le(raw[8:10], "little"),
                    le(raw[6:8], "little"), raw[0:6][::-1]),
        GUID_SMBIOS: (le(raw[0:4], "little"), le(raw[4:6], "little"), le(raw[6:8], "little"),
                      le(raw[8:10], "big"), raw[10:16]),
    }
    mode = None
    for m in (GUID_RFC4122, GUID_IPMI, GUID_SMBIOS):
        t_low, t_mid, t_hi, _clk, _node = fields[m]
        version = t_hi >> 12 & 0x0F
        if 1 <= version <= 5:
            mode = m
            if version == 1 and _guid_time_valid(_guid_time(t_low, t_mid, t_hi)):
                break
    if mode is None:
        return None
    t_low, t_mid, t_hi, clk, node = fields[mode]
    version = t_hi >> 12 & 0x0F
    text = f"{t_low:08x}-{t_mid:04x}-{t_hi:04x}-{clk:04x}-{node.hex()}"
    return {"mode": mode, "version": version if version <= 5 else 0, "raw_version": version, "text": text,
            "time": _guid_time(t_low, t_mid, t_hi)}


def _guid_time(t_low: int, t_mid: int, t_hi: int) -> int:
    return (((t_hi & 0x0FFF) << 48 | t_mid << 32 | t_low) // 10_000_000) - GUID_EPOCH


def _guid_time_valid(t: int) -> bool:
    # _is_time_valid compares with the current year; the simulated host has no wall clock, so any year
    # from 1970 on counts (a GUID timestamp in the future stays a corner case).
    return t >= 0
