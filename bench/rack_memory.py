"""What a rack of served BMCs costs: start-up time, RSS growth and Python heap per BMC.

    python bench/rack_memory.py [--count N] [--state-dir DIR | --persist] [--config FILE] [--no-tracemalloc]

Builds the rack twice from the same configuration: once plain, for the
start-up time and the process's resident set growth (``/proc/self/status``
VmRSS, and the peak ``ru_maxrss``), then again under ``tracemalloc`` for the
Python heap the BMCs hold (SQLite's own memory is not Python heap: it shows
in RSS only).  The second build is slower (tracemalloc hooks every
allocation) and its time is not reported.  Prints figures; never passes or
fails.  Without ``--state-dir``/``--persist`` the stores are in memory.
"""

from __future__ import annotations

import argparse
import gc
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

# Runnable from a checkout without installing: the packages live at the repository root.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scenarios.config import default_config, load_config  # noqa: E402
from scenarios.rack import build_rack, close_rack  # noqa: E402


def rss_kib() -> int:
    """The process's resident set now (Linux /proc/self/status VmRSS), KiB."""
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS in /proc/self/status")


def _rack_dir(base: str | None, tag: str) -> str | None:
    return None if base is None else str(Path(base) / tag)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench/rack_memory.py", description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000, help="BMCs in the rack (default: 1000)")
    parser.add_argument("--config", default=None, metavar="FILE", help="a world configuration (default server)")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--state-dir", default=None, metavar="DIR",
                       help="persist the stores under DIR (subdirectories time/ and heap/); run twice on the "
                            "same DIR to measure a restart, which reopens the stores")
    where.add_argument("--persist", action="store_true", help="persist the stores in a temporary directory")
    parser.add_argument("--no-tracemalloc", action="store_true", help="skip the heap measurement (the second build)")
    args = parser.parse_args(argv)
    if args.count < 1:
        parser.error(f"--count {args.count} must be at least 1")
    base = args.state_dir
    tmp = None
    if args.persist:
        tmp = tempfile.TemporaryDirectory(prefix="rack-bench-")
        base = tmp.name
    cfg = default_config() if args.config is None else load_config(args.config)
    n = args.count

    # Warm-up: imports and one-time tables, so the figures are per BMC, not per process.
    close_rack(build_rack(cfg, 1))
    gc.collect()
    rss0 = rss_kib()
    t0 = time.perf_counter()
    rack = build_rack(cfg, n, _rack_dir(base, "time"))
    elapsed = time.perf_counter() - t0
    gc.collect()
    rss1 = rss_kib()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss   # KiB on Linux
    stores = "persisted" if base is not None else "in memory"
    print(f"rack of {n} BMCs, stores {stores}, config {args.config or 'default server'}")
    print(f"start-up          {elapsed:8.2f} s   ({elapsed / n * 1000:.2f} ms per BMC)")
    print(f"RSS growth        {(rss1 - rss0) / 1024:8.1f} MiB ({(rss1 - rss0) / n:.1f} KiB per BMC; "
          f"process {rss1 / 1024:.1f} MiB, peak {peak / 1024:.1f} MiB)")
    close_rack(rack)
    del rack
    gc.collect()

    if not args.no_tracemalloc:
        tracemalloc.start()
        before = tracemalloc.take_snapshot()
        rack = build_rack(cfg, n, _rack_dir(base, "heap"))
        gc.collect()
        after = tracemalloc.take_snapshot()
        tracemalloc.stop()
        diff = after.compare_to(before, "filename")
        heap = sum(d.size_diff for d in diff)
        print(f"Python heap       {heap / 1024 / 1024:8.1f} MiB ({heap / n / 1024:.1f} KiB per BMC, tracemalloc; "
              f"SQLite's memory not included)")
        print("  largest by file (KiB per BMC):")
        for d in diff[:8]:
            print(f"    {d.size_diff / n / 1024:6.1f}  {d.traceback[0].filename}")
        close_rack(rack)
    if tmp is not None:
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
