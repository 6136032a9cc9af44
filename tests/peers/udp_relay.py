"""A loopback UDP relay that records the datagrams between a LAN console (ipmitool) and a BMC, as the golden
captures in tests/golden/rmcp/ were made; it can also resend recorded datagrams from its own upstream socket
(replay tests: to the BMC the copy comes from the console's address and port, as an attacker's would).

    relay = UdpRelay(("127.0.0.1", bmc_port))      # ipmitool -H 127.0.0.1 -p relay.port ...
    relay.start(); ...; relay.stop()
    relay.records                                  # [('>' or '<', bytes)], in the order they crossed
    relay.inject(datagram, wait=0.5)               # -> the BMC's answers to a resent datagram

Run as a program it records one ipmitool command into a golden file:

    python -m tests.peers.udp_relay OUT.txt HEADER BMC_PORT -- ipmitool -I lanplus ... -p {port} mc info
"""

from __future__ import annotations

import pathlib
import select
import socket
import subprocess
import sys
import threading
import time


class UdpRelay:
    def __init__(self, upstream: tuple[str, int]):
        self.upstream = upstream
        self.down = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)    # the console talks to this one
        self.down.bind(("127.0.0.1", 0))
        self.up = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)      # and this one to the BMC
        self.up.bind(("127.0.0.1", 0))
        self.port = self.down.getsockname()[1]
        self.records: list[tuple[str, bytes]] = []
        self.console = None
        self._stop = threading.Event()
        self._injected: list[bytes] | None = None
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> UdpRelay:
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            ready, _, _ = select.select([self.down, self.up], [], [], 0.05)
            for sock in ready:
                data, addr = sock.recvfrom(65536)
                with self._lock:
                    if sock is self.down:
                        self.console = addr
                        self.records.append((">", data))
                        self.up.sendto(data, self.upstream)
                    elif self._injected is not None:
                        self._injected.append(data)          # an answer to a resent datagram: not the console's
                    else:
                        self.records.append(("<", data))
                        if self.console is not None:
                            self.down.sendto(data, self.console)

    def inject(self, datagram: bytes, wait: float = 0.5) -> list[bytes]:
        """Send ``datagram`` to the BMC from the relay's upstream socket; the answers within ``wait`` s."""
        with self._lock:
            self._injected = []
            self.up.sendto(datagram, self.upstream)
        time.sleep(wait)
        with self._lock:
            got, self._injected = self._injected, None
        return got

    def wait_for(self, count: int, timeout: float = 10.0) -> bool:
        """Wait until ``count`` datagrams have crossed (either way)."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if len(self.records) >= count:
                return True
            time.sleep(0.01)
        return False

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self.down.close()
        self.up.close()


def write_golden(path, header: str, records) -> None:
    lines = [f"# {header}", "# '>' console to BMC, '<' BMC to console; one datagram per line, hex."]
    lines += [f"{way} {data.hex()}" for way, data in records]
    pathlib.Path(path).write_text("\n".join(lines) + "\n")


def read_golden(path) -> list[tuple[str, bytes]]:
    out = []
    for line in pathlib.Path(path).read_text().splitlines():
        if line and not line.startswith("#"):
            way, hexdata = line.split()
            out.append((way, bytes.fromhex(hexdata)))
    return out


def main(argv: list[str]) -> int:
    out, header, bmc_port, sep, *cmd = argv
    assert sep == "--", "usage: OUT HEADER BMC_PORT -- command with {port}"
    relay = UdpRelay(("127.0.0.1", int(bmc_port))).start()
    try:
        r = subprocess.run([c.replace("{port}", str(relay.port)) for c in cmd], capture_output=True, text=True,
                           timeout=30)
        time.sleep(0.2)
    finally:
        relay.stop()
    sys.stdout.write(r.stdout)
    sys.stderr.write(r.stderr)
    write_golden(out, header, relay.records)
    return r.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
