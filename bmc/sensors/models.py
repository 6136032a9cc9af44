"""Value models: what a sensor measures, as a function of simulated time (int ns).

A model gives a value in the sensor's units (degrees C, Volts, RPM; a
discrete sensor's value is its state bits).  Besides ``value(t)`` each model
describes itself as *segments* on which the value is affine in time,
``y(t) = y0 + k * (t - ts)`` for ``ts <= t < te``, with exact rational
numbers.  A threshold sensor solves those for the first nanosecond a
reading crosses a threshold, so it schedules one event at that instant
instead of polling.

Numbers given as floats are taken as the decimal they print as
(``0.1`` means 1/10), so a ramp of 0.1 per second crosses where a person
computing by hand says it does.
"""

from __future__ import annotations

import csv
import io
import json
import math
from bisect import bisect_right
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from functools import lru_cache
from pathlib import Path

from buses.time import S

NS_PER_S = Fraction(S)


@lru_cache(maxsize=4096)
def _decimal_fraction(value: float) -> Fraction:
    return Fraction(repr(value))


def exact(value, what: str = "value") -> Fraction:
    """A number as an exact fraction: floats by their shortest decimal (``repr``)."""
    if isinstance(value, bool):
        raise TypeError(f"{what} {value!r} is a boolean, not a number")
    if isinstance(value, Fraction):
        return value
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{what} {value!r} is not a finite number")
        return _decimal_fraction(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"{what} {value!r} is not a finite number")
        return Fraction(value)
    raise TypeError(f"{what} {value!r} is not a number")


@dataclass(frozen=True, slots=True)
class Segment:
    """``y(t) = y0 + k * (t - ts)`` for ``ts <= t < te`` (``te`` None: for ever); Fractions, k per ns."""

    ts: Fraction
    te: Fraction | None
    y0: Fraction
    k: Fraction

    def at(self, t) -> Fraction:
        return self.y0 + self.k * (t - self.ts) if self.k else self.y0


class Model:
    """Base: ``exact(t)``, ``value(t)`` and ``segments(t0)`` (segments covering [t0, for ever))."""

    piecewise_constant = False   # only such models can drive a discrete sensor's state bits
    bounded = True               # False: segments go on for ever without a last one (sampled functions)

    def exact(self, t: int) -> Fraction:
        for seg in self.segments(t):
            return seg.at(t)
        raise AssertionError("a model has a segment at every instant")

    def value(self, t: int) -> float:
        return float(self.exact(t))

    def segments(self, t0: int) -> Iterator[Segment]:
        raise NotImplementedError

    def describe(self) -> str:
        return type(self).__name__


class Constant(Model):
    piecewise_constant = True

    def __init__(self, value):
        self.y = exact(value)

    def exact(self, t: int) -> Fraction:
        return self.y

    def segments(self, t0: int) -> Iterator[Segment]:
        yield Segment(Fraction(t0), None, self.y, Fraction(0))

    def describe(self) -> str:
        return f"constant {float(self.y):g}"


class Ramp(Model):
    """``start`` until ``at``, then changing by ``slope`` per second; optionally holding at ``stop``."""

    def __init__(self, start, slope, at: int = 0, stop=None):
        self.start = exact(start, "ramp start")
        self.slope = exact(slope, "ramp slope")
        if not isinstance(at, int) or at < 0:
            raise ValueError(f"ramp at {at!r} must be a non-negative int of ns")
        self.at = at
        self.stop = None if stop is None else exact(stop, "ramp stop")
        self.k = self.slope / NS_PER_S
        self.t_stop: Fraction | None = None
        if self.stop is not None:
            rise = self.stop - self.start
            if rise and (self.slope == 0 or (rise > 0) != (self.slope > 0)):
                raise ValueError(f"ramp stop {stop!r} is never reached from {start!r} at slope {slope!r}/s")
            self.t_stop = at + (rise / self.k if rise else Fraction(0))

    def segments(self, t0: int) -> Iterator[Segment]:
        at = Fraction(self.at)
        if t0 < at:
            yield Segment(Fraction(t0), at, self.start, Fraction(0))
        if self.t_stop is None:
            yield Segment(at, None, self.start, self.k)
            return
        if t0 < self.t_stop:
            yield Segment(at, self.t_stop, self.start, self.k)
        yield Segment(self.t_stop, None, self.stop, Fraction(0))

    def describe(self) -> str:
        return f"ramp {float(self.start):g} {float(self.slope):+g}/s from {self.at} ns"


class Step(Model):
    """``before`` until ``at``, ``after`` from then on."""

    piecewise_constant = True

    def __init__(self, before, after, at: int):
        if not isinstance(at, int) or at < 0:
            raise ValueError(f"step at {at!r} must be a non-negative int of ns")
        self.before = exact(before, "step before")
        self.after = exact(after, "step after")
        self.at = at

    def segments(self, t0: int) -> Iterator[Segment]:
        at = Fraction(self.at)
        if t0 < at:
            yield Segment(Fraction(t0), at, self.before, Fraction(0))
        yield Segment(at, None, self.after, Fraction(0))

    def describe(self) -> str:
        return f"step {float(self.before):g} -> {float(self.after):g} at {self.at} ns"


class Piecewise(Model):
    """Points ``(t_ns, value)``, joined by straight lines (``"linear"``) or held until the next (``"hold"``).

    Before the first point the value is the first point's, after the last the last's.
    """

    def __init__(self, points, interpolate: str = "linear"):
        if interpolate not in ("linear", "hold"):
            raise ValueError(f"piecewise interpolate {interpolate!r}: choose linear or hold")
        pts = []
        for i, item in enumerate(points):
            try:
                t, v = item
            except (TypeError, ValueError):
                raise ValueError(f"piecewise point [{i}] {item!r} is not a (time, value) pair") from None
            if not isinstance(t, int) or isinstance(t, bool) or t < 0:
                raise ValueError(f"piecewise point [{i}] time {t!r} must be a non-negative int of ns")
            if pts and t <= pts[-1][0]:
                raise ValueError(f"piecewise point [{i}] time {t} does not come after {pts[-1][0]}")
            pts.append((t, exact(v, f"piecewise point [{i}] value")))
        if not pts:
            raise ValueError("a piecewise model needs at least one point")
        self.points = tuple(pts)
        self._times = [t for t, _ in pts]
        self.interpolate = interpolate
        self.piecewise_constant = interpolate == "hold" or len(pts) == 1

    @classmethod
    def from_file(cls, path, interpolate: str = "linear") -> Piecewise:
        """Load a trace: CSV rows ``time,value`` or JSON ``[[time, value], ...]``.

        A time is a number of seconds or a string with a unit (``"250 ms"``).
        Errors name the file and the row.
        """
        p = Path(path)
        text = p.read_text()
        name = str(p)
        if p.suffix.lower() == ".json":
            try:
                rows = json.loads(text)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{name}: not JSON ({exc})") from None
            if not isinstance(rows, list):
                raise ValueError(f"{name}: want a list of [time, value] pairs")
            where = [f"{name}[{i}]" for i in range(len(rows))]
        else:
            rows, where = [], []
            for lineno, cells in enumerate(csv.reader(io.StringIO(text)), 1):
                cells = [c.strip() for c in cells]
                if not cells or not cells[0] or cells[0].startswith("#"):
                    continue
                if lineno == 1 and not _looks_numeric(cells[0]):
                    continue  # a header row
                rows.append(cells)
                where.append(f"{name} line {lineno}")
        points = []
        for row, at in zip(rows, where, strict=True):
            if not isinstance(row, list) or len(row) != 2:
                raise ValueError(f"{at}: {row!r} is not a time, value pair")
            points.append((parse_time(row[0], at), _number(row[1], at)))
        try:
            return cls(points, interpolate)
        except ValueError as exc:
            raise ValueError(f"{name}: {exc}") from None

    def segments(self, t0: int) -> Iterator[Segment]:
        pts = self.points
        zero = Fraction(0)
        if t0 < pts[0][0]:
            yield Segment(Fraction(t0), Fraction(pts[0][0]), pts[0][1], zero)
        # The first segment that ends after t0; a long trace is not scanned from its start each time.
        for i in range(max(0, bisect_right(self._times, t0) - 1), len(pts) - 1):
            (ta, ya), (tb, yb) = pts[i], pts[i + 1]
            k = zero if self.interpolate == "hold" else (yb - ya) / (tb - ta)
            yield Segment(Fraction(ta), Fraction(tb), ya, k)
        yield Segment(Fraction(pts[-1][0]), None, pts[-1][1], zero)

    def describe(self) -> str:
        return f"piecewise ({len(self.points)} points, {self.interpolate})"


class Function(Model):
    """A Python function of time ``fn(t_ns) -> value``, sampled every ``period`` ns as a BMC polls a sensor.

    The value holds between samples (``fn`` at the last multiple of
    ``period``), so readings and threshold events agree.  Crossings are found
    by sampling ahead of time, up to ``HORIZON_SAMPLES`` at a time.
    """

    piecewise_constant = True
    bounded = False
    HORIZON_SAMPLES = 3600

    def __init__(self, fn: Callable[[int], float], period: int = S):
        if not callable(fn):
            raise TypeError(f"function model {fn!r} is not callable")
        if not isinstance(period, int) or period <= 0:
            raise ValueError(f"function model period {period!r} must be a positive int of ns")
        self.fn = fn
        self.period = period

    def _sample(self, t: int) -> Fraction:
        return exact(self.fn(t), f"{getattr(self.fn, '__name__', 'function')}({t})")

    def exact(self, t: int) -> Fraction:
        return self._sample(t - t % self.period)

    def segments(self, t0: int) -> Iterator[Segment]:
        p = self.period
        ts = t0 - t0 % p
        zero = Fraction(0)
        while True:
            yield Segment(Fraction(ts), Fraction(ts + p), self._sample(ts), zero)
            ts += p

    def describe(self) -> str:
        return f"function {getattr(self.fn, '__name__', self.fn)!s} every {self.period} ns"


# -- parsing helpers for trace files ---------------------------------------------------------------

_UNIT_NS = {"ns": 1, "us": 1_000, "ms": 1_000_000, "s": S, "min": 60 * S, "h": 3600 * S}


def _looks_numeric(text: str) -> bool:
    try:
        Decimal(text.split()[0] if text.split() else text)
        return True
    except (InvalidOperation, IndexError):
        return text[:1].isdigit()


def parse_time(value, where: str = "time") -> int:
    """Seconds as a number, or a string with a unit (ns, us, ms, s, min, h), exactly as int ns."""
    if isinstance(value, bool):
        raise ValueError(f"{where}: time {value!r} is not a number")
    if isinstance(value, (int, float)):
        text, unit = repr(value), "s"
    elif isinstance(value, str):
        text = value.strip()
        unit = "s"
        for u in sorted(_UNIT_NS, key=len, reverse=True):
            if text.endswith(u):
                text, unit = text[: -len(u)].strip(), u
                break
    else:
        raise ValueError(f"{where}: time {value!r} is not a number or a string with a unit")
    try:
        d = Decimal(text) * _UNIT_NS[unit]
    except InvalidOperation:
        raise ValueError(f"{where}: time {value!r} is not a number of {unit}") from None
    if d != d.to_integral_value() or d < 0:
        raise ValueError(f"{where}: time {value!r} is not a non-negative whole number of ns")
    return int(d)


def _number(value, where: str) -> Fraction:
    if isinstance(value, str):
        try:
            return Fraction(Decimal(value.strip()))
        except (InvalidOperation, ValueError):
            raise ValueError(f"{where}: value {value!r} is not a number") from None
    try:
        return exact(value, f"{where}: value")
    except TypeError as exc:
        raise ValueError(str(exc)) from None
