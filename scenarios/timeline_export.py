"""A traced run as a Chrome Trace Event Format file, for ui.perfetto.dev: ``write_timeline(records, path)``.

Every record is placed on a track: a process per layer (named with its side, host or BMC), a thread per
component.  From the records:

- **transactions** are complete slices (``ph: "X"``) from a request to its response: the user layer's
  ``request``/``response``, the message handler's ``request``/``response`` (paired by ``msgid``), ipmi_si's
  ``start-msg`` to ``transaction-done`` (or ``probe-rsp``);
- **driver phases**: a host state machine's state (``drv`` records with ``state=``) lasts from the record
  that enters it to the next one of that machine (the last, to the end of the trace);
- **BMC handling**: a firmware/BMC channel's ``request`` (or ``read``) to its ``response`` (or ``write``),
  named after the command ipmid dispatched; its ``phase=``/``state=`` changes as slices on their own track;
  an SMBus transfer (``bus`` start to stop) as one slice;
- **waits**: while a register flag is up (KCS IBF/OBF/SMS_ATN, BT H2B_ATN/B2H_ATN/..., from the status
  after each access), and while a bus is clock-stretched;
- **instants** for every other record: register accesses, IRQ edges, bus conditions, faults;
- **flows** (``ph: "s"``/``"t"``/``"f"``, bound to the enclosing slice) from each request down the layers
  to the BMC and back up to its response: down through each slice's start, up through the zero-length
  slice each answering record (a response, a transaction's end) also gets.

Requests in flight together on one component (a queue that grows, a request never answered) go on lanes
of its thread, ``ipmi0 #2`` and on, since slices on one thread must nest.  ``ts``/``dur`` are µs floats
carrying the trace's nanoseconds.  Events are in time order (at one instant: slices, the flow steps
binding to them, then instants), keys sorted: the same records give the same bytes.
"""

from __future__ import annotations

import json

from bmc.ipmi.cmd import command_name
from buses.trace import LAYERS, fmt_value

SIDE = {"user": "host", "msg": "host", "si": "host", "drv": "host", "host": "host", "bus": "wire", "reg": "wire",
        "irq": "wire", "fw": "BMC", "ipmid": "BMC", "bmc": "BMC", "fault": "fault"}
# (layer, begin events, end events, the field pairing them): a request and its answer, FIFO per key.
PAIRS = (
    ("user", ("request",), ("response",), None),
    ("msg", ("request",), ("response",), "msgid"),
    ("si", ("start-msg",), ("transaction-done", "probe-rsp"), None),
    ("fw", ("request", "read"), ("response", "write"), None),
    ("bmc", ("request",), ("response",), None),
)
WAIT_FLAGS = ("IBF", "OBF", "SMS_ATN", "H2B_ATN", "B2H_ATN", "B_BUSY", "H_BUSY")
# Down the stack for a request's flow; the answer climbs back in the reverse order.
FLOW_STEPS = {("transaction", ly) for ly in ("user", "msg", "si", "fw", "bmc")} | {
    ("state", "drv"), ("block", "drv"), ("transfer", "bus"), ("dispatch", "ipmid")}
RANK = {layer: i for i, layer in enumerate(("user", "msg", "si", "drv", "bus", "reg", "irq", "fw", "bmc", "ipmid"))}


def us(t: int) -> float:
    """ns to µs, exact to the ns (a float keeps 15-16 digits: ~100 days of ns)."""
    return round(t / 1000, 3)


def _name(data) -> str | None:
    if isinstance(data, (bytes, bytearray)) and len(data) >= 2:
        return command_name(data[0] >> 2, data[1])
    return None


def _args(fields) -> dict:
    return {k: fmt_value(v) for k, v in fields}


class _Builder:
    def __init__(self, records):
        self.recs = sorted(records, key=lambda r: r.t)       # stable: ties keep the trace's order
        self.end = self.recs[-1].t if self.recs else 0
        self.used: set[int] = set()                            # records that bound a slice
        self.slices: list[dict] = []                           # {t, dur, layer, thread, name, args, kind, i}
        self.instants: list[tuple] = []
        self.transfers: list[tuple[int, int]] = []             # SMBus start..stop

    def slice(self, t0, t1, layer, thread, name, args, kind, **extra) -> dict:
        self.slices.append({"t": t0, "dur": t1 - t0, "layer": layer, "thread": thread, "name": name,
                            "args": args, "kind": kind, **extra})
        return self.slices[-1]

    def lanes(self):
        """Slices on one thread must nest; requests in flight together do not (a queue that grows, a request
        never answered): each goes on the first lane of its thread it nests in, ``thread #2`` and on, and the
        record answering it follows it there."""
        groups: dict = {}
        for s in self.slices:
            if "owner" not in s:
                groups.setdefault((s["layer"], s["thread"]), []).append(s)
        for (_layer, thread), group in groups.items():
            stacks: list[list[int]] = []                       # per lane, the ends of its open slices
            for s in sorted(group, key=lambda s: (s["t"], -s["dur"])):
                k = _lane(stacks, s["t"], s["t"] + s["dur"])
                s["thread"] = thread if k == 0 else f"{thread} #{k + 1}"
        for s in self.slices:
            if "owner" in s:
                s["thread"] = s["owner"]["thread"]

    def pairs(self):
        for layer, begins, ends, key in PAIRS:
            open_: dict = {}
            for i, r in enumerate(self.recs):
                if r.layer != layer:
                    continue
                f = dict(r.fields)
                k = (r.component, f.get(key) if key else None)
                if r.event in begins:
                    open_.setdefault(k, []).append(i)
                elif r.event in ends and open_.get(k):
                    j = open_[k].pop(0)
                    b = self.recs[j]
                    self.used.update((i, j))
                    args = {"request": _args(b.fields), "response": _args(r.fields)}
                    owner = self.slice(b.t, r.t, layer, r.component, self._title(layer, b, j, i), args,
                                       "transaction", begin=j, finish=i)
                    if r.t > b.t:
                        self._answer(r, owner)
            for k, left in open_.items():                      # never answered: to the end, and say so
                for j in left:
                    b = self.recs[j]
                    self.used.add(j)
                    self.slice(b.t, self.end, layer, k[0], self._title(layer, b, j, None) + " (unanswered)",
                               {"request": _args(b.fields)}, "transaction", begin=j, finish=None)

    def _answer(self, r, owner):
        """The record ending a slice, as a zero-length slice of its own: a flow climbing back binds to it (a
        slice ending at the same instant is no anchor a viewer agrees on)."""
        self.slice(r.t, r.t, r.layer, r.component, r.event, _args(r.fields), "answer", owner=owner)

    def _title(self, layer, b, j, i) -> str:
        f = dict(b.fields)
        if layer == "user" and "cmd" in f:
            return str(f["cmd"])
        if layer in ("fw", "bmc"):                             # named by what ipmid dispatched meanwhile
            stop = self.end if i is None else self.recs[i].t
            for r in self.recs[j:]:
                if r.t > stop:
                    break
                if r.layer == "ipmid" and r.event == "dispatch":
                    return f"handle {r.fields[0][1]}" if r.fields and r.fields[0][0] == "cmd" else "handle"
            return "handle " + (_name(f.get("data")) or "request")
        return _name(f.get("data")) or b.event

    def states(self):
        """``drv`` ``state=`` and BMC ``phase=``/``state=``: each value until the component's next one."""
        last: dict = {}
        for i, r in enumerate(self.recs):
            f = dict(r.fields)
            key = "state" if r.layer == "drv" else "phase" if "phase" in f else "state"
            if r.layer not in ("drv", "fw", "bmc") or key not in f:
                continue
            thread = r.component if r.layer == "drv" else f"{r.component} {key}"
            if thread in last:
                self._state(last[thread], r.t)
            last[thread] = (i, r, thread, str(f[key]))
            if r.layer == "drv":
                self.used.add(i)
        for entry in last.values():
            self._state(entry, self.end)

    def _state(self, entry, t1):
        i, r, thread, value = entry
        self.slice(r.t, t1, r.layer, thread, value, {"entered by": r.event, **_args(r.fields)}, "state", begin=i)

    def waits(self):
        """A register flag up, from the access that raised it to the one that dropped it; bus stretches."""
        up: dict = {}
        for r in self.recs:
            f = dict(r.fields)
            if r.layer == "reg" and ("STR" in f or "CTRL" in f):
                if "STR" in f:
                    bits = {kv.split("=")[0] for kv in str(f["STR"]).split() if kv.endswith("=1")}
                else:
                    bits = set(str(f["CTRL"]).split())
                for flag in WAIT_FLAGS:
                    k = (r.component, flag)
                    if flag in bits and k not in up:
                        up[k] = r
                    elif flag not in bits and k in up:
                        b = up.pop(k)
                        self.slice(b.t, r.t, "reg", f"{r.component} {flag}", f"{flag} set",
                                   {"raised by": b.event, "dropped by": r.event}, "wait")
        for (comp, flag), b in sorted(up.items(), key=lambda kv: kv[1].t):
            self.slice(b.t, self.end, "reg", f"{comp} {flag}", f"{flag} set", {"raised by": b.event}, "wait")

    def bus(self):
        """An SMBus transfer, start to stop, named by its first address and command byte."""
        cur: dict = {}
        for i, r in enumerate(self.recs):
            if r.layer != "bus":
                continue
            f = dict(r.fields)
            if r.event == "start":
                cur[r.component] = {"t": r.t, "bytes": [], "addr": None}
            elif r.component in cur:
                tr = cur[r.component]
                if r.event == "addr":
                    tr["addr"] = tr["addr"] or f.get("addr")
                    tr["read"] = tr.get("read") or f.get("rw") == "R"
                elif r.event in ("write", "read") and "byte" in f:
                    tr["bytes"].append(str(f["byte"]))
                elif r.event == "stop":
                    del cur[r.component]
                    name = (f"SMBus {'read' if tr.get('read') else 'write'} {tr['addr'] or ''} "
                            f"cmd {tr['bytes'][0] if tr['bytes'] else '-'}")
                    self.slice(tr["t"], r.t, "bus", r.component, name,
                               {"bytes": " ".join(tr["bytes"])}, "transfer")
                    self.transfers.append((tr["t"], r.t))
            if r.event == "stretch" and str(f.get("held", "")).isdigit():   # recorded as the hold ends
                self.used.add(i)
                self.slice(r.t - int(f["held"]), r.t, "bus", f"{r.component} stretch", "clock stretched",
                           _args(r.fields), "wait")

    def blocks(self):
        """ipmi_ssif's block transfers: its record comes at the stop, the transfer is the one ending there."""
        for i, r in enumerate(self.recs):
            if r.layer == "drv" and r.event.startswith("block-") and "state" not in dict(r.fields):
                span = [tr for tr in self.transfers if tr[1] == r.t]
                if span:
                    self.used.add(i)
                    f = dict(r.fields)
                    name = f"{r.event} cmd={f['cmd']}" if "cmd" in f else r.event
                    owner = self.slice(span[-1][0], r.t, "drv", r.component, name, _args(r.fields), "block",
                                       finish=i)
                    self._answer(r, owner)

    def dispatch(self):
        """ipmid's dispatch: one record when the answer is ready, a zero-length slice (flows bind to it)."""
        for i, r in enumerate(self.recs):
            if r.layer == "ipmid" and r.event == "dispatch":
                self.used.add(i)
                self.slice(r.t, r.t, "ipmid", r.component, str(dict(r.fields).get("cmd", "dispatch")),
                           _args(r.fields), "dispatch")

    def rest(self):
        for i, r in enumerate(self.recs):
            if i not in self.used:
                self.instants.append((r.t, i, r))


def _lane(stacks: list[list[int]], a: int, b: int) -> int:
    """The first lane where ``[a, b]`` nests (after or inside what is open there), opened if none."""
    for k, stack in enumerate(stacks):
        while stack and stack[-1] <= a and not (stack[-1] == a == b):
            stack.pop()
        if not stack or b <= stack[-1]:
            stack.append(b)
            return k
    stacks.append([b])
    return len(stacks) - 1


def _flows(b: _Builder) -> list[tuple]:
    """Per outermost request: (t, order, layer, thread) steps of the slices it crossed, down then up."""
    tops = [s for s in b.slices if s["kind"] == "transaction" and s["layer"] in ("user", "msg", "si")]
    tops.sort(key=lambda s: (s["t"], RANK[s["layer"]]))
    roots = []
    for s in tops:                                              # an inner layer's copy of a request is no root
        if not any(r["t"] <= s["t"] and s["t"] + s["dur"] <= r["t"] + r["dur"] and RANK[r["layer"]] < RANK[s["layer"]]
                   for r in roots):
            roots.append(s)
    out = []
    for n, root in enumerate(roots):
        t0, t1 = root["t"], root["t"] + root["dur"]
        steps = []
        for s in b.slices:
            if not t0 <= s["t"] <= t1 or (s["kind"], s["layer"]) not in FLOW_STEPS:
                continue
            rank = RANK[s["layer"]]
            steps.append((s["t"], 50 if s["kind"] == "dispatch" else rank, s["layer"], s["thread"]))
            # The answer climbs back through each layer's end (a block read's, not a block write's).
            if s["dur"] > 0 and s.get("finish") is not None and (
                    s["kind"] == "transaction" or s["kind"] == "block" and s["name"].startswith("block-read")):
                steps.append((s["t"] + s["dur"], 100 - rank, s["layer"], s["thread"]))
        steps.sort()
        if len(steps) >= 2:
            out.append((n + 1, root["name"], steps))
    return out


def timeline(records) -> dict:
    """The Trace Event Format document for ``records`` (a dict with ``traceEvents``)."""
    b = _Builder(records)
    b.pairs()
    b.states()
    b.waits()
    b.bus()
    b.blocks()
    b.dispatch()
    b.lanes()
    flows = _flows(b)
    b.rest()

    tracks: dict = {}                                           # (layer, thread) -> (pid, tid), first seen first
    def track(layer, thread):
        if (layer, thread) not in tracks:
            pid = LAYERS.index(layer) + 1 if layer in LAYERS else len(LAYERS) + 1
            tid = 1 + sum(1 for (ly, _t) in tracks if ly == layer)
            tracks[layer, thread] = (pid, tid)
        return tracks[layer, thread]

    timed: list[tuple] = []                                     # (t, order, seq, event)
    for s in sorted(b.slices, key=lambda s: (s["t"], -s["dur"])):
        pid, tid = track(s["layer"], s["thread"])
        timed.append((s["t"], 0, len(timed), {"ph": "X", "name": s["name"], "cat": s["kind"], "pid": pid,
                                               "tid": tid, "ts": us(s["t"]), "dur": us(s["dur"]),
                                               "args": s["args"]}))
    for t, i, r in b.instants:
        pid, tid = track(r.layer, r.component)
        timed.append((t, 2, i, {"ph": "i", "s": "t", "name": r.event, "cat": r.layer, "pid": pid, "tid": tid,
                                "ts": us(t), "args": _args(r.fields)}))
    for fid, name, steps in flows:
        for k, (t, _o, layer, thread) in enumerate(steps):
            ph = "s" if k == 0 else "f" if k == len(steps) - 1 else "t"
            pid, tid = track(layer, thread)
            ev = {"ph": ph, "id": fid, "name": name, "cat": "request", "pid": pid, "tid": tid, "ts": us(t)}
            if ph == "f":
                ev["bp"] = "e"
            timed.append((t, 1, k, ev))
    # Same instant: slices first, then the flow steps binding to them, then instants (which a viewer takes
    # as zero-length slices, and a step after them would bind to).
    timed.sort(key=lambda e: e[:3])

    meta = []
    for (layer, thread), (pid, tid) in sorted(tracks.items(), key=lambda kv: kv[1]):
        if tid == 1:
            meta.append({"ph": "M", "name": "process_name", "pid": pid, "tid": 0,
                         "args": {"name": f"{SIDE.get(layer, layer)}: {layer}"}})
            meta.append({"ph": "M", "name": "process_sort_index", "pid": pid, "tid": 0,
                         "args": {"sort_index": pid}})
        meta.append({"ph": "M", "name": "thread_name", "pid": pid, "tid": tid, "args": {"name": thread}})
        meta.append({"ph": "M", "name": "thread_sort_index", "pid": pid, "tid": tid, "args": {"sort_index": tid}})
    return {"traceEvents": meta + [e for *_k, e in timed], "displayTimeUnit": "ns",
            "otherData": {"source": "ipmilab trace", "records": len(b.recs)}}


def write_timeline(records, path) -> int:
    """Write the timeline of ``records`` to ``path``; returns how many trace events it holds.  A path that
    cannot be written is a ValueError naming it (for the command line's error line)."""
    doc = timeline(records)
    text = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    try:
        with open(path, "w", encoding="ascii") as out:
            out.write(text + "\n")
    except OSError as err:
        raise ValueError(f"--timeline {path}: {err.strerror or err}") from None
    return len(doc["traceEvents"])


def add_timeline_option(parser) -> None:
    """``--timeline FILE`` for a command that has a trace."""
    parser.add_argument("--timeline", metavar="FILE",
                        help="write the run as a Chrome/Perfetto trace (JSON): slices per layer, flows per request")


def export_timeline(records, path) -> None:
    """The commands' ``--timeline FILE``: write it, and say so on stderr."""
    from rich.console import Console

    n = write_timeline(records, path)
    Console(stderr=True).print(f"timeline: {n} events in {path} (open it in https://ui.perfetto.dev)",
                               style="dim", markup=False, highlight=False)
