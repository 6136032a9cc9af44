"""What every part of a world configuration uses: the problem list, typed readers, durations with units.

A ``Checker`` collects problems instead of stopping at the first, so one run
reports everything wrong with a file; each problem names the field's path
and the bad value.
"""

from __future__ import annotations

import re
from pathlib import Path

from buses.time import fmt_ns, parse_duration

# -- errors -----------------------------------------------------------------------------------------


class ConfigError(ValueError):
    """A world configuration that cannot be used.  ``problems`` lists (path, value, what is wrong)."""

    def __init__(self, problems: list[tuple[str, object, str]], source: str = "world config"):
        self.problems = problems
        self.source = source
        lines = [f"{path}: {what} (got {value!r})" for path, value, what in problems]
        head = f"{source}: " if len(lines) == 1 else f"{source}: {len(lines)} problems:\n  "
        super().__init__(head + "\n  ".join(lines))


class _Missing:
    def __repr__(self) -> str:
        return "nothing"


MISSING = _Missing()


class Checker:
    """Collects problems while reading a TOML document; every reader returns a usable value or None."""

    def __init__(self):
        self.problems: list[tuple[str, object, str]] = []

    def bad(self, path: str, value, what: str):
        self.problems.append((path, value, what))
        return None

    def table(self, path: str, value, keys: dict[str, bool]) -> dict | None:
        """A TOML table with known keys (``{key: required}``); unknown and missing keys are problems."""
        if not isinstance(value, dict):
            return self.bad(path, value, "must be a table")
        for key in value:
            if key not in keys:
                where = f"{path}.{key}" if path else key
                self.bad(where, value[key], f"unknown key; known keys here: {', '.join(sorted(keys))}")
        for key, required in keys.items():
            if required and key not in value:
                self.bad(f"{path}.{key}" if path else key, MISSING, "required")
        return value

    def integer(self, path: str, value, lo: int, hi: int, hexfmt: bool = False) -> int | None:
        if isinstance(value, bool) or not isinstance(value, int):
            return self.bad(path, value, "must be an integer")
        if not lo <= value <= hi:
            rng = f"0x{lo:X}-0x{hi:X}" if hexfmt else f"{lo}-{hi}"
            return self.bad(path, value, f"out of range {rng}")
        return value

    def number(self, path: str, value, lo: float | None = None, hi: float | None = None) -> float | None:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return self.bad(path, value, "must be a number")
        if value != value or value in (float("inf"), float("-inf")):
            return self.bad(path, value, "must be a finite number")
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            return self.bad(path, value, f"out of range {lo}..{hi}")
        return value

    def boolean(self, path: str, value) -> bool | None:
        if not isinstance(value, bool):
            return self.bad(path, value, "must be true or false")
        return value

    def string(self, path: str, value, max_bytes: int | None = None, ascii_only: bool = False) -> str | None:
        if not isinstance(value, str):
            return self.bad(path, value, "must be a string")
        enc = "ascii" if ascii_only else "latin-1"
        try:
            raw = value.encode(enc)
        except UnicodeEncodeError:
            return self.bad(path, value, f"must be {'ASCII' if ascii_only else 'Latin-1'} text")
        if max_bytes is not None and len(raw) > max_bytes:
            return self.bad(path, value, f"is {len(raw)} bytes; at most {max_bytes}")
        return value

    def choice(self, path: str, value, choices) -> str | None:
        if not isinstance(value, str) or value not in choices:
            return self.bad(path, value, f"choose one of: {', '.join(choices)}")
        return value

    def duration(self, path: str, value, lo: int = 0, hi: int | None = None) -> int | None:
        """A duration string with a unit -> int ns."""
        if isinstance(value, bool) or not isinstance(value, str):
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                return self.bad(path, value, 'a duration needs a unit, e.g. "10ms", "2.5 s" or "100 us"')
            return self.bad(path, value, 'must be a duration string such as "10ms", "2.5 s" or "100 us"')
        try:
            t = parse_duration(value)
        except ValueError as exc:
            return self.bad(path, value, str(exc))
        if t < lo or (hi is not None and t > hi):
            return self.bad(path, value, f"out of range {fmt_ns(lo)}..{fmt_ns(hi) if hi is not None else ''}")
        return t






def resolve(base: Path | None, name: str) -> Path:
    """A file named in a config: relative to the config file's directory."""
    p = Path(name)
    return p if base is None or p.is_absolute() else base / name


def norm_name(name: str) -> str:
    return " ".join(re.sub(r"[_\-/]", " ", name.lower()).split())


def code_of(ck: Checker, path: str, value, names: dict[str, int], hi: int = 0xFF) -> int | None:
    """A code given as a number or as one of ``names``."""
    if isinstance(value, int) and not isinstance(value, bool):
        return ck.integer(path, value, 0, hi, hexfmt=True)
    if isinstance(value, str) and norm_name(value) in names:
        return names[norm_name(value)]
    if not isinstance(value, str):
        return ck.bad(path, value, "must be a name or a number")
    import difflib

    close = difflib.get_close_matches(norm_name(value), [k for k in names if k], n=4, cutoff=0.5)
    known = sorted(k for k in names if k)
    hint = f"did you mean {', '.join(repr(c) for c in close)}?" if close else \
        f"known names: {', '.join(known[:12])}{', ...' if len(known) > 12 else ''}"
    return ck.bad(path, value, f"unknown name ({hint}); a number (the spec's code) works too")
