"""What a system-interface state machine tells its caller (Linux ``ipmi_si_sm.h``)."""

from enum import Enum


class SmResult(Enum):
    CALL_WITHOUT_DELAY = "call-without-delay"  # call event() again at once
    CALL_WITH_DELAY = "call-with-delay"        # waiting on the hardware; poll again soon
    CALL_WITH_TICK_DELAY = "call-with-tick-delay"  # wait at least one scheduler tick
    TRANSACTION_COMPLETE = "transaction-complete"
    IDLE = "idle"
    ATTN = "attn"                              # idle, and the BMC raised attention
    HOSED = "hosed"                            # gave up; the current message is failed


# Linux IPMI_MAX_MSG_LENGTH: sized for BT, "a multiple of 16".
IPMI_MAX_MSG_LENGTH = 272
