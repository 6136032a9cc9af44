"""Helpers for the timeline and sequence-diagram tests: one traced command, and the Trace Event Format's rules.

``check_trace_event_format(doc)`` checks a document against the rules of the Trace Event Format (the JSON
Object Format that chrome://tracing and ui.perfetto.dev load), as its specification states them: the
phases and the fields each one needs, metadata naming every process and thread used, complete events on
one thread nesting, flow events (v1: ``s``, ``t``, ``f``) each with one start and one end, in time order,
each bound to a slice of its own thread.  It backs the check by Perfetto's own importer where that can
run (tests/test_timeline_export.py), and stands alone where it cannot.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict

from bmc.ipmi.cmd import command_name
from buses.time import fmt_duration, s
from scenarios.scenario import boot

PHASES = set("BEXiIbneCsftPNODMVvRc(),")
METADATA = {"process_name", "process_labels", "process_sort_index", "thread_name", "thread_sort_index"}


def traced(preset, interface=None, netfn=0x06, cmd=0x01, data=b"", seed=0):
    """One command's records as ``ipmilab trace`` takes them: the user layer's request and response around
    the host's request, after a boot whose records are dropped."""
    w = boot(preset, interface=interface, trace=True, seed=seed)
    sim = w.sim
    sim.tracer.clear()

    def one():
        request = bytes((netfn << 2, cmd)) + data
        sim.trace(sim.now, "user", "ipmilab", "request", cmd=command_name(netfn, cmd), data=request)
        r = yield from w.host.ipmi.request(netfn, cmd, data)
        sim.trace(r.t_done, "user", "ipmilab", "response", took=fmt_duration(r.elapsed), rsp=r.raw)
        return r

    assert sim.run_process(one(), limit=s(10)).cc == 0
    return list(sim.tracer.records)


def load(path) -> dict:
    """Strict JSON: NaN and Infinity are not JSON, and a trace viewer rejects them."""
    def no_constants(name):
        raise ValueError(f"non-JSON constant {name}")
    return json.loads(open(path, encoding="utf-8").read(), parse_constant=no_constants)


def ns(us_value) -> int:
    return round(us_value * 1000)


def check_trace_event_format(doc) -> dict:
    """Assert the document follows the format's rules; returns its slices by (pid, tid) for more checks."""
    assert isinstance(doc, dict) and isinstance(doc.get("traceEvents"), list)
    assert doc.get("displayTimeUnit", "ms") in ("ms", "ns")
    named_pids, named_threads, used = set(), set(), set()
    slices: dict = defaultdict(list)
    flows: dict = defaultdict(list)
    last_ts = -math.inf
    for e in doc["traceEvents"]:
        assert isinstance(e, dict) and e.get("ph") in PHASES, e
        assert isinstance(e.get("name"), str) and e["name"], e
        assert isinstance(e.get("pid"), int) and isinstance(e.get("tid"), int), e
        ph = e["ph"]
        if ph == "M":
            assert e["name"] in METADATA and isinstance(e.get("args"), dict), e
            if e["name"] == "process_name":
                assert isinstance(e["args"].get("name"), str)
                named_pids.add(e["pid"])
            elif e["name"] == "thread_name":
                assert isinstance(e["args"].get("name"), str)
                named_threads.add((e["pid"], e["tid"]))
            elif e["name"].endswith("sort_index"):
                assert isinstance(e["args"].get("sort_index"), int)
            continue
        ts = e.get("ts")
        assert isinstance(ts, (int, float)) and not isinstance(ts, bool) and ts >= 0, e
        assert ts >= last_ts, f"out of time order: {e}"
        last_ts = ts
        if "args" in e:
            assert isinstance(e["args"], dict), e
        used.add((e["pid"], e["tid"]))
        if ph == "X":
            assert isinstance(e.get("dur"), (int, float)) and e["dur"] >= 0, e
            slices[e["pid"], e["tid"]].append(e)
        elif ph in "iI":
            assert e.get("s", "t") in ("g", "p", "t"), e
        elif ph in "stf":
            assert isinstance(e.get("id"), (int, str)) and isinstance(e.get("cat"), str), e
            assert e.get("bp", "e") == "e", e
            flows[e["cat"], e["id"]].append(e)
    assert used <= named_threads, f"threads without a thread_name: {sorted(used - named_threads)}"
    assert {pid for pid, _ in named_threads} <= named_pids, "a process without a process_name"
    for track, xs in slices.items():                         # complete events on one thread nest
        stack: list = []
        for e in sorted(xs, key=lambda e: (ns(e["ts"]), -ns(e["dur"]))):
            a, b = ns(e["ts"]), ns(e["ts"]) + ns(e["dur"])
            while stack and stack[-1] <= a:
                stack.pop()
            assert not stack or b <= stack[-1], f"slices overlap on {track}: {e}"
            stack.append(b)
    for key, evs in flows.items():
        phs = [e["ph"] for e in evs]
        assert phs[0] == "s" and phs[-1] == "f" and phs.count("s") == 1 and phs.count("f") == 1, (key, phs)
        for e in evs:                                       # bound to the enclosing slice of its thread
            t = ns(e["ts"])
            assert any(ns(x["ts"]) <= t <= ns(x["ts"]) + ns(x["dur"]) for x in slices[e["pid"], e["tid"]]), e
    return {"slices": slices, "flows": flows}
