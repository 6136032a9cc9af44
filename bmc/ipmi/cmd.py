"""Command codes per network function (IPMI 2.0 Appendix G), named as the spec names them.

Every code from the spec's tables is listed, implemented or not, so traces
and the ``ipmilab commands`` table can name any request they see.  Gaps in
the numbering are unassigned in the spec.
"""

from enum import IntEnum

from .netfn import NetFn, netfn_name


class Chassis(IntEnum):
    """NetFn Chassis (0x00), spec chapter 28."""

    GET_CHASSIS_CAPABILITIES = 0x00
    GET_CHASSIS_STATUS = 0x01
    CHASSIS_CONTROL = 0x02
    CHASSIS_RESET = 0x03
    CHASSIS_IDENTIFY = 0x04
    SET_CHASSIS_CAPABILITIES = 0x05
    SET_POWER_RESTORE_POLICY = 0x06
    GET_SYSTEM_RESTART_CAUSE = 0x07
    SET_SYSTEM_BOOT_OPTIONS = 0x08
    GET_SYSTEM_BOOT_OPTIONS = 0x09
    SET_FRONT_PANEL_BUTTON_ENABLES = 0x0A
    SET_POWER_CYCLE_INTERVAL = 0x0B
    GET_POH_COUNTER = 0x0F


class Bridge(IntEnum):
    """NetFn Bridge (0x02), ICMB bridge commands (ICMB specification)."""

    GET_BRIDGE_STATE = 0x00
    SET_BRIDGE_STATE = 0x01
    GET_ICMB_ADDRESS = 0x02
    SET_ICMB_ADDRESS = 0x03
    SET_BRIDGE_PROXY_ADDRESS = 0x04
    GET_BRIDGE_STATISTICS = 0x05
    GET_ICMB_CAPABILITIES = 0x06
    CLEAR_BRIDGE_STATISTICS = 0x08
    GET_BRIDGE_PROXY_ADDRESS = 0x09
    GET_ICMB_CONNECTOR_INFO = 0x0A
    GET_ICMB_CONNECTION_ID = 0x0B
    SEND_ICMB_CONNECTION_ID = 0x0C


class SensorEvent(IntEnum):
    """NetFn Sensor/Event (0x04), spec chapters 29, 30 and 35."""

    SET_EVENT_RECEIVER = 0x00
    GET_EVENT_RECEIVER = 0x01
    PLATFORM_EVENT = 0x02
    GET_PEF_CAPABILITIES = 0x10
    ARM_PEF_POSTPONE_TIMER = 0x11
    SET_PEF_CONFIGURATION_PARAMETERS = 0x12
    GET_PEF_CONFIGURATION_PARAMETERS = 0x13
    SET_LAST_PROCESSED_EVENT_ID = 0x14
    GET_LAST_PROCESSED_EVENT_ID = 0x15
    ALERT_IMMEDIATE = 0x16
    PET_ACKNOWLEDGE = 0x17
    GET_DEVICE_SDR_INFO = 0x20
    GET_DEVICE_SDR = 0x21
    RESERVE_DEVICE_SDR_REPOSITORY = 0x22
    GET_SENSOR_READING_FACTORS = 0x23
    SET_SENSOR_HYSTERESIS = 0x24
    GET_SENSOR_HYSTERESIS = 0x25
    SET_SENSOR_THRESHOLD = 0x26
    GET_SENSOR_THRESHOLD = 0x27
    SET_SENSOR_EVENT_ENABLE = 0x28
    GET_SENSOR_EVENT_ENABLE = 0x29
    REARM_SENSOR_EVENTS = 0x2A
    GET_SENSOR_EVENT_STATUS = 0x2B
    GET_SENSOR_READING = 0x2D
    SET_SENSOR_TYPE = 0x2E
    GET_SENSOR_TYPE = 0x2F
    SET_SENSOR_READING_AND_EVENT_STATUS = 0x30


class App(IntEnum):
    """NetFn Application (0x06), spec chapters 20-22, 24, 27."""

    GET_DEVICE_ID = 0x01
    COLD_RESET = 0x02
    WARM_RESET = 0x03
    GET_SELF_TEST_RESULTS = 0x04
    MANUFACTURING_TEST_ON = 0x05
    SET_ACPI_POWER_STATE = 0x06
    GET_ACPI_POWER_STATE = 0x07
    GET_DEVICE_GUID = 0x08
    GET_NETFN_SUPPORT = 0x09
    GET_COMMAND_SUPPORT = 0x0A
    GET_COMMAND_SUB_FUNCTION_SUPPORT = 0x0B
    GET_CONFIGURABLE_COMMANDS = 0x0C
    GET_CONFIGURABLE_COMMAND_SUB_FUNCTIONS = 0x0D
    RESET_WATCHDOG_TIMER = 0x22
    SET_WATCHDOG_TIMER = 0x24
    GET_WATCHDOG_TIMER = 0x25
    SET_BMC_GLOBAL_ENABLES = 0x2E
    GET_BMC_GLOBAL_ENABLES = 0x2F
    CLEAR_MESSAGE_FLAGS = 0x30
    GET_MESSAGE_FLAGS = 0x31
    ENABLE_MESSAGE_CHANNEL_RECEIVE = 0x32
    GET_MESSAGE = 0x33
    SEND_MESSAGE = 0x34
    READ_EVENT_MESSAGE_BUFFER = 0x35
    GET_BT_INTERFACE_CAPABILITIES = 0x36
    GET_SYSTEM_GUID = 0x37
    GET_CHANNEL_AUTHENTICATION_CAPABILITIES = 0x38
    GET_SESSION_CHALLENGE = 0x39
    ACTIVATE_SESSION = 0x3A
    SET_SESSION_PRIVILEGE_LEVEL = 0x3B
    CLOSE_SESSION = 0x3C
    GET_SESSION_INFO = 0x3D
    GET_AUTHCODE = 0x3F
    SET_CHANNEL_ACCESS = 0x40
    GET_CHANNEL_ACCESS = 0x41
    GET_CHANNEL_INFO = 0x42
    SET_USER_ACCESS = 0x43
    GET_USER_ACCESS = 0x44
    SET_USER_NAME = 0x45
    GET_USER_NAME = 0x46
    SET_USER_PASSWORD = 0x47
    ACTIVATE_PAYLOAD = 0x48
    DEACTIVATE_PAYLOAD = 0x49
    GET_PAYLOAD_ACTIVATION_STATUS = 0x4A
    GET_PAYLOAD_INSTANCE_INFO = 0x4B
    SET_USER_PAYLOAD_ACCESS = 0x4C
    GET_USER_PAYLOAD_ACCESS = 0x4D
    GET_CHANNEL_PAYLOAD_SUPPORT = 0x4E
    GET_CHANNEL_PAYLOAD_VERSION = 0x4F
    GET_CHANNEL_OEM_PAYLOAD_INFO = 0x50
    MASTER_WRITE_READ = 0x52
    GET_CHANNEL_CIPHER_SUITES = 0x54
    SUSPEND_RESUME_PAYLOAD_ENCRYPTION = 0x55
    SET_CHANNEL_SECURITY_KEYS = 0x56
    GET_SYSTEM_INTERFACE_CAPABILITIES = 0x57
    SET_SYSTEM_INFO_PARAMETERS = 0x58
    GET_SYSTEM_INFO_PARAMETERS = 0x59
    SET_COMMAND_ENABLES = 0x60
    GET_COMMAND_ENABLES = 0x61
    SET_COMMAND_SUB_FUNCTION_ENABLES = 0x62
    GET_COMMAND_SUB_FUNCTION_ENABLES = 0x63
    GET_OEM_NETFN_IANA_SUPPORT = 0x64


class Storage(IntEnum):
    """NetFn Storage (0x0A), spec chapters 31-34 (FRU, SDR, SEL)."""

    GET_FRU_INVENTORY_AREA_INFO = 0x10
    READ_FRU_DATA = 0x11
    WRITE_FRU_DATA = 0x12
    GET_SDR_REPOSITORY_INFO = 0x20
    GET_SDR_REPOSITORY_ALLOCATION_INFO = 0x21
    RESERVE_SDR_REPOSITORY = 0x22
    GET_SDR = 0x23
    ADD_SDR = 0x24
    PARTIAL_ADD_SDR = 0x25
    DELETE_SDR = 0x26
    CLEAR_SDR_REPOSITORY = 0x27
    GET_SDR_REPOSITORY_TIME = 0x28
    SET_SDR_REPOSITORY_TIME = 0x29
    ENTER_SDR_REPOSITORY_UPDATE_MODE = 0x2A
    EXIT_SDR_REPOSITORY_UPDATE_MODE = 0x2B
    RUN_INITIALIZATION_AGENT = 0x2C
    GET_SEL_INFO = 0x40
    GET_SEL_ALLOCATION_INFO = 0x41
    RESERVE_SEL = 0x42
    GET_SEL_ENTRY = 0x43
    ADD_SEL_ENTRY = 0x44
    PARTIAL_ADD_SEL_ENTRY = 0x45
    DELETE_SEL_ENTRY = 0x46
    CLEAR_SEL = 0x47
    GET_SEL_TIME = 0x48
    SET_SEL_TIME = 0x49
    GET_AUXILIARY_LOG_STATUS = 0x5A
    SET_AUXILIARY_LOG_STATUS = 0x5B
    GET_SEL_TIME_UTC_OFFSET = 0x5C
    SET_SEL_TIME_UTC_OFFSET = 0x5D


class Transport(IntEnum):
    """NetFn Transport (0x0C), spec chapters 23, 25, 26."""

    SET_LAN_CONFIGURATION_PARAMETERS = 0x01
    GET_LAN_CONFIGURATION_PARAMETERS = 0x02
    SUSPEND_BMC_ARPS = 0x03
    GET_IP_UDP_RMCP_STATISTICS = 0x04
    SET_SERIAL_MODEM_CONFIGURATION = 0x10
    GET_SERIAL_MODEM_CONFIGURATION = 0x11
    SET_SERIAL_MODEM_MUX = 0x12
    GET_TAP_RESPONSE_CODES = 0x13
    SET_PPP_UDP_PROXY_TRANSMIT_DATA = 0x14
    GET_PPP_UDP_PROXY_TRANSMIT_DATA = 0x15
    SEND_PPP_UDP_PROXY_PACKET = 0x16
    GET_PPP_UDP_PROXY_RECEIVE_DATA = 0x17
    SERIAL_MODEM_CONNECTION_ACTIVE = 0x18
    CALLBACK = 0x19
    SET_USER_CALLBACK_OPTIONS = 0x1A
    GET_USER_CALLBACK_OPTIONS = 0x1B
    SET_SERIAL_ROUTING_MUX = 0x1C
    SOL_ACTIVATING = 0x20
    SET_SOL_CONFIGURATION_PARAMETERS = 0x21
    GET_SOL_CONFIGURATION_PARAMETERS = 0x22
    FORWARDED_COMMAND = 0x30
    SET_FORWARDED_COMMANDS = 0x31
    GET_FORWARDED_COMMANDS = 0x32
    ENABLE_FORWARDED_COMMANDS = 0x33


# The command table of each request netfn.
COMMANDS: dict[int, type[IntEnum]] = {
    NetFn.CHASSIS: Chassis,
    NetFn.BRIDGE: Bridge,
    NetFn.SENSOR_EVENT: SensorEvent,
    NetFn.APP: App,
    NetFn.STORAGE: Storage,
    NetFn.TRANSPORT: Transport,
}

# Words the spec writes in capitals or with special spelling; all others are title case.
_WORDS = {
    "ID": "ID", "GUID": "GUID", "BMC": "BMC", "ACPI": "ACPI", "SEL": "SEL", "SDR": "SDR", "FRU": "FRU",
    "LAN": "LAN", "SOL": "SOL", "PEF": "PEF", "PET": "PET", "BT": "BT", "POH": "POH", "IP": "IP",
    "UDP": "UDP", "RMCP": "RMCP", "PPP": "PPP", "TAP": "TAP", "OEM": "OEM", "IANA": "IANA", "ICMB": "ICMB",
    "UTC": "UTC", "NETFN": "NetFn", "AUTHCODE": "AuthCode", "REARM": "Re-arm", "ARPS": "ARPs",
}
_SPECIAL = {
    "SUSPEND_RESUME_PAYLOAD_ENCRYPTION": "Suspend/Resume Payload Encryption",
    "SERIAL_MODEM_CONNECTION_ACTIVE": "Serial/Modem Connection Active",
    "SET_SERIAL_MODEM_CONFIGURATION": "Set Serial/Modem Configuration",
    "GET_SERIAL_MODEM_CONFIGURATION": "Get Serial/Modem Configuration",
    "SET_SERIAL_MODEM_MUX": "Set Serial/Modem Mux",
    "GET_IP_UDP_RMCP_STATISTICS": "Get IP/UDP/RMCP Statistics",
    "MASTER_WRITE_READ": "Master Write-Read",
}


def spec_name(member_name: str) -> str:
    """``GET_DEVICE_ID`` -> ``Get Device ID``: the command's name as the spec prints it."""
    special = _SPECIAL.get(member_name)
    if special:
        return special
    name = " ".join(_WORDS.get(w, w.capitalize()) for w in member_name.split("_"))
    return name.replace("Sub Function", "Sub-function")


def command_enum(netfn: int, cmd: int) -> IntEnum | None:
    """The enum member for ``(netfn, cmd)``, or None.  A response netfn names its request."""
    table = COMMANDS.get(netfn & ~1)
    if table is None:
        return None
    try:
        return table(cmd)
    except ValueError:
        return None


def command_name(netfn: int, cmd: int) -> str:
    """Human name of a command, e.g. ``command_name(0x06, 0x01) == "Get Device ID"``.

    Unknown codes still get a readable name (``"APP cmd 0xFF"``) so traces never fail.
    """
    member = command_enum(netfn, cmd)
    if member is not None:
        return spec_name(member.name)
    return f"{netfn_name(netfn & ~1)} cmd 0x{cmd:02X}"
