"""KCS interface vocabulary (IPMI 2.0 section 9): ports, control codes, status, errors.

Declared once: the register block (``soc.kcs``), the BMC-side engine and
the host state machine all take their bits from here.
"""

from enum import IntEnum

# Default SMS KCS I/O ports (IPMI 2.0 section 9.1).
KCS_DEFAULT_DATA_PORT = 0xCA2
KCS_DEFAULT_CMD_PORT = 0xCA3

# Register offsets from the data port.
KCS_DATA_OFFSET = 0   # read: Data_Out, write: Data_In
KCS_STATUS_OFFSET = 1  # read: Status, write: Command


class KcsControl(IntEnum):
    """Control codes (Table 9-3).  READ is written to the *data* register."""

    GET_STATUS_ABORT = 0x60
    WRITE_START = 0x61
    WRITE_END = 0x62
    READ = 0x68


class KcsState(IntEnum):
    """Status register S1:S0 (Table 9-2)."""

    IDLE = 0
    READ = 1
    WRITE = 2
    ERROR = 3


class KcsError(IntEnum):
    """KCS interface status codes returned by the abort sequence (Table 9-5)."""

    NO_ERROR = 0x00
    ABORTED_BY_COMMAND = 0x01
    ILLEGAL_CONTROL_CODE = 0x02
    LENGTH_ERROR = 0x06
    UNSPECIFIED_ERROR = 0xFF


# Status register bits (Table 9-1).
STATUS_OBF = 0x01
STATUS_IBF = 0x02
STATUS_SMS_ATN = 0x04
STATUS_C_D = 0x08
STATUS_OEM1 = 0x10
STATUS_OEM2 = 0x20
STATUS_STATE_SHIFT = 6
STATUS_STATE_MASK = 0xC0


def status_state(status: int) -> int:
    return (status & STATUS_STATE_MASK) >> STATUS_STATE_SHIFT


def render_status(status: int) -> str:
    return (
        f"STATE={KcsState(status_state(status)).name} C_D={status >> 3 & 1} "
        f"SMS_ATN={status >> 2 & 1} IBF={status >> 1 & 1} OBF={status & 1}"
    )
