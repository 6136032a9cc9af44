import os

import pytest

# Unexpected exceptions inside command handlers fail the test instead of
# becoming completion code 0xFF.
os.environ.setdefault("IPMILAB_RAISE_UNEXPECTED", "1")


@pytest.fixture
def ipmi_sim(tmp_path):
    """The real OpenIPMI ``ipmi_sim`` on 127.0.0.1 ports with a generated config (tests/peers/ipmi_sim.py)."""
    from tests.peers.ipmi_sim import IpmiSim, installed

    if not installed():
        pytest.skip("ipmi_sim (Debian package openipmi) is not installed; tests/peers/install.sh installs it")
    sim = IpmiSim(tmp_path / "ipmi_sim").start()
    yield sim
    sim.stop()
