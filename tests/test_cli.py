"""The ``ipmilab`` command line, run in-process: what a user types and reads."""

import json

import pytest

from scenarios.cli import main, mc_info_lines
from scenarios.presets import PRESETS

GOLDEN_DEVICE_ID = "1C 01 00 20 00 00 00 02 8F 00 00 00 00 00"   # the default server (QEMU's, plus FRU and chassis)
PRESET_KEYS = {"txn_per_s", "events_per_txn", "sim_per_wall", "mean_latency_ns", "response_bytes", "wall_s"}


def run(capsys, *argv):
    rc = main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


EVERY_INTERFACE = [(name, si.kind) for name, p in PRESETS.items() for si in p.interfaces]


@pytest.mark.parametrize("preset,kind", EVERY_INTERFACE, ids=[f"{p}-{k}" for p, k in EVERY_INTERFACE])
def test_demo_shows_exchange_and_decoded_device_id(capsys, preset, kind):
    rc, out, _ = run(capsys, "demo", "--preset", preset, "--interface", kind)
    assert rc == 0
    for name in ("Get Device ID", "Get Device GUID", "Get Self Test Results", "Get BMC Global Enables",
                 "Get Chassis Status"):
        assert name in out
    assert GOLDEN_DEVICE_ID in out
    # Get Device GUID has no GUID configured: its completion code is shown, the run still succeeds.
    assert "0xC1 INVALID_COMMAND" in out
    for line in ("Device ID                 : 32", "Device Revision           : 0",
                 "Firmware Revision         : 0.00", "IPMI Version              : 2.0",
                 "Manufacturer ID           : 0", "Product ID                : 0 (0x0000)",
                 "Device Available          : yes", "Provides Device SDRs      : no",
                 "    Sensor Device", "    SDR Repository Device", "    SEL Device"):
        assert line in out
    assert "booted" in out and "total simulated time" in out


def test_demo_with_irq_and_seed(capsys):
    rc, out, _ = run(capsys, "demo", "--preset", "ast2600", "--irq", "--seed", "7")
    assert rc == 0
    assert "interrupt-driven host" in out
    assert GOLDEN_DEVICE_ID in out


def test_mc_info_decodes_every_field():
    data = bytes.fromhex("81 85 92 34 51 ff 57 01 00 34 12 01 02 03 04")
    lines = mc_info_lines(data)
    assert lines[:8] == [
        "Device ID                 : 129",
        "Device Revision           : 5",
        "Firmware Revision         : 18.34",
        "IPMI Version              : 1.5",
        "Manufacturer ID           : 343",
        "Product ID                : 4660 (0x1234)",
        "Device Available          : no",
        "Provides Device SDRs      : yes",
    ]
    assert "    Chassis Device" in lines and "    Bridge" in lines
    assert lines[-5:] == ["Aux Firmware Rev Info     :", "    0x01", "    0x02", "    0x03", "    0x04"]
    with pytest.raises(ValueError, match="length 3"):
        mc_info_lines(b"\x20\x00\x00")


@pytest.mark.parametrize("preset,kind", EVERY_INTERFACE, ids=[f"{p}-{k}" for p, k in EVERY_INTERFACE])
def test_trace_and_run_work_on_every_preset_and_interface(capsys, preset, kind):
    rc, out, _ = run(capsys, "trace", "--preset", preset, "--interface", kind, "--layers", "drv")
    assert rc == 0 and GOLDEN_DEVICE_ID in out and {"kcs": "kcs_sm", "bt": "bt_sm", "ssif": "ssif"}[kind] in out
    rc, out, _ = run(capsys, "run", "--preset", preset, "--interface", kind, "--", "fru", "print")
    assert rc == 0 and "Product Name" in out


def test_trace_raw_is_plain_records(capsys):
    rc, out, _ = run(capsys, "trace", "--raw")
    assert rc == 0
    lines = out.splitlines()
    assert any(" reg " in ln and "host-wr-CMD" in ln and "value=0x61" in ln for ln in lines)
    assert any(" ipmid " in ln and "dispatch" in ln and GOLDEN_DEVICE_ID in ln for ln in lines)
    assert "\x1b[" not in out  # no colour codes: stable for diffing


def test_trace_raw_is_deterministic_per_seed(capsys):
    first = run(capsys, "trace", "--raw", "--preset", "ast2600", "--seed", "3")[1]
    again = run(capsys, "trace", "--raw", "--preset", "ast2600", "--seed", "3")[1]
    assert first == again


def test_trace_decoded_view(capsys):
    rc, out, _ = run(capsys, "trace", "--preset", "ast2600")
    assert rc == 0
    assert "control code WRITE_START" in out
    assert "READ: next response byte" in out
    assert "data[0] Device ID" in out
    assert "trace digest (sha256)" in out


def test_trace_layers_and_custom_command(capsys):
    rc, out, _ = run(capsys, "trace", "--raw", "--layers", "user,ipmid", "--netfn", "0x06", "--cmd", "0x2E",
                     "--data", "0x0D")
    assert rc == 0
    layers = {ln.split()[1] for ln in out.splitlines()}
    assert layers == {"user", "ipmid"}
    assert "cmd=Set BMC Global Enables cc=0x00 req=[18 2E 0D]" in out


@pytest.mark.parametrize("sub", [None, "demo", "trace", "bench", "presets"])
def test_help(capsys, sub):
    with pytest.raises(SystemExit) as exc:
        main(([sub] if sub else []) + ["--help"])
    assert exc.value.code == 0
    assert "usage: ipmilab" in capsys.readouterr().out


def test_presets_table(capsys):
    rc, out, _ = run(capsys, "presets")
    assert rc == 0
    assert "isa-ipmi-kcs" in out and "ast2600" in out and "0xCA2" in out and "full-stack" in out


def test_bench_json(capsys):
    rc, out, _ = run(capsys, "bench", "--json", "--seconds", "0.05", "--presets", "isa-ipmi-kcs", "ast2600")
    assert rc == 0
    result = json.loads(out)  # stdout is exactly one JSON object
    assert set(result) == {"raw_simpy_events_per_s", "presets", "bt_vs_kcs", "ssif_vs_kcs", "dispatcher", "python",
                           "machine"}
    assert result["dispatcher"]["get_device_id_per_s"] > 0 and result["dispatcher"]["get_sdr_per_s"] > 0
    assert result["raw_simpy_events_per_s"] > 0
    assert set(result["presets"]) == {"isa-ipmi-kcs", "ast2600"}
    assert set(result["presets"]["ast2600"]) == {"fidelity", "bus", "kcs", "bt", "ssif"}
    for name, p in result["presets"].items():
        for kind in ("kcs", "bt") if name == "ast2600" else ("kcs",):
            for workload, r in p[kind].items():
                assert PRESET_KEYS <= set(r), (name, kind, workload)
                assert r["txns"] > 0 and r["failed"] == 0 and r["events_per_txn"] > 0
                assert r["response_bytes"] == {"get_device_id": 14, "read_60": 60}[workload]
    assert set(result["bt_vs_kcs"]) == {"ast2600"} and set(result["ssif_vs_kcs"]) == {"ast2600"}
    assert "simpy_ratio" not in out


@pytest.mark.parametrize(("argv", "option", "value"), [
    (["demo", "--preset", "nope"], "--preset", "nope"),
    (["trace", "--preset", "nope"], "--preset", "nope"),
    (["bench", "--presets", "ast2600", "nope"], "--presets", "nope"),
    (["trace", "--layers", "nope"], "--layers", "nope"),
    (["trace", "--layers", "reg,wires"], "--layers", "wires"),
    (["trace", "--netfn", "0x07", "--cmd", "1"], "--netfn", "0x07"),
    (["trace", "--netfn", "6", "--cmd", "0x100"], "--cmd", "0x100"),
    (["trace", "--data", "xyz"], "--data", "xyz"),
    (["bench", "--seconds", "0"], "--seconds", "0"),
    (["demo", "--seed", "-1"], "--seed", "-1"),
])
def test_bad_input_names_option_and_value(capsys, argv, option, value):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert option in err and repr(value) in err


def test_bad_preset_lists_the_choices(capsys):
    with pytest.raises(SystemExit):
        main(["demo", "--preset", "nope"])
    err = capsys.readouterr().err
    assert "isa-ipmi-kcs" in err and "ast2600" in err


def test_netfn_without_cmd(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["trace", "--netfn", "6"])
    assert exc.value.code == 2
    assert "--cmd" in capsys.readouterr().err
