"""Simulated time: an ``int`` of nanoseconds, never a float on the clock."""

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
