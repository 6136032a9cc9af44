"""``ipmilab explain COMMAND``: what a command is (the spec's name, section, privilege, fields) and
what it does on the chosen preset's wires, step by step with simulated times (``scenarios.explain``)."""

from __future__ import annotations

import argparse
import json
import sys

from rich import box
from rich.table import Table
from rich.text import Text

from buses.time import fmt_duration

from .explain import ExplainError, answer, describe, explain, resolve


def _hex(data: bytes) -> str:
    return " ".join(f"{b:02X}" for b in data)


def _fields_table(title: str, fields) -> list:
    t = Table(box=None, show_header=False, pad_edge=True)
    t.add_column("field", style="cyan", overflow="fold")
    t.add_column("value", overflow="fold")
    for name, value in fields:
        t.add_row(name, value)
    return [Text(title, style="bold"), t if fields else Text("  (none)")]


def _print(console, world, ex) -> None:
    console.print(Text(describe(ex), style="bold"))
    if ex.note:
        console.print(Text(ex.note, style="yellow"))
    console.print(f"request  [{_hex(ex.request)}]   response [{_hex(ex.response)}]", markup=False)
    console.print(f"answer   {answer(ex)}, {fmt_duration(ex.elapsed)} after the message handler sent it",
                  markup=False)
    console.print(*_fields_table("request data", ex.request_fields))
    if ex.cc == 0:
        console.print(*_fields_table("response data", ex.response_fields))
    steps = Table(box=box.SIMPLE_HEAD, pad_edge=False, title_justify="left", title_style="bold",
                  title="on the wires (time since the request; each step lasts until the next)")
    steps.add_column("since", justify="right", no_wrap=True)
    steps.add_column("lasts", justify="right", no_wrap=True)
    steps.add_column("side", no_wrap=True)
    steps.add_column("who", overflow="fold")
    steps.add_column("step, then what the wires do", overflow="fold")
    for ph in ex.phases:
        body = Text(ph.step)
        if ph.activity:
            body.append("\n" + ", ".join(ph.activity), style="dim")
        steps.add_row(fmt_duration(ph.t), fmt_duration(ph.duration), ph.side, ph.component, body)
    console.print(steps)


def _json(ex) -> dict:
    return {"netfn": ex.netfn, "cmd": ex.cmd, "name": ex.name, "section": ex.section, "privilege": ex.privilege,
            "system_interface_only": ex.system_interface_only, "request": _hex(ex.request),
            "response": _hex(ex.response), "cc": ex.cc, "t_sent_ns": ex.t_sent, "elapsed_ns": ex.elapsed,
            "request_fields": ex.request_fields, "response_fields": ex.response_fields, "note": ex.note,
            "phases": [{"t_ns": p.t, "duration_ns": p.duration, "side": p.side, "who": p.component,
                        "step": p.step, "activity": p.activity} for p in ex.phases]}


def cmd_explain(args, console) -> int:
    from .cli import _boot, _make_world, _world_header

    world = _make_world(args, trace=True, show_polls=True)
    try:
        target = resolve(args.words, world.ipmid.specs())
    except ExplainError as exc:
        args.explain_parser.error(f"argument COMMAND: {exc}")
    if not _boot(world, console if not args.json else _quiet()):
        return 1
    exchanges = explain(world, target)
    if args.json:
        sys.stdout.write(json.dumps({"command": target.title, "preset": world.preset.name,
                                     "exchanges": [_json(ex) for ex in exchanges]}) + "\n")
        return 0
    console.print(Text(f"ipmilab explain {target.title} - {_world_header(world, world.sim.seed)}", style="bold"))
    if len(exchanges) != 1:
        console.print(f"{target.title} sent {len(exchanges)} requests; each is explained below.\n", markup=False)
    for i, ex in enumerate(exchanges):
        if i:
            console.print()
        _print(console, world, ex)
    return 0


def _quiet():
    from rich.console import Console

    return Console(stderr=True, quiet=True)


def register(sub, fmt) -> None:
    from .cli import _add_world_options

    p = sub.add_parser(
        "explain", formatter_class=fmt, help="what a command is and what it does on the wires",
        description="Explain one IPMI command: the spec's name, section and privilege, its request and response "
                    "fields decoded, then the actual run on the chosen preset: every step of the host driver and "
                    "the BMC firmware with its simulated time, and what the registers, interrupt lines and buses "
                    "do in between (polls a polling driver makes while it waits included).",
        epilog="COMMAND is one of:\n"
               "  NETFN CMD [DATA...]   a raw request, e.g. 0x06 0x01\n"
               "  a command name        as `ipmilab commands` lists it, e.g. \"Get Device ID\"\n"
               "  an ipmilab run command, e.g. \"mc info\" or \"sdr list\" (every request it sends)\n"
               "\nexamples:\n  ipmilab explain mc info\n  ipmilab explain --preset ast2600 0x06 0x01\n"
               "  ipmilab explain --preset smbus-ipmi \"Get Device GUID\"\n"
               "  ipmilab explain --json \"sdr list\"")
    _add_world_options(p)
    p.add_argument("--json", action="store_true", help="print exactly one JSON object on stdout")
    p.add_argument("words", nargs=argparse.REMAINDER, metavar="COMMAND", help="what to explain (see below)")
    p.set_defaults(run=cmd_explain, explain_parser=p)
