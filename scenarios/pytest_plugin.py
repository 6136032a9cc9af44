"""The pytest plugin (entry point ``pytest11``): ``pip install ipmilab`` gives any project these fixtures.

- ``world``: a ``World``, not booted.  Choose it with the marker
  ``@pytest.mark.ipmilab_world(preset="ast2600", interface="kcs", irq=False, seed=0, trace=False)``;
  without one: the default preset, seed 0, no trace;
- ``booted_world``: the same world, booted (``scenarios.scenario.boot``'s rules: its start-up is over);
- ``sim``: the world's ``Simulation`` (the clock, ``sim.now``, ``sim.run(until=...)``);
- ``trace``: trace queries on the world (``trace.find(layer=..., event=..., **fields)``,
  ``trace.first(...)``, ``trace.until(...)``); asking for it turns tracing on.

The helpers themselves (``boot``, ``ask``, ``run_until``, ``find``, ``assert_between``) are in
``scenarios.scenario``.
"""

from __future__ import annotations

import pytest

from buses.time import s

MARKER = "ipmilab_world"
_DEFAULTS = {"preset": "isa-ipmi-kcs", "interface": None, "irq": False, "seed": 0, "trace": False}


def pytest_configure(config):
    config.addinivalue_line("markers", f"{MARKER}(preset, interface, irq, seed, trace): the world the ipmilab "
                                       "fixtures build")


def _spec(request) -> dict:
    spec = dict(_DEFAULTS)
    marker = request.node.get_closest_marker(MARKER)
    if marker is not None:
        unknown = set(marker.kwargs) - set(_DEFAULTS)
        if unknown or marker.args:
            raise pytest.UsageError(f"{MARKER}: takes keywords {', '.join(_DEFAULTS)}; got "
                                    f"{', '.join(sorted(unknown)) or repr(marker.args)}")
        spec.update(marker.kwargs)
    if "trace" in request.fixturenames:
        spec["trace"] = True
    return spec


class Trace:
    """Queries on one world's trace (``scenarios.scenario``'s matching)."""

    def __init__(self, world):
        self.world = world

    @property
    def records(self):
        return self.world.sim.tracer.records

    def find(self, layer=None, component=None, event=None, since=0, **fields):
        from .scenario import find
        return find(self.world, layer, component, event, since, **fields)

    def first(self, layer=None, component=None, event=None, since=0, **fields):
        from .scenario import first
        return first(self.world, layer, component, event, since, **fields)

    def until(self, layer=None, component=None, event=None, limit=s(60), **fields):
        from .scenario import run_until
        return run_until(self.world, layer=layer, component=component, event=event, limit=limit, **fields)

    def digest(self) -> str:
        return self.world.sim.tracer.digest()


@pytest.fixture
def world(request):
    from .world import World

    spec = _spec(request)
    return World(spec["preset"], seed=spec["seed"], interface=spec["interface"], use_irq=spec["irq"],
                 trace=spec["trace"])


@pytest.fixture
def booted_world(world):
    from .scenario import boot_world

    return boot_world(world)


@pytest.fixture
def sim(world):
    return world.sim


@pytest.fixture
def trace(world):
    return Trace(world)
