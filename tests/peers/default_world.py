"""What the real LAN clients print for the default world (the default server, ``ipmilab serve --lan`` with no
--config): its identity (Get Device ID 20h/00h/0.00, IPMI 2.0, additional support 8Fh), its sixteen sensors at
their configured nominal readings and thresholds, its FRU 0 and channel 1's LAN parameters.  Each text is the
program's own layout for these values (ipmitool 1.8.19).
"""

from __future__ import annotations

MC_INFO = (
    'Device ID                 : 32\n'
    'Device Revision           : 0\n'
    'Firmware Revision         : 0.00\n'
    'IPMI Version              : 2.0\n'
    'Manufacturer ID           : 0\n'
    'Manufacturer Name         : Unknown\n'
    'Product ID                : 0 (0x0000)\n'
    'Product Name              : Unknown (0x00)\n'
    'Device Available          : yes\n'
    'Provides Device SDRs      : no\n'
    'Additional Device Support :\n'
    '    Sensor Device\n'
    '    SDR Repository Device\n'
    '    SEL Device\n'
    '    FRU Inventory Device\n'
    '    Chassis Device\n'
)

SDR_LIST = (
    'Inlet Temp       | 24 degrees C      | ok\n'
    'CPU1 Temp        | 45 degrees C      | ok\n'
    'CPU2 Temp        | 43 degrees C      | ok\n'
    'DIMM A1 Temp     | 35 degrees C      | ok\n'
    'DIMM B1 Temp     | 36 degrees C      | ok\n'
    'FAN1             | 5400 RPM          | ok\n'
    'FAN2             | 5500 RPM          | ok\n'
    'FAN3             | 5300 RPM          | ok\n'
    'FAN4             | 5400 RPM          | ok\n'
    '12V              | 12 Volts          | ok\n'
    '5V               | 5 Volts           | ok\n'
    '3.3V             | 3.30 Volts        | ok\n'
    'PSU1 Status      | 0x01              | ok\n'
    'PSU2 Status      | 0x01              | ok\n'
    'Intrusion        | 0x00              | ok\n'
    'Watchdog         | 0x00              | ok\n'
)


# ipmitool sensor list: "%-16s | %-10s | %-10s | %-6s| " then six thresholds (lnr lcr lnc unc ucr unr) "%-10s| ".
def _sensor_row(name: str, reading: str, unit: str, status: str, *thresholds: str) -> str:
    return f"{name:<16} | {reading:<10} | {unit:<10} | {status:<6}| " + "| ".join(f"{t:<10}" for t in thresholds) + "\n"


_NA3 = ("na", "na", "na")
SENSOR_LIST = "".join((
    _sensor_row("Inlet Temp", "24.000", "degrees C", "ok", "na", "0.000", "5.000", "40.000", "45.000", "50.000"),
    _sensor_row("CPU1 Temp", "45.000", "degrees C", "ok", *_NA3, "85.000", "90.000", "95.000"),
    _sensor_row("CPU2 Temp", "43.000", "degrees C", "ok", *_NA3, "85.000", "90.000", "95.000"),
    _sensor_row("DIMM A1 Temp", "35.000", "degrees C", "ok", *_NA3, "80.000", "85.000", "90.000"),
    _sensor_row("DIMM B1 Temp", "36.000", "degrees C", "ok", *_NA3, "80.000", "85.000", "90.000"),
    *(_sensor_row(f"FAN{n}", rpm, "RPM", "ok", "300.000", "500.000", "800.000", *_NA3)
      for n, rpm in ((1, "5400.000"), (2, "5500.000"), (3, "5300.000"), (4, "5400.000"))),
    _sensor_row("12V", "12.000", "Volts", "ok", "10.200", "10.800", "11.400", "12.600", "13.200", "13.800"),
    _sensor_row("5V", "5.000", "Volts", "ok", "4.250", "4.500", "4.750", "5.250", "5.500", "5.750"),
    _sensor_row("3.3V", "3.300", "Volts", "ok", "2.800", "2.970", "3.140", "3.460", "3.630", "3.800"),
    _sensor_row("PSU1 Status", "0x1", "discrete", "0x0100", *_NA3, *_NA3),
    _sensor_row("PSU2 Status", "0x1", "discrete", "0x0100", *_NA3, *_NA3),
    _sensor_row("Intrusion", "0x0", "discrete", "0x0000", *_NA3, *_NA3),
    _sensor_row("Watchdog", "0x0", "discrete", "0x0000", *_NA3, *_NA3),
))

FRU_PRINT = (
    'FRU Device Description : Builtin FRU Device (ID 0)\n'
    ' Chassis Type          : Rack Mount Chassis\n'
    ' Chassis Part Number   : CHS-1U-0100\n'
    ' Chassis Serial        : CH0000001\n'
    ' Board Mfg Date        : Mon Jan 15 08:30:00 2024 UTC\n'
    ' Board Mfg             : ipmilab\n'
    ' Board Product         : IPL-X1 Server Board\n'
    ' Board Serial          : BD0000001\n'
    ' Board Part Number     : BRD-X1-0200\n'
    ' Product Manufacturer  : ipmilab\n'
    ' Product Name          : IPL-1U Virtual Server\n'
    ' Product Part Number   : SRV-1U-0001\n'
    ' Product Version       : 1.0\n'
    ' Product Serial        : SV0000001\n'
    ' Product Asset Tag     : LAB-0001\n'
    '\n'
)

LAN_PRINT_1 = (
    'Set in Progress         : Set Complete\n'
    'Auth Type Support       : NONE MD5 PASSWORD \n'
    'Auth Type Enable        : Callback : NONE MD5 PASSWORD \n'
    '                        : User     : NONE MD5 PASSWORD \n'
    '                        : Operator : NONE MD5 PASSWORD \n'
    '                        : Admin    : NONE MD5 PASSWORD \n'
    '                        : OEM      : NONE MD5 PASSWORD \n'
    'IP Address Source       : Static Address\n'
    'IP Address              : 127.0.0.1\n'
    'Subnet Mask             : 255.0.0.0\n'
    'MAC Address             : 02:18:c5:11:0a:72\n'
    'SNMP Community String   : public\n'
    'IP Header               : TTL=0x40 Flags=0x40 Precedence=0x00 TOS=0x10\n'
    'BMC ARP Control         : ARP Responses Enabled, Gratuitous ARP Disabled\n'
    'Gratituous ARP Intrvl   : 2.0 seconds\n'
    'Default Gateway IP      : 0.0.0.0\n'
    'Default Gateway MAC     : 00:00:00:00:00:00\n'
    'Backup Gateway IP       : 0.0.0.0\n'
    'Backup Gateway MAC      : 00:00:00:00:00:00\n'
    '802.1q VLAN ID          : Disabled\n'
    '802.1q VLAN Priority    : 0\n'
    'RMCP+ Cipher Suites     : 0,1,2,3,15,16,17\n'
    'Cipher Suite Priv Max   : aaaaaaaXXXXXXXX\n'
    '                        :     X=Cipher Suite Unused\n'
    '                        :     c=CALLBACK\n'
    '                        :     u=USER\n'
    '                        :     o=OPERATOR\n'
    '                        :     a=ADMIN\n'
    '                        :     O=OEM\n'
    'Bad Password Threshold  : 0\n'
    'Invalid password disable: no\n'
    'Attempt Count Reset Int.: 0\n'
    'User Lockout Interval   : 0\n'
)

CHANNEL_INFO_1 = (
    'Channel 0x1 info:\n'
    '  Channel Medium Type   : 802.3 LAN\n'
    '  Channel Protocol Type : IPMB-1.0\n'
    '  Session Support       : multi-session\n'
    '  Active Session Count  : 1\n'
    '  Protocol Vendor ID    : 7154\n'
    '  Volatile(active) Settings\n'
    '    Alerting            : disabled\n'
    '    Per-message Auth    : disabled\n'
    '    User Level Auth     : disabled\n'
    '    Access Mode         : always available\n'
    '  Non-Volatile Settings\n'
    '    Alerting            : disabled\n'
    '    Per-message Auth    : disabled\n'
    '    User Level Auth     : disabled\n'
    '    Access Mode         : always available\n'
)
