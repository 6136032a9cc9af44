"""Sensors, their value models, SDRs and events (IPMI 2.0 chapters 35, 36, 42, 43).

- ``models``: what a sensor measures over simulated time (constant, ramp,
  step, piecewise trace, Python function);
- ``conversion``: raw reading <-> value (M, B, exponents) and choosing factors;
- ``sdr``: Full/Compact/Event-Only sensor records and device locators;
- ``sensor``: threshold and discrete sensors, their event status and events;
- ``registry``: ``bmc.sensors``, the event receiver and the Device SDRs;
- ``pef``: PEF configuration parameters;
- ``defaults``: the default server's sensor set; ``spec``: sensors from a config.
"""

from .conversion import Linear
from .defaults import default_sensors, install_default_sensors
from .discrete import DiscreteSensor
from .models import Constant, Function, Model, Piecewise, Ramp, Step
from .registry import SensorRegistry
from .sensor import Sensor
from .spec import install_from_specs, sensor_from_spec
from .threshold import ThresholdSensor

__all__ = ["Constant", "DiscreteSensor", "Function", "Linear", "Model", "Piecewise", "Ramp", "Sensor",
           "SensorRegistry", "Step", "ThresholdSensor", "default_sensors", "install_default_sensors",
           "install_from_specs", "sensor_from_spec"]
