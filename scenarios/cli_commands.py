"""``ipmilab commands``: the IPMI commands this BMC implements, read from the dispatcher itself.

The table is built from ``Ipmid.commands()`` of a freshly built world, so it
can never drift from what the BMC answers.  Privilege is each command's
minimum (the spec's command tables); "system interface only" commands are
marked, since a LAN session cannot use them at any privilege.
"""

from __future__ import annotations

import json
import sys

from rich import box
from rich.table import Table

from bmc.ipmi.netfn import netfn_name

from .world import World


def command_rows(world: World | None = None) -> list[dict]:
    """One dict per implemented command, sorted by (netfn, cmd): what both output forms print."""
    ipmid = (world or World()).ipmid
    rows = []
    for spec in ipmid.specs():
        rows.append({
            "netfn": spec.netfn,
            "netfn_name": netfn_name(spec.netfn),
            "cmd": spec.cmd,
            "name": spec.name,
            "privilege": spec.privilege.name.lower(),
            "system_interface_only": spec.system_interface_only,
            "min_len": spec.min_len,
            "max_len": spec.max_len,
        })
    return rows


def _length(row: dict) -> str:
    lo, hi = row["min_len"], row["max_len"]
    if hi is None:
        return f"{lo}+"
    return str(lo) if lo == hi else f"{lo}-{hi}"


def cmd_commands(args, console) -> int:
    rows = command_rows()
    if args.netfn is not None:
        rows = [r for r in rows if r["netfn"] == args.netfn]
    if args.json:
        sys.stdout.write(json.dumps({"commands": rows}) + "\n")
        return 0
    table = Table(title=f"IPMI commands this BMC implements ({len(rows)})", box=box.SIMPLE_HEAD, pad_edge=False,
                  caption="privilege: the minimum the spec's command table requires; "
                          "data: request data bytes after NetFn/LUN and Cmd; "
                          "channel local: the system interface only (the spec's \"local only\")")
    # Codes never shrink; on a narrow terminal the name and the channel note wrap instead.
    for col, justify, fixed in (("netfn", "left", True), ("cmd", "right", True), ("name", "left", False),
                                ("privilege", "left", True), ("data", "right", True), ("channel", "left", True)):
        table.add_column(col, justify=justify, no_wrap=fixed, overflow="fold", ratio=None if fixed else 1)
    for r in rows:
        table.add_row(f"0x{r['netfn']:02X} {r['netfn_name']}", f"0x{r['cmd']:02X}", r["name"], r["privilege"],
                      _length(r), "local" if r["system_interface_only"] else "any")
    console.print(table)
    return 0


def register(sub, fmt) -> None:
    from .cli import _netfn_arg

    p = sub.add_parser("commands", formatter_class=fmt, help="list the IPMI commands the BMC implements",
                       description="List every (NetFn, Cmd) the BMC's dispatcher answers, with the command's "
                                   "spec name, minimum privilege and request data length.")
    p.add_argument("--json", action="store_true", help="print exactly one JSON object on stdout")
    p.add_argument("--netfn", type=_netfn_arg, metavar="X", help="only this request NetFn, e.g. 0x0A")
    p.set_defaults(run=cmd_commands)
