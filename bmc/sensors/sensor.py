"""Sensors: threshold sensors that convert a model's value to raw readings, and discrete sensors of state bits.

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

import math
from fractions import Fraction
from functools import lru_cache

from ..ipmi.cc import CompletionCode, IpmiError
from .conversion import HALF, Linear
from .models import Constant, Model, exact
from .sdr import THRESHOLD_NAMES, CompactSensorRecord, EventOnlyRecord, FullSensorRecord, id_string

THRESHOLD_READING = 0x01
SENSOR_SPECIFIC = 0x6F
STATE_MASK = 0x7FFF               # 15 event offsets
THRESHOLD_EVENT_MASK = 0x0FFF     # 12 threshold offsets
ED1_THRESHOLD = 0x50              # event data 2 = trigger reading, event data 3 = trigger threshold

LONG_NAMES = {
    "lower_non_critical": "lnc", "lower_critical": "lcr", "lower_non_recoverable": "lnr",
    "upper_non_critical": "unc", "upper_critical": "ucr", "upper_non_recoverable": "unr",
}

_ALWAYS, _NEVER = "always", "never"


def _threshold_index(name: str) -> int:
    short = LONG_NAMES.get(name, name)
    if short not in THRESHOLD_NAMES:
        raise ValueError(f"threshold {name!r}: use one of {', '.join(THRESHOLD_NAMES)} or "
                         f"{', '.join(LONG_NAMES)}")
    return THRESHOLD_NAMES.index(short)


def _check_byte(what: str, v, hi: int = 0xFF) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= hi:
        raise ValueError(f"{what} {v!r} out of range 0-0x{hi:X}")
    return v


class Sensor:
    """What every sensor has: identity, SDR fields, enables and event status, and the scheduling machinery."""

    is_threshold = False
    sdr_kind = "compact"

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


class ThresholdSensor(Sensor):
    """A sensor with an analog reading: model value -> raw reading through its ``Linear`` factors."""

    is_threshold = True
    _init_extra = 0x1C               # init thresholds, hysteresis and sensor type

    def __init__(self, number: int, name: str, *, sensor_type: int = 0x01, units: int = 0x01,
                 model: Model | None = None, linear: Linear | None = None, thresholds: dict | None = None,
                 hysteresis=(0, 0), sdr: str = "full", settable: bool = True, rate_unit: int = 0,
                 modifier: int = 0, modifier_unit: int = 0, percentage: bool = False, nominal=None,
                 normal_min=None, normal_max=None, sensor_min=None, sensor_max=None,
                 assertion_mask: int | None = None, deassertion_mask: int | None = None, **kw):
        if sdr not in ("full", "compact"):
            raise ValueError(f"sensor {name!r}: sdr {sdr!r} must be full or compact")
        self.sdr_kind = sdr
        self.linear = linear if linear is not None else Linear()
        if sdr == "compact" and (self.linear.m, self.linear.b, self.linear.r_exp, self.linear.b_exp) != (1, 0, 0, 0):
            raise ValueError(f"sensor {name!r}: a compact SDR carries no conversion factors (M=1, B=0 only)")
        self.units = _check_byte("sensor units", units)
        self.rate_unit = _check_byte("rate unit", rate_unit, 7)
        self.modifier = _check_byte("modifier", modifier, 2)
        self.modifier_unit = _check_byte("modifier unit", modifier_unit)
        self.percentage = bool(percentage)
        self.settable = bool(settable)
        # Thresholds as signed raw readings, by index (0 LNC .. 5 UNR).
        self.threshold_raw: dict[int, int] = {}
        for tname, value in (thresholds or {}).items():
            i = _threshold_index(tname)
            self.threshold_raw[i] = self._raw_of(f"threshold {tname}", value, name)
        natural = 0
        for i in self.threshold_raw:
            natural |= 1 << (2 * i + (1 if i >= 3 else 0))
        a = natural if assertion_mask is None else assertion_mask
        d = natural if deassertion_mask is None else deassertion_mask
        if (a | d) & ~THRESHOLD_EVENT_MASK:
            raise ValueError(f"sensor {name!r}: threshold event masks 0x{a:04X}/0x{d:04X} use bits above 11")
        super().__init__(number, name, sensor_type, THRESHOLD_READING, assertion_mask=a, deassertion_mask=d,
                         model=model, **kw)
        pos, neg = hysteresis
        self.hysteresis = [self._counts("positive hysteresis", pos), self._counts("negative hysteresis", neg)]
        self.nominal = None if nominal is None else self._raw_of("nominal", nominal, name)
        self.normal_min = None if normal_min is None else self._raw_of("normal_min", normal_min, name)
        self.normal_max = None if normal_max is None else self._raw_of("normal_max", normal_max, name)
        lo, hi = self.linear.raw_range
        self.sensor_min = lo if sensor_min is None else self._raw_of("sensor_min", sensor_min, name)
        self.sensor_max = hi if sensor_max is None else self._raw_of("sensor_max", sensor_max, name)
        self._check_model(self.model)

    def _raw_of(self, what: str, value, name: str) -> int:
        lin = self.linear
        x = _position(lin, value) if isinstance(value, (int, float)) else lin.x_of(exact(value, what))
        lo, hi = lin.raw_range
        if not lo - HALF <= x < hi + HALF:
            raise ValueError(f"sensor {name!r}: {what} {value!r} is not representable (raw {float(x):.1f} outside "
                             f"{lo}..{hi} with M={lin.m} B={lin.b} Bexp={lin.b_exp} Rexp={lin.r_exp})")
        return math.floor(x + HALF)

    def _counts(self, what: str, value) -> int:
        c = self.linear.counts(value)
        if c > 0xFF:
            raise ValueError(f"sensor {self.name!r}: {what} {value!r} is {c} raw counts; at most 255")
        return c

    # -- SDR --------------------------------------------------------------------------------------

    @property
    def readable_mask(self) -> int:
        m = 0
        for i in self.threshold_raw:
            m |= 1 << i
        return m

    @property
    def settable_mask(self) -> int:
        return self.readable_mask if self.settable else 0

    @property
    def capabilities(self) -> int:
        access = 0b10 if self.settable else 0b01
        hyst = 0b10 if self.settable else 0b01
        return 0x40 | hyst << 4 | (access << 2 if self.threshold_raw else 0)

    def _comparison_masks(self) -> tuple[int, int]:
        lower = sum(1 << (12 + i) for i in self.threshold_raw if i < 3)
        upper = sum(1 << (12 + i - 3) for i in self.threshold_raw if i >= 3)
        return lower, upper

    def sdr(self, owner: int = 0x20) -> bytes:
        lower, upper = self._comparison_masks()
        lin = self.linear
        common = dict(number=self.number, name=self.name, sensor_type=self.sensor_type,
                      reading_type=self.reading_type, owner=owner, lun=self.lun, entity_id=self.entity_id,
                      entity_instance=self.entity_instance, init=self.init_byte, capabilities=self.capabilities,
                      assertion_mask=self.assertion_supported | lower, deassertion_mask=self.deassertion_supported
                      | upper, reading_mask=self.readable_mask | self.settable_mask << 8,
                      base_unit=self.units, modifier_unit=self.modifier_unit,
                      positive_hysteresis=self.hysteresis[0], negative_hysteresis=self.hysteresis[1])
        if self.sdr_kind == "compact":
            units1 = lin.analog_format << 6 | self.rate_unit << 3 | self.modifier << 1 | int(self.percentage)
            return CompactSensorRecord(units1=units1, **common).pack()
        flags = (1 if self.nominal is not None else 0) | (2 if self.normal_max is not None else 0) \
            | (4 if self.normal_min is not None else 0)
        b = lin.to_byte
        return FullSensorRecord(
            linear=lin, rate_unit=self.rate_unit, modifier=self.modifier, percentage=self.percentage,
            analog_flags=flags, nominal=b(self.nominal or 0), normal_max=b(self.normal_max or 0),
            normal_min=b(self.normal_min or 0), sensor_max=b(self.sensor_max), sensor_min=b(self.sensor_min),
            thresholds={THRESHOLD_NAMES[i]: b(x) for i, x in self.threshold_raw.items()}, **common).pack()

    # -- readings ---------------------------------------------------------------------------------

    _const = (None, 0)     # (a Constant model, its raw reading): most sensors read the same all day

    def raw_at(self, t: int) -> int:
        """The signed raw reading at ``t``."""
        model = self.model
        if model is self._const[0]:
            return self._const[1]
        raw = self.linear.raw(model.exact(t))
        if isinstance(model, Constant):
            self._const = (model, raw)
        return raw

    def reading(self, t: int | None = None) -> float:
        """The reading at ``t`` in units, as a host converts it."""
        return self.linear.value(self.raw_at(self._now(t)))

    def comparison_status(self, raw: int) -> int:
        """Get Sensor Reading byte 3 bits 5:0: at or below LNC/LCR/LNR, at or above UNC/UCR/UNR."""
        d = self.linear.direction
        k = d * raw
        bits = 0
        for i, x in self.threshold_raw.items():
            kt = d * x
            if (k <= kt) if i < 3 else (k >= kt):
                bits |= 1 << i
        return bits

    def reading_bytes(self, t: int | None = None) -> bytes:
        t = self._now(t)
        self.update(t)
        raw = self.raw_at(t)
        # Byte 3 bits 7:6 are reserved ("ignore on read"); 0 here, as QEMU sends them.
        return bytes((self.linear.to_byte(raw), self.status_flags(), self.comparison_status(raw)))

    # -- thresholds and hysteresis (commands) -------------------------------------------------------

    def threshold_bytes(self) -> bytes:
        """Get Sensor Threshold: readable mask, then LNC, LCR, LNR, UNC, UCR, UNR (0 where not readable)."""
        b = self.linear.to_byte
        return bytes((self.readable_mask,)) + bytes(b(self.threshold_raw[i]) if i in self.threshold_raw else 0
                                                    for i in range(6))

    def set_thresholds(self, mask: int, values: bytes, t: int | None = None) -> None:
        """Set Sensor Threshold: raw bytes for the thresholds in ``mask``; all must be settable."""
        t = self._now(t)
        bad = mask & ~self.settable_mask
        if bad:
            names = [THRESHOLD_NAMES[i] for i in range(6) if bad >> i & 1]
            raise IpmiError(CompletionCode.INVALID_DATA_FIELD, f"threshold(s) {', '.join(names)} not settable")
        self.update(t)
        for i in range(6):
            if mask >> i & 1:
                self.threshold_raw[i] = self.linear.from_byte(values[i])
        self._advance_at(t)

    def set_hysteresis(self, positive: int, negative: int, t: int | None = None) -> None:
        t = self._now(t)
        self.update(t)
        self.hysteresis = [positive, negative]
        self._advance_at(t)

    def set_raw_reading(self, byte: int, t: int | None = None) -> None:
        """Set Sensor Reading: the reading holds at this raw value from ``t`` on."""
        self._follow(Constant(self.linear.value_exact(self.linear.from_byte(byte))), self._now(t))

    # -- comparators ------------------------------------------------------------------------------

    def _tracked_mask(self) -> int:
        m = 0
        for i in self.threshold_raw:
            m |= 3 << (2 * i)
        return m & (self.assertion_supported | self.deassertion_supported)

    def _condition(self, offset: int, asserted: bool) -> tuple[str, int]:
        """The raw-reading condition that flips comparator ``offset`` from its state:
        ("ge", R) raw >= R, ("le", R) raw <= R, in signed raw readings."""
        i = offset >> 1
        d = self.linear.direction
        kt = d * self.threshold_raw[i]
        pos, neg = self.hysteresis
        if offset & 1:   # going high
            op, k = ("le", kt - neg - 1) if asserted else ("ge", kt)
        else:            # going low
            op, k = ("ge", kt + pos + 1) if asserted else ("le", kt)
        if d < 0:        # k = -raw: flip the comparison
            op, k = ("le" if op == "ge" else "ge"), -k
        return op, k

    def _holds(self, cond: tuple[str, int], raw: int) -> bool:
        op, r = cond
        return raw >= r if op == "ge" else raw <= r

    def _baseline(self, t: int) -> None:
        raw = self.raw_at(t)
        self.assert_status = self.deassert_status = 0
        for o in _bits(self._tracked_mask()):
            if self._holds(self._condition(o, False), raw):
                self.assert_status |= 1 << o

    def _evaluate(self, t: int, emit: bool) -> None:
        raw = self.raw_at(t)
        for o in _bits(self._tracked_mask()):
            asserted = bool(self.assert_status >> o & 1)
            if self._holds(self._condition(o, asserted), raw):
                self._note(o, not asserted)
                if emit:
                    self._emit(o, asserted, *self._event_data(o, t, raw), t)

    def _event_data(self, offset: int, t: int, raw: int | None = None) -> tuple[int, int, int]:
        if raw is None:
            raw = self.raw_at(t)
        b = self.linear.to_byte
        th = self.threshold_raw.get(offset >> 1)
        return ED1_THRESHOLD | offset, b(raw), b(th) if th is not None else 0xFF

    def _x_condition(self, cond: tuple[str, int]):
        """A raw condition as one on the continuous raw position x: ("ge", a) x >= a, ("lt", a) x < a."""
        op, r = cond
        lo, hi = self.linear.raw_range
        if op == "ge":
            return _ALWAYS if r <= lo else _NEVER if r > hi else ("ge", r - HALF)
        return _ALWAYS if r >= hi else _NEVER if r < lo else ("lt", r + HALF)

    def _next_change(self, t_from: int, mask: int) -> int | None:
        conds = []
        for o in _bits(mask & self._tracked_mask()):
            c = self._x_condition(self._condition(o, bool(self.assert_status >> o & 1)))
            if c is _ALWAYS:
                return t_from
            if c is not _NEVER:
                conds.append(c)
        if not conds:
            return None
        model = self.model
        if isinstance(model, Constant):   # holds for ever: now or never
            raw = self.raw_at(t_from)
            return t_from if any(self._holds(self._condition(o, bool(self.assert_status >> o & 1)), raw)
                                 for o in _bits(mask & self._tracked_mask())) else None
        lin = self.linear
        per_ns = lin._scale * lin.m       # dx/dt = dy/dt / (10^Rexp * M)
        for n, seg in enumerate(model.segments(t_from)):
            lo = max(math.ceil(seg.ts), t_from)
            hi = seg.te
            if hi is not None and lo >= hi:
                continue
            x0 = lin.x_of(seg.at(lo))
            kx = seg.k / per_ns
            best = None
            for op, a in conds:
                t = _solve(op, a, x0, kx, lo)
                if t is not None and (hi is None or t < hi) and (best is None or t < best):
                    best = t
            if best is not None:
                return best
            if not model.bounded and n + 1 >= getattr(model, "HORIZON_SAMPLES", 3600):
                return math.ceil(hi)      # look again from there (a wake-up that may find nothing)
        return None

    def _rearm(self, assert_mask: int, t: int) -> None:
        raw = self.raw_at(t)
        self.assert_status &= ~assert_mask
        for o in _bits(self._tracked_mask() & assert_mask):
            if self._holds(self._condition(o, False), raw):
                self._note(o, True)
                self._emit(o, False, *self._event_data(o, t, raw), t)


class DiscreteSensor(Sensor):
    """State bits (offsets 0-14) that follow a piecewise-constant model, or are set by commands."""

    def __init__(self, number: int, name: str, *, sensor_type: int, reading_type: int = SENSOR_SPECIFIC,
                 model: Model | None = None, assertion_mask: int = STATE_MASK, deassertion_mask: int | None = None,
                 reading_mask: int | None = None, sdr: str = "compact", capabilities: int = 0x40, **kw):
        if reading_type == THRESHOLD_READING:
            raise ValueError(f"sensor {name!r}: event/reading type 01h is a threshold sensor")
        if sdr not in ("compact", "event-only"):
            raise ValueError(f"sensor {name!r}: a discrete sensor's sdr {sdr!r} must be compact or event-only")
        self.sdr_kind = sdr
        d = assertion_mask if deassertion_mask is None else deassertion_mask
        super().__init__(number, name, sensor_type, reading_type, assertion_mask=assertion_mask,
                         deassertion_mask=d, model=model, **kw)
        self.reading_mask = _check_byte("reading mask", assertion_mask | d if reading_mask is None
                                        else reading_mask, STATE_MASK)
        self.capabilities = _check_byte("capabilities", capabilities)   # 0x40: auto re-arm, per-state enables
        self.reading_byte = 0   # the reading byte of a discrete sensor is unused unless a command sets it
        self.listeners: list = []   # fn(sensor, t) after the state bits change
        self._check_model(self.model)

    def _check_model(self, model: Model) -> None:
        super()._check_model(model)
        if not model.piecewise_constant:
            raise ValueError(f"sensor {self.name!r}: a discrete sensor's states need a piecewise-constant model "
                             f"(constant, step, piecewise hold, function), not {model.describe()}")

    def sdr(self, owner: int = 0x20) -> bytes:
        common = dict(number=self.number, name=self.name, sensor_type=self.sensor_type,
                      reading_type=self.reading_type, owner=owner, lun=self.lun, entity_id=self.entity_id,
                      entity_instance=self.entity_instance)
        if self.sdr_kind == "event-only":
            return EventOnlyRecord(**common).pack()
        return CompactSensorRecord(init=self.init_byte, capabilities=self.capabilities,
                                   assertion_mask=self.assertion_supported,
                                   deassertion_mask=self.deassertion_supported, reading_mask=self.reading_mask,
                                   **common).pack()

    def states_at(self, t: int) -> int:
        y = self.model.exact(t)
        if y.denominator != 1 or not 0 <= y <= STATE_MASK:
            raise ValueError(f"sensor {self.name!r}: model value {float(y)!r} at {t} ns is not state bits "
                             f"(an integer 0-0x7FFF)")
        return int(y)

    @property
    def states(self) -> int:
        return self.assert_status

    def set_states(self, bits: int, t: int | None = None) -> None:
        """Hold the state bits at ``bits`` from ``t`` on (a change generates its events)."""
        self.set_model(Constant(_check_byte("state bits", bits, STATE_MASK)), t)

    def _tracked_mask(self) -> int:
        return STATE_MASK

    def _baseline(self, t: int) -> None:
        self.assert_status = self.states_at(t)
        self.deassert_status = 0

    def _evaluate(self, t: int, emit: bool) -> None:
        new = self.states_at(t)
        changed = new ^ self.assert_status
        for o in _bits(changed):
            asserted = bool(new >> o & 1)
            self._note(o, asserted)
            if emit:
                self._emit(o, not asserted, *self._event_data(o, t), t)
        if changed:
            self._changed(t)

    def _changed(self, t: int) -> None:
        for fn in self.listeners:
            fn(self, t)

    def _next_change(self, t_from: int, mask: int) -> int | None:
        model = self.model
        for n, seg in enumerate(model.segments(t_from)):
            lo = max(math.ceil(seg.ts), t_from)
            if seg.te is not None and lo >= seg.te:
                continue
            y = seg.at(lo)
            if y.denominator != 1 or (int(y) ^ self.assert_status) & mask:
                return lo
            if not model.bounded and n + 1 >= getattr(model, "HORIZON_SAMPLES", 3600):
                return math.ceil(seg.te)
        return None

    def _write_states(self, bits: int, t: int) -> None:
        changed = bits != self.assert_status
        self.assert_status = bits
        self.model = Constant(bits)        # the states written hold from now on
        self._t_eval = t
        if changed:
            self._changed(t)

    def _rearm(self, assert_mask: int, t: int) -> None:
        present = self.assert_status & assert_mask
        self.assert_status &= ~assert_mask
        for o in _bits(present):
            self._note(o, True)
            self._emit(o, False, *self._event_data(o, t), t)

    def reading_bytes(self, t: int | None = None) -> bytes:
        t = self._now(t)
        self.update(t)
        s = self.assert_status
        # Byte 4 bit 7 is reserved ("ignore on read"); 0 here, as QEMU sends it, so a reader that takes the
        # two bytes as one 15-bit state word (python-ipmi does) gets the states themselves.
        return bytes((self.reading_byte, self.status_flags(), s & 0xFF, s >> 8))


@lru_cache(maxsize=4096)
def _position(lin: Linear, value: float) -> Fraction:
    """``lin.x_of(value)``, remembered: every default server converts the same thresholds."""
    return lin.x_of(exact(value))


def _bits(mask: int):
    o = 0
    while mask:
        if mask & 1:
            yield o
        mask >>= 1
        o += 1


def _solve(op: str, a: Fraction, x0: Fraction, kx: Fraction, lo: int) -> int | None:
    """First integer t >= lo with x(t) = x0 + kx*(t - lo) satisfying ``op`` against ``a``."""
    if op == "ge":
        if x0 >= a:
            return lo
        return lo + math.ceil((a - x0) / kx) if kx > 0 else None
    if x0 < a:
        return lo
    return lo + math.floor((a - x0) / kx) + 1 if kx < 0 else None
