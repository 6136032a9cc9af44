"""The LAN channel's configuration: what Get/Set LAN Configuration Parameters read and write (IPMI 2.0 section 23.2).

One ``LanConfig`` per BMC (``bmc.lan_config``).  The session layer
(``bmc.lan``) reads the fields that decide who may log in and how: the
authentication types enabled per privilege level (parameter 2), the cipher
suites offered (parameters 22-24) and the bad password threshold
(parameter 26).  Defaults follow OpenIPMI ``ipmi_sim``'s shipped
``lan.conf``: every supported authentication type allowed at every
privilege, Administrator as the most any cipher suite grants, and no
lockout (the spec's "0 = disabled"); a world configuration changes them.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from .privilege import Privilege

# Authentication type bits (Table 22-15, parameter 1): none, MD2, MD5, straight password, OEM.
AUTH_NONE = 0x01
AUTH_MD2 = 0x02
AUTH_MD5 = 0x04
AUTH_PASSWORD = 0x10
AUTH_OEM = 0x20
# MD2 has no well-kept implementation in Python's libraries; it is neither offered nor accepted.
SUPPORTED_AUTH_TYPES = AUTH_NONE | AUTH_MD5 | AUTH_PASSWORD

# The cipher suites this BMC implements (Table 22-20), in the order parameter 23 lists them.
CIPHER_SUITES = (0, 1, 2, 3, 15, 16, 17)


def _all_privileges(bits: int) -> dict[int, int]:
    return {p: bits for p in (Privilege.CALLBACK, Privilege.USER, Privilege.OPERATOR, Privilege.ADMINISTRATOR,
                              Privilege.OEM)}


@dataclass
class BadPasswordPolicy:
    """Parameter 26 (Bad Password Threshold): after ``threshold`` failed logins within
    ``reset_interval_s`` the user is locked out for ``lockout_interval_s``; threshold 0 disables it."""

    threshold: int = 0
    reset_interval_s: int = 0
    lockout_interval_s: int = 0
    audit_event: bool = False


@dataclass
class LanConfig:
    """The parameters the session layer depends on, and (``addressing``) the rest of section 23.2.

    ``bmc.lan_params`` encodes each to its Table 23-4 bytes and decodes Set data back into it.
    """

    auth_support: int = SUPPORTED_AUTH_TYPES
    auth_enables: dict[int, int] = field(default_factory=lambda: _all_privileges(SUPPORTED_AUTH_TYPES))
    cipher_suites: tuple[int, ...] = CIPHER_SUITES
    # Parameter 24: the highest privilege each cipher suite may reach, by suite id.
    cipher_suite_privileges: dict[int, int] = field(
        default_factory=lambda: {cs: Privilege.ADMINISTRATOR for cs in CIPHER_SUITES})
    bad_password: BadPasswordPolicy = field(default_factory=BadPasswordPolicy)
    # Parameter 24 nibbles of the entries past the last cipher suite (no suite uses them; read back as set).
    unused_cipher_privileges: dict[int, int] = field(default_factory=dict)
    addressing: LanAddressing = field(default_factory=lambda: LanAddressing())


# -- the rest of section 23.2 (Table 23-4) --------------------------------------------------------------

# Parameter 4, IP Address Source (bits 3:0).
IP_SOURCE_UNSPECIFIED, IP_SOURCE_STATIC, IP_SOURCE_DHCP, IP_SOURCE_BIOS, IP_SOURCE_OTHER = range(5)
# Parameter 10, BMC-generated ARP control: bit 1 ARP responses, bit 0 gratuitous ARPs.
ARP_RESPONSES = 0x02
GRATUITOUS_ARP = 0x01
COMMUNITY_LEN = 18
# Parameter 17: LAN alert destinations 1..N besides the volatile destination 0 (bits 3:0, at most 15).
DESTINATIONS = 4
CIPHER_ENTRIES = 16            # parameter 24 holds 16 privilege nibbles (8 bytes)


def derived_mac(*identity: object) -> bytes:
    """A locally administered unicast MAC from the BMC's identity: the same BMC always gets the same one,
    two BMCs of a rack differ (IEEE 802: bit 1 of the first octet set = local, bit 0 clear = unicast)."""
    digest = hashlib.sha256("/".join(map(str, identity)).encode()).digest()
    return bytes((0x02,)) + digest[:5]


@dataclass
class AlertDestination:
    """Parameters 18 and 19 for one set selector (destination 0 is the volatile one)."""

    type_byte: int = 0x00          # bit 7 alert acknowledged, bits 2:0 type (000b PET trap)
    ack_timeout_s: int = 0
    retries: int = 0               # bits 2:0
    address_format: int = 0x00     # bits 7:4 = 0h: IPv4 + MAC
    gateway: int = 0               # 0 default gateway, 1 backup gateway
    ip: bytes = bytes(4)
    mac: bytes = bytes(6)


@dataclass
class LanAddressing:
    """Parameters 3-21: the LAN channel's addresses, headers, ARP, community string, alerting, VLAN.

    Defaults: 127.0.0.1/8 static, as ``ipmi_sim``'s shipped lan.conf listens on localhost; the IPv4
    header defaults are the spec's (TTL 40h, don't fragment, TOS 10h "minimize delay"); SNMP
    community "public" (the spec's default); no gateway, VLAN off.
    """

    ip_address: bytes = bytes((127, 0, 0, 1))
    ip_source: int = IP_SOURCE_STATIC
    mac_address: bytes = bytes(6)                  # the Bmc sets one derived from its identity
    subnet_mask: bytes = bytes((255, 0, 0, 0))
    ip_header: bytes = bytes((0x40, 0x40, 0x10))   # TTL, flags (bits 7:5), precedence 7:5 / TOS 4:1
    primary_rmcp_port: int = 623
    arp_control: int = ARP_RESPONSES
    gratuitous_arp_interval: int = 4               # 500 ms units (2 s)
    default_gateway_ip: bytes = bytes(4)
    default_gateway_mac: bytes = bytes(6)
    backup_gateway_ip: bytes = bytes(4)
    backup_gateway_mac: bytes = bytes(6)
    community: bytes = b"public".ljust(COMMUNITY_LEN, b"\x00")
    destinations: list[AlertDestination] = field(
        default_factory=lambda: [AlertDestination() for _ in range(DESTINATIONS + 1)])
    vlan_id: int = 0                               # 12 bits
    vlan_enabled: bool = False
    vlan_priority: int = 0                         # bits 2:0
