"""``ipmilab serve --lan`` as a process, and the real LAN clients pointed at it (loopback only, every wait bounded).

``LanServe(*extra)`` starts ``serve --lan 127.0.0.1:0`` (or ``lan=`` an
address) with ``--trace`` into its work directory and reads its output on a
thread; ``ports`` are the UDP ports its listening line names (one, or a rack's
``first-last`` range), ``trace_lines(what)`` the console host's records so far.
``ipmitool(port, ...)`` and ``freeipmi(tool, port, ...)`` run the real
programs with a subprocess timeout.  ``free_udp_block(n)`` probes for ``n``
consecutive free loopback UDP ports; ``vm_rss_kb(pid)`` reads /proc.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from tests.peers.guest.qemu_guest import stop_process

REPO = Path(__file__).resolve().parents[2]

# ipmitool's three transports against the LAN channel: v1.5 (MD5 by default), RMCP+ suites 3 and 17.
IFACES = {"lan": ("-I", "lan"), "lanplus-C3": ("-I", "lanplus", "-C", "3"),
          "lanplus-C17": ("-I", "lanplus", "-C", "17")}
ADMIN = ("-U", "ipmiusr", "-P", "test")          # the default user 2 (Administrator)

_LISTENING = re.compile(r"LAN channel 1 listening on udp 127\.0\.0\.1:(\d+)(?:-(\d+))?")
_VM_LISTENING = re.compile(r"listening on 127\.0\.0\.1:(\d+) \(one VM")


class LanServe:
    """``python -m scenarios.cli serve --lan ADDR *extra`` with its trace in ``workdir/serve.trace``."""

    def __init__(self, workdir: Path, *extra: str, lan: str = "127.0.0.1:0", start_timeout: float = 60.0,
                 trace: bool = True):
        self.trace = workdir / "serve.trace" if trace else None
        self.cmd = [sys.executable, "-m", "scenarios.cli", "serve", "--lan", lan, *extra]
        if self.trace is not None:
            self.cmd += ["--trace", str(self.trace)]
        self.start_timeout = start_timeout
        self.proc: subprocess.Popen | None = None
        self.ports: list[int] = []
        self.vm_port: int | None = None
        self.log: list[str] = []
        self.started_s: float | None = None     # wall seconds from the exec to the listening line
        self._reader: threading.Thread | None = None
        self._wants_vm = "--vm" in extra

    @property
    def port(self) -> int:
        return self.ports[0]

    @property
    def pid(self) -> int:
        return self.proc.pid

    def start(self) -> LanServe:
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        began = time.monotonic()
        self.proc = subprocess.Popen(self.cmd, cwd=REPO, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True)
        ready = threading.Event()

        def read():
            for line in self.proc.stdout:
                self.log.append(line.rstrip("\n"))
                m = _LISTENING.search(line)
                if m and not self.ports:
                    first, last = int(m.group(1)), int(m.group(2) or m.group(1))
                    self.ports = list(range(first, last + 1))
                    self.started_s = time.monotonic() - began
                m = _VM_LISTENING.search(line)
                if m:
                    self.vm_port = int(m.group(1))
                if self.ports and (self.vm_port is not None or not self._wants_vm):
                    ready.set()
            ready.set()

        self._reader = threading.Thread(target=read, daemon=True)
        self._reader.start()
        if not ready.wait(self.start_timeout) or not self.ports:
            self.stop()
            raise RuntimeError("ipmilab serve --lan did not start listening:\n" + "\n".join(self.log))
        return self

    def trace_lines(self, layer: str = "host") -> list[str]:
        """The trace records of one layer so far (serve writes each as it happens)."""
        if self.trace is None or not self.trace.exists():
            return []
        return [line for line in self.trace.read_text().splitlines() if line.split()[1:2] == [layer]]

    def host_events(self) -> list[str]:
        """The console host's power events, in order: power-on, power-off, power-cycle, hard-reset..."""
        return [line.split()[3] for line in self.trace_lines("host")]

    def wait_host_events(self, count: int, timeout: float = 10.0) -> list[str]:
        until = time.monotonic() + timeout
        while len(self.host_events()) < count and time.monotonic() < until:
            time.sleep(0.1)
        return self.host_events()

    def stop(self, timeout: float = 15.0) -> int | None:
        """SIGTERM, wait (bounded), then SIGKILL, all by this process's own pid; returns the exit code."""
        return stop_process(self.proc, self._reader, timeout)

    def __enter__(self) -> LanServe:
        return self if self.proc is not None else self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def ipmitool_argv(port: int, *args: str, iface: str = "lanplus-C17", login=ADMIN) -> list[str]:
    return ["ipmitool", *IFACES[iface], *login, "-H", "127.0.0.1", "-p", str(port), "-R", "2", "-N", "1", *args]


def ipmitool(port: int, *args: str, iface: str = "lanplus-C17", login=ADMIN, timeout: float = 20.0):
    return subprocess.run(ipmitool_argv(port, *args, iface=iface, login=login), capture_output=True, text=True,
                          timeout=timeout)


FREEIPMI_DRIVERS = {"LAN": ("-D", "LAN"), "LAN_2_0-I3": ("-D", "LAN_2_0", "-I", "3"),
                    "LAN_2_0-I17": ("-D", "LAN_2_0", "-I", "17")}


def freeipmi(tool: str, port: int, *args: str, driver: str = "LAN_2_0-I17", timeout: float = 20.0):
    argv = [tool, "-h", f"127.0.0.1:{port}", "-u", "ipmiusr", "-p", "test", *FREEIPMI_DRIVERS[driver], *args]
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout)


def free_udp_block(count: int, start: int = 20000, end: int = 60000) -> int:
    """The first port P in [start, end) with P..P+count-1 all free on 127.0.0.1 (bound, then released)."""
    port = start
    while port + count <= end:
        held = []
        try:
            for p in range(port, port + count):
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                try:
                    s.bind(("127.0.0.1", p))
                except OSError:
                    s.close()
                    port = p + 1
                    break
                held.append(s)
            else:
                return port
        finally:
            for s in held:
                s.close()
    raise RuntimeError(f"no {count} consecutive free UDP ports on 127.0.0.1 in {start}..{end}")


def vm_rss_kb(pid: int) -> int:
    """The process's resident set (VmRSS, kB) from /proc/PID/status."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS in /proc/{pid}/status")
