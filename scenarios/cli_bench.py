"""``ipmilab bench``: how fast the simulator runs (the measurement is ``scenarios.bench``)."""

from __future__ import annotations

import sys

from rich import box
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from rich.text import Text

from buses.time import S

from . import bench
from .argtypes import duration_arg


def cmd_bench(args, console: Console) -> int:
    from .cli import _console, _short_duration

    err = _console(stderr=True)
    with Progress(TextColumn("{task.description:<30}"), BarColumn(), TimeRemainingColumn(), console=err,
                  transient=True, disable=not err.is_terminal) as progress:
        tasks: dict[str, int] = {}

        def on_progress(stage: str, fraction: float) -> None:
            if stage not in tasks:
                tasks[stage] = progress.add_task(stage, total=1.0)
            progress.update(tasks[stage], completed=min(fraction, 1.0))

        result = bench.run_bench(args.seconds / S, args.presets, progress=on_progress)
    if args.json:
        sys.stdout.write(bench.to_json(result) + "\n")
        return 0

    table = Table(title=f"ipmilab bench: back-to-back transactions, polled host, {args.seconds / S:g} s each",
                  box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True,
                  caption=f"ev = SimPy events (deterministic); raw SimPy on this machine: "
                          f"{result['raw_simpy_events_per_s']:,.0f} ev/s")
    for col in ("preset", "if", "workload", "rsp", "txn/s", "ev/txn", "sim/wall", "latency", "txns"):
        table.add_column(col, justify="left" if col in ("preset", "if", "workload") else "right", no_wrap=True)
    for name, p in result["presets"].items():
        for kind, cases in p.items():
            if not isinstance(cases, dict):
                continue
            for workload, r in cases.items():
                table.add_row(name, kind, workload, f"{r['response_bytes']}", f"{r['txn_per_s']:,.0f}",
                              f"{r['events_per_txn']:.1f}", f"{r['sim_per_wall']:.3f}",
                              _short_duration(r["mean_latency_ns"]), f"{r['txns']:,}")
    console.print(table)
    for name, target, value, met in bench.check_targets(result):
        mark = Text("met   ", style="green") if met else Text("missed", style="red")
        console.print(Text.assemble(mark, f" {name}: {target} (measured {value:g})"))
    console.print(f"{result['python']}; {result['machine']}", style="dim")
    return 0


def cmd_latency(args, console: Console) -> int:
    import json

    from . import latency
    from .cli import _console, _short_duration

    err = _console(stderr=True)
    rows = []
    with Progress(TextColumn("{task.description:<30}"), BarColumn(), console=err, transient=True,
                  disable=not err.is_terminal) as progress:
        task = progress.add_task("simulating", total=len(args.presets))
        for name in args.presets:
            rows += latency.table([name], args.count, args.seed)
            progress.advance(task)
    if args.json:
        sys.stdout.write(json.dumps({"count": args.count, "seed": args.seed, "rows": rows}) + "\n")
        return 0
    table = Table(title=f"ipmilab latency: simulated time per request, {args.count} back to back",
                  box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True,
                  caption="from the message handler taking the request to its response; Linux 6.12 host, HZ 250")
    for col in ("preset", "if", "host", "workload", "min", "median", "max"):
        table.add_column(col, justify="left" if col in ("preset", "if", "host", "workload") else "right",
                         no_wrap=True)
    for r in rows:
        table.add_row(r["preset"], r["interface"], "irq" if r["irq"] else "polled", r["workload"],
                      _short_duration(r["min_ns"]), _short_duration(r["median_ns"]), _short_duration(r["max_ns"]))
    console.print(table)
    return 0


def register(sub, fmt) -> None:
    from .cli import _preset_arg

    p = sub.add_parser("bench", formatter_class=fmt, help="measure simulator speed (see bench/README.md)",
                       description="Per preset and interface, back-to-back Get Device ID and a 60-byte Read FRU "
                                   "Data on a polled host: transactions/s, events/transaction, simulated/wall time; "
                                   "BT vs KCS events/transaction; the dispatcher alone.")
    p.add_argument("--json", action="store_true", help="print exactly one JSON object on stdout")
    p.add_argument("--seconds", type=duration_arg(bare_unit="s"), default=1 * S, metavar="S",
                   help="wall time per measurement: seconds, or a duration such as 500ms (default: 1)")
    p.add_argument("--presets", type=_preset_arg, nargs="+", default=list(bench.DEFAULT_PRESETS), metavar="P",
                   help="presets to measure (default: all)")
    p.set_defaults(run=cmd_bench)

    p = sub.add_parser("latency", formatter_class=fmt, help="simulated request latency, polled and interrupt-driven",
                       description="Per preset and interface, polled (kipmid) and interrupt-driven host: Get "
                                   "Device ID and a 60-byte Read FRU Data sent back to back; the min, median and "
                                   "max of their simulated latency.  Deterministic: same arguments, same numbers.")
    p.add_argument("--json", action="store_true", help="print exactly one JSON object on stdout")
    p.add_argument("--count", type=int, default=50, metavar="N", help="requests per row (default: 50)")
    p.add_argument("--seed", type=int, default=0, metavar="N", help="the simulation's seed (default: 0)")
    p.add_argument("--presets", type=_preset_arg, nargs="+", default=["isa-ipmi-kcs", "ast2600"], metavar="P",
                   help="presets to measure (default: isa-ipmi-kcs ast2600)")
    p.set_defaults(run=cmd_latency)
