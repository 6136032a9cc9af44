"""Sensors: the event machinery every sensor shares (the sensor kinds are ``threshold`` and ``discrete``).

Event generation (IPMI 2.0 sections 29.7, 36.2, Table 42-2):

- a threshold sensor has one comparator per event offset it supports
  (Table 42-2, reading type 01h: offset 2i is threshold i "going low",
  2i+1 "going high", thresholds in the order LNC, LCR, LNR, UNC, UCR, UNR).
  Going high asserts when the reading is at or above the threshold and
  deasserts when it falls below threshold - negative-going hysteresis;
  going low asserts at or below and deasserts above threshold +
  positive-going hysteresis.  Comparisons are on raw readings, read in the
  direction of the value (a negative M flips them), as a BMC compares them;
- a discrete sensor's states are the model's value, as bits; each bit that
  changes is an assertion (0 -> 1) or deassertion (1 -> 0) of its offset;
- every change updates the event status; one whose assertion/deassertion
  event is enabled (sensor events on, scanning on, the offset's bit set)
  goes to the registry as an event message.

Nothing polls.  After each change the sensor solves its model for the next
instant any enabled comparator or state bit changes and schedules one
SimPy call then; a sensor with nothing enabled, or whose model never
crosses, schedules nothing.  Changes that emit nothing are replayed in
order when someone next looks (a command, the next wake-up).  The state at
installation is the baseline and logs nothing; Re-arm makes present states
generate events again.

QEMU differences fixed here (qemu-ipmi.md 3.12): events fire on every
transition, not once per offset per BMC lifetime (bug 14); Re-arm clears
the event status and re-evaluates (bug 19).
"""

from __future__ import annotations

from .models import Constant, Model
from .sdr import id_string

THRESHOLD_READING = 0x01
SENSOR_SPECIFIC = 0x6F
STATE_MASK = 0x7FFF               # 15 event offsets
THRESHOLD_EVENT_MASK = 0x0FFF     # 12 threshold offsets
ED1_THRESHOLD = 0x50              # event data 2 = trigger reading, event data 3 = trigger threshold

def _check_byte(what: str, v, hi: int = 0xFF) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= hi:
        raise ValueError(f"{what} {v!r} out of range 0-0x{hi:X}")
    return v


class Sensor:
    """What every sensor has: identity, SDR fields, enables and event status, and the scheduling machinery."""

    is_threshold = False
    # A BMC of a rack has a dozen or more sensors, a rack thousands: slots hold them in a third of the
    # memory instance dicts do.  ``sdr_kind`` is set by each kind before it calls this class's __init__.
    __slots__ = ("number", "lun", "name", "sensor_type", "reading_type", "entity_id", "entity_instance",
                 "assertion_supported", "deassertion_supported", "init_events", "init_scanning", "events_enabled",
                 "scanning_enabled", "assert_enable", "deassert_enable", "assert_status", "deassert_status",
                 "model", "registry", "_t_eval", "_gen", "_wake_at", "_ed_override", "wakeups_scheduled",
                 "events_emitted", "sdr_kind")

    def __init__(self, number: int, name: str, sensor_type: int, reading_type: int, *, lun: int = 0,
                 entity_id: int = 0x07, entity_instance: int = 1, events: bool = True, scanning: bool = True,
                 assertion_mask: int = 0, deassertion_mask: int = 0, model: Model | None = None):
        self.number = _check_byte("sensor number", number, 0xFE)    # 0xFF is reserved
        self.lun = _check_byte("sensor lun", lun, 3)
        id_string(name)
        self.name = name
        self.sensor_type = _check_byte("sensor type", sensor_type)
        self.reading_type = _check_byte("event/reading type", reading_type, 0x7F)
        self.entity_id = _check_byte("entity id", entity_id)
        self.entity_instance = _check_byte("entity instance", entity_instance)
        self.assertion_supported = _check_byte("assertion mask", assertion_mask, STATE_MASK)
        self.deassertion_supported = _check_byte("deassertion mask", deassertion_mask, STATE_MASK)
        self.init_events = bool(events)
        self.init_scanning = bool(scanning)
        self.events_enabled = bool(events)
        self.scanning_enabled = bool(scanning)
        self.assert_enable = self.assertion_supported
        self.deassert_enable = self.deassertion_supported
        self.assert_status = 0
        self.deassert_status = 0
        self.model = model if model is not None else Constant(0)
        self.registry = None
        self._t_eval: int | None = None     # last instant the state was brought up to
        self._gen = 0
        self._wake_at: int | None = None
        self._ed_override = None            # Set Sensor Reading's event data for the changes it causes
        self.wakeups_scheduled = 0          # SimPy events this sensor created
        self.events_emitted = 0

    # -- identity ---------------------------------------------------------------------------------

    @property
    def key(self) -> tuple[int, int]:
        return (self.lun, self.number)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} 0x{self.number:02X} {self.name!r}>"

    def sdr(self, owner: int = 0x20) -> bytes:
        raise NotImplementedError

    @property
    def init_byte(self) -> int:
        """SDR sensor initialization byte: what the init agent sets, and the power-up enables."""
        return (0x40 if self.init_scanning else 0) | (0x20 if self.init_events else 0) | self._init_extra \
            | (0x02 if self.init_events else 0) | (0x01 if self.init_scanning else 0)

    _init_extra = 0

    # -- time and state ---------------------------------------------------------------------------

    @property
    def sim(self):
        return self.registry.sim if self.registry is not None else None

    def _now(self, t: int | None) -> int:
        if t is not None:
            return t
        return self.sim.now if self.sim is not None else 0

    def attach(self, registry, t: int) -> None:
        """Called by the registry: the state at ``t`` becomes the baseline (no events)."""
        self.registry = registry
        self._t_eval = None
        self._advance(t, emit=False)
        self._reschedule()

    def detach(self) -> None:
        self._cancel()
        self.registry = None

    def update(self, t: int | None = None) -> None:
        """Bring the state up to ``t``; changes that are due emit their events (at their own instants)."""
        t = self._now(t)
        self._advance(t, emit=self._emitting_mask() != 0)

    def set_model(self, model: Model, t: int | None = None) -> None:
        """Follow ``model`` from ``t`` on (default: now); the state so far is kept, a change at ``t`` counts.

        A ``t`` later than the simulation's present takes effect then (a scheduled call).
        """
        self._check_model(model)
        sim = self.sim
        if t is not None and sim is not None and t > sim.now:
            sim.call_at(t, self._follow, model, t)
            return
        self._follow(model, self._now(t))

    def _follow(self, model: Model, t: int) -> None:
        """Switch models at ``t`` now (commands run at their own request time, which may lead the kernel)."""
        self.update(t)
        self.model = model
        self._advance_at(t)

    def _check_model(self, model: Model) -> None:
        if not isinstance(model, Model):
            raise TypeError(f"sensor {self.name!r}: model {model!r} is not a bmc.sensors.models.Model")

    def _advance_at(self, t: int) -> None:
        """Re-evaluate at ``t`` itself (after a change made at ``t``), then reschedule."""
        if self._t_eval is not None and self._t_eval >= t:
            self._t_eval = t - 1
        self._advance(t, emit=self._emitting_mask() != 0)
        self._reschedule()

    def _advance(self, t: int, emit: bool) -> None:
        if self._t_eval is None:
            self._baseline(t)
            self._t_eval = t
            return
        if t <= self._t_eval:
            return
        mask = self._tracked_mask()
        while True:
            tn = self._next_change(self._t_eval + 1, mask)
            if tn is None or tn > t:
                break
            self._evaluate(tn, emit)
            self._t_eval = tn
        self._t_eval = t

    # -- scheduling -------------------------------------------------------------------------------

    def _emitting_mask(self) -> int:
        """Offsets whose change would be sent now: events and scanning on, the registry delivering."""
        reg = self.registry
        if reg is None or not reg.delivering or not self.events_enabled or not self.scanning_enabled:
            return 0
        return (self.assert_enable | self.deassert_enable) & self._tracked_mask()

    def _cancel(self) -> None:
        self._gen += 1
        self._wake_at = None

    def _reschedule(self) -> None:
        mask = self._emitting_mask()
        if not mask or self._t_eval is None:
            self._cancel()
            return
        tn = self._next_change(self._t_eval + 1, mask)
        if tn is None:
            self._cancel()
            return
        if tn == self._wake_at:
            return
        self._cancel()
        self._wake_at = tn
        self.wakeups_scheduled += 1
        self.sim.call_at(tn, self._wake, self._gen, tn)

    def _wake(self, gen: int, t: int) -> None:
        if gen != self._gen:
            return
        self._wake_at = None
        self._advance(t, emit=True)
        self._reschedule()

    # -- events -----------------------------------------------------------------------------------

    def _emit(self, offset: int, deassert: bool, ed1: int, ed2: int, ed3: int, t: int) -> None:
        enabled = self.deassert_enable if deassert else self.assert_enable
        if not (enabled >> offset & 1) or not self._emitting_mask():
            return
        override = self._ed_override
        if override is not None:
            mode, g1, g2, g3 = override
            if mode == 1:              # the request's own event replaces the BMC's (``emit_given``)
                return
            if mode == 2:              # given event data, the BMC's offset
                ed1, ed2, ed3 = (g1 & 0xF0) | offset, g2, g3
        self.events_emitted += 1
        self.registry.emit(self, deassert, ed1, ed2, ed3, t)

    def emit_given(self, ed1: int, ed2: int, ed3: int, t: int) -> bool:
        """Set Sensor Reading's "write given event data": one event for offset ED1[3:0] if its status says
        asserted (or deasserted) and that event is enabled.  Returns whether it was sent."""
        offset = ed1 & 0x0F
        if self.assert_status >> offset & 1:
            deassert = False
        elif self.deassert_status >> offset & 1:
            deassert = True
        else:
            return False
        enabled = self.deassert_enable if deassert else self.assert_enable
        if not (enabled >> offset & 1) or not self._emitting_mask():
            return False
        self.events_emitted += 1
        self.registry.emit(self, deassert, ed1, ed2, ed3, t)
        return True

    def _note(self, offset: int, asserted: bool) -> None:
        bit = 1 << offset
        if asserted:
            self.assert_status |= bit
            self.deassert_status &= ~bit
        else:
            self.assert_status &= ~bit
            self.deassert_status |= bit

    # -- what subclasses provide ------------------------------------------------------------------

    def _tracked_mask(self) -> int:
        raise NotImplementedError

    def _baseline(self, t: int) -> None:
        raise NotImplementedError

    def _next_change(self, t_from: int, mask: int) -> int | None:
        raise NotImplementedError

    def _evaluate(self, t: int, emit: bool) -> None:
        raise NotImplementedError

    # -- command helpers --------------------------------------------------------------------------

    def set_event_enable(self, events: bool, scanning: bool, action: int, assert_mask: int | None,
                         deassert_mask: int | None, t: int | None = None) -> None:
        """Set Sensor Event Enable: action 0 keep, 1 enable the given bits, 2 disable them."""
        t = self._now(t)
        self.update(t)
        self.events_enabled, self.scanning_enabled = events, scanning
        if action in (1, 2):
            for attr, given, supported in (("assert_enable", assert_mask, self.assertion_supported),
                                           ("deassert_enable", deassert_mask, self.deassertion_supported)):
                if given is None:
                    continue
                old = getattr(self, attr)
                setattr(self, attr, (old | (given & supported)) if action == 1 else (old & ~given))
        self._reschedule()

    def rearm(self, assert_mask: int | None = None, deassert_mask: int | None = None,
              t: int | None = None) -> None:
        """Re-arm Sensor Events: clear the event status (all, or the given bits) and re-evaluate, so a state
        still present generates its event again."""
        t = self._now(t)
        self.update(t)
        am = STATE_MASK if assert_mask is None else assert_mask
        dm = STATE_MASK if deassert_mask is None else deassert_mask
        self.deassert_status &= ~dm
        self._rearm(am, t)
        self._reschedule()

    def _rearm(self, assert_mask: int, t: int) -> None:
        raise NotImplementedError

    def write_status(self, assert_op: int, assert_bits: int, deassert_op: int, deassert_bits: int, t: int) -> None:
        """Set Sensor Reading and Event Status, event status part: op 1 write, 2 set the given bits,
        3 clear them (QEMU bug 15: it kept old AND given).  Newly set bits generate their events."""
        def apply(op, old, bits):
            return old if op == 0 else bits if op == 1 else old | bits if op == 2 else old & ~bits

        self.update(t)
        new_a = apply(assert_op, self.assert_status, assert_bits) & STATE_MASK
        new_d = apply(deassert_op, self.deassert_status, deassert_bits) & STATE_MASK
        rising_a = new_a & ~self.assert_status
        rising_d = new_d & ~self.deassert_status
        self._write_states(new_a, t)
        self.deassert_status = new_d
        for offset in range(15):
            if rising_a >> offset & 1:
                self._emit(offset, False, *self._event_data(offset, t), t)
            if rising_d >> offset & 1:
                self._emit(offset, True, *self._event_data(offset, t), t)
        self._reschedule()

    def _write_states(self, bits: int, t: int) -> None:
        self.assert_status = bits

    def _event_data(self, offset: int, t: int) -> tuple[int, int, int]:
        return offset, 0xFF, 0xFF

    def reading_bytes(self, t: int | None = None) -> bytes:
        """Get Sensor Reading response data (after the completion code)."""
        raise NotImplementedError

    def status_flags(self) -> int:
        """Bits 7:5 of Get Sensor Reading / Get Sensor Event Status: events on, scanning on, unavailable."""
        return (0x80 if self.events_enabled else 0) | (0x40 if self.scanning_enabled else 0)

    def event_status(self, t: int | None = None) -> tuple[int, int]:
        self.update(self._now(t))
        return self.assert_status, self.deassert_status


def _bits(mask: int):
    o = 0
    while mask:
        if mask & 1:
            yield o
        mask >>= 1
        o += 1
