"""The LAN channel's acceptance against real peers (slow): ipmitool ``-I lan`` / ``-I lanplus -C 3`` / ``-C 17``,
FreeIPMI (``-D LAN`` / ``-D LAN_2_0 -I 3`` / ``-I 17``) and pyghmi against ``ipmilab serve --lan`` as a process,
SOL through a pty, the guest's KCS output and lanplus output of ONE served BMC compared byte for byte, and a
1,000-BMC rack.

Every check has an expected output derived from the default world's state (tests/peers/default_world.py, the
console host's boot log and shell in vserver/console_host.py): exact lines or exact values.
"""

from __future__ import annotations

import difflib
import re
import shlex
import shutil
import time

import pytest

from tests.peers import default_world as world
from tests.peers.guest.qemu_guest import Check, run_guest
from tests.peers.guest.qemu_guest import missing as guest_missing
from tests.peers.lan_serve import (
    FREEIPMI_DRIVERS,
    IFACES,
    LanServe,
    free_udp_block,
    freeipmi,
    ipmitool,
    ipmitool_argv,
    vm_rss_kb,
)
from tests.peers.pty_session import PtySession

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("ipmitool") is None, reason="ipmitool; tests/peers/install.sh installs it"),
]

DEVICE_ID = bytes.fromhex("20 00 00 00 02 8f 00 00 00 00 00")     # Get Device ID's answer (default identity)
DEVICE_ID_RAW = " 20 00 00 00 02 8f 00 00 00 00 00\n"
GUEST_TIMEOUT_S = 180
USER_1 = ("-P", "test")                                          # the null user (User privilege limit)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """One ``serve --lan`` for the module: the default world, its console host running."""
    work = tmp_path_factory.mktemp("lan-peers")
    with LanServe(work, "--state-dir", str(work / "state")) as srv:
        yield srv


def run_ok(port: int, *args: str, iface: str = "lanplus-C17", **kw):
    r = ipmitool(port, *args, iface=iface, **kw)
    assert r.returncode == 0, f"ipmitool {' '.join(args)}: exit {r.returncode}: {r.stderr}"
    return r


# -- 1. ipmitool over lan (MD5), lanplus -C 3 and -C 17 ------------------------------------------------------

@pytest.mark.parametrize("iface", sorted(IFACES))
@pytest.mark.parametrize("args, expect", [
    (("mc", "info"), world.MC_INFO),
    (("sdr", "list"), world.SDR_LIST),
    (("sensor", "list"), world.SENSOR_LIST),
    (("fru", "print"), world.FRU_PRINT),
    # The served address is parameter 3's IP address; the session asking is channel 1's one active session.
    (("lan", "print", "1"), world.LAN_PRINT_1),
    (("channel", "info", "1"), world.CHANNEL_INFO_1),
    (("raw", "6", "1"), DEVICE_ID_RAW),
], ids=["mc-info", "sdr-list", "sensor-list", "fru-print", "lan-print-1", "channel-info-1", "raw-6-1"])
def test_ipmitool_prints(served, iface, args, expect):
    assert run_ok(served.port, *args, iface=iface).stdout == expect


CHASSIS_STATUS = (
    "System Power         : {power}\n"
    "Power Overload       : false\n"
    "Power Interlock      : inactive\n"
    "Main Power Fault     : false\n"
    "Power Control Fault  : false\n"
    "Power Restore Policy : unknown\n"       # policy 3 ("unknown", 28.2): the default world sets none
    "Last Power Event     : {last}\n"      # 28.2 byte 3 bit 4: the last power on came by an IPMI command
    "Chassis Intrusion    : inactive\n"
    "Front-Panel Lockout  : inactive\n"
    "Drive Fault          : false\n"
    "Cooling/Fan Fault    : false\n"
    "Front Panel Control  : none\n"
)


@pytest.mark.parametrize("iface", sorted(IFACES))
def test_chassis_power(served, iface):
    """off, on, cycle, reset: each answered, each reaching the console host (its trace records), and chassis
    status / power status reading the state the host is in."""
    port = served.port
    first = run_ok(port, "chassis", "status", iface=iface).stdout
    # Up at start by the console host's own button (before the trace began): every traced power on is a command's.
    last = "command" if "power-on" in served.host_events() else ""
    assert first == CHASSIS_STATUS.format(power="on", last=last)
    steps = (("off", "Down/Off", ["power-off"], "off"),
             ("on", "Up/On", ["power-on"], "on"),
             ("cycle", "Cycle", ["power-cycle", "power-on"], "on"),     # off, then on after the 1 s interval
             ("reset", "Reset", ["hard-reset"], "on"))
    for verb, said, events, state in steps:
        before = served.host_events()
        assert run_ok(port, "chassis", "power", verb, iface=iface).stdout == f"Chassis Power Control: {said}\n"
        seen = served.wait_host_events(len(before) + len(events))[len(before):]
        assert seen == events, f"power {verb}: the console host did {seen}"
        assert run_ok(port, "chassis", "power", "status", iface=iface).stdout == f"Chassis Power is {state}\n"
        last = "command" if verb in ("on", "cycle") else last
        assert run_ok(port, "chassis", "status", iface=iface).stdout == CHASSIS_STATUS.format(power=state, last=last)


SEL_LINE = re.compile(r"   1 \| \d\d/\d\d/\d\d \| \d\d:\d\d:\d\d UTC \| Temperature #0x30 \| Upper Critical going high "
                      r"\| Asserted\n")


@pytest.mark.parametrize("iface", sorted(IFACES))
def test_sel_list_and_clear(served, iface):
    """ipmitool's sample event 1 (sensor 30h, upper critical going high) is the SEL's one entry; after sel clear
    sel info counts none and the free space is all 2048 bytes again."""
    port = served.port
    run_ok(port, "sel", "clear", iface=iface)
    run_ok(port, "event", "1", iface=iface)
    assert SEL_LINE.fullmatch(run_ok(port, "sel", "list", iface=iface).stdout)
    info = run_ok(port, "sel", "info", iface=iface).stdout
    assert "Entries          : 1\n" in info and "Free Space       : 2032 bytes \n" in info, info
    assert run_ok(port, "sel", "clear", iface=iface).stdout == "Clearing SEL.  Please allow a few seconds to erase.\n"
    info = run_ok(port, "sel", "info", iface=iface).stdout
    assert "Entries          : 0\n" in info and "Free Space       : 2048 bytes \n" in info, info
    assert re.search(r"Last Del Time    : \d\d/\d\d/\d\d \d\d:\d\d:\d\d UTC\n", info), info
    r = run_ok(port, "sel", "list", iface=iface)
    assert (r.stdout, r.stderr) == ("", "SEL has no entries\n")


USER_LIST_1 = (
    "ID  Name\t     Callin  Link Auth\tIPMI Msg   Channel Priv Limit\n"
    "1                    true    true       true       USER\n"
    "2   ipmiusr          true    true       true       ADMINISTRATOR\n"
    + "".join(f"{n:<4}                 true    false      false      NO ACCESS\n" for n in range(3, 16))
)


def test_user_list_and_password(tmp_path):
    """user list 1 on the default users; then user 3 gets a name, a password, IPMI messaging and Administrator on
    channel 1; its password changed, the old one is refused on every transport and the new one logs in."""
    with LanServe(tmp_path, "--state-dir", str(tmp_path / "state"), trace=False) as srv:
        port = srv.port
        assert run_ok(port, "user", "list", "1").stdout == USER_LIST_1
        for args, said in ((("user", "set", "name", "3", "alice"), ""),
                           (("user", "set", "password", "3", "first"), "Set User Password command successful "
                                                                       "(user 3)\n"),
                           (("user", "enable", "3"), ""),
                           (("channel", "setaccess", "1", "3", "ipmi=on", "privilege=4"),
                            "Set User Access (channel 1 id 3) successful.\n")):
            assert run_ok(port, *args).stdout == said
        alice = ("-U", "alice")
        for iface in sorted(IFACES):
            assert run_ok(port, "raw", "6", "1", iface=iface, login=alice + ("-P", "first")).stdout == DEVICE_ID_RAW
        assert run_ok(port, "user", "set", "password", "3", "second").stdout == \
            "Set User Password command successful (user 3)\n"
        for iface in sorted(IFACES):
            old = ipmitool(port, "raw", "6", "1", iface=iface, login=alice + ("-P", "first"))
            assert old.returncode == 1 and old.stdout == "", old.stderr
            assert run_ok(port, "raw", "6", "1", iface=iface, login=alice + ("-P", "second")).stdout == DEVICE_ID_RAW
        assert run_ok(port, "user", "list", "1").stdout.splitlines()[3] == \
            "3   alice            true    false      true       ADMINISTRATOR"      # link auth never set


# ipmitool's words for the spec's answers: Activate Session's completion codes 81h (invalid user name, after Get
# Session Challenge's 81h), 86h (privilege above the limit) and the bad challenge answer (its generic failure);
# RAKP 2's status codes 0Dh (unauthorized name) and 09h (unauthorized role), and its own check of RAKP 2's
# key exchange authentication code, computed with the password it was given (13.20, 13.31).
REFUSED = {
    ("lan", "password"): "Activate Session command failed\n",
    ("lan", "user"): "Invalid user name\n",
    ("lan", "privilege"): "Activate Session error:\tRequested privilege level exceeds limit\n",
    ("lanplus", "password"): "> RAKP 2 HMAC is invalid\n",
    ("lanplus", "user"): "RAKP 2 message indicates an error : unauthorized name\n",
    ("lanplus", "privilege"): "RAKP 2 message indicates an error : unauthorized role requested\n",
}
LOGINS = {"password": ("-U", "ipmiusr", "-P", "wrong"), "user": ("-U", "nobody", "-P", "test"),
          "privilege": USER_1 + ("-L", "ADMINISTRATOR")}
FAILED = {"lan": "Error: Unable to establish LAN session\nError: Unable to establish IPMI v1.5 / RMCP session\n",
          "lanplus": "Error: Unable to establish IPMI v2 / RMCP+ session\n"}


@pytest.mark.parametrize("why", sorted(LOGINS))
@pytest.mark.parametrize("iface", sorted(IFACES))
def test_refused(served, iface, why):
    kind = iface.split("-")[0]
    r = ipmitool(served.port, "-v", "raw", "6", "1", iface=iface, login=LOGINS[why])
    assert (r.returncode, r.stdout) == (1, "")
    lines = [line + "\n" for line in r.stderr.splitlines() if line and not line.startswith((">>", "<<", "Loading"))]
    assert "".join(lines) == REFUSED[(kind, why)] + FAILED[kind], r.stderr
    # The same login at the user's own limit works.
    if why == "privilege":
        assert run_ok(served.port, "raw", "6", "1", iface=iface, login=USER_1 + ("-L", "USER")).stdout == \
            DEVICE_ID_RAW


@pytest.mark.parametrize("iface", ["lanplus-C3", "lanplus-C17"])
def test_sol_activate(served, iface):
    """sol activate on a pty: Enter brings the console host's getty prompt, a login gives its shell, uname -a
    answers with the host's kernel line, exit logs out; a power cycle shows the host's boot log from its first
    byte; ~. ends ipmitool with status 0."""
    from vserver.console_host import BOOT_LOG, HOSTNAME, LOGIN_PROMPT, UNAME_A

    run_ok(served.port, "chassis", "power", "on", iface=iface)
    session = PtySession(ipmitool_argv(served.port, "sol", "activate", iface=iface))
    try:
        session.expect("[SOL Session operational.  Use ~? for help]\r\n", timeout=15)
        deadline = time.monotonic() + 15       # the host may still be booting: Enter until its getty answers
        while True:
            session.send("\r", pause=0.3)
            try:
                session.expect(f"{HOSTNAME} login: ", timeout=1)
                break
            except TimeoutError:
                if time.monotonic() > deadline:
                    raise
        session.send("root\r")
        session.expect("Password: ")
        session.send("test\r")
        session.expect(f"root@{HOSTNAME}:~$ ")
        session.send("uname -a\r")
        got = session.expect(f"{UNAME_A}\r\nroot@{HOSTNAME}:~$ ")
        assert f"Linux {HOSTNAME} 6.1.0-ipmilab x86_64\r\n\r\nroot@{HOSTNAME}:~$ uname -a\r\n{UNAME_A}\r\n" in \
            got.decode("latin-1")
        session.send("exit\r")
        session.expect(f"logout\r\n\r\n{HOSTNAME} login: ")
        # A power cycle from a second session: the port goes quiet, then the whole boot log and getty again.
        at = session.mark()
        assert run_ok(served.port, "chassis", "power", "cycle", iface=iface).stdout == \
            "Chassis Power Control: Cycle\n"
        again = session.expect(LOGIN_PROMPT, timeout=15, since=at).decode("latin-1")
        assert again == "".join(text for _, text in BOOT_LOG) + LOGIN_PROMPT, again
        session.send("~.", pause=0.2)
        session.expect("[terminated ipmitool]")
    finally:
        status = session.wait(timeout=10)
    assert status == 0, session.buffer


# -- 2. FreeIPMI and pyghmi ------------------------------------------------------------------------------------

BMC_INFO_DEVICE_ID = (
    "Device ID             : 32\n"
    "Device Revision       : 0\n"
    "Device SDRs           : unsupported\n"
    "Firmware Revision     : 0.00\n"
    "Device Available      : yes (normal operation)\n"
    "IPMI Version          : 2.0\n"
    + "".join(f"{what:<22}: supported\n" for what in ("Sensor Device", "SDR Repository Device", "SEL Device",
                                                     "FRU Inventory Device"))
    + "".join(f"{what:<22}: unsupported\n" for what in ("IPMB Event Receiver", "IPMB Event Generator", "Bridge"))
    + "Chassis Device        : supported\n"
    "Manufacturer ID       : Reserved (0)\n"
    "Product ID            : 0\n"
)
# The world's GUIDs as FreeIPMI prints them (the wire carries them least significant byte first, 22.14).
DEVICE_GUID = "a2c3f1d0-6b1e-4c7a-9e55-0c0ffee00001"
SYSTEM_GUID = "a2c3f1d0-6b1e-4c7a-9e55-0c0ffee00002"


def _ipmi_sensors_row(rid: int, name: str, kind: str, reading: str, units: str, event: str) -> str:
    return f"{rid:<2} | {name:<12} | {kind:<17} | {reading:<10} | {units:<5} | '{event}'\n"


IPMI_SENSORS = "ID | Name         | Type              | Reading    | Units | Event\n" + "".join(
    _ipmi_sensors_row(*row) for row in (
        (2, "Inlet Temp", "Temperature", "24.00", "C", "OK"), (3, "CPU1 Temp", "Temperature", "45.00", "C", "OK"),
        (4, "CPU2 Temp", "Temperature", "43.00", "C", "OK"), (5, "DIMM A1 Temp", "Temperature", "35.00", "C", "OK"),
        (6, "DIMM B1 Temp", "Temperature", "36.00", "C", "OK"), (7, "FAN1", "Fan", "5400.00", "RPM", "OK"),
        (8, "FAN2", "Fan", "5500.00", "RPM", "OK"), (9, "FAN3", "Fan", "5300.00", "RPM", "OK"),
        (10, "FAN4", "Fan", "5400.00", "RPM", "OK"), (11, "12V", "Voltage", "12.00", "V", "OK"),
        (12, "5V", "Voltage", "5.00", "V", "OK"), (13, "3.3V", "Voltage", "3.30", "V", "OK"),
        (14, "PSU1 Status", "Power Supply", "N/A", "N/A", "Presence detected"),
        (15, "PSU2 Status", "Power Supply", "N/A", "N/A", "Presence detected"),
        (16, "Intrusion", "Physical Security", "N/A", "N/A", "OK"),
        (17, "Watchdog", "Watchdog 2", "N/A", "N/A", "OK")))
IPMI_FRU = (
    "FRU Inventory Device: Default FRU Device (ID 00h)\n"
    "\n"
    "  FRU Chassis Type: Rack Mount Chassis\n"
    "  FRU Chassis Part Number: CHS-1U-0100\n"
    "  FRU Chassis Serial Number: CH0000001\n"
    "\n"
    "  FRU Board Manufacturing Date/Time: 01/15/24 - 08:30:00\n"
    "  FRU Board Manufacturer: ipmilab\n"
    "  FRU Board Product Name: IPL-X1 Server Board\n"
    "  FRU Board Serial Number: BD0000001\n"
    "  FRU Board Part Number: BRD-X1-0200\n"
    "\n"
    "  FRU Product Manufacturer Name: ipmilab\n"
    "  FRU Product Name: IPL-1U Virtual Server\n"
    "  FRU Product Part/Model Number: SRV-1U-0001\n"
    "  FRU Product Version: 1.0\n"
    "  FRU Product Serial Number: SV0000001\n"
    "  FRU Product Asset Tag: LAB-0001\n"
)
IPMI_CHASSIS_STATUS = "".join(f"{name:<36}: {value}\n" for name, value in (
    ("System Power", "{power}"), ("Power overload", "false"), ("Interlock", "inactive"), ("Power fault", "false"),
    ("Power control fault", "false"), ("Power restore policy", "unknown"), ("Last Power Event", "{last}"),
    ("Chassis intrusion", "inactive"), ("Front panel lockout", "inactive"), ("Drive Fault", "false"),
    ("Cooling/fan fault", "false"), ("Power off button", "enabled"), ("Reset button", "enabled"),
    ("Diagnostic Interrupt button", "enabled"), ("Standby button", "enabled"),
    ("Power off button disable", "unallowed"), ("Reset button disable", "unallowed"),
    ("Diagnostic interrupt button disable", "unallowed"), ("Standby button disable", "unallowed"),
)) + "\n"
IPMI_SEL_HEAD = "ID | Date        | Time     | Name         | Type              | Event\n"
IPMI_SEL_EVENT_1 = re.compile(r"1  \| [A-Z][a-z]{2}-\d\d-\d{4} \| \d\d:\d\d:\d\d \| Sensor #48   \| Temperature       "
                              r"\| Upper Critical - going high\n")


def _freeipmi_ok(tool: str, port: int, *args: str, driver: str) -> str:
    r = freeipmi(tool, port, *args, driver=driver)
    assert r.returncode == 0, f"{tool} {' '.join(args)} ({driver}): exit {r.returncode}: {r.stderr}"
    return r.stdout


@pytest.mark.skipif(shutil.which("ipmi-sensors") is None, reason="FreeIPMI; tests/peers/install.sh installs it")
@pytest.mark.parametrize("driver", sorted(FREEIPMI_DRIVERS))
def test_freeipmi(tmp_path, driver):
    """bmc-info, ipmi-sensors, ipmi-sel, ipmi-fru and ipmi-chassis on a fresh served BMC.  (bmc-info's full
    listing is not compared: FreeIPMI 1.6.10 prints its channel table from an uninitialised array past the
    channels that answered, different bytes on every run, whatever the BMC says.)"""
    cache = ("--sdr-cache-directory", str(tmp_path), "--quiet-cache")
    with LanServe(tmp_path) as srv:
        port = srv.port
        assert _freeipmi_ok("bmc-info", port, "--get-device-id", driver=driver) == BMC_INFO_DEVICE_ID
        assert _freeipmi_ok("bmc-info", port, "--get-device-guid", driver=driver) == DEVICE_GUID + "\n"
        assert _freeipmi_ok("bmc-info", port, "--get-system-guid", driver=driver) == SYSTEM_GUID + "\n"
        assert _freeipmi_ok("ipmi-sensors", port, *cache, driver=driver) == IPMI_SENSORS
        assert _freeipmi_ok("ipmi-fru", port, *cache, driver=driver) == IPMI_FRU
        # Up at start by the console host's own button, not by a command (28.2 byte 3 bit 4).
        assert _freeipmi_ok("ipmi-chassis", port, "--get-chassis-status", driver=driver) == \
            IPMI_CHASSIS_STATUS.format(power="on", last="unknown")
        assert _freeipmi_ok("ipmi-sel", port, *cache, driver=driver) == ""     # an empty SEL: no table at all
        run_ok(port, "event", "1")
        out = _freeipmi_ok("ipmi-sel", port, *cache, driver=driver)
        assert out.startswith(IPMI_SEL_HEAD) and IPMI_SEL_EVENT_1.fullmatch(out[len(IPMI_SEL_HEAD):]), out
        _freeipmi_ok("ipmi-chassis", port, "--chassis-control=POWER-DOWN", driver=driver)
        assert srv.wait_host_events(1) == ["power-off"]
        assert _freeipmi_ok("ipmi-chassis", port, "--get-chassis-status", driver=driver) == \
            IPMI_CHASSIS_STATUS.format(power="off", last="unknown")


# pyghmi's names for the default world's sensors: (name, value, units, health, states).
PYGHMI_SENSORS = [
    ("Inlet Temp", 24.0, "°C"), ("CPU1 Temp", 45.0, "°C"), ("CPU2 Temp", 43.0, "°C"), ("DIMM A1 Temp", 35.0, "°C"),
    ("DIMM B1 Temp", 36.0, "°C"), ("FAN1", 5400.0, "RPM"), ("FAN2", 5500.0, "RPM"), ("FAN3", 5300.0, "RPM"),
    ("FAN4", 5400.0, "RPM"), ("12V", 12.0, "V"), ("5V", 5.0, "V"), ("3.3V", 3.3, "V"),
]
PYGHMI_DISCRETE = [("PSU1 Status", ["Present"]), ("PSU2 Status", ["Present"]), ("Intrusion", []), ("Watchdog", [])]
PYGHMI_FRU = {
    "Chassis type": "Rack Mount Chassis", "Chassis part number": "CHS-1U-0100", "Chassis serial number": "CH0000001",
    "Board manufacture date": "2024-01-15T08:30", "Board manufacturer": "ipmilab",
    "Board product name": "IPL-X1 Server Board", "Board serial number": "BD0000001", "Board model": "BRD-X1-0200",
    "Manufacturer": "ipmilab", "Product name": "IPL-1U Virtual Server", "Model": "SRV-1U-0001",
    "Hardware Version": "1.0", "Serial Number": "SV0000001", "Asset Number": "LAB-0001",
    "firmware_version": "0.00", "Device ID": 32, "Device Revision": 0, "Manufacturer ID": 0, "Product ID": 0,
    # Get System GUID's 16 bytes as pyghmi reads them (the first 8 as little-endian fields, the last 8 big).
    "UUID": "FEE00002-0C0F-9E55-7A4C-1E6BD0F1C3A2",
}


def test_pyghmi(tmp_path):
    """pyghmi's Command on a fresh served BMC: power, sensors, health, FRU inventory, SEL, a raw Get Device ID."""
    command = pytest.importorskip("pyghmi.ipmi.command")
    with LanServe(tmp_path) as srv:
        ipmi = command.Command(bmc="127.0.0.1", userid="ipmiusr", password="test", port=srv.port)
        try:
            raw = ipmi.raw_command(6, 1)
            assert (raw["netfn"], raw["command"], raw["code"], bytes(raw["data"])) == (7, 1, 0, DEVICE_ID)
            assert ipmi.get_power() == {"powerstate": "on"}
            assert ipmi.set_power("off", wait=10) == {"powerstate": "off"}
            assert ipmi.get_power() == {"powerstate": "off"}
            assert ipmi.set_power("on", wait=10) == {"powerstate": "on"}
            assert srv.wait_host_events(2) == ["power-off", "power-on"]
            readings = list(ipmi.get_sensor_data())
            assert [(r.name, r.value, r.units, r.health) for r in readings[:12]] == \
                [(name, value, units, 0) for name, value, units in PYGHMI_SENSORS]
            assert [(r.name, r.value, r.states) for r in readings[12:]] == \
                [(name, None, states) for name, states in PYGHMI_DISCRETE]
            assert ipmi.get_health() == {"badreadings": [], "health": 0}
            inventory = dict(ipmi.get_inventory())
            assert list(inventory) == ["System"]
            assert {k: inventory["System"][k] for k in PYGHMI_FRU} == PYGHMI_FRU
            assert list(ipmi.get_event_log()) == []
            run_ok(srv.port, "event", "1")
            (entry,) = ipmi.get_event_log()
            assert {k: entry[k] for k in ("record_id", "component_type", "event", "deassertion", "event_id")} == \
                {"record_id": 1, "component_type": "Temperature", "event": "Upper critical", "deassertion": False,
                 "event_id": "1.9"}
        finally:
            ipmi.ipmi_session.logout()


# -- 4. a rack of 1,000 BMCs -------------------------------------------------------------------------------------

RACK = 1000
GUID_LINE = re.compile(r"System GUID\s+: ([0-9a-f-]{36})\n")


def _rack_guids(port: int) -> tuple[str, str]:
    """(Get Device GUID, Get System GUID) of the BMC on ``port``, as ipmitool's mc guid and raw 6 37h print."""
    device = run_ok(port, "raw", "6", "0x08").stdout.split()
    m = GUID_LINE.search(run_ok(port, "mc", "guid").stdout)
    assert m, f"mc guid on port {port} printed no System GUID"
    return "".join(device), m.group(1)


def test_rack_of_1000(tmp_path):
    """serve --lan --count 1000 on a probed block of free ports; the first, a middle and the last BMC each answer
    ipmitool lanplus -C 17 with their own GUIDs.  Prints the start-up time and the memory each BMC costs."""
    with LanServe(tmp_path / "one", "--state-dir", str(tmp_path / "one"), lan="127.0.0.1:0", trace=False) as one:
        baseline_kb = vm_rss_kb(one.pid)
        assert run_ok(one.port, "raw", "6", "1").stdout == DEVICE_ID_RAW
    for attempt in range(3):       # another program may take a port of the probed block before serve binds it
        first = free_udp_block(RACK, start=20000 + attempt * 5000)
        state = tmp_path / f"rack{attempt}"
        state.mkdir()
        rack = LanServe(tmp_path, "--count", str(RACK), "--state-dir", str(state), lan=f"127.0.0.1:{first}",
                        trace=False, start_timeout=120)
        try:
            rack.start()
            break
        except RuntimeError:
            if attempt == 2 or not any("Address already in use" in line for line in rack.log):
                raise
    with rack:
        assert rack.ports == list(range(first, first + RACK)), rack.log
        rack_kb = vm_rss_kb(rack.pid)
        picked = (rack.ports[0], rack.ports[RACK // 2], rack.ports[-1])
        guids = [_rack_guids(p) for p in picked]
        for p in picked:
            assert run_ok(p, "raw", "6", "1").stdout == DEVICE_ID_RAW
    assert len({d for d, _ in guids}) == 3 and len({s for _, s in guids}) == 3, guids
    assert len({d for d, _ in guids} | {s for _, s in guids}) == 6, guids
    per_bmc_kb = (rack_kb - baseline_kb) / (RACK - 1)
    print(f"\n{RACK} BMCs: listening {rack.started_s:.1f} s after start; VmRSS {rack_kb} kB "
          f"(one BMC: {baseline_kb} kB) -> {per_bmc_kb:.1f} kB per further BMC")
    assert rack.started_s < 90 and per_bmc_kb < 2048, (rack.started_s, per_bmc_kb)


# -- 3. one BMC behind KCS (a QEMU guest's ipmitool) and LAN (the host's ipmitool lanplus -C 17) -----------------

SAME_BOTH_WAYS = ("sdr list", "sensor list", "sel list", "fru print")


@pytest.mark.skipif(guest_missing() is not None, reason=f"{guest_missing()}; tests/peers/install.sh installs it")
def test_kcs_and_lanplus_print_the_same(tmp_path):
    """ONE ``serve --vm --lan`` process: a Debian guest's ipmitool over KCS and the host's ipmitool over lanplus
    -C 17 print byte-identical stdout and stderr for sdr list, sensor list, sel list and fru print.  Nothing is
    masked: the default world's readings are constant, and the SEL's one entry (ipmitool's sample event 1, sent
    over the LAN before the guest boots) is the same record with the same timestamp on both channels."""
    checks = tuple(Check(f"c{i}", cmd, exact=True) for i, cmd in enumerate(SAME_BOTH_WAYS))
    with LanServe(tmp_path, "--vm", "127.0.0.1:0", "--interface", "kcs", "--state-dir", str(tmp_path / "state"),
                  trace=False) as srv:
        run_ok(srv.port, "event", "1")
        run = run_guest("isa-ipmi-kcs", srv.vm_port, tmp_path / "guest", timeout=GUEST_TIMEOUT_S, checks=checks)
        print("\n" + run.summary().splitlines()[0])
        assert run.bound, "the guest's driver never bound\n" + "\n".join(run.console[-40:])
        lan = {cmd: ipmitool(srv.port, *shlex.split(cmd)) for cmd in SAME_BOTH_WAYS}
    for i, cmd in enumerate(SAME_BOTH_WAYS):
        kcs = run.checks[f"c{i}"]
        assert kcs.stdout is not None, f"the guest never ran {cmd!r}"
        theirs = (kcs.rc, kcs.stdout.decode("latin-1"), kcs.stderr.decode("latin-1"))
        ours = (lan[cmd].returncode, lan[cmd].stdout, lan[cmd].stderr)
        assert ours == theirs, f"{cmd}: lanplus and KCS differ:\n" + "".join(difflib.unified_diff(
            theirs[1].splitlines(keepends=True), ours[1].splitlines(keepends=True), "kcs", "lanplus"))
    # And both are the world's: its SDRs, its FRU, the one event.
    assert (lan["sdr list"].stdout, lan["fru print"].stdout) == (world.SDR_LIST, world.FRU_PRINT)
    assert SEL_LINE.fullmatch(lan["sel list"].stdout), lan["sel list"].stdout
