"""The console-only host (vserver/console_host.py) and the serial line it talks over (buses/uart.py)."""

import pytest

from bmc.ipmi.cc import IpmiError
from buses.sim import Simulation
from buses.time import S, ms
from buses.uart import UartTx, char_end
from tests.sol_helpers import LAN, ask, world
from vserver.console_host import BOOT_LOG, LOGIN_AT, LOGIN_PROMPT, ConsoleHost


def listen(host):
    got = []
    host.console.host_output_listeners.append(lambda b, t: got.append((t, b)))
    return got


@pytest.mark.parametrize("rate", [9600, 19200, 115200])
def test_each_character_takes_ten_bit_times(rate):
    sim = Simulation()
    got = []
    tx = UartTx(sim, rate, lambda b, t: got.append((t, b)))
    tx.write(b"abcd", 0)
    sim.run(until=S)
    assert [t for t, _ in got] == [-(-n * 10 * S // rate) for n in (1, 2, 3, 4)]
    assert bytes(b for _, b in got) == b"abcd"


def test_long_bursts_do_not_drift():
    sim = Simulation()
    got = []
    UartTx(sim, 115200, lambda b, t: got.append(t)).write(bytes(11520), 0)
    sim.run(until=2 * S)
    assert got[-1] == S                                 # 11520 characters of 10 bits at 115200: one second exactly


def test_boot_log_and_login_prompt_at_the_bit_rate():
    sim = Simulation()
    host = ConsoleHost(sim, bit_rate=9600)
    got = listen(host)
    host.power_on(ms(5))
    sim.run(until=10 * S)
    text = bytes(b for _, b in got).decode()
    assert text == "".join(line for _, line in BOOT_LOG) + LOGIN_PROMPT
    first = BOOT_LOG[0][1]
    assert [t for t, _ in got[:len(first)]] == [char_end(ms(5), n, 9600) for n in range(1, len(first) + 1)]
    second_at = ms(5) + BOOT_LOG[1][0]
    assert got[len(first)][0] == char_end(second_at, 1, 9600)   # the first line was out before the second began
    assert host.state == "login"


def test_bit_rate_follows_the_sol_volatile_bit_rate():
    sim, bmc, ipmid, host = world()
    assert host.console.bit_rate == 115200
    assert ask(ipmid, f"30 21 {LAN:02X} 06 07")[2] == 0          # 19.2k
    assert host.console.bit_rate == 19200
    got = listen(host)
    host.power_on(0)
    sim.run(until=ms(10))
    assert got[0][0] == char_end(0, 1, 19200)


def test_power_off_silences_the_port_and_reset_boots_again():
    sim = Simulation()
    host = ConsoleHost(sim)
    events = []
    host.power_listeners.append(lambda e, t, src: events.append((e, t, src)))
    got = listen(host)
    host.power_on(0)
    sim.run(until=ms(310))
    host.power_off(sim.now)
    n = len(got)
    sim.run(until=5 * S)
    assert len(got) == n and host.state == "off"     # the rest of the boot log never comes
    host.power_on(5 * S)
    sim.run(until=6 * S)
    host.hard_reset(6 * S)
    sim.run(until=10 * S)
    text = bytes(b for t, b in got if t >= 6 * S).decode()
    assert text == "".join(line for _, line in BOOT_LOG) + LOGIN_PROMPT
    assert [e for e, _, _ in events] == ["on", "off", "on", "reset"]


def test_every_host_control_op():
    sim = Simulation()
    host = ConsoleHost(sim)
    for op in ("power_cycle", "hard_reset", "pulse_diag_interrupt", "soft_shutdown", "nmi", "smi"):
        with pytest.raises(IpmiError) as err:
            getattr(host, op)(0)
        assert err.value.cc == 0xD5
    host.check("power_on")
    host.power_on(0)
    sim.run(until=3 * S)
    host.nmi(sim.now)
    host.pulse_diag_interrupt(sim.now)
    host.smi(sim.now)
    assert len(host.nmis) == 2 and len(host.smis) == 1
    host.power_cycle(3 * S)
    assert not host.power_on_state
    sim.run(until=4 * S + 1)
    assert host.power_on_state                        # back after the 1 s interval
    sim.run(until=8 * S)
    host.soft_shutdown(8 * S)
    sim.run(until=10 * S)
    assert not host.power_on_state
    assert [w for _, w in host.power_events] == ["power-on", "nmi", "diag-interrupt", "smi", "power-cycle",
                                                 "power-on", "soft-shutdown", "power-off"]


def type_in(sim, host, text: bytes, at: int):
    for i, b in enumerate(text):
        sim.call_at(at + i * ms(1), host.console.receive, b, at + i * ms(1))


def test_the_tiny_shell():
    sim = Simulation()
    host = ConsoleHost(sim, power_on=True)
    got = listen(host)
    sim.run(until=LOGIN_AT + S)
    type_in(sim, host, b"admin\rpw\recho hi there\runame\rfoo\x7f\x7fo\rexit\r", sim.now)
    sim.run(until=LOGIN_AT + 3 * S)
    text = bytes(b for _, b in got).decode()
    tail = text[text.index(LOGIN_PROMPT):]
    assert tail == (LOGIN_PROMPT + "admin\r\nPassword: \r\nLinux ipmilab 6.1.0-ipmilab x86_64\r\n\r\n"
                    "admin@ipmilab:~$ echo hi there\r\nhi there\r\n"
                    "admin@ipmilab:~$ uname\r\nLinux\r\n"
                    "admin@ipmilab:~$ foo\b \b\b \bo\r\n-sh: fo: command not found\r\n"
                    "admin@ipmilab:~$ exit\r\nlogout\r\n\r\n" + LOGIN_PROMPT)


def test_reboot_from_the_shell_is_an_os_reset():
    sim = Simulation()
    host = ConsoleHost(sim, power_on=True)
    events = []
    host.power_listeners.append(lambda e, t, src: events.append((e, src)))
    sim.run(until=LOGIN_AT + S)
    type_in(sim, host, b"u\rp\rreboot\r", sim.now)
    sim.run(until=LOGIN_AT + 5 * S)
    assert events == [("reset", "os")] and host.power_on_state
