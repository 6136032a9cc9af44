"""``ipmilab run``: an ipmitool command run by the simulated host, through its driver and bus, byte for byte.

    ipmilab run -- sdr list
    ipmilab run --config world.toml --json -- sel list
    ipmilab run --preset ast2600 -- raw 0x06 0x01

The world is the configured one (``--config``) or the default server on a
preset; the host boots, then ``vserver.userland.IpmiTool`` sends exactly
what ipmitool 1.8.19 sends for the command and prints what it prints: the
same bytes on stdout, its error lines on stderr, exit status 1 when the
command failed.  ``--timing`` adds the simulated time the command took (on
stderr, so stdout stays ipmitool's); ``--pretty`` shows a rich view with
that footer; ``--json`` prints one object with stdout, stderr, the decoded
data and every request/response pair with its simulated times.
"""

from __future__ import annotations

import argparse
import json
import sys

from rich import box
from rich.table import Table
from rich.text import Text

from bmc.ipmi.cc import cc_name
from bmc.ipmi.msg import hexdump
from buses.time import fmt_duration, fmt_time, s
from vserver.userland import USAGE, IpmiTool, ToolError, parse_command

from .exports import add_export_options, write_exports

REQUEST_LIMIT = s(600)   # simulated time one command (all its requests) may take


def _exchanges(out) -> list[dict]:
    return [{"request": hexdump(r.request), "response": hexdump(r.raw), "cc": r.cc, "cc_name": cc_name(r.cc),
             "t_sent_ns": r.t_sent, "t_done_ns": r.t_done} for r in out.exchanges]


def _json_output(args, world, out) -> dict:
    shown: dict = {"kind": out.kind}
    if out.kind == "fields":
        shown["fields"] = [[k, v] for k, v in out.fields]
    elif out.kind == "table":
        shown["columns"], shown["rows"] = out.columns, out.rows
    return {
        "command": out.command, "preset": world.preset.name, "seed": world.sim.seed,
        "config": args.config, "ok": out.exit_code == 0, "exit_code": out.exit_code,
        "stdout": out.text(), "stderr": out.error_text(), "output": shown, "data": out.data,
        "requests": _exchanges(out), "t_start_ns": out.t_start, "t_end_ns": out.t_end, "elapsed_ns": out.elapsed,
    }


def _render(console, out) -> None:
    """--pretty: a label/value grid or a table when the command has one, else ipmitool's own lines."""
    if out.kind == "fields":
        grid = Table(box=None, show_header=False, pad_edge=False, padding=(0, 1, 0, 0))
        for _ in range(3):
            grid.add_column(no_wrap=True)
        for k, v in out.fields:
            grid.add_row(k, ":", v)
        console.print(grid)
    elif out.kind == "table":
        table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
        for col in out.columns:
            table.add_column(col, overflow="fold")      # a narrow terminal wraps a value, never cuts it
        for row in out.rows:
            table.add_row(*row)
        console.print(table)
    else:
        console.print(Text(out.text().rstrip("\n")))
    if out.error_text():
        console.print(Text(out.error_text().rstrip("\n"), style="red"))


def _footer(out) -> str:
    n = len(out.exchanges)
    return (f"{out.command}: {n} request{'' if n == 1 else 's'}, took {fmt_duration(out.elapsed)} of "
            f"simulated time (from {fmt_time(out.t_start)} s to {fmt_time(out.t_end)} s)")


def cmd_run(args, console) -> int:
    from .world import World

    words = _check_words(args.run_parser, args.words)
    exporting = any(getattr(args, k, None) for k in ("vcd", "pcap", "timeline", "svg", "png"))
    world = World.from_config(args.config, preset=args.preset, seed=args.seed, use_irq=True if args.irq else None,
                              state_dir=args.state_dir, interface=args.interface, trace=exporting)
    try:
        if not world.boot():
            raise RuntimeError(f"the host driver did not find the BMC (after {fmt_duration(world.sim.now)})")
        world.sim.tracer.clear()                   # the exports hold the command, not the boot
        out = world.sim.run_process(IpmiTool(world.host.ipmi).run(words), limit=REQUEST_LIMIT)
        if exporting:
            write_exports(args, world.sim.tracer.records)      # their notes go to stderr: stdout stays ipmitool's
        if args.json:
            sys.stdout.write(json.dumps(_json_output(args, world, out)) + "\n")
        elif args.pretty:
            _render(console, out)
            console.print(Text(_footer(out), style="dim"))
        else:
            # Plain text has no width limit, as ipmitool's printf has none.
            sys.stdout.write(out.text())
            sys.stdout.flush()
            sys.stderr.write(out.error_text())
            if args.timing:
                sys.stderr.write(_footer(out) + "\n")
        return out.exit_code
    finally:
        world.bmc.store.close()


def _check_words(parser, words: list[str]) -> list[str]:
    """The command after ``--``; a bad one exits 2 naming the word, before any world is built."""
    words = list(words)
    if words and words[0] == "--":
        words = words[1:]
    try:
        parse_command(words)
    except ToolError as exc:
        parser.error(f"argument COMMAND: {exc}")
    return words


def register(sub, fmt) -> None:
    from .cli import _preset_arg, _seed_arg
    from .presets import PRESETS

    p = sub.add_parser(
        "run", formatter_class=fmt, help="run an ipmitool command on the simulated host",
        description="Boot a world (the default server, or --config FILE) and run one ipmitool command on its "
                    "host: every request goes through the host's Linux-faithful driver, the bus and the BMC, byte "
                    "for byte.  Prints on stdout exactly what ipmitool 1.8.19 prints (its errors on stderr, exit "
                    "status 1 when the command failed); --timing adds the simulated time it took on stderr.",
        epilog="commands:\n" + "".join(f"  {u}\n" for u in USAGE) +
               "\nexamples:\n  ipmilab run -- sdr list\n  ipmilab run --preset ast2600 -- mc info\n"
               "  ipmilab run --timing -- sensor get 'Inlet Temp'\n"
               "  ipmilab run --config world.toml --json -- sel list\n  ipmilab run -- raw 0x06 0x01")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--preset", type=_preset_arg, default=None, metavar="{" + ",".join(PRESETS) + "}",
                       help="the default server on this preset (default: isa-ipmi-kcs)")
    group.add_argument("--config", metavar="FILE", default=None, help="a world configuration (TOML)")
    p.add_argument("--seed", type=_seed_arg, default=None, metavar="N", help="seed (default: the config's, or 0)")
    p.add_argument("--interface", choices=("kcs", "bt", "ssif"), default=None,
                   help="which of the preset's system interfaces the host uses (default: its first)")
    p.add_argument("--irq", action="store_true", help="interrupt-driven host driver instead of kipmid polling")
    p.add_argument("--state-dir", default=None, metavar="DIR",
                   help="keep the SEL, SDR repository and FRU in DIR (overrides the config's state_dir)")
    view = p.add_mutually_exclusive_group()
    view.add_argument("--json", action="store_true",
                      help="print exactly one JSON object on stdout (stdout/stderr text, data, every request)")
    view.add_argument("--pretty", action="store_true", help="a rich view (tables) with the simulated time it took")
    p.add_argument("--timing", action="store_true",
                   help="after ipmitool's output, print the requests and simulated time taken (on stderr)")
    add_export_options(p)
    p.add_argument("words", nargs=argparse.REMAINDER, metavar="-- COMMAND",
                   help="the ipmitool command, e.g. -- sdr list")
    p.set_defaults(run=cmd_run, run_parser=p)
