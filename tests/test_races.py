"""The race catalogue (scenarios/races): buggy shows, fixed survives, both deterministic; sweeps, replays, minimize."""

import json

import pytest

from buses.variant import REGISTRY, compose, variant
from scenarios import races
from scenarios.cli import main
from scenarios.races.minimize import minimize
from scenarios.races.sweep import sweep
from vserver.kcs_sm import KcsSm

CATALOGUE = races.catalogue()


@pytest.mark.parametrize("race", CATALOGUE, ids=[r.id for r in CATALOGUE])
def test_the_buggy_variant_shows_the_symptom_and_the_fixed_one_survives_twice_alike(race):
    b1, _ = races.run(race.id, "buggy", race.seed)
    b2, _ = races.run(race.id, "buggy", race.seed)
    f1, _ = races.run(race.id, "fixed", race.seed)
    f2, _ = races.run(race.id, "fixed", race.seed)
    assert b1.symptom and b1.at is not None and b1 == b2                 # digest, time, detail: all equal
    assert not f1.symptom and f1 == f2
    assert b1.digest != f1.digest


@pytest.mark.parametrize("race", CATALOGUE, ids=[r.id for r in CATALOGUE])
def test_each_race_names_real_variants_and_explains_itself(race):
    assert race.buggy != race.fixed
    for v in race.buggy + race.fixed:
        assert v in REGISTRY and REGISTRY[v].commit
    assert len(race.story) > 200 and race.symptom and race.layer


def test_the_local_pool_the_serial_run_and_a_dask_cluster_agree_seed_for_seed():
    seeds = range(60)
    serial = sweep("B-3", seeds, jobs=1)
    pool = sweep("B-3", seeds, jobs=2)
    dask = sweep("B-3", seeds, jobs=2, backend="dask")                   # a real LocalCluster, two workers
    assert serial.runs == pool.runs == dask.runs
    assert 0 < len(serial.failing) < len(seeds)                           # the window is hit by some seeds only
    assert not sweep("B-3", seeds, variant="fixed", jobs=2).failing


def test_sweep_writes_a_replay_file_per_failing_seed_and_each_reproduces(tmp_path, capsys):
    out = tmp_path / "rep"
    assert main(["races", "sweep", "H-11", "--seeds", "12", "--jobs", "2", "--replays", str(out), "--json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    files = sorted(out.iterdir())
    assert doc["failing"] and len(files) == len(doc["failing"]) == len(doc["replays"])
    for f in files:
        assert main(["replay", str(f)]) == 0
    assert "reproduced" in capsys.readouterr().out
    bad = json.loads(files[0].read_text())
    bad["digest"] = "0" * 64
    files[0].write_text(json.dumps(bad))
    assert main(["replay", str(files[0])]) == 1                         # a digest that differs: diverged
    assert "diverged" in capsys.readouterr().out


@pytest.mark.parametrize("doc, field", [
    ("not json", "not JSON"),
    ('{"format": "other"}', "format"),
    ('{"format": "ipmilab-replay/1"}', "race: missing"),
])
def test_a_bad_replay_file_names_what_is_wrong(tmp_path, capsys, doc, field):
    f = tmp_path / "r.json"
    f.write_text(doc)
    assert main(["replay", str(f)]) == 1
    err = capsys.readouterr().err
    assert field in err and "Traceback" not in err


def test_minimize_shrinks_a_schedule_to_one_act_and_its_replay_reproduces(tmp_path, capsys):
    res = minimize("B-8", "buggy", 1)
    assert res.symptom and res.acted > 10 and len(res.minimal) == 1 and res.run.symptom
    path = tmp_path / "min.json"
    assert main(["races", "minimize", "B-8", "--seed", "1", "--replay", str(path)]) == 1
    assert json.loads(path.read_text())["schedule"] == res.schedule
    assert main(["replay", str(path)]) == 0


def test_minimize_says_why_when_there_is_no_schedule_to_shrink(capsys):
    assert main(["races", "minimize", "B-3", "--seed", "0"]) == 1
    assert "no fault schedule to shrink" in capsys.readouterr().err
    assert main(["races", "minimize", "B-3", "--seed", "2"]) == 0     # a seed without the symptom


def test_races_run_exits_1_on_the_symptom_and_0_without(capsys):
    assert main(["races", "run", "H-11"]) == 1
    assert main(["races", "run", "H-11", "--variant", "fixed"]) == 0
    assert main(["races", "run", "h11", "--seed", "1"]) == 0             # a seed whose busy window is short
    assert "no symptom" in capsys.readouterr().out


def test_races_run_json_carries_the_trace_and_the_variants(capsys):
    assert main(["races", "run", "ssif-write-retries", "--json", "--trace"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["symptom"] and doc["variants"] == ["ssif-write-retry-at-once"] and len(doc["trace"]) == doc["records"]


def test_an_unknown_race_or_variant_set_is_an_error_naming_it(capsys):
    with pytest.raises(SystemExit):
        main(["races", "run", "H-99"])
    assert "'H-99' is not in the catalogue" in capsys.readouterr().err
    with pytest.raises(ValueError, match="'worst' is not one of buggy, fixed"):
        races.run("H-11", "worst")


def test_races_list_and_variants(capsys):
    assert main(["races", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [r["id"] for r in listed] == [r.id for r in CATALOGUE]
    assert main(["races", "variants", "--json"]) == 0
    names = {v["name"] for v in json.loads(capsys.readouterr().out)}
    assert {"fix-msg-stack-6.2", "obe-poll-200us", "ssif-flags-stuck"} <= names


def test_a_scenario_defines_its_own_variant_through_the_same_mechanism():
    @variant(KcsSm, "test-hosed-stays-hosed", "a test's own variant: HOSED re-inits to HOSED")
    class Stays(KcsSm):
        def _hosed_reinit(self):
            pass

    try:
        assert compose(KcsSm, ("test-hosed-stays-hosed",)) is Stays
        assert compose(KcsSm, ()) is KcsSm
        both = compose(KcsSm, ("test-hosed-stays-hosed", "fix-msg-stack-6.2"))
        assert both.__mro__[1:4] == (Stays, REGISTRY["fix-msg-stack-6.2"].cls, KcsSm)
        with pytest.raises(ValueError, match="already registered"):
            @variant(KcsSm, "test-hosed-stays-hosed", "again")
            class Other(KcsSm):
                pass
    finally:
        del REGISTRY["test-hosed-stays-hosed"]


def test_a_run_that_never_ends_is_an_error_naming_its_seed_not_a_hung_sweep(monkeypatch):
    import time as _time

    from scenarios.races import sweep as sweep_mod

    def stuck(name, variant, seed):
        while True:                       # a simulation that stopped advancing
            _time.sleep(0.01)
    monkeypatch.setattr(sweep_mod, "run", stuck)
    with pytest.raises(RuntimeError, match="H-11 buggy seed 4: no result after 0.2 s"):
        sweep_mod.run_chunk("H-11", "buggy", [4], wall_limit=0.2)
