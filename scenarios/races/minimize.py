"""Shrink a failing run's fault schedule: the fewest fault acts that still show the symptom.

A failing run records every matching crossing each of its faults acted on.  Replayed with a
schedule that names crossings (``scenarios.faults.controlled``), a fault acts on exactly those and
draws nothing from the RNG.  Delta debugging (Zeller's ddmin) then looks for a 1-minimal subset:
taking away any one act more makes the symptom go away.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from . import RaceRun, run


@dataclass
class Minimized:
    race: str
    variant: str
    seed: int
    symptom: bool                 # the seed fails at all
    acted: int = 0                # fault acts in the original run
    minimal: list = field(default_factory=list)     # [(fault name, crossing)]
    run: RaceRun | None = None    # the minimal run
    tries: int = 0

    @property
    def schedule(self) -> dict[str, list[int]]:
        out: dict[str, list[int]] = {}
        for name, i in self.minimal:
            out.setdefault(name, []).append(i)
        return out

    def to_json(self) -> dict:
        return {"race": self.race, "variant": self.variant, "seed": self.seed, "symptom": self.symptom,
                "acted": self.acted, "schedule": self.schedule, "tries": self.tries,
                "run": self.run.to_json() if self.run else None}


def minimize(name: str, variant: str = "buggy", seed: int = 0) -> Minimized:
    first, _ = run(name, variant, seed)
    res = Minimized(first.race, variant, seed, first.symptom)
    if not first.symptom:
        return res
    acts = [(f, i) for f, crossings in first.acts.items() for i in crossings]
    res.acted = len(acts)
    names = list(first.acts)
    cache: dict[tuple, RaceRun] = {}

    def fails(subset: list) -> bool:
        key = tuple(sorted(subset))
        if key not in cache:
            schedule = {n: sorted(i for f, i in subset if f == n) for n in names}
            cache[key] = run(name, variant, seed, schedule=schedule)[0]
            res.tries += 1
        return cache[key].symptom

    if not acts:
        raise ValueError(f"race {first.race}: this run's faults never acted: its symptom comes from the seed's "
                         "timing alone, and there is no fault schedule to shrink")
    if not fails(acts):
        raise ValueError(f"race {first.race} seed {seed}: replayed act by act the symptom goes away (the faults' "
                         "own random draws shape the run), so the schedule cannot be shrunk")
    res.minimal = _ddmin(acts, fails)
    res.run = cache[tuple(sorted(res.minimal))]
    return res


def _ddmin(items: list, fails) -> list:
    """Zeller's ddmin: a 1-minimal failing subset of ``items`` (``fails(items)`` holds)."""
    n = 2
    while len(items) >= 2:
        size = len(items) // n
        parts = [items[i:i + size] for i in range(0, len(items), size)] if size else [[x] for x in items]
        for part in parts:
            if fails(part):
                items, n = part, 2
                break
        else:
            for part in parts:
                rest = [x for x in items if x not in part]
                if rest and fails(rest):
                    items, n = rest, max(n - 1, 2)
                    break
            else:
                if n >= len(items):
                    break
                n = min(n * 2, len(items))
    if len(items) == 1 or not items:
        return items
    return items
