"""IPMI messages as the system interfaces carry them, and the field values inside them.

KCS, BT and SSIF move the same message body (IPMI 2.0 sections 9.3, 11.3,
12.2); only the framing around it differs::

    request : NetFn/LUN, Cmd, Data...
    response: NetFn/LUN, Cmd, Completion Code, Data...

NetFn sits in bits 7:2 of the first byte and the LUN in bits 1:0.  A
response carries the request's NetFn + 1 (odd).  ``Request``/``Response``
hold the decoded fields; ``encode``/``decode_*`` convert, and reject bad
input with a ``ValueError`` that names the field and the value.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum, IntFlag

_HEX = [f"{b:02X}" for b in range(256)]


def hexdump(data: bytes | bytearray | memoryview) -> str:
    """Bytes as traces and tests write them: ``b"\\x1c\\x01"`` -> ``"1C 01"``."""
    return " ".join([_HEX[b] for b in data])


def from_hex(text: str) -> bytes:
    """The inverse of ``hexdump``: ``"18 01"`` -> ``b"\\x18\\x01"`` (spaces optional)."""
    digits = "".join(text.split())
    try:
        return bytes.fromhex(digits)
    except ValueError:
        raise ValueError(f"hex bytes {text!r} are not pairs of hex digits") from None


def _check_field(name: str, value, lo: int, hi: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or not lo <= value <= hi:
        is_int = isinstance(value, int) and not isinstance(value, bool)
        shown = f"0x{value:02X}" if is_int and value >= 0 else repr(value)
        raise ValueError(f"{name} {shown} out of range 0x{lo:02X}-0x{hi:02X}")


def _as_bytes(obj, data) -> None:
    if not isinstance(data, bytes):
        try:
            data = bytes(data)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"data {data!r} is not a byte string ({exc})") from None
        object.__setattr__(obj, "data", data)


@dataclass(frozen=True, slots=True)
class Request:
    """A request: ``netfn`` is the (even) request NetFn, ``data`` the bytes after Cmd."""

    netfn: int
    lun: int
    cmd: int
    data: bytes = b""

    def __post_init__(self):
        _check_field("netfn", self.netfn, 0x00, 0x3F)
        if self.netfn & 1:
            raise ValueError(f"netfn 0x{self.netfn:02X} is a response netfn; a request netfn is even")
        _check_field("lun", self.lun, 0, 3)
        _check_field("cmd", self.cmd, 0x00, 0xFF)
        _as_bytes(self, self.data)


@dataclass(frozen=True, slots=True)
class Response:
    """A response: ``netfn`` is the (odd) response NetFn as it travels on the wire."""

    netfn: int
    lun: int
    cmd: int
    cc: int
    data: bytes = b""

    def __post_init__(self):
        _check_field("netfn", self.netfn, 0x00, 0x3F)
        if not self.netfn & 1:
            raise ValueError(f"netfn 0x{self.netfn:02X} is a request netfn; a response netfn is odd")
        _check_field("lun", self.lun, 0, 3)
        _check_field("cmd", self.cmd, 0x00, 0xFF)
        _check_field("cc", self.cc, 0x00, 0xFF)
        _as_bytes(self, self.data)

    @classmethod
    def to(cls, request: Request, cc: int = 0, data: bytes = b"") -> Response:
        """The response that answers ``request``."""
        return cls(request.netfn | 1, request.lun, request.cmd, cc, data)


def encode(msg: Request | Response) -> bytes:
    """The system-interface bytes of a request or a response."""
    if isinstance(msg, Request):
        return bytes((msg.netfn << 2 | msg.lun, msg.cmd)) + msg.data
    if isinstance(msg, Response):
        return bytes((msg.netfn << 2 | msg.lun, msg.cmd, msg.cc)) + msg.data
    raise ValueError(f"message {msg!r} is neither a Request nor a Response")


def decode_request(raw: bytes) -> Request:
    """Parse ``NetFn/LUN, Cmd, Data...``."""
    if len(raw) < 2:
        raise ValueError(f"request length {len(raw)} too short: need NetFn/LUN and Cmd (2 bytes)")
    return Request(raw[0] >> 2, raw[0] & 3, raw[1], bytes(raw[2:]))


def decode_response(raw: bytes) -> Response:
    """Parse ``NetFn/LUN, Cmd, CC, Data...``."""
    if len(raw) < 3:
        raise ValueError(f"response length {len(raw)} too short: need NetFn/LUN, Cmd and CC (3 bytes)")
    return Response(raw[0] >> 2, raw[0] & 3, raw[1], raw[2], bytes(raw[3:]))


def decode(raw: bytes) -> Request | Response:
    """Parse either kind: the NetFn's parity says which (even = request)."""
    if not raw:
        raise ValueError("message length 0 too short: no NetFn/LUN byte")
    return decode_response(raw) if raw[0] & 0x04 else decode_request(raw)


# ---------------------------------------------------------------------------
# Field values inside message bodies.  Both sides use them: the BMC to build
# answers, the host drivers to read them.


class GlobalEnables(IntFlag):
    """Set/Get BMC Global Enables byte (IPMI 2.0 section 22.1)."""

    RECEIVE_MESSAGE_QUEUE_INTERRUPT = 0x01
    EVENT_MESSAGE_BUFFER_FULL_INTERRUPT = 0x02
    EVENT_MESSAGE_BUFFER = 0x04
    SYSTEM_EVENT_LOGGING = 0x08
    OEM0 = 0x20
    OEM1 = 0x40
    OEM2 = 0x80


class MessageFlags(IntFlag):
    """Get/Clear Message Flags byte (IPMI 2.0 sections 22.3, 22.4)."""

    RECEIVE_MESSAGE_AVAILABLE = 0x01
    EVENT_MESSAGE_BUFFER_FULL = 0x02
    WATCHDOG_PRE_TIMEOUT = 0x08
    OEM0 = 0x20
    OEM1 = 0x40
    OEM2 = 0x80


class Channel(IntEnum):
    """Channel numbers with a fixed meaning (IPMI 2.0 Table 6-1)."""

    PRIMARY_IPMB = 0x0
    CURRENT = 0xE
    SYSTEM_INTERFACE = 0xF


class ChannelMedium(IntEnum):
    """Channel medium type numbers (IPMI 2.0 Table 6-3)."""

    IPMB = 0x01
    ICMB_10 = 0x02
    ICMB_09 = 0x03
    LAN_802_3 = 0x04
    RS_232 = 0x05
    OTHER_LAN = 0x06
    PCI_SMBUS = 0x07
    SMBUS_10_11 = 0x08
    SMBUS_20 = 0x09
    USB_1X = 0x0A
    USB_2X = 0x0B
    SYSTEM_INTERFACE = 0x0C


class ChannelProtocol(IntEnum):
    """Channel protocol type numbers (IPMI 2.0 Table 6-2).  SSIF is "IPMI-SMBus"."""

    IPMB_10 = 0x01
    ICMB_10 = 0x02
    IPMI_SMBUS = 0x04
    KCS = 0x05
    SMIC = 0x06
    BT_10 = 0x07
    BT_15 = 0x08
    TMODE = 0x09


# The IPMI Forum's IANA enterprise number (7154 = 0x001BF2), sent LS byte first.
IPMI_FORUM_IANA = 0x001BF2


class TimerUse(IntEnum):
    """Watchdog timer use, bits 2:0 of Set/Get Watchdog Timer byte 1 (section 27.6)."""

    BIOS_FRB2 = 1
    BIOS_POST = 2
    OS_LOAD = 3
    SMS_OS = 4
    OEM = 5


class TimeoutAction(IntEnum):
    """Watchdog timeout action, bits 2:0 of byte 2 (section 27.6)."""

    NO_ACTION = 0
    HARD_RESET = 1
    POWER_DOWN = 2
    POWER_CYCLE = 3


class PreTimeoutInterrupt(IntEnum):
    """Watchdog pre-timeout interrupt, bits 6:4 of byte 2 (section 27.6)."""

    NONE = 0
    SMI = 1
    NMI = 2
    MESSAGING_INTERRUPT = 3


class ChassisControl(IntEnum):
    """Chassis Control data byte 1, bits 3:0 (section 28.3)."""

    POWER_DOWN = 0
    POWER_UP = 1
    POWER_CYCLE = 2
    HARD_RESET = 3
    PULSE_DIAGNOSTIC_INTERRUPT = 4
    SOFT_SHUTDOWN = 5


class RestartCause(IntEnum):
    """Get System Restart Cause, bits 3:0 (section 28.11)."""

    UNKNOWN = 0x0
    CHASSIS_CONTROL_COMMAND = 0x1
    RESET_VIA_PUSHBUTTON = 0x2
    POWER_UP_VIA_POWER_PUSHBUTTON = 0x3
    WATCHDOG_EXPIRATION = 0x4
    OEM = 0x5
    POWER_UP_ALWAYS_RESTORE = 0x6
    POWER_UP_RESTORE_PREVIOUS = 0x7
    RESET_VIA_PEF = 0x8
    POWER_CYCLE_VIA_PEF = 0x9
    SOFT_RESET = 0xA
    POWER_UP_VIA_RTC_WAKEUP = 0xB
