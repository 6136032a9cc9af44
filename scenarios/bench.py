"""How fast the simulator runs: per preset and interface, back-to-back transactions; the dispatcher alone.

Method: per preset and system interface, the world is booted (polled host,
tracing off), 20 untimed requests warm it up, then one process sends the
same request back to back through the host's message handler for a fixed
wall-clock budget: Get Device ID (a 14-byte response) and Read FRU Data of
56 bytes (a 60-byte response).  ``events_per_txn`` (SimPy events per
transaction) is deterministic and machine-independent; ``txn_per_s`` is the
wall-clock rate.  A raw SimPy loop (one process yielding ``env.timeout(1)``)
prices a bare kernel event on this machine, as context.  Wall time is read
with ``time.perf_counter``: this measures the simulator, it is never part of
the model or of a test's expectations.
"""

from __future__ import annotations

import json
import os
import platform
from collections.abc import Callable, Iterable
from time import perf_counter

import simpy

from bmc.bmc import Bmc
from bmc.ipmi.cmd import App, Storage
from bmc.ipmi.netfn import NetFn
from bmc.ipmid import Ipmid
from buses import Simulation
from buses.time import S

from .presets import PRESETS, get_preset
from .world import World

DEFAULT_PRESETS = tuple(PRESETS)
RAW_STAGE = "raw SimPy"
WARMUP_TXNS = 20          # not timed: first calls fill caches and settle the driver
RAW_CHUNK = 4096          # timeouts between two wall-clock checks of the raw loop
REPORT_EVERY = 0.05       # seconds of wall time between progress callbacks

# The two workloads: (netfn, cmd, data) and the response length they produce.
WORKLOADS = {
    "get_device_id": (NetFn.APP, App.GET_DEVICE_ID, b""),
    "read_60": (NetFn.STORAGE, Storage.READ_FRU_DATA, bytes((0, 0, 0, 56))),   # CC, count, 56 bytes: 60
}

# The targets of the seams issue (bench/README.md): (preset, interface, workload, metric, "min"/"max", bound).
TARGETS = (
    ("isa-ipmi-kcs", "kcs", "get_device_id", "txn_per_s", "min", 10_000),
    ("pci-ipmi-kcs", "kcs", "get_device_id", "txn_per_s", "min", 10_000),
    ("ast2600", "kcs", "get_device_id", "txn_per_s", "min", 3_000),
)
BT_VS_KCS_MAX = 1.5       # BT within 1.5x of KCS events/txn for the same workload
# (BT preset, KCS preset): the same bus and BMC side, the other interface.
BT_KCS_PAIRS = (("isa-ipmi-bt", "kcs@isa-ipmi-kcs"), ("pci-ipmi-bt", "kcs@pci-ipmi-kcs"),
                ("ast2500", "kcs@ast2500"), ("ast2600", "kcs@ast2600"))

SSIF_VS_KCS_MAX = 2.0     # SSIF within 2x of KCS events/txn for the same workload (the SSIF issue)
SSIF_KCS_PAIRS = (("smbus-ipmi", "kcs@isa-ipmi-kcs"), ("ast2500", "kcs@ast2500"), ("ast2600", "kcs@ast2600"))

Progress = Callable[[str, float], None]   # (stage, fraction of its wall budget done)


def _check_seconds(seconds: float) -> None:
    if not seconds > 0:
        raise ValueError(f"seconds: {seconds!r} must be > 0")


def raw_simpy_events_per_s(seconds: float = 2.0, progress: Progress | None = None) -> float:
    """Events/s of one process doing ``yield env.timeout(1)`` for ``seconds`` of wall time."""
    _check_seconds(seconds)
    env = simpy.Environment()
    done = [0]

    def loop():
        timeout = env.timeout
        start = perf_counter()
        deadline = start + seconds
        next_report = start
        n = 0
        while True:
            for _ in range(RAW_CHUNK):
                yield timeout(1)
            n += RAW_CHUNK
            now = perf_counter()
            if now >= deadline:
                break
            if progress is not None and now >= next_report:
                progress(RAW_STAGE, (now - start) / seconds)
                next_report = now + REPORT_EVERY
        done[0] = n

    t0 = perf_counter()
    env.run(until=env.process(loop()))
    wall = perf_counter() - t0
    if progress is not None:
        progress(RAW_STAGE, 1.0)
    return done[0] / wall


def bench_case(name: str, kind: str, workload: str, seconds: float = 1.0,
               progress: Progress | None = None) -> dict:
    """One workload back to back on preset ``name``'s interface ``kind``, polled host, for ``seconds``."""
    _check_seconds(seconds)
    netfn, cmd, data = WORKLOADS[workload]
    world = World(get_preset(name), interface=kind)
    if not world.boot():
        raise RuntimeError(f"preset {name!r} ({kind}): the host driver did not find the BMC")
    sim = world.sim
    ipmi = world.host.ipmi
    stage = f"{name} {kind} {workload}"

    def loop():
        for _ in range(WARMUP_TXNS):
            yield from ipmi.request(netfn, cmd, data)
        events0, sim0 = sim.events_scheduled, sim.now
        start = perf_counter()
        deadline = start + seconds
        next_report = start
        txns = latency = failed = 0
        size = 0
        while True:
            r = yield from ipmi.request(netfn, cmd, data)
            txns += 1
            latency += r.elapsed
            failed += not r.ok
            size = len(r.raw)
            now = perf_counter()
            if now >= deadline:
                break
            if progress is not None and now >= next_report:
                progress(stage, (now - start) / seconds)
                next_report = now + REPORT_EVERY
        wall = perf_counter() - start
        return txns, wall, sim.events_scheduled - events0, sim.now - sim0, latency, failed, size

    txns, wall, events, sim_time, latency, failed, size = sim.run_process(loop())
    if progress is not None:
        progress(stage, 1.0)
    return {
        "response_bytes": size,
        "txns": txns,
        "failed": failed,
        "wall_s": round(wall, 4),
        "txn_per_s": round(txns / wall, 1),
        "events_per_txn": round(events / txns, 2),
        "sim_per_wall": round(sim_time / S / wall, 4),
        "mean_latency_ns": round(latency / txns),
    }


def bench_preset(name: str, seconds: float = 1.0, progress: Progress | None = None) -> dict:
    """Every interface of preset ``name`` x every workload: ``{kind: {workload: bench_case(...)}}``."""
    p = get_preset(name)
    out: dict = {"fidelity": p.fidelity, "bus": p.bus}
    for si in p.interfaces:
        out[si.kind] = {w: bench_case(name, si.kind, w, seconds, progress) for w in WORKLOADS}
    return out


DISPATCHER_STAGE = "dispatcher"
DISPATCHER_CHUNK = 1024      # requests between two wall-clock checks
DISPATCHER_TARGET = 50_000   # requests/s on one core (issue 6)
SDR_RECORDS = 16             # full-sensor-sized records (64 bytes) in the benchmark's repository


def _handled_per_s(handle, requests: list[bytes], seconds: float, progress: Progress | None, done: float) -> float:
    """``handle(request)`` round-robin over ``requests`` for ``seconds`` of wall time; requests/s."""
    n = 0
    count = len(requests)
    start = perf_counter()
    deadline = start + seconds
    next_report = start
    while True:
        for i in range(DISPATCHER_CHUNK):
            handle(requests[i % count])
        n += DISPATCHER_CHUNK
        now = perf_counter()
        if now >= deadline:
            return n / (now - start)
        if progress is not None and now >= next_report:
            progress(DISPATCHER_STAGE, done + (now - start) / seconds / 2)
            next_report = now + REPORT_EVERY


def bench_dispatcher(seconds: float = 2.0, progress: Progress | None = None) -> dict:
    """The BMC's dispatcher alone (no bus, no SimPy event): Get Device ID and whole-record Get SDR per second.

    Each command gets half of ``seconds``.  The repository holds 16 records
    of 64 bytes (a full sensor record's maximum); Get SDR cycles through
    them, reading each whole (bytes to read 0xFF), with the tracer off.
    """
    _check_seconds(seconds)
    sim = Simulation()
    bmc = Bmc(sim)
    ipmid = Ipmid(sim, bmc, raise_unexpected=True)
    ids = [bmc.sdr.add(bytes((0, 0, 0x51, 0x01, 59)) + bytes(range(59))) for _ in range(SDR_RECORDS)]
    get_sdr = [bytes((NetFn.STORAGE << 2, Storage.GET_SDR, 0, 0, i & 0xFF, i >> 8, 0, 0xFF)) for i in ids]
    for req in get_sdr:
        rsp = ipmid.handle(req)
        if rsp[2] != 0 or len(rsp) != 3 + 2 + 64:
            raise RuntimeError(f"Get SDR answered {rsp.hex(' ')}")
    handle = ipmid.handle
    device_id = _handled_per_s(handle, [bytes((NetFn.APP << 2, App.GET_DEVICE_ID))], seconds / 2, progress, 0.0)
    sdr = _handled_per_s(handle, get_sdr, seconds / 2, progress, 0.5)
    if progress is not None:
        progress(DISPATCHER_STAGE, 1.0)
    return {"get_device_id_per_s": round(device_id, 1), "get_sdr_per_s": round(sdr, 1),
            "target_per_s": DISPATCHER_TARGET}


def machine() -> str:
    """CPU model, architecture and core count, for comparing runs across machines."""
    model = platform.processor() or ""
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{model or 'unknown CPU'} ({platform.machine()}), {os.cpu_count()} CPUs, {platform.system()}"


def python() -> str:
    return f"{platform.python_implementation()} {platform.python_version()}, simpy {simpy.__version__}"


def run_bench(seconds: float = 1.0, presets: Iterable[str] = DEFAULT_PRESETS,
              progress: Progress | None = None) -> dict:
    """The whole benchmark in one run: the JSON object ``ipmilab bench --json`` prints."""
    _check_seconds(seconds)
    names = list(presets)
    for name in names:
        get_preset(name)  # fail on a bad name before spending any wall time
    raw = raw_simpy_events_per_s(seconds, progress)
    results = {name: bench_preset(name, seconds, progress) for name in names}
    dispatcher = bench_dispatcher(seconds, progress)
    return {"raw_simpy_events_per_s": round(raw, 1), "presets": results, "bt_vs_kcs": bt_vs_kcs(results),
            "ssif_vs_kcs": vs_kcs(results, "ssif", SSIF_KCS_PAIRS),
            "dispatcher": dispatcher, "python": python(), "machine": machine()}


def _case(results: dict, ref: str, kind: str | None = None):
    """``results`` entry for ``"kcs@preset"`` or (preset, kind)."""
    if "@" in ref:
        kind, ref = ref.split("@")
    return results.get(ref, {}).get(kind)


def bt_vs_kcs(results: dict) -> dict:
    """BT events/txn over KCS events/txn on the same bus and BMC side, per workload (both measured)."""
    return vs_kcs(results, "bt", BT_KCS_PAIRS)


def vs_kcs(results: dict, kind: str, pairs) -> dict:
    """``kind``'s events/txn over KCS's on the same BMC side, per workload (both measured)."""
    out = {}
    for preset, kcs_ref in pairs:
        other, kcs = _case(results, preset, kind), _case(results, kcs_ref)
        if other is None or kcs is None:
            continue
        out[preset] = {w: round(other[w]["events_per_txn"] / kcs[w]["events_per_txn"], 3) for w in WORKLOADS}
    return out


def check_targets(result: dict) -> list[tuple[str, str, float, bool]]:
    """(where, target, measured, met) for every target that applies to what was measured."""
    out = []
    for name, kind, workload, metric, rule, bound in TARGETS:
        case = _case(result["presets"], name, kind)
        if case is None:
            continue
        value = case[workload][metric]
        met = value >= bound if rule == "min" else value <= bound
        out.append((f"{name} {kind} {workload}", f"{metric} {'>=' if rule == 'min' else '<='} {bound:g}", value,
                    met))
    for key, kind, bound in (("bt_vs_kcs", "bt", BT_VS_KCS_MAX), ("ssif_vs_kcs", "ssif", SSIF_VS_KCS_MAX)):
        for preset, ratios in result.get(key, {}).items():
            for workload, ratio in ratios.items():
                out.append((f"{preset} {kind} vs kcs {workload}", f"events/txn ratio <= {bound:g}", ratio,
                            ratio <= bound))
    return out


def to_json(result: dict) -> str:
    return json.dumps(result, indent=2)
