"""How long requests take in simulated time: the numbers the README's timing table shows.

Per preset, interface and host mode (polled with kipmid, or interrupt-driven),
the world is booted, left to settle, then the same request is sent ``count``
times one after the other; each latency is from the message handler taking
the request to the response reaching it.  Everything is simulated time, so
the same arguments give the same numbers on any machine.
"""

from __future__ import annotations

from statistics import median

from buses.time import ms

from .bench import WORKLOADS
from .presets import get_preset
from .world import World

SETTLE = ms(20)           # after boot: the start-up traffic and its flag checks are over


def measure(preset: str, interface: str | None = None, use_irq: bool = False, workload: str = "get_device_id",
            count: int = 50, seed: int = 0) -> dict:
    """``count`` back-to-back ``workload`` requests: min, median and max latency (ns), the CC seen."""
    if count < 1:
        raise ValueError(f"count: {count!r} must be at least 1")
    netfn, cmd, data = WORKLOADS[workload]
    w = World(get_preset(preset), seed=seed, use_irq=use_irq, interface=interface)
    if not w.boot():
        raise RuntimeError(f"preset {preset!r}: the host driver did not find the BMC")
    w.sim.run(until=w.sim.now + SETTLE)
    ipmi = w.host.ipmi

    def loop():
        out = []
        for _ in range(count):
            r = yield from ipmi.request(netfn, cmd, data)
            out.append((r.elapsed, r.cc))
        return out

    results = w.sim.run_process(loop())
    lat = sorted(t for t, _cc in results)
    return {"preset": preset, "interface": w.interface.kind, "irq": use_irq, "workload": workload,
            "count": count, "min_ns": lat[0], "median_ns": int(median(lat)), "max_ns": lat[-1],
            "failed": sum(1 for _t, cc in results if cc)}


def table(presets, count: int = 50, seed: int = 0) -> list[dict]:
    """Every preset x interface x (polled, irq) x workload."""
    rows = []
    for name in presets:
        p = get_preset(name)
        for si in p.interfaces:
            for irq in (False, True):
                for workload in WORKLOADS:
                    rows.append(measure(name, si.kind, irq, workload, count, seed))
    return rows
