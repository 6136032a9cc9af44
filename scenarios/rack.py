"""A rack: many independent served BMCs on one simulated clock (``ipmilab serve --count N``).

Each BMC is what ``build_served_bmc`` builds for one server, at its place
in the rack (``index``): its own identity (name ``bmc``, ``bmc-0002``, ...,
device and system GUIDs moved on by the index, see
``cli_serve.rack_identity``), its own users, chassis and sensors, and its
own stores in its own state subdirectory ``bmc-0001``, ``bmc-0002``, ...
All of them share one ``Simulation`` (one SimPy clock, one RNG, one
tracer) and the read-only parts every BMC of one configuration has alike
(the command table and its costs, ``bmc.ipmid``).  Nothing mutable is
shared: a change on one BMC never shows on another.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

from .cli_serve import RACK_MAX_INDEX, ServedBmc, build_served_bmc


def rack_dir_name(index: int) -> str:
    """The state subdirectory of the rack's BMC ``index``: ``bmc-0001`` for the first."""
    return f"bmc-{index + 1:04d}"


def build_rack(config, count: int, state_dir=None, *, seed: int | None = None, trace: bool = False,
               progress: Callable[[int, int], None] | None = None, console: bool = False) -> list[ServedBmc]:
    """``count`` BMCs of one configuration on one shared ``Simulation``.

    ``config`` is what ``build_served_bmc`` takes (None: the default
    server); it is read once for the whole rack.  ``state_dir`` is the
    rack's directory, each BMC in its subdirectory ``bmc-0001`` ...
    (None: the configuration's ``state_dir``; neither: in-memory stores).
    ``seed`` (default the configuration's) and ``trace`` set up the shared
    simulation.  ``progress(done, count)`` is called after each BMC is
    built, for a progress bar.  ``console`` gives each BMC a running
    console host (``build_served_bmc``).  A BMC that cannot be built (a locked or
    broken store) closes the ones already built and raises its error.
    """
    from buses import Simulation

    from .config import default_config, load_config

    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= RACK_MAX_INDEX + 1:
        raise ValueError(f"count {count!r} out of range 1-{RACK_MAX_INDEX + 1}")
    cfg = default_config() if config is None else load_config(config)
    root = state_dir if state_dir is not None else cfg.state_dir
    cfg = dataclasses.replace(cfg, state_dir=None)   # one directory each, below root
    sim = Simulation(seed=cfg.seed if seed is None else seed, trace=trace)
    rack: list[ServedBmc] = []
    try:
        for i in range(count):
            where = None if root is None else Path(root) / rack_dir_name(i)
            rack.append(build_served_bmc(cfg, state_dir=where, sim=sim, index=i, console=console))
            if progress is not None:
                progress(i + 1, count)
    except BaseException:
        close_rack(rack)
        raise
    return rack


def close_rack(rack: list[ServedBmc]) -> None:
    """Close every BMC's stores (each commits as it goes: nothing is lost, the locks are released)."""
    for served in rack:
        served.bmc.store.close()


@contextmanager
def rack_progress(console, count: int, *, description: str = "building BMCs"):
    """A ``progress`` callback for ``build_rack`` that draws a ``rich`` progress bar on ``console``.

    The bar is shown only on a terminal and for a rack big enough to take
    a while; otherwise the callback does nothing.
    """
    if count < 50 or not console.is_terminal:
        yield lambda done, total: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console, transient=True) as bar:
        task = bar.add_task(description, total=count)
        yield lambda done, total: bar.update(task, completed=done)
