"""Completion codes (IPMI 2.0 Table 5-2), named as the spec names them."""

from enum import IntEnum


class CompletionCode(IntEnum):
    SUCCESS = 0x00
    # 0x80-0xBE: command-specific codes
    NODE_BUSY = 0xC0
    INVALID_COMMAND = 0xC1
    INVALID_COMMAND_FOR_LUN = 0xC2
    TIMEOUT = 0xC3
    OUT_OF_SPACE = 0xC4
    RESERVATION_CANCELED = 0xC5
    REQUEST_DATA_TRUNCATED = 0xC6
    REQUEST_DATA_LENGTH_INVALID = 0xC7
    REQUEST_DATA_FIELD_LENGTH_EXCEEDED = 0xC8
    PARAMETER_OUT_OF_RANGE = 0xC9
    CANNOT_RETURN_REQUESTED_BYTES = 0xCA
    REQUESTED_DATA_NOT_PRESENT = 0xCB
    INVALID_DATA_FIELD = 0xCC
    COMMAND_ILLEGAL_FOR_SENSOR = 0xCD
    RESPONSE_NOT_PROVIDED = 0xCE
    DUPLICATED_REQUEST = 0xCF
    SDR_REPOSITORY_IN_UPDATE_MODE = 0xD0
    FIRMWARE_UPDATE_MODE = 0xD1
    BMC_INITIALIZATION_IN_PROGRESS = 0xD2
    DESTINATION_UNAVAILABLE = 0xD3
    INSUFFICIENT_PRIVILEGE = 0xD4
    NOT_SUPPORTED_IN_PRESENT_STATE = 0xD5
    SUB_FUNCTION_DISABLED = 0xD6
    UNSPECIFIED_ERROR = 0xFF


def cc_name(cc: int) -> str:
    try:
        return CompletionCode(cc).name
    except ValueError:
        return "COMMAND_SPECIFIC" if 0x80 <= cc <= 0xBE else f"0x{cc:02X}"


class IpmiError(Exception):
    """A command failed with completion code ``cc``.

    Handlers and host-control objects raise it; the dispatcher turns it into
    the response ``NetFn|1, Cmd, cc`` followed by ``data`` (usually empty: a
    few commands keep bytes they had already produced, as the spec allows).
    """

    def __init__(self, cc: int, message: str = "", data: bytes = b""):
        if not 0x01 <= cc <= 0xFF:
            raise ValueError(f"cc 0x{cc:02X} is not an error completion code (0x01-0xFF)")
        self.cc = cc
        self.data = bytes(data)
        super().__init__(f"{cc_name(cc)} (0x{cc:02X})" + (f": {message}" if message else ""))


# Command-specific completion codes (0x80-0xBE), named after the command tables that define them.
CC_WATCHDOG_UNINITIALIZED = 0x80  # Reset Watchdog Timer: attempt to start un-initialized watchdog
CC_MESSAGE_QUEUE_EMPTY = 0x80     # Get Message: data not available (queue empty)
CC_EVENT_BUFFER_EMPTY = 0x80      # Read Event Message Buffer: data not available (buffer empty)
