"""pytest with the ipmilab plugin: python -m pytest docs/examples/test_ideal_bt.py"""

import pytest

from buses.time import us
from scenarios.scenario import ask, assert_between


@pytest.mark.ipmilab_world(preset="isa-ipmi-bt", seed=1)
def test_ideal_bt_answers_inside_the_h2b_atn_write(booted_world, trace):
    t0 = booted_world.sim.now
    assert ask(booted_world, "18 01").startswith("1C 01 00")
    dispatch = trace.first(layer="ipmid", event="dispatch", since=t0)
    assert_between(dispatch, t0, t0 + us(20), "the BMC's dispatch")
    assert_between(booted_world.sim.now - t0, us(20), us(60), "the whole Get Device ID")
