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

    def variants(self, which: str) -> tuple[str, ...]:
        if which not in VARIANT_SETS:
            raise ValueError(f"variant: {which!r} is not one of {', '.join(VARIANT_SETS)}")
        return self.buggy if which == "buggy" else self.fixed

    def describe(self) -> dict:
        def named(vs):
            return [{"name": v, "commit": REGISTRY[v].commit} for v in vs]
        return {"id": self.id, "name": self.name, "layer": self.layer, "title": self.title, "story": self.story,
                "symptom": self.symptom, "buggy": named(self.buggy), "fixed": named(self.fixed)}


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

    def to_json(self) -> dict:
        return asdict(self)


RACES: dict[str, Race] = {}


def race(id: str, name: str, layer: str, title: str, story: str, symptom: str,
         buggy: tuple[str, ...], fixed: tuple[str, ...]):
    """Register the decorated ``play(variants, seed) -> Outcome`` as a catalogue race."""
    def register(play):
        RACES[id] = Race(id, name, layer, title, " ".join(story.split()), symptom, tuple(buggy), tuple(fixed), play)
        return play
    return register


def get(name: str) -> Race:
    key = name.strip()
    for r in RACES.values():
        if key.upper() == r.id or key.upper().replace("-", "") == r.id.replace("-", "") or key == r.name:
            return r
    known = ", ".join(f"{r.id} ({r.name})" for r in RACES.values())
    raise ValueError(f"race: {name!r} is not in the catalogue (known: {known})")


def run(name: str, variant: str = "buggy", seed: int = 0) -> tuple[RaceRun, Outcome]:
    """Play one race once; the run's summary and the outcome (with the trace's records)."""
    r = get(name)
    out = r.play(r.variants(variant), seed)
    return RaceRun(r.id, variant, seed, out.symptom, out.at, out.detail, out.digest, out.end, len(out.records)), out


def replay_record(run_: RaceRun) -> str:
    """The text of a replay file: enough to play the run again and check its trace."""
    return json.dumps({"format": "ipmilab-replay/1", **run_.to_json()}, indent=2) + "\n"


def load_replay(text: str, source: str = "replay file") -> RaceRun:
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
    return RaceRun(**{k: doc[k] for k in fields})


from . import b03_obe_stall, b08_coalesced_stop, h01_dead_bmc, h10_flags_stuck, h11_write_retries  # noqa: E402,F401
