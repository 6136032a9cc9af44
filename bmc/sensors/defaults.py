"""The sensors of the default server: what a world without a configuration puts on its BMC.

A two-socket 1U server: inlet, CPU and DIMM temperatures, four fans, the
12 V / 5 V / 3.3 V rails, two power supplies' status, chassis intrusion and
the Watchdog 2 sensor the BMC's watchdog logs against (QEMU's built-in
record, at the watchdog's sensor number).  Readings are constants chosen
so that the factors represent them exactly: a host tool converts them
back to the very numbers below.  The SDR repository also gets a
Management Controller Device Locator for the BMC itself.
"""

from __future__ import annotations

from .conversion import Linear
from .discrete import DiscreteSensor
from .models import Constant
from .sdr import CompactSensorRecord, McDeviceLocator
from .threshold import ThresholdSensor

# Sensor types (Table 42-3), unit codes (Table 43-15), entity ids (Table 43-13).
TEMPERATURE, VOLTAGE, FAN, PHYSICAL_SECURITY, POWER_SUPPLY, WATCHDOG_2 = 0x01, 0x02, 0x04, 0x05, 0x08, 0x23
DEGREES_C, VOLTS, RPM = 1, 4, 18
PROCESSOR, SYSTEM_BOARD, POWER_SUPPLY_ENTITY, SYSTEM_CHASSIS = 0x03, 0x07, 0x0A, 0x17
FAN_DEVICE, MEMORY_DEVICE, MGMT_SOFTWARE, AIR_INLET, MGMT_MODULE = 0x1D, 0x20, 0x23, 0x37, 0x06

# Sensor-specific offsets used below (Table 42-3).
PSU_PRESENCE = 0x0001                  # Power Supply offset 0: presence detected
PSU_OFFSETS = 0x000F                   # presence, failure, predictive failure, input lost
INTRUSION_GENERAL = 0x0001             # Physical Security offset 0: general chassis intrusion
WATCHDOG_OFFSETS = 0x010F              # Watchdog 2: expired, hard reset, power down, power cycle, timer interrupt

TEMP = Linear()                                   # 1 degree C per count, 0..255
FAN_RPM = Linear.fit(0, 25500, resolution=100)    # 100 RPM per count
RAIL_12V = Linear.fit(8, 20.75, resolution=0.05)
RAIL_5V = Linear.fit(4, 6.55, resolution=0.01)
RAIL_3V3 = Linear.fit(2, 4.55, resolution=0.01)

HYST_TEMP = (2, 2)

# (number, name, entity, instance, reading, thresholds)
TEMPERATURES = (
    (0x01, "Inlet Temp", AIR_INLET, 1, 24, {"lnc": 5, "lcr": 0, "unc": 40, "ucr": 45, "unr": 50}),
    (0x02, "CPU1 Temp", PROCESSOR, 1, 45, {"unc": 85, "ucr": 90, "unr": 95}),
    (0x03, "CPU2 Temp", PROCESSOR, 2, 43, {"unc": 85, "ucr": 90, "unr": 95}),
    (0x04, "DIMM A1 Temp", MEMORY_DEVICE, 1, 35, {"unc": 80, "ucr": 85, "unr": 90}),
    (0x05, "DIMM B1 Temp", MEMORY_DEVICE, 2, 36, {"unc": 80, "ucr": 85, "unr": 90}),
)
FANS = tuple((0x10 + i, f"FAN{i + 1}", FAN_DEVICE, i + 1, rpm) for i, rpm in enumerate((5400, 5500, 5300, 5400)))
FAN_THRESHOLDS = {"lnr": 300, "lcr": 500, "lnc": 800}
RAILS = (
    (0x20, "12V", RAIL_12V, 12, {"lnr": 10.2, "lcr": 10.8, "lnc": 11.4, "unc": 12.6, "ucr": 13.2, "unr": 13.8}),
    (0x21, "5V", RAIL_5V, 5, {"lnr": 4.25, "lcr": 4.5, "lnc": 4.75, "unc": 5.25, "ucr": 5.5, "unr": 5.75}),
    (0x22, "3.3V", RAIL_3V3, 3.3, {"lnr": 2.8, "lcr": 2.97, "lnc": 3.14, "unc": 3.46, "ucr": 3.63, "unr": 3.8}),
)


def default_sensors(watchdog_number: int = 0x00) -> list:
    """Fresh sensor objects of the default server (each BMC needs its own)."""
    out: list = []
    for number, name, entity, inst, value, th in TEMPERATURES:
        out.append(ThresholdSensor(number, name, sensor_type=TEMPERATURE, units=DEGREES_C, model=Constant(value),
                                   linear=TEMP, thresholds=th, hysteresis=HYST_TEMP, entity_id=entity,
                                   entity_instance=inst, nominal=value))
    for number, name, entity, inst, rpm in FANS:
        out.append(ThresholdSensor(number, name, sensor_type=FAN, units=RPM, model=Constant(rpm), linear=FAN_RPM,
                                   thresholds=FAN_THRESHOLDS, hysteresis=(100, 100), entity_id=entity,
                                   entity_instance=inst, nominal=rpm))
    for number, name, lin, volts, th in RAILS:
        out.append(ThresholdSensor(number, name, sensor_type=VOLTAGE, units=VOLTS, model=Constant(volts),
                                   linear=lin, thresholds=th, entity_id=SYSTEM_BOARD, entity_instance=1,
                                   nominal=volts, normal_min=th["lnc"], normal_max=th["unc"]))
    for i in range(2):
        out.append(DiscreteSensor(0x30 + i, f"PSU{i + 1} Status", sensor_type=POWER_SUPPLY,
                                  model=Constant(PSU_PRESENCE), assertion_mask=PSU_OFFSETS,
                                  entity_id=POWER_SUPPLY_ENTITY, entity_instance=i + 1))
    out.append(DiscreteSensor(0x40, "Intrusion", sensor_type=PHYSICAL_SECURITY, model=Constant(0),
                              assertion_mask=INTRUSION_GENERAL, entity_id=SYSTEM_CHASSIS, entity_instance=1))
    out.append(watchdog_sensor(watchdog_number))
    return out


class WatchdogSensor(DiscreteSensor):
    """The Watchdog 2 sensor whose events ``bmc.watchdog`` logs; its SDR is QEMU's built-in record.

    The watchdog raises its own events (bmc/watchdog.py), so this sensor's
    state bits stay 0 and it generates none itself, as QEMU's (whose
    discrete reading mask is 0).
    """

    __slots__ = ()

    def __init__(self, number: int = 0x00):
        super().__init__(number, "Watchdog", sensor_type=WATCHDOG_2, model=Constant(0),
                         assertion_mask=WATCHDOG_OFFSETS, deassertion_mask=0, reading_mask=0, capabilities=0x00,
                         entity_id=MGMT_SOFTWARE, entity_instance=1)

    def sdr(self, owner: int = 0x20) -> bytes:
        # QEMU's bytes: no analog reading format bits and a share count of 0 (qemu-ipmi.md 3.6).
        return CompactSensorRecord(self.number, self.name, self.sensor_type, self.reading_type, owner=owner,
                                   lun=self.lun, entity_id=self.entity_id, entity_instance=self.entity_instance,
                                   init=self.init_byte, capabilities=self.capabilities,
                                   assertion_mask=self.assertion_supported, units1=0x00, share=0x00).pack()


def watchdog_sensor(number: int = 0x00) -> WatchdogSensor:
    return WatchdogSensor(number)


def bmc_locator(bmc) -> bytes:
    """The MC Device Locator of this BMC: chassis device, event generator and receiver, FRU, SEL, SDR, sensors."""
    return McDeviceLocator("BMC", address=bmc.slave_address, capabilities=0xBF, entity_id=MGMT_MODULE).pack()


def install_default_sensors(bmc, t: int | None = None) -> list:
    """Put the default server's sensors on ``bmc`` (and their SDRs, with the BMC's locator, in its repository)."""
    sensors = default_sensors(bmc.watchdog.sensor_number)
    bmc.sensors.add_records([bmc_locator(bmc)], t)
    bmc.sensors.add_all(sensors, t=t)
    watch_intrusion(bmc, bmc.sensors.get(0x40))
    return sensors


def watch_intrusion(bmc, sensor: DiscreteSensor) -> None:
    """Get Chassis Status's "chassis intrusion active" follows the sensor's offset 0.

    Get Chassis Capabilities keeps QEMU's flags byte (00h) rather than
    announcing the sensor (bit 0), so the default world answers with QEMU's bytes.
    """
    def follow(s, _t):
        bmc.chassis.intrusion = bool(s.states & INTRUSION_GENERAL)

    sensor.listeners.append(follow)
    follow(sensor, None)
