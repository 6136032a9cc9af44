"""The SOL engine (bmc/sol): activation, host output in packets, acks, duplicates, retries, NACKs, session close."""

from bmc.privilege import Privilege
from bmc.sol import SolPacket
from bmc.sol.packet import (
    OP_BREAK,
    OP_CTS_PAUSE,
    OP_FLUSH_OUTBOUND,
    OP_NACK,
    ST_BREAK,
    ST_CHARACTER_TRANSFER_UNAVAILABLE,
    ST_NACK,
    ST_SOL_DEACTIVATING,
    ST_TRANSMIT_OVERRUN,
)
from buses.time import S, ms
from buses.uart import char_end
from tests.sol_helpers import ACTIVATE, LAN, FakeSession, activate, ask, world

RATE = 115200


def quiet_port(sim, host):
    """Power the console's UART without booting anything: tests write to it directly; inputs are recorded."""
    got = []
    host.console.power(True, 0)
    host.console.input_handler = lambda b, t: got.append((t, b))
    return got


def set_param(ipmid, selector: int, *data: int) -> None:
    body = " ".join(f"{b:02X}" for b in (LAN, selector, *data))
    assert ask(ipmid, f"30 21 {body}")[2] == 0


# -- Activate / Deactivate ---------------------------------------------------------------------------


def test_activate_answers_sizes_port_and_no_vlan():
    sim, bmc, ipmid, _ = world()
    session = FakeSession(sim)
    rsp = ask(ipmid, ACTIVATE, session)
    assert rsp.hex(" ").upper() == "1C 48 00 00 00 00 00 00 01 00 01 6F 02 FF FF"
    assert bmc.sol.active and bmc.sol.session is session
    assert bmc.sol.encrypted and bmc.sol.authenticated


def test_activate_ladder():
    sim, bmc, ipmid, _ = world()
    cc = lambda req, session=None, **kw: ask(ipmid, req, session, **kw)[2]  # noqa: E731
    s = FakeSession(sim)
    assert cc(ACTIVATE) == 0xD5                                             # no session
    assert cc("18 48 02 01 C6 00 00 00", s) == 0xCC                         # payload type OEM explicit
    assert cc("18 48 01 00 C6 00 00 00", s) == 0xCC                         # instance 0
    assert cc("18 48 01 02 C6 00 00 00", s) == 0x82                         # one instance only
    assert cc(ACTIVATE, s, privilege=Privilege.OPERATOR) == 0xD4           # SOL privilege level: Administrator
    plain = FakeSession(sim, encrypted=False)
    assert cc(ACTIVATE, plain) == 0x83                                      # encryption asked, none in the session
    assert cc("18 48 01 01 46 00 00 00", plain) == 0x84                     # parameter 2 forces encryption
    set_param(ipmid, 2, 0x04)                                               # nothing forced
    assert cc("18 48 01 01 46 00 00 00", FakeSession(sim, encrypted=False, authenticated=False)) == 0xCC
    assert cc("18 48 01 01 36 00 00 00", s) == 0xCC                         # reserved bits 5:4
    assert cc("18 48 01 01 CC 00 00 00", s) == 0xCC                         # serial alert behaviour 11b
    set_param(ipmid, 1, 0x00)
    assert cc(ACTIVATE, s) == 0x81                                          # SOL disabled
    set_param(ipmid, 1, 0x01)
    assert ask(ipmid, "18 4C 01 42 02 00 00 00")[2] == 0                    # user 2: SOL payload access off
    assert cc(ACTIVATE, s) == 0xD4
    assert ask(ipmid, "18 4C 01 02 02 00 00 00")[2] == 0
    assert cc(ACTIVATE, s) == 0x00
    assert cc(ACTIVATE, FakeSession(sim, sid=0x02000002)) == 0x80          # already active elsewhere
    assert cc(ACTIVATE, s) == 0x80                                          # ... and in this session


def test_deactivate_tells_the_console_and_frees_the_instance():
    sim, bmc, ipmid, _ = world()
    s = activate(sim, bmc, ipmid)
    assert ask(ipmid, "18 4A 01").hex(" ").upper() == "1C 4A 00 01 01 00"
    assert ask(ipmid, "18 4B 01 01").hex(" ").upper() == "1C 4B 00 01 00 00 02 01 00 00 00 00 00 00 00"
    other = FakeSession(sim, sid=0x02000009)
    assert ask(ipmid, "18 49 01 01 00 00 00 00", other)[2] == 0            # ipmitool sol deactivate: another session
    assert s.sent[-1][1] == SolPacket(flags=ST_SOL_DEACTIVATING | ST_CHARACTER_TRANSFER_UNAVAILABLE)  # host is off
    assert not bmc.sol.active
    assert ask(ipmid, "18 49 01 01 00 00 00 00")[2] == 0x80
    assert ask(ipmid, "18 4A 01").hex(" ").upper() == "1C 4A 00 01 00 00"
    assert ask(ipmid, "18 4B 01 01").hex(" ").upper() == "1C 4B 00 00 00 00 00 01 00 00 00 00 00 00 00"
    assert ask(ipmid, ACTIVATE, FakeSession(sim))[2] == 0                  # free again
    owner = bmc.sol.session
    assert ask(ipmid, "18 49 01 01 00 00 00 00", owner)[2] == 0            # its own ~.: no status packet
    assert not bmc.sol.active and owner.sent == []


def test_session_close_deactivates_silently():
    sim, bmc, ipmid, host = world()
    quiet_port(sim, host)
    s = activate(sim, bmc, ipmid)
    s.closed = True
    bmc.sol.session_closed(s, 0)
    assert not bmc.sol.active and s.sent == []
    host.console.write("late", 0)
    sim.run(until=S)
    assert s.sent == [] and bmc.sol.stats["dropped-host-chars"] == 4


# -- host -> console: accumulate interval, threshold, sequence numbers -----------------------------------


def test_host_line_arrives_after_the_accumulate_interval():
    sim, bmc, ipmid, host = world()
    quiet_port(sim, host)
    set_param(ipmid, 3, 2, 50)                      # 10 ms, 50 characters
    s = activate(sim, bmc, ipmid)
    s.auto_ack = ms(1)
    host.console.write("login: ", 0)
    sim.run(until=S)
    (t, pkt), = s.data_packets()
    first = char_end(0, 1, RATE)
    assert t == first + ms(10)                      # the interval runs from the first character
    assert pkt == SolPacket(1, 0, 0, 0, b"login: ")


def test_send_threshold_sends_before_the_interval():
    sim, bmc, ipmid, host = world()
    quiet_port(sim, host)
    set_param(ipmid, 3, 200, 5)                     # 1 s, 5 characters
    s = activate(sim, bmc, ipmid)
    s.auto_ack = 10_000                             # 10 us: acked before the next character is in
    host.console.write("0123456789ab", 0)
    sim.run(until=3 * S)
    pkts = s.data_packets()
    assert [p.data for _, p in pkts] == [b"01234", b"56789", b"ab"]
    assert [p.seq for _, p in pkts] == [1, 2, 3]
    assert pkts[0][0] == char_end(0, 5, RATE)              # the 5th character completes the threshold
    assert pkts[1][0] == char_end(0, 10, RATE)             # the 10th completes the next
    assert pkts[2][0] == char_end(0, 11, RATE) + ms(1000)  # two left: the interval from the 11th's arrival


def test_sequence_numbers_wrap_from_15_to_1():
    sim, bmc, ipmid, host = world()
    quiet_port(sim, host)
    set_param(ipmid, 3, 1, 1)
    s = activate(sim, bmc, ipmid)
    s.auto_ack = ms(1)
    for i in range(17):
        sim.call_at(i * ms(10), host.console.write, b"x", i * ms(10))
    sim.run(until=S)
    assert [p.seq for _, p in s.data_packets()] == [*range(1, 16), 1, 2]


# -- console -> host: acks, accepted counts, duplicates, NACK -------------------------------------------


def test_inbound_packet_is_acked_with_its_count_and_reaches_the_host_at_the_bit_rate():
    sim, bmc, ipmid, host = world()
    got = quiet_port(sim, host)
    s = activate(sim, bmc, ipmid)
    bmc.sol.on_payload(s, SolPacket(1, 0, 0, 0, b"ls\r").encode(), 0)
    assert s.sent == [(0, SolPacket(0, 1, 3, 0))]
    sim.run(until=S)
    assert got == [(char_end(0, n, RATE), b) for n, b in enumerate(b"ls\r", 1)]


def test_duplicate_is_acked_again_but_not_delivered_twice():
    sim, bmc, ipmid, host = world()
    got = quiet_port(sim, host)
    s = activate(sim, bmc, ipmid)
    raw = SolPacket(3, 0, 0, OP_BREAK, b"abc").encode()
    bmc.sol.on_payload(s, raw, 0)
    bmc.sol.on_payload(s, raw, ms(5))               # the console did not see our ack and resent
    assert [p for _, p in s.sent] == [SolPacket(0, 3, 3, 0)] * 2
    sim.run(until=S)
    assert bytes(b for _, b in got) == b"abc"
    assert host.console.breaks == [0]               # the break of a repeated packet is not sent again
    assert bmc.sol.stats["duplicates"] == 1
    bmc.sol.on_payload(s, SolPacket(4, 0, 0, 0, b"d").encode(), S)
    sim.run(until=2 * S)
    assert bytes(b for _, b in got) == b"abcd"


def test_partial_accept_then_nack_when_the_host_buffer_is_full():
    sim, bmc, ipmid, host = world(host_buffer=4)
    got = quiet_port(sim, host)
    s = activate(sim, bmc, ipmid)
    bmc.sol.on_payload(s, SolPacket(1, 0, 0, 0, b"abcdefgh").encode(), 0)
    assert s.sent[-1][1] == SolPacket(0, 1, 4, 0)                     # 4 of 8 fit
    bmc.sol.on_payload(s, SolPacket(2, 0, 0, 0, b"efgh").encode(), 0)
    assert s.sent[-1][1] == SolPacket(0, 2, 0, ST_NACK)               # none fit: NACK
    bmc.sol.on_payload(s, SolPacket(2, 0, 0, 0, b"efgh").encode(), 10)  # a NACKed seq is not a duplicate
    assert s.sent[-1][1] == SolPacket(0, 2, 0, ST_NACK)
    sim.run(until=S)
    assert s.sent[-1][1] == SolPacket()                               # drained: ready again, no NACK
    bmc.sol.on_payload(s, SolPacket(2, 0, 0, 0, b"efgh").encode(), S)
    assert s.sent[-1][1] == SolPacket(0, 2, 4, 0)
    sim.run(until=2 * S)
    assert bytes(b for _, b in got) == b"abcdefgh"


def test_partial_ack_from_the_console_sends_the_rest_at_once_in_a_new_packet():
    sim, bmc, ipmid, host = world()
    quiet_port(sim, host)
    set_param(ipmid, 3, 1, 10)
    s = activate(sim, bmc, ipmid)
    host.console.write("0123456789", 0)
    sim.run(until=ms(10))
    (t0, first), = s.data_packets()
    bmc.sol.on_payload(s, SolPacket(1, first.seq, 4).encode(), sim.now)   # and the console's own data rides along
    t, second = s.sent[-1]
    assert t == sim.now and second == SolPacket(2, 1, 0, 0, b"456789")


def test_nack_holds_host_output_until_the_console_is_ready():
    sim, bmc, ipmid, host = world()
    quiet_port(sim, host)
    set_param(ipmid, 3, 1, 1)
    s = activate(sim, bmc, ipmid)
    host.console.write("ab", 0)
    sim.run(until=ms(1))
    _, first = s.data_packets()[0]
    assert first.data == b"a"
    bmc.sol.on_payload(s, SolPacket(0, first.seq, 0, OP_NACK).encode(), sim.now)
    sim.run(until=ms(100))
    assert len(s.data_packets()) == 1                # held, no retries either
    bmc.sol.on_payload(s, SolPacket(0, 0, 0, 0).encode(), sim.now)
    _, again = s.data_packets()[-1]
    assert again == SolPacket(2, 0, 0, 0, b"ab")


def test_a_nacked_packet_goes_again_in_a_new_packet_when_the_console_is_ready():
    sim, bmc, ipmid, host = world()
    quiet_port(sim, host)
    set_param(ipmid, 3, 1, 1)
    s = activate(sim, bmc, ipmid)
    host.console.write("a", 0)
    sim.run(until=ms(1))
    bmc.sol.on_payload(s, SolPacket(0, 1, 0, OP_NACK).encode(), sim.now)
    bmc.sol.on_payload(s, SolPacket(1, 0, 0, 0, b"q").encode(), sim.now)   # ready again, with a character
    assert s.sent[-1][1] == SolPacket(2, 1, 1, 0, b"a")                  # the ack rides on the resent data


# -- retries ------------------------------------------------------------------------------------------


def test_unacked_packet_is_resent_each_interval_then_dropped_after_the_count():
    sim, bmc, ipmid, host = world()
    quiet_port(sim, host)
    set_param(ipmid, 3, 1, 1)
    set_param(ipmid, 4, 2, 5)                        # 2 retries, 50 ms
    s = activate(sim, bmc, ipmid)
    host.console.write("x", 0)
    sim.run(until=S)
    sends = s.data_packets()
    t0 = char_end(0, 1, RATE)
    assert [(t, p.seq, p.data) for t, p in sends] == [(t0, 1, b"x"), (t0 + ms(50), 1, b"x"), (t0 + ms(100), 1, b"x")]
    assert bmc.sol.stats == {**bmc.sol.stats, "retries": 2, "dropped-packets": 1}
    s.auto_ack = ms(1)
    host.console.write("y", S)
    sim.run(until=2 * S)
    assert s.data_packets()[-1][1] == SolPacket(2, 0, 0, 0, b"y")   # the next packet takes the next seq


def test_retry_count_zero_drops_after_one_interval():
    sim, bmc, ipmid, host = world()
    quiet_port(sim, host)
    set_param(ipmid, 3, 1, 1)
    set_param(ipmid, 4, 0, 10)
    s = activate(sim, bmc, ipmid)
    host.console.write("x", 0)
    sim.run(until=S)
    assert len(s.data_packets()) == 1 and bmc.sol.stats["dropped-packets"] == 1


# -- operations and status ----------------------------------------------------------------------------------


def test_flush_outbound_and_cts_pause():
    sim, bmc, ipmid, host = world()
    quiet_port(sim, host)
    set_param(ipmid, 3, 200, 200)
    s = activate(sim, bmc, ipmid)
    bmc.sol.on_payload(s, SolPacket().encode(), 0)    # the console's first packet ends the startup handshake
    host.console.rtscts = True
    host.console.write("abc", 0)
    sim.run(until=ms(1))
    bmc.sol.on_payload(s, SolPacket(1, 0, 0, OP_FLUSH_OUTBOUND | OP_CTS_PAUSE).encode(), sim.now)
    assert bmc.sol.outbuf == bytearray() and host.console.tx.paused
    host.console.write("def", sim.now)
    sim.run(until=2 * S)
    assert s.data_packets() == [] and host.console.tx.pending == 3     # CTS holds the host's UART



def test_startup_handshake_keeps_cts_deasserted_until_the_first_packet():
    sim, bmc, ipmid, host = world()
    quiet_port(sim, host)
    activate(sim, bmc, ipmid)                        # ipmitool's aux byte C6h has bit 1 set
    assert not host.console.cts and not host.console.dcd_dsr
    bmc.sol.on_payload(bmc.sol.session, SolPacket(0, 0, 0, 0).encode(), 0)
    assert host.console.cts and host.console.dcd_dsr


def test_power_off_host_means_character_transfer_unavailable():
    sim, bmc, ipmid, host = world()
    s = activate(sim, bmc, ipmid)
    bmc.sol.on_payload(s, SolPacket(1, 0, 0, 0, b"hi").encode(), 0)
    assert s.sent[-1][1] == SolPacket(0, 1, 2, ST_CHARACTER_TRANSFER_UNAVAILABLE)


def test_disabling_sol_deactivates():
    sim, bmc, ipmid, _ = world()
    s = activate(sim, bmc, ipmid)
    set_param(ipmid, 1, 0)
    assert not bmc.sol.active and s.sent[-1][1].flags & ST_SOL_DEACTIVATING


def test_other_sessions_payloads_are_ignored():
    sim, bmc, ipmid, host = world()
    quiet_port(sim, host)
    s = activate(sim, bmc, ipmid)
    intruder = FakeSession(sim, sid=0x0BAD)
    bmc.sol.on_payload(intruder, SolPacket(1, 0, 0, 0, b"x").encode(), 0)
    bmc.sol.on_payload(s, b"\x01\x00", 0)            # shorter than the header
    assert s.sent == [] and intruder.sent == []


# -- the whole console host through SOL ----------------------------------------------------------------------


def console_run(seed_input: bytes):
    sim, bmc, ipmid, host = world(power_on=True)
    s = activate(sim, bmc, ipmid)
    s.auto_ack = ms(2)
    sim.run(until=3 * S)
    for i, b in enumerate(seed_input):
        seq = i % 15 + 1
        sim.call_at(3 * S + i * ms(20), bmc.sol.on_payload, s, SolPacket(seq, 0, 0, 0, bytes((b,))).encode(),
                    3 * S + i * ms(20))
    sim.run(until=6 * S)
    return s


def test_login_and_uname_over_sol_and_the_run_is_deterministic():
    s = console_run(b"root\rsecret\runame -a\r")
    text = s.text().decode()
    assert "ipmilab login: root\r\nPassword: \r\n" in text
    assert "secret" not in text
    assert "root@ipmilab:~$ uname -a\r\nLinux ipmilab 6.1.0-ipmilab" in text
    again = console_run(b"root\rsecret\runame -a\r")
    assert again.sent == s.sent                      # same inputs, same packets at the same instants


def test_overrun_and_a_host_break_are_reported_in_the_next_packet():
    sim, bmc, ipmid, host = world(console_buffer=4)
    quiet_port(sim, host)
    set_param(ipmid, 3, 20, 200)                     # 100 ms
    s = activate(sim, bmc, ipmid)
    host.console.write("0123456789", 0)
    host.console.host_break(0)
    sim.run(until=S)
    (_, pkt), = s.data_packets()
    assert pkt == SolPacket(1, 0, 0, ST_TRANSMIT_OVERRUN | ST_BREAK, b"0123")
    assert bmc.sol.stats["overruns"] == 6


def test_cold_reset_ends_sol_and_reloads_the_volatile_bit_rate():
    sim, bmc, ipmid, host = world()
    s = activate(sim, bmc, ipmid)
    set_param(ipmid, 6, 0x06)                          # volatile 9.6k; non-volatile stays 115.2k
    assert host.console.bit_rate == 9600
    assert ask(ipmid, "18 02")[2] == 0                 # Cold Reset
    assert not bmc.sol.active and s.sent == []
    assert bmc.sol.config.bit_rate == 115200 and host.console.bit_rate == 115200
