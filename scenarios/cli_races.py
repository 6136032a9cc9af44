"""``ipmilab races`` (list, variants, run, sweep, minimize) and ``ipmilab replay FILE``.

Exit status of ``run``, ``sweep`` and ``minimize``: 1 when the symptom shows (in any seed), 0 when
it does not, so shells and CI can ask "does the fixed driver survive?".  ``replay``: 0 when the run
reproduces the file's trace digest exactly, 1 when it does not.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from rich import box
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from . import races
from .argtypes import count_arg
from .exports import add_export_options, write_exports
from .races import VARIANT_SETS

SYMPTOM = Text("symptom", style="bold red")
CLEAN = Text("no symptom", style="green")


def _race_arg(value: str) -> str:
    try:
        return races.get(value).id
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _fmt_at(t: int | None) -> str:
    return "-" if t is None else f"{t / 1e9:.6f} s"


def cmd_list(args, console: Console) -> int:
    if args.json:
        sys.stdout.write(json.dumps([r.describe() for r in races.catalogue()], indent=2) + "\n")
        return 0
    table = Table(title="ipmilab races: the catalogue", box=box.SIMPLE_HEAD,
                  pad_edge=False)
    for col in ("id", "name", "layer", "symptom with the buggy variant", "buggy", "fixed"):
        table.add_column(col, overflow="fold")
    for r in races.catalogue():
        table.add_row(r.id, r.name, r.layer, r.symptom, ", ".join(r.buggy) or "(default)",
                      ", ".join(r.fixed) or "(default)")
    console.print(table)
    console.print("ipmilab races run NAME --trace shows one; ipmilab races variants lists the variants.", style="dim")
    return 0


def cmd_variants(args, console: Console) -> int:
    from buses.variant import REGISTRY

    rows = [{"name": v.name, "driver": f"{v.base.__module__}.{v.base.__name__}", "commit": v.commit}
            for v in sorted(REGISTRY.values(), key=lambda v: v.name)]
    if args.json:
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
        return 0
    table = Table(title="driver variants (buses.variant): the default is the fixed code", box=box.SIMPLE_HEAD,
                  pad_edge=False)
    for col in ("name", "driver", "stands for"):
        table.add_column(col, overflow="fold")
    for row in rows:
        table.add_row(row["name"], row["driver"], row["commit"])
    console.print(table)
    return 0


def _print_trace(records, console: Console) -> None:
    for rec in records:
        console.print(rec.format(), markup=False, highlight=False, soft_wrap=True)


def cmd_run(args, console: Console) -> int:
    r = races.get(args.race)
    args.seed = r.seed if args.seed is None else args.seed
    result, out = races.run(r.id, args.variant, args.seed)
    write_exports(args, out.records)
    if args.json:
        doc = {**result.to_json(), "title": r.title, "variants": list(r.variants(args.variant))}
        if args.trace:
            doc["trace"] = [rec.format() for rec in out.records]
        sys.stdout.write(json.dumps(doc, indent=2) + "\n")
        return 1 if result.symptom else 0
    if args.trace:
        _print_trace(out.records, console)
        console.print()
    console.print(Text.assemble((f"{r.id} {r.title}", "bold"), f"  [{r.layer}]"))
    console.print(r.story, style="dim")
    chosen = ", ".join(r.variants(args.variant)) or "the default drivers"
    console.print(Text.assemble(f"{args.variant} ({chosen}), seed {args.seed}: ",
                                SYMPTOM if result.symptom else CLEAN,
                                f" at {_fmt_at(result.at)}" if result.symptom else ""))
    console.print(f"  {result.detail}")
    console.print(f"  {result.records} trace records to {result.end / 1e9:.6f} s; digest {result.digest}", style="dim")
    return 1 if result.symptom else 0


def cmd_sweep(args, console: Console) -> int:
    from .cli import _console
    from .races.sweep import sweep

    err = _console(stderr=True)
    r = races.get(args.race)
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    with Progress(TextColumn(f"{r.id} {args.variant}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=err, transient=True, disable=not err.is_terminal) as progress:
        task = progress.add_task("seeds", total=len(seeds))
        res = sweep(r.id, seeds, args.variant, args.jobs, args.backend, args.scheduler,
                    progress=lambda done, total: progress.update(task, completed=done))
    written = []
    if res.failing and args.replays:
        out_dir = Path(args.replays)
        out_dir.mkdir(parents=True, exist_ok=True)
        for run in res.runs:
            if run.symptom:
                path = out_dir / f"{r.name}-{args.variant}-seed{run.seed}.json"
                path.write_text(races.replay_record(run))
                written.append(str(path))
    if args.json:
        sys.stdout.write(json.dumps({**res.to_json(), "replays": written}, indent=2) + "\n")
        return 1 if res.failing else 0
    n = len(res.runs)
    where = f"({seeds.start}..{seeds.stop - 1}) on {res.backend} x{res.jobs} in {res.wall_s:.1f} s"
    console.print(Text.assemble((f"{r.id} {r.title}", "bold"), f": {args.variant}, {n} seeds {where}"))
    ats = sorted(x.at for x in res.runs if x.symptom and x.at is not None)
    console.print(Text.assemble(SYMPTOM if res.failing else CLEAN,
                                f" in {len(res.failing)} of {n} seeds ({100 * res.fraction:.1f}%)"))
    if ats:
        console.print(f"  time to symptom: first {_fmt_at(ats[0])}, median {_fmt_at(ats[len(ats) // 2])}")
    if res.failing:
        shown = ", ".join(map(str, res.failing[:20])) + (" ..." if len(res.failing) > 20 else "")
        console.print(f"  failing seeds: {shown}")
    if written:
        console.print(f"  {len(written)} replay files in {args.replays}/ (ipmilab replay FILE)", style="dim")
    return 1 if res.failing else 0


def cmd_minimize(args, console: Console) -> int:
    from .races.minimize import minimize

    r = races.get(args.race)
    args.seed = r.seed if args.seed is None else args.seed
    res = minimize(r.id, args.variant, args.seed)
    if args.json:
        sys.stdout.write(json.dumps(res.to_json(), indent=2) + "\n")
        return 1 if res.symptom else 0
    if not res.symptom:
        console.print(Text.assemble(f"{r.id} {args.variant} seed {args.seed}: ", CLEAN, ": nothing to minimize"))
        return 0
    console.print(Text.assemble((f"{r.id} {r.title}", "bold"), f": {args.variant}, seed {args.seed}"))
    times = "once" if res.acted == 1 else f"{res.acted} times"
    console.print(f"  the run's faults acted {times}; {len(res.minimal)} of those acts still show the symptom:")
    for name, crossings in res.schedule.items():
        console.print(f"    {name}: only on matching crossing {', '.join(map(str, crossings))}")
    console.print(f"  {res.tries} runs; minimal run: symptom at {_fmt_at(res.run.at)}; {res.run.detail}")
    if args.replay:
        Path(args.replay).write_text(races.replay_record(res.run, res.schedule))
        console.print(f"  written: {args.replay} (ipmilab replay {args.replay})", style="dim")
    return 1


def cmd_replay(args, console: Console) -> int:
    path = Path(args.file)
    try:
        text = path.read_text()
    except OSError as exc:
        raise ValueError(f"{args.file}: {exc.strerror}") from None
    want, schedule = races.load_replay(text, args.file)
    got, out = races.run(want.race, want.variant, want.seed, schedule=schedule)
    same = got.digest == want.digest
    if args.trace:
        _print_trace(out.records, console)
        console.print()
    if args.json:
        sys.stdout.write(json.dumps({"file": args.file, "reproduced": same, "run": got.to_json()}, indent=2) + "\n")
        return 0 if same else 1
    r = races.get(want.race)
    console.print(Text.assemble((f"{r.id} {r.title}", "bold"), f": {want.variant}, seed {want.seed}"
                                + (f", schedule {schedule}" if schedule else "")))
    console.print(Text.assemble(SYMPTOM if got.symptom else CLEAN, f" at {_fmt_at(got.at)}: {got.detail}"
                                if got.symptom else f": {got.detail}"))
    if same:
        console.print(Text.assemble(("reproduced", "green"), f": the same trace, digest {got.digest}"))
        return 0
    console.print(Text.assemble(("diverged", "bold red"), f": digest {got.digest}, the file has {want.digest}"))
    return 1


def register(sub, fmt) -> None:
    races_p = sub.add_parser("races", formatter_class=fmt, help="the race catalogue: list, run, sweep, minimize",
                             description="Real Linux and OpenBMC driver races (the README's race table lists them), "
                                         "each a scenario that shows its symptom with the buggy driver variant and "
                                         "not with the fixed one, deterministically from a seed.",
                             epilog="examples:\n  ipmilab races list\n  ipmilab races run H-10 --seed 1 --trace\n"
                                    "  ipmilab races run B-3 --variant fixed\n"
                                    "  ipmilab races sweep B-3 --seeds 1000 --jobs 2\n"
                                    "  ipmilab replay ipmilab-replays/obe-stall-buggy-seed0.json")
    rsub = races_p.add_subparsers(dest="races_command", metavar="ACTION", required=True)

    p = rsub.add_parser("list", formatter_class=fmt, help="the races, their layers and variants",
                        description="List the catalogue: id, layer, symptom, and the variants that show or fix it.")
    p.add_argument("--json", action="store_true", help="machine-readable, with each variant's commit")
    p.set_defaults(run=cmd_list)

    p = rsub.add_parser("variants", formatter_class=fmt, help="the named driver variants",
                        description="List every registered driver variant: the driver it changes and the commit.")
    p.add_argument("--json", action="store_true", help="machine-readable")
    p.set_defaults(run=cmd_variants)

    def common(p, seed=True):
        p.add_argument("race", type=_race_arg, metavar="NAME", help="a race id (H-10) or name (ssif-flags-stuck)")
        p.add_argument("--variant", choices=VARIANT_SETS, default="buggy",
                       help="the driver variants to run with (default: buggy)")
        if seed:
            p.add_argument("--seed", type=count_arg(0, 2 ** 63 - 1), default=None, metavar="N",
                           help="the simulation's seed (default: the race's example seed, which shows the symptom)")
        p.add_argument("--json", action="store_true", help="machine-readable")

    p = rsub.add_parser("run", formatter_class=fmt, help="run one race once (exit 1: the symptom showed)",
                        description="Run one race with the buggy or the fixed variants; print what happened and "
                                    "when. Exit 1 when the symptom shows, 0 when it does not.")
    common(p)
    p.add_argument("--trace", action="store_true", help="print the run's whole trace first")
    add_export_options(p)
    p.set_defaults(run=cmd_run)

    p = rsub.add_parser("sweep", formatter_class=fmt, help="run one race over many seeds, on every core",
                        description="Run a race once per seed on a process pool (or a Dask cluster) and report "
                                    "which seeds show the symptom. A replay file is written for each failing "
                                    "seed. Exit 1 when any seed shows the symptom.")
    common(p, seed=False)
    p.add_argument("--seeds", type=count_arg(1, 10_000_000), default=100, metavar="N",
                   help="how many seeds (default 100)")
    p.add_argument("--first-seed", type=count_arg(0, 2 ** 62), default=0, metavar="S",
                   help="the first seed (default 0)")
    p.add_argument("--jobs", type=count_arg(1, 1024), default=None, metavar="J",
                   help="worker processes (default: every core)")
    p.add_argument("--backend", choices=("local", "dask"), default="local",
                   help="local: a process pool; dask: Dask distributed (a local cluster, or --scheduler)")
    p.add_argument("--scheduler", metavar="ADDR", help="a Dask scheduler, e.g. tcp://127.0.0.1:8786")
    p.add_argument("--replays", metavar="DIR", default="ipmilab-replays",
                   help="where the failing seeds' replay files go (default ./ipmilab-replays; '' for none)")
    p.set_defaults(run=cmd_sweep)

    p = rsub.add_parser("minimize", formatter_class=fmt, help="shrink a failing run's fault schedule",
                        description="Take a failing seed, note every crossing its faults acted on, and find the "
                                    "smallest set of those acts that still shows the symptom (delta debugging).")
    common(p)
    p.add_argument("--replay", metavar="FILE", help="write the minimal run as a replay file")
    p.set_defaults(run=cmd_minimize)

    p = sub.add_parser("replay", formatter_class=fmt, help="re-run a replay file and check its trace bit for bit",
                       description="Re-run the race, variant, seed (and minimal fault schedule) a replay file "
                                   "names; exit 0 when the trace digest is the file's, 1 when it is not.")
    p.add_argument("file", metavar="FILE", help="a replay file (from races sweep or races minimize)")
    p.add_argument("--trace", action="store_true", help="print the run's trace")
    p.add_argument("--json", action="store_true", help="machine-readable")
    p.set_defaults(run=cmd_replay)
