"""Simulated time: an ``int`` of nanoseconds, never a float on the clock.

Also the one way a duration is written and read back (configs, command
lines): a decimal number and a unit, exact to the nanosecond.
"""

import re
from decimal import Decimal, InvalidOperation

NS = 1
US = 1_000
MS = 1_000_000
S = 1_000_000_000


def _units(value, scale: int) -> int:
    if isinstance(value, int):
        return value * scale
    # Accept decimal literals such as 2.5 (ms) from configs; round once, here.
    return round(value * scale)


def ns(value) -> int:
    """``value`` nanoseconds as an int."""
    return _units(value, NS)


def us(value) -> int:
    """``value`` microseconds in nanoseconds."""
    return _units(value, US)


def ms(value) -> int:
    """``value`` milliseconds in nanoseconds."""
    return _units(value, MS)


def s(value) -> int:
    """``value`` seconds in nanoseconds."""
    return _units(value, S)


def fmt_time(t: int) -> str:
    """Render a time stamp as seconds with nanosecond digits, e.g. ``0.000123456``."""
    sign = "-" if t < 0 else ""
    t = abs(t)
    return f"{sign}{t // S}.{t % S:09d}"


def fmt_duration(t: int) -> str:
    """Human-friendly duration: the largest unit that keeps the value >= 1."""
    if t >= S:
        return f"{t / S:.6g} s"
    if t >= MS:
        return f"{t / MS:.6g} ms"
    if t >= US:
        return f"{t / US:.6g} us"
    return f"{t} ns"


UNITS_NS = {"ns": 1, "us": US, "µs": US, "ms": MS, "s": S, "min": 60 * S, "h": 3600 * S}
_DURATION = re.compile(r"^\s*([+-]?(?:\d+(?:\.\d*)?|\.\d+))\s*([a-zµ]*)\s*$")


def parse_duration(text: str, bare_unit: str | None = None) -> int:
    """``"2.5 s"`` -> 2500000000: a decimal number and a unit (ns, us, ms, s, min, h), exactly, in int ns.

    ``bare_unit`` lets a number without a unit mean that unit (``--seconds 2``).
    """
    m = _DURATION.match(text)
    if not m or (not m.group(2) and bare_unit is None):
        raise ValueError('not a duration: write a number and a unit, e.g. "10ms", "2.5 s" or "100 us"')
    number, unit = m.groups()
    unit = unit or bare_unit
    if unit not in UNITS_NS:
        raise ValueError(f"unknown unit {unit!r}; use one of: {', '.join(UNITS_NS)}")
    try:
        value = Decimal(number) * UNITS_NS[unit]
    except InvalidOperation:
        raise ValueError(f"{number!r} is not a decimal number") from None
    if value != value.to_integral_value():
        raise ValueError("is not a whole number of nanoseconds")
    if value < 0:
        raise ValueError("must not be negative")
    return int(value)


def fmt_ns(t: int) -> str:
    """The exact inverse of ``parse_duration``: the largest unit that divides ``t``."""
    for unit in ("h", "min", "s", "ms", "us"):
        if t and t % UNITS_NS[unit] == 0:
            return f"{t // UNITS_NS[unit]} {unit}"
    return f"{t} ns"
