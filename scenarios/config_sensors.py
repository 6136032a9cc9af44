"""The ``[[sensors]]`` part of a world configuration: each sensor's SDR, its value model and its thresholds.

A sensor is checked field by field, then as a whole: a compact SDR carries
no conversion factors or thresholds, thresholds must be in order, and every
value the model certainly takes and every threshold must fit one raw byte
with the sensor's M/B/R factors (IPMI 2.0 section 36.3).  Values are in the
sensor's units (degrees C, Volts, RPM...); a discrete sensor's value is its
state bits.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from pathlib import Path

from .config_check import MISSING, Checker, code_of, norm_name, resolve

SDR_KINDS = ("full", "compact")
MODEL_KINDS = ("constant", "ramp", "step", "piecewise", "python")
THRESHOLD_KEYS = ("lower_non_recoverable", "lower_critical", "lower_non_critical", "upper_non_critical",
                  "upper_critical", "upper_non_recoverable")
ANALOG_FORMATS = ("unsigned", "ones_complement", "twos_complement")


@dataclass
class ModelSpec:
    """A sensor's value model as configured (the fields ``bmc.sensors.spec`` reads) and the
    ``bmc.sensors.models`` object built from them while validating (so its own checks run early)."""

    kind: str
    model: object = None
    source: str = ""                           # the function reference or the trace file, for messages
    value: float = 0.0                         # constant
    start: float = 0.0                         # ramp: the value until ``at``
    slope: float = 0.0                         # ramp: units per second
    stop: float | None = None                  # ramp: the value it holds once reached
    before: float = 0.0                        # step
    after: float = 0.0
    at: int = 0                                # ramp start / step instant, int ns
    points: tuple = ()                         # piecewise: (t ns, value), increasing times
    interpolate: str = "linear"                # piecewise: "linear" or "hold"
    function: object = None                    # python: fn(t_ns) -> value
    period: int | None = None                  # python: sampling period, int ns (None: the sensor's default)

    def sample_values(self) -> list[float]:
        """Values the model certainly takes (for range checks); a Python function's are unknown."""
        m = self.model
        if self.kind == "constant":
            return [float(m.y)]
        if self.kind == "ramp":
            return [float(m.start)] + ([float(m.stop)] if m.stop is not None else [])
        if self.kind == "step":
            return [float(m.before), float(m.after)]
        if self.kind == "piecewise":
            return [float(v) for _, v in m.points]
        return []


@dataclass
class Conversion:
    """Full SDR reading factors: value = (m*raw + b*10^b_exp) * 10^r_exp (IPMI 2.0 section 36.3)."""

    m: int = 1
    b: int = 0
    b_exp: int = 0
    r_exp: int = 0
    analog_format: str = "unsigned"

    def raw_range(self) -> tuple[int, int]:
        return (-128, 127) if self.analog_format == "twos_complement" else \
            (-127, 127) if self.analog_format == "ones_complement" else (0, 255)

    def to_raw(self, value: float) -> float:
        return (value / 10.0 ** self.r_exp - self.b * 10.0 ** self.b_exp) / self.m


@dataclass
class SensorSpec:
    number: int
    name: str
    sensor_type: int
    units: int                                 # unit type code (Table 43-15)
    sdr: str = "full"
    reading_type: int = 0x01                   # 01h threshold; 02h-0Ch generic; 6Fh sensor-specific
    entity_id: int = 0x07
    entity_instance: int = 1
    model: ModelSpec | None = None             # None: constant 0
    conversion: Conversion = field(default_factory=Conversion)
    thresholds: dict[str, float] = field(default_factory=dict)
    hysteresis: tuple[float, float] = (0.0, 0.0)   # positive-going, negative-going
    events: bool = True
    path: str = ""

    @property
    def threshold_based(self) -> bool:
        return self.reading_type == 0x01


# -- names a config may use for codes ---


def _sensor_type_codes() -> dict[str, int]:
    from vserver.userland.names import SENSOR_TYPES

    codes = {norm_name(n): c for c, n in SENSOR_TYPES.items()}
    codes.update({"watchdog 2": 0x23, "watchdog 1": 0x11, "chassis intrusion": 0x05, "intrusion": 0x05,
                  "psu": 0x08, "fan": 0x04, "temp": 0x01, "drive slot": 0x0D, "system firmware progress": 0x0F})
    return codes


def _unit_codes() -> dict[str, int]:
    from vserver.userland.names import UNITS

    codes = {norm_name(n): c for c, n in enumerate(UNITS) if n != "reserved"}
    codes.update({"c": 1, "celsius": 1, "degrees celsius": 1, "f": 2, "v": 4, "volt": 4, "a": 5, "amp": 5,
                  "w": 6, "watt": 6, "": 0, "none": 0})
    return codes


ENTITIES = {"unspecified": 0x00, "processor": 0x03, "system board": 0x07, "power supply": 0x0A,
            "power unit": 0x13, "system chassis": 0x17, "fan": 0x1D, "cooling unit": 0x1E, "memory device": 0x20,
            "system management software": 0x23, "air inlet": 0x37}


# -- readers ---


def _read_model(ck: Checker, path: str, raw, base: Path | None) -> ModelSpec | None:
    from bmc.sensors import models

    if not isinstance(raw, dict):
        return ck.bad(path, raw, "must be a table with a kind (" + ", ".join(MODEL_KINDS) + ")")
    kind = ck.choice(f"{path}.kind", raw.get("kind", MISSING), MODEL_KINDS)
    if kind is None:
        return None
    keys = {"kind": True, **{
        "constant": {"value": True},
        "ramp": {"start": True, "slope": True, "stop": False, "at": False},
        "step": {"before": True, "after": True, "at": True},
        "piecewise": {"points": False, "file": False, "interpolate": False},
        "python": {"function": True, "period": False},
    }[kind]}
    if ck.table(path, raw, keys) is None:
        return None
    n0 = len(ck.problems)
    num = {k: ck.number(f"{path}.{k}", raw[k]) for k in ("value", "start", "slope", "stop", "before", "after")
           if k in raw}
    at = ck.duration(f"{path}.at", raw["at"]) if "at" in raw else 0
    interpolate = ck.choice(f"{path}.interpolate", raw.get("interpolate", "linear"), ("linear", "hold"))
    period = ck.duration(f"{path}.period", raw["period"], lo=1) if "period" in raw else None
    fn = _resolve_function(ck, f"{path}.function", raw.get("function")) if kind == "python" else None
    if len(ck.problems) != n0:
        return None
    source = ""
    try:
        if kind == "constant":
            model = models.Constant(num["value"])
        elif kind == "ramp":
            model = models.Ramp(num["start"], num["slope"], at, num.get("stop"))
        elif kind == "step":
            model = models.Step(num["before"], num["after"], at)
        elif kind == "python":
            source = raw["function"]
            model = models.Function(fn, period) if period is not None else models.Function(fn)
        elif ("points" in raw) == ("file" in raw):
            return ck.bad(path, {k: raw[k] for k in ("points", "file") if k in raw} or MISSING,
                          "a piecewise model needs exactly one of points or file")
        elif "points" in raw:
            points = _read_points(ck, f"{path}.points", raw["points"])
            if points is None:
                return None
            model = models.Piecewise(points, interpolate)
        else:
            name = ck.string(f"{path}.file", raw["file"])
            if name is None:
                return None
            source = name
            try:
                model = models.Piecewise.from_file(resolve(base, name), interpolate)
            except OSError as exc:
                return ck.bad(f"{path}.file", name, f"cannot read it ({exc.strerror or exc})")
            except ValueError as exc:
                return ck.bad(f"{path}.file", name, str(exc))
    except (ValueError, TypeError) as exc:
        return ck.bad(path, raw, str(exc))
    spec = ModelSpec(kind, model, source, at=at, interpolate=interpolate, function=fn, period=period,
                     **{k: v for k, v in num.items() if k in ("value", "start", "slope", "stop", "before", "after")})
    if kind == "piecewise":
        spec.points = model.points
    return spec


def _zero() -> ModelSpec:
    from bmc.sensors import models

    return ModelSpec("constant", models.Constant(0), value=0)


def _read_points(ck: Checker, where: str, rows):
    """Inline trace points: ``[["0 s", 24.0], ["10 s", 30.0], ...]``."""
    if not isinstance(rows, list) or not rows:
        return ck.bad(where, rows, 'must be a non-empty list of ["time", value] pairs')
    points = []
    n0 = len(ck.problems)
    for i, item in enumerate(rows):
        if not isinstance(item, list) or len(item) != 2:
            ck.bad(f"{where}[{i}]", item, 'must be a pair: ["time with unit", value]')
            continue
        t = ck.duration(f"{where}[{i}].time", item[0])
        v = ck.number(f"{where}[{i}].value", item[1])
        if t is None or v is None:
            continue
        if points and t <= points[-1][0]:
            ck.bad(f"{where}[{i}].time", item[0], "times must increase")
            continue
        points.append((t, v))
    return points if len(ck.problems) == n0 else None


def _resolve_function(ck: Checker, path: str, ref):
    if not isinstance(ref, str) or ref.count(":") != 1 or not all(ref.split(":")):
        return ck.bad(path, ref, 'must be "module:function"')
    module, name = ref.split(":")
    try:
        fn = getattr(importlib.import_module(module), name)
    except ImportError as exc:
        return ck.bad(path, ref, f"cannot import module {module!r} ({exc})")
    except AttributeError:
        return ck.bad(path, ref, f"module {module!r} has no {name!r}")
    if not callable(fn):
        return ck.bad(path, ref, "is not callable")
    return fn


def _read_conversion(ck: Checker, path: str, raw) -> Conversion | None:
    """Explicit factors (``m``, ``b``, ``b_exp``, ``r_exp``) or a ``range = [lo, hi]`` (and ``resolution``) that
    the BMC's ``Linear.fit`` turns into factors; ``format`` with either."""
    keys = {"m": False, "b": False, "b_exp": False, "r_exp": False, "format": False, "range": False,
            "resolution": False}
    if ck.table(path, raw, keys) is None:
        return None
    c = Conversion()
    n0 = len(ck.problems)
    if "format" in raw:
        c.analog_format = ck.choice(f"{path}.format", raw["format"], ANALOG_FORMATS)
    if "range" in raw or "resolution" in raw:
        explicit = [k for k in ("m", "b", "b_exp", "r_exp") if k in raw]
        if explicit:
            return ck.bad(f"{path}.{explicit[0]}", raw[explicit[0]], "give either factors or a range, not both")
        rng = raw.get("range", MISSING)
        if not isinstance(rng, list) or len(rng) != 2:
            return ck.bad(f"{path}.range", rng, "must be [lowest, highest] in the sensor's units")
        lo = ck.number(f"{path}.range[0]", rng[0])
        hi = ck.number(f"{path}.range[1]", rng[1])
        res = ck.number(f"{path}.resolution", raw["resolution"]) if "resolution" in raw else None
        if len(ck.problems) != n0:
            return None
        from bmc.sensors.conversion import Linear

        try:
            lin = Linear.fit(lo, hi, res, c.analog_format or "unsigned")
        except ValueError as exc:
            return ck.bad(path, raw, str(exc))
        c.m, c.b, c.b_exp, c.r_exp = lin.m, lin.b, lin.b_exp, lin.r_exp
        return c
    if "m" in raw:
        c.m = ck.integer(f"{path}.m", raw["m"], -512, 511)
        if c.m == 0:
            ck.bad(f"{path}.m", 0, "M must not be 0 (every raw value would read the same)")
    if "b" in raw:
        c.b = ck.integer(f"{path}.b", raw["b"], -512, 511)
    for key in ("b_exp", "r_exp"):
        if key in raw:
            setattr(c, key, ck.integer(f"{path}.{key}", raw[key], -8, 7))
    return c if len(ck.problems) == n0 else None


def _read_sensor(ck: Checker, i: int, raw, base: Path | None, types, units) -> SensorSpec | None:
    path = f"sensors[{i}]"
    keys = {"number": True, "name": True, "type": True, "units": False, "sdr": False, "reading_type": False,
            "entity": False, "entity_instance": False, "model": False, "conversion": False, "thresholds": False,
            "hysteresis": False, "events": False}
    if ck.table(path, raw, keys) is None:
        return None
    n0 = len(ck.problems)
    number = ck.integer(f"{path}.number", raw.get("number"), 0, 0xFE, hexfmt=True) if "number" in raw else None
    name = ck.string(f"{path}.name", raw.get("name"), max_bytes=16, ascii_only=True) if "name" in raw else None
    stype = code_of(ck, f"{path}.type", raw["type"], types) if "type" in raw else None
    unit = code_of(ck, f"{path}.units", raw.get("units", ""), units)
    sdr = ck.choice(f"{path}.sdr", raw.get("sdr", "full"), SDR_KINDS)
    rt = raw.get("reading_type", "threshold")
    if rt == "threshold":
        reading_type = 0x01
    elif rt == "sensor_specific":
        reading_type = 0x6F
    elif isinstance(rt, int) and not isinstance(rt, bool) and (0x01 <= rt <= 0x0C or 0x6F <= rt <= 0x7F):
        reading_type = rt
    else:
        reading_type = ck.bad(f"{path}.reading_type", rt, 'write "threshold", "sensor_specific" or an '
                              "event/reading type code 0x01-0x0C, 0x6F-0x7F")
    entity = code_of(ck, f"{path}.entity", raw.get("entity", "system board"), ENTITIES)
    instance = ck.integer(f"{path}.entity_instance", raw.get("entity_instance", 1), 0, 0x7F)
    model = _read_model(ck, f"{path}.model", raw["model"], base) if "model" in raw else _zero()
    conv = _read_conversion(ck, f"{path}.conversion", raw["conversion"]) if "conversion" in raw else Conversion()
    events = ck.boolean(f"{path}.events", raw.get("events", True))
    thresholds: dict[str, float] = {}
    if "thresholds" in raw:
        th = raw["thresholds"]
        if ck.table(f"{path}.thresholds", th, dict.fromkeys(THRESHOLD_KEYS, False)) is not None:
            for key in THRESHOLD_KEYS:
                if key in th:
                    v = ck.number(f"{path}.thresholds.{key}", th[key])
                    if v is not None:
                        thresholds[key] = v
    hysteresis = (0.0, 0.0)
    if "hysteresis" in raw:
        h = raw["hysteresis"]
        if ck.table(f"{path}.hysteresis", h, {"positive": False, "negative": False}) is not None:
            pos = ck.number(f"{path}.hysteresis.positive", h.get("positive", 0), 0)
            neg = ck.number(f"{path}.hysteresis.negative", h.get("negative", 0), 0)
            hysteresis = (pos or 0.0, neg or 0.0)
    if len(ck.problems) != n0:
        return None
    spec = SensorSpec(number, name, stype, unit, sdr, reading_type, entity, instance, model, conv, thresholds,
                      hysteresis, events, path)
    _check_sensor(ck, spec, raw)
    if len(ck.problems) == n0:
        # The BMC's own checks run now, so a config it would refuse is refused before anything is built.
        from bmc.sensors import sensor_from_spec

        try:
            sensor_from_spec(spec)
        except ValueError as exc:
            ck.bad(path, raw.get("name"), str(exc).removeprefix(f"{path}: "))
    return spec if len(ck.problems) == n0 else None


def _check_sensor(ck: Checker, s: SensorSpec, raw) -> None:
    """Cross-field checks: what the SDR kind can carry, threshold order, values the factors can represent."""
    path = s.path
    if s.sdr == "compact" and ("conversion" in raw or s.thresholds or "hysteresis" in raw):
        which = next(k for k in ("conversion", "thresholds", "hysteresis") if k in raw)
        ck.bad(f"{path}.{which}", raw[which], 'a compact SDR carries no conversion factors or thresholds; '
               'use sdr = "full"')
        return
    if not s.threshold_based and s.thresholds:
        ck.bad(f"{path}.thresholds", raw["thresholds"], "only threshold sensors (reading_type = \"threshold\") "
               "have thresholds")
        return
    order = [(k, s.thresholds[k]) for k in THRESHOLD_KEYS if k in s.thresholds]
    for (k1, v1), (k2, v2) in zip(order, order[1:], strict=False):
        if v1 > v2:
            ck.bad(f"{path}.thresholds.{k2}", v2, f"must not be below {k1} ({v1}): thresholds go "
                   "lower_non_recoverable <= lower_critical <= ... <= upper_non_recoverable")
    if s.sdr != "full" or not s.threshold_based:
        if not s.threshold_based:
            for where, v in [(f"{path}.model", v) for v in s.model.sample_values()]:
                if v != int(v) or not 0 <= v <= 0x7FFF:
                    ck.bad(where, v, "a discrete sensor's value is its state bits: an integer 0-0x7FFF")
                    break
        return
    lo, hi = s.conversion.raw_range()
    checks = [(f"{path}.thresholds.{k}", v) for k, v in order]
    checks += [(f"{path}.model", v) for v in s.model.sample_values()]
    for where, v in checks:
        x = s.conversion.to_raw(v)
        if not lo - 0.5 <= x <= hi + 0.5:
            c = s.conversion
            ck.bad(where, v, f"not representable: raw {x:.1f} is outside {lo}..{hi} with M={c.m} B={c.b} "
                   f"Bexp={c.b_exp} Rexp={c.r_exp}; change sensors[].conversion")
    for which, v in zip(("positive", "negative"), s.hysteresis, strict=True):
        if v and not 0 <= v / (abs(s.conversion.m) * 10.0 ** s.conversion.r_exp) <= 255.5:
            ck.bad(f"{path}.hysteresis.{which}", v, "not representable in one raw byte with these factors")


def read_sensors(ck: Checker, raw, base: Path | None) -> list[SensorSpec] | None:
    if not isinstance(raw, list):
        return ck.bad("sensors", raw, "must be an array of tables ([[sensors]])")
    types, units = _sensor_type_codes(), _unit_codes()
    out = []
    first: dict[tuple[str, object], int] = {}
    for i, item in enumerate(raw):
        n0 = len(ck.problems)
        # Duplicates are found on the raw entries, so they are reported even when an entry has other problems.
        for key in ("number", "name") if isinstance(item, dict) else ():
            value = item.get(key)
            if isinstance(value, (int, str)) and not isinstance(value, bool):
                seen = first.setdefault((key, value), i)
                if seen != i:
                    ck.bad(f"sensors[{i}].{key}", value, f"duplicate sensor {key}: sensors[{seen}] has it too")
        spec = _read_sensor(ck, i, item, base, types, units)
        if spec is not None and len(ck.problems) == n0:
            out.append(spec)
    return out
