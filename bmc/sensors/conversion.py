"""Reading conversion of full sensor records (IPMI 2.0 section 36.3): ``y = (M*x + B*10^Bexp) * 10^Rexp``.

``x`` is the raw reading byte read as the SDR's analog data format says
(unsigned, one's or two's complement); M and B are 10-bit two's complement,
the exponents 4-bit two's complement.  A value becomes a raw reading by
rounding to the nearest raw value (halves up) and clamping to the format's
range.  All arithmetic is exact (``Fraction``), so the reading a host tool
converts back is the configured value whenever the factors can represent it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

from .models import exact

UNSIGNED, ONES_COMPLEMENT, TWOS_COMPLEMENT = 0, 1, 2
FORMATS = {"unsigned": UNSIGNED, "ones_complement": ONES_COMPLEMENT, "twos_complement": TWOS_COMPLEMENT}
RAW_RANGE = {UNSIGNED: (0, 255), ONES_COMPLEMENT: (-127, 127), TWOS_COMPLEMENT: (-128, 127)}
HALF = Fraction(1, 2)


def _pow10(e: int) -> Fraction:
    return Fraction(10) ** e


def signed_bits(value: int, bits: int) -> int:
    return value - (1 << bits) if value & (1 << (bits - 1)) else value


@dataclass(frozen=True)
class Linear:
    """Linear reading factors and the analog data format of one sensor.

    ``tolerance`` (6 bits, in +/- half raw counts), ``accuracy`` (10 bits,
    in 1/100 percent) and ``accuracy_exp`` (2 bits) are carried to the SDR
    and to Get Sensor Reading Factors unchanged.
    """

    m: int = 1
    b: int = 0
    b_exp: int = 0
    r_exp: int = 0
    analog_format: int = UNSIGNED
    tolerance: int = 0
    accuracy: int = 0
    accuracy_exp: int = 0

    def __post_init__(self):
        fmt = self.analog_format
        if isinstance(fmt, str):
            if fmt not in FORMATS:
                raise ValueError(f"conversion.format {fmt!r}: choose one of {', '.join(FORMATS)}")
            object.__setattr__(self, "analog_format", FORMATS[fmt])
        for name, lo, hi in (("m", -512, 511), ("b", -512, 511), ("b_exp", -8, 7), ("r_exp", -8, 7),
                             ("analog_format", 0, 2), ("tolerance", 0, 63), ("accuracy", 0, 1023),
                             ("accuracy_exp", 0, 3)):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
                raise ValueError(f"conversion.{name} {v!r} out of range {lo}..{hi}")
        if self.m == 0:
            raise ValueError("conversion.m 0: every raw reading would convert to the same value")
        object.__setattr__(self, "_scale", _pow10(self.r_exp))
        object.__setattr__(self, "_offset", self.b * _pow10(self.b_exp))

    # -- raw <-> value ---------------------------------------------------------------------------

    @property
    def raw_range(self) -> tuple[int, int]:
        """The signed raw readings this format can carry."""
        return RAW_RANGE[self.analog_format]

    @property
    def direction(self) -> int:
        """+1 when a larger raw reading means a larger value (M > 0), else -1."""
        return 1 if self.m > 0 else -1

    def x_of(self, y: Fraction) -> Fraction:
        """The continuous raw position of value ``y`` (not rounded, not clamped)."""
        return (y / self._scale - self._offset) / self.m

    def value_exact(self, x: int) -> Fraction:
        """The value of signed raw reading ``x``."""
        return (self.m * x + self._offset) * self._scale

    def value(self, x: int) -> float:
        return float(self.value_exact(x))

    def raw(self, y) -> int:
        """The signed raw reading of value ``y``: nearest (halves up), clamped to the format."""
        x = math.floor(self.x_of(exact(y)) + HALF)
        lo, hi = self.raw_range
        return lo if x < lo else hi if x > hi else x

    def to_byte(self, x: int) -> int:
        """A signed raw reading as the byte the format sends."""
        if self.analog_format == ONES_COMPLEMENT and x < 0:
            return 0xFF + x          # -x's bits inverted
        return x & 0xFF

    def from_byte(self, byte: int) -> int:
        """The signed raw reading a byte carries."""
        if self.analog_format == TWOS_COMPLEMENT:
            return signed_bits(byte, 8)
        if self.analog_format == ONES_COMPLEMENT and byte & 0x80:
            return byte - 0xFF
        return byte

    def byte_of_value(self, y) -> int:
        return self.to_byte(self.raw(y))

    def value_of_byte(self, byte: int) -> float:
        return self.value(self.from_byte(byte))

    def counts(self, delta) -> int:
        """A difference in units (hysteresis) as raw counts: |delta / (M * 10^Rexp)|, rounded."""
        return math.floor(abs(exact(delta) / (self.m * self._scale)) + HALF)

    def delta(self, counts: int) -> float:
        """Raw counts (hysteresis) in units."""
        return float(abs(self.m) * counts * self._scale)

    # -- the SDR and Get Sensor Reading Factors bytes -----------------------------------------------

    def factor_bytes(self, direction: int = 0) -> bytes:
        """Full SDR bytes 25-30 (Table 43-1): M, M/tolerance, B, B/accuracy, accuracy/exp/direction, Rexp/Bexp."""
        m, b = self.m & 0x3FF, self.b & 0x3FF
        acc = self.accuracy
        return bytes((
            m & 0xFF, (m >> 8) << 6 | self.tolerance,
            b & 0xFF, (b >> 8) << 6 | (acc & 0x3F),
            (acc >> 6) << 4 | self.accuracy_exp << 2 | (direction & 0x03),
            (self.r_exp & 0x0F) << 4 | (self.b_exp & 0x0F),
        ))

    @classmethod
    def from_factor_bytes(cls, data: bytes, analog_format: int = UNSIGNED) -> Linear:
        m = signed_bits(data[0] | (data[1] >> 6) << 8, 10)
        b = signed_bits(data[2] | (data[3] >> 6) << 8, 10)
        return cls(m=m, b=b, b_exp=signed_bits(data[5] & 0x0F, 4), r_exp=signed_bits(data[5] >> 4, 4),
                   analog_format=analog_format, tolerance=data[1] & 0x3F,
                   accuracy=(data[3] & 0x3F) | (data[4] >> 4) << 6, accuracy_exp=data[4] >> 2 & 0x03)

    # -- choosing factors -------------------------------------------------------------------------

    @classmethod
    def fit(cls, lo, hi, resolution=None, analog_format: int | str = UNSIGNED) -> Linear:
        """Factors that cover ``lo..hi`` with steps of ``resolution`` (default: the range over the raw range).

        M*10^Rexp is the step: the largest exponent at which the step is a
        whole M (so 0.05 V -> M=5, Rexp=-2), else the finest M that fits in
        10 bits.  B*10^Bexp places ``lo`` at the lowest raw reading, exactly
        when it can.  A ValueError names the values that do not fit.
        """
        fmt = FORMATS[analog_format] if isinstance(analog_format, str) else analog_format
        lo_v, hi_v = exact(lo, "lo"), exact(hi, "hi")
        if hi_v <= lo_v:
            raise ValueError(f"fit: hi {hi!r} must be above lo {lo!r}")
        xmin, xmax = RAW_RANGE[fmt]
        step = exact(resolution, "resolution") if resolution is not None else (hi_v - lo_v) / (xmax - xmin)
        if step <= 0:
            raise ValueError(f"fit: resolution {resolution!r} must be positive")
        m = r = None
        for e in range(7, -9, -1):
            q = step / _pow10(e)
            if q.denominator == 1 and 1 <= q <= 511:
                m, r = int(q), e
                break
        if m is None:
            for e in range(-8, 8):
                q = math.ceil(step / _pow10(e))
                if 1 <= q <= 511:
                    m, r = q, e
                    break
        if m is None:
            raise ValueError(f"fit: resolution {float(step)!r} cannot be written as M*10^Rexp")
        want = lo_v / _pow10(r) - m * xmin          # B*10^Bexp
        b = be = None
        if want == 0:
            b, be = 0, 0
        for e in range(7, -9, -1):
            if b is not None:
                break
            q = want / _pow10(e)
            if q.denominator == 1 and -512 <= q <= 511:
                b, be = int(q), e
                break
        if b is None:
            for e in range(-8, 8):
                q = math.floor(want / _pow10(e) + HALF)
                if -512 <= q <= 511:
                    b, be = q, e
                    break
        if b is None:
            raise ValueError(f"fit: offset {float(lo_v)!r} cannot be written as B*10^Bexp*10^{r}")
        lin = cls(m=m, b=b, b_exp=be, r_exp=r, analog_format=fmt)
        if lin.value_exact(xmax) < hi_v:
            raise ValueError(f"fit: {float(lo_v):g}..{float(hi_v):g} in steps of {float(step):g} needs more than "
                             f"{xmax - xmin + 1} raw readings")
        return lin
