"""The real OpenIPMI ``ipmi_sim`` as a test peer, on loopback ports only.

``IpmiSim(workdir)`` writes a ``lan.conf`` (a VM-codec system interface,
``serial 15 127.0.0.1 <vm_port> codec VM``; a LAN channel and an emulator
console, both on 127.0.0.1; two users) and an emulator command file (the
BMC at 0x20 with a SEL, a temperature sensor, two SDRs and FRU 0), starts
``ipmi_sim -c lan.conf -f cmds.emu -s <state> -n`` and waits until its VM
port listens.  ``kill()``/``restart()`` simulate a crashing BMC (the state
directory is kept, so stored SEL/SDR data survives a restart);
``pause()``/``resume()`` (SIGSTOP/SIGCONT) make a BMC that stops answering
while its socket stays open.  Every wait is bounded; ``stop()`` kills
whatever is left.

Facts: reference/linux-ipmi.md 4.1-4.4.  Debian's ipmi_sim (OpenIPMI
2.0.33) parses emulator bytes with base-0 ``strtoul``, so every byte is
written with a ``0x`` prefix; a bad line stops it before its listeners open,
which ``start()`` reports with the log.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

LOOPBACK = "127.0.0.1"

SDR_NAME_TYPE_ASCII8 = 0xC0


def installed() -> bool:
    return shutil.which("ipmi_sim") is not None


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    """A port the kernel just handed out on 127.0.0.1 (free for both TCP and UDP when asked twice)."""
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


def _free_tcp_udp_port() -> int:
    for _ in range(50):
        port = free_port(socket.SOCK_DGRAM)
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
                s.bind((LOOPBACK, port))
        except OSError:
            continue
        return port
    raise RuntimeError("no loopback port free for both UDP and TCP after 50 tries")


def _with_length(record: bytes) -> bytes:
    """Fill the SDR header's record-length byte (byte 4: bytes after the 5-byte header)."""
    return record[:4] + bytes((len(record) - 5,)) + record[5:]


def mc_locator_sdr(name: bytes = b"BMC") -> bytes:
    """Management Controller Device Locator (type 0x12) for the BMC at 0x20."""
    body = bytes((0x20, 0x00, 0x00, 0x00, 0x00, 0x9F, 0x00, 0x00, 0x00, 0x00, SDR_NAME_TYPE_ASCII8 | len(name)))
    return _with_length(bytes((0x00, 0x00, 0x51, 0x12, 0x00)) + body + name)


def temp_sensor_sdr(number: int = 1, name: bytes = b"Temp1") -> bytes:
    """Full Sensor Record (type 0x01): an upper-threshold temperature sensor, degrees C, M=1."""
    body = bytes.fromhex(
        "20 00" f"{number:02x}" "03 01 67 88 01 01 c0 0f c0 7f 38 38 00 01 00 00 01 00 00 00 00 00 03"
        "60 b0 00 b0 00 a0 90 70 00 00 00 00 00 00 00 00"
    )
    return _with_length(bytes((0x00, 0x00, 0x51, 0x01, 0x00)) + body + bytes((SDR_NAME_TYPE_ASCII8 | len(name),))
                        + name)


def fru_data(size: int = 64) -> bytes:
    """A FRU area with only a valid common header (format version 1, no areas)."""
    data = bytearray(size)
    data[0] = 0x01
    data[7] = -sum(data[:7]) & 0xFF
    return bytes(data)


def _hexbytes(data: bytes) -> str:
    return " ".join(f"0x{b:02x}" for b in data)


class IpmiSim:
    """One ``ipmi_sim`` process and its generated configuration."""

    def __init__(self, workdir: str | os.PathLike, vm_port: int | None = None, lan_port: int | None = None,
                 console_port: int | None = None, sel_entries: int = 1000):
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.vm_port = vm_port or free_port()
        self.lan_port = lan_port or _free_tcp_udp_port()
        self.console_port = console_port or free_port()
        self.sel_entries = sel_entries
        self.conf = self.workdir / "lan.conf"
        self.emu = self.workdir / "cmds.emu"
        self.state = self.workdir / "state"
        self.log_path = self.workdir / "ipmi_sim.log"
        self.sdrs = [mc_locator_sdr(), temp_sensor_sdr()]
        self.proc: subprocess.Popen | None = None
        self._log = None
        self.starts = 0

    @property
    def vm_addr(self) -> str:
        return f"{LOOPBACK}:{self.vm_port}"

    # -- configuration ------------------------------------------------------------------------
    def write_config(self) -> None:
        auths = "none md2 md5 straight"
        self.conf.write_text("\n".join([
            'name "ipmilab"',
            "set_working_mc 0x20",
            "  startlan 1",
            f"    addr {LOOPBACK} {self.lan_port}",
            "    priv_limit admin",
            f"    allowed_auths_callback {auths}",
            f"    allowed_auths_user {auths}",
            f"    allowed_auths_operator {auths}",
            f"    allowed_auths_admin {auths}",
            "    guid a123456789abcdefa123456789abcdef",
            "  endlan",
            f"  serial 15 {LOOPBACK} {self.vm_port} codec VM",
            f'  user 1 true  ""        "test" user  10 {auths}',
            f'  user 2 true  "ipmiusr" "test" admin 10 {auths}',
            f"console {LOOPBACK} {self.console_port}",
            "",
        ]))
        lines = [
            "mc_setbmc 0x20",
            # ipmb dev-id sdrs dev-rev fw-major fw-minor dev-support mfg-id product-id
            "mc_add 0x20 0 no-device-sdrs 0x23 9 8 0x9f 0x1291 0xf02 persist_sdr",
            f"sel_enable 0x20 {self.sel_entries} 0x0a",
            # The watchdog needs its sensor: number 0, type 0x23, sensor-specific, event-only.
            "sensor_add 0x20 0 0 0x23 0x6f event-only",
            "sensor_add 0x20 0 1 0x01 0x01",
            "sensor_set_value 0x20 0 1 0x60 0",
            "sensor_set_threshold 0x20 0 1 settable 111000 0xa0 0x90 0x70 00 00 00",
            "sensor_set_event_support 0x20 0 1 enable scanning per-state"
            " 000111111000000 000111111000000 000111111000000 000111111000000",
        ]
        lines += [f"main_sdr_add 0x20 {_hexbytes(sdr)}" for sdr in self.sdrs]
        fru = fru_data()
        lines += [f"mc_add_fru_data 0x20 0 {len(fru)} data {_hexbytes(fru)}", "mc_enable 0x20", ""]
        self.emu.write_text("\n".join(lines))

    # -- process control ----------------------------------------------------------------------
    def start(self, timeout: float = 10.0) -> IpmiSim:
        if self.proc is not None and self.proc.poll() is None:
            raise RuntimeError(f"ipmi_sim already running as pid {self.proc.pid}")
        if not self.conf.exists():
            self.write_config()
        self.state.mkdir(exist_ok=True)
        self._log = open(self.log_path, "ab")   # closed in _reap
        self.proc = subprocess.Popen(
            ["ipmi_sim", "-c", str(self.conf), "-f", str(self.emu), "-s", str(self.state), "-n"],
            stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT, cwd=self.workdir,
            start_new_session=True,
        )
        self.starts += 1
        deadline = time.monotonic() + timeout
        while not _listening(self.vm_port):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                why = "exited" if self.proc.poll() is not None else f"did not listen within {timeout} s"
                self.stop()
                raise RuntimeError(f"ipmi_sim {why} on {self.vm_addr}; log:\n{self.log()}")
            time.sleep(0.01)
        return self

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-4000:]
        except OSError:
            return ""

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def pause(self) -> None:
        """SIGSTOP: the socket stays open, nothing answers."""
        self.proc.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        self.proc.send_signal(signal.SIGCONT)

    def kill(self, timeout: float = 5.0) -> None:
        """SIGKILL (a crash): the kernel closes its sockets."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self._reap(timeout)

    def stop(self, timeout: float = 5.0) -> None:
        """SIGTERM, then SIGKILL if it lingers."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)
            self.proc.terminate()
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self._reap(timeout)

    def restart(self, timeout: float = 10.0) -> IpmiSim:
        self.kill()
        deadline = time.monotonic() + timeout
        while _listening(self.vm_port) and time.monotonic() < deadline:
            time.sleep(0.01)
        return self.start(timeout)

    def _reap(self, timeout: float) -> None:
        try:
            self.proc.wait(timeout)
        finally:
            if self._log is not None:
                self._log.close()
                self._log = None

    # -- emulator console ---------------------------------------------------------------------
    def console(self, command: str, timeout: float = 2.0) -> str:
        """Run one emulator command (``ipmi_sim_cmd.5``) through the console port; returns its output."""
        with socket.create_connection((LOOPBACK, self.console_port), timeout=timeout) as s:
            s.sendall(command.encode() + b"\n")
            out = b""
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                s.settimeout(max(0.01, deadline - time.monotonic()))
                try:
                    chunk = s.recv(4096)
                except TimeoutError:
                    break
                if not chunk:
                    break
                out += chunk
                if out.rstrip().endswith(b">") and out.count(b">") >= 2:
                    break
            return out.decode(errors="replace")

    def __enter__(self) -> IpmiSim:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def _listening(port: int) -> bool:
    """Whether something LISTENs on 127.0.0.1:port, read from /proc (probing with connect() would
    count as the VM connecting)."""
    want = f"0100007F:{port:04X}"
    try:
        with open("/proc/net/tcp") as f:
            next(f)
            for line in f:
                fields = line.split()
                if fields[1] == want and fields[3] == "0A":
                    return True
    except OSError:
        return False
    return False
