"""Slow: random requests through the whole byte-accurate path never wedge the pair."""

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from buses.time import s
from tests.test_sim_kcs import GOLDEN_DEVICE_ID, booted

pytestmark = pytest.mark.slow

WORLDS = {}


def world(preset):
    if preset not in WORLDS:
        WORLDS[preset] = booted(preset, seed=5)
    return WORLDS[preset]


@pytest.mark.parametrize("preset", ["isa-ipmi-kcs", "ast2600"])
@settings(max_examples=300, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(netfn=st.sampled_from([0x00, 0x02, 0x04, 0x06, 0x0A, 0x0C, 0x2C, 0x3E]),
       cmd=st.integers(0, 255), data=st.binary(max_size=40))
def test_random_requests_get_an_answer_and_the_interface_survives(preset, netfn, cmd, data):
    w = world(preset)
    # Power, reset and watchdog commands act on the host (their ladders have their own tests).
    assume((netfn, cmd) not in {(0x00, 0x02), (0x00, 0x03), (0x06, 0x02), (0x06, 0x03), (0x06, 0x22),
                                (0x06, 0x24)})
    r = w.request(netfn, cmd, data, limit=s(120))
    assert r.raw[0] == ((netfn << 2) | 0x04) and r.raw[1] == cmd
    assert len(r.raw) >= 3


@pytest.mark.parametrize("preset", ["isa-ipmi-kcs", "ast2600"])
def test_after_the_fuzz_the_device_id_is_still_golden(preset):
    w = world(preset)
    w.sim.run_process(w.host.wait_ready(), limit=s(120))
    assert w.request(6, 1).raw == GOLDEN_DEVICE_ID


def test_determinism_over_many_seeds():
    for seed in range(20):
        a, b = booted("ast2600", seed=seed, trace=True), booted("ast2600", seed=seed, trace=True)
        a.request(6, 1)
        b.request(6, 1)
        assert a.sim.tracer.digest() == b.sim.tracer.digest()
