"""``ipmilab serve --vm`` against a real QEMU and a real Linux guest (slow, real peers).

For each of QEMU's ``isa-ipmi-kcs``, ``isa-ipmi-bt``, ``pci-ipmi-kcs``, ``pci-ipmi-bt`` and ``smbus-ipmi`` (q35)
behind ``ipmi-bmc-extern``, one guest boots (TCG) against a fresh
``ipmilab serve --vm 127.0.0.1:0``: the Debian kernel's driver must bind,
every ipmitool check must pass, and ``chassis power off`` from inside the
guest must end the QEMU process (the server's POWEROFF control).  The guest
is built and run by ``tests/peers/guest/qemu_guest.py``; the same runs are
``python tests/peers/guest/run.py`` by hand.
"""

from __future__ import annotations

import pytest

from tests.peers.guest.qemu_guest import CHECKS, INTERFACES, GuestRun, ServeProcess, missing, run_guest

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(missing() is not None, reason=f"{missing()}; tests/peers/install.sh installs it"),
]

GUEST_TIMEOUT_S = 240   # per interface; a TCG run takes about 15 s on a 2-core machine


@pytest.fixture(scope="module", params=list(INTERFACES))
def guest(request, tmp_path_factory) -> tuple[GuestRun, list[str]]:
    """One guest run per interface, shared by the checks below; returns it with the server's log."""
    name = request.param
    with ServeProcess("--interface", INTERFACES[name].serve_interface) as srv:
        run = run_guest(name, srv.port, tmp_path_factory.mktemp(name), timeout=GUEST_TIMEOUT_S)
    print("\n" + run.summary())
    return run, srv.log


def _context(run: GuestRun, log: list[str]) -> str:
    tail = "\n".join(run.console[-40:])
    return f"\n{run.summary()}\n--- server log ---\n" + "\n".join(log) + f"\n--- guest console (tail) ---\n{tail}"


def test_driver_binds(guest):
    run, log = guest
    assert run.bound, "/dev/ipmi0 never appeared" + _context(run, log)
    assert run.driver is not None, f"not bound by the expected driver ({INTERFACES[run.interface].bound!r})" + \
        _context(run, log)


@pytest.mark.parametrize("check", [c.name for c in CHECKS])
def test_ipmitool(guest, check):
    run, log = guest
    result = run.checks[check]
    assert result.ok, f"ipmitool {check}: {result.why}\n" + "\n".join(result.output) + _context(run, log)


def test_chassis_power_off_ends_qemu(guest):
    run, log = guest
    assert not run.timed_out, "QEMU had to be killed" + _context(run, log)
    assert run.poweroff_requested_s is not None, "the guest never asked for power off" + _context(run, log)
    assert run.poweroff_worked, "QEMU kept running after chassis power off" + _context(run, log)
    assert any("sent POWEROFF to the VM" in line for line in log), _context(run, log)
    assert run.qemu_exit_s - run.poweroff_requested_s < 15


def test_bmc_controls_take_effect_in_qemu(tmp_path):
    """Chassis Control hard reset, diagnostic interrupt and soft shutdown reach QEMU as VM commands (KCS guest)."""
    with ServeProcess("--interface", "kcs") as srv:
        run = run_guest("isa-ipmi-kcs", srv.port, tmp_path, timeout=GUEST_TIMEOUT_S, mode="controls")
    print("\n" + run.summary())
    assert run.controls_ok, _context(run, srv.log)
    for sent in ("sent RESET to the VM", "sent SEND_NMI to the VM", "sent GRACEFUL_SHUTDOWN to the VM"):
        assert any(sent in line for line in srv.log), sent + _context(run, srv.log)
