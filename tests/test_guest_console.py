"""The guest harness's console parsing (``qemu_guest._parse``) on made-up consoles: no QEMU needed.

The guest's kernel prints its emergency messages (an NMI's "Uhhuh. NMI received ...") straight to the
serial console, between any two chunks of what /init writes: an exact check's bytes must come back the
same, and bytes the console garbled must not pass for the check's output.
"""

from __future__ import annotations

import base64
import hashlib

import pytest

from tests.peers.guest.qemu_guest import MARK, Check, CheckResult, GuestRun, _parse, _unsplice

NMI = ["[   15.724031] Uhhuh. NMI received for unknown reason 21 on CPU 0.",
       "[   15.725235] Dazed and confused, but trying to continue"]
OUT = b"Chassis Power Control: Diag\n" + bytes(range(256))     # long enough for several base64 lines


def _console(out: bytes, err: bytes = b"", md5: str | None = None) -> list[str]:
    lines = [MARK + "BEGIN c00", "Chassis Power Control: Diag", MARK + "END c00 rc=0 start=1.0 end=1.2"]
    for stream, data in (("out", out), ("err", err)):
        text = base64.encodebytes(data).decode()
        lines += [MARK + f"B64 c00 {stream}", *text.splitlines(),
                  MARK + f"B64-END c00 {stream} md5={md5 or hashlib.md5(data).hexdigest()}"]
    return lines


def _run(lines: list[str]) -> GuestRun:
    run = GuestRun("isa-ipmi-kcs")
    checks = {"c00": Check("c00", "chassis power diag", exact=True)}
    run.checks["c00"] = CheckResult("c00")
    _parse(run, lines, [], checks)
    return run


def test_the_bytes_come_back():
    run = _run(_console(OUT, b"warn\n"))
    assert (run.checks["c00"].stdout, run.checks["c00"].stderr, run.checks["c00"].rc) == (OUT, b"warn\n", 0)


@pytest.mark.parametrize("at", range(0, 11))
def test_kernel_lines_between_ours(at):
    lines = _console(OUT)
    run = _run(lines[:at] + NMI + lines[at:])
    assert run.checks["c00"].stdout == OUT and run.checks["c00"].stderr == b""


@pytest.mark.parametrize("at", range(0, 11))
def test_a_kernel_line_inside_one_of_ours(at):
    """Mid-line: our line's head, the kernel's message with its newline, then our line's tail."""
    lines = _console(OUT)
    cut = len(lines[at]) // 2
    spliced = lines[:at] + [lines[at][:cut] + NMI[0], NMI[1], lines[at][cut:]] + lines[at + 1:]
    assert _unsplice(spliced) == lines[:at] + NMI + lines[at:]
    run = _run(spliced)
    assert run.checks["c00"].stdout == OUT and run.checks["c00"].rc == 0


def test_garbled_bytes_do_not_pass():
    with pytest.raises(ValueError, match="c00: its out came back garbled"):
        _run(_console(OUT, md5=hashlib.md5(b"something else").hexdigest()))
