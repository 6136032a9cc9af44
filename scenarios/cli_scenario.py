"""``ipmilab scenario``: canned scenarios that show one behaviour of the real parts."""

from __future__ import annotations

import argparse
import json

from rich.table import Table

from buses.time import fmt_duration, fmt_time

from .argtypes import duration_arg
from .exports import add_export_options


def _bytes_arg(value: str) -> int:
    try:
        n = int(value, 0)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--bytes {value!r}: not an integer") from None
    if not 2 <= n <= 64:
        raise argparse.ArgumentTypeError(f"--bytes {value!r}: must be 2..64")
    return n


def cmd_obe_stall(args, console) -> int:
    from . import obe_stall

    r = obe_stall.run(read_delay=args.read_delay, nbytes=args.bytes, poll=args.poll, seed=args.seed, soc=args.soc)
    if args.json:
        print(json.dumps({"read_delay_ns": r.read_delay, "write_times_ns": r.write_times,
                          "read_times_ns": r.read_times, "intervals_ns": r.intervals, "slow_path": r.slow_path}))
        return 0
    tab = Table(title=f"{args.soc.upper()} raw KCS stream, host reads ODR {fmt_duration(r.read_delay)} after OBF")
    for col in ("byte", "BMC wrote ODR at", "host read it at", "until the next write"):
        tab.add_column(col)
    gaps = r.intervals + [None]
    for i, (w, rd) in enumerate(zip(r.write_times, r.read_times, strict=False)):
        gap = gaps[i]
        tab.add_row(str(i + 1), fmt_time(w), fmt_time(rd), "-" if gap is None else fmt_duration(gap))
    console.print(tab)
    if args.soc == "npcm7xx":
        verdict = "the NPCM7xx's OBE interrupt wakes the driver: no stall"
    elif r.slow_path == 0:
        verdict = "inside the driver's 100 us busy poll: no stall"
    else:
        verdict = f"after the 100 us busy poll: {r.slow_path} byte(s) waited for the 500 ms OBE timer"
    console.print(f"host read {fmt_duration(r.read_delay)} after OBF -> {verdict}")
    return 0


def cmd_run_script(args, console) -> int:
    """Run a scenario script as ``__main__``; a failed assertion is exit 1 with its message, no traceback."""
    import runpy
    import sys
    from pathlib import Path

    from . import scenario

    path = Path(args.file)
    if not path.is_file():
        console.print(f"[red]error:[/red] scenario run: {args.file}: no such file")
        return 2
    failure = None
    argv = sys.argv
    exporting = any(getattr(args, k, None) for k in ("vcd", "pcap", "timeline", "svg", "png"))
    with scenario.recording(trace=exporting) as made:
        try:
            sys.argv = [str(path), *args.script_args]
            runpy.run_path(str(path), run_name="__main__")
        except AssertionError as exc:
            failure = f"assertion failed: {exc}" if str(exc) else "an assertion failed"
        except scenario.ScenarioError as exc:
            failure = str(exc)
        finally:
            sys.argv = argv
    if exporting:
        _export_worlds(args, made)
    rows = [{"preset": w.preset.name, "interface": w.interface.kind, "seed": w.sim.seed, "irq": w.use_irq,
             "simulated_ns": w.sim.now, "events": w.sim.events_scheduled,
             "digest": w.sim.tracer.digest() if w.sim.tracer.enabled else None} for w in made]
    if args.json:
        print(json.dumps({"file": str(path), "ok": failure is None, "failure": failure, "worlds": rows}))
        return 0 if failure is None else 1
    tab = Table(title=f"scenario {path.name}: {'passed' if failure is None else 'FAILED'}")
    for col in ("world", "preset", "interface", "host", "seed", "simulated time", "kernel events", "trace digest"):
        tab.add_column(col)
    for i, r in enumerate(rows, 1):
        tab.add_row(str(i), r["preset"], r["interface"], "irq" if r["irq"] else "polled", str(r["seed"]),
                    f"{fmt_time(r['simulated_ns'])} s", f"{r['events']:,}",
                    (r["digest"] or "(no trace)")[:16])
    console.print(tab)
    if failure is not None:
        console.print(f"[red]{failure}[/red]")
        return 1
    return 0


def _export_worlds(args, worlds) -> None:
    """The exports of each world the script booted: FILE for the first, FILE-2.ext, FILE-3.ext... after."""
    import copy
    from pathlib import Path

    from .exports import write_exports

    for i, w in enumerate(worlds, 1):
        each = copy.copy(args)
        for key in ("vcd", "pcap", "timeline", "svg", "png"):
            path = getattr(args, key, None)
            if path and i > 1:
                p = Path(path)
                setattr(each, key, str(p.with_name(f"{p.stem}-{i}{p.suffix}")))
        write_exports(each, w.sim.tracer.records)


def register(sub, fmt) -> None:
    p = sub.add_parser("scenario", formatter_class=fmt, help="run a canned scenario (e.g. the AST2600 OBE stall)",
                       description="Canned scenarios that each show one behaviour of the modelled parts.")
    ssub = p.add_subparsers(dest="scenario", metavar="SCENARIO", required=True)
    o = ssub.add_parser("obe-stall", formatter_class=fmt,
                        help="AST2600 has no OBE interrupt: a host that reads ODR late stalls each byte 500 ms",
                        description="The BMC streams bytes through a raw KCS channel (kcs_bmc_cdev_raw) on an "
                                    "AST2600; after each ODR write the driver busy-polls STR for 100 us, then falls "
                                    "back to a 500 ms timer (race B-3 of `ipmilab races list`). --soc npcm7xx runs the "
                                    "same stream on a Nuvoton KCS, which has a real OBE interrupt.")
    o.add_argument("--soc", choices=("ast2500", "ast2600", "npcm7xx"), default="ast2600",
                   help="the BMC SoC (default: ast2600)")
    o.add_argument("--read-delay", type=duration_arg(), default=150_000, metavar="T",
                   help="how long after seeing OBF the host reads ODR, e.g. 50us or 150us (default: 150us)")
    o.add_argument("--poll", type=duration_arg(), default=10_000, metavar="T",
                   help="the host's status poll period (default: 10us)")
    o.add_argument("--bytes", type=_bytes_arg, default=4, metavar="N", help="bytes to stream (default: 4)")
    o.add_argument("--seed", type=int, default=0, metavar="N", help="simulation seed (default: 0)")
    o.add_argument("--json", action="store_true", help="print exactly one JSON object on stdout")
    o.set_defaults(run=cmd_obe_stall)
    r = ssub.add_parser("run", formatter_class=fmt, help="run a scenario script (plain Python) with a summary",
                        description="Run FILE as a Python script (its assertions are the scenario's checks) and "
                                    "summarise every world it booted with scenarios.scenario.boot: preset, "
                                    "interface, seed, simulated time, kernel events, trace digest.  Exit 1 when "
                                    "an assertion fails.  See README: Writing a scenario.",
                        epilog="examples:\n  ipmilab scenario run scenarios/examples/dead_bmc.py\n"
                               "  ipmilab scenario run my.py --json")
    r.add_argument("file", metavar="FILE", help="the script")
    r.add_argument("script_args", nargs="*", metavar="ARG", help="arguments the script sees in sys.argv")
    r.add_argument("--json", action="store_true", help="print exactly one JSON object on stdout")
    add_export_options(r)
    r.set_defaults(run=cmd_run_script)
