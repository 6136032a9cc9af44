"""The race catalogue: real driver races and bugs (reference/linux-ipmi.md section 3) as scenarios.

A race is a world + faults + variants + a symptom check.  ``Race.play(variants, seed)`` builds a
traced world with those driver variants (``buses.variant``), drives it, and says whether the
symptom showed and when (``Outcome``).  The ``buggy`` variants show it, the ``fixed`` ones do not;
the seed draws the timing that opens the window (a host's read latency, how long a BMC stays
busy, which flag fetch goes wrong) from the simulation's RNG, so a sweep over seeds measures how
often the window is hit.  Every run is traced, and its trace digest is what a replay file pins.

``RACES`` holds them by catalogue id; ``get`` takes an id ("H-1", "h1") or a name.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from buses.variant import REGISTRY

VARIANT_SETS = ("buggy", "fixed")


@dataclass(frozen=True)
class Outcome:
    symptom: bool
    at: int | None                # simulated time the symptom showed (ns from the world's start)
    detail: str
    digest: str                   # the run's trace digest
    end: int                      # simulated time at the end
    records: tuple = field(default=(), compare=False, repr=False)


def outcome(world, symptom: bool, at: int | None, detail: str) -> Outcome:
    """The outcome of a run in ``world`` (traced): its digest and records come along."""
    tracer = world.sim.tracer
    return Outcome(symptom, at, detail, tracer.digest(), world.sim.now, tuple(tracer.records))


@dataclass(frozen=True)
class Race:
    id: str                       # the catalogue's: H-1, B-3, ...
    name: str                     # a slug for the command line
    layer: str                    # where it lives
    title: str
    story: str                    # the interleaving, for a learner
    symptom: str                  # what shows with the buggy variant
    buggy: tuple[str, ...]
    fixed: tuple[str, ...]
    play: Callable[[tuple[str, ...], int], Outcome] = field(compare=False, repr=False)
    seed: int = 0                 # a seed whose buggy run shows the symptom (the command line's default)

    def variants(self, which: str) -> tuple[str, ...]:
        if which not in VARIANT_SETS:
            raise ValueError(f"variant: {which!r} is not one of {', '.join(VARIANT_SETS)}")
        return self.buggy if which == "buggy" else self.fixed

    def describe(self) -> dict:
        def named(vs):
            return [{"name": v, "commit": REGISTRY[v].commit} for v in vs]
        return {"id": self.id, "name": self.name, "layer": self.layer, "title": self.title, "story": self.story,
                "symptom": self.symptom, "buggy": named(self.buggy), "fixed": named(self.fixed), "seed": self.seed}


@dataclass(frozen=True)
class RaceRun:
    """One run's result, as a sweep reports it and a replay file stores it."""

    race: str
    variant: str                  # "buggy" | "fixed"
    seed: int
    symptom: bool
    at: int | None
    detail: str
    digest: str                   # the trace's SHA-256
    end: int                      # simulated time at the end
    records: int
    acts: dict = field(default_factory=dict)   # fault name -> the matching crossings it acted on

    def to_json(self) -> dict:
        return asdict(self)


RACES: dict[str, Race] = {}


def race(id: str, name: str, layer: str, title: str, story: str, symptom: str,
         buggy: tuple[str, ...], fixed: tuple[str, ...], seed: int = 0):
    """Register the decorated ``play(variants, seed) -> Outcome`` as a catalogue race."""
    def register(play):
        RACES[id] = Race(id, name, layer, title, " ".join(story.split()), symptom, tuple(buggy), tuple(fixed), play,
                         seed)
        return play
    return register


def catalogue() -> list[Race]:
    """The races in catalogue order: host (H), message handler (M), BMC side (B), each by number."""
    side = {"H": 0, "M": 1, "B": 2}
    return sorted(RACES.values(), key=lambda r: (side.get(r.id[0], 3), int(r.id.split("-")[1])))


def get(name: str) -> Race:
    key = name.strip()
    for r in RACES.values():
        if key.upper() == r.id or key.upper().replace("-", "") == r.id.replace("-", "") or key == r.name:
            return r
    known = ", ".join(f"{r.id} ({r.name})" for r in RACES.values())
    raise ValueError(f"race: {name!r} is not in the catalogue (known: {known})")


def run(name: str, variant: str = "buggy", seed: int = 0,
        schedule: dict[str, list[int]] | None = None) -> tuple[RaceRun, Outcome]:
    """Play one race once; the run's summary and the outcome (with the trace's records).

    ``schedule`` ({fault name: [matching crossings]}) makes each fault act on exactly those.
    """
    from scenarios.faults import controlled

    r = get(name)
    with controlled(schedule) as injected:
        out = r.play(r.variants(variant), seed)
    acts = {f.name: list(f.acts) for f in injected}
    return RaceRun(r.id, variant, seed, out.symptom, out.at, out.detail, out.digest, out.end, len(out.records),
                   acts), out


def replay_record(run_: RaceRun, schedule: dict[str, list[int]] | None = None) -> str:
    """The text of a replay file: enough to play the run again and check its trace."""
    return json.dumps({"format": "ipmilab-replay/1", **run_.to_json(), "schedule": schedule}, indent=2) + "\n"


def load_replay(text: str, source: str = "replay file") -> tuple[RaceRun, dict | None]:
    """A replay file's run and its fault schedule (None: the race's own); ValueError names what is wrong."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{source}: not JSON ({exc.msg} at line {exc.lineno})") from None
    if not isinstance(doc, dict) or doc.get("format") != "ipmilab-replay/1":
        got = doc.get("format") if isinstance(doc, dict) else doc
        raise ValueError(f"{source}: format: expected 'ipmilab-replay/1', got {got!r}")
    fields = RaceRun.__dataclass_fields__
    missing = [k for k in fields if k not in doc]
    if missing:
        raise ValueError(f"{source}: {missing[0]}: missing")
    if doc["variant"] not in VARIANT_SETS:
        raise ValueError(f"{source}: variant: {doc['variant']!r} is not one of {', '.join(VARIANT_SETS)}")
    get(str(doc["race"]))
    if not isinstance(doc["seed"], int) or doc["seed"] < 0:
        raise ValueError(f"{source}: seed: {doc['seed']!r} is not a whole number >= 0")
    schedule = doc.get("schedule")
    if schedule is not None and not (isinstance(schedule, dict) and all(
            isinstance(v, list) and all(isinstance(i, int) and i >= 1 for i in v) for v in schedule.values())):
        raise ValueError(f"{source}: schedule: {schedule!r} is not {{fault name: [crossing numbers]}}")
    return RaceRun(**{k: doc[k] for k in fields}), schedule


from . import (  # noqa: E402,F401
    b01_no_client,
    b03_obe_stall,
    b06_request_lost,
    b08_coalesced_stop,
    b09_late_answer,
    h01_dead_bmc,
    h02_unload_wait,
    h03_half_alive_bmc,
    h09_bt_capabilities,
    h10_flags_stuck,
    h11_write_retries,
    h13_multipart_probe,
    h14_kthread_stop,
    h16_watchdog_bmc_reset,
    m01_device_id_retry,
)
