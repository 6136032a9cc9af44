"""The OpenIPMI "VM" protocol (README.vm): the codec and the ``ipmi-bmc-extern`` client role."""

from .codec import (
    QEMU_CAPABILITIES,
    VM_CMD_CHAR,
    VM_ESCAPE_CHAR,
    VM_MAX_FRAME,
    VM_MAX_IPMI_MSG,
    VM_MIN_REQUEST,
    VM_MIN_RESPONSE,
    VM_MSG_CHAR,
    VM_PROTOCOL_VERSION,
    Decoder,
    DropReason,
    VmCap,
    VmCmd,
    VmControl,
    VmMessage,
    checksum,
    connect_burst,
    encode_control,
    encode_message,
    encode_request,
    encode_response,
    escape,
)

__all__ = [
    "QEMU_CAPABILITIES", "VM_CMD_CHAR", "VM_ESCAPE_CHAR", "VM_MAX_FRAME", "VM_MAX_IPMI_MSG", "VM_MIN_REQUEST",
    "VM_MIN_RESPONSE", "VM_MSG_CHAR", "VM_PROTOCOL_VERSION", "Decoder", "DropReason", "VmCap", "VmCmd",
    "VmControl", "VmMessage", "checksum", "connect_burst", "encode_control", "encode_message", "encode_request",
    "encode_response", "escape",
]
