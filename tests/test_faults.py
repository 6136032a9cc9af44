"""Faults through the seams (scenarios/faults.py): answers, the SMBus, an I2C interrupt; scheduled and traced."""

import pytest

from buses.time import ms, s, us
from scenarios.config import ConfigError
from scenarios.faults import (
    AnswerFault,
    BmcFault,
    BusFault,
    HostIrqFault,
    HostStall,
    IrqHold,
    RegisterFault,
    Schedule,
    inject,
)
from scenarios.scenario import ask, boot, find
from scenarios.world import World


def test_an_answer_replaced_on_the_second_get_device_id_only():
    w = boot(trace=True)
    (f,) = inject(w, AnswerFault(0x06, 0x01, replace=bytes.fromhex("1C 01 C0"), schedule=Schedule(nth=2)))
    answers = [ask(w, "18 01").split()[2] for _ in range(3)]
    assert answers == ["00", "C0", "00"] and f.seen == 3 and f.acted == 1
    (rec,) = find(w, layer="fault", event="answer")
    assert dict(rec.fields)["rsp"] == bytes.fromhex("1C 01 C0")


def test_a_delayed_answer_takes_its_delay_on_the_wire():
    w = boot()
    quick = w.request(0x06, 0x01).elapsed
    inject(w, AnswerFault(0x06, 0x01, delay=ms(3)))
    slow = w.request(0x06, 0x01).elapsed
    assert ms(3) <= slow - quick <= ms(3) + ms(1)


@pytest.mark.parametrize("preset, cc, at_least", [
    ("isa-ipmi-kcs", 0x00, s(5)),      # ipmi_kcs_sm: the OBF wait times out (5 s), error recovery resends
    ("isa-ipmi-bt", 0xC0, s(10)),      # ipmi_bt_sm: QEMU's B_BUSY stays up, so the give-up is NODE_BUSY
    ("smbus-ipmi", 0xFF, 0),           # QEMU replays the last block; the msghandler rejects its netfn/cmd
])
def test_a_dropped_answer_gets_each_drivers_own_handling(preset, cc, at_least):
    w = boot(preset, trace=True)
    (f,) = inject(w, AnswerFault(0x06, 0x01, drop=True, schedule=Schedule(count=1)))
    r = w.request(0x06, 0x01, limit=s(60))
    assert r.cc == cc and r.elapsed >= at_least and f.acted == 1
    assert find(w, layer="fault", event="drop")


def test_probability_draws_from_the_seeded_rng():
    def acted(seed):
        w = boot(seed=seed)
        (f,) = inject(w, AnswerFault(0x06, 0x01, replace=bytes.fromhex("1C 01 C0"),
                                     schedule=Schedule(probability=0.5)))
        return [ask(w, "18 01").split()[2] for _ in range(12)]
    assert acted(3) == acted(3) and acted(3) != acted(4)
    assert "C0" in acted(3) and "00" in acted(3)


def test_nothing_happens_before_after():
    w = boot()
    inject(w, AnswerFault(0x06, 0x01, replace=b"", schedule=Schedule(after=w.sim.now + s(1))))
    assert ask(w, "18 01").split()[2] == "00"
    w.sim.run(until=w.sim.now + s(1))
    assert ask(w, "18 01", limit=s(120)).split()[2] != "00"


def test_bus_faults_on_the_smbus():
    w = boot("smbus-ipmi", trace=True)
    (nak,) = inject(w, BusFault("nak", "write", byte=0x02, schedule=Schedule(count=2)))
    r = w.request(0x06, 0x01)
    assert r.cc == 0 and w.host.si.stats["send_retries"] == 2 and nak.acted == 2
    (lose,) = inject(w, BusFault("lose", schedule=Schedule(count=1)))
    w.request(0x06, 0x01)
    assert find(w, layer="fault", event="lose-stop")
    (slow,) = inject(w, BusFault("stretch", value=us(50), schedule=Schedule(count=3)))
    t = w.request(0x06, 0x01).elapsed
    assert slow.acted == 3 and t >= us(150)


def test_a_corrupted_count_byte_is_retried_by_the_driver():
    w = boot("smbus-ipmi")
    inject(w, BusFault("corrupt", "read", value=0x40, schedule=Schedule(nth=1)))
    assert w.request(0x06, 0x01).cc == 0 and w.host.si.stats["receive_retries"] == 1


def test_an_irq_hold_coalesces_the_aspeed_status():
    # The 6th rise of a request's write is its STOP; held past the host's next START and address, the
    # ISR sees STOP and the address match in one status read (0x94) and handles the stop first.
    w = boot("ast2600", interface="ssif", trace=True)
    t0 = w.sim.now
    (hold,) = inject(w, IrqHold(us(2500), schedule=Schedule(nth=6)))
    assert w.request(0x06, 0x01, limit=s(5)).cc == 0 and hold.acted == 1
    statuses = [dict(r.fields)["status"] for r in find(w, layer="fw", event="irq", since=t0)]
    assert "0x94" in statuses
    (req,) = find(w, layer="fw", event="request", since=t0)
    assert dict(req.fields)["data"] == bytes.fromhex("18 01")
    (rel,) = find(w, layer="fault", event="release")
    assert rel.t - find(w, layer="fault", event="hold")[0].t == us(2500)


def test_faults_from_the_world_file():
    doc = """
preset = "isa-ipmi-kcs"
[[faults]]
kind = "answer"
netfn = 0x06
cmd = 0x01
replace = "1C 01 C0"
nth = 3
"""   # the driver's probe and the message handler ask first
    w = World.from_config(doc)
    assert w.boot()
    assert w.faults and ask(w, "18 01").split()[2] == "C0" and ask(w, "18 01").split()[2] == "00"
    w.bmc.store.close()


@pytest.mark.parametrize("body, path", [
    ('kind = "zap"', "faults[0].kind"),
    ('kind = "bus"\naction = "explode"', "faults[0].action"),
    ('kind = "bus"\naction = "nak"\ncond = "stop"', "faults[0].cond"),
    ('kind = "answer"\nreplace = "zz"', "faults[0].replace"),
    ('kind = "answer"\ndelay = 5', "faults[0].delay"),
    ('kind = "answer"\nprobability = 2', "faults[0].probability"),
    ('kind = "irq-hold"', "faults[0].hold"),
    ('kind = "bmc"\naction = "melt"', "faults[0].action"),
    ('kind = "bmc"\naction = "hang"\ndown = 3', "faults[0].down"),
    ('kind = "host-stall"', "faults[0].stall"),
    ('kind = "host-stall"\nstall = "1 ms"\nnth = 2', "faults[0]"),
    ('kind = "register"\naction = "delay"', "faults[0].delay"),
    ('kind = "register"\naction = "stuck"\ndelay = "1 us"', "faults[0].delay"),
])
def test_a_bad_fault_table_names_the_field(body, path):
    with pytest.raises(ConfigError) as exc:
        World.from_config("[[faults]]\n" + body + "\n")
    assert path in str(exc.value)


def test_schedules_and_faults_check_their_arguments():
    for kw, msg in (({"nth": 0}, "counts from 1"), ({"count": 0}, "at least 1"), ({"probability": 1.5}, "0..1"),
                    ({"after": -1}, ">= 0")):
        with pytest.raises(ValueError, match=msg):
            Schedule(**kw)
    with pytest.raises(ValueError, match="drop leaves nothing"):
        AnswerFault(drop=True, delay=1)
    with pytest.raises(ValueError, match="acts on start or write"):
        BusFault("nak", "read")
    w = boot()
    with pytest.raises(ValueError, match="has no SMBus"):
        inject(w, BusFault("nak"))


def test_a_stuck_status_register_walks_the_kcs_driver_into_error_recovery():
    # STR reads 0x00 (IDLE, no IBF/OBF) whatever the BMC does: WAIT_WRITE_START wants WRITE and sees
    # IDLE, so every step is a "wrong state" error recovery; eleven rounds make HOSED: 0xFF.
    w = boot(trace=True)
    t0 = w.sim.now
    (f,) = inject(w, RegisterFault("stuck", offset=1, value=0x00, device="kcs",
                                   schedule=Schedule(after=t0, until=t0 + ms(5))))
    r = w.request(0x06, 0x01, limit=s(5))
    assert r.cc == 0xFF and f.acted > 11
    assert find(w, layer="drv", event="hosed", since=t0)
    assert dict(find(w, layer="fault", event="stuck")[0].fields)["now"] == "0x00"
    w.sim.run(until=t0 + ms(6))
    assert ask(w, "18 01").split()[2] == "00"                     # the window is over: back to normal


def test_a_dropped_register_write_and_flipped_bits():
    w = boot(trace=True)
    (drop,) = inject(w, RegisterFault("drop", offset=0, device="kcs", schedule=Schedule(nth=3)))
    r = w.request(0x06, 0x01, limit=s(30))
    # One data byte never lands: the BMC waits for it, the host for IBF: a 5 s IBF timeout, then
    # error recovery and the retry succeed.
    assert r.cc == 0 and r.elapsed >= s(5) and drop.acted == 1
    (flip,) = inject(w, RegisterFault("flip", offset=1, value=0x02, device="kcs", schedule=Schedule(count=1)))
    assert w.request(0x06, 0x01, limit=s(30)).cc == 0 and flip.acted == 1     # IBF seen once too often


def test_register_faults_from_the_world_file_and_their_checks():
    w = World.from_config('preset = "isa-ipmi-kcs"\n[[faults]]\nkind = "register"\naction = "stuck"\n'
                          'offset = 1\nvalue = 0\ndevice = "kcs"\nafter = "10 s"\n')
    assert w.boot() and w.faults[0].action == "stuck"
    w.bmc.store.close()
    with pytest.raises(ConfigError) as exc:
        World.from_config('[[faults]]\nkind = "register"\naction = "melt"\n')
    assert "faults[0].action" in str(exc.value)
    with pytest.raises(ValueError, match="not a byte"):
        RegisterFault("stuck", value=0x100)


def test_a_lost_or_late_host_interrupt_is_caught_up_by_the_drivers_timer():
    w = boot("ast2600", irq=True, trace=True)
    base = w.request(0x06, 0x01).elapsed
    line, handler = w.host._irq_taps[0]
    (lost,) = inject(w, HostIrqFault("lose", schedule=Schedule(count=1)))
    slow = w.request(0x06, 0x01, limit=s(5)).elapsed
    (late,) = inject(w, HostIrqFault("delay", delay=ms(3), schedule=Schedule(count=1)))
    later = w.request(0x06, 0x01, limit=s(5)).elapsed
    assert lost.acted == late.acted == 1 and slow > base and later >= base + ms(2)
    assert find(w, layer="fault", event="lose-irq") and find(w, layer="fault", event="delay-irq")
    lost.detach()
    late.detach()
    assert line.listeners == [handler]                            # taken away in any order: the handler is back
    assert abs(w.request(0x06, 0x01).elapsed - base) < us(10)           # (the BMC jiffy grid moves it by 1 us)
    with pytest.raises(ValueError, match="polls"):
        inject(boot("ast2600"), HostIrqFault("lose"))
    with pytest.raises(ValueError, match="takes a delay"):
        HostIrqFault("delay")


def test_a_register_access_stretched_by_wait_states_holds_the_host_cpu():
    w = boot(trace=True)
    quick = w.request(0x06, 0x01).elapsed
    (f,) = inject(w, RegisterFault("delay", offset=1, device="kcs", delay=us(100), schedule=Schedule(count=10)))
    r = w.request(0x06, 0x01)
    assert r.cc == 0 and f.acted == 10 and len(find(w, layer="fault", event="delay")) == 10
    assert r.elapsed - quick >= 10 * us(100)                       # ten status reads, each 100 us longer
    assert w.request(0x06, 0x01).elapsed < quick + us(20)          # count spent: back to normal


def test_a_host_stall_holds_every_port_access_until_it_is_over():
    for preset in ("isa-ipmi-kcs", "isa-ipmi-bt"):
        w = boot(preset, trace=True)
        t0 = w.sim.now
        (f,) = inject(w, HostStall(ms(30), Schedule(after=t0 + us(5))))
        r = w.request(0x06, 0x01)
        assert r.cc == 0 and f.acted == 1 and r.t_done >= t0 + ms(30), preset
        (rec,) = find(w, layer="fault", event="stall")
        assert rec.t == t0 + us(5) and dict(rec.fields)["until"] >= t0 + ms(30)


def test_a_bmc_cold_reset_mid_transfer_loses_the_answer_and_the_driver_retries():
    w = boot(trace=True)
    assert w.request(0x06, 0x24, bytes.fromhex("04 01 00 00 0A 00")).cc == 0     # arm the watchdog's settings
    assert w.bmc.watchdog.initialized
    (f,) = inject(w, BmcFault("cold-reset", 0x06, 0x01, down=ms(500), schedule=Schedule(count=1)))
    r = w.request(0x06, 0x01, limit=s(30))
    # The request died with the firmware; KCS's OBF wait (5 s) runs out, error recovery resends it.
    assert r.cc == 0 and r.elapsed >= s(5) and f.acted == 1
    assert find(w, layer="bmc", event="cold-reset") and not w.bmc.watchdog.initialized


def test_a_hung_bmc_and_bmc_faults_from_the_world_file():
    w = World.from_config('preset = "isa-ipmi-bt"\n[[faults]]\nkind = "bmc"\naction = "hang"\nnetfn = 0x06\n'
                          'cmd = 0x01\ndown = "2 s"\nafter = "1 s"\n[[faults]]\nkind = "host-stall"\n'
                          'stall = "1 ms"\nafter = "2 s"\n[[faults]]\nkind = "register"\naction = "delay"\n'
                          'delay = "2 us"\n')
    assert w.boot()
    hang, stall, slow = w.faults
    assert (hang.action, hang.down, stall.stall, slow.delay) == ("hang", s(2), ms(1), us(2))
    w.sim.run(until=s(1))
    r = w.request(0x06, 0x01, limit=s(60))
    assert hang.acted == 1 and stall.acted == 1 and r.cc == 0xC0        # BT: B_BUSY stays up while hung
    w.bmc.store.close()


def test_the_new_faults_check_their_arguments():
    for make, msg in ((lambda: HostStall(0), "must be > 0"), (lambda: HostStall(1, Schedule(nth=1)), "one moment"),
                      (lambda: BmcFault("explode"), "not one of"), (lambda: BmcFault("hang", down=0), "> 0"),
                      (lambda: RegisterFault("delay"), "positive delay")):
        with pytest.raises(ValueError, match=msg):
            make()


def test_jitter_draws_each_delay_from_the_seeded_rng():
    def extra(seed):
        w = boot(seed=seed)
        quick = w.request(0x06, 0x01).elapsed
        inject(w, AnswerFault(0x06, 0x01, delay=ms(1), jitter=ms(2)))
        return [w.request(0x06, 0x01).elapsed - quick for _ in range(4)]
    a = extra(1)
    assert a == extra(1) and a != extra(2) and len(set(a)) > 1
    assert all(ms(1) <= x <= ms(3) + ms(1) for x in a)               # the driver notices at its next poll


def test_the_bridge_daemon_exits_mid_request_and_comes_back():
    w = boot("ast2600", trace=True)
    (f,) = inject(w, BmcFault("daemon-exit", 0x06, 0x01, down=ms(800), schedule=Schedule(count=1)))
    r = w.request(0x06, 0x01, limit=s(30))
    assert r.cc == 0 and r.elapsed >= s(5) and f.acted == 1       # lost; the OBF wait runs out; resent
    assert find(w, layer="fault", event="daemon-exit")
    with pytest.raises(ValueError, match="no bridge daemon"):
        inject(boot(), BmcFault("daemon-exit", down=s(1)))
    with pytest.raises(ValueError, match="give down"):
        BmcFault("daemon-exit")


@pytest.mark.parametrize("preset", ["isa-ipmi-bt", "ast2600"])
def test_a_bt_answer_with_the_wrong_sequence_number_is_not_the_drivers(preset):
    # The third BMC2HOST read of the answer is its Seq byte: one bit flipped on the wire. ipmi_bt_sm
    # reads the frame, finds (NetFn, Seq, Cmd) do not match -- "not my message" -- and waits in
    # READ_WAIT for its own until BT_CAP_req2rsp (10 s) runs out: 0xC3, and the interface works on.
    w = boot(preset, interface="bt", trace=True)
    (f,) = inject(w, RegisterFault("flip", offset=1, value=0x01, device="bt", schedule=Schedule(nth=3)))
    r = w.request(0x06, 0x01, limit=s(60))
    assert r.cc == 0xC3 and s(10) <= r.elapsed < s(11) and f.acted == 1
    assert dict(find(w, layer="drv", event="response")[-1].fields)["match"] is False
    assert w.request(0x06, 0x01).cc == 0
