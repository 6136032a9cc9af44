"""Crash safety of the persistent stores: SIGKILL a writer at random points, reopen, check every byte.

The writer (a separate Python process) adds and deletes SEL and SDR
records, and now and then clears a log, in a persistent store.  Before each
change it prints what it is about to do; after the commit returns it prints
``OK`` (both flushed).  The test kills it with SIGKILL at a random point,
reads what it printed, reopens the store and requires it to be exactly the
acknowledged state, or that state plus the one change in flight: every
acknowledged record there byte for byte and in order, nothing torn, nothing
extra.  The next writer then goes on from the store as it found it.

SIGKILL loses the process, not the kernel's page cache, so this proves
atomicity against a crashed BMC; durability against power loss is what
``synchronous=FULL`` (the default) adds, and cannot be shown without
cutting power.
"""

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bmc.sdr import Sdr
from bmc.sel import Sel
from bmc.store import Store

ROOT = Path(__file__).resolve().parent.parent

WRITER = r"""
import random, sys
from bmc.sdr import Sdr
from bmc.sel import Sel
from bmc.store import Store

state_dir, seed = sys.argv[1], int(sys.argv[2])
rng = random.Random(seed)
store = Store(state_dir)
logs = {"sel": Sel(None, store, lambda t: 0, capacity=4095), "sdr": Sdr(None, store, lambda t: 0, capacity=0xFFFE)}
out = sys.stdout
out.write("READY\n")
out.flush()
while True:
    name = rng.choice(("sel", "sdr"))
    log = logs[name]
    roll = rng.random()
    if roll < 0.01:
        out.write(f"W clear {name}\n"); out.flush()
        log.clear(0)
        out.write("OK\n"); out.flush()
    elif roll < 0.35 and len(log):
        rid = rng.choice(log.ids())
        out.write(f"W del {name} {rid}\n"); out.flush()
        log.delete(rid, 0)
        out.write("OK\n"); out.flush()
    else:
        if name == "sel":   # OEM non-timestamped: all 13 bytes after the type are ours
            record = bytes((0, 0, 0xE0)) + rng.randbytes(13)
        else:
            body = rng.randbytes(rng.randint(0, 60))
            record = bytes((0, 0, 0x51, 0xC0, len(body))) + body
        out.write(f"W add {name} {record.hex()}\n"); out.flush()
        rid = log.add(record, 0)
        out.write(f"OK {rid}\n"); out.flush()
"""


def read_state(state_dir) -> dict[str, list[tuple[int, bytes]]]:
    """What a BMC restarting on ``state_dir`` finds (it must open at all)."""
    with Store(state_dir) as store:
        sel = Sel(None, store, lambda t: 0, capacity=4095)
        sdr = Sdr(None, store, lambda t: 0, capacity=0xFFFE)
        return {"sel": [(i, sel.record(i)) for i in sel.ids()], "sdr": [(i, sdr.record(i)) for i in sdr.ids()]}


def apply(state, line: str, rid: int | None):
    """The state after one acknowledged (or in-flight, ``rid`` None for an add) change."""
    words = line.split()
    op, name = words[1], words[2]
    state = {k: list(v) for k, v in state.items()}
    if op == "clear":
        state[name] = []
    elif op == "del":
        state[name] = [(i, d) for i, d in state[name] if i != int(words[3])]
    else:
        data = bytes.fromhex(words[3])
        state[name].append((rid, data if rid is None else rid.to_bytes(2, "little") + data[2:]))
    return state


def matches(actual, expected) -> bool:
    """Equal, where an in-flight add (id None) may have taken any id with the right bytes."""
    for name in ("sel", "sdr"):
        a, e = actual[name], expected[name]
        if len(a) != len(e):
            return False
        for (ai, ad), (ei, ed) in zip(a, e, strict=True):
            if ei is None:
                if ad[2:] != ed[2:] or ad[:2] != ai.to_bytes(2, "little"):
                    return False
            elif (ai, ad) != (ei, ed):
                return False
    return True


def kill_at_random(proc, rng: random.Random) -> tuple[list[bytes], bytes]:
    """SIGKILL the writer after a random number of lines and a random pause; every line it printed."""
    lines = []
    target = rng.randint(0, 40)
    if target == 0:
        time.sleep(rng.uniform(0, 0.15))     # during start-up or the store's recovery
    else:
        while len(lines) < target:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
        time.sleep(rng.uniform(0, 0.002))
    proc.send_signal(signal.SIGKILL)
    # Read through the buffered file: readline() may already hold bytes that communicate() would skip.
    rest = proc.stdout.read()
    err = proc.stderr.read()
    proc.wait()
    lines += rest.splitlines(keepends=True)
    return lines, err


def run_round(state_dir, seed: int, rng: random.Random, model):
    with subprocess.Popen([sys.executable, "-c", WRITER, str(state_dir), str(seed)], cwd=ROOT,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}) as proc:
        lines, err = kill_at_random(proc, rng)
    assert proc.returncode == -signal.SIGKILL, f"writer ended on its own ({proc.returncode}): {err.decode()[-2000:]}"
    complete = [line.decode() for line in lines if line.endswith(b"\n")]

    # The acknowledged state, and the change in flight when the writer died (if any).
    pending = None
    for line in complete:
        if line.startswith("W "):
            pending = line
        elif line.startswith("OK"):
            words = line.split()
            model = apply(model, pending, int(words[1]) if len(words) > 1 else None)
            pending = None
    actual = read_state(state_dir)
    ok = matches(actual, model)
    if not ok and pending is not None:
        ok = matches(actual, apply(model, pending, None))
    assert ok, (f"seed {seed}: the store after SIGKILL is neither the acknowledged state nor it plus the change "
                f"in flight ({pending!r})\nacknowledged: {model}\nfound: {actual}")
    return actual, sum(line.startswith("OK") for line in complete)


def crash_loop(tmp_path, kills: int, seed: int):
    rng = random.Random(seed)
    model = {"sel": [], "sdr": []}
    acked = 0
    for i in range(kills):
        model, n = run_round(tmp_path, seed * 100_000 + i, rng, model)
        acked += n
    assert acked > kills  # the writers did get changes in between the kills
    return model


def test_sigkill_a_writer_ten_times(tmp_path):
    crash_loop(tmp_path, 10, seed=1)


@pytest.mark.slow
def test_sigkill_a_writer_two_hundred_times(tmp_path):
    model = crash_loop(tmp_path, 200, seed=2)
    assert model["sel"] or model["sdr"]
