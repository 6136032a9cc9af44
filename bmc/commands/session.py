"""Session commands of the LAN channel (IPMI 2.0 sections 22.15-22.20): challenge, activate, privilege, close, info,
cipher suites.

The session layer (``bmc.lan``) hands each request in a session (or, for
Activate Session, in the temporary session of a Get Session Challenge) to
the dispatcher with ``call.session``; these handlers read and change the
session table of the BMC's LAN channel (``bmc.lan``, set by ``LanChannel``).
A BMC without a LAN channel does not have these commands (0xC1).
"""

from __future__ import annotations

from ..ipmi.cc import CompletionCode, IpmiError
from ..ipmi.cmd import App
from ..ipmi.msg import Channel
from ..ipmi.netfn import NetFn
from ..lan import cipher
from ..lan.session15 import AUTHTYPE_MD5, AUTHTYPE_NONE, AUTHTYPE_PASSWORD, auth_bit
from ..privilege import Privilege
from .spec import command

APP = NetFn.APP

# Get Session Challenge (22.16)
CC_INVALID_USER_NAME = 0x81
CC_NULL_USER_DISABLED = 0x82
# Activate Session (22.17)
CC_NO_SESSION_SLOT = 0x81
CC_NO_SLOT_FOR_USER = 0x82
CC_NO_SLOT_FOR_PRIVILEGE = 0x83
CC_SEQ_OUT_OF_RANGE = 0x84
CC_INVALID_SESSION_ID = 0x85
CC_PRIVILEGE_EXCEEDS_LIMIT = 0x86
# Set Session Privilege Level (22.18)
CC_LEVEL_NOT_AVAILABLE = 0x80
CC_LEVEL_EXCEEDS_LIMIT = 0x81
# Close Session (22.19)
CC_CLOSE_INVALID_SESSION_ID = 0x87
CC_CLOSE_INVALID_HANDLE = 0x88

V15_AUTH_TYPES = (AUTHTYPE_NONE, AUTHTYPE_MD5, AUTHTYPE_PASSWORD)


def invalid(what: str) -> IpmiError:
    return IpmiError(CompletionCode.INVALID_DATA_FIELD, what)


def _lan(call):
    lan = getattr(call.bmc, "lan", None)
    if lan is None:
        raise IpmiError(CompletionCode.INVALID_COMMAND, "this BMC has no LAN channel")
    return lan


def _privilege(byte: int, what: str) -> int:
    if byte & 0xF0 or not Privilege.CALLBACK <= byte <= Privilege.OEM:
        raise invalid(f"{what} 0x{byte:02X}")
    return byte


@command(APP, App.GET_SESSION_CHALLENGE, privilege=Privilege.CALLBACK, req_len=17)
def get_session_challenge(call):
    lan = _lan(call)
    auth_type = call.data[0]
    if auth_type not in V15_AUTH_TYPES or not call.bmc.lan_config.auth_support & auth_bit(auth_type):
        raise invalid(f"authentication type 0x{auth_type:02X} not supported")
    name = call.data[1:17]
    found = lan.sessions.find_user(name, call.t)
    if found is None:
        if name == bytes(16):
            raise IpmiError(CC_NULL_USER_DISABLED, "null user name not enabled")
        raise IpmiError(CC_INVALID_USER_NAME, f"no enabled user {name.rstrip(bytes(1))!r}")
    uid, user = found
    s = lan.sessions.add_challenge(uid, user.name, auth_type, call.session.peer if call.session else None, call.t)
    return s.bmc_id.to_bytes(4, "little") + s.challenge


@command(APP, App.ACTIVATE_SESSION, privilege=Privilege.CALLBACK, req_len=22)
def activate_session(call):
    lan = _lan(call)
    table = lan.sessions
    pending = call.session
    if pending is None or table.challenges.get(pending.bmc_id) is not pending:
        raise IpmiError(CC_INVALID_SESSION_ID, "Activate Session outside a temporary session")
    auth_type, max_byte = call.data[0], call.data[1]
    if auth_type != pending.auth_type:
        raise invalid(f"authentication type 0x{auth_type:02X}, challenge was for 0x{pending.auth_type:02X}")
    max_privilege = _privilege(max_byte, "maximum privilege level")
    if call.data[2:18] != pending.challenge:
        raise invalid("challenge string does not match Get Session Challenge's")
    outbound = int.from_bytes(call.data[18:22], "little")
    if outbound == 0:
        raise IpmiError(CC_SEQ_OUT_OF_RANGE, "initial outbound sequence number 0")
    if not call.bmc.lan_config.auth_enables.get(max_privilege, 0) & auth_bit(auth_type):
        raise invalid(f"authentication type 0x{auth_type:02X} not enabled at privilege {max_privilege}")
    if max_privilege > table.privilege_limit(pending.uid):
        raise IpmiError(CC_PRIVILEGE_EXCEEDS_LIMIT, f"privilege {max_privilege} above user {pending.uid}'s limit")
    user = call.bmc.users.get(pending.uid)
    if user.session_limit and table.user_sessions(pending.uid) >= user.session_limit:
        raise IpmiError(CC_NO_SLOT_FOR_USER, f"user {pending.uid} has {user.session_limit} sessions")
    s = table.add(0x15, pending.peer, call.t)
    if s is None:
        raise IpmiError(CC_NO_SESSION_SLOT, f"all {table.max_sessions} sessions in use")
    del table.challenges[pending.bmc_id]
    table.lockout.good_login(pending.uid)
    s.uid, s.name, s.auth_type = pending.uid, pending.name, auth_type
    s.max_privilege = max_privilege
    s.privilege = min(Privilege.USER, max_privilege)   # 22.17: a session starts at User level
    s.outbound_seq = outbound - 1          # the Activate Session response is the first to carry it
    pending.extra["activated"] = s
    inbound = table.rng.getrandbits(32) or 1
    lan.start_window(s, inbound - 1)
    s.active = True
    lan.sessions_changed()
    return (bytes((auth_type,)) + s.bmc_id.to_bytes(4, "little") + inbound.to_bytes(4, "little")
            + bytes((max_privilege,)))


@command(APP, App.SET_SESSION_PRIVILEGE_LEVEL, privilege=Privilege.CALLBACK, req_len=1)
def set_session_privilege_level(call):
    s = call.session
    requested = call.data[0]
    if requested & 0xF0:
        raise invalid(f"privilege byte reserved bits 7:4 (0x{requested:02X})")
    if s is None or not s.active:
        raise IpmiError(CompletionCode.NOT_SUPPORTED_IN_PRESENT_STATE, "no session on this channel")
    if requested == 0:                       # 0: only report the present level
        return bytes((s.privilege,))
    if requested > Privilege.OEM:
        raise invalid(f"privilege level {requested}")
    limit = s.table.privilege_limit(s.uid, s.suite.id if s.suite is not None else None)
    if requested > limit:
        raise IpmiError(CC_LEVEL_EXCEEDS_LIMIT, f"privilege {requested} above the limit {limit}")
    if requested > s.max_privilege:
        raise IpmiError(CC_LEVEL_NOT_AVAILABLE, f"privilege {requested} above the session's maximum")
    if s.version == 0x15 and not call.bmc.lan_config.auth_enables.get(requested, 0) & auth_bit(s.auth_type):
        # A v1.5 session's auth type must be enabled at the level it runs at (LAN parameter 2).
        raise IpmiError(CC_LEVEL_NOT_AVAILABLE, f"auth type 0x{s.auth_type:02X} not enabled at privilege {requested}")
    s.privilege = requested
    return bytes((requested,))


@command(APP, App.CLOSE_SESSION, privilege=Privilege.CALLBACK, min_len=4, max_len=5)
def close_session(call):
    lan = _lan(call)
    sid = int.from_bytes(call.data[0:4], "little")
    if sid == 0:
        if len(call.data) != 5:
            raise IpmiError(CompletionCode.REQUEST_DATA_LENGTH_INVALID, "session ID 0 needs a session handle")
        target = lan.sessions.by_handle(call.data[4])
        if target is None:
            raise IpmiError(CC_CLOSE_INVALID_HANDLE, f"no session with handle 0x{call.data[4]:02X}")
    else:
        target = lan.sessions.get(sid)
        if target is None or not target.active:
            raise IpmiError(CC_CLOSE_INVALID_SESSION_ID, f"no session 0x{sid:08X}")
    if target is not call.session and call.privilege < Privilege.ADMINISTRATOR:
        raise IpmiError(CompletionCode.INSUFFICIENT_PRIVILEGE, "closing another session needs Administrator")
    lan.close(target)
    return b""


# Get Session Info byte 6 bits 7:4: the session's protocol.
SESSION_AUX_V15 = 0x0
SESSION_AUX_V20 = 0x1


@command(APP, App.GET_SESSION_INFO, privilege=Privilege.USER, min_len=1, max_len=5)
def get_session_info(call):
    lan = _lan(call)
    table = lan.sessions
    table.expire(call.t)
    index, rest = call.data[0], call.data[1:]
    active = table.active()
    if index == 0xFE:
        if len(rest) != 1:
            raise IpmiError(CompletionCode.REQUEST_DATA_LENGTH_INVALID, "index FEh takes a session handle")
        found = table.by_handle(rest[0])
    elif index == 0xFF:
        if len(rest) != 4:
            raise IpmiError(CompletionCode.REQUEST_DATA_LENGTH_INVALID, "index FFh takes a session ID")
        found = table.get(int.from_bytes(rest, "little"))
        found = found if found is not None and found.active else None
    elif rest:
        raise IpmiError(CompletionCode.REQUEST_DATA_LENGTH_INVALID, f"index 0x{index:02X} takes no more bytes")
    elif index == 0:
        found = call.session if call.session is not None and call.session.active else None
    elif index <= table.max_sessions:
        found = active[index - 1] if index <= len(active) else None
    else:
        raise invalid(f"session index 0x{index:02X}")
    head = bytes((found.handle if found is not None else 0, table.max_sessions & 0x3F, len(active) & 0x3F))
    if found is None:
        if index == 0:
            return head                     # the current channel has no session here: handle 00h
        raise IpmiError(CompletionCode.REQUESTED_DATA_NOT_PRESENT, "no active session there")  # ends a listing
    aux = SESSION_AUX_V20 if found.version == 0x20 else SESSION_AUX_V15
    ip, port = lan.peer_address(found.peer)
    return head + bytes((found.uid & 0x3F, found.privilege, aux << 4 | lan.channel)) + ip + bytes(6) + \
        port.to_bytes(2, "little")


# Get Channel Cipher Suites record tags (22.15, Table 22-18).
RECORD_STANDARD = 0xC0
TAG_INTEGRITY = 0x40
TAG_CONF = 0x80


@command(APP, App.GET_CHANNEL_CIPHER_SUITES, privilege=Privilege.CALLBACK, req_len=3)
def get_channel_cipher_suites(call):
    channel_byte, payload_type, index = call.data
    if channel_byte & 0xF0:
        raise invalid(f"channel byte reserved bits 7:4 (0x{channel_byte:02X})")
    if payload_type & 0xC0:
        raise invalid(f"payload type byte reserved bits 7:6 (0x{payload_type:02X})")
    if index & 0x40:
        raise invalid(f"list index reserved bit 6 (0x{index:02X})")
    channel = channel_byte & 0x0F
    if channel == Channel.CURRENT:
        channel = call.channel
    info = call.bmc.channel_info(channel)
    if info is None:
        raise invalid(f"no channel 0x{channel:X}")
    if not call.bmc.channel_access.has_sessions(channel):
        raise invalid(f"channel 0x{channel:X} is session-less")
    if payload_type & 0x3F not in (0x00, 0x01):     # IPMI and SOL are the payloads this BMC carries
        raise invalid(f"payload type 0x{payload_type & 0x3F:02X}")
    suites = [cipher.SUITES[i] for i in call.bmc.lan_config.cipher_suites if i in cipher.SUITES]
    if index & 0x80:     # list by cipher suite: C0h, id, auth, integrity, confidentiality
        records = b"".join(bytes((RECORD_STANDARD, s.id, s.auth, TAG_INTEGRITY | s.integrity, TAG_CONF | s.conf))
                           for s in suites)
    else:                # the supported algorithms, each once
        algorithms = sorted({s.auth for s in suites}) + sorted({TAG_INTEGRITY | s.integrity for s in suites}) \
            + sorted({TAG_CONF | s.conf for s in suites})
        records = bytes(algorithms)
    chunk = index & 0x3F
    return bytes((channel,)) + records[16 * chunk:16 * chunk + 16]
