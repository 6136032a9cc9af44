"""``ipmilab run``: ipmitool commands on the simulated host, printed like ipmitool, or as JSON."""

from __future__ import annotations

import json

import pytest

from scenarios.cli import main


def run(capsys, *argv):
    rc = main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


def test_mc_info_text_is_ipmitools_and_timing_goes_to_stderr(capsys):
    rc, out, err = run(capsys, "run", "--", "mc", "info")
    assert rc == 0 and err == ""
    assert out.startswith("Device ID                 : 32\nDevice Revision           : 0\n")
    assert "Additional Device Support :\n    Sensor Device\n    SDR Repository Device\n" in out
    rc, out2, err = run(capsys, "run", "--timing", "--", "mc", "info")
    assert rc == 0 and out2 == out
    assert err.startswith("mc info: 4 requests, took ") and "of simulated time" in err


def test_pretty_view_keeps_the_table(capsys):
    rc, out, _ = run(capsys, "run", "--pretty", "--", "sdr", "list")
    assert rc == 0 and "name" in out and "reading" in out and "Inlet Temp" in out and "requests, took" in out


def test_json_is_one_object_with_bytes_and_times(capsys):
    rc, out, _ = run(capsys, "run", "--json", "--", "mc", "info")
    assert rc == 0
    result = json.loads(out)
    assert result["ok"] is True and result["preset"] == "isa-ipmi-kcs" and result["command"] == "mc info"
    assert result["data"]["device_id"] == 0x20 and result["data"]["ipmi_version"] == "2.0"
    assert result["stdout"].startswith("Device ID                 : 32\n") and result["stderr"] == ""
    *_, req = result["requests"]
    assert req["request"] == "18 01" and req["response"] == "1C 01 00 20 00 00 00 02 8F 00 00 00 00 00"
    assert result["elapsed_ns"] == result["requests"][-1]["t_done_ns"] - result["requests"][0]["t_sent_ns"]


@pytest.mark.parametrize("preset", ["isa-ipmi-kcs", "ast2600"])
def test_fru_print_on_each_preset(capsys, preset):
    rc, out, _ = run(capsys, "run", "--preset", preset, "--", "fru", "print")
    assert rc == 0
    for text in ("Builtin FRU Device (ID 0)", "Rack Mount Chassis", "Board Mfg Date", "Mon Jan 15 08:30:00 2024",
                 "IPL-1U Virtual Server", "LAB-0001"):
        assert text in out


def test_raw_and_its_failure(capsys):
    rc, out, _ = run(capsys, "run", "--", "raw", "0x06", "0x01")
    assert rc == 0 and out == " 20 00 00 00 02 8f 00 00 00 00 00\n"
    rc, out, err = run(capsys, "run", "--", "raw", "0x06", "0x2e")
    assert rc == 1 and out == "" and err == ("Unable to send RAW command (channel=0x0 netfn=0x6 lun=0x0 cmd=0x2e "
                                             "rsp=0xc7): Request data length invalid\n")
    rc, out, _ = run(capsys, "run", "--json", "--", "raw", "0x06", "0x7F")
    result = json.loads(out)
    assert rc == 1 and result["ok"] is False and result["data"]["cc"] == 0xC1


def test_chassis_and_watchdog(capsys):
    rc, out, _ = run(capsys, "run", "--", "chassis", "status")
    assert rc == 0 and "System Power" in out and "on" in out
    rc, out, _ = run(capsys, "run", "--", "chassis", "bootdev", "pxe")
    assert rc == 0 and out == "Set Boot Device to pxe\n"
    rc, out, err = run(capsys, "run", "--", "chassis", "bootdev", "usb")
    assert rc == 1 and out == "" and err == "Invalid argument: usb\n"        # after two requests, as ipmitool
    rc, out, _ = run(capsys, "run", "--json", "--", "mc", "watchdog", "get")
    assert rc == 0 and json.loads(out)["data"]["running"] is False


def test_sel_info_and_list(capsys):
    rc, out, _ = run(capsys, "run", "--", "sel", "info")
    assert rc == 0 and out.startswith("SEL Information\nVersion          : 1.5 (v1.5, v2 compliant)\n")
    assert "Free Space       : 2048 bytes \n" in out
    rc, out, err = run(capsys, "run", "--", "sel", "list")
    assert rc == 0 and out == "" and err == "SEL has no entries\n"


def test_config_file(capsys, tmp_path):
    cfg = tmp_path / "w.toml"
    cfg.write_text('[bmc]\nproduct_id = 0x1234\nmanufacturer_id = 343\n')
    rc, out, _ = run(capsys, "run", "--config", str(cfg), "--json", "--", "mc", "info")
    assert rc == 0
    data = json.loads(out)["data"]
    assert data["product_id"] == 0x1234 and data["manufacturer_id"] == 343


def test_bad_config_names_path_and_value(capsys, tmp_path):
    cfg = tmp_path / "w.toml"
    cfg.write_text('[bmc]\nproduct_id = "big"\n')
    rc, _, err = run(capsys, "run", "--config", str(cfg), "--", "mc", "info")
    assert rc == 1 and "bmc.product_id" in err and "'big'" in err


@pytest.mark.parametrize(("argv", "word"), [
    (["run", "--", "sdr", "lst"], "'sdr lst'"),
    (["run", "--", "chassis", "power", "sideways"], "'sideways'"),
    (["run", "--", "raw", "0x06", "zz"], "'zz'"),
    (["run"], "no command"),
])
def test_bad_command_exits_2_naming_the_word(capsys, argv, word):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    assert word in capsys.readouterr().err


def test_preset_and_config_exclude_each_other(capsys, tmp_path):
    with pytest.raises(SystemExit) as exc:
        main(["run", "--preset", "ast2600", "--config", str(tmp_path / "x.toml"), "--", "mc", "info"])
    assert exc.value.code == 2


def test_help_lists_the_commands(capsys):
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    out = capsys.readouterr().out
    assert "sdr [list|elist" in out and "raw NETFN CMD" in out and "fru [print [ID]]" in out
    assert "--timing" in out and "--pretty" in out


def test_sdr_and_sensor_list_show_the_default_server(capsys):
    rc, out, _ = run(capsys, "run", "--", "sdr", "list")
    assert rc == 0
    lines = out.splitlines()
    assert lines[0] == "Inlet Temp       | 24 degrees C      | ok" and "BMC" not in out
    assert "3.3V             | 3.30 Volts        | ok" in lines and "PSU1 Status      | 0x01              | ok" in lines
    rc, out, _ = run(capsys, "run", "--", "sdr", "list", "mcloc")
    assert out == "BMC              | Dynamic MC @ 20h  | ok\n"
    rc, out, _ = run(capsys, "run", "--", "sensor", "list")
    assert rc == 0
    line = next(ln for ln in out.splitlines() if ln.startswith("Inlet Temp"))
    # No width limit: every threshold column is there, as ipmitool prints it, on an 80-column terminal too.
    assert line == ("Inlet Temp       | 24.000     | degrees C  | ok    | na        | 0.000     | 5.000     | "
                    "40.000    | 45.000    | 50.000    ")


def test_sensor_list_from_a_config(capsys, tmp_path):
    cfg = tmp_path / "w.toml"
    cfg.write_text("""
[[sensors]]
number = 7
name = "Coolant"
type = "temperature"
units = "degrees C"
model = { kind = "constant", value = 31.0 }
thresholds = { upper_critical = 70.0 }
""")
    rc, out, _ = run(capsys, "run", "--config", str(cfg), "--json", "--", "sensor", "list")
    assert rc == 0
    (sensor,) = json.loads(out)["data"]["sensors"]
    assert sensor["name"] == "Coolant" and sensor["value"] == 31.0 and sensor["thresholds"] == {"ucr": 70.0}


def test_raw_of_a_command_the_message_handler_owns_fails_like_ipmitool(capsys):
    # i_ipmi_req_sysintf refuses Get Message with EINVAL; ipmitool's open interface prints lperror's line.
    rc, out, err = run(capsys, "run", "--", "raw", "0x06", "0x33")
    assert rc == 1 and out == ""
    assert err == ("Unable to send command: Invalid argument\n"
                   "Unable to send RAW command (channel=0x0 netfn=0x6 lun=0x0 cmd=0x33)\n")


def test_latency_is_deterministic_and_polled_full_stack_kcs_stays_in_its_band(capsys):
    from buses.time import ms
    from scenarios.cli import main

    runs = []
    for _ in range(2):
        assert main(["latency", "--json", "--count", "20", "--presets", "ast2600"]) == 0
        runs.append(json.loads(capsys.readouterr().out))
    assert runs[0] == runs[1]
    (row,) = [r for r in runs[0]["rows"] if r["interface"] == "kcs" and not r["irq"]
              and r["workload"] == "get_device_id"]
    # reference/linux-ipmi.md 6: 3.5 ms (kipmid spinning) .. 10.5 ms (usleep_range 100-200)
    assert ms(3.5) <= row["min_ns"] <= row["max_ns"] <= ms(10.5) and row["failed"] == 0
