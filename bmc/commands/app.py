"""Application (NetFn 0x06) commands: identity, resets, watchdog, messaging, channels.

IPMI 2.0 chapters 20 (device "global" commands), 22 (messaging support) and
27 (watchdog).  Each handler gets a validated-length ``call`` and returns
the response data after the completion code; failures raise ``IpmiError``.
Privileges follow the spec's command table (Appendix G); "local only"
commands accept the system interface only.
"""

from __future__ import annotations

from ..bmc import SUPPORTED_GLOBAL_ENABLES
from ..ipmi.cc import CC_EVENT_BUFFER_EMPTY, CC_MESSAGE_QUEUE_EMPTY, CompletionCode, IpmiError
from ..ipmi.cmd import App
from ..ipmi.msg import Channel, PreTimeoutInterrupt, TimeoutAction, TimerUse
from ..ipmi.netfn import NetFn
from ..ipmid import command
from ..privilege import Privilege

APP = NetFn.APP


def invalid(what: str) -> IpmiError:
    return IpmiError(CompletionCode.INVALID_DATA_FIELD, what)


# -- device "global" commands (chapter 20) -------------------------------------


@command(APP, App.GET_DEVICE_ID, privilege=Privilege.USER, req_len=0)
def get_device_id(call):
    return call.bmc.device_id_data


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
    _, info = _channel(call, channel_byte)
    return bytes((info.access, info.privilege_limit))


@command(APP, App.GET_CHANNEL_INFO, privilege=Privilege.USER, req_len=1)
def get_channel_info(call):
    channel, info = _channel(call, call.data[0])
    iana = call.bmc.vendor_iana
    return bytes((channel, info.medium, info.protocol, info.session_support,
                  iana & 0xFF, iana >> 8 & 0xFF, iana >> 16 & 0xFF)) + info.aux

