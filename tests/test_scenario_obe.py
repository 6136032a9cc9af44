from buses.time import ms, us
from scenarios import obe_stall


def test_host_reading_within_the_busy_poll_keeps_bytes_flowing():
    r = obe_stall.run(read_delay=us(50), nbytes=4)
    assert r.slow_path == 0
    assert all(i < us(100) for i in r.intervals)


def test_host_reading_after_100us_costs_500ms_per_byte():
    r = obe_stall.run(read_delay=us(150), nbytes=4)
    assert r.slow_path == 4
    # mod_timer(jiffies + HZ/2): the timer lands on the BMC's jiffy grid (HZ=100: 10 ms), so a byte
    # waits 500 ms less the part of its jiffy already gone.
    assert all(ms(490) < i <= ms(500) for i in r.intervals)


def test_npcm7xx_has_a_real_obe_interrupt_so_a_late_reader_never_stalls():
    r = obe_stall.run(read_delay=us(150), nbytes=4, soc="npcm7xx")
    assert r.slow_path == 0
    # The next byte goes once the host has read (150 us after it saw OBF, on a 10 us poll) plus
    # the interrupt's latency: never the 500 ms of the ASPEED fallback timer.
    assert all(us(150) < i < us(200) for i in r.intervals)


def test_the_stall_scenario_is_deterministic():
    a = obe_stall.run(read_delay=us(120), nbytes=3, trace=True)
    b = obe_stall.run(read_delay=us(120), nbytes=3, trace=True)
    assert a == b


def test_cli_scenario_obe_stall(capsys):
    import json

    import pytest

    from scenarios.cli import main

    assert main(["scenario", "obe-stall", "--read-delay", "150us", "--bytes", "3", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["slow_path"] == 3 and all(ms(490) < i <= ms(500) for i in out["intervals_ns"])
    assert main(["scenario", "obe-stall", "--soc", "npcm7xx", "--bytes", "3", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["slow_path"] == 0
    with pytest.raises(SystemExit) as exc:
        main(["scenario", "obe-stall", "--read-delay", "5xs"])
    assert exc.value.code == 2 and "argument --read-delay: '5xs'" in capsys.readouterr().err
