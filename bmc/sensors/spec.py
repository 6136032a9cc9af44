"""Sensors from a validated world configuration's sensor entries (``scenarios.config_sensors.SensorSpec``).

Duck-typed, so ``bmc`` does not import ``scenarios``: an entry needs
``number, name, sensor_type, units, sdr, reading_type, entity_id,
entity_instance, model, conversion, thresholds, hysteresis, events`` and
optionally ``path`` (the config path errors are prefixed with).  A model
entry needs ``kind`` and that kind's fields (``value``; ``start, slope,
at, stop``; ``before, after, at``; ``points, interpolate``; ``function``).
A discrete sensor's piecewise model holds each point's state bits until
the next point.
"""

from __future__ import annotations

from buses.time import S

from .conversion import Linear
from .discrete import DiscreteSensor
from .models import Constant, Function, Model, Piecewise, Ramp, Step
from .sensor import THRESHOLD_READING, Sensor
from .threshold import ThresholdSensor


def model_from_spec(m, discrete: bool = False) -> Model:
    kind = m.kind
    if kind == "constant":
        return Constant(m.value)
    if kind == "ramp":
        return Ramp(m.start, m.slope, at=m.at, stop=m.stop)
    if kind == "step":
        return Step(m.before, m.after, at=m.at)
    if kind == "piecewise":
        return Piecewise(m.points, "hold" if discrete else m.interpolate)
    if kind == "python":
        return Function(m.function, period=getattr(m, "period", None) or S)
    raise ValueError(f"model kind {kind!r} is not constant, ramp, step, piecewise or python")


def sensor_from_spec(spec) -> Sensor:
    """One sensor object; a ValueError names the entry's config path."""
    where = getattr(spec, "path", "") or f"sensor 0x{spec.number:02X}"
    try:
        discrete = spec.reading_type != THRESHOLD_READING
        model = model_from_spec(spec.model, discrete)
        common = dict(entity_id=spec.entity_id, entity_instance=spec.entity_instance, events=spec.events)
        if discrete:
            return DiscreteSensor(spec.number, spec.name, sensor_type=spec.sensor_type,
                                  reading_type=spec.reading_type, model=model, **common)
        c = spec.conversion
        linear = Linear(m=c.m, b=c.b, b_exp=c.b_exp, r_exp=c.r_exp, analog_format=c.analog_format)
        return ThresholdSensor(spec.number, spec.name, sensor_type=spec.sensor_type, units=spec.units,
                               model=model, linear=linear, thresholds=dict(spec.thresholds),
                               hysteresis=tuple(spec.hysteresis), sdr=spec.sdr, **common)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{where}: {exc}") from None


def install_from_specs(bmc, specs, t: int | None = None) -> list[Sensor]:
    """Replace the BMC's sensors by the configured ones: build all first, then install in one go."""
    sensors = [sensor_from_spec(s) for s in specs]
    bmc.sensors.clear(t=t)
    bmc.sensors.add_all(sensors, t=t)
    return sensors
