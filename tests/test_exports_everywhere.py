"""Every command with a run in it writes the exports: trace, races run, scenario run, run (serve: --pcap)."""

from __future__ import annotations

import json

import pytest

from scenarios.cli import main
from tests import pcapng_read

EXPORTS = ("--vcd", "--pcap", "--timeline", "--svg")


def _paths(tmp_path, stem):
    return {opt: tmp_path / f"{stem}.{opt[2:] if opt != '--timeline' else 'json'}" for opt in EXPORTS}


def _argv(paths):
    return [x for opt, p in paths.items() for x in (opt, str(p))]


def _check(paths):
    assert paths["--vcd"].read_text().startswith("$date")
    assert pcapng_read.read(paths["--pcap"].read_bytes()).packets
    assert json.loads(paths["--timeline"].read_text())["traceEvents"]
    assert paths["--svg"].read_text().lstrip().startswith("<?xml")


@pytest.mark.parametrize("argv", [["trace", "--preset", "ast2600"], ["races", "run", "M-1", "--seed", "1"],
                                  ["run", "--preset", "isa-ipmi-bt"]], ids=["trace", "races-run", "run"])
def test_commands_with_a_trace(argv, tmp_path, capsys):
    paths = _paths(tmp_path, argv[0])
    tail = ["--", "mc", "info"] if argv[0] == "run" else []
    main([*argv, *_argv(paths), *tail])
    out = capsys.readouterr().out
    _check(paths)
    if argv[0] == "run":
        assert out.startswith("Device ID")          # stdout stays ipmitool's; the exports' notes are on stderr


def test_scenario_run_exports_each_world(tmp_path, capsys):
    """A script's worlds are traced when an export is asked for; the second world's files get -2."""
    script = tmp_path / "two.py"
    script.write_text("from scenarios.scenario import boot, ask\n"
                      "for preset in ('isa-ipmi-kcs', 'isa-ipmi-bt'):\n"
                      "    w = boot(preset)\n"
                      "    assert ask(w, '18 01').startswith('1C 01 00')\n")
    paths = _paths(tmp_path, "scn")
    assert main(["scenario", "run", str(script), *_argv(paths)]) == 0
    capsys.readouterr()
    _check(paths)
    second = {opt: p.with_name(f"{p.stem}-2{p.suffix}") for opt, p in paths.items()}
    _check(second)
    assert pcapng_read.read(second["--pcap"].read_bytes()).packets[0].data[7] == 0x08   # BT-15 in the second world
