"""Argument types the command lines share, so one flag reads the same everywhere."""

from __future__ import annotations

import argparse

from buses.time import parse_duration


def duration_arg(bare_unit: str | None = None):
    """An argparse type: a positive duration with a unit (``150us``, ``2.5 s``) -> int ns.

    ``bare_unit`` lets a plain number mean that unit (``--seconds 2``).  argparse names
    the flag in front of the message.
    """
    def parse(value: str) -> int:
        try:
            t = parse_duration(value, bare_unit)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(f"{value!r}: {exc}") from None
        if t <= 0:
            raise argparse.ArgumentTypeError(f"{value!r}: must be more than 0")
        return t
    return parse


def count_arg(lo: int, hi: int):
    """An argparse type: a whole number in ``lo..hi`` (``--seeds 1000``, ``--jobs 2``)."""
    def parse(value: str) -> int:
        try:
            n = int(value, 0)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
        if not lo <= n <= hi:
            raise argparse.ArgumentTypeError(f"{n} is not in {lo}..{hi}")
        return n
    return parse
