"""NetFn Application (06h): the command tables of spec chapters 20 (device "global"), 22 (messaging, channels,
users, system info parameters) and 27 (watchdog).

Sections as Appendix G (Table G-1) assigns them, Get Device ID's fields from
Table 20-2; channel numbers, protocols and media from Tables 6-1 to 6-3.
"""

from __future__ import annotations

from ..cmd import App as A
from .fields import (
    CHANNEL,
    CHANNEL_NUMBER,
    PRE_TIMEOUT_INTERRUPT,
    PRIVILEGE,
    REST,
    TIMEOUT_ACTION,
    TIMER_USE,
    Field,
    bit,
    blob,
    byte,
    flags,
    lay,
    parameter_revision,
    word,
)

IPMI_VERSION = {0x51: "1.5", 0x02: "2.0"}   # BCD, major version in bits 3:0
SELF_TEST = {0x55: "no error", 0x56: "self test not implemented",
             0x57: "corrupted or inaccessible data or devices", 0x58: "fatal hardware error"}
ACPI_SYSTEM = {
    0x00: "S0 / G0 working", 0x01: "S1", 0x02: "S2", 0x03: "S3", 0x04: "S4", 0x05: "S5 / G2 soft-off",
    0x06: "S4/S5 soft-off", 0x07: "G3 mechanical off", 0x08: "sleeping (S1-S3)", 0x09: "G1 sleeping",
    0x0A: "S5 entered by override", 0x20: "legacy on", 0x21: "legacy off", 0x2A: "unknown", 0x7F: "no change",
}
ACPI_DEVICE = {0x00: "D0", 0x01: "D1", 0x02: "D2", 0x03: "D3", 0x2A: "unknown", 0x7F: "no change"}
ACCESS_MODE = {0b000: "disabled", 0b001: "pre-boot only", 0b010: "always available", 0b011: "shared"}
SET_WHICH = {0b00: "don't set", 0b01: "set non-volatile", 0b10: "set volatile (active)", 0b11: "reserved"}
GET_WHICH = {0b00: "reserved", 0b01: "get non-volatile", 0b10: "get present volatile (active)",
             0b11: "reserved"}
SESSION_SUPPORT = {0b00: "session-less", 0b01: "single-session", 0b10: "multi-session", 0b11: "session-based"}
USER_STATUS = {0b00: "unspecified", 0b01: "enabled", 0b10: "disabled", 0b11: "reserved"}
PASSWORD_OPERATION = {0b00: "disable user", 0b01: "enable user", 0b10: "set password", 0b11: "test password"}
MEDIUM = {0x01: "IPMB (I2C)", 0x02: "ICMB v1.0", 0x03: "ICMB v0.9", 0x04: "802.3 LAN",         # Table 6-3
          0x05: "Asynch. Serial/Modem (RS-232)", 0x06: "Other LAN", 0x07: "PCI SMBus", 0x08: "SMBus v1.0/1.1",
          0x09: "SMBus v2.0", 0x0A: "USB 1.x", 0x0B: "USB 2.x", 0x0C: "System Interface (KCS, SMIC, or BT)"}
PROTOCOL = {0x01: "IPMB-1.0", 0x02: "ICMB-1.0", 0x04: "IPMI-SMBus", 0x05: "KCS", 0x06: "SMIC", 0x07: "BT-10",
            0x08: "BT-15", 0x09: "TMode"}                                               # Table 6-2
AUTH_TYPE = {0x0: "none", 0x1: "MD2", 0x2: "MD5", 0x4: "straight password/key", 0x5: "OEM proprietary"}  # 13.6
PAYLOAD_TYPE = {0x00: "IPMI message", 0x01: "SOL", 0x02: "OEM explicit"}                              # 13.27.3
DISABLED_IF_1 = {0: "enabled", 1: "disabled"}   # the channel access bits (22.22, 22.23)
TRACKING = {0b00: "no tracking", 0b01: "track request", 0b10: "send raw", 0b11: "reserved"}

# Set/Get BMC Global Enables (22.1, 22.2) share the byte; Clear/Get Message Flags (22.3, 22.4) theirs.
GLOBAL_ENABLES = {7: "OEM 2 Enable", 6: "OEM 1 Enable", 5: "OEM 0 Enable", 3: "System Event Logging",
                  2: "Event Message Buffer", 1: "Event Message Buffer Full Interrupt",
                  0: "Receive Message Queue Interrupt"}


def _timer_use(running: bool) -> tuple[Field, ...]:
    """Timer Use byte of Set (27.6) and Get (27.7) Watchdog Timer: bit 6 differs."""
    return (bit("Don't Log", 0, 7),
            bit("Timer is Started" if running else "Don't Stop Timer", 0, 6),
            bit("Timer Use", 0, 2, 0, TIMER_USE))


def _watchdog_common(clear: bool) -> tuple[Field, ...]:
    """Bytes 2-6 of Set (27.6) and Get (27.7) Watchdog Timer; byte 4 clears (Set) or shows (Get) the flags."""
    template = "Clear {} Expiration Flag" if clear else "{} Expiration Flag"
    return (
        bit("Pre-timeout Interrupt", 1, 6, 4, PRE_TIMEOUT_INTERRUPT),
        bit("Timeout Action", 1, 2, 0, TIMEOUT_ACTION),
        byte("Pre-timeout Interval", 2),                  # seconds
        flags(3, {b: template.format(use) for b, use in TIMER_USE.items()}),   # bit n: timer use n
        word("Initial Countdown Value", 4),               # 100 ms/count
    )


LAYOUTS = {
    # -- chapter 20 ------------------------------------------------------------------------------------
    A.GET_DEVICE_ID: lay("20.1", response=(
        byte("Device ID", 0),
        bit("Provides Device SDRs", 1, 7), bit("Device Revision", 1, 3, 0),
        bit("Device Available", 2, 7, values={0: "normal operation", 1: "update or self-initialization in progress"}),
        bit("Major Firmware Revision", 2, 6, 0),
        byte("Minor Firmware Revision", 3),               # BCD
        byte("IPMI Version", 4, IPMI_VERSION),
        flags(5, {7: "Chassis Device", 6: "Bridge", 5: "IPMB Event Generator", 4: "IPMB Event Receiver",
                  3: "FRU Inventory Device", 2: "SEL Device", 1: "SDR Repository Device", 0: "Sensor Device"}),
        bit("Manufacturer ID", 6, 19, 0, size=3),         # IANA enterprise number, 20 bits
        word("Product ID", 9),
        blob("Auxiliary Firmware Revision Information", 11, 4, optional=True),
    )),
    A.COLD_RESET: lay("20.2"),
    A.WARM_RESET: lay("20.3"),
    # Byte 3's meaning depends on byte 2: 00h, device specific, or (57h) the failed-device bits.
    A.GET_SELF_TEST_RESULTS: lay("20.4", response=(byte("Self Test Result", 0, SELF_TEST),
                                                   byte("Self Test Result Detail", 1))),
    A.SET_ACPI_POWER_STATE: lay("20.6", request=(
        bit("Set System Power State", 0, 7), bit("System Power State", 0, 6, 0, ACPI_SYSTEM),
        bit("Set Device Power State", 1, 7), bit("Device Power State", 1, 6, 0, ACPI_DEVICE),
    )),
    A.GET_ACPI_POWER_STATE: lay("20.7", response=(
        bit("ACPI System Power State", 0, 6, 0, ACPI_SYSTEM), bit("ACPI Device Power State", 1, 6, 0, ACPI_DEVICE),
    )),
    A.GET_DEVICE_GUID: lay("20.8", response=(blob("GUID", 0, 16),)),

    # -- chapter 27: watchdog ---------------------------------------------------------------------------
    A.RESET_WATCHDOG_TIMER: lay("27.5"),
    A.SET_WATCHDOG_TIMER: lay("27.6", request=(_timer_use(False), _watchdog_common(clear=True))),
    A.GET_WATCHDOG_TIMER: lay("27.7", response=(_timer_use(True), _watchdog_common(clear=False),
                                                word("Present Countdown Value", 6))),

    # -- chapter 22: messaging support ------------------------------------------------------------------
    A.SET_BMC_GLOBAL_ENABLES: lay("22.1", request=(flags(0, GLOBAL_ENABLES),)),
    A.GET_BMC_GLOBAL_ENABLES: lay("22.2", response=(flags(0, GLOBAL_ENABLES),)),
    A.CLEAR_MESSAGE_FLAGS: lay("22.3", request=(flags(0, {
        7: "Clear OEM 2", 6: "Clear OEM 1", 5: "Clear OEM 0", 3: "Clear Watchdog Pre-timeout Interrupt Flag",
        1: "Clear Event Message Buffer", 0: "Clear Receive Message Queue"}),)),
    A.GET_MESSAGE_FLAGS: lay("22.4", response=(flags(0, {
        7: "OEM 2 Data Available", 6: "OEM 1 Data Available", 5: "OEM 0 Data Available",
        3: "Watchdog Pre-timeout Interrupt Occurred", 1: "Event Message Buffer Full",
        0: "Receive Message Available"}),)),
    A.GET_MESSAGE: lay("22.6", response=(
        bit("Inferred Privilege Level", 0, 7, 4, PRIVILEGE), bit("Channel Number", 0, 3, 0, CHANNEL),
        blob("Message Data", 1, REST),
    )),
    # 22.7: the request's message data is an IPMB frame (rsSA, netFn/rsLUN, checksum, rqSA, ... checksum).
    A.SEND_MESSAGE: lay("22.7",
        request=(bit("Tracking", 0, 7, 6, TRACKING), bit("Send Message with Encryption", 0, 5),
                 bit("Send Message with Authentication", 0, 4), bit("Channel Number", 0, 3, 0, CHANNEL),
                 blob("Message Data", 1, REST)),
        response=(blob("Response Data", 0, REST, optional=True),)),
    A.READ_EVENT_MESSAGE_BUFFER: lay("22.8", response=(blob("Message Data", 0, 16),)),
    A.GET_BT_INTERFACE_CAPABILITIES: lay("22.10", response=(
        byte("Number of Outstanding Requests Supported", 0),
        byte("Input (Request) Buffer Message Size", 1), byte("Output (Response) Buffer Message Size", 2),
        byte("BMC Request-to-Response Time", 3),          # seconds
        byte("Recommended Retries", 4),
    )),
    A.GET_SYSTEM_GUID: lay("22.14", response=(blob("GUID", 0, 16),)),
    A.GET_CHANNEL_AUTHENTICATION_CAPABILITIES: lay("22.13",
        request=(bit("Get IPMI v2.0+ Extended Data", 0, 7), bit("Channel Number", 0, 3, 0, CHANNEL),
                 bit("Requested Maximum Privilege Level", 1, 3, 0, PRIVILEGE)),
        response=(
            byte("Channel Number", 0, CHANNEL_NUMBER),    # the channel asked about; 0Eh resolved
            bit("IPMI v2.0+ Extended Capabilities Available", 1, 7),
            flags(1, {b: f"Authentication Type Support: {t}" for b, t in
                      ((5, "OEM Proprietary"), (4, "Straight Password/Key"), (2, "MD5"), (1, "MD2"), (0, "None"))}),
            flags(2, {5: "KG Status", 4: "Per-message Authentication Disabled",
                      3: "User Level Authentication Disabled", 2: "Non-null Usernames Enabled",
                      1: "Null Usernames Enabled", 0: "Anonymous Login Enabled"}),
            flags(3, {1: "IPMI v2.0 Connections Supported", 0: "IPMI v1.5 Connections Supported"}),
            bit("OEM ID", 4, 23, 0, size=3),              # IANA of the OEM authentication type
            byte("OEM Auxiliary Data", 7),
        )),
    # -- chapter 22: sessions (the LAN channel's session layer) -----------------------------------------
    A.GET_CHANNEL_CIPHER_SUITES: lay("22.15",
        request=(bit("Channel Number", 0, 3, 0, CHANNEL), bit("Payload Type", 1, 5, 0, PAYLOAD_TYPE),
                 bit("List Algorithms by Cipher Suite", 2, 7), bit("List Index", 2, 5, 0)),
        response=(byte("Channel Number", 0, CHANNEL_NUMBER),
                  blob("Cipher Suite Record Data", 1, REST, optional=True))),
    A.GET_SESSION_CHALLENGE: lay("22.16",
        request=(bit("Challenge Authentication Type", 0, 3, 0, AUTH_TYPE), blob("User Name", 1, 16)),
        response=(word("Temporary Session ID", 0, 4), blob("Challenge String", 4, 16))),
    A.ACTIVATE_SESSION: lay("22.17",
        request=(bit("Authentication Type for Session", 0, 3, 0, AUTH_TYPE),
                 bit("Maximum Privilege Level", 1, 3, 0, PRIVILEGE), blob("Challenge String", 2, 16),
                 word("Initial Outbound Sequence Number", 18, 4)),
        response=(bit("Authentication Type for Remainder of Session", 0, 3, 0, AUTH_TYPE), word("Session ID", 1, 4),
                  word("Initial Inbound Sequence Number", 5, 4), bit("Maximum Privilege Level", 9, 3, 0, PRIVILEGE))),
    A.SET_SESSION_PRIVILEGE_LEVEL: lay("22.18",
        request=(bit("Requested Privilege Level", 0, 3, 0, {**PRIVILEGE, 0x0: "no change (present level)"}),),
        response=(bit("New Privilege Level", 0, 3, 0, PRIVILEGE),)),
    A.CLOSE_SESSION: lay("22.19",
        request=(word("Session ID", 0, 4), byte("Session Handle", 4, optional=True))),
    A.GET_SESSION_INFO: lay("22.20",
        request=(byte("Session Index", 0, {0x00: "this session", 0xFE: "by handle", 0xFF: "by session ID"}),
                 blob("Session Handle or Session ID", 1, REST, optional=True)),
        response=(byte("Session Handle", 0), bit("Number of Possible Active Sessions", 1, 5, 0),
                  bit("Number of Currently Active Sessions", 2, 5, 0), bit("User ID", 3, 5, 0, optional=True),
                  bit("Operating Privilege Level", 4, 3, 0, PRIVILEGE, optional=True),
                  bit("Session Protocol", 5, 7, 4, {0x0: "IPMI v1.5", 0x1: "IPMI v2.0/RMCP+"}, optional=True),
                  bit("Channel Number", 5, 3, 0, optional=True),
                  blob("Remote Console IP Address", 6, 4, optional=True),
                  blob("Remote Console MAC Address", 10, 6, optional=True),
                  word("Remote Console Port Number", 16, 2, optional=True))),
    A.SET_SYSTEM_INFO_PARAMETERS: lay("22.14a", request=(
        byte("Parameter Selector", 0), blob("Configuration Parameter Data", 1, REST),
    )),
    A.GET_SYSTEM_INFO_PARAMETERS: lay("22.14b",
        request=(bit("Get Parameter Revision Only", 0, 7), byte("Parameter Selector", 1), byte("Set Selector", 2),
                 byte("Block Selector", 3)),
        response=(parameter_revision(), blob("Configuration Parameter Data", 1, REST, optional=True))),

    # -- chapter 22: channels ---------------------------------------------------------------------------
    A.SET_CHANNEL_ACCESS: lay("22.22", request=(
        bit("Channel Number", 0, 3, 0, CHANNEL),
        bit("Access Set", 1, 7, 6, SET_WHICH), bit("PEF Alerting", 1, 5, values=DISABLED_IF_1),
        bit("Per-message Authentication", 1, 4, values=DISABLED_IF_1),
        bit("User Level Authentication", 1, 3, values=DISABLED_IF_1),
        bit("Access Mode", 1, 2, 0, ACCESS_MODE),
        bit("Privilege Level Limit Set", 2, 7, 6, SET_WHICH),
        bit("Channel Privilege Level Limit", 2, 3, 0, PRIVILEGE),
    )),
    A.GET_CHANNEL_ACCESS: lay("22.23",
        request=(bit("Channel Number", 0, 3, 0, CHANNEL), bit("Access Type", 1, 7, 6, GET_WHICH)),
        response=(bit("PEF Alerting", 0, 5, values=DISABLED_IF_1),
                  bit("Per-message Authentication", 0, 4, values=DISABLED_IF_1),
                  bit("User Level Authentication", 0, 3, values=DISABLED_IF_1),
                  bit("Access Mode", 0, 2, 0, ACCESS_MODE),
                  bit("Channel Privilege Level Limit", 1, 3, 0, PRIVILEGE))),
    A.GET_CHANNEL_INFO: lay("22.24",
        request=(bit("Channel Number", 0, 3, 0, CHANNEL),),
        response=(
            bit("Actual Channel Number", 0, 3, 0, CHANNEL_NUMBER),
            bit("Channel Medium Type", 1, 6, 0, MEDIUM),
            bit("Channel Protocol Type", 2, 4, 0, PROTOCOL),
            bit("Session Support", 3, 7, 6, SESSION_SUPPORT), bit("Active Session Count", 3, 5, 0),
            bit("Vendor ID", 4, 23, 0, size=3),           # IANA of the protocol's owner
            blob("Auxiliary Channel Info", 7, 2),        # system interface: SMS and event buffer interrupt types
        )),

    # -- chapter 22: users ------------------------------------------------------------------------------
    A.SET_USER_ACCESS: lay("22.26", request=(
        bit("Enable Change of Bits 6:4", 0, 7), bit("User Restricted to Callback", 0, 6),
        bit("User Link Authentication Enable", 0, 5), bit("User IPMI Messaging Enable", 0, 4),
        bit("Channel Number", 0, 3, 0, CHANNEL),
        bit("User ID", 1, 5, 0),
        bit("User Privilege Limit", 2, 3, 0, {**PRIVILEGE, 0xF: "no access"}),
        bit("User Simultaneous Session Limit", 3, 3, 0, optional=True),
    )),
    A.GET_USER_ACCESS: lay("22.27",
        request=(bit("Channel Number", 0, 3, 0, CHANNEL), bit("User ID", 1, 5, 0)),
        response=(
            bit("Maximum Number of User IDs", 0, 5, 0),
            bit("User ID Enable Status", 1, 7, 6, USER_STATUS), bit("Count of Currently Enabled User IDs", 1, 5, 0),
            bit("Count of User IDs with Fixed Names", 2, 5, 0),
            bit("User Restricted to Callback", 3, 6), bit("User Link Authentication Enabled", 3, 5),
            bit("User IPMI Messaging Enabled", 3, 4),
            bit("User Privilege Limit", 3, 3, 0, {**PRIVILEGE, 0xF: "no access"}),
        )),
    A.SET_USER_NAME: lay("22.28", request=(bit("User ID", 0, 5, 0), blob("User Name String", 1, 16))),
    A.GET_USER_NAME: lay("22.29", request=(bit("User ID", 0, 5, 0),),
                         response=(blob("User Name String", 0, 16),)),
    A.SET_USER_PASSWORD: lay("22.30", request=(
        bit("Password Size", 0, 7, values={0: "16 bytes", 1: "20 bytes"}), bit("User ID", 0, 5, 0),
        bit("Operation", 1, 1, 0, PASSWORD_OPERATION),
        blob("Password Data", 2, REST, optional=True),    # set and test password only
    )),
}
