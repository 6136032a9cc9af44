"""The ``[lan]`` table of a world configuration: the LAN channel's parameters (IPMI 2.0 Table 23-4).

::

    [lan]
    ip_address = "10.0.0.5"        ip_source = "static" | "dhcp" | "bios" | "unspecified" | "other"
    netmask = "255.255.255.0"      gateway = "10.0.0.1"    gateway_mac = "00:00:5e:00:01:01"
    mac = "02:00:00:00:00:05"      community = "public"    vlan_id = 100 (0 = off)
    bad_password_threshold = 3     bad_password_reset = "60 s"    bad_password_lockout = "5 min"
    auth = { admin = ["md5"], operator = ["md5", "password"] }   (callback, user, operator, admin, oem)
    cipher_suite_privileges = { "3" = "administrator", "17" = "operator" }

Every key is optional; what is left out keeps the BMC's default (ipmi_sim's
lan.conf: 127.0.0.1/8, a MAC derived from the BMC's identity, every
authentication type at every privilege, Administrator for every cipher
suite, no lockout).  The intervals count in 10 s steps, as parameter 26
does.  Values the BMC persisted in its state directory (a Set LAN
Configuration Parameters of an earlier run) win over the file.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

from bmc.lan_config import (
    AUTH_MD5,
    AUTH_NONE,
    AUTH_PASSWORD,
    CIPHER_SUITES,
    COMMUNITY_LEN,
    IP_SOURCE_BIOS,
    IP_SOURCE_DHCP,
    IP_SOURCE_OTHER,
    IP_SOURCE_STATIC,
    IP_SOURCE_UNSPECIFIED,
)
from buses.time import S

from .config_check import Checker

IP_SOURCES = {"unspecified": IP_SOURCE_UNSPECIFIED, "static": IP_SOURCE_STATIC, "dhcp": IP_SOURCE_DHCP,
              "bios": IP_SOURCE_BIOS, "other": IP_SOURCE_OTHER}
AUTH_TYPES = {"none": AUTH_NONE, "md5": AUTH_MD5, "password": AUTH_PASSWORD}     # what this BMC supports
AUTH_LEVELS = {"callback": 1, "user": 2, "operator": 3, "admin": 4, "oem": 5}
CIPHER_PRIVILEGES = {"callback": 1, "user": 2, "operator": 3, "administrator": 4, "oem": 5}
INTERVAL_STEP = 10 * S
MAX_INTERVAL = 0xFFFF * INTERVAL_STEP
KEYS = {"ip_address": False, "ip_source": False, "netmask": False, "gateway": False, "gateway_mac": False,
        "mac": False, "community": False, "vlan_id": False, "bad_password_threshold": False,
        "bad_password_reset": False, "bad_password_lockout": False, "auth": False, "cipher_suite_privileges": False}


@dataclass
class LanSpec:
    """A checked ``[lan]`` table: only what the file sets."""

    addressing: dict = field(default_factory=dict)    # LanAddressing field -> value
    bad_password: dict = field(default_factory=dict)  # BadPasswordPolicy field -> value
    auth_enables: dict[int, int] = field(default_factory=dict)
    cipher_suite_privileges: dict[int, int] = field(default_factory=dict)


def _ipv4(ck: Checker, path: str, value, mask: bool = False) -> bytes | None:
    if not isinstance(value, str):
        return ck.bad(path, value, 'must be a dotted IPv4 address string, e.g. "10.0.0.5"')
    try:
        raw = ipaddress.IPv4Address(value).packed
    except ValueError:
        return ck.bad(path, value, 'is not a dotted IPv4 address, e.g. "10.0.0.5"')
    if mask:
        inverted = ~int.from_bytes(raw, "big") & 0xFFFFFFFF
        if inverted & (inverted + 1):
            return ck.bad(path, value, "is not a netmask (its ones must be contiguous)")
    return raw


def _mac(ck: Checker, path: str, value) -> bytes | None:
    parts = value.split(":") if isinstance(value, str) else []
    try:
        raw = bytes(int(p, 16) for p in parts) if len(parts) == 6 and all(len(p) == 2 for p in parts) else None
    except ValueError:
        raw = None
    if raw is None:
        return ck.bad(path, value, 'must be six hex bytes with colons, e.g. "02:00:00:00:00:05"')
    return raw


def _interval(ck: Checker, path: str, value) -> int | None:
    t = ck.duration(path, value, 0, MAX_INTERVAL)
    if t is not None and t % INTERVAL_STEP:
        return ck.bad(path, value, "must be a whole number of 10 s steps (parameter 26 counts 10 s)")
    return None if t is None else t // S


def read_lan(ck: Checker, raw) -> LanSpec | None:
    if ck.table("lan", raw, KEYS) is None:
        return None
    spec = LanSpec()
    a = spec.addressing
    for key, fld in (("ip_address", "ip_address"), ("gateway", "default_gateway_ip")):
        if key in raw:
            a[fld] = _ipv4(ck, f"lan.{key}", raw[key])
    if "netmask" in raw:
        a["subnet_mask"] = _ipv4(ck, "lan.netmask", raw["netmask"], mask=True)
    for key, fld in (("mac", "mac_address"), ("gateway_mac", "default_gateway_mac")):
        if key in raw:
            a[fld] = _mac(ck, f"lan.{key}", raw[key])
    if "ip_source" in raw:
        src = ck.choice("lan.ip_source", raw["ip_source"], IP_SOURCES)
        a["ip_source"] = None if src is None else IP_SOURCES[src]
    if "community" in raw:
        text = ck.string("lan.community", raw["community"], max_bytes=COMMUNITY_LEN, ascii_only=True)
        a["community"] = None if text is None else text.encode("ascii").ljust(COMMUNITY_LEN, b"\x00")
    if "vlan_id" in raw:
        vid = ck.integer("lan.vlan_id", raw["vlan_id"], 0, 4094)
        if vid is not None:
            a["vlan_id"], a["vlan_enabled"] = vid, vid != 0
    b = spec.bad_password
    if "bad_password_threshold" in raw:
        b["threshold"] = ck.integer("lan.bad_password_threshold", raw["bad_password_threshold"], 0, 255)
    for key, fld in (("bad_password_reset", "reset_interval_s"), ("bad_password_lockout", "lockout_interval_s")):
        if key in raw:
            b[fld] = _interval(ck, f"lan.{key}", raw[key])
    if "auth" in raw and ck.table("lan.auth", raw["auth"], dict.fromkeys(AUTH_LEVELS, False)) is not None:
        for level, types in raw["auth"].items():
            path = f"lan.auth.{level}"
            if level not in AUTH_LEVELS:
                continue
            if not isinstance(types, list):
                ck.bad(path, types, f'must be a list of authentication types, e.g. ["md5"]: {", ".join(AUTH_TYPES)}')
                continue
            bits = 0
            for i, t in enumerate(types):
                if ck.choice(f"{path}[{i}]", t, AUTH_TYPES) is not None:
                    bits |= AUTH_TYPES[t]
            spec.auth_enables[AUTH_LEVELS[level]] = bits
    if "cipher_suite_privileges" in raw:
        table = raw["cipher_suite_privileges"]
        if not isinstance(table, dict):
            ck.bad("lan.cipher_suite_privileges", table, 'must be a table, e.g. { "3" = "administrator" }')
        else:
            for suite, priv in table.items():
                path = f"lan.cipher_suite_privileges.{suite}"
                if not suite.isdigit() or int(suite) not in CIPHER_SUITES:
                    ck.bad(path, suite, f"not a cipher suite of this BMC: {', '.join(map(str, CIPHER_SUITES))}")
                elif ck.choice(path, priv, CIPHER_PRIVILEGES) is not None:
                    spec.cipher_suite_privileges[int(suite)] = CIPHER_PRIVILEGES[priv]
    return spec


def apply_lan(bmc, spec: LanSpec | None) -> None:
    """The file's values into the BMC's LanConfig, then what its store persisted on top."""
    if spec is not None:
        cfg = bmc.lan_config
        for name, value in spec.addressing.items():
            setattr(cfg.addressing, name, value)
        for name, value in spec.bad_password.items():
            setattr(cfg.bad_password, name, value)
        cfg.auth_enables.update(spec.auth_enables)
        cfg.cipher_suite_privileges.update(spec.cipher_suite_privileges)
    bmc.lan_params.restore()
