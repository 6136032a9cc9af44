"""Nothing is cut on an 80-column terminal: tables wrap or fold, they never end a value with an ellipsis."""

from __future__ import annotations

import pytest

from scenarios.cli import main

COMMANDS = [["presets"], ["commands"], ["demo"], ["demo", "--preset", "ast2600", "--irq"], ["trace"],
            ["races", "list"], ["explain", "mc", "info"], ["run", "--pretty", "--", "sensor", "list"],
            ["run", "--pretty", "--", "sdr", "list"], ["run", "--", "sensor", "list"], ["run", "--", "sel", "list"]]


@pytest.mark.parametrize("argv", COMMANDS, ids=" ".join)
def test_no_value_is_cut_at_80_columns(argv, monkeypatch, capsys):
    monkeypatch.setenv("COLUMNS", "80")
    main(argv)
    got = capsys.readouterr()
    assert (got.out or got.err) and "…" not in got.out + got.err
