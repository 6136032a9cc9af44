"""``ipmilab commands`` keeps in step with the dispatcher: every registered command, nothing else."""

import json

import pytest

from scenarios.cli import main
from scenarios.world import World


def run(capsys, *argv):
    rc = main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


def test_json_table_is_the_dispatcher(capsys):
    rc, out, _ = run(capsys, "commands", "--json")
    assert rc == 0
    rows = json.loads(out)["commands"]
    listed = [(r["netfn"], r["cmd"], r["name"], r["privilege"]) for r in rows]
    expected = [(netfn, cmd, name, priv.name.lower()) for netfn, cmd, name, priv in World().ipmid.commands()]
    assert listed == expected
    assert listed, "the BMC implements no command?"


def test_text_table_names_every_command(capsys):
    rc, out, _ = run(capsys, "commands")
    assert rc == 0
    commands = World().ipmid.commands()
    assert f"({len(commands)})" in out
    lines = out.splitlines()
    for netfn, cmd, name, priv in commands:
        # One row per command: netfn, cmd code, spec name and privilege on the same line.
        assert any(f"0x{netfn:02X}" in ln and f"0x{cmd:02X}" in ln and name in ln and priv.name.lower() in ln
                   for ln in lines), name


def test_known_rows():
    from scenarios.cli_commands import command_rows

    rows = {(r["netfn"], r["cmd"]): r for r in command_rows()}
    assert rows[(0x06, 0x01)]["name"] == "Get Device ID" and rows[(0x06, 0x01)]["privilege"] == "user"
    assert rows[(0x06, 0x31)]["system_interface_only"] is True
    assert rows[(0x00, 0x02)]["privilege"] == "operator"


def test_netfn_filter(capsys):
    rc, out, _ = run(capsys, "commands", "--json", "--netfn", "0x00")
    assert rc == 0
    rows = json.loads(out)["commands"]
    assert rows and {r["netfn"] for r in rows} == {0}


def test_bad_netfn(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["commands", "--netfn", "0x07"])
    assert exc.value.code == 2
    assert "'0x07'" in capsys.readouterr().err
