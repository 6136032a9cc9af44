"""Sweeps: one race over many seeds, on a local process pool or a Dask cluster, with the same results.

Each seed is an independent, deterministic run (``races.run``), so where it runs cannot change
its result: the local pool and a distributed cluster return the same ``RaceRun`` per seed, and
the report sorts by seed.  Seeds go out in chunks (a process start or a network round trip costs
more than a short run); ``progress(done, total)`` hears each finished chunk.

Why Dask: ``distributed`` runs plain Python functions on plain processes (``LocalCluster`` or a
scheduler address), pickles our small dataclasses as they are, and its ``as_completed`` gives the
progress bar what the local pool gives it.  Ray would do too, but brings a heavier runtime for
no gain here.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass, field
from multiprocessing import get_context

from . import RaceRun, get, run

BACKENDS = ("local", "dask")
RUN_WALL_LIMIT_S = 300      # one run past this much wall time is a simulator that stopped advancing


def run_chunk(name: str, variant: str, seeds: list[int], wall_limit: float = RUN_WALL_LIMIT_S) -> list[RaceRun]:
    """Worker entry point: the runs of ``seeds`` (the traces stay in the worker)."""
    out = []
    for seed in seeds:
        with _wall_limit(wall_limit, f"{name} {variant} seed {seed}"):
            out.append(run(name, variant, seed)[0])
    return out


@contextmanager
def _wall_limit(seconds: float, what: str):
    """A run that never ends must not hang the sweep: past ``seconds`` of wall time it is an error
    naming the seed (where a timer signal can be had: a process's main thread)."""
    if not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expired(_sig, _frame):
        raise RuntimeError(f"{what}: no result after {seconds:g} s of wall time (the simulation stopped "
                           f"advancing?); run it alone: ipmilab races run ... --seed")
    old = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


@dataclass
class SweepResult:
    race: str
    variant: str
    backend: str
    jobs: int
    runs: list[RaceRun] = field(default_factory=list)
    wall_s: float = 0.0

    @property
    def failing(self) -> list[int]:
        return [r.seed for r in self.runs if r.symptom]

    @property
    def fraction(self) -> float:
        return len(self.failing) / len(self.runs) if self.runs else 0.0

    def to_json(self) -> dict:
        ats = [r.at for r in self.runs if r.symptom and r.at is not None]
        return {"race": self.race, "variant": self.variant, "backend": self.backend, "jobs": self.jobs,
                "seeds": len(self.runs), "failing": self.failing, "fraction": self.fraction,
                "first_symptom_ns": min(ats) if ats else None, "median_symptom_ns": sorted(ats)[len(ats) // 2]
                if ats else None, "wall_s": round(self.wall_s, 3),
                "digests": {r.seed: r.digest for r in self.runs}}


def _chunks(seeds: list[int], n: int) -> list[list[int]]:
    size = max(1, min(50, len(seeds) // (n * 8) or 1))
    return [seeds[i:i + size] for i in range(0, len(seeds), size)]


def sweep(name: str, seeds, variant: str = "buggy", jobs: int | None = None, backend: str = "local",
          scheduler: str | None = None, progress: Callable[[int, int], None] | None = None) -> SweepResult:
    """Run race ``name`` once per seed; ``scheduler`` is a Dask address (None: a local Dask cluster)."""
    r = get(name)
    r.variants(variant)                                   # a bad variant set fails here, not in a worker
    if backend not in BACKENDS:
        raise ValueError(f"backend: {backend!r} is not one of {', '.join(BACKENDS)}")
    seeds = list(seeds)
    jobs = jobs or os.cpu_count() or 1
    if jobs < 1:
        raise ValueError(f"jobs: {jobs} must be at least 1")
    result = SweepResult(r.id, variant, backend, jobs)
    chunks = _chunks(seeds, jobs)
    done = 0
    t0 = time.perf_counter()

    def take(runs: list[RaceRun]) -> None:
        nonlocal done
        result.runs += runs
        done += len(runs)
        if progress is not None:
            progress(done, len(seeds))

    if backend == "local":
        if jobs == 1:
            for chunk in chunks:
                take(run_chunk(r.id, variant, chunk))
        else:
            with ProcessPoolExecutor(jobs, mp_context=get_context("fork")) as pool:
                futures = [pool.submit(run_chunk, r.id, variant, chunk) for chunk in chunks]
                for fut in as_completed(futures):
                    take(fut.result())
    else:
        _dask_sweep(r.id, variant, chunks, jobs, scheduler, take)
    result.runs.sort(key=lambda x: x.seed)
    result.wall_s = time.perf_counter() - t0
    return result


def _dask_sweep(name, variant, chunks, jobs, scheduler, take) -> None:
    try:
        from dask.distributed import Client, LocalCluster
        from dask.distributed import as_completed as dask_completed
    except ImportError:
        raise ValueError("backend: 'dask' needs Dask distributed (pip install 'ipmilab[dist]')") from None
    cluster = None
    if scheduler is None:
        cluster = LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True, dashboard_address=None,
                               host="127.0.0.1")
    try:
        with Client(cluster or scheduler) as client:
            futures = [client.submit(run_chunk, name, variant, chunk, pure=False) for chunk in chunks]
            for fut in dask_completed(futures):
                take(fut.result())
    finally:
        if cluster is not None:
            cluster.close()
