"""The layering of DESIGN.md: imports only point down."""

import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
FIRST_PARTY = {"buses", "soc", "bmc", "vserver", "scenarios"}


def imports_of(package: str):
    for path in sorted((ROOT / package).rglob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    yield path, alias.name
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                yield path, node.module


def offenders(package, allowed):
    bad = []
    for path, mod in imports_of(package):
        top = mod.split(".")[0]
        if top in FIRST_PARTY and top != package and not any(mod == a or mod.startswith(a + ".") for a in allowed):
            bad.append(f"{path.relative_to(ROOT)} imports {mod}")
    return bad


@pytest.mark.parametrize("package,allowed", [
    ("buses", []),
    ("soc", ["buses", "bmc.ipmi"]),
    ("bmc", ["buses", "soc"]),
    ("vserver", ["buses", "bmc.ipmi"]),
])
def test_imports_point_down(package, allowed):
    assert offenders(package, allowed) == []


def test_the_check_can_fail():
    # A forbidden import is reported: the test above is not vacuous.
    assert offenders("vserver", []) != []
