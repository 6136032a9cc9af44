"""The world file's ``[[faults]]`` tables: the keys each kind takes, their checks, and the faults built.

``read_faults`` checks every table before anything is built (each problem names its field, as the
rest of the world file's checks do); ``fault_from_spec`` turns a checked table into a fault of
``scenarios.faults``.
"""

from __future__ import annotations

from bmc.ipmi.msg import from_hex
from buses.time import S

from .config_check import Checker
from .faults import (
    AnswerFault,
    BmcFault,
    BusFault,
    Fault,
    HostIrqFault,
    HostStall,
    IrqHold,
    LinkFault,
    RegisterFault,
    Schedule,
)

# [[faults]]: the keys of each kind (True: required) and the schedule's, all optional.
FAULT_KEYS = {
    "answer": {"netfn": False, "cmd": False, "replace": False, "delay": False, "jitter": False, "drop": False},
    "bus": {"action": True, "cond": False, "value": False, "byte": False},
    "irq-hold": {"hold": True, "status": False},
    "register": {"action": True, "offset": False, "value": False, "device": False, "delay": False, "jitter": False},
    "host-irq": {"action": True, "delay": False, "jitter": False},
    "host-stall": {"stall": True},
    "bmc": {"action": True, "netfn": False, "cmd": False, "down": False},
    "link": {"action": True, "length": False},
}
SCHEDULE_KEYS = {"kind": True, "name": False, "after": False, "until": False, "nth": False, "count": False,
                 "probability": False}


def read_faults(ck: Checker, raw) -> list[dict]:
    """``[[faults]]``: each checked by its kind's keys; the result feeds ``fault_from_spec``."""
    if not isinstance(raw, list):
        ck.bad("faults", raw, "must be an array of tables ([[faults]])")
        return []
    out = []
    for i, f in enumerate(raw):
        path = f"faults[{i}]"
        if not isinstance(f, dict):
            ck.bad(path, f, "must be a table")
            continue
        kind = f.get("kind")
        if kind not in FAULT_KEYS:
            ck.bad(f"{path}.kind", kind, f"choose one of: {', '.join(FAULT_KEYS)}")
            continue
        n0 = len(ck.problems)
        if ck.table(path, f, {**SCHEDULE_KEYS, **FAULT_KEYS[kind]}) is None:
            continue
        spec: dict = {"kind": kind}
        for key in ("after", "until", "delay", "jitter", "hold", "stall", "down"):
            if key in f:
                spec[key] = ck.duration(f"{path}.{key}", f[key], hi=3600 * S)
        for key, lo, hi in (("nth", 1, 2 ** 31), ("count", 1, 2 ** 31), ("netfn", 0, 0x3F), ("cmd", 0, 0xFF),
                            ("value", 0, 0xFFFFFFFF), ("byte", 0, 0xFF), ("status", 0, 0xFFFFFFFF),
                            ("offset", 0, 0xFF), ("length", 1, 4096)):
            if key in f:
                spec[key] = ck.integer(f"{path}.{key}", f[key], lo, hi,
                                       hexfmt=key in ("netfn", "cmd", "byte", "status"))
        if "probability" in f:
            spec["probability"] = ck.number(f"{path}.probability", f["probability"], 0, 1)
        if "drop" in f:
            spec["drop"] = ck.boolean(f"{path}.drop", f["drop"])
        for key in ("name", "device"):
            if key in f:
                spec[key] = ck.string(f"{path}.{key}", f[key])
        if "replace" in f:
            text = ck.string(f"{path}.replace", f["replace"])
            if text is not None:
                try:
                    from_hex(text)
                    spec["replace"] = text
                except ValueError:
                    ck.bad(f"{path}.replace", text, 'must be hex bytes, e.g. "1C 01 C0" (or "" for an empty answer)')
        if kind == "host-irq":
            action = ck.choice(f"{path}.action", f.get("action"), HostIrqFault.ACTIONS)
            if action is not None:
                spec["action"] = action
        if kind == "register":
            action = ck.choice(f"{path}.action", f.get("action"), RegisterFault.ACTIONS)
            if action is not None:
                spec["action"] = action
            if spec.get("value", 0) > 0xFF:
                ck.bad(f"{path}.value", f["value"], "a register value is a byte (0..0xFF)")
            if (action == "delay") != bool(spec.get("delay")):
                ck.bad(f"{path}.delay", f.get("delay"), 'a positive delay goes with action = "delay", and only there')
        if kind in ("bmc", "link"):
            actions = BmcFault.ACTIONS if kind == "bmc" else LinkFault.ACTIONS
            action = ck.choice(f"{path}.action", f.get("action"), actions)
            if action is not None:
                spec["action"] = action
        if kind == "host-stall" and spec.get("stall") == 0:
            ck.bad(f"{path}.stall", f["stall"], "must be longer than 0")
        if kind in ("host-stall",) and any(k in f for k in ("nth", "until")):
            ck.bad(path, f, "a host stall is one moment: give after (and probability), not nth or until")
        if kind == "bus":
            action = ck.choice(f"{path}.action", f.get("action"), BusFault.ACTIONS)
            if action is not None:
                spec["action"] = action
                if "cond" in f:
                    spec["cond"] = ck.choice(f"{path}.cond", f["cond"], BusFault.ACTIONS[action])
        if len(ck.problems) == n0:
            out.append(spec)
    return out


KINDS = {"answer": AnswerFault, "bus": BusFault, "irq-hold": IrqHold, "register": RegisterFault,
         "host-irq": HostIrqFault, "host-stall": HostStall, "bmc": BmcFault, "link": LinkFault}


def fault_from_spec(spec: dict) -> Fault:
    """One fault from a table ``read_faults`` checked."""
    sched = Schedule(after=spec.get("after", 0), until=spec.get("until"), nth=spec.get("nth"), count=spec.get("count"),
                     probability=spec.get("probability", 1.0))
    kind = spec["kind"]
    if kind == "answer":
        replace = spec.get("replace")
        return AnswerFault(spec.get("netfn"), spec.get("cmd"), None if replace is None else from_hex(replace),
                           spec.get("delay", 0), spec.get("drop", False), sched, spec.get("name"),
                           spec.get("jitter", 0))
    if kind == "bus":
        return BusFault(spec["action"], spec.get("cond"), spec.get("value", 0xFF), spec.get("byte"), sched,
                        spec.get("name"))
    if kind == "host-irq":
        return HostIrqFault(spec["action"], spec.get("delay", 0), sched, spec.get("name"), spec.get("jitter", 0))
    if kind == "register":
        return RegisterFault(spec["action"], spec.get("offset"), spec.get("value", 0), spec.get("device"), sched,
                             spec.get("name"), spec.get("delay", 0), spec.get("jitter", 0))
    if kind == "host-stall":
        return HostStall(spec["stall"], sched, spec.get("name"))
    if kind == "bmc":
        return BmcFault(spec["action"], spec.get("netfn"), spec.get("cmd"), spec.get("down"), sched, spec.get("name"))
    if kind == "link":
        return LinkFault(spec["action"], spec.get("length", 16), sched, spec.get("name"))
    return IrqHold(spec["hold"], spec.get("status", 0), sched, spec.get("name"))
