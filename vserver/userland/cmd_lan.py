"""``lan print``, as lib/ipmi_lanp.c sends and prints it (ipmitool 1.8.19)."""

from __future__ import annotations

from bmc.ipmi.cc import CompletionCode
from bmc.ipmi.cmd import Transport
from bmc.ipmi.netfn import NetFn

# ipmi_lan_params[]: the descriptions lan print labels each parameter with (ipmitool's spelling).
DESC = {0: "Set in Progress", 1: "Auth Type Support", 2: "Auth Type Enable", 3: "IP Address",
        4: "IP Address Source", 5: "MAC Address", 6: "Subnet Mask", 7: "IP Header", 10: "BMC ARP Control",
        11: "Gratituous ARP Intrvl", 12: "Default Gateway IP", 13: "Default Gateway MAC", 14: "Backup Gateway IP",
        15: "Backup Gateway MAC", 16: "SNMP Community String", 20: "802.1q VLAN ID", 21: "802.1q VLAN Priority",
        22: "RMCP+ Cipher Suite Count", 23: "RMCP+ Cipher Suites", 24: "Cipher Suite Priv Max",
        26: "Bad Password Threshold"}
SET_IN_PROGRESS = ("Set Complete", "Set In Progress", "Commit Write", "Reserved")
IP_SOURCES = ("Unspecified", "Static Address", "DHCP Address", "BIOS Assigned Address")
# IPMI_SESSION_AUTHTYPE_*: bit numbers, in the order lan print lists them.
AUTH_TYPES = ((0, "NONE"), (1, "MD2"), (2, "MD5"), (4, "PASSWORD"), (5, "OEM"))
AUTH_LEVELS = ("Callback", "User    ", "Operator", "Admin   ", "OEM     ")
PRIV_CHARS = {1: "c", 2: "u", 3: "o", 4: "a", 5: "O"}   # priv_level_to_char; anything else is X
PRIV_LEGEND = ("    X=Cipher Suite Unused", "    c=CALLBACK", "    u=USER", "    o=OPERATOR", "    a=ADMIN",
               "    O=OEM")
PRINT_ORDER = (0, 1, 2, 4, 3, 6, 5, 16, 7, 10, 11, 12, 13, 14, 15)


def _auth(bits: int) -> str:
    return "".join(f"{name} " for bit, name in AUTH_TYPES if bits >> bit & 1)


def _ip(d: bytes) -> str:
    return ".".join(str(b) for b in d[:4])


def mac2str(d: bytes) -> str:
    """helper.c mac2str: six lower-case hex bytes, colon separated."""
    return ":".join(f"{b:02x}" for b in d[:6])


def _at(d: bytes, i: int) -> int:
    return d[i] if i < len(d) else 0


class LanCommands:
    def _lan_param(self, channel: int, param: int, set_selector: int = 0):
        """get_lan_param_select: the data after the revision byte, or None on any failure (1.8.19 treats
        80h, C9h and CCh as errors too: its "valid but empty" case falls through)."""
        r = yield from self.request(NetFn.TRANSPORT, Transport.GET_LAN_CONFIGURATION_PARAMETERS,
                                    bytes((channel, param, set_selector, 0)))
        if r is None or r.cc != CompletionCode.SUCCESS:
            return None          # lprintf(LOG_INFO, ...): not shown without -v
        return bytes(r.data[1:])

    def lan_print(self, channel: int | None):
        """ipmi_lanp_main "print": find or check the LAN channel, then ipmi_lan_print."""
        out = self.out
        if channel is None:
            channel = 0                                   # find_lan_channel(intf, 1)
            for c in range(1, 0x0E):
                if (yield from self.is_lan_channel(c)):
                    channel = c
                    break
        if not (yield from self.is_lan_channel(channel)):
            out.error(f"Invalid channel: {channel}")
            return -1
        return (yield from self._lan_print(channel))

    def _lan_print(self, channel: int):
        """ipmi_lan_print."""
        out = self.out
        if not (yield from self.is_lan_channel(channel)):
            out.error(f"Channel {channel} is not a LAN channel")
            return -1
        values: dict[str, object] = {}

        def line(desc: str, text: str) -> None:
            out.write(f"{desc:<24}: {text}\n")
            out.fields.append((desc.strip() or out.fields[-1][0], text))
        for param in PRINT_ORDER:
            d = yield from self._lan_param(channel, param)
            if d is None:
                return -1
            desc = DESC[param]
            if param == 0:
                line(desc, SET_IN_PROGRESS[_at(d, 0) & 3])
            elif param == 1:
                line(desc, _auth(_at(d, 0)))
            elif param == 2:
                for i, level in enumerate(AUTH_LEVELS):
                    out.write(f"{desc if i == 0 else '':<24}: {level} : {_auth(_at(d, i))}\n")
                values["auth_enables"] = {level.strip(): _auth(_at(d, i)).split() for i, level in
                                          enumerate(AUTH_LEVELS)}
                continue
            elif param == 4:
                src = _at(d, 0) & 0x0F
                line(desc, IP_SOURCES[src] if src < len(IP_SOURCES) else "Other")
            elif param in (3, 6, 12, 14):
                line(desc, _ip(d.ljust(4, b"\x00")))
            elif param in (5, 13, 15):
                line(desc, mac2str(d.ljust(6, b"\x00")))
            elif param == 16:
                line(desc, d.split(b"\x00", 1)[0].decode("latin-1"))     # printf("%s")
            elif param == 7:
                line(desc, f"TTL=0x{_at(d, 0):02x} Flags=0x{_at(d, 1) & 0xE0:02x} "
                           f"Precedence=0x{_at(d, 2) & 0xE0:02x} TOS=0x{_at(d, 2) & 0x1E:02x}")
            elif param == 10:
                line(desc, f"ARP Responses {'En' if _at(d, 0) & 2 else 'Dis'}abled, "
                           f"Gratuitous ARP {'En' if _at(d, 0) & 1 else 'Dis'}abled")
            elif param == 11:
                line(desc, f"{float((_at(d, 0) + 1) // 2):.1f} seconds")    # (float)((x + 1) / 2): integer halves
        # VLAN ID and priority: a failure only leaves the line out.
        d = yield from self._lan_param(channel, 20)
        if d is not None:
            vid = (_at(d, 1) & 0x0F) << 8 | _at(d, 0)
            line(DESC[20], str(vid) if _at(d, 1) & 0x80 else "Disabled")
        d = yield from self._lan_param(channel, 21)
        if d is not None:
            line(DESC[21], str(_at(d, 0) & 0x07))
        d = yield from self._lan_param(channel, 22)
        if d is None:
            return -1
        count = _at(d, 0)
        d = yield from self._lan_param(channel, 23)
        if d is None:
            return -1
        if len(d) <= 17:
            suites = [_at(d, i + 1) for i in range(min(16, count))]
            line(DESC[23], ",".join(map(str, suites)))
        else:
            line(DESC[23], "None")
        d = yield from self._lan_param(channel, 24)
        if d is None:
            return -1
        if len(d) == 9:
            nibbles = [d[1 + i // 2] >> (4 * (i % 2)) & 0x0F for i in range(15)]
            line(DESC[24], "".join(PRIV_CHARS.get(n, "X") for n in nibbles))
            for legend in PRIV_LEGEND:
                out.write(f"{'':<24}: {legend}\n")
        else:
            line(DESC[24], "Not Available")
        d = yield from self._lan_param(channel, 26)
        if d is None:
            return -1
        if len(d) == 6:
            line(DESC[26], str(d[1]))
            line("Invalid password disable", "yes" if d[0] & 1 else "no")
            line("Attempt Count Reset Int.", str((d[2] | d[3] << 8) * 10))
            line("User Lockout Interval", str((d[4] | d[5] << 8) * 10))
        else:
            line(DESC[26], "Not Available")
        out.data = {"channel": channel, "parameters": dict(out.fields), **values}
        return 0
