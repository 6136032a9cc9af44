"""Every command the dispatcher implements is in the conformance table."""

import importlib
import pathlib

from bmc.privilege import Privilege
from tests.conformance import fresh_world

HERE = pathlib.Path(__file__).parent


def all_cases():
    cases = []
    for path in sorted(HERE.glob("test_conformance_*.py")):
        if path.stem == "test_conformance_coverage":
            continue
        cases += importlib.import_module(f"tests.{path.stem}").CASES
    return cases


def test_every_command_has_its_ladder():
    by_key = {}
    for case in all_cases():
        by_key.setdefault(case.key, set()).add(case.kind)
    missing = []
    for netfn, cmd, name, privilege in fresh_world().ipmid.commands():
        kinds = by_key.get((netfn, cmd), set())
        need = {"happy"}
        if not kinds & {"short", "long"}:
            need.add("short|long")
        if privilege > Privilege.CALLBACK:
            need.add("privilege")
        lacking = sorted(k for k in need if k not in kinds)
        if lacking:
            missing.append(f"{name} (0x{netfn:02X}/0x{cmd:02X}): {', '.join(lacking)}")
    assert not missing, "conformance table lacks:\n" + "\n".join(missing)
