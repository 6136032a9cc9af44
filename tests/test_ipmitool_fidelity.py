"""``ipmilab run -- CMD`` prints what the real ipmitool prints (slow, real peers).

One Debian guest boots under QEMU (TCG) against ``ipmilab serve --vm`` on
the default world (``isa-ipmi-kcs``, the default server) and runs the real
``/usr/bin/ipmitool`` (1.8.19) for every command below, its stdout and
stderr kept apart byte for byte (``Check(exact=True)``).  Then ipmilab runs
the same commands on the same world and each stdout, stderr and exit status
must be identical.  The guest runs, in this order:

1. ``READ_ONLY``: each compared with ``ipmilab run --irq -- CMD`` (the CLI,
   in process) on a fresh default world.  ``--irq`` because the guest's
   ``ipmi_si`` drives QEMU's KCS with its interrupt, and a few answers (the
   BMC global enables) show the driver's mode.
2. ``event 1``, ``event 2``, ``event 3`` and a raw Platform Event (guest only): they land in the SEL.
3. ``AFTER_EVENT``: compared with ``ipmilab run --irq --state-dir COPY``,
   a copy of the state directory ``serve`` kept (its SEL, SDR and FRU), so
   the entry and its timestamp are the very ones the guest read.
4. ``STATEFUL``: boot flags, power on, a diagnostic interrupt (the guest's
   kernel takes the NMI and goes on) and the BMC's resets, each changing what
   the next one reads; ipmilab runs them as one sequence in one world (a
   CLI run boots a fresh world per command), in the same order.

The world is checked to be the same first: SDR repository info, SEL info
and the FRU's size are raw answers both sides print.
"""

from __future__ import annotations

import contextlib
import difflib
import io
import json
import re
import shlex
import shutil
from pathlib import Path

import pytest

from buses.time import s
from scenarios.cli import main
from tests.peers.guest.qemu_guest import Check, ServeProcess, missing, run_guest

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(missing() is not None, reason=f"{missing()}; tests/peers/install.sh installs it"),
]

GUEST_TIMEOUT_S = 240

WORLD_IDENTITY = ("raw 0x0a 0x20", "raw 0x0a 0x40", "raw 0x0a 0x10 0x00")   # SDR info, SEL info, FRU 0 info
READ_ONLY = WORLD_IDENTITY + (
    "mc info", "mc guid", "mc selftest", "mc watchdog get", "mc getenables",
    "chassis status", "chassis power status", "chassis bootparam get 0", "chassis bootparam get 5",
    "sdr list", "sdr list all", "sdr list full", "sdr list compact", "sdr list event", "sdr list mcloc",
    "sdr list fru", "sdr elist", "sdr elist all", "sdr elist mcloc", "sdr elist compact", "sdr",
    "sensor list", "sensor", 'sensor get "Inlet Temp"', 'sensor get FAN1 12V "PSU1 Status"', "sensor get Nope",
    "sensor get BMC",
    "sel info", "sel list", "sel elist",
    "fru print", "fru print 0", "fru print 1", "fru",
    "raw 0x06 0x01", "raw 0x06 0x2e", "raw 0x06 0x01 0x00", "raw 0x06 0x7f", "raw 0x06 0x33",
    "chassis bootdev pxe options=bogus",
    "lan print 1", "lan print", "lan print 2", "channel info 1", "channel info", "channel info 0",
    "channel getaccess 1", "channel getaccess 1 2", "user list 1", "user list", "user summary 1",
)
# ipmitool's three sample events (a temperature threshold, a voltage threshold, a memory ECC, all from the
# system software's generator 41h), then the BMC's own Inlet Temp (owner 20h, sensor 01h) crossing its upper
# critical threshold with trigger reading and threshold (48 > 45): a record sel elist/get find in the SDRs.
EVENTS = ("event 1", "event 2", "event 3", "raw 0x04 0x02 0x20 0x04 0x01 0x01 0x01 0x59 0x30 0x2d")
AFTER_EVENT = ("sel info", "sel", "sel list", "sel elist", "sel get 1", "sel get 3", "sel get 4", "sel get 5",
               "sel get 1 2 3 4", "sel get 4 1")
STATEFUL = (
    "chassis bootdev pxe", "chassis bootparam get 5",
    "chassis bootdev disk options=persistent,efiboot", "chassis bootparam get 5",
    "chassis bootdev cdrom clear-cmos=yes", "chassis bootparam get 5",
    "chassis bootdev bogus", "chassis bootparam get 0",
    "chassis power on", "chassis power status", "chassis power diag", "mc reset warm", "mc info",
    "mc reset cold", "mc info",
)
PLAN = ([("ro", c) for c in READ_ONLY] + [("event", c) for c in EVENTS] + [("after", c) for c in AFTER_EVENT]
        + [("seq", c) for c in STATEFUL])

# What may differ, and why; everything else must be byte-identical.
def _without_lines(*prefixes: str):
    def keep(text: bytes) -> bytes:
        lines = text.decode("latin-1").splitlines(keepends=True)
        return "".join(line for line in lines if not line.startswith(prefixes)).encode("latin-1")
    return keep


def _mask_raw_bytes(first: int, last: int):
    """A raw answer with bytes first..last (0-based) blanked: clock readings the two BMCs take apart."""
    def mask(text: bytes) -> bytes:
        words = text.decode("latin-1").split()
        words[first:last + 1] = ["..."] * len(words[first:last + 1])
        return " ".join(words).encode("latin-1")
    return mask


JUSTIFIED = {
    # Get SDR Repository Info's "most recent addition" time (bytes 5-8) is the BMC's clock when the default
    # SDRs were added: serve paces its BMC to the wall clock, a simulated world's clock starts at zero.
    "raw 0x0a 0x20": _mask_raw_bytes(5, 8),
}
# The event the guest's "event 1" made sits in its kernel's queue until the next ipmitool asks for events
# (open.c): it answers that run's first request (msgid 0 too) and the real answer is dropped with this notice.
# ipmilab models the queue (a fast test shows it); the --state-dir world here starts with no event queued.
FIRST_AFTER_EVENT_STDERR = _without_lines("Received a response with unexpected ID 0 vs. 1")


def _guest_run(work, plan, *serve_args: str):
    """One guest boot running the plan's commands in order -> {(kind, cmd, i): (rc, stdout, stderr)}, trace."""
    checks = tuple(Check(f"c{i:02d}", cmd, exact=True) for i, (_, cmd) in enumerate(plan))
    trace = work / "serve.trace"
    with ServeProcess("--interface", "kcs", "--trace", str(trace), *serve_args) as srv:
        run = run_guest("isa-ipmi-kcs", srv.port, work / "guest", timeout=GUEST_TIMEOUT_S, checks=checks)
    print("\n" + run.summary().splitlines()[0])
    assert run.bound, "the guest's driver never bound\n" + "\n".join(run.console[-40:])
    results = {}
    for i, (kind, cmd) in enumerate(plan):
        res = run.checks[f"c{i:02d}"]
        results[(kind, cmd, i)] = (res.rc, res.stdout, res.stderr)
    return results, trace


@pytest.fixture(scope="module")
def guest(tmp_path_factory):
    """One guest boot running the whole plan; the serve's state directory copied after it ends."""
    work = tmp_path_factory.mktemp("fidelity")
    state = work / "state"
    state.mkdir()
    results, trace = _guest_run(work, PLAN, "--state-dir", str(state))
    snapshot = work / "state-after"
    shutil.copytree(state, snapshot)
    return results, snapshot, _dispatched(trace)


def _dispatched(trace) -> list[bytes]:
    """Every request the serving BMC's dispatcher handled, in order (the guest kernel's and ipmitool's)."""
    found = re.finditer(r" dispatch .* req=\[([0-9A-F ]*)\]", trace.read_text())
    return [bytes.fromhex(m.group(1)) for m in found]


def ipmilab_cli(words: list[str], *options: str) -> tuple[int, bytes, bytes]:
    """``python -m scenarios.cli run --irq OPTIONS -- WORDS`` in this process: (exit status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            rc = main(["run", "--irq", *options, "--", *words])
        except SystemExit as exc:
            rc = exc.code
    return rc, out.getvalue().encode("latin-1"), err.getvalue().encode("latin-1")


def _sequence(commands) -> list:
    """The commands one after another in one world (what each leaves behind, the next one reads)."""
    from scenarios.world import World
    from vserver.userland import IpmiTool

    world = World.from_config(None, use_irq=True)
    try:
        assert world.boot()
        return [world.sim.run_process(IpmiTool(world.host.ipmi).run(shlex.split(cmd)), limit=s(600))
                for cmd in commands]
    finally:
        world.bmc.store.close()


def ipmilab_sequence(commands) -> list[tuple[int, bytes, bytes]]:
    return [(out.exit_code, out.text().encode("latin-1"), out.error_text().encode("latin-1"))
            for out in _sequence(commands)]


def ipmilab_sequence_requests(commands) -> list[list[bytes]]:
    return [[r.request for r in out.exchanges] for out in _sequence(commands)]


@pytest.fixture(scope="module")
def ours(guest, tmp_path_factory):
    """ipmilab's answer to every command of the plan (the event itself is the guest's alone)."""
    _, snapshot, _ = guest
    results = {}
    sequence = [(i, cmd) for i, (kind, cmd) in enumerate(PLAN) if kind == "seq"]
    for (i, cmd), got in zip(sequence, ipmilab_sequence([c for _, c in sequence]), strict=True):
        results[("seq", cmd, i)] = got
    for i, (kind, cmd) in enumerate(PLAN):
        if kind == "ro":
            results[(kind, cmd, i)] = ipmilab_cli(shlex.split(cmd))
        elif kind == "after":
            copy = tmp_path_factory.mktemp("state")
            shutil.copytree(snapshot, copy, dirs_exist_ok=True)
            results[(kind, cmd, i)] = ipmilab_cli(shlex.split(cmd), "--state-dir", str(copy))
    return results


def _first_after_event():
    return next((kind, cmd, i) for i, (kind, cmd) in enumerate(PLAN) if kind == "after")


def _diff(name: str, theirs: bytes | None, mine: bytes) -> str:
    a = (theirs or b"").decode("latin-1").splitlines(keepends=True)
    b = mine.decode("latin-1").splitlines(keepends=True)
    return "".join(difflib.unified_diff(a, b, f"ipmitool {name}", f"ipmilab {name}"))


def test_the_worlds_are_the_same(guest, ours):
    """Same SDR repository (version, record count, free space), same SEL, same FRU size."""
    theirs, *_ = guest
    for i, cmd in enumerate(WORLD_IDENTITY):
        same = JUSTIFIED.get(cmd, lambda text: text)
        (rc, out, err), (my_rc, my_out, my_err) = theirs[("ro", cmd, i)], ours[("ro", cmd, i)]
        assert (my_rc, same(my_out), my_err) == (rc, same(out or b""), err), f"{cmd}: the worlds differ"


@pytest.mark.parametrize("step", [(kind, cmd, i) for i, (kind, cmd) in enumerate(PLAN) if kind != "event"],
                         ids=lambda step: f"{step[2]:02d}-{step[1]}")
def test_ipmilab_prints_what_ipmitool_prints(guest, ours, step):
    theirs, *_ = guest
    rc, out, err = theirs[step]
    my_rc, my_out, my_err = ours[step]
    cmd = step[1]
    assert out is not None, f"the guest never ran {cmd!r}"
    if cmd in JUSTIFIED:
        out, my_out = JUSTIFIED[cmd](out), JUSTIFIED[cmd](my_out)
    if step == _first_after_event():
        err = FIRST_AFTER_EVENT_STDERR(err)
    assert my_out == out, "stdout differs:\n" + _diff(cmd, out, my_out)
    assert my_err == err, "stderr differs:\n" + _diff(cmd, err, my_err)
    assert my_rc == rc, f"exit status {my_rc}, ipmitool's {rc}"


def test_the_events_reached_the_sel(guest):
    theirs, *_ = guest
    sent = [v for (kind, _, _), v in theirs.items() if kind == "event"]
    assert [rc for rc, _, _ in sent] == [0, 0, 0, 0] and b"Upper Critical" in sent[0][1]


# What the guest's Linux driver sends on its own (ipmi_si and ipmi_msghandler): flags, enables, the event
# buffer and the receive queue, and its one-time probe.  Anything else the BMC saw must be ipmitool's.
KERNEL_OWN = {(0x06, 0x2F), (0x06, 0x2E), (0x06, 0x30), (0x06, 0x31), (0x06, 0x33), (0x06, 0x35), (0x06, 0x42),
              (0x06, 0x08)}


def _kernel_own(req: bytes) -> bool:
    return (req[0] >> 2, req[1]) in KERNEL_OWN


def _run_start(seen: list[bytes], at: int, probes: list[bytes]) -> int:
    """Where the next ipmitool run at or after ``at`` opens /dev/ipmi0: its probes (Get Device ID, then the
    PICMG and VITA ones) in order, with only the kernel's own requests between them (len(seen): none).

    Not a contiguous window: while an ipmitool has the device open it asks for events
    (IPMICTL_SET_GETS_EVENTS_CMD), so the kernel's msghandler calls request_events() once a second
    (ipmi_timeout, IPMI_REQUEST_EV_TIME) and ipmi_si sends Get BMC Global Enables and Read Event Message
    Buffer when idle; on the guest's clock that can fall between two probes."""
    for p in range(at, len(seen)):
        if seen[p] != probes[0]:
            continue
        q, k = p + 1, 1
        while q < len(seen) and k < len(probes):
            if seen[q] == probes[k]:
                k += 1
            elif not _kernel_own(seen[q]):
                break
            q += 1
        if k == len(probes):
            return p
    return len(seen)


def _key(req: bytes) -> bytes:
    """A request with its SDR reservation id blanked (each BMC numbers its reservations from its start)."""
    if req[:2] == bytes((0x28, 0x23)):
        return req[:2] + b"\0\0" + req[4:]
    return req


def test_ipmilab_sends_the_requests_ipmitool_sends(guest, ours_requests):
    """ipmilab's requests, command after command, are the BMC's requests from the guest in the same order;
    what else the guest sent is its kernel's housekeeping or the guest-only event step."""
    _, _, dispatched = guest
    compare_requests(PLAN, dispatched, ours_requests)


def compare_requests(plan, dispatched: list[bytes], ours_requests: dict[int, list[bytes]]) -> None:
    """Assert that ``ours_requests[i]`` (ipmilab's, for each step i of ``plan`` but the events) are, run after
    run, in ``dispatched`` (what the guest's BMC handled) in order, and that all else is the kernel's own."""
    seen = [_key(r) for r in dispatched]
    at, extra = 0, []
    unowned, runs_to_skip = True, 0    # first the kernel's probe (Get Device ID and more), not compared
    for i, (kind, cmd) in enumerate(plan):
        if kind == "event":
            unowned, runs_to_skip = True, runs_to_skip + 1     # a guest-only event run: not compared
            continue
        ours = [_key(r) for r in ours_requests[i]]
        # Each ipmitool run starts as it opens /dev/ipmi0: Get Device ID, then the PICMG and VITA probes.
        start = at
        for n in range(runs_to_skip + 1):
            at = _run_start(seen, at + (1 if n else 0), ours[:3])
        if not unowned:
            extra += [(j, cmd) for j in range(start, at)]
        unowned, runs_to_skip = False, 0
        for req in ours:
            start = at
            while at < len(seen) and seen[at] != req:
                at += 1
            assert at < len(seen), f"{cmd}: ipmilab sent {req.hex(' ')}, the guest's ipmitool never did " \
                                   f"(after {seen[start - 1].hex(' ') if start else 'the start'})"
            extra += [(j, cmd) for j in range(start, at)]
            at += 1
    strays = [(cmd, seen[j].hex(" ")) for j, cmd in extra if not _kernel_own(seen[j])]
    assert not strays, f"requests the guest's ipmitool sent and ipmilab did not: {strays[:10]}"


@pytest.fixture(scope="module")
def ours_requests(guest, tmp_path_factory):
    """ipmilab's requests for each step of the plan (the --json view of the same runs)."""
    _, snapshot, _ = guest
    requests = {}
    for i, (kind, cmd) in enumerate(PLAN):
        if kind == "event":
            continue
        options = ("--json",)
        if kind == "after":
            copy = tmp_path_factory.mktemp("state")
            shutil.copytree(snapshot, copy, dirs_exist_ok=True)
            options += ("--state-dir", str(copy))
        if kind == "seq":
            continue
        _, out, _ = ipmilab_cli(shlex.split(cmd), *options)
        requests[i] = [bytes.fromhex(r["request"]) for r in json.loads(out)["requests"]]
    steps = [(i, cmd) for i, (kind, cmd) in enumerate(PLAN) if kind == "seq"]
    for (i, _), reqs in zip(steps, ipmilab_sequence_requests([c for _, c in steps]), strict=True):
        requests[i] = reqs
    return requests


# -- a second world: what the default one does not exercise --------------------------------------------------

RICH = Path(__file__).parent / "golden" / "rich-world.toml"
# Its SEL is the default world's business (above).
RICH_PLAN = [("ro", c) for c in (
    "mc info", "sdr list all", "sdr elist all", "sdr list event", "sdr list generic", "sdr elist fru",
    "sensor list",
    'sensor get "Hot Spot" "Rail 1V8" "Outside Air" Door SYS', "fru print", "fru print 0", "chassis status",
)]


@pytest.fixture(scope="module")
def rich(tmp_path_factory):
    work = tmp_path_factory.mktemp("rich")
    results, _ = _guest_run(work, RICH_PLAN, "--config", str(RICH))
    ours = {step: ipmilab_cli(shlex.split(step[1]), "--config", str(RICH)) for step in results}
    return results, ours


@pytest.mark.parametrize("step", [(kind, cmd, i) for i, (kind, cmd) in enumerate(RICH_PLAN)],
                         ids=lambda step: f"rich-{step[2]:02d}-{step[1]}")
def test_a_richer_world_prints_the_same(rich, step):
    theirs, ours = rich
    (rc, out, err), (my_rc, my_out, my_err) = theirs[step], ours[step]
    assert out is not None, f"the guest never ran {step[1]!r}"
    assert my_out == out, "stdout differs:\n" + _diff(step[1], out, my_out)
    assert my_err == err, "stderr differs:\n" + _diff(step[1], err, my_err)
    assert my_rc == rc, f"exit status {my_rc}, ipmitool's {rc}"
