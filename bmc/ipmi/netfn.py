"""Network function codes (IPMI 2.0 Table 5-1).  Requests are even, responses odd."""

from enum import IntEnum


class NetFn(IntEnum):
    CHASSIS = 0x00
    BRIDGE = 0x02
    SENSOR_EVENT = 0x04
    APP = 0x06
    FIRMWARE = 0x08
    STORAGE = 0x0A
    TRANSPORT = 0x0C
    GROUP_EXTENSION = 0x2C
    OEM_GROUP = 0x2E


def response_netfn(netfn: int) -> int:
    """The response NetFn of a request NetFn (request + 1)."""
    return netfn | 0x01


def netfn_lun(netfn: int, lun: int = 0) -> int:
    """The NetFn/LUN byte: NetFn in bits 7:2, LUN in bits 1:0."""
    return ((netfn & 0x3F) << 2) | (lun & 0x03)


def split_netfn_lun(byte: int) -> tuple[int, int]:
    return byte >> 2, byte & 0x03


def netfn_name(netfn: int) -> str:
    base = netfn & ~1
    try:
        name = NetFn(base).name
    except ValueError:
        name = f"0x{base:02X}"
    return name + ("-rsp" if netfn & 1 else "")
