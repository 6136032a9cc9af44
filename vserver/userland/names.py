"""Names a management tool prints for the numbers in SDRs and SEL records (IPMI 2.0 chapters 42, 43).

Spelled as ``ipmitool`` prints them, so output can be compared with the real
tool's.  Only the host side reads these; the BMC stores numbers.
"""

from __future__ import annotations

# Sensor type codes (Table 42-3).
SENSOR_TYPES = {
    0x01: "Temperature", 0x02: "Voltage", 0x03: "Current", 0x04: "Fan", 0x05: "Physical Security",
    0x06: "Platform Security", 0x07: "Processor", 0x08: "Power Supply", 0x09: "Power Unit",
    0x0A: "Cooling Device", 0x0B: "Other", 0x0C: "Memory", 0x0D: "Drive Slot / Bay",
    0x0E: "POST Memory Resize", 0x0F: "System Firmwares", 0x10: "Event Logging Disabled", 0x11: "Watchdog1",
    0x12: "System Event", 0x13: "Critical Interrupt", 0x14: "Button", 0x15: "Module / Board",
    0x16: "Microcontroller", 0x17: "Add-in Card", 0x18: "Chassis", 0x19: "Chip Set", 0x1A: "Other FRU",
    0x1B: "Cable / Interconnect", 0x1C: "Terminator", 0x1D: "System Boot Initiated", 0x1E: "Boot Error",
    0x1F: "OS Boot", 0x20: "OS Critical Stop", 0x21: "Slot / Connector", 0x22: "System ACPI Power State",
    0x23: "Watchdog2", 0x24: "Platform Alert", 0x25: "Entity Presence", 0x26: "Monitor ASIC",
    0x27: "LAN", 0x28: "Management Subsys Health", 0x29: "Battery", 0x2A: "Session Audit",
    0x2B: "Version Change", 0x2C: "FRU State",
}

# Sensor unit type codes (Table 43-15), index = code.
UNITS = (
    "unspecified", "degrees C", "degrees F", "degrees K", "Volts", "Amps", "Watts", "Joules", "Coulombs", "VA",
    "Nits", "lumen", "lux", "Candela", "kPa", "PSI", "Newton", "CFM", "RPM", "Hz", "microsecond", "millisecond",
    "second", "minute", "hour", "day", "week", "mil", "inches", "feet", "cu in", "cu feet", "mm", "cm", "m",
    "cu cm", "cu m", "liters", "fluid ounce", "radians", "steradians", "revolutions", "cycles", "gravities",
    "ounce", "pound", "ft-lb", "oz-in", "gauss", "gilberts", "henry", "millihenry", "farad", "microfarad", "ohms",
    "siemens", "mole", "becquerel", "PPM", "reserved", "Decibels", "DbA", "DbC", "gray", "sievert",
    "color temp deg K", "bit", "kilobit", "megabit", "gigabit", "byte", "kilobyte", "megabyte", "gigabyte",
    "word", "dword", "qword", "line", "hit", "miss", "retry", "reset", "overflow", "underrun", "collision",
    "packets", "messages", "characters", "error", "correctable error", "uncorrectable error", "fatal error",
    "grams",
)

# Sensor Units 1 bits 5:3: the rate unit appended to the base unit.
RATE_UNITS = ("", " per us", " per ms", " per s", " per minute", " per hour", " per day", "")

# Threshold event offsets (Table 42-2, event/reading type 01h).
THRESHOLD_EVENTS = (
    "Lower Non-critical going low", "Lower Non-critical going high", "Lower Critical going low",
    "Lower Critical going high", "Lower Non-recoverable going low", "Lower Non-recoverable going high",
    "Upper Non-critical going low", "Upper Non-critical going high", "Upper Critical going low",
    "Upper Critical going high", "Upper Non-recoverable going low", "Upper Non-recoverable going high",
)

# Generic discrete event/reading types 02h-0Ch (Table 42-2), by offset.
GENERIC_EVENTS = {
    0x02: ("Transition to Idle", "Transition to Active", "Transition to Busy"),
    0x03: ("State Deasserted", "State Asserted"),
    0x04: ("Predictive Failure Deasserted", "Predictive Failure Asserted"),
    0x05: ("Limit Not Exceeded", "Limit Exceeded"),
    0x06: ("Performance Met", "Performance Lags"),
    0x07: ("Transition to OK", "Transition to Non-critical from OK", "Transition to Critical from less severe",
           "Transition to Non-recoverable from less severe", "Transition to Non-critical from more severe",
           "Transition to Critical from Non-recoverable", "Transition to Non-recoverable", "Monitor",
           "Informational"),
    0x08: ("Device Absent", "Device Present"),
    0x09: ("Device Disabled", "Device Enabled"),
    0x0A: ("Transition to Running", "Transition to In Test", "Transition to Power Off",
           "Transition to On Line", "Transition to Off Line", "Transition to Off Duty", "Transition to Degraded",
           "Transition to Power Save", "Install Error"),
    0x0B: ("Fully Redundant", "Redundancy Lost", "Redundancy Degraded",
           "Non-Redundant: Sufficient from Redundant", "Non-Redundant: Sufficient from Insufficient",
           "Non-Redundant: Insufficient Resources", "Redundancy Degraded from Fully Redundant",
           "Redundancy Degraded from Non-Redundant"),
    0x0C: ("D0 Power State", "D1 Power State", "D2 Power State", "D3 Power State"),
}

# Sensor-specific offsets (event/reading type 6Fh, Table 42-3) for the sensor types servers report most.
SENSOR_SPECIFIC_EVENTS = {
    0x05: ("General Chassis intrusion", "Drive Bay intrusion", "I/O Card area intrusion",
           "Processor area intrusion", "System unplugged from LAN", "Unauthorized dock", "FAN area intrusion"),
    0x07: ("IERR", "Thermal Trip", "FRB1/BIST failure", "FRB2/Hang in POST failure", "FRB3/Processor startup/init "
           "failure", "Configuration Error", "SM BIOS Uncorrectable CPU-complex Error", "Presence detected",
           "Disabled", "Terminator presence detected", "Throttled", "Uncorrectable machine check exception",
           "Correctable machine check error"),
    0x08: ("Presence detected", "Failure detected", "Predictive failure", "Power Supply AC lost",
           "AC lost or out-of-range", "AC out-of-range, but present", "Config Error", "Power Supply Inactive"),
    0x09: ("Power off/down", "Power cycle", "240VA power down", "Interlock power down", "AC lost",
           "Soft-power control failure", "Failure detected", "Predictive failure"),
    0x0C: ("Correctable ECC", "Uncorrectable ECC", "Parity", "Memory Scrub Failed", "Memory Device Disabled",
           "Correctable ECC logging limit reached", "Presence Detected", "Configuration Error", "Spare",
           "Throttled", "Critical Overtemperature"),
    0x10: ("Correctable memory error logging disabled", "Event logging disabled", "Log area reset/cleared",
           "All event logging disabled", "Log full", "Log almost full"),
    0x11: ("BIOS Reset", "OS Reset", "OS Shut Down", "OS Power Down", "OS Power Cycle", "OS NMI/Diag Interrupt",
           "OS Expired", "OS pre-timeout Interrupt"),
    0x12: ("System Reconfigured", "OEM System boot event", "Undetermined system hardware failure",
           "Entry added to auxiliary log", "PEF Action", "Timestamp Clock Sync"),
    0x14: ("Power Button pressed", "Sleep Button pressed", "Reset Button pressed", "FRU latch open",
           "FRU service request button"),
    0x1D: ("Initiated by power up", "Initiated by hard reset", "Initiated by warm reset", "User requested PXE boot",
           "Automatic boot to diagnostic", "OS initiated hard reset", "OS initiated warm reset",
           "System Restart"),
    0x23: ("Timer expired, status only", "Hard reset", "Power down", "Power cycle", "reserved", "reserved",
           "reserved", "reserved", "Timer interrupt"),
    0x25: ("Present", "Absent", "Disabled"),
    0x29: ("Low", "Failed", "Presence Detected"),
}

# SEL record types other than 02h (system event), section 32.
SEL_RECORD_KINDS = {0x02: "System Event"}

# Entity ID codes (Table 43-13), the ones a server's SDRs use.
ENTITIES = {
    0x03: "Processor", 0x07: "System Board", 0x0A: "Power Supply", 0x0B: "Add-in Card", 0x13: "Power Unit",
    0x14: "Power Module", 0x15: "Power Management", 0x17: "System Chassis", 0x1D: "Fan Device",
    0x1E: "Cooling Unit", 0x20: "Memory Device", 0x23: "System Management Software", 0x2E: "Baseboard Mgmt Ctrl",
    0x37: "Air Inlet", 0x40: "Air Inlet", 0x41: "Processor", 0x42: "Baseboard",
}

# FRU chassis type byte (SMBIOS System Enclosure types, as the FRU spec references them).
CHASSIS_TYPES = (
    "Unspecified", "Other", "Unknown", "Desktop", "Low Profile Desktop", "Pizza Box", "Mini Tower", "Tower",
    "Portable", "LapTop", "Notebook", "Hand Held", "Docking Station", "All in One", "Sub Notebook",
    "Space-saving", "Lunch Box", "Main Server Chassis", "Expansion Chassis", "SubChassis", "Bus Expansion Chassis",
    "Peripheral Chassis", "RAID Chassis", "Rack Mount Chassis", "Sealed-case PC", "Multi-system Chassis",
    "Compact PCI", "Advanced TCA", "Blade", "Blade Enclosure", "Tablet", "Convertible", "Detachable",
    "IoT Gateway", "Embedded PC", "Mini PC", "Stick PC",
)


def sensor_type_name(code: int) -> str:
    if 0xC0 <= code <= 0xFF:
        return "OEM reserved"
    return SENSOR_TYPES.get(code, f"Unknown (0x{code:02X})")


def unit_name(code: int) -> str:
    return UNITS[code] if code < len(UNITS) else f"unit 0x{code:02X}"


def event_description(sensor_type: int, reading_type: int, offset: int) -> str:
    """The offset's meaning for its event/reading type, as ``ipmitool sel list`` prints it."""
    if reading_type == 0x01:
        table = THRESHOLD_EVENTS
    elif reading_type == 0x6F:
        table = SENSOR_SPECIFIC_EVENTS.get(sensor_type, ())
    else:
        table = GENERIC_EVENTS.get(reading_type, ())
    if offset < len(table):
        return table[offset]
    if 0x70 <= reading_type <= 0x7F:
        return f"OEM event offset 0x{offset:02X}"
    return f"Event offset 0x{offset:02X}"
