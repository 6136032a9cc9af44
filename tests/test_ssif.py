"""The host SSIF driver (vserver/ssif.py, Linux ipmi_ssif) against QEMU's smbus-ipmi on the simulated SMBus.

Bad input on the wire is made by faults standing in the bus's wire (``bus.wire``), never by patching.
"""

import errno

import pytest

from bmc.bmc import QEMU_IDENTITY
from bmc.ipmid import command
from bmc.privilege import Privilege
from buses.time import ms, s, us
from scenarios.world import World

GOLDEN = bytes.fromhex("1C 01 00 20 00 00 00 02 07 00 00 00 00 00")


@command(0x30, 0x01, privilege=Privilege.USER, min_len=1, max_len=255, name="Sized answer")
def sized(call):
    """OEM test command: a response of data[0] + 3 bytes; its first data byte is the request's data length."""
    return bytes((len(call.data) & 0xFF,)) + bytes(range(1, call.data[0]))


def booted(**kw):
    w = World("smbus-ipmi", seed=kw.pop("seed", 2), bmc_kwargs={"identity": QEMU_IDENTITY}, **kw)
    w.ipmid.install([sized])
    assert w.boot()
    return w


def bus(w):
    return w.host.smbus_adapter.bus


def ssif_ops(w):
    return [(dict(r.fields)["cmd"], r.event) for r in w.sim.tracer.records if r.layer == "drv"]


def test_the_probe_finds_qemus_capabilities_and_that_cmd8_ends_a_message():
    w = booted()
    si = w.host.si
    assert si.device_id == GOLDEN and si.si_type == "ssif"
    assert (si.multi_support, si.max_xmit_msg_size, si.max_recv_msg_size) == (2, 255, 255)
    assert si.cmd8_works and si.has_event_buffer
    # QEMU's smbus-ipmi does not NAK Set BMC Global Enables' RCV bit, so the driver believes in an alert
    # the device does not have (it polls only when the message handler's watch asks).
    assert si.supports_alert


@pytest.mark.parametrize("size, blocks", [(33, 2), (64, 3), (100, 4), (255, 9)])
def test_long_answers_are_read_in_numbered_blocks(size, blocks):
    w = booted(trace=True)
    w.sim.tracer.clear()
    r = w.request(0x30, 0x01, bytes((size - 3,)))
    assert r.cc == 0 and len(r.raw) == size and r.raw[3:6] == b"\x01\x01\x02"
    reads = [cmd for cmd, ev in ssif_ops(w) if ev == "block-read"]
    assert reads == ["0x03"] + ["0x09"] * (blocks - 1)


def test_a_request_over_32_bytes_is_written_in_parts():
    w = booted(trace=True)
    w.sim.tracer.clear()
    r = w.request(0x30, 0x01, bytes((4,)) + bytes(99))                 # 102 bytes: 32 + 32 + 32 + 6
    assert r.cc == 0 and r.raw[3] == 100
    writes = [cmd for cmd, ev in ssif_ops(w) if ev == "block-write"]
    assert writes == ["0x06", "0x07", "0x07", "0x08"]


def test_get_device_id_takes_bus_time_plus_one_jiffy():
    w = booted(trace=True)
    w.sim.run(until=w.sim.now + ms(20))
    r = w.request(0x06, 0x01)
    jiffy = w.host.si.jiffy
    byte = us(90)
    write = 5 * byte                          # address, command, count, NetFn, Cmd
    read = (3 + 1 + 14) * byte                # address W, command, address R, count, 14 bytes
    assert r.raw == GOLDEN
    assert write + read < r.elapsed <= write + read + jiffy + us(40)


def nack(w, cond, times=None, when=lambda value: True):
    """A fault on the wire: the target's answer to ``cond`` becomes a NAK (``times`` times, or always)."""
    left = [times]

    def layer(nxt):
        def call(c, t, target, value):
            if c == cond and when(value) and (left[0] is None or left[0] > 0):
                if left[0] is not None:
                    left[0] -= 1
                w.sim.trace(t, "bus", bus(w).name, "fault", what=f"NAK on {c}")
                return False
            return nxt(c, t, target, value)
        return call
    bus(w).wire.interpose(layer)
    return layer


def test_a_bmc_that_naks_every_read_fails_the_message_after_250_tries():
    w = booted()
    w.sim.run(until=w.sim.now + ms(20))
    nack(w, "start", when=lambda read: read)             # the address phase of every read
    r = w.request(0x06, 0x01, limit=s(60))
    si = w.host.si
    # receive_errors counts the give-up twice, as msg_done_handler does (its retry branch and continue_op).
    assert r.cc == 0xFF and si.stats["receive_retries"] == 249 and si.stats["receive_errors"] == 2
    # 249 waits of SSIF_MSG_JIFFIES (15 jiffies, 60 ms) after the first read: about 15 s.
    assert s(14.9) <= r.elapsed <= s(15.1)


def test_a_write_naked_a_few_times_is_resent_60_ms_apart():
    w = booted()
    w.sim.run(until=w.sim.now + ms(20))
    nack(w, "start", times=3, when=lambda read: not read)
    r = w.request(0x06, 0x01)
    assert r.raw == GOLDEN and w.host.si.stats["send_retries"] == 3
    assert ms(180) <= r.elapsed <= ms(200)


def test_a_write_naked_five_times_fails_with_ff():
    w = booted()
    w.sim.run(until=w.sim.now + ms(20))
    nack(w, "start", when=lambda read: not read)
    r = w.request(0x06, 0x01, limit=s(5))
    assert r.cc == 0xFF and w.host.si.stats["send_errors"] == 1 and w.host.si.stats["send_retries"] == 4


def corrupt_block(w, index, byte_at, value):
    """Replace byte ``byte_at`` (0 = the count) of the ``index``-th block read from now on."""
    state = {"read": -1, "pos": 0}

    def layer(nxt):
        def call(c, t, target, val):
            got = nxt(c, t, target, val)
            if c == "start" and val:
                state["read"] += 1
                state["pos"] = 0
            elif c == "read":
                if state["read"] == index and state["pos"] == byte_at:
                    got = value
                state["pos"] += 1
            return got
        return call
    bus(w).wire.interpose(layer)


def test_an_out_of_sequence_middle_block_fails_the_message():
    w = booted()
    w.sim.run(until=w.sim.now + ms(20))
    corrupt_block(w, 1, 1, 0x05)                          # the first middle block claims number 5
    r = w.request(0x30, 0x01, bytes((100,)))
    assert r.cc == 0xFF


def test_a_final_block_with_a_bad_number_fails_the_message():
    w = booted()
    w.sim.run(until=w.sim.now + ms(20))
    corrupt_block(w, 2, 1, 0x07)                          # the last of three blocks: 7 instead of 0xFF
    r = w.request(0x30, 0x01, bytes((70,)))               # 73 bytes: 30 + 31 + 12
    assert r.cc == 0xFF


def test_a_read_with_a_wrong_length_byte_is_retried():
    w = booted()
    w.sim.run(until=w.sim.now + ms(20))
    corrupt_block(w, 0, 0, 0x40)                          # a count of 64: the adapter says EPROTO
    r = w.request(0x06, 0x01)
    assert r.raw == GOLDEN and w.host.si.stats["receive_retries"] == 1


def test_events_are_fetched_when_the_handler_asks():
    w = booted()
    got = []
    w.host.ipmi.set_gets_events(lambda t, rsp: got.append(rsp))
    w.bmc.raise_event(w.bmc.event_record(0x01, 0x30, 0x01, 0x57), w.sim.now)
    w.sim.run(until=w.sim.now + s(2))                     # the 1 s tick sets req_events; an idle pass fetches
    w.request(0x06, 0x01)
    w.sim.run(until=w.sim.now + ms(50))
    assert len(got) == 1 and got[0][2] == 0


def test_the_watch_timer_fetches_flags_every_250_ms_for_the_watchdog():
    from vserver.watchdog import WatchdogDaemon

    w = booted(trace=True)
    w.host.add_service(WatchdogDaemon(timeout=10, pet=True))
    w.sim.run(until=w.sim.now + s(1))
    w.sim.tracer.clear()
    w.sim.run(until=w.sim.now + s(1))
    fetches = [r.t for r in w.sim.tracer.records if r.layer == "si" and r.event == "get-flags"]
    jiffy = w.host.si.jiffy
    assert len(fetches) == 4 and all(b - a == 63 * jiffy for a, b in zip(fetches, fetches[1:], strict=False))


def test_errno_of_a_naked_address_reaches_the_trace():
    w = booted(trace=True)
    w.sim.run(until=w.sim.now + ms(20))
    nack(w, "start", times=1, when=lambda read: not read)
    w.request(0x06, 0x01)
    errs = [dict(r.fields)["errno"] for r in w.sim.tracer.records if r.event == "block-error"]
    assert errs == [errno.errorcode[errno.ENXIO]]


def test_the_trace_names_each_smbus_byte(capsys):
    from scenarios.cli import main

    assert main(["trace", "--preset", "smbus-ipmi", "--layers", "bus", "--netfn", "0x0A", "--cmd", "0x11",
                 "--data", "00 00 00 38"]) == 0
    out = capsys.readouterr().out
    for text in ("address 0x10 write, ACK", "SMBus command 0x02: SSIF single-part write", "block count: 6",
                 "request Cmd: Read FRU Data", "SMBus command 0x03: SSIF read start", "multi-part read marker",
                 "SMBus command 0x09: SSIF read middle/end", "last block", "response completion code: SUCCESS"):
        assert text in out, text


# -- the full-stack SSIF channel: i2c-aspeed target mode + ssif_bmc + ssifbridged --------------------------


def firmware(preset="ast2600", **kw):
    w = World(preset, interface="ssif", seed=3, bmc_kwargs={"identity": QEMU_IDENTITY}, **kw)
    w.ipmid.install([sized])
    assert w.boot(limit=s(100))
    w.sim.run(until=w.sim.now + ms(100))
    return w


@pytest.mark.parametrize("preset", ["ast2500", "ast2600"])
def test_full_stack_ssif_probe_and_multi_part_both_ways(preset):
    w = firmware(preset)
    si = w.host.si
    # ssifbridged answers Get System Interface Capabilities itself: 255 bytes each way, multi-part; the
    # probe finds that cmd 8 ends a message.
    assert (si.max_xmit_msg_size, si.max_recv_msg_size, si.multi_support, si.cmd8_works) == (255, 255, 2, True)
    assert w.request(0x06, 0x01).raw == GOLDEN
    r = w.request(0x30, 0x01, bytes((100,)) + bytes(99))               # a 102-byte request
    assert r.cc == 0 and r.raw[3] == 100 and len(r.raw) == 103          # and a 103-byte answer: 4 blocks
    r = w.request(0x30, 0x01, bytes((250,)))
    assert r.cc == 0 and len(r.raw) == 253


def test_the_firmware_stretches_the_hosts_clock_for_every_byte():
    w = firmware(trace=True)
    w.sim.tracer.clear()
    w.request(0x06, 0x01)
    held = [dict(r.fields)["held"] for r in w.sim.tracer.records if r.event == "stretch"]
    # Each byte waits for the interrupt (3 us on the AST2600) and the handler's MMIO accesses.
    assert len(held) >= 20 and all(3_000 < h < 10_000 for h in held)


def test_a_daemon_slower_than_the_response_timer_loses_its_answer():
    from bmc.firmware import FirmwareTiming

    w = firmware()
    w.channel.timing = FirmwareTiming(daemon_latency=ms(600))          # (at boot, the probe would fail)
    r = w.request(0x06, 0x01, limit=s(60))
    ch = w.channel
    # ssif_bmc gave up at 500 ms (aborting: the host's reads see a zero count); the write at 600 ms is
    # refused; ipmi_ssif keeps retrying until its 250 reads are spent.
    assert r.cc == 0xFF and ch.ssif.timeouts >= 1 and ch.dropped_responses >= 1
    assert s(14.9) <= r.elapsed <= s(15.1)


def test_a_write_while_ssif_bmc_waits_for_its_daemon_is_naked():
    from buses.smbus import SMBus

    w = firmware()
    smb = SMBus(w.host.smbus_adapter)
    ssif = w.channel.ssif

    def go():
        yield from smb.write_block_data(0x10, 0x02, [0x18, 0x01])       # a request: ssif_bmc is busy now
        try:
            yield from smb.write_block_data(0x10, 0x02, [0x18, 0x04])   # WRITE_REQUESTED -> -EBUSY -> NAK
        except OSError as exc:
            return exc.errno
        return 0
    assert w.sim.run_process(go()) == errno.EREMOTEIO and ssif.busy


def test_a_write_with_a_bad_pec_is_dropped_until_the_next_start():
    from buses.smbus import SMBus

    w = firmware()
    smb = SMBus(w.host.smbus_adapter)
    smb.pec = 1
    ssif = w.channel.ssif
    seen = []

    def corrupt_last(nxt):
        def call(c, t, target, value):
            if c == "write":
                seen.append(value)
                if len(seen) == 5:                                      # cmd, count, 18, 01, PEC
                    value ^= 0xFF
            return nxt(c, t, target, value)
        return call
    w.host.smbus_adapter.bus.wire.interpose(corrupt_last)
    before = w.channel.served
    w.sim.run_process(smb.write_block_data(0x10, 0x02, [0x18, 0x01]))
    w.sim.run(until=w.sim.now + ms(50))
    assert ssif.aborts == 1 and ssif.aborting and w.channel.served == before


def test_a_new_request_drops_a_response_not_yet_read():
    from buses.smbus import SMBus

    w = firmware(trace=True)
    smb = SMBus(w.host.smbus_adapter)

    def go():
        yield from smb.write_block_data(0x10, 0x02, [0x18, 0x01])
        yield w.sim.env.timeout(ms(10))                                  # answered, never read
        yield from smb.write_block_data(0x10, 0x02, [0x18, 0x04])
    w.sim.run_process(go())
    assert any(r.event == "response-discarded" for r in w.sim.tracer.records)


def test_ssifbridged_answers_the_capabilities_in_eight_bytes():
    from buses.smbus import SMBus

    w = firmware()
    smb = SMBus(w.host.smbus_adapter)

    def go():
        yield from smb.write_block_data(0x10, 0x02, [0x18, 0x57, 0x00])
        yield w.sim.env.timeout(ms(1))
        return bytes((yield from smb.read_block_data(0x10, 0x03)))
    # handleGetSysIfCap: the length field counts a fifth payload byte that stays zero.
    assert w.sim.run_process(go()) == bytes.fromhex("1C 57 00 00 80 FF FF 00")


def test_a_255_byte_answer_is_refused_by_ssif_bmc_although_ssifbridged_offers_255():
    # ssifbridged says 255 bytes out; ssif_bmc_write refuses more than IPMI_SSIF_PAYLOAD_MAX (254).
    w = firmware()
    r = w.request(0x30, 0x01, bytes((252,)), limit=s(60))            # a 255-byte answer
    assert r.cc == 0xFF and w.channel.dropped_responses >= 1


def test_an_smbus_alert_starts_the_read_at_once():
    # ssif_alert: waiting_alert -> del_timer, start_get now, instead of the one-jiffy wait.
    w = booted()
    w.sim.run(until=w.sim.now + ms(20))
    si = w.host.si
    state = {"cmd": None}

    def alert_after_a_request(nxt):
        def call(c, t, target, value):
            got = nxt(c, t, target, value)
            if c == "write" and state["cmd"] is None:
                state["cmd"] = value
            elif c == "stop":
                if state["cmd"] == 0x02:
                    si.alert(t + us(20))                   # the BMC pulls SMBALERT# 20 us after the STOP
                state["cmd"] = None
            return got
        return call
    bus(w).wire.interpose(alert_after_a_request)
    r = w.request(0x06, 0x01)
    byte = us(90)
    assert r.raw == GOLDEN and si.stats["alerts"] == 1
    assert r.elapsed < (5 + 18) * byte + us(100)           # no jiffy in it


def test_a_power_cycle_leaves_no_timer_of_the_old_driver_behind():
    from vserver.watchdog import WatchdogDaemon

    w = booted()
    w.host.add_service(WatchdogDaemon(timeout=10, pet=False))        # the 250 ms watch timer runs
    w.sim.run(until=w.sim.now + s(1))
    old = w.host.si
    for _ in range(3):
        w.ipmid.handle(bytes.fromhex("00 02 02"))                    # Chassis Control: power cycle
        w.sim.run(until=w.sim.now + s(10))
        assert w.host.ready and w.host.si is not old
    assert old.stopping
    # One driver's watch timer, not four: about 4 flag fetches a second plus the watchdog's own traffic.
    before = w.sim.events_scheduled
    w.sim.run(until=w.sim.now + s(10))
    assert w.sim.events_scheduled - before < 400


def test_coalesced_target_interrupts_are_handled_stop_first():
    # aspeed_i2c_slave_irq: "Handle stop conditions early, prior to SLAVE_MATCH" -- hold the bus's interrupt
    # back (a fault on its hop) so a STOP and the next START arrive as one interrupt.
    w = firmware(trace=True)
    bus = w.channel.block
    held = {"until": None}

    def hold_during_a_stop(nxt):
        def call(level, t):
            sts = bus.regs["INTR_STS"]
            if level and sts & 0x10 and bus.sent >= 33 and held["until"] is None:   # a read start's STOP
                held["until"] = t + us(200)
                w.sim.call_at(held["until"], lambda: nxt(1 if bus.regs["INTR_CTRL"] & bus.regs["INTR_STS"]
                                                         else 0, w.sim.now))
                return None
            if held["until"] is not None and t < held["until"]:
                return None                                               # still held: bits pile up
            return nxt(level, t)
        return call
    bus.irq_out.interpose(hold_during_a_stop)
    w.sim.tracer.clear()
    # A multi-part answer: the 0x03 read's STOP and the 0x09 read's START come microseconds apart.
    r = w.request(0x30, 0x01, bytes((100,)), limit=s(5))
    assert r.cc == 0 and len(r.raw) == 103 and held["until"] is not None
    seen = [int(dict(x.fields)["status"], 16) for x in w.sim.tracer.records if x.event == "irq"
            and x.component.startswith("i2c-aspeed")]
    assert any(st & 0x10 and st & 0x80 for st in seen)                   # NORMAL_STOP with SLAVE_MATCH
