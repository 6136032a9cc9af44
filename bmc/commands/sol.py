"""Set/Get SOL Configuration Parameters (NetFn Transport 0Ch, cmd 21h/22h; IPMI 2.0 sections 26.2, 26.3)."""

from __future__ import annotations

from ..ipmi.cc import CompletionCode, IpmiError
from ..ipmi.cmd import Transport
from ..ipmi.netfn import NetFn
from ..privilege import Privilege
from ..sol.config import PARAMETER_REVISION, PAYLOAD_CHANNEL
from .payload import _lan_channel
from .spec import command

TRANSPORT = NetFn.TRANSPORT


@command(TRANSPORT, Transport.SET_SOL_CONFIGURATION_PARAMETERS, privilege=Privilege.ADMINISTRATOR, min_len=3)
def set_sol_configuration_parameters(call):
    _lan_channel(call, call.data[0])
    call.bmc.sol.config.set(call.data[1], call.data[2:])
    return b""


@command(TRANSPORT, Transport.GET_SOL_CONFIGURATION_PARAMETERS, privilege=Privilege.USER, req_len=4)
def get_sol_configuration_parameters(call):
    flags, selector, _set_selector, _block_selector = call.data
    if flags & 0x70:
        raise IpmiError(CompletionCode.INVALID_DATA_FIELD, f"byte 1 reserved bits 6:4 (0x{flags:02X})")
    channel = _lan_channel(call, flags & 0x0F)
    config = call.bmc.sol.config
    value = config.get(selector)          # 80h for a parameter this BMC lacks, revision-only or not
    if flags & 0x80:
        return bytes((PARAMETER_REVISION,))
    if selector == PAYLOAD_CHANNEL:
        value = bytes((channel,))         # SOL rides on the channel asked about
    return bytes((PARAMETER_REVISION,)) + value
