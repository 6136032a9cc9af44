"""``channel info`` and ``channel getaccess``, and the channel helpers ``lan`` uses, as lib/ipmi_channel.c has them."""

from __future__ import annotations

from bmc.ipmi.cc import CompletionCode
from bmc.ipmi.cmd import App
from bmc.ipmi.netfn import NetFn

from .cfmt import cc_string, unknown_val_str

# ipmi_strings.c ipmi_channel_medium_vals / ipmi_channel_protocol_vals.
CHANNEL_MEDIUM = {0x00: "reserved", 0x01: "IPMB (I2C)", 0x02: "ICMB v1.0", 0x03: "ICMB v0.9", 0x04: "802.3 LAN",
                  0x05: "Serial/Modem", 0x06: "Other LAN", 0x07: "PCI SMBus", 0x08: "SMBus v1.0/v1.1",
                  0x09: "SMBus v2.0", 0x0A: "USB 1.x", 0x0B: "USB 2.x", 0x0C: "System Interface"}
CHANNEL_PROTOCOL = {0x00: "reserved", 0x01: "IPMB-1.0", 0x02: "ICMB-1.0", 0x03: "reserved", 0x04: "IPMI-SMBus",
                    0x05: "KCS", 0x06: "SMIC", 0x07: "BT-10", 0x08: "BT-15", 0x09: "TMode", 0x1C: "OEM 1",
                    0x1D: "OEM 2", 0x1E: "OEM 3", 0x1F: "OEM 4"}
SESSION_SUPPORT = {0x00: "session-less", 0x40: "single-session", 0x80: "multi-session", 0xC0: "session-based"}
ACCESS_MODES = ("disabled", "pre-boot only", "always available", "shared")
MEDIUM_LAN, MEDIUM_LAN_OTHER, MEDIUM_RESERVED = 0x04, 0x06, 0x00
# ipmi_privlvl_vals and ipmi_user_enable_status_vals.
PRIVILEGES = {1: "CALLBACK", 2: "USER", 3: "OPERATOR", 4: "ADMINISTRATOR", 5: "OEM", 0x0F: "NO ACCESS"}
ENABLE_STATUS = {0x00: "unknown", 0x40: "enabled", 0x80: "disabled", 0xC0: "reserved"}
IPMI_UID_MAX = 63


def val2str(value: int, table: dict) -> str:
    return table.get(value, unknown_val_str(value))


def eval_ccode(out, ccode: int) -> int:
    """helper.c eval_ccode: 0 is fine; a negative code (-1 no answer, -2 bad length) or a completion code
    prints its line and is -1."""
    if ccode == 0:
        return 0
    if ccode < 0:
        line = {-1: "IPMI response is NULL.", -2: "Unexpected data length received."}.get(ccode)
        if line:
            out.error(line)
    else:
        out.error(f"IPMI command failed: {cc_string(ccode)}")
    return -1


def _code(r, length: int | None) -> int:
    """The ccode an ipmitool ``_ipmi_get_*`` helper returns for answer ``r``."""
    if r is None:
        return -1
    if r.cc != CompletionCode.SUCCESS:
        return r.cc
    if length is not None and len(r.data) != length:
        return -2
    return 0


class ChannelCommands:
    def _get_channel_info(self, channel: int):
        """_ipmi_get_channel_info -> (ccode, info dict or None)."""
        r = yield from self.request(NetFn.APP, App.GET_CHANNEL_INFO, bytes((channel & 0x0F,)))
        code = _code(r, 9)
        if code:
            return code, None
        d = r.data
        return 0, {"channel": d[0] & 0x0F, "medium": d[1] & 0x7F, "protocol": d[2] & 0x1F,
                   "session_support": d[3] & 0xC0, "active_sessions": d[3] & 0x3F,
                   "vendor_id": d[4] | d[5] << 8 | d[6] << 16, "aux": d[7:9].hex()}

    def _get_channel_access(self, channel: int, volatile: bool):
        """_ipmi_get_channel_access -> (ccode, access dict or None)."""
        r = yield from self.request(NetFn.APP, App.GET_CHANNEL_ACCESS,
                                    bytes((channel & 0x0F, 0x80 if volatile else 0x40)))
        code = _code(r, 2)
        if code:
            return code, None
        d = r.data
        return 0, {"alerting": bool(d[0] & 0x20), "per_message_auth": bool(d[0] & 0x10),
                   "user_level_auth": bool(d[0] & 0x08), "access_mode": d[0] & 0x07, "privilege_limit": d[1] & 0x0F}

    def channel_medium(self, channel: int):
        """ipmi_get_channel_medium: the medium, or 0 (reserved) when Get Channel Info fails."""
        code, info = yield from self._get_channel_info(channel)
        if code:
            if code != CompletionCode.INVALID_DATA_FIELD:
                if code > 0:
                    self.out.error(f"Get Channel Info command failed: {cc_string(code)}")
                else:
                    eval_ccode(self.out, code)
            return MEDIUM_RESERVED
        return info["medium"]

    def is_lan_channel(self, channel: int):
        """ipmi_lanp.c is_lan_channel."""
        if channel < 1 or channel > 0x0E:
            return False
        medium = yield from self.channel_medium(channel)
        return medium in (MEDIUM_LAN, MEDIUM_LAN_OTHER)

    def channel_info(self, channel: int):
        """ipmi_get_channel_info."""
        out = self.out
        code, info = yield from self._get_channel_info(channel)
        if eval_ccode(out, code):
            out.error("Unable to Get Channel Info")
            return -1
        out.write(f"Channel 0x{info['channel']:x} info:\n")
        out.write(f"  Channel Medium Type   : {val2str(info['medium'], CHANNEL_MEDIUM)}\n")
        out.write(f"  Channel Protocol Type : {val2str(info['protocol'], CHANNEL_PROTOCOL)}\n")
        out.write(f"  Session Support       : {SESSION_SUPPORT[info['session_support']]}\n")
        out.write(f"  Active Session Count  : {info['active_sessions']}\n")
        out.write(f"  Protocol Vendor ID    : {info['vendor_id']}\n")
        out.data = dict(info)
        out.fields = [("Channel", f"0x{info['channel']:x}"), ("Medium", val2str(info["medium"], CHANNEL_MEDIUM)),
                      ("Protocol", val2str(info["protocol"], CHANNEL_PROTOCOL)),
                      ("Session Support", SESSION_SUPPORT[info["session_support"]]),
                      ("Active Sessions", str(info["active_sessions"]))]
        if info["medium"] not in (MEDIUM_LAN, MEDIUM_LAN_OTHER):
            return 0
        for volatile, title, what in ((True, "Volatile(active) Settings", "volatile"),
                                      (False, "Non-Volatile Settings", "non-volatile")):
            code, access = yield from self._get_channel_access(info["channel"], volatile)
            if eval_ccode(out, code):
                out.error(f"Unable to Get Channel Access ({what})")
                return -1
            out.write(f"  {title}\n")
            out.write(f"    Alerting            : {'dis' if access['alerting'] else 'en'}abled\n")
            out.write(f"    Per-message Auth    : {'dis' if access['per_message_auth'] else 'en'}abled\n")
            out.write(f"    User Level Auth     : {'dis' if access['user_level_auth'] else 'en'}abled\n")
            mode = ACCESS_MODES[access["access_mode"]] if access["access_mode"] < len(ACCESS_MODES) else "unknown"
            out.write(f"    Access Mode         : {mode}\n")
            out.data[what.replace("-", "_")] = access
            out.fields.append((f"{what.capitalize()} Access Mode", mode))
        return 0

    # -- users, as channel getaccess and user list read them --------------------------------------

    def _get_user_access(self, channel: int, uid: int):
        """_ipmi_get_user_access -> (ccode, access dict or None)."""
        r = yield from self.request(NetFn.APP, App.GET_USER_ACCESS, bytes((channel & 0x0F, uid & 0x3F)))
        code = _code(r, 4)
        if code:
            return code, None
        d = r.data
        return 0, {"max_user_ids": d[0] & 0x3F, "enable_status": d[1] & 0xC0, "enabled_user_ids": d[1] & 0x3F,
                   "fixed_user_ids": d[2] & 0x3F, "callin_callback": bool(d[3] & 0x40),
                   "link_auth": bool(d[3] & 0x20), "ipmi_messaging": bool(d[3] & 0x10),
                   "privilege_limit": d[3] & 0x0F}

    def _get_user_name(self, uid: int):
        """_ipmi_get_user_name -> (ccode, name): the 16 bytes up to the first NUL."""
        r = yield from self.request(NetFn.APP, App.GET_USER_NAME, bytes((uid & 0x3F,)))
        code = _code(r, 16)
        if code:
            return code, ""
        return 0, bytes(r.data).split(b"\x00", 1)[0].decode("latin-1")

    def _user_name_or_empty(self, uid: int):
        """Get User Name where 0xCC means "no name" (both listings); other failures are (ccode, None)."""
        code, name = yield from self._get_user_name(uid)
        if code == CompletionCode.INVALID_DATA_FIELD:
            return 0, ""
        return code, name

    def channel_getaccess(self, channel: int, user_id: int):
        """ipmi_channel.c ipmi_get_user_access: one user, or (user_id 0) every user up to the maximum."""
        out = self.out
        uid = user_id or 1
        max_uid = 0
        users = []
        while True:
            code, access = yield from self._get_user_access(channel, uid)
            if eval_ccode(out, code):
                out.error(f"Unable to Get User Access (channel {channel} id {uid})")
                return -1
            code, name = yield from self._user_name_or_empty(uid)
            if eval_ccode(out, code):
                out.error(f"Unable to Get User Name (id {uid})")
                return -1
            if not users:
                out.write(f"Maximum User IDs     : {access['max_user_ids']}\n")
                out.write(f"Enabled User IDs     : {access['enabled_user_ids']}\n")
                max_uid = access["max_user_ids"]
            out.write("\n")
            out.write(f"User ID              : {uid}\n")
            out.write(f"User Name            : {name}\n")
            out.write(f"Fixed Name           : {'Yes' if uid <= access['fixed_user_ids'] else 'No'}\n")
            out.write(f"Access Available     : {'callback' if access['callin_callback'] else 'call-in / callback'}\n")
            out.write(f"Link Authentication  : {'en' if access['link_auth'] else 'dis'}abled\n")
            out.write(f"IPMI Messaging       : {'en' if access['ipmi_messaging'] else 'dis'}abled\n")
            out.write(f"Privilege Level      : {val2str(access['privilege_limit'], PRIVILEGES)}\n")
            out.write(f"Enable Status        : {val2str(access['enable_status'], ENABLE_STATUS)}\n")
            users.append({"id": uid, "name": name, **access})
            uid += 1
            if user_id or uid > max_uid:
                break
        out.data = {"channel": channel, "users": users}
        return 0
