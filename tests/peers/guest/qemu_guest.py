"""A real Linux guest under QEMU, talking IPMI to ``ipmilab serve --vm`` (the server role's real peer).

Everything comes from Debian packages already on the machine
(``tests/peers/install.sh``): the ``linux-image-amd64`` kernel in /boot and
its modules, ``busybox-static`` and ``ipmitool`` (with the shared libraries
``ldd`` names).  ``build_initramfs`` writes an uncompressed newc cpio archive
(no root and no ``cpio`` tool needed: the format is written here) whose
``/init`` (``init.sh``) loads the interface's drivers, waits for
``/dev/ipmi0``, runs each check with ipmitool, marks every result on the
serial console and finally asks the BMC for ``chassis power off``.  A check
made with ``exact=True`` keeps ipmitool's stdout and stderr apart and brings
both back byte for byte (base64 past the console's line discipline), in
``CheckResult.stdout`` and ``.stderr``; its words may be quoted ("Inlet Temp").

``run_guest(interface, port)`` boots it under ``qemu-system-x86_64`` (TCG,
no KVM) with ``ipmi-bmc-extern`` on a chardev socket to 127.0.0.1:port and
the interface device, and returns a ``GuestRun``: each check's output and
exit code, when the driver bound, whether QEMU exited by itself after the
power-off request, and the wall time of every phase.  Every wait is bounded.
"""

from __future__ import annotations

import base64
import glob
import hashlib
import os
import re
import shutil
import stat
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
QEMU = "qemu-system-x86_64"
IPMITOOL = "/usr/bin/ipmitool"
BUSYBOX_PATHS = ("/bin/busybox", "/usr/bin/busybox")
IANA_REGISTRY = "/usr/share/misc/enterprise-numbers.txt"


@dataclass(frozen=True)
class Interface:
    device: str                 # the QEMU interface device, linked to bmc0
    machine: str                # pc for the ISA interfaces, q35 for the ICH9 SMBus
    modules: tuple[str, ...]    # what to load (dependencies are added from modules.dep)
    bound: str                  # the kernel line that says this driver took this interface
    serve_interface: str        # ipmilab serve --interface


INTERFACES = {
    "isa-ipmi-kcs": Interface("isa-ipmi-kcs,bmc=bmc0", "pc", ("ipmi_si",), "IPMI kcs interface initialized", "kcs"),
    "isa-ipmi-bt": Interface("isa-ipmi-bt,bmc=bmc0", "pc", ("ipmi_si",), "IPMI bt interface initialized", "bt"),
    # The PCI functions: ipmi_si's PCI driver (ipmi_si_pci.c) finds them by class 0x0C07.
    "pci-ipmi-kcs": Interface("pci-ipmi-kcs,bmc=bmc0", "pc", ("ipmi_si",), "IPMI kcs interface initialized", "kcs"),
    "pci-ipmi-bt": Interface("pci-ipmi-bt,bmc=bmc0", "pc", ("ipmi_si",), "IPMI bt interface initialized", "bt"),
    # QEMU's default I2C address is 0 (the general call address); 0x10 is what its examples use.
    "smbus-ipmi": Interface("smbus-ipmi,bmc=bmc0,address=0x10", "q35", ("i2c-i801", "ipmi_ssif"),
                            "ipmi_ssif i2c-IPI0001:00: IPMI message handler: Found new BMC", "ssif"),
}
# The ACPI power button and evdev let busybox acpid see a graceful shutdown from the BMC.
COMMON_MODULES = ("ipmi_msghandler", "ipmi_devintf", "button", "evdev")


# ipmitool exits 0 after some failures it prints (sdr list retrying a record it cannot get); these fail a check.
ERROR_MARKS = ("command failed", "Err in", "Error", "Unable to", "Invalid")


@dataclass(frozen=True)
class Check:
    name: str
    command: str          # ipmitool arguments, split on spaces
    expect_cc: int | None = None  # None: exit 0; else the command must fail with this completion code
    contains: tuple[str, ...] = ()  # text the output must show (the default world's names and values)
    exact: bool = False   # keep stdout and stderr apart, byte for byte (CheckResult.stdout/.stderr)

    def judge(self, rc: int | None, output: str) -> tuple[bool, str]:
        if rc is None:
            return False, "no result (the guest never ran it)"
        if self.expect_cc is None:
            if rc != 0:
                return False, f"exit {rc}: " + _first_line(output)
            bad = [line for line in output.splitlines() if any(m in line for m in ERROR_MARKS)]
            if bad:
                return False, f"exit 0 but {len(bad)} error line(s), first: {bad[0].strip()}"
            missing = [text for text in self.contains if text not in output]
            if missing:
                return False, f"output lacks {', '.join(repr(m) for m in missing)}"
            return True, "ok"
        want = f"rsp=0x{self.expect_cc:02x}"
        if want in output.lower():
            return True, f"completion code 0x{self.expect_cc:02X} as expected"
        got = re.search(r"rsp=0x([0-9a-f]{2})", output.lower())
        return False, f"expected completion code 0x{self.expect_cc:02X}, got " + (
            f"0x{got.group(1).upper()}" if got else f"exit {rc} without one")


CHECKS = (
    Check("mc-info", "mc info"),
    Check("mc-guid", "mc guid"),
    Check("sdr-list", "sdr list", contains=("Inlet Temp", "CPU1 Temp", "FAN1", "12V", "3.3V", "Watchdog")),
    Check("sensor-list", "sensor list", contains=("Inlet Temp", "degrees C", "RPM", "Volts", "PSU1 Status")),
    # A platform event from the guest (ipmitool's sample "Temperature - Upper Critical - Going High")
    # lands in the SEL, so the listing below shows an event.
    Check("event", "event 1"),
    Check("sel-info", "sel info"),
    Check("sel-list", "sel list", contains=("Upper Critical",)),
    # A bare "fru print" reads the built-in FRU 0 only when Get Device ID's additional-support byte
    # advertises a FRU inventory device: the default identity does (8Fh), QEMU's 07h does not.
    Check("fru-print", "fru print", contains=("IPL-1U Virtual Server", "BD0000001", "ipmilab", "LAB-0001")),
    Check("chassis-status", "chassis status"),
    Check("mc-watchdog-get", "mc watchdog get"),
    # Set BMC Global Enables without its data byte, Get Device ID with one byte too many: 0xC7.
    Check("raw-short", "raw 0x06 0x2e", expect_cc=0xC7),
    Check("raw-long", "raw 0x06 0x01 0x00", expect_cc=0xC7),
)


def _first_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else "(no output)"


def kernel() -> tuple[Path, str] | None:
    """The newest Debian kernel in /boot whose modules are installed: (vmlinuz, release)."""
    found = []
    for path in glob.glob("/boot/vmlinuz-*"):
        release = path.split("vmlinuz-", 1)[1]
        if Path(f"/lib/modules/{release}/modules.dep").exists() and os.access(path, os.R_OK):
            found.append((os.path.getmtime(path), Path(path), release))
    if not found:
        return None
    _, path, release = max(found)
    return path, release


def missing() -> str | None:
    """Why a guest cannot run here (None: it can)."""
    if shutil.which(QEMU) is None:
        return f"{QEMU} is not installed (Debian package qemu-system-x86)"
    if kernel() is None:
        return "no readable /boot/vmlinuz-* with modules in /lib/modules (Debian package linux-image-amd64)"
    if not any(os.path.exists(p) for p in BUSYBOX_PATHS):
        return "busybox is not installed (Debian package busybox-static)"
    if not os.path.exists(IPMITOOL):
        return "ipmitool is not installed (Debian package ipmitool)"
    return None


# -- the initramfs --------------------------------------------------------------------------------


class Cpio:
    """An uncompressed newc ("070701") archive, written entry by entry."""

    def __init__(self):
        self.out = bytearray()
        self.ino = 1
        self.seen: set[str] = set()

    def _entry(self, name: str, mode: int, data: bytes = b"", rdev: tuple[int, int] = (0, 0)) -> None:
        name = name.lstrip("/")
        if name in self.seen:
            return
        self.seen.add(name)
        raw = name.encode() + b"\0"
        fields = (self.ino, mode, 0, 0, 1, 0, len(data), 0, 0, rdev[0], rdev[1], len(raw), 0)
        self.out += b"070701" + "".join(f"{v:08X}" for v in fields).encode() + raw
        self.out += b"\0" * (-len(self.out) % 4) + data
        self.out += b"\0" * (-len(self.out) % 4)
        self.ino += 1

    def dirs(self, path: str) -> None:
        parts = path.strip("/").split("/")[:-1]
        for i in range(1, len(parts) + 1):
            self._entry("/".join(parts[:i]), stat.S_IFDIR | 0o755)

    def dir(self, path: str) -> None:
        self.dirs(path + "/x")

    def file(self, path: str, data: bytes, mode: int = 0o644) -> None:
        self.dirs(path)
        self._entry(path, stat.S_IFREG | mode, data)

    def symlink(self, path: str, target: str) -> None:
        self.dirs(path)
        self._entry(path, stat.S_IFLNK | 0o777, target.encode())

    def chardev(self, path: str, major: int, minor: int) -> None:
        self.dirs(path)
        self._entry(path, stat.S_IFCHR | 0o600, rdev=(major, minor))

    def finish(self) -> bytes:
        self._entry("TRAILER!!!", 0)
        return bytes(self.out) + b"\0" * (-len(self.out) % 512)


def module_order(release: str, wanted: tuple[str, ...]) -> list[str]:
    """Module paths (relative to /lib/modules/<release>) with every dependency first, from modules.dep."""
    deps: dict[str, list[str]] = {}
    by_name: dict[str, str] = {}
    for line in Path(f"/lib/modules/{release}/modules.dep").read_text().splitlines():
        path, _, rest = line.partition(":")
        deps[path] = rest.split()
        base = os.path.basename(path).split(".ko")[0]
        by_name[base] = path
        by_name[base.replace("-", "_")] = path
    order: list[str] = []

    def add(path: str) -> None:
        if path in order:
            return
        for dep in deps.get(path, []):
            add(dep)
        order.append(path)

    for name in wanted:
        path = by_name.get(name) or by_name.get(name.replace("-", "_"))
        if path is None:
            raise RuntimeError(f"module {name!r} is not in /lib/modules/{release}/modules.dep (built in?)")
        add(path)
    return order


def _module_bytes(path: Path) -> bytes:
    """A module as insmod needs it (busybox insmod takes plain .ko; Debian may ship .ko.xz)."""
    if path.suffix == ".xz":
        import lzma
        return lzma.decompress(path.read_bytes())
    if path.suffix == ".zst":
        raise RuntimeError(f"{path}: zstd-compressed modules are not supported by this builder")
    return path.read_bytes()


def _libraries(binary: str) -> list[str]:
    """The shared libraries ``binary`` loads, with the dynamic loader, as absolute paths (from ldd)."""
    out = subprocess.run(["ldd", binary], capture_output=True, text=True, check=True, timeout=30).stdout
    libs = []
    for line in out.splitlines():
        m = re.search(r"(/\S+)", line.split("=>")[-1])
        if m and os.path.exists(m.group(1)):
            libs.append(m.group(1))
    return libs


def build_initramfs(dest: Path, interface: str, checks=CHECKS) -> Path:
    """Write the guest's initramfs for ``interface`` to ``dest`` (a file) and return it."""
    found = kernel()
    if found is None:
        raise RuntimeError(missing() or "no kernel")
    _, release = found
    iface = INTERFACES[interface]
    arc = Cpio()
    for d in ("bin", "sbin", "usr/bin", "usr/sbin", "proc", "sys", "dev", "tmp", "etc", "lib/modules"):
        arc.dir(d)
    arc.chardev("dev/console", 5, 1)
    arc.chardev("dev/null", 1, 3)
    busybox = next(p for p in BUSYBOX_PATHS if os.path.exists(p))
    arc.file("bin/busybox", Path(busybox).read_bytes(), 0o755)
    arc.symlink("bin/sh", "busybox")
    arc.file("init", (HERE / "init.sh").read_bytes(), 0o755)
    arc.file("bin/ipmitool", Path(IPMITOOL).read_bytes(), 0o755)
    for lib in _libraries(IPMITOOL):
        real = os.path.realpath(lib)
        arc.file(lib, Path(real).read_bytes(), 0o755)
    # ipmitool reads the IANA registry on every run; the head of it (4.7 MB in full) spares the guest the
    # parse and the "registry open failed" line.
    if os.path.exists(IANA_REGISTRY):
        head = []
        with open(IANA_REGISTRY, encoding="utf-8", errors="replace") as fh:
            for line in fh:
                if line.strip() == "3":
                    break
                head.append(line)
        arc.file(IANA_REGISTRY, "".join(head).encode())
    order = module_order(release, COMMON_MODULES + iface.modules)
    for rel in order:
        name = os.path.basename(rel).split(".ko")[0] + ".ko"
        arc.file(f"lib/modules/{name}", _module_bytes(Path(f"/lib/modules/{release}/{rel}")))
    names = [os.path.basename(rel).split(".ko")[0] + ".ko" for rel in order]
    arc.file("modules.order", ("\n".join(names) + "\n").encode())
    arc.file("checks", "".join(f"{c.name}\tipmitool {c.command}\t{'exact' if c.exact else ''}\n"
                               for c in checks).encode())
    # busybox acpid: the power button event runs /etc/acpi/PWRF/00000080.
    arc.file("etc/acpid.conf", b"PWRF PWRF/00000080\n")
    arc.file("etc/acpi/PWRF/00000080", b"#!/bin/sh\necho '@@IPMILAB SOFT-SEEN' > /dev/console\npoweroff -f\n", 0o755)
    dest.write_bytes(arc.finish())
    return dest


# -- booting it -----------------------------------------------------------------------------------

MARK = "@@IPMILAB "


@dataclass
class CheckResult:
    name: str
    rc: int | None = None
    output: list[str] = field(default_factory=list)
    seconds: float | None = None   # guest uptime spent on it
    stdout: bytes | None = None    # exact checks: what ipmitool wrote on each stream
    stderr: bytes | None = None
    ok: bool = False
    why: str = ""


@dataclass
class GuestRun:
    interface: str
    console: list[str] = field(default_factory=list)
    checks: dict[str, CheckResult] = field(default_factory=dict)
    booted_s: float | None = None        # wall seconds from QEMU start to the guest's /init
    bound_s: float | None = None         # ... to /dev/ipmi0
    bound: bool = False
    driver: str | None = None            # the kernel's line saying the expected driver took the interface
    kernel_notes: list[str] = field(default_factory=list)   # IPMI warnings the guest kernel printed
    poweroff_requested_s: float | None = None
    qemu_exit_s: float | None = None     # ... to QEMU's exit
    qemu_rc: int | None = None
    poweroff_worked: bool = False        # QEMU ended after the power-off request, before the guest gave up
    timed_out: bool = False
    wall_s: float = 0.0
    command: list[str] = field(default_factory=list)
    mode: str = "checks"
    controls: dict[str, float] = field(default_factory=dict)   # controls-mode markers -> wall seconds seen

    @property
    def controls_ok(self) -> bool:
        """The BMC's hard reset rebooted the guest, its NMI reached the kernel, its soft shutdown powered off."""
        c = self.controls
        return ("RESET-SEEN" in c and "NMI-SEEN" in c and "SOFT-SEEN" in c
                and "RESET-IGNORED" not in c and "SOFT-IGNORED" not in c and not self.timed_out)

    @property
    def ok(self) -> bool:
        if self.mode == "controls":
            return self.bound and self.controls_ok
        return (self.bound and self.driver is not None and self.poweroff_worked
                and all(c.ok for c in self.checks.values()))

    def summary(self) -> str:
        lines = [f"{self.interface}: {'PASS' if self.ok else 'FAIL'} in {self.wall_s:.1f} s wall "
                 f"(init at {_fmt(self.booted_s)}, driver bound at {_fmt(self.bound_s)}, "
                 f"power-off asked at {_fmt(self.poweroff_requested_s)}, QEMU exited at {_fmt(self.qemu_exit_s)})"]
        bound = "ok: " + self.driver.split("] ", 1)[-1] if self.bound and self.driver else (
            "FAILED: /dev/ipmi0 never appeared" if not self.bound else "FAILED: not by the expected driver")
        lines.append(f"  {'driver binds (/dev/ipmi0)':<28} {bound}")
        if self.mode == "controls":
            for what, want, bad in (("chassis power reset", "RESET-SEEN", "RESET-IGNORED"),
                                    ("chassis power diag (NMI)", "NMI-SEEN", "NMI-MISSING"),
                                    ("chassis power soft", "SOFT-SEEN", "SOFT-IGNORED")):
                state = f"ok at {self.controls[want]:.1f} s" if want in self.controls else (
                    "FAILED" + (f" ({bad})" if bad in self.controls else ""))
                lines.append(f"  {what:<28} {state}")
            return "\n".join(lines)
        for c in self.checks.values():
            lines.append(f"  {c.name:<28} {'ok' if c.ok else 'FAILED'}: {c.why}")
        lines.append(f"  {'chassis power off -> exit':<28} {'ok' if self.poweroff_worked else 'FAILED'}")
        for note in self.kernel_notes:
            lines.append(f"  guest kernel: {note.split('] ', 1)[-1]}")
        if self.timed_out:
            lines.append("  (timed out: QEMU was killed)")
        return "\n".join(lines)


def _fmt(v: float | None) -> str:
    return "-" if v is None else f"{v:.1f} s"


def qemu_command(interface: str, port: int, kernel_path: Path, initrd: Path, accel: str = "tcg",
                 mode: str = "checks") -> list[str]:
    """``mode="checks"``: run the checks, then power off; ``"controls"``: the BMC resets, NMIs and shuts it down."""
    iface = INTERFACES[interface]
    # The controls run must survive the BMC's reset; otherwise any reset ends QEMU at once.
    reboot = [] if mode == "controls" else ["-no-reboot"]
    return [
        QEMU, "-machine", iface.machine, "-accel", accel, "-m", "256", "-smp", "1",
        "-nodefaults", "-no-user-config", "-display", "none", *reboot,
        "-serial", "stdio", "-monitor", "none",
        "-kernel", str(kernel_path), "-initrd", str(initrd),
        "-append", f"console=ttyS0 panic=-1 loglevel=3 ipmi_si.trydefaults=0 rdinit=/init ipmilab.mode={mode}",
        # QEMU 7.2 names the option reconnect (seconds); reconnect-ms arrived in 9.2.
        "-chardev", f"socket,id=ipmi0,host=127.0.0.1,port={port},{_reconnect_option()}",
        "-device", "ipmi-bmc-extern,id=bmc0,chardev=ipmi0",
        "-device", iface.device,
    ]


def _reconnect_option() -> str:
    out = subprocess.run([QEMU, "--version"], capture_output=True, text=True, timeout=30).stdout
    m = re.search(r"version (\d+)\.(\d+)", out)
    major, minor = (int(m.group(1)), int(m.group(2))) if m else (0, 0)
    return "reconnect-ms=1000" if (major, minor) >= (9, 2) else "reconnect=1"


def run_guest(interface: str, port: int, workdir: Path, *, timeout: float = 240.0, checks=CHECKS,
              accel: str | None = None, echo=None, mode: str = "checks") -> GuestRun:
    """Boot the guest against a BMC listening on 127.0.0.1:``port`` and collect every check's result.

    ``accel`` defaults to ``$IPMILAB_GUEST_ACCEL`` or ``tcg``; ``echo(line)``
    sees each console line as it arrives.  ``mode="controls"`` runs the BMC
    controls sequence instead of the checks (``GuestRun.controls``).
    """
    if mode not in ("checks", "controls"):
        raise ValueError(f"mode: {mode!r} is not 'checks' or 'controls'")
    kernel_path, _ = kernel() or (None, None)
    if kernel_path is None:
        raise RuntimeError(missing())
    workdir.mkdir(parents=True, exist_ok=True)
    initrd = build_initramfs(workdir / f"initramfs-{interface}.cpio", interface, checks)
    cmd = qemu_command(interface, port, kernel_path, initrd, accel or os.environ.get("IPMILAB_GUEST_ACCEL", "tcg"),
                       mode)
    run = GuestRun(interface, command=cmd, mode=mode)
    if mode == "checks":
        for c in checks:
            run.checks[c.name] = CheckResult(c.name)
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True)
    lines: list[str] = []
    marks: list[tuple[float, str]] = []

    def reader():
        for raw in proc.stdout:
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            lines.append(line)
            if MARK in line:
                marks.append((time.monotonic() - t0, line[line.index(MARK) + len(MARK):]))
            if echo is not None:
                echo(line)

    th = threading.Thread(target=reader, daemon=True)
    th.start()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        run.timed_out = True
        proc.kill()
        proc.wait(timeout=30)
    run.qemu_exit_s = time.monotonic() - t0
    th.join(timeout=10)
    run.qemu_rc = proc.returncode
    run.wall_s = run.qemu_exit_s
    run.console = lines
    _parse(run, lines, marks, {c.name: c for c in checks})
    return run


# A kernel message on the console: printk's "[seconds.microseconds] " prefix, then text to the end of its line.
PRINTK = re.compile(r"\[\s*\d+\.\d{6}\] ")


def _unsplice(lines: list[str]) -> list[str]:
    """The console's lines with each kernel message its own line again.

    The kernel writes its messages straight to the UART (the serial console), between any two chunks
    the tty sends for /init; a message that lands inside a line of ours (a mark, a line of base64)
    ends with its own newline, so our line's head sits before it and its tail is the next line."""
    out: list[str] = []
    head = ""
    for line in lines:
        line = head + line
        head = ""
        m = PRINTK.search(line, 1)
        if m is not None and line[:m.start()].strip():
            head = line[:m.start()]
            out.append(line[m.start():])
        else:
            out.append(line)
    if head:
        out.append(head)
    return out


def _parse(run: GuestRun, lines: list[str], marks: list[tuple[float, str]], checks: dict[str, Check]) -> None:
    for t, mark in marks:
        word = mark.split(" ", 1)[0]
        if word == "BOOTED" and run.booted_s is None:
            run.booted_s = t
        elif word == "BOUND":
            run.bound = True
            if run.bound_s is None:
                run.bound_s = t
        elif word == "POWEROFF-REQUESTED":
            run.poweroff_requested_s = t
        elif word.startswith(("RESET-", "NMI-", "SOFT-")):
            run.controls.setdefault(word, t)
    current: CheckResult | None = None
    ignored = False
    b64: list[str] | None = None
    for line in _unsplice(lines):
        if MARK not in line:
            if b64 is not None:
                if not PRINTK.match(line.lstrip()):    # a kernel message amid the base64 is not of it
                    b64.append(line.strip())
            elif current is not None:
                current.output.append(line)
            continue
        mark = line[line.index(MARK) + len(MARK):]
        word, _, rest = mark.partition(" ")
        if word == "B64":
            b64 = []
            continue
        if word == "B64-END":
            name, stream, *more = rest.split()
            res = run.checks.get(name)
            if res is not None and b64 is not None:
                data = base64.b64decode("".join(b64))
                md5 = dict(f.split("=", 1) for f in more if "=" in f).get("md5")
                if md5 is not None and hashlib.md5(data).hexdigest() != md5:
                    raise ValueError(f"check {name}: its {stream} came back garbled from the console "
                                     f"(md5 {hashlib.md5(data).hexdigest()}, the guest's {md5})")
                setattr(res, "stdout" if stream == "out" else "stderr", data)
            b64 = None
            continue
        if word == "BEGIN":
            current = run.checks.get(rest.strip()) or CheckResult(rest.strip())
        elif word == "END" and current is not None:
            fields = dict(f.split("=", 1) for f in rest.split()[1:] if "=" in f)
            current.rc = int(fields.get("rc", "-1"))
            try:
                current.seconds = float(fields["end"]) - float(fields["start"])
            except (KeyError, ValueError):
                pass
            current = None
        elif word == "POWEROFF-IGNORED":
            ignored = True
    want = INTERFACES[run.interface].bound
    for line in lines:
        if want in line and run.driver is None:
            run.driver = line.strip()
        if (line.lstrip().startswith("[") and "ipmi" in line.lower()
                and any(w in line for w in ("Unable", "Error", "failed", "error"))
                and line.strip() not in run.kernel_notes):
            run.kernel_notes.append(line.strip())
    for name, res in run.checks.items():
        res.ok, res.why = checks[name].judge(res.rc, "\n".join(res.output))
    run.poweroff_worked = (run.poweroff_requested_s is not None and not ignored and not run.timed_out)


# -- the BMC it talks to --------------------------------------------------------------------------

REPO = HERE.parents[2]


def stop_process(proc, reader=None, timeout: float = 15.0) -> int | None:
    """Stop a server started with Popen by its own pid: SIGTERM, wait (bounded), then SIGKILL; join the
    thread reading its output; returns the exit code (None: it never started)."""
    import signal

    if proc is None:
        return None
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=timeout)
    if reader is not None:
        reader.join(timeout=5)
    return proc.returncode


class ServeProcess:
    """``ipmilab serve --vm 127.0.0.1:0`` as a subprocess; ``port`` is the one it picked, ``log`` its output."""

    def __init__(self, *extra: str, start_timeout: float = 30.0):
        import sys

        self.cmd = [sys.executable, "-m", "scenarios.cli", "serve", "--vm", "127.0.0.1:0", *extra]
        self.start_timeout = start_timeout
        self.proc: subprocess.Popen | None = None
        self.port: int | None = None
        self.log: list[str] = []
        self._reader: threading.Thread | None = None

    def start(self) -> ServeProcess:
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        self.proc = subprocess.Popen(self.cmd, cwd=REPO, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True)
        ready = threading.Event()

        def read():
            for line in self.proc.stdout:
                self.log.append(line.rstrip("\n"))
                m = re.search(r"listening on 127\.0\.0\.1:(\d+)", line)
                if m and self.port is None:
                    self.port = int(m.group(1))
                    ready.set()
            ready.set()

        self._reader = threading.Thread(target=read, daemon=True)
        self._reader.start()
        if not ready.wait(self.start_timeout) or self.port is None:
            self.stop()
            raise RuntimeError("ipmilab serve did not start listening:\n" + "\n".join(self.log))
        return self

    @property
    def pid(self) -> int:
        return self.proc.pid

    def stop(self, timeout: float = 15.0) -> int | None:
        """SIGTERM, wait (bounded), then SIGKILL; returns the exit code."""
        return stop_process(self.proc, self._reader, timeout)

    def __enter__(self) -> ServeProcess:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
