"""Payload commands (NetFn App, IPMI 2.0 sections 24.1-24.9): activate SOL over an RMCP+ session, and who may.

The BMC carries one payload type besides IPMI messages: SOL (01h), one
instance (``bmc.sol``).  Activate Payload checks, in order: payload type
and instance fields, that the request came in a session, SOL enable
(parameter 1), the SOL privilege level (parameter 2) and the user's
payload access, an instance already active, the auxiliary data, then
encryption and authentication against what the session has and what
parameter 2 forces.
"""

from __future__ import annotations

from ..ipmi.cc import CompletionCode, IpmiError
from ..ipmi.cmd import App
from ..ipmi.msg import Channel
from ..ipmi.netfn import NetFn
from ..privilege import Privilege
from ..sol.engine import INSTANCES, SERIAL_PORT_NUMBER, SOL_ACCESS
from ..sol.packet import PAYLOAD_TYPE_SOL
from .spec import command

APP = NetFn.APP
PAYLOAD_TYPE_IPMI = 0x00
MAX_INSTANCE = 15

# Activate Payload completion codes (section 24.1).
CC_PAYLOAD_ALREADY_ACTIVE = 0x80
CC_PAYLOAD_TYPE_DISABLED = 0x81
CC_ACTIVATION_LIMIT_REACHED = 0x82
CC_CANNOT_ACTIVATE_WITH_ENCRYPTION = 0x83
CC_CANNOT_ACTIVATE_WITHOUT_ENCRYPTION = 0x84
# Deactivate Payload (section 24.2).
CC_PAYLOAD_ALREADY_DEACTIVATED = 0x80
# Get Channel Payload Version (section 24.9).
CC_PAYLOAD_TYPE_NOT_AVAILABLE = 0x80

# Activate Payload auxiliary data byte 1 for SOL (Table 24-2).
AUX_ENCRYPTION = 0x80
AUX_AUTHENTICATION = 0x40
AUX_RESERVED = 0x31             # bits 5:4 and 0
AUX_SERIAL_ALERT_MASK = 0x0C    # 00b fail, 01b deferred, 10b succeed while SOL is active; 11b reserved
AUX_STARTUP_HANDSHAKE = 0x02    # BMC deasserts CTS and DCD/DSR until the console's first packet

# Get Channel Payload Support (section 24.8): standard payloads 0 (IPMI) and 1 (SOL); session setup 10h-15h.
STANDARD_PAYLOADS = 0x03
SESSION_SETUP_PAYLOADS = 0x3F
PAYLOAD_VERSION = 0x10          # format 1.0 for every payload this BMC carries
SESSION_SETUP_TYPES = range(0x10, 0x16)


def invalid(what: str) -> IpmiError:
    return IpmiError(CompletionCode.INVALID_DATA_FIELD, what)


def _sol_type(byte: int) -> None:
    if byte & 0xC0:
        raise invalid(f"payload type byte reserved bits 7:6 (0x{byte:02X})")
    if byte != PAYLOAD_TYPE_SOL:
        raise invalid(f"payload type 0x{byte:02X} has no instances on this BMC (only SOL, 01h)")


def _instance(byte: int) -> int:
    if byte & 0xF0:
        raise invalid(f"payload instance byte reserved bits 7:4 (0x{byte:02X})")
    if byte == 0:
        raise invalid("payload instance 0 (1-based)")
    return byte


def _lan_channel(call, byte: int) -> int:
    """A channel byte (bits 3:0, 0Eh = this one) naming a channel that carries payloads: a LAN channel."""
    if byte & 0xF0:
        raise invalid(f"channel byte reserved bits 7:4 (0x{byte:02X})")
    channel = call.channel if byte & 0x0F == Channel.CURRENT else byte & 0x0F
    if channel not in call.bmc.sol.lan_channels():
        raise invalid(f"channel 0x{channel:X} carries no payloads (not a LAN channel)")
    return channel


@command(APP, App.ACTIVATE_PAYLOAD, privilege=Privilege.USER, req_len=6)
def activate_payload(call):
    ptype, inst, aux, *reserved = call.data
    _sol_type(ptype)
    instance = _instance(inst)
    sol = call.bmc.sol
    if instance > INSTANCES:
        raise IpmiError(CC_ACTIVATION_LIMIT_REACHED, f"SOL has {INSTANCES} instance(s); asked for {instance}")
    session = call.session
    if session is None:
        raise IpmiError(CompletionCode.NOT_SUPPORTED_IN_PRESENT_STATE, "Activate Payload needs an RMCP+ session")
    if not session.rmcp_plus:
        raise IpmiError(CompletionCode.NOT_SUPPORTED_IN_PRESENT_STATE, "SOL needs an IPMI v2.0 (RMCP+) session")
    config = sol.config
    if not config.enabled:
        raise IpmiError(CC_PAYLOAD_TYPE_DISABLED, "SOL is disabled (SOL parameter 1)")
    if call.privilege < config.privilege:
        raise IpmiError(CompletionCode.INSUFFICIENT_PRIVILEGE,
                        f"session privilege {call.privilege} below the SOL privilege level {config.privilege}")
    if not sol.payload_access(call.channel, session.user_id)[0] & SOL_ACCESS:
        raise IpmiError(CompletionCode.INSUFFICIENT_PRIVILEGE, f"user {session.user_id} has no SOL payload access")
    if sol.active:
        raise IpmiError(CC_PAYLOAD_ALREADY_ACTIVE, f"SOL instance 1 is active in session 0x{sol.session.id:08X}")
    if aux & AUX_RESERVED or any(reserved):
        raise invalid(f"auxiliary data reserved bits ({call.data[2:].hex(' ')})")
    if aux & AUX_SERIAL_ALERT_MASK == AUX_SERIAL_ALERT_MASK:
        raise invalid("shared serial alert behavior 11b")
    encrypt = bool(aux & AUX_ENCRYPTION) or config.force_encryption
    authenticate = bool(aux & AUX_AUTHENTICATION) or config.force_authentication
    if encrypt and not session.encrypted:
        if aux & AUX_ENCRYPTION:
            raise IpmiError(CC_CANNOT_ACTIVATE_WITH_ENCRYPTION, "the session's cipher suite has no confidentiality")
        raise IpmiError(CC_CANNOT_ACTIVATE_WITHOUT_ENCRYPTION, "SOL parameter 2 forces encryption")
    if authenticate and not session.authenticated:
        # The spec has no code of its own for authentication: the request (or parameter 2) asks what cannot be.
        raise invalid("SOL authentication asked for or forced, but the session's cipher suite has no integrity")
    sol.activate(session, call.t, encrypted=encrypt, authenticated=authenticate,
                 handshake=bool(aux & AUX_STARTUP_HANDSHAKE))
    return (bytes(4) + sol.inbound_payload_size.to_bytes(2, "little") + sol.outbound_payload_size.to_bytes(2, "little")
            + config.port.to_bytes(2, "little") + b"\xFF\xFF")   # no VLAN


@command(APP, App.DEACTIVATE_PAYLOAD, privilege=Privilege.USER, req_len=6)
def deactivate_payload(call):
    ptype, inst, *aux = call.data
    _sol_type(ptype)
    instance = _instance(inst)
    if any(aux):
        raise invalid(f"auxiliary data reserved ({bytes(aux).hex(' ')})")
    sol = call.bmc.sol
    if instance > INSTANCES or not sol.active:
        raise IpmiError(CC_PAYLOAD_ALREADY_DEACTIVATED, f"SOL instance {instance} is not active")
    if call.privilege < sol.config.privilege:
        raise IpmiError(CompletionCode.INSUFFICIENT_PRIVILEGE,
                        f"privilege {call.privilege} below the SOL privilege level {sol.config.privilege}")
    # The console hears "SOL deactivating" when someone else takes SOL away (ipmitool sol deactivate from another
    # shell); its own Deactivate Payload (ipmitool's ~.) has its answer.
    own = call.session is not None and call.session.id == sol.session.id
    sol.deactivate(call.t, "Deactivate Payload", notify=not own)
    return b""


@command(APP, App.GET_PAYLOAD_ACTIVATION_STATUS, privilege=Privilege.USER, req_len=1)
def get_payload_activation_status(call):
    _sol_type(call.data[0])
    active = int(call.bmc.sol.active)   # bit 0 = instance 1
    return bytes((INSTANCES, active, 0x00))


@command(APP, App.GET_PAYLOAD_INSTANCE_INFO, privilege=Privilege.USER, req_len=2)
def get_payload_instance_info(call):
    _sol_type(call.data[0])
    instance = _instance(call.data[1])
    if instance > INSTANCES:
        raise invalid(f"SOL instance {instance} (this BMC has {INSTANCES})")
    sol = call.bmc.sol
    session_id = sol.session.id if sol.active else 0
    return session_id.to_bytes(4, "little") + bytes((SERIAL_PORT_NUMBER,)) + bytes(7)


def _user_id(call, byte: int) -> int:
    uid = byte & 0x3F
    if uid == 0:
        raise invalid("user ID 0 is reserved")
    if call.bmc.users.get(uid) is None:
        raise IpmiError(CompletionCode.PARAMETER_OUT_OF_RANGE, f"user ID {uid} (1-{call.bmc.users.max_users})")
    return uid


@command(APP, App.SET_USER_PAYLOAD_ACCESS, privilege=Privilege.ADMINISTRATOR, req_len=6)
def set_user_payload_access(call):
    channel_byte, user_byte, std1, std2, oem1, oem2 = call.data
    channel = _lan_channel(call, channel_byte)
    operation = user_byte >> 6
    if operation > 1:
        raise invalid(f"payload access operation {operation} (0 enable, 1 disable)")
    uid = _user_id(call, user_byte)
    if std1 & 0x01:
        raise invalid(f"standard payload enables 1 reserved bit 0 (0x{std1:02X})")
    if std1 & ~SOL_ACCESS or std2 or oem1 or oem2:
        raise invalid(f"payloads this BMC does not carry ({call.data[2:].hex(' ')}; only SOL, bit 1)")
    call.bmc.sol.set_payload_access(channel, uid, operation == 0, bytes((std1, std2, oem1, oem2)))
    return b""


@command(APP, App.GET_USER_PAYLOAD_ACCESS, privilege=Privilege.OPERATOR, req_len=2)
def get_user_payload_access(call):
    channel = _lan_channel(call, call.data[0])
    if call.data[1] & 0xC0:
        raise invalid(f"user ID byte reserved bits 7:6 (0x{call.data[1]:02X})")
    uid = _user_id(call, call.data[1])
    return call.bmc.sol.payload_access(channel, uid)


@command(APP, App.GET_CHANNEL_PAYLOAD_SUPPORT, privilege=Privilege.USER, req_len=1)
def get_channel_payload_support(call):
    _lan_channel(call, call.data[0])
    return bytes((STANDARD_PAYLOADS, 0x00, SESSION_SETUP_PAYLOADS, 0x00, 0x00, 0x00, 0x00, 0x00))


@command(APP, App.GET_CHANNEL_PAYLOAD_VERSION, privilege=Privilege.USER, req_len=2)
def get_channel_payload_version(call):
    _lan_channel(call, call.data[0])
    ptype = call.data[1]
    if ptype not in (PAYLOAD_TYPE_IPMI, PAYLOAD_TYPE_SOL) and ptype not in SESSION_SETUP_TYPES:
        raise IpmiError(CC_PAYLOAD_TYPE_NOT_AVAILABLE, f"payload type 0x{ptype:02X} is not carried on this channel")
    return bytes((PAYLOAD_VERSION,))
