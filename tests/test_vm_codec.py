"""The README.vm codec: golden bytes, round trips, and fuzzing of the decoder."""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bmc.ipmi.msg import from_hex
from bmc.vm import (
    QEMU_CAPABILITIES,
    VM_MAX_FRAME,
    VM_MIN_RESPONSE,
    Decoder,
    DropReason,
    VmCap,
    VmCmd,
    VmControl,
    VmMessage,
    checksum,
    connect_burst,
    encode_control,
    encode_message,
    encode_request,
    encode_response,
    escape,
)
from buses import Simulation

# -- golden bytes (reference/qemu-ipmi.md section 1) ------------------------------------------


def test_golden_get_device_id_request():
    assert encode_request(0, 0x06, 0x01) == from_hex("00 18 01 E7 A0")


def test_golden_get_device_id_response():
    rsp = encode_response(0, 0x07, 0x01, 0x00, from_hex("20 00 00 00 02 07 00 00 00 00 00"))
    assert rsp == from_hex("00 1C 01 00 20 00 00 00 02 07 00 00 00 00 00 BA A0")


def test_golden_escaped_checksum():
    # Set BMC Global Enables with seq 1: the checksum is 0xAA, so it goes out escaped.
    assert encode_request(1, 0x06, 0x2E, b"\x0f") == from_hex("01 18 2E 0F AA BA A0")


def test_golden_escaped_seq():
    assert encode_request(0xA0, 0x06, 0x01) == from_hex("AA B0 18 01 47 A0")


def test_golden_qemu_connect_burst():
    assert connect_burst() == from_hex("FF 01 A1 08 3F A1")
    assert int(QEMU_CAPABILITIES) == 0x3F


@pytest.mark.parametrize("raw,wire", [
    (0xA0, "AA B0"), (0xA1, "AA B1"), (0xAA, "AA BA"),
    (0xFF, "FF"), (0xB0, "B0"), (0x00, "00"), (0xA2, "A2"), (0xBA, "BA"),
])
def test_golden_escape_each_byte(raw, wire):
    assert escape(bytes((raw,))) == from_hex(wire)


CONTROL_GOLDEN = [
    (VmCmd.NOATTN, b"", "00 A1"),
    (VmCmd.ATTN, b"", "01 A1"),
    (VmCmd.ATTN_IRQ, b"", "02 A1"),
    (VmCmd.POWEROFF, b"", "03 A1"),
    (VmCmd.RESET, b"", "04 A1"),
    (VmCmd.ENABLE_IRQ, b"", "05 A1"),
    (VmCmd.DISABLE_IRQ, b"", "06 A1"),
    (VmCmd.SEND_NMI, b"", "07 A1"),
    (VmCmd.CAPABILITIES, b"\x3f", "08 3F A1"),
    (VmCmd.GRACEFUL_SHUTDOWN, b"", "09 A1"),
    (VmCmd.DISABLE, b"", "0A A1"),
    (VmCmd.ENABLE, b"", "0B A1"),
    (VmCmd.VERSION, b"\x01", "FF 01 A1"),
]


@pytest.mark.parametrize("cmd,data,wire", CONTROL_GOLDEN, ids=[c[0].name for c in CONTROL_GOLDEN])
def test_golden_control(cmd, data, wire):
    assert encode_control(cmd, data) == from_hex(wire)
    assert Decoder().feed(from_hex(wire)) == [VmControl(cmd, data)]


def test_control_command_values_match_readme_vm():
    assert {c.name: int(c) for c in VmCmd} == {
        "NOATTN": 0, "ATTN": 1, "ATTN_IRQ": 2, "POWEROFF": 3, "RESET": 4, "ENABLE_IRQ": 5,
        "DISABLE_IRQ": 6, "SEND_NMI": 7, "CAPABILITIES": 8, "GRACEFUL_SHUTDOWN": 9,
        "DISABLE": 0x0A, "ENABLE": 0x0B, "VERSION": 0xFF,
    }
    assert [int(c) for c in VmCap] == [0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40]


def test_capability_bits_decode():
    (ctl,) = Decoder().feed(from_hex("08 3F A1"))
    assert ctl.capabilities == VmCap.POWER | VmCap.RESET | VmCap.IRQ | VmCap.NMI | VmCap.ATTN \
        | VmCap.GRACEFUL_SHUTDOWN
    assert VmCap.ENABLE not in ctl.capabilities


def test_escaped_capability_byte():
    # 0xAA as a capability byte must be escaped inside a control command as well.
    wire = encode_control(VmCmd.CAPABILITIES, b"\xaa")
    assert wire == from_hex("08 AA BA A1")
    assert Decoder().feed(wire) == [VmControl(VmCmd.CAPABILITIES, b"\xaa")]


def test_message_fields():
    (msg,) = Decoder(min_len=VM_MIN_RESPONSE).feed(from_hex("00 1C 01 00 20 00 00 00 02 07 00 00 00 00 00 BA A0"))
    assert (msg.seq, msg.netfn, msg.lun, msg.cmd, msg.data[0]) == (0, 0x07, 0, 0x01, 0x00)
    assert msg.encode() == from_hex("00 1C 01 00 20 00 00 00 02 07 00 00 00 00 00 BA A0")


def test_encode_rejects_bad_fields():
    with pytest.raises(ValueError, match="seq"):
        encode_message(256, b"\x18\x01")
    with pytest.raises(ValueError, match="msg"):
        encode_message(0, b"\x18")
    with pytest.raises(ValueError, match="msg"):
        encode_message(0, bytes(301))
    with pytest.raises(ValueError):
        encode_control(0x0C)


# -- bad frames are dropped, decoding continues ------------------------------------------------

GOOD = from_hex("00 18 01 E7 A0")


@pytest.mark.parametrize("bad,reason", [
    ("00 18 01 E8 A0", DropReason.CHECKSUM),
    ("18 E8 A0", DropReason.SHORT),
    ("A0", DropReason.SHORT),
    ("00 18 01 AA A0", DropReason.ESCAPE_AT_END),
    ("01 AA A1", DropReason.ESCAPE_AT_END),
    ("A1", DropReason.EMPTY_CONTROL),
    ("0C A1", DropReason.UNKNOWN_CONTROL),
    ("55 01 A1", DropReason.UNKNOWN_CONTROL),
    ("08 A1", DropReason.SHORT_CONTROL),
    ("FF A1", DropReason.SHORT_CONTROL),
    ("00 " * (VM_MAX_FRAME + 1) + "A0", DropReason.OVERLONG),
])
def test_bad_frame_dropped_and_decoding_continues(bad, reason):
    sim = Simulation(trace=True)
    seen = []
    dec = Decoder(sim=sim, name="t", on_drop=lambda r, f, t: seen.append(r))
    out = dec.feed(from_hex(bad) + GOOD, t=5)
    assert out == [VmMessage(0, b"\x18\x01")]
    assert dec.dropped == {reason: 1}
    assert seen == [reason]
    recs = [r for r in sim.tracer.records if r.event == "frame-dropped"]
    assert len(recs) == 1 and dict(recs[0].fields)["reason"] == reason.name and recs[0].t == 5


def test_overlong_frame_buffer_is_bounded():
    dec = Decoder()
    dec.feed(bytes(100_000))
    assert dec.pending == VM_MAX_FRAME
    assert dec.feed(b"\xa0" + GOOD) == [VmMessage(0, b"\x18\x01")]
    assert dec.dropped == {DropReason.OVERLONG: 1}


def test_longest_frame_accepted():
    msg = bytes((0x18, 0x01)) + (bytes(range(256)) * 2)[: VM_MAX_FRAME - 4]
    assert len(msg) + 2 == VM_MAX_FRAME
    assert Decoder().feed(encode_message(7, msg)) == [VmMessage(7, msg)]


def test_partial_frames_across_feeds():
    dec = Decoder()
    wire = encode_request(1, 0x06, 0x2E, b"\x0f") + connect_burst()
    got = []
    for b in wire:
        got += dec.feed(bytes((b,)))
    assert got == [VmMessage(1, b"\x18\x2e\x0f"), VmControl(VmCmd.VERSION, b"\x01"),
                   VmControl(VmCmd.CAPABILITIES, b"\x3f")]
    assert dec.pending == 0


def test_reset_forgets_partial_frame():
    dec = Decoder()
    dec.feed(from_hex("00 18 AA"))
    dec.reset()
    assert dec.feed(GOOD) == [VmMessage(0, b"\x18\x01")]


# -- round trips -------------------------------------------------------------------------------

@settings(max_examples=300, deadline=None)
@given(seq=st.integers(0, 255), msg=st.binary(min_size=2, max_size=300))
def test_round_trip_message(seq, msg):
    wire = encode_message(seq, msg)
    body = wire[:-1]
    assert wire[-1] == 0xA0 and 0xA0 not in body and 0xA1 not in body
    assert Decoder(min_len=3).feed(wire) == [VmMessage(seq, msg)]


@settings(max_examples=200, deadline=None)
@given(cmd=st.sampled_from(list(VmCmd)), data=st.binary(min_size=1, max_size=8))
def test_round_trip_control(cmd, data):
    assert Decoder().feed(encode_control(cmd, data)) == [VmControl(cmd, data)]


def test_checksum_definition():
    for data in (b"", b"\x00", b"\x18\x01", bytes(range(256))):
        assert (sum(data) + checksum(data)) & 0xFF == 0


# -- fuzz: no crash, no hang, nothing delivered that did not checksum --------------------------

def reference_decode(stream: bytes, min_len: int, max_len: int):
    """An independent, split-based reading of the stream: what may be delivered."""
    out = []
    seg = bytearray()
    for b in stream:
        if b not in (0xA0, 0xA1):
            seg.append(b)
            continue
        raw, seg = bytes(seg), bytearray()
        if raw.endswith(b"\xaa"):
            continue
        parts = raw.split(b"\xaa")
        # Each 0xAA clears bit 4 of the byte after it; runs of 0xAA collapse into one escape.
        un = bytearray(parts[0])
        for p in parts[1:]:
            if p:
                un.append(p[0] & ~0x10 & 0xFF)
                un += p[1:]
        if len(un) > max_len:
            continue
        if b == 0xA0:
            if len(un) >= min_len and sum(un) & 0xFF == 0:
                out.append(VmMessage(un[0], bytes(un[1:-1])))
        elif un:
            try:
                cmd = VmCmd(un[0])
            except ValueError:
                continue
            if cmd in (VmCmd.VERSION, VmCmd.CAPABILITIES) and len(un) < 2:
                continue
            out.append(VmControl(cmd, bytes(un[1:])))
    return out


def _valid_frame(rng: random.Random) -> bytes:
    if rng.random() < 0.25:
        cmd = rng.choice(list(VmCmd))
        return encode_control(cmd, bytes(rng.randrange(256) for _ in range(rng.randrange(0, 3))))
    n = rng.choice((0, 1, 2, 5, 30, rng.randrange(0, 299)))
    return encode_message(rng.randrange(256), bytes(rng.randrange(256) for _ in range(n + 2)))


def _mutate(rng: random.Random, frame: bytes) -> bytes:
    f = bytearray(frame)
    op = rng.randrange(7)
    if op == 0 and f:
        f[rng.randrange(len(f))] ^= 1 << rng.randrange(8)
    elif op == 1:
        f.insert(rng.randrange(len(f) + 1), rng.choice((0xA0, 0xA1, 0xAA, rng.randrange(256))))
    elif op == 2 and f:
        del f[rng.randrange(len(f))]
    elif op == 3:
        f = f[: rng.randrange(len(f) + 1)]
    elif op == 4:
        f = bytearray(rng.randrange(256) for _ in range(rng.randrange(0, 40)))
    elif op == 5:
        f += bytes(rng.randrange(256) for _ in range(rng.randrange(290, 320)))
    # op 6: unchanged
    return bytes(f)


def _check_stream(stream: bytes, rng: random.Random, min_len: int) -> int:
    dec = Decoder(min_len=min_len)
    got = []
    i = 0
    while i < len(stream):  # random chunking: incremental == one shot
        n = rng.randrange(1, 64)
        got += dec.feed(stream[i:i + n])
        i += n
    want = reference_decode(stream, min_len, VM_MAX_FRAME)
    if stream and stream[-1] not in (0xA0, 0xA1):
        pass  # a trailing partial frame is held back, as it should be
    assert got == want
    for item in got:
        if isinstance(item, VmMessage):
            assert len(item.msg) >= min_len - 2
            # it checksummed on the wire: re-encoding reproduces a frame that sums to 0
            body = bytes((item.seq,)) + item.msg
            assert Decoder(min_len=min_len).feed(escape(body + bytes((checksum(body),))) + b"\xa0") == [item]
    return len(got)


def _fuzz(seed: int, frames: int) -> int:
    rng = random.Random(seed)
    done = 0
    while done < frames:
        batch = [_valid_frame(rng) for _ in range(rng.randrange(1, 40))]
        stream = b"".join(_mutate(rng, f) if rng.random() < 0.7 else f for f in batch)
        _check_stream(stream, rng, rng.choice((3, 4, 5)))
        done += len(batch)
    return done


def test_fuzz_seeded_small():
    assert _fuzz(1, 5_000) >= 5_000


@pytest.mark.slow
def test_fuzz_seeded_100k():
    assert _fuzz(2, 100_000) >= 100_000


_frames = st.one_of(
    st.binary(max_size=64),
    st.builds(lambda s, m: encode_message(s, m), st.integers(0, 255), st.binary(min_size=2, max_size=40)),
    st.builds(lambda c, d: encode_control(c, d), st.sampled_from(list(VmCmd)), st.binary(max_size=3)),
    st.sampled_from([b"\xa0", b"\xa1", b"\xaa", b"\xaa\xa0", b"\xaa\xaa\xb0"]),
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(parts=st.lists(_frames, max_size=30), seed=st.integers(0, 2**32 - 1))
def test_fuzz_hypothesis(parts, seed):
    _check_stream(b"".join(parts), random.Random(seed), VM_MIN_RESPONSE)


@pytest.mark.slow
@settings(max_examples=2_000, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(parts=st.lists(_frames, min_size=50, max_size=60), seed=st.integers(0, 2**32 - 1))
def test_fuzz_hypothesis_100k_frames(parts, seed):
    # 2,000 examples of at least 50 frames each: at least 100,000 random and mutated frames.
    _check_stream(b"".join(parts), random.Random(seed), VM_MIN_RESPONSE)
