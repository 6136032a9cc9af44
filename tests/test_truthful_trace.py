"""A truthful trace: the bus layer on every preset, causes before effects, the start-up finished
before the first command (interrupt-driven from it with ``--irq``), skipped polls on request."""

from __future__ import annotations

import pytest

from bmc.ipmi.cmd import App
from bmc.ipmi.netfn import NetFn
from scenarios.cli import main
from scenarios.presets import PRESETS
from scenarios.world import World

WORLDS = [(name, si.kind) for name, p in PRESETS.items() for si in p.interfaces]
IRQ_WORLDS = [(name, kind) for name, kind in WORLDS if kind != "ssif"]
IPMI_BMC_RCV_MSG_INTR = 0x01


def _one_command(preset, kind, **kw):
    w = World(preset, interface=kind, trace=True, **kw)
    assert w.boot()
    w.sim.tracer.clear()
    r = w.request(NetFn.APP, App.GET_DEVICE_ID)
    assert r.ok
    return w, w.sim.tracer.records


@pytest.mark.parametrize(("preset", "kind"), WORLDS)
def test_bus_layer_on_every_preset(preset, kind):
    """Port cycles (ISA, LPC, PCI BARs), SoC MMIO or SMBus conditions: every preset has bus records."""
    w, records = _one_command(preset, kind)
    bus = [r for r in records if r.layer == "bus"]
    assert bus, "no bus records"
    events = {r.event for r in bus}
    if kind == "ssif":
        assert {"start", "stop"} <= events
    else:
        assert {"io-read", "io-write"} <= events
        ports = {dict(r.fields)["port"] for r in bus if r.event.startswith("io-")}
        assert ports & {f"0x{w.device.addr + i:04X}" for i in range(3)}     # the interface's own ports
    if w.soc is not None and kind != "ssif":
        assert "mmio-read" in events and "mmio-write" in events


def test_a_cycle_comes_before_the_register_it_reaches():
    _w, records = _one_command("isa-ipmi-kcs", "kcs")
    for i, r in enumerate(records):
        if r.layer == "reg" and r.event.startswith("host-"):
            assert records[i - 1].layer == "bus" and records[i - 1].t == r.t, r.format()


@pytest.mark.parametrize(("preset", "kind"), IRQ_WORLDS)
def test_causes_precede_effects(preset, kind):
    """At one instant the access comes before the interrupt edge it causes, and ipmi_si starts a
    message before its state machine reports starting it."""
    _w, records = _one_command(preset, kind, use_irq=True)
    for a, b in zip(records, records[1:], strict=False):
        if a.t != b.t:
            continue
        # An edge, then the access that moved it (a read that cleared OBF/IBF, a W1C status write).
        assert not (a.layer == "irq" and a.event == "deassert" and b.layer == "reg"
                    and (b.event.endswith("-rd-ODR") or b.event.endswith("-rd-IDR") or "BT_CR2" in b.event)), \
            f"{a.format()}\n{b.format()}"
        assert not (a.layer == "drv" and a.event == "start" and b.layer == "si" and b.event == "start-msg")


@pytest.mark.parametrize(("preset", "kind"), IRQ_WORLDS)
def test_irq_runs_are_interrupt_driven_from_the_first_command(preset, kind):
    """boot() returns after the enables check that turns the interrupts on (Linux's req_events)."""
    w = World(preset, interface=kind, trace=True, use_irq=True)
    assert w.boot()
    assert w.host.si.si_state.value == "normal" and not w.host.si.req_events
    w.sim.tracer.clear()
    r = w.request(NetFn.APP, App.GET_BMC_GLOBAL_ENABLES)
    assert r.data[0] & IPMI_BMC_RCV_MSG_INTR
    assert w.host.si.stats["interrupts"] or any(rec.layer == "irq" and rec.event == "assert"
                                                for rec in w.sim.tracer.records)


def test_demo_irq_shows_the_receive_interrupt_enabled(capsys):
    assert main(["demo", "--irq"]) == 0
    out = capsys.readouterr().out
    line = next(ln for ln in out.splitlines() if ln.lstrip().startswith("Get BMC Global"))
    assert "1C 2F 00 0F" in line


def test_show_polls_adds_the_skipped_polls_and_keeps_the_timing(capsys):
    assert main(["trace", "--raw", "--preset", "ast2600"]) == 0
    plain = capsys.readouterr().out.splitlines()
    assert main(["trace", "--raw", "--preset", "ast2600", "--show-polls"]) == 0
    shown = capsys.readouterr().out.splitlines()
    assert len(shown) > len(plain)
    assert plain[-1] == shown[-1]                      # the same response at the same instant
    assert set(plain) <= set(shown)
