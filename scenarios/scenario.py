"""Writing a scenario: build a world, drive it, and check what happened and when.

A scenario is a plain Python script (``python my_scenario.py``, or ``ipmilab
scenario run my_scenario.py`` for a summary) or a pytest test (the plugin in
``scenarios.pytest_plugin`` gives the fixtures ``world``, ``booted_world``,
``sim`` and ``trace``).  Everything is simulated time in integer ns
(``buses.time``: ``us``, ``ms``, ``s``)::

    from buses.time import ms, s
    from scenarios.scenario import ask, assert_between, boot, run_until

    w = boot("ast2600", trace=True)
    assert ask(w, "18 01").startswith("1C 01 00")          # Get Device ID, through the host
    done = run_until(w, layer="msg", event="response")      # the next response the handler takes
    assert_between(done, w.sim.now - ms(10), w.sim.now)

The helpers:

- ``boot``: a ``World`` booted to the moment its users may talk (and left to
  settle ``settle`` ns, so the driver's start-up traffic is over); every world
  it builds is remembered for ``ipmilab scenario run``'s summary;
- ``ask``: one request, as hex in and hex out, through the host's driver stack
  (``via="host"``) or straight to the BMC's dispatcher (``via="bmc"``, as from a
  LAN channel);
- ``run_until``: run until a simulated time, or until a trace record matches
  (layer, component, event, and field values), within a limit;
- ``find`` / ``first``: trace queries with the same matching;
- ``assert_between``: a simulated time (or a record's) inside a window, with a
  message in durations.
"""

from __future__ import annotations

from bmc.ipmi.msg import from_hex, hexdump
from buses.time import fmt_duration, fmt_time, ms, s

from .world import World

_recording: list | None = None     # while ``ipmilab scenario run`` runs a script: the worlds boot() built
_trace_all = False                 # ... and it exports their traces: every world boot() builds is traced


class ScenarioError(RuntimeError):
    """The scenario could not do what it asked (the driver found no BMC, a wait ran past its limit)."""


def boot(preset: str = "isa-ipmi-kcs", *, seed: int = 0, interface: str | None = None, irq: bool = False,
         trace: bool = False, settle: int = ms(20), limit: int = s(120), **world_kw) -> World:
    """A booted world: the host's driver has found the BMC and its start-up is over (``settle=0``: the
    instant users may talk, the driver's last start-up pass possibly still running)."""
    irq = world_kw.pop("use_irq", irq)
    trace = trace or _trace_all
    return boot_world(World(preset, seed=seed, interface=interface, use_irq=irq, trace=trace, **world_kw),
                      settle=settle, limit=limit)


def boot_world(w: World, settle: int = ms(20), limit: int = s(120)) -> World:
    """Boot a world you built yourself, by ``boot``'s rules."""
    if not w.boot(limit=limit):
        raise ScenarioError(f"preset {w.preset.name}: the host driver did not find the BMC "
                            f"({w.host.si.failed if w.host.si else 'no driver'})")
    if settle:
        w.sim.run(until=w.sim.now + settle)
    if _recording is not None:
        _recording.append(w)
    return w


class recording:  # noqa: N801  (a context manager, used as a verb)
    """``with recording() as made:``: the worlds ``boot`` builds inside, kept for a summary;
    ``trace=True`` traces them all (tracing changes no timing), for exports."""

    def __init__(self, trace: bool = False):
        self.trace = trace

    def __enter__(self) -> list:
        global _recording, _trace_all
        self._outer, _recording = _recording, []
        self._outer_trace, _trace_all = _trace_all, self.trace or _trace_all
        return _recording

    def __exit__(self, *exc) -> None:
        global _recording, _trace_all
        _recording, _trace_all = self._outer, self._outer_trace


def ask(world: World, request: str, via: str = "host", limit: int = s(120)) -> str:
    """``request`` as hex (NetFn/LUN, Cmd, data); the response as hex (NetFn/LUN, Cmd, CC, data)."""
    raw = from_hex(request)
    if len(raw) < 2:
        raise ValueError(f"ask: {request!r} has no NetFn/LUN and Cmd")
    if via == "bmc":
        return hexdump(world.ipmid.handle(raw))
    if via != "host":
        raise ValueError(f"ask: via={via!r} is not 'host' or 'bmc'")
    return hexdump(world.request(raw[0] >> 2, raw[1], raw[2:], lun=raw[0] & 3, limit=limit).raw)


def _matches(rec, layer, component, event, fields) -> bool:
    if layer is not None and rec.layer != layer:
        return False
    if component is not None and rec.component != component:
        return False
    if event is not None and rec.event != event:
        return False
    if fields:
        have = dict(rec.fields)
        return all(key in have and have[key] == value for key, value in fields.items())
    return True


def find(world: World, layer: str | None = None, component: str | None = None, event: str | None = None,
         since: int = 0, **fields) -> list:
    """Trace records that match (all of the given ones), at or after ``since``."""
    return [r for r in world.sim.tracer.records
            if r.t >= since and _matches(r, layer, component, event, fields)]


def first(world: World, layer: str | None = None, component: str | None = None, event: str | None = None,
          since: int = 0, **fields):
    """The first matching record, or None."""
    found = find(world, layer, component, event, since, **fields)
    return found[0] if found else None


def run_until(world: World, t: int | None = None, *, layer: str | None = None, component: str | None = None,
              event: str | None = None, limit: int = s(60), **fields):
    """Run to absolute time ``t``, or until a record matches; returns the record (None for a time).

    A record already in the trace before the call does not count.  Raises ``ScenarioError`` when
    ``limit`` of simulated time passes first.
    """
    sim = world.sim
    if t is not None:
        if t < sim.now:
            raise ValueError(f"run_until: t={fmt_time(t)} s is before now ({fmt_time(sim.now)} s)")
        sim.run(until=t)
        return None
    if not sim.tracer.enabled:
        raise ScenarioError("run_until: waiting for a trace record needs the world built with trace=True")
    seen = len(sim.tracer.records)
    end = sim.now + limit
    step = ms(1)
    while True:
        records = sim.tracer.records
        for rec in records[seen:]:
            if _matches(rec, layer, component, event, fields):
                return rec
        seen = len(records)
        if sim.now >= end:
            asked = {"layer": layer, "component": component, "event": event, **fields}
            what = ", ".join(f"{k}={v}" for k, v in asked.items() if v is not None)
            raise ScenarioError(f"run_until: no record with {what} within {fmt_duration(limit)}")
        sim.run(until=min(end, sim.now + step))


def assert_between(value, lo: int, hi: int, what: str = "") -> None:
    """``lo <= value <= hi`` in simulated ns; ``value`` may be a trace record (its time)."""
    t = value.t if hasattr(value, "t") else value
    if t is None:
        raise AssertionError(f"{what or 'value'}: nothing happened (None)")
    if not lo <= t <= hi:
        raise AssertionError(f"{what or 'time'}: {fmt_time(t)} s is outside [{fmt_time(lo)} s, {fmt_time(hi)} s] "
                             f"({fmt_duration(t - lo) if t >= lo else '-' + fmt_duration(lo - t)} from the start)")
