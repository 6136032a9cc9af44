"""One end-to-end suite over every preset x every system interface it has, polled and interrupt-driven.

Each case boots the host's Linux-faithful driver against the preset's BMC
side and checks: the probe; Get Device ID against QEMU's golden bytes
(under the QEMU-compatible identity); a 60-byte response; recovery after
the BMC stops answering and comes back; the driver's documented error
state and its simulated time when the BMC stays dead; and determinism.
"""

import pytest

from bmc.bmc import QEMU_IDENTITY
from bmc.ipmi.msg import from_hex
from buses.time import S, s
from scenarios.presets import PRESETS
from scenarios.scenario import boot

GOLDEN_DEVICE_ID = from_hex("1C 01 00 20 00 00 00 02 07 00 00 00 00 00")   # qemu-ipmi.md 4.1
CASES = [(name, si.kind) for name, p in PRESETS.items() for si in p.interfaces]
IDS = [f"{name}-{kind}" for name, kind in CASES]
# Polled everywhere; interrupt-driven where the interface has an interrupt (QEMU's smbus-ipmi has no alert).
MODES = [(name, kind, irq) for name, kind in CASES for irq in (False, True) if not (irq and kind == "ssif")]
MODE_IDS = [f"{name}-{kind}-{'irq' if irq else 'polled'}" for name, kind, irq in MODES]
READ_FRU_56 = (0x0A, 0x11, bytes((0, 0, 0, 56)))     # Read FRU Data: CC, count, 56 bytes -> 60-byte response


def booted(preset, kind, irq=False, **kw):
    """scenarios.scenario.boot under the QEMU-compatible identity (the golden bytes)."""
    return boot(preset, interface=kind, irq=irq, seed=kw.pop("seed", 5), settle=0,
                bmc_kwargs={"identity": QEMU_IDENTITY}, **kw)


@pytest.mark.parametrize("preset,kind,irq", MODES, ids=MODE_IDS)
def test_probe_golden_bytes_and_a_long_response(preset, kind, irq):
    w = booted(preset, kind, irq)
    if irq:
        w.sim.run(until=w.sim.now + s(0.1))      # the driver's global-enables check turns the interrupt on
    assert w.host.si.si_type == kind and w.host.si.device_id == GOLDEN_DEVICE_ID
    assert w.request(0x06, 0x01).raw == GOLDEN_DEVICE_ID
    r = w.request(*READ_FRU_56)
    assert r.cc == 0 and len(r.raw) == 60 and r.data[0] == 56
    if irq:
        assert w.block.host_irq.asserts > 0 and w.host.si.stats["interrupts"] > 0


@pytest.mark.parametrize("preset,kind,irq", MODES, ids=MODE_IDS)
def test_the_bmc_stops_and_comes_back(preset, kind, irq):
    w = booted(preset, kind, irq)
    w.channel.stop_servicing()
    failed = w.request(0x06, 0x01, limit=s(300))
    assert failed.cc != 0
    w.channel.start_servicing()
    # A BT driver left in LONG_BUSY fails new messages with 0xC0 at once (bt_start_transaction) until its
    # timer sees B_BUSY clear: give it a second.  The first request may still meet leftovers.
    w.sim.run(until=w.sim.now + s(1))
    answers = [w.request(0x06, 0x01, limit=s(300)).raw for _ in range(2)]
    assert answers[-1] == GOLDEN_DEVICE_ID


# What the Linux driver does when the BMC never answers (reference/linux-ipmi.md):
# KCS: each of MAX_ERROR_RETRIES + 1 = 11 attempts waits IBF_RETRY_TIMEOUT (5 s), then HOSED, 0xFF.
# BT: one attempt per BT_CAP_retries waits BT_CAP_req2rsp; then 0xC3 back in IDLE, or, when the BMC
# shows B_BUSY (bt-bmc sets it once its daemon is gone), 0xC0 in LONG_BUSY until B_BUSY clears.
DEAD = {"kcs": (0xFF, 55 * S), "bt": (None, None)}


@pytest.mark.parametrize("preset,kind,irq", MODES, ids=MODE_IDS)
def test_a_dead_bmc_drives_the_driver_to_its_error_state_in_time(preset, kind, irq):
    w = booted(preset, kind, irq)
    w.channel.stop_servicing()
    retries_before = w.host.si.stats["receive_retries"]
    r = w.request(0x06, 0x01, limit=s(300))
    if kind == "ssif" and PRESETS[preset].attachment == "ideal":
        # QEMU's smbus-ipmi never NAKs: the read a jiffy later gets the previous block (Get Channel Info's,
        # from the start-up), and the message handler turns the NetFn/Cmd mismatch into 0xFF at once.
        assert r.cc == 0xFF and r.elapsed < 3 * w.host.si.jiffy
        return
    if kind == "ssif":
        # ssif_bmc abandons the request after its 500 ms timer and answers every read with a zero count:
        # ipmi_ssif retries the read SSIF_RECV_RETRIES (250) times, 60 ms apart, then fails it with 0xFF.
        si = w.host.si
        budget = 249 * si.msg_jiffies * si.jiffy
        assert r.cc == 0xFF and budget <= r.elapsed <= budget + 2 * si.msg_jiffies * si.jiffy
        assert si.stats["receive_retries"] - retries_before == 249 and w.channel.ssif.timeouts == 1
        return
    sm = w.host.si.sm
    cc, budget = DEAD[kind]
    if kind == "bt":
        budget = sm.req2rsp * max(1, sm.retries)
        busy = bool(w.block.ctrl & 0x80)
        cc = 0xC0 if busy else 0xC3
        assert sm.state.name == ("LONG_BUSY" if busy else "IDLE")
    else:
        assert w.host.si.stats["hosed_count"] == 1
    assert r.cc == cc
    slack = 11 * 2 * w.host.si.jiffy
    assert budget <= r.elapsed <= budget + slack, (r.elapsed, budget)


@pytest.mark.parametrize("preset,kind,irq", MODES, ids=MODE_IDS)
def test_same_seed_same_trace_digest(preset, kind, irq):
    def digest(seed):
        w = booted(preset, kind, irq=irq, seed=seed, trace=True)
        for _ in range(2):
            w.request(0x06, 0x01)
        w.request(*READ_FRU_56)
        return w.sim.tracer.digest()
    assert digest(3) == digest(3)


@pytest.mark.parametrize("preset,kind", CASES, ids=IDS)
def test_chassis_power_off_is_answered_before_the_power_goes(preset, kind):
    w = booted(preset, kind)
    r = w.request(0x00, 0x02, b"\x00")                 # Chassis Control: power down
    assert r.cc == 0 and w.host.power_on_state         # the host read its success with power still on
    w.sim.run(until=w.sim.now + w.bmc.chassis_control_delay + 1)
    (t_off, what), = w.host.power_events
    assert what == "power-off" and t_off > r.t_done and not w.host.power_on_state


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_ipmilab_run_chassis_power_off_succeeds(preset, capsys):
    from scenarios.cli import main

    assert main(["run", "--preset", preset, "--", "chassis", "power", "off"]) == 0
    assert capsys.readouterr().out.startswith("Chassis Power Control: Down/Off")


@pytest.mark.parametrize("answer", [b"", b"\x1c", b"\x1c\x01", b"\x04\x01\x00"], ids=["empty", "1-byte", "2-byte",
                                                                                       "other-netfn"])
@pytest.mark.parametrize("preset,kind", CASES, ids=IDS)
def test_a_crafted_bmc_answer_gets_the_drivers_own_handling(preset, kind, answer):
    # The BMC core's answer to Get Device ID replaced by any bytes: it crosses the wire as the device or
    # bridge would send it, and the host's driver and message handler decide -- a completion code within
    # the driver's give-up time, never a Python exception out of World.request.
    w = booted(preset, kind)

    def craft(nxt):
        def call(req, t, done):
            nxt(req, t, lambda rsp, t2: done(answer if req[:2] == b"\x18\x01" else rsp, t2))
        return call
    w.channel.to_core.interpose(craft)
    r = w.request(0x06, 0x01, limit=s(120))
    # (ipmi_ssif hands a 2-byte answer up as it is, as Linux does: the user then sees no CC byte at all,
    # which IpmiResult.cc reports as 0xFF.)
    assert r.raw[:2] == b"\x1c\x01" and r.cc != 0
    w.channel.to_core.remove(craft)
    w.sim.run(until=w.sim.now + s(1))
    assert w.request(0x06, 0x01, limit=s(120)).cc in (0x00, 0xFF)      # usable afterwards


SSIF_CASES = [(name, kind) for name, kind in CASES if kind == "ssif"]


@pytest.mark.parametrize("preset,kind", SSIF_CASES, ids=[f"{p}-{k}" for p, k in SSIF_CASES])
def test_ssif_multi_part_both_ways(preset, kind):
    # Over 32 and over 64 bytes back (three and four blocks), over 32 bytes out (start, middle, end).
    from tests.test_ssif import sized

    w = booted(preset, kind)
    w.ipmid.install([sized])
    for size in (40, 70, 100):
        r = w.request(0x30, 0x01, bytes((size - 3,)), limit=s(30))
        assert r.cc == 0 and len(r.raw) == size
    r = w.request(0x30, 0x01, bytes((4,)) + bytes(69), limit=s(30))
    assert r.cc == 0 and r.raw[3] == 70
