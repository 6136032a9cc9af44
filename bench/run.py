"""Run the ipmilab benchmark and print its JSON: the same measurement as ``ipmilab bench --json``.

    python bench/run.py [--seconds S] [--presets P ...]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

# Runnable from a checkout without installing: the packages live at the repository root.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scenarios import bench  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench/run.py", description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.0, help="wall seconds per measurement (default: 1)")
    parser.add_argument("--presets", nargs="+", default=list(bench.DEFAULT_PRESETS), help="presets to measure")
    args = parser.parse_args(argv)
    try:
        result = bench.run_bench(args.seconds, args.presets)
    except ValueError as exc:
        parser.error(str(exc))
    print(bench.to_json(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
