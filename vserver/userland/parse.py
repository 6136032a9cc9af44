"""The command lines ``run`` accepts, checked before anything boots: a typo names its word and never boots a world.

``parse_command(words)`` returns (handler name, arguments).  Words are
parsed as ipmitool's ``*_main`` functions parse them (numbers with C
``strtoul`` base 0, ``options=`` lists as ``bootdev_parse_options``);
where ipmitool would send requests before noticing a bad word (``chassis
bootdev bogus``), the word is refused here instead.
"""

from __future__ import annotations

from .core import ToolError

# lib/ipmi_chassis.c ipmi_chassis_set_bootdev: the device words and their data 2 selector.
BOOT_DEVICES = {"none": 0x00, "pxe": 0x04, "force_pxe": 0x04, "disk": 0x08, "force_disk": 0x08, "safe": 0x0C,
                "force_safe": 0x0C, "diag": 0x10, "force_diag": 0x10, "cdrom": 0x14, "force_cdrom": 0x14,
                "floppy": 0x3C, "force_floppy": 0x3C, "bios": 0x18, "force_bios": 0x18}
# bootdev_parse_options: option -> (flag byte, mask, value, description), in ipmitool's table order.
BOOTDEV_OPTIONS = {
    "valid": (0, 0x80, 0x80, "Boot flags valid"),
    "persistent": (0, 0x40, 0x40, "Changes are persistent for all future boots"),
    "efiboot": (0, 0x20, 0x20, "Extensible Firmware Interface Boot (EFI)"),
    "clear-cmos": (1, 0x80, 0x80, "CMOS clear"),
    "lockkbd": (1, 0x40, 0x40, "Lock Keyboard"),
    "screenblank": (1, 0x02, 0x02, "Screen Blank"),
    "lockoutreset": (1, 0x01, 0x01, "Lock out Reset buttons"),
    "lockout_power": (2, 0x80, 0x80, "Lock out (power off/sleep request) via Power Button"),
    "verbose=default": (2, 0x60, 0x00, "Request quiet BIOS display"),
    "verbose=no": (2, 0x60, 0x20, "Request quiet BIOS display"),
    "verbose=yes": (2, 0x60, 0x40, "Request verbose BIOS display"),
    "force_pet": (2, 0x10, 0x10, "Force progress event traps"),
    "upw_bypass": (2, 0x08, 0x08, "User password bypass"),
    "lockout_sleep": (2, 0x04, 0x04, "Lock out the Sleep button"),
    "cons_redirect=default": (2, 0x03, 0x00, "Console redirection occurs per BIOS configuration setting"),
    "cons_redirect=skip": (2, 0x03, 0x01, "Suppress (skip) console redirection if enabled"),
    "cons_redirect=enable": (2, 0x03, 0x02, "Request console redirection be enabled"),
}
# ipmi_chassis_main's power words -> Chassis Control code.
POWER_CONTROLS = {"off": 0, "down": 0, "on": 1, "up": 1, "cycle": 2, "reset": 3, "diag": 4, "soft": 5, "acpi": 5}
SDR_LIST_TYPES = {"all": 0xFF, "full": 0x01, "compact": 0x02, "event": 0x03, "mcloc": 0x12, "fru": 0x11,
                  "generic": 0x10}
SDR_SENSORS = 0xFE        # "sdr list" with no type: full and compact sensor records
BOOTPARAMS_DECODED = (0, 5)

USAGE = (
    "mc info", "mc guid", "mc selftest", "mc watchdog get", "mc getenables", "mc reset cold|warm",
    "chassis status", "chassis power status|on|off|cycle|reset|diag|soft",
    "chassis bootdev none|pxe|disk|safe|diag|cdrom|bios|floppy [options=OPT,...|clear-cmos=yes]",
    "chassis bootparam get 0|5",
    "sdr [list|elist [all|full|compact|event|mcloc|fru|generic]]",
    "sensor [list]", "sensor get NAME [NAME...]",
    "sel [info]", "sel list", "sel elist", "sel get ID [ID...]",
    "fru [print [ID]]", "raw NETFN CMD [DATA...]",
    "lan print [CHANNEL]", "user list|summary [CHANNEL]", "channel info [CHANNEL]",
    "channel getaccess CHANNEL [USER]",
)


def c_number(word: str, what: str, hi: int) -> int:
    """A number as ipmitool's str2uchar/str2ushort read it (strtoul base 0): 0x1F hex, 017 octal, 31 decimal."""
    w = word.strip().lower()
    try:
        if w.startswith("0x"):
            n = int(w[2:], 16)
        elif len(w) > 1 and w.startswith("0"):
            n = int(w[1:], 8)
        else:
            n = int(w, 10)
    except ValueError:
        raise ToolError(f"{what} {word!r} is not a number (write 0x1f, 017 or 31, as ipmitool reads them)") \
            from None
    if not 0 <= n <= hi:
        raise ToolError(f"{what} {word!r} out of range 0-{hi} (0x{hi:X})")
    return n


def bootdev_flags(option_list: str) -> tuple[bytes | None, list[str]]:
    """bootdev_parse_options: (the five boot flag bytes an ``options=`` list sets, or None; the lines ipmitool
    prints on stderr for a bad option: each bad one named, then the legal ones)."""
    flags = bytearray(5)
    errors: list[str] = []
    bad = False
    for token in (t for t in option_list.split(",") if t):      # strtok_r skips empty tokens
        if token == "help":
            bad = True
            break
        if token not in BOOTDEV_OPTIONS:
            bad = True
            errors.append(f"Invalid option: {token}")
            continue
        at, mask, value, _ = BOOTDEV_OPTIONS[token]
        flags[at] = flags[at] & ~mask | value
    if not bad:
        return bytes(flags), []
    errors.append("Legal options settings are:")
    errors.append(f"  {'help':<22}: print this message")
    errors += [f"  {name:<22}: {desc}" for name, (*_, desc) in BOOTDEV_OPTIONS.items()]
    return None, errors


def _mc(w, key):
    simple = {("info",): "mc_info", ("guid",): "mc_guid", ("selftest",): "mc_selftest",
              ("watchdog", "get"): "mc_watchdog_get", ("getenables",): "mc_getenables"}
    if key[1:] in simple:
        return simple[key[1:]], ()
    if key[1:2] == ("reset",) and len(key) == 3:
        if key[2] not in ("cold", "warm"):
            raise ToolError(f"mc reset: {w[2]!r} is not cold or warm")
        return "mc_reset", (key[2],)
    return None


def _chassis(w, key):
    if key[1:] == ("status",):
        return "chassis_status", ()
    if key[1:] == ("power", "status"):
        return "chassis_power_status", ()
    if key[1:2] == ("power",) and len(key) == 3:
        if key[2] not in POWER_CONTROLS:
            raise ToolError(f"chassis power: unknown action {w[2]!r}; choose one of: "
                            f"status, {', '.join(POWER_CONTROLS)}")
        return "chassis_power", (POWER_CONTROLS[key[2]],)
    if key[1:2] == ("bootdev",) and len(key) in (3, 4):
        return _bootdev(w)
    if key[1:3] == ("bootparam", "get") and len(key) == 4:
        param = c_number(w[3], "chassis bootparam get: parameter", 0xFF)
        if param not in BOOTPARAMS_DECODED:
            raise ToolError(f"chassis bootparam get: parameter {w[3]!r} is not decoded here; "
                            f"{' and '.join(map(str, BOOTPARAMS_DECODED))} are")
        return "chassis_bootparam_get", (param,)
    return None


def _bootdev(w):
    # ipmitool checks the device word only after two requests (ipmi_chassis_set_bootdev), and a bad
    # option before any: both are the command's business, to print what ipmitool prints.
    options = None
    if len(w) == 4:
        if w[3] == "clear-cmos=yes":
            options = "clear-cmos"      # exclusive: clear-cmos and no other flag
        elif w[3].startswith("options="):
            options = w[3][len("options="):]
        else:
            raise ToolError(f"chassis bootdev: {w[3]!r} is neither options=... nor clear-cmos=yes")
    return "chassis_bootdev", (w[2], options)


def _sdr(w, key):
    if len(key) == 1:
        return "sdr_list", (SDR_SENSORS, False)
    if key[1] in ("list", "elist") and len(key) <= 3:
        kind = SDR_SENSORS
        if len(key) == 3:
            if w[2] not in SDR_LIST_TYPES:
                raise ToolError(f"sdr {w[1]}: unknown record type {w[2]!r}; one of: {', '.join(SDR_LIST_TYPES)}")
            kind = SDR_LIST_TYPES[w[2]]
        return "sdr_list", (kind, key[1] == "elist")
    return None


def _sensor(w, key):
    if key[1:] in ((), ("list",)):           # ipmi_sensor_main: no words is a list
        return "sensor_list", ()
    if key[1:2] == ("get",) and len(w) >= 3:
        return "sensor_get", (tuple(w[2:]),)
    return None


def _sel(w, key):
    simple = {(): "sel_info", ("info",): "sel_info", ("list",): "sel_list", ("elist",): "sel_elist"}
    if key[1:] in simple:
        return simple[key[1:]], ()
    if key[1:2] == ("get",) and len(w) >= 3:
        return "sel_get", (tuple(c_number(x, "sel get: SEL ID", 0xFFFF) for x in w[2:]),)
    return None


def _fru(w, key):
    if len(key) == 1 or key[1:] in (("print",), ("list",)):
        return "fru_print_all", ()
    if key[1] in ("print", "list") and len(key) == 3:
        fru_id = c_number(w[2], "fru print: FRU ID", 0xFE)    # is_fru_id: 0xFF is out of range
        return "fru_print", (fru_id,)
    return None


def _raw(w, key):
    if len(w) < 3:
        raise ToolError("raw: needs NETFN and CMD (e.g. raw 0x06 0x01)")
    netfn = c_number(w[1], "raw: NETFN", 0x3F)
    if netfn & 1:
        raise ToolError(f"raw: NETFN {w[1]!r} is a response NetFn; a request NetFn is even")
    cmd = c_number(w[2], "raw: CMD", 0xFF)
    data = bytes(c_number(x, f"raw: DATA[{i}]", 0xFF) for i, x in enumerate(w[3:]))
    return "raw", (netfn, cmd, data)


def channel_number(word: str, what: str) -> int:
    """helper.c is_ipmi_channel_num: 0-0xB, 0xE (this channel) or 0xF (the system interface)."""
    n = c_number(word, what, 0xFF)
    if not (n <= 0xB or 0xE <= n <= 0xF):
        raise ToolError(f"{what} {word!r} out of range: channels are 0x0-0xB, 0xE-0xF")
    return n


def _lan(w, key):
    if key[1:2] in (("print",), ("printconf",)) and len(key) <= 3:
        return "lan_print", (c_number(w[2], "lan print: channel", 0xFF) if len(w) == 3 else None,)
    return None


def _user(w, key):
    if key[1:2] in (("list",), ("summary",)) and len(key) <= 3:
        channel = channel_number(w[2], f"user {key[1]}: channel") if len(w) == 3 else 0x0E
        return f"user_{key[1]}", (channel,)
    return None


def _channel(w, key):
    if key[1:2] == ("info",) and len(key) <= 3:
        return "channel_info", (channel_number(w[2], "channel info: channel") if len(w) == 3 else 0x0E,)
    if key[1:2] == ("getaccess",) and len(key) in (3, 4):
        uid = c_number(w[3], "channel getaccess: user ID", 63) if len(w) == 4 else 0
        if len(w) == 4 and uid < 1:
            raise ToolError(f"channel getaccess: user ID {w[3]!r} out of range 1-63")
        return "channel_getaccess", (channel_number(w[2], "channel getaccess: channel"), uid)
    return None


GROUPS = {"mc": _mc, "chassis": _chassis, "sdr": _sdr, "sensor": _sensor, "sel": _sel, "fru": _fru, "raw": _raw,
          "lan": _lan, "user": _user, "channel": _channel}


def parse_command(words: list[str] | tuple[str, ...]) -> tuple[str, tuple]:
    """Check a command line; return (handler name, arguments).  Raises ``ToolError`` naming the bad word."""
    w = [x for x in (str(x).strip() for x in words) if x]
    if not w:
        raise ToolError("no command given; one of: " + ", ".join(USAGE))
    key = tuple(x.lower() for x in w)
    group = GROUPS.get(key[0])
    found = group(w, key) if group else None
    if found is None:
        raise ToolError(f"unknown command {' '.join(w)!r}; one of: " + ", ".join(USAGE))
    return found
