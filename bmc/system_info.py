"""System Info Parameters (IPMI 2.0 section 22.14a/b): strings the host tells the BMC about itself.

Parameters 1-4 (system firmware version, system name, primary operating
system name, operating system name) are strings sent in 16-byte blocks.
Set selector 0 carries the encoding (bits 3:0: 0 ASCII+Latin-1, 1 UTF-8,
2 UNICODE) and the string length, then the first 14 string bytes; each
further set selector carries 16 more.  The value is kept as that raw
parameter data (encoding, length, string, zero padding).  Parameter 0 is
set in progress, with rollback (``params``).  The operating system name is
volatile: it is cleared when the system resets or powers down.
"""

from __future__ import annotations

from .ipmi.cc import CompletionCode, IpmiError
from .params import CC_PARAMETER_NOT_SUPPORTED, ParameterStore, set_in_progress_code

PARAMETER_REVISION = 0x11
BLOCK = 16
BLOCKS = 16                       # set selectors 0-15: 254 string bytes
MAX_STRING = BLOCKS * BLOCK - 2

SET_IN_PROGRESS = 0
SYSTEM_FIRMWARE_VERSION = 1
SYSTEM_NAME = 2
PRIMARY_OS_NAME = 3
OS_NAME = 4
STRING_PARAMETERS = (SYSTEM_FIRMWARE_VERSION, SYSTEM_NAME, PRIMARY_OS_NAME, OS_NAME)
ENCODINGS = {0: "latin-1", 1: "utf-8", 2: "utf-16-le"}


def encode_string(text: str, encoding: int = 0) -> bytes:
    """The raw parameter data for ``text``: encoding, length, the bytes, zero padding to the blocks."""
    raw = text.encode(ENCODINGS[encoding])
    if len(raw) > MAX_STRING:
        raise ValueError(f"system info string {text!r} is {len(raw)} bytes; at most {MAX_STRING}")
    return (bytes((encoding, len(raw))) + raw).ljust(BLOCKS * BLOCK, b"\x00")


def decode_string(raw: bytes) -> str:
    encoding = ENCODINGS.get(raw[0] & 0x0F, "latin-1")
    return raw[2:2 + raw[1]].decode(encoding, errors="replace")


class SystemInfo:
    """The parameter table; ``text(param)`` and ``set_text(param, s)`` for worlds and tests."""

    def __init__(self):
        self.store = ParameterStore({p: encode_string("") for p in STRING_PARAMETERS})

    def text(self, selector: int) -> str:
        return decode_string(self.store.committed(selector))

    def set_text(self, selector: int, text: str, encoding: int = 0) -> None:
        self.store.values[selector] = encode_string(text, encoding)

    def set(self, selector: int, data: bytes) -> None:
        """Set System Info Parameters (data after the selector); nothing changes on error."""
        if selector == SET_IN_PROGRESS:
            self.store.set_in_progress(set_in_progress_code(data))
            return
        if not self.store.supported(selector):
            raise IpmiError(CC_PARAMETER_NOT_SUPPORTED, f"system info parameter {selector}")
        if len(data) != 1 + BLOCK:
            raise IpmiError(CompletionCode.REQUEST_DATA_LENGTH_INVALID,
                            f"system info parameter {selector} takes a set selector and 16 bytes, got {len(data)}")
        block = data[0]
        if block >= BLOCKS:
            raise IpmiError(CompletionCode.PARAMETER_OUT_OF_RANGE, f"set selector {block} (0-{BLOCKS - 1})")
        if block == 0:
            if data[1] & 0xF0 or data[1] & 0x0F not in ENCODINGS:
                raise IpmiError(CompletionCode.INVALID_DATA_FIELD, f"string encoding byte 0x{data[1]:02X}")
            if data[2] > MAX_STRING:
                raise IpmiError(CompletionCode.INVALID_DATA_FIELD, f"string length {data[2]} (at most {MAX_STRING})")
        raw = bytearray(self.store.read(selector))
        raw[block * BLOCK:(block + 1) * BLOCK] = data[1:]
        self.store.write(selector, bytes(raw))

    def get(self, revision_only: bool, selector: int, set_selector: int) -> bytes:
        """Get System Info Parameters response data after the completion code."""
        if revision_only:
            return bytes((PARAMETER_REVISION,))
        if selector == SET_IN_PROGRESS:
            return bytes((PARAMETER_REVISION, self.store.state))
        if not self.store.supported(selector):
            raise IpmiError(CC_PARAMETER_NOT_SUPPORTED, f"system info parameter {selector}")
        if set_selector >= BLOCKS:
            raise IpmiError(CompletionCode.PARAMETER_OUT_OF_RANGE, f"set selector {set_selector} (0-{BLOCKS - 1})")
        raw = self.store.read(selector)
        return bytes((PARAMETER_REVISION, set_selector)) + raw[set_selector * BLOCK:(set_selector + 1) * BLOCK]

    def host_reset(self) -> None:
        """System reset or power-down: the running OS's name goes, and so does a set in progress."""
        self.store.abandon()
        self.store.values[OS_NAME] = self.store.defaults[OS_NAME]

    def cold_reset(self) -> None:
        self.store.abandon()
        self.store.values[OS_NAME] = self.store.defaults[OS_NAME]
