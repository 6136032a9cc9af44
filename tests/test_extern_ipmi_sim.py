"""The ``ipmi-bmc-extern`` client role against the real OpenIPMI ``ipmi_sim`` (slow, real peer).

Every simulated interface that exists (the ideal presets; KCS today, BT and SSIF
join automatically when their presets land) is backed by ipmi_sim over the VM
protocol on 127.0.0.1, and the simulated host's Linux-faithful driver stack runs
ipmitool-like commands through it.
"""

from __future__ import annotations

import threading
import time
from dataclasses import replace

import pytest

from bmc.vm.extern import ExternConfig
from buses.time import ms, s
from scenarios.presets import PRESETS
from scenarios.world import World
from tests.peers.ipmi_sim import IpmiSim, installed  # the ipmi_sim fixture is in conftest.py
from vserver.userland import IpmiTool

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not installed(), reason="ipmi_sim (Debian package openipmi) is not installed; "
                                                "tests/peers/install.sh installs it"),
]

INTERFACES = sorted(name for name, p in PRESETS.items() if p.fidelity == "ideal")

# ipmi_sim's Get Device ID for the generated "mc_add 0x20 0 no-device-sdrs 0x23 9 8 0x9f 0x1291 0xf02"
SIM_DEVICE_ID = bytes.fromhex("00 03 09 08 02 9F 91 12 00 02 0F")


def world_for(preset: str, ipmi_sim: IpmiSim, trace: bool = False, **cfg) -> World:
    cfg.setdefault("wall_timeout", 1.0)
    w = World(preset, seed=5, trace=trace, bmc="extern", extern=ExternConfig(ipmi_sim.vm_addr, **cfg))
    assert w.extern.connected, "could not connect to ipmi_sim"
    return w


def tool(w: World, *words: str):
    return w.sim.run_process(IpmiTool(w.host.ipmi).run(list(words)), limit=s(120))


@pytest.mark.parametrize("preset", INTERFACES)
def test_driver_reads_identity_sdr_and_sel_through_ipmi_sim(preset, ipmi_sim):
    ipmi_sim.console("sel_add 0x20 0x02 0x00 0x00 0x00 0x00 0x20 0x00 0x04 0x01 0x01 0x01 0x57 0x00 0x00")
    w = world_for(preset, ipmi_sim)
    try:
        assert w.boot() is True
        assert w.host.si.device_id[3:14] == SIM_DEVICE_ID
        info = tool(w, "mc", "info")
        assert (info.data["manufacturer_id"], info.data["product_id"]) == (0x1291, 0xF02)
        sdr = tool(w, "sdr", "list")
        names = [row[0] for row in sdr.rows]
        assert "Temp1" in names
        sel = tool(w, "sel", "info")
        assert sel.data["entries"] == 1
        entries = tool(w, "sel", "list").data["entries"]
        assert len(entries) == 1
        # ipmi_sim reports power on while the VM connection is up.
        assert tool(w, "chassis", "status").data["power_on"] is True
        # Every answer came over the wire from ipmi_sim, none was synthesized.
        stats = w.extern.stats
        assert stats["responses"] == stats["requests"] > 10 and stats["timeouts"] == 0
    finally:
        w.extern.close()


@pytest.mark.parametrize("preset", INTERFACES)
def test_chassis_reset_through_ipmi_sim_resets_the_host(preset, ipmi_sim):
    w = world_for(preset, ipmi_sim)
    try:
        assert w.boot() is True
        t0 = w.sim.now
        # ipmi_sim sends VM RESET before its response: the host resets under the request (as in QEMU),
        # and the command fails as ipmitool's does (exit status 1, its error line on stderr).
        out = tool(w, "chassis", "power", "reset")
        assert out.exit_code == 1 and "Chassis Power Control" in out.error_text()
        assert "RESET" in [c for t, c in w.extern.controls if t >= t0]
        assert any(e == "hard-reset" for t, e in w.host.power_events if t >= t0)
        # The host reboots (its BIOS asks ipmi_sim for boot options) and its driver finds the BMC again.
        w.sim.run_process(w.host.wait_ready(), limit=s(30))
        assert w.request(0x06, 0x01).data[:11] == SIM_DEVICE_ID
    finally:
        w.extern.close()


@pytest.mark.parametrize("preset", INTERFACES)
def test_chassis_soft_and_power_off_through_ipmi_sim(preset, ipmi_sim):
    w = world_for(preset, ipmi_sim)
    try:
        assert w.boot() is True
        r = w.request(0x00, 0x02, b"\x05")           # Chassis Control: soft shutdown (ACPI)
        assert r.ok
        assert w.extern.controls[-1][1] == "GRACEFUL_SHUTDOWN"
        assert w.host.power_events[-1][1] == "soft-shutdown"
        w.sim.run(until=w.sim.now + s(10))
        assert w.host.power_on_state is False      # the OS shut down and powered off
    finally:
        w.extern.close()
    w = world_for(preset, ipmi_sim)
    try:
        assert w.boot() is True
        w.request(0x00, 0x02, b"\x00", limit=s(30))  # Chassis Control: power down
        assert "POWEROFF" in [c for _, c in w.extern.controls]
        assert w.host.power_on_state is False
    finally:
        w.extern.close()


@pytest.mark.parametrize("preset", INTERFACES)
def test_watchdog_from_ipmi_sim_raises_attention_then_resets_the_host(preset, ipmi_sim):
    w = world_for(preset, ipmi_sim)
    try:
        assert w.boot() is True
        # SMS/OS timer, hard reset, messaging-interrupt pre-timeout 1 s before a 1.5 s countdown: ipmi_sim
        # sends ATTN at the pre-timeout, RESET at expiry.  (ipmi_sim 2.0.33 refuses an NMI pre-timeout
        # with 0xCC whatever the VM's capabilities, so NMI is covered by tests/test_vm_extern.py.)
        assert w.request(0x06, 0x24, bytes((0x04, 0x31, 1, 0x00, 15, 0))).ok
        assert w.request(0x06, 0x22).ok
        t0 = w.sim.now
        # ipmi_sim's watchdog runs on wall time: service the socket while it counts down.
        deadline = time.monotonic() + 5
        while "RESET" not in [c for _, c in w.extern.controls] and time.monotonic() < deadline:
            time.sleep(0.05)
            w.extern.service()
            w.sim.run(until=w.sim.now + ms(10))
        names = [c for _, c in w.extern.controls]
        assert "ATTN" in names or "ATTN_IRQ" in names
        assert names.index("RESET") > max(i for i, c in enumerate(names) if c.startswith("ATTN"))
        assert any(e == "hard-reset" for t, e in w.host.power_events if t >= t0)
        w.sim.run_process(w.host.wait_ready(), limit=s(30))
        assert w.request(0x06, 0x01).data[:11] == SIM_DEVICE_ID
    finally:
        w.extern.close()


@pytest.mark.parametrize("preset", INTERFACES)
def test_killing_ipmi_sim_mid_request_then_restarting_it(preset, ipmi_sim):
    w = world_for(preset, ipmi_sim, trace=True, wall_timeout=0.5)
    try:
        assert w.boot() is True
        assert w.request(0x06, 0x01).data[:11] == SIM_DEVICE_ID

        # A BMC that stops answering: 0xC3 four simulated seconds after the request.
        ipmi_sim.pause()
        r = w.request(0x06, 0x01, limit=s(30))
        if preset == "smbus-ipmi":
            # QEMU's smbus-ipmi trap: ipmi_ssif reads a jiffy later and gets the previous block again,
            # well formed -- the last Get Device ID's answer, taken for this one (bmc/ssif_ideal.py).
            assert r.cc == 0 and r.data[:11] == SIM_DEVICE_ID and r.elapsed < ms(10)
            w.sim.run(until=w.sim.now + s(5))                          # the late 0xC3 lands in the device
        else:
            assert r.cc == 0xC3 and s(4) <= r.elapsed < s(4) + ms(50)
        assert w.extern.connected

        # Killed while a request is outside: 0xD2 for it, then 0xD2 at once while it is gone.
        w.extern.config = replace(w.extern.config, wall_timeout=3.0)   # the kill lands mid-request
        killer = threading.Timer(0.2, ipmi_sim.kill)
        killer.start()
        r = w.request(0x06, 0x01, limit=s(30))
        killer.join()
        assert r.cc in (0xD2, 0xC3)
        assert r.cc == 0xD2, "the kill closed the socket while the request was outside"
        assert not w.extern.connected
        r = w.request(0x06, 0x01, limit=s(30))
        assert r.cc == 0xD2 and r.elapsed < ms(5)

        # Restart it; the simulation carries on and reconnects on its own back-off.
        ipmi_sim.start()
        t0 = w.sim.now
        w.sim.run(until=t0 + s(11))
        assert w.extern.connected
        assert w.extern.stats["connects"] == 2
        assert w.request(0x06, 0x01).data[:11] == SIM_DEVICE_ID
        entries = tool(w, "sdr", "list").rows
        assert any(row[0] == "Temp1" for row in entries)
    finally:
        w.extern.close()


def test_link_faults_against_ipmi_sim_garbage_is_survived_and_a_cut_link_reconnects(ipmi_sim):
    from scenarios.faults import LinkFault, Schedule, inject
    w = world_for("isa-ipmi-kcs", ipmi_sim, trace=True)
    try:
        assert w.boot() is True
        garbage, cut = inject(w, LinkFault("garbage", length=40, schedule=Schedule(count=2)),
                              LinkFault("disconnect", schedule=Schedule(after=w.sim.now + s(1), count=1)))
        for _ in range(2):
            assert w.request(0x06, 0x01).data[:11] == SIM_DEVICE_ID        # ipmi_sim's answer survives the junk
        assert garbage.acted == 2 and w.extern.connected
        w.sim.run(until=w.sim.now + s(1))
        r = w.request(0x06, 0x01, limit=s(30))
        assert r.cc == 0xD2 and cut.acted == 1 and not w.extern.connected
        w.sim.run(until=w.sim.now + s(2))                                  # the client's back-off, then reconnect
        assert w.extern.connected and w.extern.stats["connects"] == 2
        assert w.request(0x06, 0x01).data[:11] == SIM_DEVICE_ID
    finally:
        w.extern.close()
