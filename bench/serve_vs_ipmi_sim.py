"""Requests per second of ``ipmilab serve`` against the real ``ipmi_sim``, in one run, with the same client.

    python bench/serve_vs_ipmi_sim.py [--seconds S] [--lan-requests N] [--json]

Two workloads, each run once against ipmi_sim and once against ipmilab, one
after the other on the same machine:

- ``vm``: the README.vm link, closed loop: one Get Device ID outstanding at a
  time, a Python client (``bmc.vm.codec``) on a TCP socket, for S seconds;
- ``lanplus``: real ``ipmitool -I lanplus -C 3 exec FILE`` with N
  ``raw 0x06 0x01`` lines: one RMCP+ session, N in-session Get Device IDs
  (the session set-up counted in; it is the same for both).

With two CPUs or more the client runs on CPU 0 and the server on CPU 1, for
both servers: unpinned, the scheduler sometimes puts a client and its server
on one CPU and sometimes not, and a closed loop's rate doubles or halves with
that choice alone.  It prints requests per second and the ratio ipmilab / ipmi_sim.  A benchmark,
never a test: the figures depend on the machine and its load.  Needs
``ipmi_sim`` and ``ipmitool`` (``tests/peers/install.sh``).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bmc.vm.codec import VM_MIN_RESPONSE, Decoder, VmMessage, connect_burst, encode_request  # noqa: E402
from tests.peers.ipmi_sim import IpmiSim, free_port  # noqa: E402

LOOPBACK = "127.0.0.1"


def _cpus() -> tuple[set[int], set[int]] | None:
    """(client CPUs, server CPUs), or None on a machine with one CPU."""
    cpus = sorted(os.sched_getaffinity(0))
    return ({cpus[0]}, {cpus[1]}) if len(cpus) >= 2 else None


def _pin_server(pid: int, pinning) -> None:
    if pinning is not None:
        os.sched_setaffinity(pid, pinning[1])


def vm_closed_loop(addr: tuple[str, int], seconds: float) -> float:
    """Get Device ID requests answered per second, one outstanding at a time."""
    sock = socket.create_connection(addr, timeout=5)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.sendall(connect_burst())
        decoder = Decoder(min_len=VM_MIN_RESPONSE)
        seq = answered = 0
        end = time.perf_counter() + seconds
        start = time.perf_counter()
        while time.perf_counter() < end:
            seq = (seq + 1) & 0x3F
            sock.sendall(encode_request(seq, 0x06, 0x01))
            while True:
                chunk = sock.recv(4096)
                if not chunk:
                    raise RuntimeError(f"{addr[0]}:{addr[1]} closed the VM link")
                if any(isinstance(m, VmMessage) and m.seq == seq for m in decoder.feed(chunk)):
                    break
            answered += 1
        return answered / (time.perf_counter() - start)
    finally:
        sock.close()


def _wait_tcp(port: int, proc: subprocess.Popen, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"ipmilab serve exited with {proc.returncode}")
        try:
            socket.create_connection((LOOPBACK, port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"ipmilab serve did not listen on {port} within {timeout} s")


def _wait_udp(port: int, proc: subprocess.Popen, timeout: float = 20.0) -> None:
    """Until an RMCP presence ping on ``port`` is answered."""
    ping = bytes.fromhex("06 00 ff 06 00 00 11 be 80 00 00 00")
    deadline = time.monotonic() + timeout
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(0.2)
        while time.monotonic() < deadline:
            if proc is not None and proc.poll() is not None:
                raise RuntimeError(f"server exited with {proc.returncode}")
            s.sendto(ping, (LOOPBACK, port))
            try:
                s.recvfrom(512)
                return
            except OSError:
                time.sleep(0.05)
    raise RuntimeError(f"nothing answered an RMCP ping on UDP {port} within {timeout} s")


def lanplus_exec(port: int, requests: int, workdir: Path) -> float:
    """In-session Get Device IDs per second through real ipmitool (one session, ``exec``)."""
    script = workdir / f"getdevid-{requests}.txt"
    script.write_text("raw 0x06 0x01\n" * requests)
    cmd = ["ipmitool", "-I", "lanplus", "-C", "3", "-H", LOOPBACK, "-p", str(port), "-U", "ipmiusr", "-P", "test",
           "-R", "1", "-N", "2", "exec", str(script)]
    start = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    elapsed = time.perf_counter() - start
    answers = len(re.findall(r"^(?: [0-9a-f]{2}){11,}$", out.stdout, flags=re.M))  # a Get Device ID: 11 or 15 bytes
    if answers != requests:
        raise RuntimeError(f"ipmitool answered {answers} of {requests} requests: {out.stderr.strip()[:300]}")
    return requests / elapsed


def serve_ipmilab(workdir: Path, vm_port: int, lan_port: int | None) -> subprocess.Popen:
    args = [sys.executable, "-m", "scenarios.cli", "serve", "--vm", f"{LOOPBACK}:{vm_port}",
            "--state-dir", str(workdir / "ipmilab-state")]
    if lan_port is not None:
        args += ["--lan", f"{LOOPBACK}:{lan_port}"]
    return subprocess.Popen(args, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)


def _lan_supported() -> bool:
    out = subprocess.run([sys.executable, "-m", "scenarios.cli", "serve", "--help"], cwd=ROOT,
                         capture_output=True, text=True, timeout=60)
    return "--lan" in out.stdout


def run(seconds: float, lan_requests: int) -> dict:
    missing = [p for p in ("ipmi_sim", "ipmitool") if shutil.which(p) is None]
    if missing:
        raise SystemExit(f"bench/serve_vs_ipmi_sim.py: {', '.join(missing)} not installed (tests/peers/install.sh)")
    pinning = _cpus()
    result: dict = {"seconds": seconds, "lan_requests": lan_requests,
                    "pinned": None if pinning is None else {"client": sorted(pinning[0]),
                                                            "server": sorted(pinning[1])}}
    if pinning is not None:
        os.sched_setaffinity(0, pinning[0])   # ipmitool, started by this process, inherits it
    with tempfile.TemporaryDirectory(prefix="ipmilab-bench-") as tmp:
        workdir = Path(tmp)
        sim = IpmiSim(workdir / "ipmi_sim").start()
        _pin_server(sim.proc.pid, pinning)
        try:
            result["vm_ipmi_sim"] = vm_closed_loop((LOOPBACK, sim.vm_port), seconds)
            _wait_udp(sim.lan_port, None)
            result["lanplus_ipmi_sim"] = lanplus_exec(sim.lan_port, lan_requests, workdir)
        finally:
            sim.stop()
        lan = _lan_supported()
        vm_port = free_port()
        lan_port = free_port(socket.SOCK_DGRAM) if lan else None
        proc = serve_ipmilab(workdir, vm_port, lan_port)
        _pin_server(proc.pid, pinning)
        try:
            _wait_tcp(vm_port, proc)
            result["vm_ipmilab"] = vm_closed_loop((LOOPBACK, vm_port), seconds)
            if lan:
                _wait_udp(lan_port, proc)
                result["lanplus_ipmilab"] = lanplus_exec(lan_port, lan_requests, workdir)
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, 9)
    for kind in ("vm", "lanplus"):
        if f"{kind}_ipmilab" in result:
            result[f"{kind}_ratio"] = result[f"{kind}_ipmilab"] / result[f"{kind}_ipmi_sim"]
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench/serve_vs_ipmi_sim.py", description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="wall seconds of the VM closed loop (default: 3)")
    parser.add_argument("--lan-requests", type=int, default=2000,
                        help="in-session Get Device IDs per lanplus run (default: 2000)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    args = parser.parse_args(argv)
    if args.seconds <= 0:
        parser.error(f"--seconds: {args.seconds:g} must be positive")
    if args.lan_requests < 1:
        parser.error(f"--lan-requests: {args.lan_requests} must be at least 1")
    result = run(args.seconds, args.lan_requests)
    if args.json:
        print(json.dumps(result, indent=2, sort_keys=True))
        return 0
    pinned = result["pinned"]
    print(f"client on CPU {pinned['client']}, servers on CPU {pinned['server']}" if pinned else
          "one CPU: client and servers share it")
    print(f"{'workload':<34}{'ipmi_sim':>12}{'ipmilab':>12}{'ratio':>8}")
    for kind, label in (("vm", "serve --vm closed loop (req/s)"), ("lanplus", "lanplus in session (req/s)")):
        ours = result.get(f"{kind}_ipmilab")
        theirs = result[f"{kind}_ipmi_sim"]
        ratio = f"{result[f'{kind}_ratio']:.2f}x" if ours is not None else "-"
        ours_text = f"{ours:,.0f}" if ours is not None else "(no --lan)"
        print(f"{label:<34}{theirs:>12,.0f}{ours_text:>12}{ratio:>8}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
