"""``ipmilab explain``: every implemented command, on every preset, explained from a real run.

Each command is sent with the conformance table's first happy request for it (real request data),
in a fresh world; the explanation must name the spec's section and privilege, decode the fields,
and account for the whole exchange on the wires: steps from the message handler's request to its
response whose durations add up to the exchange's time.  The full sweep (every command on every
preset) is slow; one preset runs by default.
"""

from __future__ import annotations

import json

import pytest

from bmc.ipmi.msg import from_hex
from scenarios.cli import main
from scenarios.explain import ExplainError, explain, resolve
from scenarios.presets import PRESETS
from scenarios.world import World
from tests import (
    test_conformance_app,
    test_conformance_chassis,
    test_conformance_sensor_event,
    test_conformance_storage,
)

WORLDS = [(name, si.kind) for name, p in PRESETS.items() for si in p.interfaces]
SPECS = World().ipmid.specs()


def _happy_requests() -> dict:
    first: dict = {}
    for mod in (test_conformance_app, test_conformance_chassis, test_conformance_sensor_event,
                test_conformance_storage):
        for case in mod.CASES:
            if case.kind == "happy" and case.setup is None:
                first.setdefault(case.key, from_hex(case.request))
    return first


HAPPY = _happy_requests()


def _request_for(spec) -> bytes:
    return HAPPY.get((spec.netfn, spec.cmd), bytes((spec.netfn << 2, spec.cmd)))


def _check(world, spec):
    req = _request_for(spec)
    words = (f"0x{req[0] >> 2:02X}", *(f"0x{b:02X}" for b in req[1:]))
    target = resolve(words, SPECS)
    assert target.request == req
    exchanges = explain(world, target)
    assert len(exchanges) == 1, [e.name for e in exchanges]
    ex = exchanges[0]
    assert ex.request == req and ex.response[0] == req[0] | 4 and ex.response[1] == req[1]
    assert ex.section and ex.privilege == spec.privilege.name.lower()
    handler = "explain" if ex.note else "ipmi0"          # the message handler's own commands: no wires
    assert any(p.t == 0 and p.component == handler and p.step.startswith("request") for p in ex.phases)
    assert any(p.t == ex.elapsed and p.component == handler and p.step.startswith("response") for p in ex.phases)
    assert sum(p.duration for p in ex.phases) == ex.elapsed
    assert ex.phases[0].t == 0 and all(a.t + a.duration == b.t for a, b in zip(ex.phases, ex.phases[1:], strict=False))
    if ex.cc == 0:
        assert len(ex.response_fields) >= (1 if len(ex.response) > 3 else 0)
    return ex


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: f"{s.netfn:02X}-{s.cmd:02X}")
def test_every_command_on_the_default_preset(spec):
    world = World("isa-ipmi-kcs", trace=True, show_polls=True)
    assert world.boot()
    _check(world, spec)


@pytest.mark.slow
@pytest.mark.parametrize(("preset", "kind"), WORLDS)
def test_every_command_on_every_preset(preset, kind):
    for spec in SPECS:
        world = World(preset, interface=kind, trace=True, show_polls=True)
        assert world.boot()
        _check(world, spec)


@pytest.mark.parametrize(("preset", "kind"), WORLDS)
def test_the_wires_of_each_interface(preset, kind):
    """KCS control codes, the BT buffer's frame, the SSIF blocks: each interface's own steps."""
    world = World(preset, interface=kind, trace=True, show_polls=True)
    assert world.boot()
    ex = explain(world, resolve(["0x06", "0x01"], SPECS))[0]
    steps = " ".join(p.step for p in ex.phases)
    activity = " ".join(a for p in ex.phases for a in p.activity)
    if kind == "kcs":
        assert "WRITE_START" in steps and "code=0x61" in steps and "control codes written" in activity
    elif kind == "bt":
        assert "write state=WRITE_BYTES" in steps and "bytes into the BT buffer [03 18" in activity
    else:
        assert "block-write cmd=0x02" in steps and "block-read cmd=0x03" in steps and "SMBus bytes" in activity


def test_a_run_command_explains_each_request_it_sends():
    world = World("isa-ipmi-kcs", trace=True, show_polls=True)
    assert world.boot()
    exchanges = explain(world, resolve(["mc", "info"], SPECS))
    assert [e.name for e in exchanges][:1] == ["Get Device ID"]
    sdr = explain(world, resolve(["sdr list"], SPECS))
    names = {e.name for e in sdr}
    assert {"Reserve SDR Repository", "Get SDR"} <= names


@pytest.mark.parametrize("words", [["Get", "Device", "ID"], ["get device id"], ["0x06", "0x01"], ["6", "1"]])
def test_the_three_forms_name_the_same_request(words):
    assert resolve(words, SPECS).request == b"\x18\x01"


@pytest.mark.parametrize(("words", "why"), [([], "say what"), (["0x07", "0x01"], "not a request NetFn"),
                                             (["0x06", "0x100"], "not a byte"), (["frobnicate"], "is not")])
def test_bad_commands_are_named(words, why):
    with pytest.raises(ExplainError, match=why):
        resolve(words, SPECS)


def test_cli_text_json_and_errors(capsys):
    assert main(["explain", "--preset", "ast2600", "mc", "info"]) == 0
    out = capsys.readouterr().out
    assert "Get Device ID" in out and "on the wires" in out and "WRITE_START" in out
    assert main(["explain", "--json", "0x06", "0x01"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["exchanges"][0]["name"] == "Get Device ID" and doc["exchanges"][0]["phases"]
    with pytest.raises(SystemExit) as exc:
        main(["explain", "nonsense", "words"])
    assert exc.value.code == 2
    assert "argument COMMAND" in capsys.readouterr().err
