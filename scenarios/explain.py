"""What a command does, on the wires: the model behind ``ipmilab explain``.

``resolve(words)`` reads what the user asked about: ``0x06 0x01 [DATA...]`` (a raw request),
a command's spec name (``"Get Device ID"``, as ``ipmilab commands`` lists it) or an
``ipmilab run`` command (``mc info``, ``sdr list``: every request ipmitool sends for it).
``explain(world, target)`` runs it on a traced world and returns one ``Exchange`` per request
the host's message handler sent, each with the spec's facts (name, section, privilege), its
request and response fields decoded, and its ``phases``: the trace's milestones between the
request and its answer (the host driver's and the BMC firmware's steps), each with what the
wires and registers did until the next one and how long that took.

The world runs with ``show_polls``: the polls a polling driver makes while it waits are
counted as naive polling would make them (pollskip does not change the timing).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from bmc.ipmi.cc import cc_name
from bmc.ipmi.cmd import command_name
from bmc.ipmi.netfn import netfn_name

# Layers whose records are steps of a transaction; the rest (bus, reg, irq) is what happens between.
MILESTONES = ("user", "msg", "si", "drv", "fw", "ipmid", "bmc", "host", "fault")
SIDE = {"user": "host", "msg": "host", "si": "host", "drv": "host", "fw": "BMC", "ipmid": "BMC", "bmc": "BMC",
        "host": "host", "fault": "fault"}
# How the wire-level records between two steps are counted, in words.
ACTIVITY = {
    "host-rd-STR": "host status reads (STR)", "host-wr-CMD": "control codes written (CMD)",
    "host-wr-IDR": "data bytes written (IDR)", "host-rd-ODR": "data bytes read (ODR)",
    "bmc-rd-IDR": "BMC reads of IDR", "bmc-wr-ODR": "BMC writes of ODR", "bmc-wr-STR": "BMC status updates (STR)",
    "host-rd-CTRL": "host reads of BT_CTRL", "host-wr-CTRL": "host writes of BT_CTRL",
    "host-wr-HOST2BMC": "bytes into the BT buffer", "host-rd-BMC2HOST": "bytes out of the BT buffer",
    "host-wr-INTMASK": "host writes of BT_INTMASK", "io-read": "I/O read cycles", "io-write": "I/O write cycles",
    "mmio-read": "BMC MMIO reads", "mmio-write": "BMC MMIO writes", "assert": "interrupt edges raised",
    "deassert": "interrupt edges dropped", "start": "SMBus starts", "stop": "SMBus stops",
    "addr": "SMBus address bytes", "write": "SMBus bytes written", "read": "SMBus bytes read",
    "restart": "SMBus repeated starts", "stretch": "SMBus clock stretches",
}


class ExplainError(ValueError):
    """A COMMAND that is none of the three forms; the message names it."""


@dataclass(frozen=True)
class Target:
    """What to run: a raw request, or an ``ipmilab run`` command's words."""

    words: tuple[str, ...]
    request: bytes | None = None           # NetFn/LUN, Cmd, data; None for a run command

    @property
    def title(self) -> str:
        if self.request is None:
            return "ipmitool " + " ".join(self.words)
        return command_name(self.request[0] >> 2, self.request[1])


@dataclass
class Phase:
    t: int                                  # ns since the request
    duration: int                           # until the next step (or the answer)
    side: str
    component: str
    step: str                               # the milestone, in the trace's words
    activity: list[str] = field(default_factory=list)   # what the wires did meanwhile


@dataclass
class Exchange:
    netfn: int
    cmd: int
    name: str
    section: str | None
    privilege: str | None
    system_interface_only: bool
    request: bytes
    response: bytes
    t_sent: int
    t_done: int
    request_fields: list[tuple[str, str]]
    response_fields: list[tuple[str, str]]
    phases: list[Phase]
    note: str | None = None

    @property
    def cc(self) -> int:
        return self.response[2] if len(self.response) > 2 else 0xFF

    @property
    def elapsed(self) -> int:
        return self.t_done - self.t_sent


def _number(word: str) -> int | None:
    try:
        return int(word, 0) if word.lower().startswith("0x") or word.isdigit() else None
    except ValueError:
        return None


def resolve(words, specs) -> Target:
    """The target of ``explain WORDS``; ``specs`` are the dispatcher's ``CommandSpec``s."""
    words = tuple(w for part in words for w in part.split())
    if not words:
        raise ExplainError("say what to explain: NETFN CMD [DATA...], a command name or an ipmilab run command")
    nums = [_number(w) for w in words]
    if len(words) >= 2 and None not in nums[:2]:
        bad = next((w for w, n in zip(words, nums, strict=True) if n is None or not 0 <= n <= 0xFF), None)
        if bad is not None:
            raise ExplainError(f"{bad!r} is not a byte (0x00-0xFF)")
        netfn, cmd, *data = nums
        if netfn > 0x3F or netfn & 1:
            raise ExplainError(f"NetFn 0x{netfn:02X} is not a request NetFn (an even number up to 0x3E)")
        return Target(words, bytes((netfn << 2, cmd, *data)))
    name = " ".join(words).lower()
    for spec in specs:
        if spec.name.lower() == name:
            return Target(words, bytes((spec.netfn << 2, spec.cmd)))
    from vserver.userland import ToolError, parse_command

    try:
        parse_command(list(words))
    except ToolError as exc:
        raise ExplainError(f"{' '.join(words)!r} is not NETFN CMD [DATA...], a command name from `ipmilab "
                           f"commands`, or an ipmilab run command ({exc})") from None
    return Target(words)


def _layout(netfn: int, cmd: int):
    try:
        from bmc.ipmi.layout import layout
    except ImportError:          # the field tables are optional: without them, bytes stay bytes
        return None
    return layout(netfn, cmd)


def _fields(fields, data: bytes) -> list[tuple[str, str]]:
    if fields is None:
        return [(f"data[{i}]", f"0x{b:02X}") for i, b in enumerate(data)]
    from bmc.ipmi.layout import decode

    return decode(fields, data)


def _step(rec) -> str:
    parts = [rec.event]
    for k, v in rec.fields:
        if k in ("data", "rsp", "req", "frame", "record", "device_id"):
            continue
        parts.append(f"{k}={v}")
    return " ".join(parts)


# Data moving through a register or over the SMBus: its bytes are listed, not only counted.
DATA_EVENTS = ("host-wr-IDR", "host-rd-ODR", "host-wr-HOST2BMC", "host-rd-BMC2HOST", "write", "read")


def phases(records, t0: int, t1: int) -> list[Phase]:
    """The milestones in [t0, t1] with, for each, what the wires did until the next one."""
    out: list[Phase] = []
    counts: Counter = Counter()
    moved: dict[str, list[str]] = {}

    def close(until: int) -> None:
        if out:
            out[-1].duration = until - t0 - out[-1].t
            out[-1].activity = [_activity(ev, n, moved.get(ev)) for ev, n in sorted(counts.items(), key=_order)]
        counts.clear()
        moved.clear()

    for r in records:
        if r.t < t0 or r.t > t1:
            continue
        if r.layer in MILESTONES:
            close(r.t)
            out.append(Phase(r.t - t0, 0, SIDE[r.layer], r.component, _step(r)))
            continue
        counts[r.event] += 1
        if r.event in DATA_EVENTS:
            f = dict(r.fields)
            value = f.get("value", f.get("byte"))
            if value is not None:
                moved.setdefault(r.event, []).append(str(value).removeprefix("0x"))
    close(t1)
    return out


def _activity(event: str, n: int, data: list[str] | None) -> str:
    text = f"{n} {ACTIVITY.get(event, event)}"
    return f"{text} [{' '.join(data)}]" if data else text


def _order(item) -> tuple:
    event, n = item
    return (list(ACTIVITY).index(event) if event in ACTIVITY else len(ACTIVITY), event)


def _exchanges(records, internal: bool = False):
    """The message handler's user requests (or its own, ``internal``) with their answers, in order:
    (t, request, t', response)."""
    pending: dict = {}
    for r in records:
        if r.layer != "msg" or r.event not in ("request", "response"):
            continue
        f = dict(r.fields)
        if (str(f.get("msgid")) == "internal") != internal:
            continue
        if r.event == "request":
            pending[f.get("msgid")] = (r.t, bytes(f["data"]))
        elif f.get("msgid") in pending:
            t, req = pending.pop(f.get("msgid"))
            yield t, req, r.t, bytes(f["rsp"])


def explain(world, target: Target) -> list[Exchange]:
    """Run ``target`` on ``world`` (traced, booted) and explain every request it sent."""
    from .cli import REQUEST_LIMIT

    sim = world.sim
    sim.tracer.clear()
    note = None
    if target.request is None:
        from vserver.userland import CommandFailed, IpmiTool

        tool = IpmiTool(world.host.ipmi)
        try:
            sim.run_process(tool.run(list(target.words)), limit=REQUEST_LIMIT)
        except CommandFailed:
            pass                              # what was sent before the failure is explained all the same
    else:
        from vserver.msghandler import IpmiSendError

        req, ipmi = target.request, world.host.ipmi
        try:
            sim.run_process(ipmi.request_raw(req), limit=REQUEST_LIMIT)
        except IpmiSendError as exc:
            if "message handler's own" not in str(exc):
                raise ValueError(f"{target.title}: the message handler refuses it: {exc}") from None
            # Send Message, Get Message, Read Event Message Buffer: /dev/ipmi0 refuses them (EINVAL);
            # ipmi_si and the message handler send them themselves when the BMC's flags ask for it,
            # and their answers are not a caller's.  The BMC's answer is shown; no wires.
            rsp = world.ipmid.handle(req, t=sim.now)
            note = (f"/dev/ipmi0 refuses this ({exc}): ipmi_si sends it itself when Get Message Flags "
                    f"says so. Below, the BMC's answer to it; nothing went over the wires.")
            sim.trace(sim.now, "msg", "explain", "request", msgid="internal", data=req)
            sim.trace(sim.now, "msg", "explain", "response", msgid="internal", rsp=rsp)
    specs = {(s.netfn, s.cmd): s for s in world.ipmid.specs()}
    records = list(sim.tracer.records)
    out = []
    for t, req, t_done, rsp in _exchanges(records, internal=note is not None):
        netfn, cmd = req[0] >> 2, req[1]
        spec = specs.get((netfn, cmd))
        lay = _layout(netfn, cmd)
        ok = len(rsp) > 2 and rsp[2] == 0
        out.append(Exchange(
            netfn, cmd, command_name(netfn, cmd), lay.section if lay else None,
            spec.privilege.name.lower() if spec else None, bool(spec and spec.system_interface_only),
            req, rsp, t, t_done, _fields(lay.request if lay else None, req[2:]),
            _fields(lay.response if lay else None, rsp[3:]) if ok else [],
            phases(records, t, t_done), note))
    return out


def describe(ex: Exchange) -> str:
    """One line: what the request is (for headings)."""
    where = f"IPMI 2.0 section {ex.section}" if ex.section else "no spec section on file"
    priv = f"privilege {ex.privilege}" if ex.privilege else "not implemented by this BMC"
    local = ", system interface only" if ex.system_interface_only else ""
    return f"{ex.name} (NetFn 0x{ex.netfn:02X} {netfn_name(ex.netfn)}, Cmd 0x{ex.cmd:02X}): {where}, {priv}{local}"


def answer(ex: Exchange) -> str:
    return f"0x{ex.cc:02X} {cc_name(ex.cc)}"
