"""The conformance table: every implemented command, its happy path and its error ladder.

Each ``tests/test_conformance_*.py`` module declares ``CASES``, a list of
``Case`` rows, and runs them with ``run_case``.  ``test_conformance_coverage``
checks that the table keeps in step with the dispatcher: every registered
command has a happy case, a length case and (when its minimum privilege is
above Callback) a privilege case.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bmc.ipmi.msg import from_hex, hexdump
from bmc.privilege import Privilege

KINDS = ("happy", "short", "long", "reserved", "range", "reservation", "missing", "privilege", "state")


@dataclass(frozen=True)
class Case:
    request: str                         # NetFn/LUN, Cmd, data as hex
    cc: int                              # expected completion code
    kind: str = "happy"                  # one of KINDS
    rsp: str | None = None               # expected whole response, hex (optional)
    privilege: Privilege = Privilege.ADMINISTRATOR
    setup: Callable | None = None        # setup(world) before the request
    check: Callable | None = None        # check(world, response_bytes) after it
    session: Callable | None = None      # session(world) -> the LAN session the request arrives in (call.session)
    note: str = ""
    preset: str = "isa-ipmi-kcs"         # the world whose dispatcher answers
    interface: str | None = None         # that preset's interface (default: its first)

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"case {self.request!r}: kind {self.kind!r} not one of {KINDS}")

    @property
    def key(self) -> tuple[int, int]:
        raw = from_hex(self.request)
        return raw[0] >> 2, raw[1]

    def id(self) -> str:
        return f"{self.kind}:{self.request}"


def fresh_world(preset: str = "isa-ipmi-kcs", interface: str | None = None):
    """A world's BMC, not booted: requests go straight to the dispatcher."""
    from scenarios.world import World

    return World(preset, interface=interface)


def run_case(case: Case):
    w = fresh_world(case.preset, case.interface)
    if case.setup is not None:
        case.setup(w)
    session = case.session(w) if case.session is not None else None
    rsp = w.ipmid.handle(from_hex(case.request), privilege=case.privilege, session=session)
    assert rsp[2] == case.cc, f"{case.request}: got {hexdump(rsp)}, expected CC 0x{case.cc:02X} ({case.note})"
    if case.rsp is not None:
        assert hexdump(rsp) == case.rsp.upper(), f"{case.request}: got {hexdump(rsp)}"
    if case.check is not None:
        case.check(w, rsp)
    return rsp
