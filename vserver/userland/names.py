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
