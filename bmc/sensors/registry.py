"""The BMC's sensors (``bmc.sensors``): lookup by (LUN, number), their SDRs, the event receiver, Device SDRs.

Adding a sensor puts its SDR in the SDR repository (``bmc.sdr``) unless the
repository already holds a record for the same (owner, LUN, number), as a
persisted repository does after a restart.  Sensor events become event
messages from this BMC (generator = its slave address and the sensor's
LUN) and go where Set Event Receiver says: to this BMC's own event
receiver (``bmc.raise_event``: the SEL and the event message buffer), or
nowhere when the receiver is FFh ("disable message generation").  A
receiver on another IPMB address is not modelled: those events are traced
and dropped.

The Device SDR commands (Get Device SDR Info, Get Device SDR, Reserve Device
SDR Repository) read the sensors' own records here, numbered 1..n in
(LUN, number) order; adding or removing a sensor changes the population
and cancels the Device SDR reservation.
"""

from __future__ import annotations

from ..ipmi.cc import CompletionCode, IpmiError
from .pef import Pef
from .sdr import record_key
from .sensor import Sensor

DISABLED_RECEIVER = 0xFF


class SensorRegistry:
    def __init__(self, bmc):
        self.bmc = bmc
        self.sim = bmc.sim
        self._sensors: dict[tuple[int, int], Sensor] = {}
        self._order: list[Sensor] = []
        self.receiver_address = bmc.slave_address
        self.receiver_lun = 0
        self.pef = Pef(bmc)
        self.device_sdr_reservation = 0
        self._last_reservation = 0
        self.population_changes = 0       # a counter, reported when a tool asks whether the set changed

    # -- the set of sensors -------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._sensors)

    def __iter__(self):
        return iter(list(self._order))

    def __contains__(self, key) -> bool:
        return (key if isinstance(key, tuple) else (0, key)) in self._sensors

    def get(self, number: int, lun: int = 0) -> Sensor | None:
        return self._sensors.get((lun, number))

    def by_name(self, name: str) -> Sensor | None:
        for s in self._order:
            if s.name == name:
                return s
        return None

    def require(self, number: int, lun: int = 0) -> Sensor:
        """The sensor, or IpmiError 0xCB ("sensor not present")."""
        s = self._sensors.get((lun, number))
        if s is None:
            raise IpmiError(CompletionCode.REQUESTED_DATA_NOT_PRESENT, f"no sensor 0x{number:02X} on LUN {lun}")
        return s

    def add(self, sensor: Sensor, *, sdr: bool = True, t: int | None = None) -> Sensor:
        """Install one sensor (see ``add_all``)."""
        self.add_all([sensor], sdr=sdr, t=t)
        return sensor

    def add_all(self, sensors, *, sdr: bool = True, t: int | None = None) -> list[int]:
        """Install sensors and (``sdr``) put the SDRs the repository lacks there in one transaction.

        All or nothing: a duplicate (LUN, number), a duplicate name or a full
        repository raises before anything changes.  Returns the new record ids.
        """
        sensors = list(sensors)
        t = self.sim.now if t is None else t
        seen = set(self._sensors)
        names = {s.name for s in self._order}
        for s in sensors:
            if not isinstance(s, Sensor):
                raise TypeError(f"{s!r} is not a Sensor")
            if s.key in seen:
                raise ValueError(f"sensor number 0x{s.number:02X} (LUN {s.lun}) is already installed")
            if s.name in names:
                raise ValueError(f"sensor name {s.name!r} is already installed")
            if s.registry is not None:
                raise ValueError(f"sensor {s.name!r} belongs to another BMC")
            seen.add(s.key)
            names.add(s.name)
        ids = self._add_records([s.sdr(self.bmc.slave_address) for s in sensors], t) if sdr else []
        for s in sensors:
            self._sensors[s.key] = s
        self._order = sorted(self._sensors.values(), key=lambda s: s.key)
        self._population_changed()
        for s in sensors:
            s.attach(self, t)
        return ids

    def remove(self, number: int, lun: int = 0, *, sdr: bool = True, t: int | None = None) -> Sensor:
        """Uninstall a sensor; with ``sdr`` its record leaves the SDR repository too."""
        s = self.require(number, lun)
        if sdr:
            self._delete_records({record_key(s.sdr(self.bmc.slave_address))}, t)
        s.detach()
        del self._sensors[s.key]
        self._order.remove(s)
        self._population_changed()
        return s

    def clear(self, *, sdr: bool = True, t: int | None = None) -> None:
        """Uninstall every sensor (a config that brings its own set starts here)."""
        if sdr:
            self._delete_records({record_key(s.sdr(self.bmc.slave_address)) for s in self._order}, t)
        for s in self._order:
            s.detach()
        self._sensors.clear()
        self._order = []
        self._population_changed()

    def add_records(self, records, t: int | None = None) -> list[int]:
        """Put non-sensor SDRs (device locators) in the repository unless it holds them already."""
        return self._add_records([bytes(r) for r in records], self.sim.now if t is None else t)

    def _add_records(self, records: list[bytes], t: int) -> list[int]:
        repo = self.bmc.sdr
        have = {record_key(r) for r in repo.records()}
        fresh = [r for r in records if record_key(r) is None or record_key(r) not in have]
        if not fresh:
            return []
        from ..sdr import sdrfile_bytes

        return repo.import_sdrfile(sdrfile_bytes(fresh), t)

    def _delete_records(self, keys: set, t: int | None) -> None:
        repo = self.bmc.sdr
        t = self.sim.now if t is None else t
        for rid, rec in zip(repo.ids(), repo.records(), strict=True):
            if record_key(rec) in keys:
                repo.delete(rid, t)

    def _population_changed(self) -> None:
        self.population_changes = (self.population_changes + 1) & 0xFFFFFFFF
        self.device_sdr_reservation = 0

    # -- events -------------------------------------------------------------------------------------

    @property
    def delivering(self) -> bool:
        """Whether sensor events go anywhere (the receiver is not FFh)."""
        return self.receiver_address != DISABLED_RECEIVER

    def set_receiver(self, address: int, lun: int, t: int | None = None) -> None:
        """Set Event Receiver: FFh stops event generation; any other address starts it again."""
        t = self.sim.now if t is None else t
        for s in self._order:
            s.update(t)
        self.receiver_address, self.receiver_lun = address, lun
        for s in self._order:
            s._reschedule()
        if self.sim.tracer.enabled:
            self.sim.trace(t, "bmc", self.bmc.name, "event-receiver", address=f"0x{address:02X}", lun=lun)

    def emit(self, sensor: Sensor, deassert: bool, ed1: int, ed2: int, ed3: int, t: int) -> None:
        """An event message from one of this BMC's sensors."""
        bmc = self.bmc
        record = bmc.event_record(sensor.sensor_type, sensor.number, deassert << 7 | sensor.reading_type,
                                  ed1, ed2, ed3, t)
        if sensor.lun:
            record = record[:8] + bytes((sensor.lun,)) + record[9:]
        if self.receiver_address != bmc.slave_address:
            if self.sim.tracer.enabled:
                self.sim.trace(t, "bmc", bmc.name, "event-dropped", to=f"0x{self.receiver_address:02X}",
                               record=record)
            return
        if self.sim.tracer.enabled:
            self.sim.trace(t, "bmc", bmc.name, "sensor-event", sensor=sensor.name,
                           dir="deassert" if deassert else "assert", offset=ed1 & 0x0F)
        bmc.raise_event(record, t)

    # -- Device SDRs (section 35.2-35.4) -------------------------------------------------------------

    def device_sdrs(self) -> list[bytes]:
        """The sensors' records as the Device SDR commands number them (ids 1..n)."""
        out = []
        for i, s in enumerate(self._order, 1):
            rec = s.sdr(self.bmc.slave_address)
            out.append(bytes((i & 0xFF, i >> 8)) + rec[2:])
        return out

    def reserve_device_sdr(self) -> int:
        rid = self._last_reservation % 0xFFFF + 1
        self._last_reservation = rid
        self.device_sdr_reservation = rid
        return rid

    def check_device_reservation(self, reservation: int) -> None:
        if reservation == 0 or reservation != self.device_sdr_reservation:
            raise IpmiError(CompletionCode.RESERVATION_CANCELED, f"device SDR reservation 0x{reservation:04X} "
                            f"is not the current one (0x{self.device_sdr_reservation:04X})")
