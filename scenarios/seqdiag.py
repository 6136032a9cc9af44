"""One command's way through the layers as a sequence diagram (matplotlib): ``write_sequence(records, path)``.

The first request in the trace (the user layer's, else the message handler's, else ipmi_si's) and what
happened until its response.  Lifelines are the layers present, host on the left, BMC on the right.  Each
step of the request (a record of a layer above the wires) is an arrow from the lifeline of the step
before it, labelled with its event and the time since the request (``+1.23 µs``).  The register, IRQ and
bus records between two steps are not drawn one by one: they collapse into one band across the wires,
labelled with the phase it belongs to (KCS WRITE_START, bytes, READ; the BT buffer; an SSIF block), what
crossed and how long it took.  Same records, same file: SVG text stays text, ids are salted, no date.
"""

from __future__ import annotations

import textwrap
from collections import Counter
from pathlib import Path

from buses.time import fmt_duration
from buses.trace import fmt_value

# (layer, lifeline title) from the host's side to the BMC's; "wire" is the bus or register block.
LIFELINES = (("user", "user"), ("msg", "message handler"), ("si", "ipmi_si"), ("drv", "host state machine"),
             ("wire", "bus / registers"), ("fw", "BMC channel driver"), ("bmc", "BMC firmware"),
             ("ipmid", "ipmid"))
WIRE = ("reg", "irq", "bus")
BEGIN = {"user": "request", "msg": "request", "si": "start-msg"}
END = {"user": ("response",), "msg": ("response",), "si": ("transaction-done", "probe-rsp")}
# The register accesses whose value is a message byte (the rest are status polls and handshakes).
DATA_REGS = ("host-wr-IDR", "host-rd-ODR", "bmc-rd-IDR", "bmc-wr-ODR", "host-wr-HOST2BMC", "host-rd-BMC2HOST")
FORMATS = ("svg", "png")


def rel(d: int) -> str:
    """A step's time since the request, e.g. ``+1.23 µs``."""
    if d < 1000:
        return f"+{d} ns"
    if d < 1_000_000:
        return f"+{d / 1e3:.2f} µs"
    if d < 1_000_000_000:
        return f"+{d / 1e6:.3f} ms"
    return f"+{d / 1e9:.6f} s"


def one_command(records):
    """``(name, t0, t1, records in [t0, t1])`` for the trace's first request, answered or not."""
    recs = sorted(records, key=lambda r: r.t)
    for layer in ("user", "msg", "si"):
        for i, r in enumerate(recs):
            if r.layer == layer and r.event == BEGIN[layer]:
                f = dict(r.fields)
                data = f.get("data")
                name = str(f.get("cmd") or _cmd(data) or r.event)
                key = f.get("msgid")
                t1 = next((e.t for e in recs[i + 1:] if e.layer == layer and e.component == r.component
                           and e.event in END[layer] and dict(e.fields).get("msgid") == key), None)
                window = [e for e in recs[i:] if t1 is None or e.t <= t1]
                return name, r.t, t1, window
    return None


def _cmd(data) -> str | None:
    from bmc.ipmi.cmd import command_name

    if isinstance(data, (bytes, bytearray)) and len(data) >= 2:
        return command_name(data[0] >> 2, data[1])
    return None


def _label(r) -> str:
    """A step's arrow text: its event and the field that says most."""
    f = dict(r.fields)
    if r.layer == "user" and "cmd" in f:
        return f"{r.event} {f['cmd']} {fmt_value(f.get('data', b''))}"
    for key in ("phase", "state", "cmd", "msgid"):
        if key in f:
            return f"{r.event} {key}={fmt_value(f[key])}"
    for key in ("data", "rsp", "frame"):
        if isinstance(v := f.get(key), (bytes, bytearray)):
            return f"{r.event} {fmt_value(v)}" if len(v) <= 4 else f"{r.event} ({len(v)} bytes)"
    return r.event


def _phase(wire, after: str) -> str:
    """The interface phase a run of wire records is: from what crossed (KCS control codes and data
    registers, the BT buffer, SMBus transfers), else the step it follows."""
    parts = []
    for r in wire:
        f = dict(r.fields)
        state = " STATE=READ" in f" {f.get('STR', '')}"
        if r.layer == "bus" and r.event == "addr":
            p = "SSIF block read" if f.get("rw") == "R" else "SSIF block write"
        elif r.event == "host-wr-CMD":
            p = {"0x61": "KCS WRITE_START", "0x62": "KCS WRITE_END"}.get(str(f.get("value")), "KCS control")
        elif r.event == "host-wr-IDR":
            p = "KCS READ" if state else "KCS bytes"
        elif r.event == "host-rd-ODR" and state:
            p = "KCS READ"
        elif r.event in ("host-wr-HOST2BMC", "host-rd-BMC2HOST"):
            p = "BT buffer " + ("write" if "wr" in r.event else "read")
        else:
            continue
        if p not in parts:
            parts.append(p)
    if "SSIF block read" in parts:                              # a read starts by writing its command byte
        parts.remove("SSIF block write")
    if not parts:                                               # no message bytes: a handshake, by its registers
        f = {k for r in wire for k, _ in r.fields}
        parts = ["BT handshake"] if "CTRL" in f else ["KCS status"] if "STR" in f else \
            ["SMBus"] if any(r.layer == "bus" for r in wire) else ["interrupt"] if any(r.layer == "irq" for r in wire) \
            else []
    return " + ".join(parts) or after


def _band(wire, after: str) -> str:
    """A band's label: its phase, how long, the data bytes each way, polls and IRQ edges counted."""
    data: dict[str, list[str]] = {}
    count: Counter = Counter()
    for r in wire:
        f = dict(r.fields)
        if r.layer == "reg" and r.event in DATA_REGS and "value" in f:
            data.setdefault(r.event, []).append(str(f["value"])[2:])
        elif r.layer == "bus" and "byte" in f:
            data.setdefault(f"SMBus {r.event}", []).append(str(f["byte"])[2:])
        elif r.layer == "irq":
            count["IRQ edge"] += 1
        else:
            count[r.event] += 1
    parts = []
    for name, vals in data.items():
        shown = " ".join(vals[:8]) + (" …" if len(vals) > 8 else "")
        parts.append(f"{name} ×{len(vals)} [{shown}]")
    parts += [f"{name} ×{n}" for name, n in sorted(count.items())]
    return f"{_phase(wire, after)}: {fmt_duration(wire[-1].t - wire[0].t)}", ", ".join(parts)


# Steps that report something done: at one instant they climb back up (ipmi_ssif reports a block at its stop).
UP = ("response", "transaction-done", "probe-rsp", "complete", "response-done", "block-read", "block-write")
RANK = {lane: i for i, (lane, _) in enumerate(LIFELINES)}


def _order(r) -> tuple:
    """Same-time steps in causal order: a request goes down the layers, ipmid turns it, the answer climbs."""
    if r.layer == "ipmid":
        return (r.t, 1, 0)
    up = r.event in UP or (r.layer in ("fw", "bmc") and r.event == "write")
    rank = RANK.get(r.layer, RANK["wire"])
    return (r.t, 2, -rank) if up else (r.t, 0, rank)


def _host_down(r, wire_like) -> bool:
    return not wire_like and r.layer in ("user", "msg", "si", "drv") and _order(r)[1] == 0


def steps(records):
    """The diagram's rows: ``("arrow", t, from, to, label)`` and ``("band", t0, t1, (title, details))``."""
    got = one_command(records)
    if got is None:
        return None
    name, t0, t1, window = got
    # Byte-level repetition (wire records, a firmware ISR run per byte) goes into the bands.
    seen = Counter((r.layer, r.component, r.event) for r in window)
    wire_like = [r.layer in WIRE or seen[r.layer, r.component, r.event] > 3 for r in window]
    marked = list(zip(window, wire_like, strict=True))
    lanes = [lane for lane, _ in LIFELINES
             if any(w if lane == "wire" else (r.layer == lane and not w) for r, w in marked)]
    # At one instant: the host's request steps first (its driver's accesses follow from them), then the rest
    # in trace order, the other steps among themselves in causal order.
    for t in sorted({r.t for r in window}):
        at = [i for i, (r, _w) in enumerate(marked) if r.t == t]
        group = [marked[i] for i in at]
        first = sorted((rw for rw in group if _host_down(*rw)), key=lambda rw: _order(rw[0]))
        rest = [rw for rw in group if not _host_down(*rw)]
        slots = [k for k, (_r, w) in enumerate(rest) if not w]
        for k, rw in zip(slots, sorted((rest[k] for k in slots), key=lambda rw: _order(rw[0])), strict=True):
            rest[k] = rw
        for i, rw in zip(at, first + rest, strict=True):
            marked[i] = rw
    rows, wire, here, after = [], [], None, "start"
    for r, w in marked:
        if w:
            wire.append(r)
            if r.layer == "bus" and r.event == "stop":          # one SMBus transfer a band: the wait after is none
                rows.append(("band", wire[0].t, r.t, _band(wire, after)))
                wire = []
            continue
        if r.layer not in lanes:
            continue
        if wire:
            rows.append(("band", wire[0].t, wire[-1].t, _band(wire, after)))
            wire = []
        rows.append(("arrow", r.t, here or r.layer, r.layer, _label(r)))
        after = _label(r)
        here = r.layer
    if wire:
        rows.append(("band", wire[0].t, wire[-1].t, _band(wire, after)))
    return name, t0, t1, lanes, rows


def write_sequence(records, path, fmt: str | None = None, option: str | None = None) -> None:
    """Draw the first request of ``records`` into ``path`` (SVG or PNG, from ``fmt`` or the suffix).  A path
    that cannot be written, or a trace without a request, is a ValueError naming ``option`` and the path."""
    fmt = (fmt or Path(path).suffix.lstrip(".")).lower()
    option = option or f"--{fmt}"
    if fmt not in FORMATS:
        raise ValueError(f"{option} {path}: cannot tell the format (use a .svg or .png name)")
    got = steps(records)
    if got is None:
        raise ValueError(f"{option} {path}: the trace holds no request to draw (no user, msg or si request record)")
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import Rectangle

    name, t0, t1, lanes, rows = got
    titles = dict(LIFELINES)
    x = {lane: i for i, lane in enumerate(lanes)}
    lo, hi = x.get("drv", 0), x.get("fw", x.get("bmc", len(lanes) - 1))
    lo, hi = min(lo, hi), max(lo, hi, lo + 1)
    width = int((hi - lo + 0.2) * 36)                           # characters of 6.5 pt text across the band
    heights = [1.0 if row[0] == "arrow" else 1.0 + 0.3 * min(3, len(textwrap.wrap(row[3][1], width)))
               for row in rows]
    ys = [sum(heights[:k]) + heights[k] / 2 for k in range(len(rows))]
    depth = sum(heights)
    with matplotlib.rc_context({"svg.hashsalt": "ipmilab", "svg.fonttype": "none", "font.size": 8,
                                "font.family": "DejaVu Sans"}):
        fig = Figure(figsize=(max(8.0, 1.9 * len(lanes)), 1.2 + 0.36 * depth))
        FigureCanvasAgg(fig)
        ax = fig.add_axes((0.1, 0.01, 0.88, 1 - 0.9 / (1.2 + 0.36 * depth)))
        ax.set_xlim(-0.6, len(lanes) - 0.4)
        ax.set_ylim(depth + 0.2, -1.2)
        ax.axis("off")
        total = "no response" if t1 is None else f"answered in {fmt_duration(t1 - t0)}"
        fig.suptitle(f"{name}: request {total}", fontsize=11, fontweight="bold")
        for lane in lanes:
            ax.plot([x[lane], x[lane]], [-0.6, depth + 0.1], color="0.6", lw=0.8, ls="--")
            ax.text(x[lane], -0.8, titles[lane], ha="center", va="bottom", fontweight="bold",
                    bbox={"boxstyle": "round", "fc": "0.92", "ec": "0.5"})
        for y, h, row in zip(ys, heights, rows, strict=True):
            if row[0] == "band":
                _, a, b, (title, details) = row
                lines = textwrap.wrap(details, width)
                lines = lines[:2] + [textwrap.shorten(" ".join(lines[2:]), width, placeholder=" …")] \
                    if len(lines) > 3 else lines
                ax.add_patch(Rectangle((lo - 0.1, y - h / 2 + 0.1), hi - lo + 0.2, h - 0.2,
                                       fc="#fff3c4", ec="#c9a227", lw=0.6))
                ax.text((lo + hi) / 2, y - h / 2 + 0.2, title, ha="center", va="top", fontsize=7.5,
                        fontweight="bold")
                ax.text((lo + hi) / 2, y - h / 2 + 0.55, "\n".join(lines), ha="center", va="top", fontsize=6.5,
                        linespacing=1.15)
                ax.text(-0.58, y, f"{rel(a - t0)} … {rel(b - t0)}", ha="left", va="center", fontsize=6.5,
                        color="#8a6d00")
                continue
            _, t, src, dst, label = row
            if src == dst:
                ax.plot([x[src]], [y], marker="o", ms=3, color="#1f4e9a")
                ax.text(x[src] + 0.05, y - 0.12, label, ha="left", va="bottom", fontsize=7)
            else:
                ax.annotate("", xy=(x[dst], y), xytext=(x[src], y),
                            arrowprops={"arrowstyle": "-|>", "color": "#1f4e9a", "lw": 1})
                ax.text((x[src] + x[dst]) / 2, y - 0.1, label, ha="center", va="bottom", fontsize=7)
            ax.text(-0.58, y, rel(t - t0), ha="left", va="center", fontsize=7, color="0.25")
        try:
            if fmt == "svg":
                fig.savefig(path, format="svg", metadata={"Date": None})
            else:
                fig.savefig(path, format="png", dpi=110, metadata={"Software": None})
        except OSError as err:
            raise ValueError(f"{option} {path}: {err.strerror or err}") from None


def add_sequence_options(parser) -> None:
    """``--svg FILE`` and ``--png FILE`` for a command that has a trace."""
    parser.add_argument("--svg", metavar="FILE",
                        help="draw the command (the first user request, else the first request) as a sequence "
                             "diagram (SVG)")
    parser.add_argument("--png", metavar="FILE", help="the same diagram as a PNG")


def export_sequence(records, args) -> None:
    """The commands' ``--svg``/``--png``: draw each one asked for, and say so on stderr."""
    from rich.console import Console

    for fmt in FORMATS:
        path = getattr(args, fmt, None)
        if path:
            write_sequence(records, path, fmt, f"--{fmt}")
            Console(stderr=True).print(f"sequence diagram: {path}", style="dim", markup=False, highlight=False)
