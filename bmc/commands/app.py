"""Application (NetFn 0x06) commands: identity, resets, watchdog, messaging, channels, users, system info.

IPMI 2.0 chapters 20 (device "global" commands), 22 (messaging support,
channels, users, system info parameters) and 27 (watchdog).  Each handler
gets a validated-length ``call`` and returns the response data after the
completion code; failures raise ``IpmiError`` and change nothing.
Privileges follow the spec's command table (Appendix G); "local only"
commands accept the system interface only.
"""

from __future__ import annotations

from ..access import DISABLED, ENABLED, NAME_LEN, PRIVILEGE_LIMITS
from ..bmc import SUPPORTED_GLOBAL_ENABLES
from ..ipmi.cc import CC_EVENT_BUFFER_EMPTY, CC_MESSAGE_QUEUE_EMPTY, CompletionCode, IpmiError
from ..ipmi.cmd import App
from ..ipmi.msg import Channel, PreTimeoutInterrupt, TimeoutAction, TimerUse
from ..ipmi.netfn import NetFn
from ..privilege import Privilege
from .spec import command

APP = NetFn.APP


def invalid(what: str) -> IpmiError:
    return IpmiError(CompletionCode.INVALID_DATA_FIELD, what)


# -- device "global" commands (chapter 20) -------------------------------------


@command(APP, App.GET_DEVICE_ID, privilege=Privilege.USER, req_len=0)
def get_device_id(call):
    return call.bmc.device_id_data


@command(APP, App.GET_BT_INTERFACE_CAPABILITIES, privilege=Privilege.USER, req_len=0, system_interface_only=True)
def get_bt_interface_capabilities(call):
    """Section 22.10.  Firmware with a BT channel answers it on every channel (phosphor-host-ipmid's
    apphandler does not look at the channel); a BMC without one does not know the command (QEMU's BT
    device answers it itself, before the BMC sees it)."""
    caps = next((c for c in (i.bt_capabilities() for i in call.bmc.interfaces) if c is not None), None)
    if caps is None:
        raise IpmiError(CompletionCode.INVALID_COMMAND, "Get BT Interface Capabilities: not a BT channel")
    return caps


@command(APP, App.COLD_RESET, privilege=Privilege.ADMINISTRATOR, req_len=0)
def cold_reset(call):
    call.bmc.cold_reset(call.t)
    return b""


@command(APP, App.WARM_RESET, privilege=Privilege.ADMINISTRATOR, req_len=0)
def warm_reset(call):
    call.bmc.warm_reset(call.t)
    return b""


@command(APP, App.GET_SELF_TEST_RESULTS, privilege=Privilege.USER, req_len=0)
def get_self_test_results(call):
    return bytes(call.bmc.self_test_result)


# ACPI power state values (section 20.6): system S0-S5/G-states, legacy on/off, unknown; device D0-D3, unknown.
ACPI_SYSTEM_STATES = frozenset((*range(0x00, 0x0B), 0x20, 0x21, 0x2A))
ACPI_DEVICE_STATES = frozenset((0x00, 0x01, 0x02, 0x03, 0x2A))
ACPI_NO_CHANGE = 0x7F


@command(APP, App.SET_ACPI_POWER_STATE, privilege=Privilege.ADMINISTRATOR, req_len=2)
def set_acpi_power_state(call):
    system, device = call.data
    # Bit 7 of each byte says "set this one"; 0x7F is "no change".
    if system & 0x80 and (system & 0x7F) not in ACPI_SYSTEM_STATES | {ACPI_NO_CHANGE}:
        raise invalid(f"system power state 0x{system & 0x7F:02X}")
    if device & 0x80 and (device & 0x7F) not in ACPI_DEVICE_STATES | {ACPI_NO_CHANGE}:
        raise invalid(f"device power state 0x{device & 0x7F:02X}")
    bmc = call.bmc
    if system & 0x80 and system & 0x7F != ACPI_NO_CHANGE:
        bmc.acpi_system_power_state = system & 0x7F
    if device & 0x80 and device & 0x7F != ACPI_NO_CHANGE:
        bmc.acpi_device_power_state = device & 0x7F
    return b""


@command(APP, App.GET_ACPI_POWER_STATE, privilege=Privilege.USER, req_len=0)
def get_acpi_power_state(call):
    return bytes((call.bmc.acpi_system_power_state, call.bmc.acpi_device_power_state))


@command(APP, App.GET_DEVICE_GUID, privilege=Privilege.USER, req_len=0)
def get_device_guid(call):
    guid = call.bmc.identity.device_guid
    if guid is None:
        # As QEMU: a BMC without a GUID does not have the command.
        raise IpmiError(CompletionCode.INVALID_COMMAND, "no device GUID configured")
    return guid


@command(APP, App.GET_SYSTEM_GUID, privilege=Privilege.USER, req_len=0)
def get_system_guid(call):
    guid = call.bmc.identity.system_guid
    if guid is None:
        raise IpmiError(CompletionCode.INVALID_COMMAND, "no system GUID configured")
    return guid


# -- watchdog (chapter 27) ---------------------------------------------------------

# Set Watchdog Timer byte 4: bits 5:1 clear the expiration flags of timer uses 1-5; 7, 6 and 0 are reserved.
EXPIRATION_FLAGS_RESERVED = 0xC1


@command(APP, App.RESET_WATCHDOG_TIMER, privilege=Privilege.OPERATOR, req_len=0)
def reset_watchdog_timer(call):
    call.bmc.watchdog.reset(call.t)
    return b""


@command(APP, App.SET_WATCHDOG_TIMER, privilege=Privilege.OPERATOR, req_len=6)
def set_watchdog_timer(call):
    use_byte, actions, pre_timeout_s, clear_flags, count_lsb, count_msb = call.data
    use = use_byte & 0x07
    if use_byte & 0x38:
        raise invalid(f"timer use reserved bits 5:3 set (0x{use_byte:02X})")
    if not TimerUse.BIOS_FRB2 <= use <= TimerUse.OEM:
        raise invalid(f"timer use {use}")
    if actions & 0x88:
        raise invalid(f"timer actions reserved bits 7, 3 set (0x{actions:02X})")
    action = actions & 0x07
    pre_interrupt = actions >> 4 & 0x07
    if action > TimeoutAction.POWER_CYCLE:
        raise invalid(f"timeout action {action}")
    if pre_interrupt > PreTimeoutInterrupt.MESSAGING_INTERRUPT:
        raise invalid(f"pre-timeout interrupt {pre_interrupt}")
    if clear_flags & EXPIRATION_FLAGS_RESERVED:
        raise invalid(f"expiration flags clear reserved bits set (0x{clear_flags:02X})")
    wdt = call.bmc.watchdog
    wdt.check_supported(action, pre_interrupt)
    wdt.set(call.t, use=use, dont_stop=bool(use_byte & 0x40), dont_log=bool(use_byte & 0x80), action=action,
            pre_interrupt=pre_interrupt, pre_timeout_s=pre_timeout_s, clear_flags=clear_flags,
            initial_count=count_msb << 8 | count_lsb)
    return b""


@command(APP, App.GET_WATCHDOG_TIMER, privilege=Privilege.USER, req_len=0)
def get_watchdog_timer(call):
    return call.bmc.watchdog.status_data(call.t)


# -- messaging support (chapter 22) -------------------------------------------------

# Clear Message Flags: bits 2 and 4 are reserved; 5-7 are OEM flags (this BMC has none to clear).
MESSAGE_FLAGS_RESERVED = 0x14


@command(APP, App.SET_BMC_GLOBAL_ENABLES, privilege=Privilege.USER, req_len=1, system_interface_only=True)
def set_bmc_global_enables(call):
    value = call.data[0]
    if value & ~SUPPORTED_GLOBAL_ENABLES:
        raise invalid(f"unsupported global enable bits 0x{value & ~SUPPORTED_GLOBAL_ENABLES & 0xFF:02X}")
    call.bmc.set_global_enables(value, call.t)
    return b""


@command(APP, App.GET_BMC_GLOBAL_ENABLES, privilege=Privilege.USER, req_len=0)
def get_bmc_global_enables(call):
    return bytes((call.bmc.global_enables,))


@command(APP, App.CLEAR_MESSAGE_FLAGS, privilege=Privilege.USER, req_len=1, system_interface_only=True)
def clear_message_flags(call):
    mask = call.data[0]
    if mask & MESSAGE_FLAGS_RESERVED:
        raise invalid(f"reserved message flag bits 0x{mask & MESSAGE_FLAGS_RESERVED:02X}")
    call.bmc.clear_message_flags(mask, call.t)
    return b""


@command(APP, App.GET_MESSAGE_FLAGS, privilege=Privilege.USER, req_len=0, system_interface_only=True)
def get_message_flags(call):
    return bytes((call.bmc.message_flags,))


@command(APP, App.GET_MESSAGE, privilege=Privilege.USER, req_len=0, system_interface_only=True)
def get_message(call):
    item = call.bmc.take_message(call.t)
    if item is None:
        raise IpmiError(CC_MESSAGE_QUEUE_EMPTY, "receive message queue empty")
    channel_byte, data = item  # channel byte: inferred privilege in 7:4, channel in 3:0
    return bytes((channel_byte,)) + data


@command(APP, App.READ_EVENT_MESSAGE_BUFFER, privilege=Privilege.USER, req_len=0, system_interface_only=True)
def read_event_message_buffer(call):
    record = call.bmc.take_event(call.t)
    if record is None:
        raise IpmiError(CC_EVENT_BUFFER_EMPTY, "event message buffer empty")
    return record


# -- channels (chapter 22.22-22.24) ---------------------------------------------------


def _channel(call, byte: int) -> tuple[int, object]:
    """Channel number of a request byte (bits 3:0, 7:4 reserved), 0xE meaning 'this channel'."""
    if byte & 0xF0:
        raise invalid(f"channel byte reserved bits set (0x{byte:02X})")
    channel = byte & 0x0F
    if channel == Channel.CURRENT:
        channel = call.channel
    info = call.bmc.channel_info(channel)
    if info is None:
        raise invalid(f"no channel 0x{channel:X}")
    return channel, info


@command(APP, App.GET_CHANNEL_ACCESS, privilege=Privilege.USER, req_len=2)
def get_channel_access(call):
    channel_byte, which = call.data
    # Bits 7:6 choose non-volatile (01b) or present volatile (10b) settings; the rest is reserved.
    if which & 0x3F or which >> 6 not in (1, 2):
        raise invalid(f"access set selector 0x{which:02X}")
    channel, info = _channel(call, channel_byte)
    table = call.bmc.channel_access
    if not table.has_sessions(channel):
        return bytes((info.access, info.privilege_limit))   # QEMU's fixed answer for session-less channels
    found = table.settings(channel, volatile=which >> 6 == 2)
    return bytes((found.access, found.privilege_limit))


@command(APP, App.GET_CHANNEL_INFO, privilege=Privilege.USER, req_len=1)
def get_channel_info(call):
    channel, info = _channel(call, call.data[0])
    iana = call.bmc.vendor_iana
    return bytes((channel, info.medium, info.protocol, info.session_support,
                  iana & 0xFF, iana >> 8 & 0xFF, iana >> 16 & 0xFF)) + info.aux


# Set Channel Access completion codes (section 22.22).
CC_SET_NOT_SUPPORTED_ON_CHANNEL = 0x82
CC_ACCESS_MODE_NOT_SUPPORTED = 0x83
ACCESS_MODE_SHARED = 3


@command(APP, App.SET_CHANNEL_ACCESS, privilege=Privilege.ADMINISTRATOR, req_len=3)
def set_channel_access(call):
    channel_byte, access, limit = call.data
    channel, _ = _channel(call, channel_byte)
    access_set, limit_set = access >> 6, limit >> 6
    if access_set == 3 or limit_set == 3:
        raise invalid(f"access/privilege set selector 11b (0x{access:02X} 0x{limit:02X})")
    if limit & 0x30:
        raise invalid(f"privilege limit byte reserved bits 5:4 (0x{limit:02X})")
    mode = access & 0x07
    if access_set and mode > ACCESS_MODE_SHARED:
        raise invalid(f"access mode {mode}")
    privilege = limit & 0x0F
    if limit_set and not Privilege.CALLBACK <= privilege <= Privilege.OEM:
        raise invalid(f"channel privilege limit {privilege}")
    table = call.bmc.channel_access
    if not table.has_sessions(channel):
        raise IpmiError(CC_SET_NOT_SUPPORTED_ON_CHANNEL, f"channel 0x{channel:X} is session-less")
    if access_set and mode == ACCESS_MODE_SHARED:
        raise IpmiError(CC_ACCESS_MODE_NOT_SUPPORTED, "shared access mode")
    # Validated: apply the access byte and the limit to the chosen copies.
    if access_set:
        table.settings(channel, volatile=access_set == 2).access = access & 0x3F
    if limit_set:
        table.settings(channel, volatile=limit_set == 2).privilege_limit = privilege
    return b""


# -- Get Channel Authentication Capabilities (section 22.13) ------------------------------------------

# Byte 3 bit 5: a non-zero BMC key (Kg) is set, so RMCP+ logins need it (two-key login).
KG_SET = 0x20


@command(APP, App.GET_CHANNEL_AUTHENTICATION_CAPABILITIES, privilege=Privilege.CALLBACK, req_len=2)
def get_channel_authentication_capabilities(call):
    channel_byte, requested = call.data
    if channel_byte & 0x70:
        raise invalid(f"channel byte reserved bits 6:4 (0x{channel_byte:02X})")
    if requested & 0xF0 or not Privilege.CALLBACK <= requested <= Privilege.OEM:
        raise invalid(f"requested maximum privilege 0x{requested:02X}")
    channel, _ = _channel(call, channel_byte & 0x0F)
    bmc = call.bmc
    extended = bool(channel_byte & 0x80)
    kg = 0
    if bmc.channel_access.has_sessions(channel):
        # The LAN parameters (bmc.lan_config): auth types supported and enabled at the requested level.
        lan = bmc.lan_config
        auth, versions = lan.auth_support & lan.auth_enables.get(requested, 0), 0x03   # IPMI v1.5 and v2.0
        access = bmc.channel_access.settings(channel, volatile=True).access
        kg = KG_SET if any(getattr(lan, "bmc_key", b"") or b"") else 0
    else:
        auth, versions = 0x00, 0x00                    # session-less: nothing to authenticate
        access = bmc.channel_info(channel).access
    status = kg | (access & 0x18) | bmc.users.anonymous_status()   # per-message / user-level auth disabled bits
    iana = 0  # no OEM authentication
    return bytes((channel, extended << 7 | auth, status, versions if extended else 0x00,
                  iana & 0xFF, iana >> 8 & 0xFF, iana >> 16, 0x00))


# -- users (sections 22.26-22.30) ---------------------------------------------------------------------


def _user(call, byte: int, what: str = "user ID byte"):
    """User number in bits 5:0 (7:6 reserved); 0 is reserved, beyond the table is out of range."""
    if byte & 0xC0:
        raise invalid(f"{what} reserved bits 7:6 (0x{byte:02X})")
    uid = byte & 0x3F
    if uid == 0:
        raise invalid("user ID 0 is reserved")
    user = call.bmc.users.get(uid)
    if user is None:
        raise IpmiError(CompletionCode.PARAMETER_OUT_OF_RANGE, f"user ID {uid} (1-{call.bmc.users.max_users})")
    return uid, user


@command(APP, App.SET_USER_ACCESS, privilege=Privilege.ADMINISTRATOR, min_len=3, max_len=4)
def set_user_access(call):
    data = call.data
    channel, _ = _channel(call, data[0] & 0x0F)
    uid, user = _user(call, data[1])
    if data[2] & 0xF0:
        raise invalid(f"user privilege byte reserved bits 7:4 (0x{data[2]:02X})")
    privilege = data[2] & 0x0F
    if privilege not in PRIVILEGE_LIMITS:
        raise invalid(f"user privilege limit {privilege}")
    if len(data) == 4 and data[3] & 0xF0:
        raise invalid(f"session limit byte reserved bits 7:4 (0x{data[3]:02X})")
    access = user.channel_access(channel, for_update=True)
    if data[0] & 0x80:   # "enable changing" bits 6:4
        access.callback_only = bool(data[0] & 0x40)
        access.link_auth = bool(data[0] & 0x20)
        access.ipmi_messaging = bool(data[0] & 0x10)
    access.privilege = privilege
    if len(data) == 4:
        user.session_limit = data[3] & 0x0F
    call.bmc.users.changed(uid)
    return b""


@command(APP, App.GET_USER_ACCESS, privilege=Privilege.OPERATOR, req_len=2)
def get_user_access(call):
    channel_byte, user_byte = call.data
    channel, _ = _channel(call, channel_byte)
    uid, user = _user(call, user_byte)
    users = call.bmc.users
    return bytes((users.max_users, user.status << 6 | users.enabled_count(), 1,  # one fixed name: user 1
                  user.channel_access(channel).byte()))


@command(APP, App.SET_USER_NAME, privilege=Privilege.ADMINISTRATOR, req_len=1 + NAME_LEN)
def set_user_name(call):
    uid, user = _user(call, call.data[0])
    if uid == 1:
        raise invalid("user 1 has the fixed null name")
    name = call.data[1:]
    user.name = name.split(b"\x00", 1)[0].ljust(NAME_LEN, b"\x00")   # bytes after the terminator read back 0
    call.bmc.users.changed(uid)
    return b""


@command(APP, App.GET_USER_NAME, privilege=Privilege.OPERATOR, req_len=1)
def get_user_name(call):
    _, user = _user(call, call.data[0])
    return user.name


# Set User Password (section 22.30): operations and completion codes.
PASSWORD_DISABLE, PASSWORD_ENABLE, PASSWORD_SET, PASSWORD_TEST = 0, 1, 2, 3
CC_PASSWORD_TEST_FAILED = 0x80
CC_WRONG_PASSWORD_SIZE = 0x81


@command(APP, App.SET_USER_PASSWORD, privilege=Privilege.ADMINISTRATOR, min_len=2, max_len=22)
def set_user_password(call):
    data = call.data
    size = 20 if data[0] & 0x80 else 16
    if data[0] & 0x40:
        raise invalid(f"user ID byte reserved bit 6 (0x{data[0]:02X})")
    if data[1] & 0xFC:
        raise invalid(f"operation byte reserved bits 7:2 (0x{data[1]:02X})")
    op = data[1] & 0x03
    password = data[2:]
    if op in (PASSWORD_SET, PASSWORD_TEST) and len(password) != size:
        raise IpmiError(CompletionCode.REQUEST_DATA_LENGTH_INVALID,
                        f"{size}-byte password operation with {len(password)} password bytes")
    if op in (PASSWORD_DISABLE, PASSWORD_ENABLE) and password and len(password) != size:
        raise IpmiError(CompletionCode.REQUEST_DATA_LENGTH_INVALID, f"password data of {len(password)} bytes")
    uid, user = _user(call, data[0] & 0x3F)
    if op == PASSWORD_DISABLE:
        user.status = DISABLED
    elif op == PASSWORD_ENABLE:
        user.status = ENABLED
    elif op == PASSWORD_SET:
        user.password = bytes(password)
        user.password_size = size
    else:
        if size != user.password_size:
            raise IpmiError(CC_WRONG_PASSWORD_SIZE, f"user {uid} has a {user.password_size}-byte password")
        if not call.bmc.users.check_password(uid, bytes(password)):
            raise IpmiError(CC_PASSWORD_TEST_FAILED, f"password test failed for user {uid}")
        return b""
    call.bmc.users.changed(uid)
    return b""


# -- Send Message to the primary IPMB (section 22.7) ----------------------------------------------------

CC_NAK_ON_WRITE = 0x83        # Send Message: the addressed device did not acknowledge
IPMB_MAX_FRAME = 32


@command(APP, App.SEND_MESSAGE, privilege=Privilege.USER, min_len=8, max_len=1 + IPMB_MAX_FRAME)
def send_message(call):
    control, frame = call.data[0], call.data[1:]
    # Bits 7:6 tracking, 5 encryption, 4 authentication: the system interface sends untracked, in the clear.
    if control & 0xF0:
        raise invalid(f"send message control byte 0x{control:02X} (tracking/encryption/authentication)")
    if control & 0x0F != 0:
        raise invalid(f"channel {control & 0x0F} is not the primary IPMB")
    bmc = call.bmc
    target = bmc.ipmb.get(frame[0])
    if target is None:
        raise IpmiError(CC_NAK_ON_WRITE, f"no device at IPMB address 0x{frame[0]:02X}")
    response = target.receive(frame)
    if bmc.sim.tracer.enabled:
        bmc.sim.trace(call.t, "bmc", bmc.name, "ipmb", to=f"0x{frame[0]:02X}", frame=bytes(frame),
                      answered=int(response is not None))
    # Only answers addressed to us at the SMS LUN go to the receive queue (as QEMU); Get Message drops rqSA.
    if response is not None and response[0] == bmc.slave_address and response[1] & 0x03 == 0x02:
        queued = response[1:]
        if bmc.ipmb_latency:
            bmc.sim.call_at(call.t + bmc.ipmb_latency, lambda: bmc.enqueue_message(queued, bmc.sim.now))
        else:
            bmc.enqueue_message(queued, call.t)
    return b""


# -- System Info Parameters (sections 22.14a, 22.14b) -------------------------------------------------------


@command(APP, App.SET_SYSTEM_INFO_PARAMETERS, privilege=Privilege.ADMINISTRATOR, min_len=2, max_len=18)
def set_system_info_parameters(call):
    call.bmc.system_info.set(call.data[0], call.data[1:])
    return b""


@command(APP, App.GET_SYSTEM_INFO_PARAMETERS, privilege=Privilege.USER, req_len=4)
def get_system_info_parameters(call):
    flags, selector, set_selector, _block = call.data
    if flags & 0x7F:
        raise invalid(f"get system info byte 1 reserved bits 6:0 (0x{flags:02X})")
    return call.bmc.system_info.get(bool(flags & 0x80), selector, set_selector)

