"""The user documentation (README.md, docs/) stays true to the repository.

- every relative link points to a file that exists;
- every command a docs page shows parses with the real argument parser.  A command is a code-block
  line that starts with ``python -m scenarios.cli``, or with ``$ `` followed by that or ``ipmilab``
  (a bare ``ipmilab ...`` line may be program output).  Only the part before a pipe, redirect or
  ``&&`` is parsed; a line ending in ``# docs: no-parse`` is skipped;
- no page points outside the repository (the team's design notes and reference notes);
- the examples in docs/examples run, and the worked example's figure is still what the code measures.
"""

from __future__ import annotations

import re
import runpy
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from scenarios.cli import build_parser
from scenarios.config import load_config

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
DOC_PAGES = sorted(DOCS.glob("*.md"))
ALL_PAGES = [ROOT / "README.md", *DOC_PAGES]

FENCE = re.compile(r"^```[^\n]*\n.*?^```[ \t]*$", re.S | re.M)
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
SHELL_STOP = {"|", "||", ">", ">>", "<", "&&", ";", "&"}
PREFIXES = (("python", "-m", "scenarios.cli"), ("ipmilab",))


def _rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


def code_blocks(text: str) -> list[tuple[str, str]]:
    """(info string, body) of each fenced block."""
    blocks = []
    for m in FENCE.finditer(text):
        first, _, rest = m.group(0).partition("\n")
        blocks.append((first[3:].strip(), rest.rsplit("```", 1)[0]))
    return blocks


def commands(text: str) -> list[list[str]]:
    """The ipmilab argv of each command line shown in the page's code blocks."""
    found = []
    for info, body in code_blocks(text):
        if info not in ("", "sh", "shell", "console", "bash"):
            continue
        for line in body.splitlines():
            line = line.strip()
            if line.endswith("# docs: no-parse"):
                continue
            prompted = line.startswith("$ ")
            if prompted:
                line = line[2:]
            if not (line.startswith("python -m scenarios.cli ") or (prompted and line.startswith("ipmilab "))):
                continue
            lex = shlex.shlex(line, posix=True, punctuation_chars=True)
            lex.whitespace_split = True
            tokens = []
            for tok in lex:
                if tok in SHELL_STOP:
                    break
                tokens.append(tok)
            for prefix in PREFIXES:
                if tuple(tokens[:len(prefix)]) == prefix:
                    found.append(tokens[len(prefix):])
                    break
    return found


def relative_links(text: str) -> list[str]:
    prose = FENCE.sub("", text)
    links = []
    for target in LINK.findall(prose):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target) or target.startswith("#"):
            continue
        links.append(target.split("#", 1)[0])
    return links


def test_the_docs_pages_exist():
    names = {p.name for p in DOC_PAGES}
    assert {"README.md", "design.md", "time-model.md", "presets.md", "scenarios.md", "trace-layers.md"} <= names


@pytest.mark.parametrize("page", ALL_PAGES, ids=_rel)
def test_relative_links_point_to_files(page):
    missing = [t for t in relative_links(page.read_text()) if not (page.parent / t).exists()]
    assert not missing, f"{_rel(page)}: links to missing files: {missing}"


@pytest.mark.parametrize("page", DOC_PAGES, ids=_rel)
def test_commands_shown_parse(page):
    parser = build_parser()
    for argv in commands(page.read_text()):
        try:
            parser.parse_args(argv)
        except SystemExit as exc:
            pytest.fail(f"{_rel(page)}: `ipmilab {shlex.join(argv)}` does not parse (exit {exc.code})")


def test_the_pages_show_commands():
    shown = sum(len(commands(p.read_text())) for p in DOC_PAGES)
    assert shown >= 20, f"only {shown} commands found: has the command syntax of the pages changed?"


def test_the_command_finder():
    text = ("```\n$ python -m scenarios.cli trace --raw | sha256sum\n$ ipmilab presets\n"
            "ipmilab explain Get Device ID - ast2600: output\npython -m scenarios.cli races list > a.txt\n"
            "python -m scenarios.cli nope # docs: no-parse\n```\n```toml\npython -m scenarios.cli x\n```\n")
    assert commands(text) == [["trace", "--raw"], ["presets"], ["races", "list"]]


@pytest.mark.parametrize("page", [*ALL_PAGES, *sorted((DOCS / "examples").iterdir())], ids=_rel)
def test_nothing_points_outside_the_repository(page):
    text = page.read_text()
    for word in ("DESIGN.md", "reference/"):
        assert word not in text, f"{_rel(page)} mentions {word}, which users do not have"


def test_the_world_file_example_loads():
    config = load_config(DOCS / "examples" / "slow-bmc.toml")
    assert config is not None


def test_the_scenario_example_runs(capsys):
    runpy.run_path(str(DOCS / "examples" / "polled_vs_irq.py"), run_name="__main__")
    out = capsys.readouterr().out
    assert "polled: Get Device ID took 4.529 ms" in out
    assert "irq: Get Device ID took 2.201 ms" in out


def test_the_pytest_example_passes():
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                          str(DOCS / "examples" / "test_ideal_bt.py")],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr


def test_the_worked_example_is_what_the_code_measures():
    run = subprocess.run([sys.executable, "-m", "scenarios.cli", "trace", "--preset", "ast2600", "--raw",
                          "--layers", "user,msg,drv,fw,ipmid"], cwd=ROOT, capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 0, run.stderr
    page = (DOCS / "time-model.md").read_text()
    for line in run.stdout.splitlines():
        if " user " in line and "response" in line:
            assert line.strip() in page, f"time-model.md's worked example is out of date: now {line.strip()}"
            break
    else:
        pytest.fail("no user response in the trace")
