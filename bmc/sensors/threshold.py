"""Threshold sensors: a model's value converted to raw readings, one comparator per event offset.

The rules are ``bmc.sensors.sensor``'s (IPMI 2.0 Table 42-2, reading type
01h): offset 2i is threshold i "going low", 2i+1 "going high", thresholds
in the order LNC, LCR, LNR, UNC, UCR, UNR; comparisons are on raw readings.
"""

from __future__ import annotations

import math
from fractions import Fraction
from functools import lru_cache

from ..ipmi.cc import CompletionCode, IpmiError
from .conversion import HALF, Linear
from .models import Constant, Model, exact
from .sdr import THRESHOLD_NAMES, CompactSensorRecord, FullSensorRecord
from .sensor import ED1_THRESHOLD, THRESHOLD_EVENT_MASK, THRESHOLD_READING, Sensor, _bits, _check_byte

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



class ThresholdSensor(Sensor):
    """A sensor with an analog reading: model value -> raw reading through its ``Linear`` factors."""

    is_threshold = True
    __slots__ = ("linear", "units", "rate_unit", "modifier", "modifier_unit", "percentage", "settable",
                 "threshold_raw", "hysteresis", "nominal", "normal_min", "normal_max", "sensor_min", "sensor_max",
                 "_const")
    _init_extra = 0x1C               # init thresholds, hysteresis and sensor type

    def __init__(self, number: int, name: str, *, sensor_type: int = 0x01, units: int = 0x01,
                 model: Model | None = None, linear: Linear | None = None, thresholds: dict | None = None,
                 hysteresis=(0, 0), sdr: str = "full", settable: bool = True, rate_unit: int = 0,
                 modifier: int = 0, modifier_unit: int = 0, percentage: bool = False, nominal=None,
                 normal_min=None, normal_max=None, sensor_min=None, sensor_max=None,
                 assertion_mask: int | None = None, deassertion_mask: int | None = None, **kw):
        if sdr not in ("full", "compact"):
            raise ValueError(f"sensor {name!r}: sdr {sdr!r} must be full or compact")
        self._const = (None, 0)   # (a Constant model, its raw reading): most sensors read the same all day
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
        if isinstance(value, (int, float)):
            raw = _raw_reading(lin, value)
            if raw is not None:
                return raw
        x = _position(lin, value) if isinstance(value, (int, float)) else lin.x_of(exact(value, what))
        lo, hi = lin.raw_range
        if not lo - HALF <= x < hi + HALF:
            raise ValueError(f"sensor {name!r}: {what} {value!r} is not representable (raw {float(x):.1f} outside "
                             f"{lo}..{hi} with M={lin.m} B={lin.b} Bexp={lin.b_exp} Rexp={lin.r_exp})")
        return math.floor(x + HALF)

    def _counts(self, what: str, value) -> int:
        c = _hysteresis_counts(self.linear, value) if isinstance(value, (int, float)) else self.linear.counts(value)
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


@lru_cache(maxsize=4096)
def _position(lin: Linear, value: float) -> Fraction:
    """``lin.x_of(value)``, remembered: every default server converts the same thresholds."""
    return lin.x_of(exact(value))


@lru_cache(maxsize=1024)
def _hysteresis_counts(lin: Linear, value: float) -> int:
    """``lin.counts(value)``, remembered for the same reason."""
    return lin.counts(value)


@lru_cache(maxsize=4096)
def _raw_reading(lin: Linear, value: float) -> int | None:
    """The nearest raw reading of a threshold or nominal value, None if the format cannot carry it.

    Remembered, as ``_position``: a rack builds the same sensors a thousand times, and the exact
    (Fraction) arithmetic was most of a BMC's build time.
    """
    x = _position(lin, value)
    lo, hi = lin.raw_range
    return math.floor(x + HALF) if lo - HALF <= x < hi + HALF else None


def _solve(op: str, a: Fraction, x0: Fraction, kx: Fraction, lo: int) -> int | None:
    """First integer t >= lo with x(t) = x0 + kx*(t - lo) satisfying ``op`` against ``a``."""
    if op == "ge":
        if x0 >= a:
            return lo
        return lo + math.ceil((a - x0) / kx) if kx > 0 else None
    if x0 < a:
        return lo
    return lo + math.floor((a - x0) / kx) + 1 if kx < 0 else None
