"""The IPMI vocabulary both sides speak: netfns, commands, completion codes, messages, KCS codes."""

from .cc import CompletionCode, IpmiError, cc_name
from .cmd import COMMANDS, App, Bridge, Chassis, SensorEvent, Storage, Transport, command_enum, command_name
from .kcs import KcsControl, KcsError, KcsState
from .msg import (
    Channel,
    ChannelMedium,
    ChannelProtocol,
    ChassisControl,
    GlobalEnables,
    MessageFlags,
    PreTimeoutInterrupt,
    Request,
    Response,
    RestartCause,
    TimeoutAction,
    TimerUse,
    decode,
    decode_request,
    decode_response,
    encode,
    from_hex,
    hexdump,
)
from .netfn import NetFn, netfn_lun, netfn_name, response_netfn, split_netfn_lun

__all__ = [
    "App", "Bridge", "COMMANDS", "Channel", "ChannelMedium", "ChannelProtocol", "Chassis", "ChassisControl",
    "CompletionCode", "GlobalEnables", "IpmiError", "KcsControl", "KcsError", "KcsState", "MessageFlags", "NetFn",
    "PreTimeoutInterrupt", "Request", "Response", "RestartCause", "SensorEvent", "Storage", "TimeoutAction",
    "TimerUse", "Transport", "cc_name", "command_enum", "command_name", "decode", "decode_request",
    "decode_response", "encode", "from_hex", "hexdump", "netfn_lun", "netfn_name", "response_netfn",
    "split_netfn_lun",
]
