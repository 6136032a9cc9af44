"""Transport (NetFn 0x0C) commands: Get/Set LAN Configuration Parameters (IPMI 2.0 sections 23.1, 23.2).

The parameters themselves (Table 23-4) live in ``bmc.lan_params``; these
handlers check the channel byte and the privilege the spec's command table
(Appendix G) asks: Set is Administrator, Get is Operator.
"""

from __future__ import annotations

from ..ipmi.cc import CompletionCode, IpmiError
from ..ipmi.cmd import Transport
from ..ipmi.msg import Channel
from ..ipmi.netfn import NetFn
from ..privilege import Privilege
from .spec import command

TRANSPORT = NetFn.TRANSPORT


def _lan_channel(call, byte: int, reserved: int) -> int:
    """The channel number of request byte 1 (bits 3:0; 0xE = this channel); it must be a LAN channel."""
    if byte & reserved:
        raise IpmiError(CompletionCode.INVALID_DATA_FIELD, f"channel byte reserved bits set (0x{byte:02X})")
    channel = byte & 0x0F
    if channel == Channel.CURRENT:
        channel = call.channel
    if channel != call.bmc.lan_channel:
        raise IpmiError(CompletionCode.INVALID_DATA_FIELD, f"channel 0x{channel:X} is not a LAN channel")
    return channel


@command(TRANSPORT, Transport.SET_LAN_CONFIGURATION_PARAMETERS, privilege=Privilege.ADMINISTRATOR, min_len=3)
def set_lan_configuration_parameters(call):
    _lan_channel(call, call.data[0], 0xF0)
    call.bmc.lan_params.set(call.data[1], call.data[2:])
    return b""


@command(TRANSPORT, Transport.GET_LAN_CONFIGURATION_PARAMETERS, privilege=Privilege.OPERATOR, req_len=4)
def get_lan_configuration_parameters(call):
    flags, selector, set_selector, block = call.data
    _lan_channel(call, flags, 0x70)          # bit 7: get parameter revision only
    return call.bmc.lan_params.get(bool(flags & 0x80), selector, set_selector, block)
