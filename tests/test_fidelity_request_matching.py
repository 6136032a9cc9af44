"""The fidelity test's request comparison (``compare_requests``), on made-up BMC logs: no guest needed.

The guest's kernel asks for events once a second while an ipmitool has /dev/ipmi0 open (Get BMC Global
Enables, Read Event Message Buffer); wherever that lands, even between ipmitool's open probes, the
comparison must still find each run, and it must still fail on a request only one side sent.
"""

from __future__ import annotations

import pytest

from tests.test_ipmitool_fidelity import compare_requests

OPEN = [bytes.fromhex("18 01"), bytes.fromhex("b0 00 00"), bytes.fromhex("b0 00 03")]   # Device ID, PICMG, VITA
KERNEL_POLL = [bytes.fromhex("18 2f"), bytes.fromhex("18 35")]                       # enables, event buffer
PROBE = [bytes.fromhex("18 01"), bytes.fromhex("18 2f"), bytes.fromhex("18 2e 0f"), bytes.fromhex("18 42 00")]
READ = {n: bytes((0x10, 0x2D, n)) for n in range(1, 4)}                                # Get Sensor Reading n
PLAN = [("ro", "sdr"), ("event", "event 1"), ("ro", "sensor")]
OURS = {0: OPEN + [READ[1], READ[2], READ[3]], 2: OPEN + [READ[1], READ[2]]}
EVENT_RUN = OPEN + [bytes.fromhex("10 02 41 04 01 30 01 09 ff ff")]


def _log(*runs) -> list[bytes]:
    return [r for run in runs for r in run]


def test_runs_in_order_with_nothing_between_them():
    compare_requests(PLAN, _log(PROBE, OURS[0], EVENT_RUN, OURS[2]), OURS)


@pytest.mark.parametrize("cut", range(1, 4), ids=["after-device-id", "after-picmg", "after-vita"])
def test_the_kernels_poll_among_the_open_probes(cut):
    """The 1-in-4 flake: the poll between two probes hid the run's start, and the match ran into the next run."""
    split = OPEN[:cut] + KERNEL_POLL + OPEN[cut:]
    compare_requests(PLAN, _log(PROBE, split + OURS[0][3:], EVENT_RUN, split + OURS[2][3:]), OURS)
    compare_requests(PLAN, _log(PROBE, OURS[0], split + EVENT_RUN[3:], OURS[2]), OURS)


def test_a_request_ipmilab_did_not_send_fails():
    extra = OURS[0][:4] + [bytes.fromhex("10 2d 07")] + OURS[0][4:]
    with pytest.raises(AssertionError, match="10 2d 07"):
        compare_requests(PLAN, _log(PROBE, extra, EVENT_RUN, OURS[2]), OURS)


def test_a_request_the_guest_did_not_send_fails():
    with pytest.raises(AssertionError, match="sensor: ipmilab sent 10 2d 02"):
        compare_requests(PLAN, _log(PROBE, OURS[0], EVENT_RUN, OURS[2][:-1]), OURS)


def test_open_probes_split_by_a_request_not_the_kernels_are_no_run_start():
    """Only the kernel's own requests may come between the probes; anything else is no ipmitool open."""
    broken = OPEN[:1] + [READ[3]] + OPEN[1:]
    with pytest.raises(AssertionError):
        compare_requests(PLAN, _log(PROBE, broken + OURS[0][3:], EVENT_RUN, OURS[2]), OURS)
