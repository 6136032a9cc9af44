"""VCD waveforms from a trace (scenarios/vcd_export.py), read back with an independent VCD reader (vcdvcd)."""

import signal

import pytest

_SIGPIPE = signal.getsignal(signal.SIGPIPE)
import vcdvcd  # noqa: E402  (it sets SIGPIPE to the default on import: a closed socket would kill pytest)

signal.signal(signal.SIGPIPE, _SIGPIPE)

from scenarios.cli import main  # noqa: E402
from scenarios.scenario import boot  # noqa: E402
from scenarios.vcd_export import write_vcd  # noqa: E402


def edges(tv):
    """The times a signal's value changes, from its first known value on."""
    out, last = [], None
    for t, v in tv:
        if v in ("x", "bx") or v == last:
            continue
        if last is not None:
            out.append((t, v))
        last = v
    return out


def expected_edges(records, component, bit):
    """The same, from the trace itself: each register record's status after the access."""
    out, last = [], None
    for r in sorted(records, key=lambda rec: rec.t):
        f = dict(r.fields)
        if r.layer != "reg" or r.component != component:
            continue
        if "STR" in f:
            v = dict(kv.split("=", 1) for kv in f["STR"].split() if "=" in kv).get(bit)
        elif "CTRL" in f:
            v = "1" if bit in f["CTRL"].split() else "0"
        else:
            continue
        if v is None or v == last:
            continue
        if last is not None:
            out.append((r.t, v))
        last = v
    return out


def traced_request(preset, interface=None):
    w = boot(preset, interface=interface, trace=True)
    n0 = len(w.sim.tracer.records)
    assert w.request(0x06, 0x01).cc == 0
    return w.sim.tracer.records[n0:]


@pytest.mark.parametrize("preset", ["isa-ipmi-kcs", "pci-ipmi-kcs", "ast2500", "ast2600", "npcm7xx"])
def test_kcs_ibf_and_obf_edges_are_the_traces_to_the_nanosecond(preset, tmp_path):
    records = traced_request(preset)
    path = tmp_path / "kcs.vcd"
    assert write_vcd(records, path) > 0
    vcd = vcdvcd.VCDVCD(str(path))
    comp = next(r.component for r in records if r.layer == "reg")
    for bit in ("IBF", "OBF"):
        got = edges(vcd[f"{comp}.{bit}"].tv)
        assert got == expected_edges(records, comp, bit) and len(got) >= 30, bit   # 16 bytes out, 14 back
    states = {int(v, 2) for _, v in vcd[f"{comp}.STATE"].tv if "x" not in v}
    assert states == {0, 1, 2}                                        # IDLE, READ, WRITE (S1:S0)


def test_the_lpc_interrupt_line_follows_its_records(tmp_path):
    records = traced_request("ast2600")
    path = tmp_path / "irq.vcd"
    write_vcd(records, path)
    vcd = vcdvcd.VCDVCD(str(path))
    irq = [(r.t, "1" if r.event == "assert" else "0") for r in records if r.layer == "irq"]
    comp = next(r.component for r in records if r.layer == "irq")
    assert irq[0][1] == "1" and len(irq) == 36                        # 18 IBF interrupts, each up and down
    assert edges(vcd[f"{comp}.level"].tv) == irq[1:]                  # from the first assert on


@pytest.mark.parametrize("preset", ["isa-ipmi-bt", "ast2600"])
def test_bt_ctrl_bits_and_buffer_bytes(preset, tmp_path):
    records = traced_request(preset, "bt")
    path = tmp_path / "bt.vcd"
    write_vcd(records, path)
    vcd = vcdvcd.VCDVCD(str(path))
    comp = next(r.component for r in records if r.layer == "reg")
    for bit in ("H2B_ATN", "B2H_ATN", "H_BUSY"):
        assert edges(vcd[f"{comp}.{bit}"].tv) == expected_edges(records, comp, bit), bit
    read = [int(dict(r.fields)["value"], 16) for r in records if r.event == "host-rd-BMC2HOST"]
    values = [int(v, 2) for _, v in vcd[f"{comp}.BMC2HOST"].tv if v not in ("x", "bx")]
    assert values[0] == read[0] == 0x0F and set(values) <= set(read)     # the length byte first


def test_smbus_conditions_and_bytes(tmp_path):
    records = traced_request("smbus-ipmi")
    path = tmp_path / "ssif.vcd"
    write_vcd(records, path)
    vcd = vcdvcd.VCDVCD(str(path))
    comp = next(r.component for r in records if r.layer == "bus")
    sent = [int(dict(r.fields)["byte"], 16) for r in records if r.layer == "bus" and "byte" in dict(r.fields)]
    values = [int(v, 2) for _, v in vcd[f"{comp}.byte"].tv if "x" not in v]
    assert values[:2] == [0x10, 0x02] and set(values) <= set(sent) | {0x10}      # address, then SMBus cmd
    # String signals (the reader above skips them): the conditions in the file's own lines.
    text = path.read_text()
    assert "sstart " in text and "srestart " in text and "sstop " in text


def test_the_same_trace_gives_the_same_file_and_the_commands_write_it(tmp_path, capsys):
    a, b = tmp_path / "a.vcd", tmp_path / "b.vcd"
    write_vcd(traced_request("ast2600"), a)
    write_vcd(traced_request("ast2600"), b)
    assert a.read_bytes() == b.read_bytes()
    c = tmp_path / "c.vcd"
    assert main(["trace", "--preset", "isa-ipmi-kcs", "--raw", "--vcd", str(c)]) == 0
    assert "IBF" in c.read_text()
    d = tmp_path / "d.vcd"
    assert main(["races", "run", "H-9", "--vcd", str(d)]) == 1 and "B2H_ATN" in d.read_text()
    capsys.readouterr()
    assert main(["trace", "--vcd", str(tmp_path / "no" / "such" / "dir.vcd")]) == 1
    assert "--vcd" in capsys.readouterr().err
