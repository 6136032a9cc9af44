"""Privilege levels (IPMI 2.0 section 6.8; numbering as in Table 22-22 and the session commands)."""

from enum import IntEnum


class Privilege(IntEnum):
    """A request carries the privilege of its session; the system interface acts as ADMINISTRATOR."""

    CALLBACK = 1
    USER = 2
    OPERATOR = 3
    ADMINISTRATOR = 4
    OEM = 5
