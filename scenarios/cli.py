"""The ``ipmilab`` command line: ``demo``, ``trace`` and ``presets`` here; the other subcommands in ``cli_*``.

Every subcommand builds a ``World`` from a preset and drives it; nothing here
models hardware.  Bad options exit with code 2 and a message naming the
option and the value (argparse's convention); a run that fails exits 1.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections import Counter

from rich import box
from rich.console import Console
from rich.padding import Padding
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from bmc.ipmi.cc import cc_name
from bmc.ipmi.cmd import App, Chassis, command_name
from bmc.ipmi.device_id import DeviceId
from bmc.ipmi.kcs import KcsControl
from bmc.ipmi.msg import from_hex, hexdump
from bmc.ipmi.netfn import NetFn, netfn_name
from buses.time import fmt_duration, fmt_time, s
from buses.trace import LAYERS, TraceRecord

from .exports import add_export_options, write_exports
from .presets import PRESETS
from .world import World

# What each trace layer is, in the words of the thing it models (DESIGN.md's layer map).
LAYER_INFO = {
    "user": "the program asking (here: ipmilab itself)",
    "msg": "host message handler (Linux ipmi_msghandler)",
    "si": "host system-interface policy (Linux ipmi_si_intf)",
    "drv": "host driver: the KCS/BT state machine (ipmi_kcs_sm, ipmi_bt_sm), ipmi_ssif's SMBus transfers",
    "bus": "bus cycles: ISA/LPC and PCI I/O cycles, SoC MMIO accesses, SMBus conditions and bytes",
    "reg": "interface registers: KCS (STR/IDR/ODR), BT (BT_CTRL, buffer, INTMASK), SoC blocks",
    "irq": "interrupt lines",
    "fw": "BMC firmware KCS channel driver (Linux kcs_bmc)",
    "ipmid": "BMC command dispatcher",
    "bmc": "BMC state (enables, flags, watchdog)",
    "host": "host power, reset and NMI wires",
    "fault": "faults acting in their seams (scenarios.faults)",
}
LAYER_STYLE = {
    "user": "bold white", "msg": "magenta", "si": "blue", "drv": "cyan", "bus": "yellow", "reg": "green",
    "irq": "bold red", "fw": "bright_magenta", "ipmid": "bold yellow", "bmc": "bright_yellow", "host": "bright_blue",
    "fault": "bold white on red",
}

# The exchange `ipmilab demo` runs: what `ipmitool mc info` and friends ask a BMC first.
MC_INFO_EXCHANGE = (
    (NetFn.APP, App.GET_DEVICE_ID),
    (NetFn.APP, App.GET_DEVICE_GUID),
    (NetFn.APP, App.GET_SELF_TEST_RESULTS),
    (NetFn.APP, App.GET_BMC_GLOBAL_ENABLES),
    (NetFn.CHASSIS, Chassis.GET_CHASSIS_STATUS),
)

# Response data fields by byte, for the byte-by-byte trace (IPMI 2.0 sections 20.1, 20.4, 22.2, 28.2).
RESPONSE_FIELDS = {
    (NetFn.APP, App.GET_DEVICE_ID): (
        "Device ID", "Device Revision", "Firmware Revision 1 (major)", "Firmware Revision 2 (minor, BCD)",
        "IPMI Version", "Additional Device Support", "Manufacturer ID (LS byte)", "Manufacturer ID",
        "Manufacturer ID (MS byte)", "Product ID (LS byte)", "Product ID (MS byte)", *(["Aux Firmware Revision"] * 4),
    ),
    (NetFn.APP, App.GET_SELF_TEST_RESULTS): ("self-test result (55h = no error)", "self-test detail"),
    (NetFn.APP, App.GET_BMC_GLOBAL_ENABLES): ("global enables",),
    (NetFn.CHASSIS, Chassis.GET_CHASSIS_STATUS): (
        "Current Power State", "Last Power Event", "Misc. Chassis State", "Front Panel Button Capabilities",
    ),
}
REQUEST_LIMIT = s(120)   # simulated time one command may take before the run is declared wedged
WIDE = 130               # columns from which the trace is a table; below, each record takes two lines


# -- argument types: each names the bad value; argparse adds the option's name ---------------------


def _preset_arg(value: str) -> str:
    if value not in PRESETS:
        raise argparse.ArgumentTypeError(f"unknown preset {value!r}; choose one of: {', '.join(PRESETS)}")
    return value


def _layers_arg(value: str) -> tuple[str, ...]:
    names = tuple(v.strip() for v in value.split(",") if v.strip())
    bad = [n for n in names if n not in LAYERS]
    if bad or not names:
        shown = ", ".join(repr(b) for b in bad) if bad else repr(value)
        raise argparse.ArgumentTypeError(f"unknown layer {shown}; choose from: {','.join(LAYERS)}")
    return names


def _int_arg(name: str, lo: int, hi: int):
    def parse(value: str) -> int:
        try:
            n = int(value, 0)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{value!r} is not a number (write 6, 0x06 or 0b110)") from None
        if not lo <= n <= hi:
            raise argparse.ArgumentTypeError(f"{value!r} out of range 0x{lo:02X}-0x{hi:02X}")
        return n
    parse.__name__ = name
    return parse


def _netfn_arg(value: str) -> int:
    n = _int_arg("netfn", 0, 0x3F)(value)
    if n & 1:
        raise argparse.ArgumentTypeError(f"{value!r} is a response NetFn; a request NetFn is even")
    return n


def _data_arg(value: str) -> bytes:
    """``"01 02"``, ``"0102"`` or ipmitool-style ``"0x01 0x02"``."""
    tokens = value.replace(",", " ").split()
    try:
        if any(t.lower().startswith("0x") for t in tokens):
            out = []
            for t in tokens:
                b = int(t, 16)
                if not 0 <= b <= 0xFF:
                    raise ValueError
                out.append(b)
            return bytes(out)
        return from_hex(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not hex bytes (write \"01 02\" or \"0x01 0x02\")") from None


def _seed_arg(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
    if n < 0:
        raise argparse.ArgumentTypeError(f"{value!r} must be >= 0")
    return n


# -- output ------------------------------------------------------------------------------------------


def _console(stderr: bool = False) -> Console:
    stream = sys.stderr if stderr else sys.stdout
    width = None
    if not stream.isatty():
        # Off a terminal rich would wrap at 80 columns and split byte strings across lines.
        width = int(os.environ.get("COLUMNS", "0") or 0) or 160
    return Console(file=stream, width=width, highlight=False)


def _where(p, si) -> tuple[str, str]:
    """(address, IRQ) of a preset's interface as the presets table and headers show them."""
    if si.address is None:
        return f"{p.bus.upper()} I/O BAR", "INTA"
    return f"0x{si.address:X}", str(si.irq) if si.irq else "none"


def _world_header(world: World, seed: int) -> str:
    p, si = world.preset, world.interface
    addr, irq = _where(p, si)
    mode = f"interrupt-driven host (IRQ {irq})" if world.use_irq else "polled host"
    if si.kind == "ssif":
        bus = "SMBus" if si.channel is None else f"SMBus (the SoC's I2C bus {si.channel})"
        return f"{p.name}: {p.fidelity} SSIF at {addr} on {bus}, {mode}, seed {seed}"
    return f"{p.name}: {p.fidelity} {si.kind.upper()} at {addr} on {p.bus.upper()}, {mode}, seed {seed}"


def _boot(world: World, console: Console) -> bool:
    if world.boot():
        return True
    console.print(f"[red]error:[/red] preset {world.preset.name}: the host driver did not find the BMC "
                  f"(after {fmt_duration(world.sim.now)} of simulated time)")
    return False


def _cc_text(cc: int) -> Text:
    return Text(f"0x{cc:02X} {cc_name(cc)}", style="green" if cc == 0 else "yellow")


# -- demo ----------------------------------------------------------------------------------------------


def mc_info_lines(data: bytes) -> list[str]:
    """The Get Device ID response data (after the completion code) as ``ipmitool mc info`` prints it."""
    d = DeviceId.decode(data)
    lines = [
        f"Device ID                 : {d.device_id}",
        f"Device Revision           : {d.device_revision}",
        f"Firmware Revision         : {d.firmware_revision}",
        f"IPMI Version              : {d.ipmi_version_text}",
        f"Manufacturer ID           : {d.manufacturer_id}",
        f"Product ID                : {d.product_id} (0x{d.product_id:04x})",
        f"Device Available          : {'no' if d.update_in_progress else 'yes'}",
        f"Provides Device SDRs      : {'yes' if d.provides_device_sdrs else 'no'}",
        "Additional Device Support :",
    ]
    lines += [f"    {name}" for name in d.support_names]
    if d.aux_firmware_revision is not None:
        lines.append("Aux Firmware Rev Info     :")
        lines += [f"    0x{b:02x}" for b in d.aux_firmware_revision]
    return lines


def cmd_demo(args, console: Console) -> int:
    world = _make_world(args)
    console.print(Text(f"ipmilab demo - {_world_header(world, world.sim.seed)}", style="bold"))
    if not _boot(world, console):
        return 1
    console.print(f"booted: the host driver probed the BMC and was ready after {fmt_duration(world.sim.now)} "
                  "of simulated time")
    irqs = world.host.si.stats["interrupts"]
    results = [(netfn, cmd, world.request(netfn, cmd, limit=REQUEST_LIMIT)) for netfn, cmd in MC_INFO_EXCHANGE]
    if world.use_irq:
        console.print(f"interrupt-driven from the first command: the driver took "
                      f"{world.host.si.stats['interrupts'] - irqs} interrupts during the exchange")

    # Byte strings may wrap (between bytes) on a narrow terminal; no column is squeezed to "…".
    table = Table(title="the exchange, as the host's message handler saw it", box=box.SIMPLE_HEAD,
                  pad_edge=False, collapse_padding=True)
    table.add_column("command", min_width=13)
    table.add_column("request", min_width=8)
    table.add_column("response", min_width=11)
    table.add_column("completion code", min_width=12, overflow="fold")
    table.add_column("start (s)", justify="right", no_wrap=True)
    table.add_column("took", justify="right", no_wrap=True)
    for netfn, cmd, r in results:
        table.add_row(command_name(netfn, cmd), hexdump(r.request), hexdump(r.raw), _cc_text(r.cc),
                      fmt_time(r.t_sent), _short_duration(r.elapsed))
    console.print(table)

    device_id = results[0][2]
    if device_id.ok:
        body = Text("\n".join(mc_info_lines(device_id.data)))
    else:
        body = Text(f"Get Device ID failed: {cc_name(device_id.cc)}", style="red")
    console.print(Panel(body, title="ipmitool mc info (the Get Device ID response, decoded)", expand=False))
    console.print(f"total simulated time: {fmt_duration(world.sim.now)} ({fmt_time(world.sim.now)} s); "
                  f"kernel events: {world.sim.events_scheduled}")
    return 0


# -- trace ------------------------------------------------------------------------------------------------


def describe_message(raw: bytes) -> str:
    """One line about a whole IPMI message (NetFn/LUN, Cmd[, CC], data)."""
    if len(raw) < 2:
        return "too short for an IPMI message"
    netfn, lun = raw[0] >> 2, raw[0] & 3
    name = command_name(netfn, raw[1])
    if netfn & 1:
        if len(raw) < 3:
            return f"{name} response without a completion code"
        n = len(raw) - 3
        return f"{name} response: {cc_name(raw[2])}, {n} data byte{'' if n == 1 else 's'}"
    n = len(raw) - 2
    return f"{name} request (NetFn {netfn_name(netfn)}, LUN {lun}), {n} data byte{'' if n == 1 else 's'}"


def _status_fields(rendered: str) -> dict[str, str]:
    return dict(tok.split("=", 1) for tok in rendered.split() if "=" in tok)


def _compact_status(rendered: str) -> str:
    """``STATE=WRITE OEM2=0 ... IBF=1 OBF=0`` -> ``WRITE C_D IBF``: the state and the bits that are set."""
    f = _status_fields(rendered)
    bits = [k for k, v in f.items() if k != "STATE" and v == "1"]
    return " ".join([f.get("STATE", "?"), *bits]) if bits else f.get("STATE", "?")


class KcsByteDecoder:
    """Names each byte that crosses a KCS register block, following both sides' view of the transfer.

    The host and the BMC each go WRITE_START -> request bytes -> WRITE_END ->
    last request byte -> READ ... ; the data byte after a READ code is a
    response byte, and a data register access outside a transfer is a dummy.
    """

    def __init__(self):
        from .trace_ssif import SsifByteDecoder

        self.side: dict[tuple[str, str], dict] = {}
        self.smbus = SsifByteDecoder(self._byte)      # the bus layer's SMBus/SSIF records

    def _state(self, component: str, side: str) -> dict:
        key = (component, side)
        if key not in self.side:
            self.side[key] = {"phase": "idle", "req": bytearray(), "rsp": bytearray()}
        return self.side[key]

    @staticmethod
    def _byte(msg: bytearray, b: int, response: bool) -> str:
        i = len(msg)
        msg.append(b)
        if i == 0:
            return f"NetFn/LUN: {netfn_name(b >> 2)}, LUN {b & 3}"
        if i == 1:
            return f"Cmd: {command_name(msg[0] >> 2, b)}"
        if response and i == 2:
            return f"completion code: {cc_name(b)}"
        k = i - (3 if response else 2)
        names = RESPONSE_FIELDS.get((msg[0] >> 2 & ~1, msg[1]), ()) if response else ()
        return f"data[{k}] {names[k]}" if k < len(names) else f"data[{k}]"

    def explain(self, rec: TraceRecord) -> str:
        if rec.layer == "irq":
            return _explain_irq(rec)
        if rec.layer == "bus":
            return self.smbus.explain(rec)
        fields = dict(rec.fields)
        if rec.layer != "reg" or "value" not in fields or not isinstance(fields.get("STR"), str):
            return ""
        try:
            value = int(str(fields["value"]), 16)
        except ValueError:
            return ""
        status = _status_fields(fields["STR"])
        state = status.get("STATE", "")
        event = rec.event
        if event == "host-wr-CMD" or (event == "bmc-rd-IDR" and status.get("C_D") == "1"):
            side = self._state(rec.component, "host" if event.startswith("host") else "bmc")
            try:
                code = KcsControl(value)
            except ValueError:
                return "illegal control code"
            if code == KcsControl.WRITE_START:
                side.update(phase="write", req=bytearray(), rsp=bytearray())
            elif code == KcsControl.WRITE_END:
                side["phase"] = "last"
            elif code == KcsControl.GET_STATUS_ABORT:
                side["phase"] = "abort"
            return f"control code {code.name}"
        if event in ("host-wr-IDR", "bmc-rd-IDR"):
            side = self._state(rec.component, "host" if event.startswith("host") else "bmc")
            if side["phase"] in ("write", "last"):
                if side["phase"] == "last":
                    side["phase"] = "read"
                    return "last request byte: " + self._byte(side["req"], value, False)
                return "request byte " + self._byte(side["req"], value, False)
            if value == KcsControl.READ and side["phase"] == "read":
                return "READ: next response byte, please"
            return ""
        if event in ("host-rd-ODR", "bmc-wr-ODR"):
            side = self._state(rec.component, "host" if event.startswith("host") else "bmc")
            if state == "READ" and side["phase"] == "read":
                return "response byte " + self._byte(side["rsp"], value, True)
            if state == "IDLE" and side["phase"] == "read":
                if event == "host-rd-ODR":
                    side["phase"] = "idle"
                return "dummy byte: end of the response"
            return "dummy byte: only OBF matters"
        return ""


def _explain_irq(rec: TraceRecord) -> str:
    up = rec.event == "assert"
    if rec.component.endswith(".ibf-irq"):
        return "to the BMC: IBF set, the host wrote a byte" if up else "IBF clear: the BMC took the byte"
    if rec.component.endswith(".irq"):
        return "to the host: OBF set, a byte is waiting" if up else "OBF clear: the host took the byte"
    return ""


def _fields_text(rec: TraceRecord, meaning: str) -> Text:
    text = Text()
    if not rec.fields and meaning:
        text.append(meaning, style="italic cyan")
    for i, (key, value) in enumerate(rec.fields):
        if i:
            text.append("  ")
        text.append(f"{key}=", style="dim")
        if isinstance(value, (bytes, bytearray)) and key == "frame":
            # A BT frame: length, NetFn/LUN, seq, Cmd, data (IPMI 2.0 section 11.2).
            text.append(f"[{hexdump(value)}]")
            if len(value) >= 4:
                message = bytes((value[1],)) + bytes(value[3:])
                text.append(f" BT length {value[0]}, seq {value[2]}: {describe_message(message)}",
                            style="italic cyan")
        elif isinstance(value, (bytes, bytearray)):
            text.append(f"[{hexdump(value)}]")
            text.append(f" {describe_message(bytes(value))}", style="italic cyan")
        elif key == "STR" and isinstance(value, str) and "STATE=" in value:
            text.append(_compact_status(value))
        else:
            text.append(str(value))
            if key == "value" and meaning:
                text.append(f" {meaning}", style="italic cyan")
            elif key == "cc" and isinstance(value, str) and value.startswith("0x"):
                text.append(f" {cc_name(int(value, 16))}", style="italic cyan")
            elif key == "code" and isinstance(value, str) and value.startswith("0x"):
                try:
                    text.append(f" {KcsControl(int(value, 16)).name}", style="italic cyan")
                except ValueError:
                    pass
    if meaning and rec.fields and all(key != "value" for key, _ in rec.fields):
        text.append(f"  {meaning}", style="italic cyan")      # a bus byte, an address: after its fields
    return text


def _delta(t: int, t0: int) -> str:
    d = t - t0
    return "+" + fmt_duration(d) if d >= 0 else "-" + fmt_duration(-d)


def cmd_trace(args, console: Console) -> int:
    netfn = NetFn.APP if args.netfn is None else args.netfn
    cmd = App.GET_DEVICE_ID if args.cmd is None else args.cmd
    data = args.data or b""
    name = command_name(netfn, cmd)

    world = _make_world(args, trace=True, layers=args.layers, show_polls=args.show_polls)
    if not _boot(world, console):
        return 1
    sim = world.sim
    if not args.boot:
        sim.tracer.clear()
    t0 = sim.now

    def one_command():
        request = bytes((netfn << 2, cmd)) + data
        sim.trace(sim.now, "user", "ipmilab", "request", cmd=name, data=request)
        r = yield from world.host.ipmi.request(netfn, cmd, data)
        sim.trace(r.t_done, "user", "ipmilab", "response", took=fmt_duration(r.elapsed), rsp=r.raw)
        return r

    result = sim.run_process(one_command(), limit=REQUEST_LIMIT)
    records = list(sim.tracer.records)
    write_exports(args, records)
    if args.raw:
        sys.stdout.write(sim.tracer.text())
        return 0

    console.print(Text(f"ipmilab trace - {_world_header(world, world.sim.seed)}", style="bold"))
    console.print(f"{name}: request [{hexdump(result.request)}] -> response [{hexdump(result.raw)}] "
                  f"{cc_name(result.cc)} in {fmt_duration(result.elapsed)} (sent at {fmt_time(result.t_sent)} s)",
                  markup=False)
    title = f"{len(records)} trace records, in the order they happened"
    decoder = KcsByteDecoder()
    rows = [(rec, _fields_text(rec, decoder.explain(rec))) for rec in records]
    if console.width >= WIDE:
        table = Table(box=box.SIMPLE_HEAD, title=title, pad_edge=False)
        table.add_column("time (s)", justify="right", no_wrap=True)
        table.add_column("since sent", justify="right", no_wrap=True)
        table.add_column("layer", no_wrap=True)
        table.add_column("component", no_wrap=True)
        table.add_column("event", no_wrap=True)
        table.add_column("fields")
        for rec, fields in rows:
            style = LAYER_STYLE.get(rec.layer, "")
            table.add_row(fmt_time(rec.t), _delta(rec.t, t0), Text(rec.layer, style=style), rec.component,
                          Text(rec.event, style=style), fields)
        console.print(table)
    else:
        # Narrow terminal: one heading line per record, its fields indented below it.
        console.print(Text(title, style="italic"))
        for rec, fields in rows:
            style = LAYER_STYLE.get(rec.layer, "")
            console.print(Text.assemble(f"{fmt_time(rec.t)} {_delta(rec.t, t0):>11} ", (f"{rec.layer:<5}", style),
                                        f" {rec.component:<13} ", (rec.event, style)))
            if fields:
                console.print(Padding(fields, (0, 0, 0, 4)))

    counts = Counter(r.layer for r in records)
    summary = Table(title="by layer", box=box.SIMPLE_HEAD)
    summary.add_column("layer")
    summary.add_column("what it is")
    summary.add_column("records", justify="right")
    for layer in LAYERS:
        if counts[layer]:
            summary.add_row(Text(layer, style=LAYER_STYLE[layer]), LAYER_INFO[layer], str(counts[layer]))
    console.print(summary)
    console.print(f"trace digest (sha256): {sim.tracer.digest()} (same preset, options and seed: same digest)")
    return 0


def _short_duration(t: int) -> str:
    return f"{t / 1e6:.3f} ms" if t >= 1_000_000 else f"{t / 1e3:.1f} us"


# -- presets -------------------------------------------------------------------------------------------------


def cmd_presets(args, console: Console) -> int:
    # Below WIDE columns the descriptions follow the table instead of squeezing it.
    wide = console.width >= WIDE
    table = Table(title="presets", box=box.SIMPLE_HEAD)
    for col in ("name", "interface", "bus", "address", "IRQ", "fidelity", "description")[:7 if wide else 6]:
        table.add_column(col, no_wrap=col != "description")
    for p in PRESETS.values():
        for i, si in enumerate(p.interfaces):
            addr, irq = _where(p, si)
            row = [p.name if i == 0 else "", si.kind.upper(), p.bus.upper(), addr, irq, p.fidelity]
            table.add_row(*row, *([p.description if i == 0 else ""] if wide else []))
    console.print(table)
    if not wide:
        for p in PRESETS.values():
            console.print(Text.assemble((p.name, "bold"), ": ", p.description))
    return 0


# -- the parser ----------------------------------------------------------------------------------------------


def _make_world(args, **kw) -> World:
    """The world a demo/trace command asked for: a config file, or a preset's default server."""
    if args.config:
        return World.from_config(args.config, preset=args.preset, seed=args.seed, use_irq=args.irq or None,
                                 interface=args.interface, **kw)
    return World(args.preset or "isa-ipmi-kcs", seed=args.seed or 0, use_irq=args.irq, interface=args.interface,
                 **kw)


def _add_world_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--preset", type=_preset_arg, default=None, metavar="{" + ",".join(PRESETS) + "}",
                   help="which server/BMC pair to build (default: the config's, else isa-ipmi-kcs; "
                        "see `ipmilab presets`)")
    p.add_argument("--interface", choices=("kcs", "bt", "ssif"), default=None,
                   help="which of the preset's system interfaces the host uses (default: its first)")
    p.add_argument("--config", metavar="FILE", help="a TOML world file (see README: world configuration)")
    p.add_argument("--irq", action="store_true",
                   help="the host driver uses the interface interrupt instead of polling with kipmid")
    p.add_argument("--seed", type=_seed_arg, default=None, metavar="N",
                   help="seed of the simulation's only RNG (default: the config's, else 0); same seed, same trace")


def build_parser() -> argparse.ArgumentParser:
    fmt = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(
        prog="ipmilab", formatter_class=fmt,
        description="A server and its BMC on one simulated clock: host IPMI drivers, KCS registers, BMC firmware.",
        epilog="Try: ipmilab demo --preset ast2600, ipmilab trace --raw, ipmilab bench")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser("demo", formatter_class=fmt, help="boot a pair and run an `ipmitool mc info`-like exchange",
                       description="Boot a server/BMC pair (the host driver probes the BMC), send Get Device ID, "
                                   "Get Device GUID, Get Self Test Results, Get BMC Global Enables and Get Chassis "
                                   "Status, and show every exchange with its simulated timing.")
    _add_world_options(p)
    p.set_defaults(run=cmd_demo)

    p = sub.add_parser("trace", formatter_class=fmt, help="show one command crossing every layer",
                       description="Boot a pair, clear the trace, run ONE command and print what every layer did, "
                                   "field by field.  With --boot the start-up stays in: the ipmi_si probe and "
                                   "the message handler's own traffic (Get Device GUID, Get Device ID, two "
                                   "channel scans), in the order Linux sends them.",
                       epilog="layers:\n" + "".join(f"  {k:<6} {v}\n" for k, v in LAYER_INFO.items()) +
                              "\nexamples:\n  ipmilab trace --preset ast2600 --layers user,msg,fw,ipmid\n"
                              "  ipmilab trace --netfn 0x06 --cmd 0x2E --data 0x0D   # Set BMC Global Enables\n"
                              "  ipmilab trace --boot --layers msg   # the message handler's start-up first\n"
                              "  ipmilab trace --raw > a.txt   # plain lines, for diff\n"
                              "  ipmilab trace --preset ast2600 --vcd gdi.vcd   # IBF/OBF/IRQ waveforms\n"
                              "  ipmilab trace --timeline gdi.json   # every layer's slices, for ui.perfetto.dev\n"
                              "  ipmilab trace --svg gdi.svg   # the command as a sequence diagram (or --png)")
    _add_world_options(p)
    p.add_argument("--layers", type=_layers_arg, metavar="L1,L2",
                   help=f"only these layers (from {','.join(LAYERS)})")
    p.add_argument("--netfn", type=_netfn_arg, metavar="X", help="request NetFn, e.g. 0x06 (default: App)")
    p.add_argument("--cmd", type=_int_arg("cmd", 0, 0xFF), metavar="Y",
                   help="command code, e.g. 0x01 (default: Get Device ID)")
    p.add_argument("--data", type=_data_arg, metavar='"..."', help='request data bytes, e.g. "0x0D" or "01 02"')
    p.add_argument("--raw", action="store_true", help="plain trace lines (stable, for diffing)")
    p.add_argument("--boot", action="store_true", help="keep the start-up's records (probe, message handler)")
    p.add_argument("--show-polls", action="store_true",
                   help="also the kipmid polls that found nothing new (skipped to save time: same timing)")
    add_export_options(p)
    p.set_defaults(run=cmd_trace, parser=p)

    p = sub.add_parser("presets", formatter_class=fmt, help="list the fidelity presets",
                       description="List the fidelity presets worlds are built from.")
    p.set_defaults(run=cmd_presets)

    # Subcommands that live in their own modules: each has register(sub, fmt)
    # and sets ``run`` (args, console) -> exit code.
    import importlib

    for name in EXTRA_COMMAND_MODULES:
        importlib.import_module(name).register(sub, fmt)
    return parser


# One line per plug-in module (``scenarios/cli_*.py``).
EXTRA_COMMAND_MODULES: list[str] = [
    "scenarios.cli_bench",
    "scenarios.cli_commands",
    "scenarios.cli_run",
    "scenarios.cli_serve",
    "scenarios.cli_scenario",
    "scenarios.cli_races",
    "scenarios.cli_explain",
]


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "trace" and (args.netfn is None) != (args.cmd is None):
        given, missing = ("--netfn", "--cmd") if args.cmd is None else ("--cmd", "--netfn")
        args.parser.error(f"argument {given}: needs {missing} as well")
    try:
        return args.run(args, _console())
    except KeyboardInterrupt:
        return 130
    except (ValueError, RuntimeError, TimeoutError) as exc:
        # A run that went wrong (not a bad option): say which command and why, exit 1.
        _console(stderr=True).print(Text.assemble(("ipmilab " + args.command + ": error: ", "red"), str(exc)))
        return 1


if __name__ == "__main__":
    sys.exit(main())
