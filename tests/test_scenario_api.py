"""The scenario API (scenarios/scenario.py), its pytest plugin (the pytest11 entry point) and `scenario run`."""

import json
from pathlib import Path

import pytest

from buses.time import S, ms, s
from scenarios.scenario import ScenarioError, ask, assert_between, boot, find, first, run_until


def test_the_plugin_is_registered_through_its_entry_point(pytestconfig):
    from importlib.metadata import entry_points

    (ep,) = [e for e in entry_points(group="pytest11") if e.name == "ipmilab"]
    assert ep.value == "scenarios.pytest_plugin" and pytestconfig.pluginmanager.has_plugin("ipmilab")


def test_booted_world_answers(booted_world):
    assert ask(booted_world, "18 01").startswith("1C 01 00 20")


@pytest.mark.ipmilab_world(preset="ast2600", interface="bt", seed=3)
def test_the_marker_chooses_the_world(world, sim):
    assert world.preset.name == "ast2600" and world.interface.kind == "bt" and sim.seed == 3
    assert sim.now == 0 and not world.host.ready                  # `world` is not booted


@pytest.mark.ipmilab_world(preset="ast2600")
def test_trace_queries_and_waiting_for_an_event(booted_world, trace):
    booted_world.sim.process(booted_world.host.ipmi.request(0x06, 0x01))
    rsp = trace.until(layer="msg", event="response")
    dispatch = trace.first(layer="ipmid", event="dispatch", since=rsp.t - ms(10))
    assert dispatch is not None and dispatch.t < rsp.t
    assert trace.find(layer="fw", event="request", data=b"\x18\x01")
    assert len(trace.digest()) == 64


def test_run_until_a_time_and_a_limit():
    w = boot(trace=True)
    t = w.sim.now + S
    assert run_until(w, t) is None and w.sim.now == t
    with pytest.raises(ScenarioError, match="no record with layer=bmc, event=nothing-like-this within 10 ms"):
        run_until(w, layer="bmc", event="nothing-like-this", limit=ms(10))
    with pytest.raises(ValueError, match="before now"):
        run_until(w, t - 1)


def test_ask_through_the_host_or_straight_to_the_bmc():
    w = boot()
    t0 = w.sim.now
    assert ask(w, "18 01", via="bmc") == ask(w, "18 01")
    assert w.sim.now > t0                                     # only the host's way takes simulated time
    with pytest.raises(ValueError, match="via='lan'"):
        ask(w, "18 01", via="lan")


def test_assert_between_names_the_miss():
    assert_between(s(10), s(9.9), s(10.1))
    with pytest.raises(AssertionError, match=r"watchdog: 10.200000000 s is outside \[9.900000000 s, 10.100000000 s\]"):
        assert_between(s(10.2), s(9.9), s(10.1), "watchdog")


def test_find_matches_fields():
    w = boot(trace=True)
    w.request(0x06, 0x01)
    assert first(w, layer="msg", event="request", data=b"\x18\x01") is not None
    assert find(w, layer="msg", event="request", data=b"\x00\x00") == []


EXAMPLES = sorted(p.stem for p in (Path(__file__).parent.parent / "scenarios" / "examples").glob("*.py")
                  if p.stem != "__init__")


def test_there_are_at_least_eight_examples():
    assert len(EXAMPLES) >= 8, EXAMPLES


@pytest.mark.parametrize("name", EXAMPLES)
def test_the_examples_run_and_their_timing_holds(capsys, name):
    from scenarios.cli import main

    assert main(["scenario", "run", f"scenarios/examples/{name}.py", "--json"]) == 0
    out = capsys.readouterr().out.splitlines()[-1]
    result = json.loads(out)
    assert result["ok"]                            # (a sweep or obe_stall builds its worlds itself)


def test_a_failing_script_is_exit_1_with_its_message(tmp_path, capsys):
    from scenarios.cli import main

    script = tmp_path / "late.py"
    script.write_text("from buses.time import s\nfrom scenarios.scenario import assert_between, boot\n"
                      "w = boot()\nassert_between(w.sim.now, s(1), s(2), 'boot')\n")
    assert main(["scenario", "run", str(script)]) == 1
    out = capsys.readouterr().out
    assert "FAILED" in out and "boot:" in out and "Traceback" not in out
    assert main(["scenario", "run", str(tmp_path / "missing.py")]) == 2
