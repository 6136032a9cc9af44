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
    """The parameters the session layer depends on; the rest of section 23.2 lives beside them."""

    auth_support: int = SUPPORTED_AUTH_TYPES
    auth_enables: dict[int, int] = field(default_factory=lambda: _all_privileges(SUPPORTED_AUTH_TYPES))
    cipher_suites: tuple[int, ...] = CIPHER_SUITES
    # Parameter 24: the highest privilege each cipher suite may reach, by suite id.
    cipher_suite_privileges: dict[int, int] = field(
        default_factory=lambda: {cs: Privilege.ADMINISTRATOR for cs in CIPHER_SUITES})
    bad_password: BadPasswordPolicy = field(default_factory=BadPasswordPolicy)
