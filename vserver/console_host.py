"""A host with nothing but a serial console: what ``ipmilab serve --lan`` manages when no VM is given.

``SerialConsole`` is the host's UART (COM1, 8N1): what the OS writes
leaves one character per 10 bit times at the port's bit rate and reaches
whoever listens (the BMC's SOL engine); what arrives is handed to the OS.
As Linux's serial console (``console=ttyS0,115200n8``) it ignores CTS
unless ``rtscts`` is set.

``ConsoleHost`` is the machine behind it and the BMC's ``HostControl``:
power on or reset prints a short, fixed boot log and a ``login:`` prompt;
a login gives a tiny shell (``help`` lists what it knows); power off
silences the port.  Power listeners hear ``(event, t, source)`` as
``vserver.Host``'s do.  Everything is a scheduled callback on the
simulated clock, so the same inputs give the same bytes at the same times.
"""

from __future__ import annotations

from dataclasses import dataclass

from bmc.ipmi.cc import CompletionCode, IpmiError
from buses.time import S, ms, s
from buses.uart import UartTx

HOSTNAME = "ipmilab"
KERNEL = "6.1.0-ipmilab"
UNAME_A = f"Linux {HOSTNAME} {KERNEL} #1 SMP PREEMPT_DYNAMIC x86_64 GNU/Linux"

# The boot log: (time after power on or reset, text).  Kernel lines carry their own printk stamps.
BOOT_LOG: tuple[tuple[int, str], ...] = (
    (ms(0), "\r\nipmilab virtual server BIOS v1.0\r\n"),
    (ms(300), "POST complete. Booting from disk 0...\r\n"),
    (ms(800), f"[    0.000000] Linux version {KERNEL} (ipmilab@build) #1 SMP PREEMPT_DYNAMIC\r\n"),
    (ms(810), "[    0.000000] Command line: console=ttyS0,115200n8 root=/dev/sda1\r\n"),
    (ms(900), "[    0.101000] serial8250: ttyS0 at I/O 0x3f8 (irq = 4) is a 16550A\r\n"),
    (ms(1300), "[    0.512000] ipmi_si IPI0001:00: IPMI kcs interface initialized\r\n"),
    (ms(1800), "[    1.004000] Run /sbin/init as init process\r\n"),
    (ms(2200), f"\r\nDebian GNU/Linux 12 {HOSTNAME} ttyS0\r\n\r\n"),
)
LOGIN_AT = ms(2200)          # the getty prompt follows the last boot line
LOGIN_PROMPT = f"{HOSTNAME} login: "

OFF = "off"
BOOTING = "booting"
LOGIN = "login"              # getty: reading a user name
PASSWORD = "password"        # login: reading a password (no echo)
SHELL = "shell"

BACKSPACES = (0x08, 0x7F)
CTRL_C = 0x03
CTRL_D = 0x04


@dataclass(frozen=True)
class ConsoleTiming:
    """The console host's delays (int ns)."""

    power_cycle_interval: int = s(1)     # off time of a power cycle (as vserver.Host)
    soft_shutdown: int = s(1)            # ACPI power button until power off

    def __post_init__(self):
        for name in ("power_cycle_interval", "soft_shutdown"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 0:
                raise ValueError(f"console timing {name} {value!r} must be a non-negative int of ns")


class SerialConsole:
    """The host's serial port as the BMC's SOL UART sees it (``bmc.sol.engine.SerialPort``)."""

    def __init__(self, sim, bit_rate: int = 115200, *, name: str = "host.ttyS0", rtscts: bool = False):
        self.sim = sim
        self.name = name
        self.rtscts = rtscts
        self.host_output_listeners: list = []   # fn(byte, t): a character reached the BMC
        self.break_listeners: list = []         # fn(t): the host sent a break
        self.input_handler = None               # fn(byte, t): the OS reading the port
        self.powered = False
        self.cts = True
        self.dcd_dsr = True
        self.breaks: list[int] = []             # breaks received from the BMC
        self.rings: list[int] = []
        self.tx = UartTx(sim, bit_rate, self._tx_done, name=f"{name}.tx")

    @property
    def bit_rate(self) -> int:
        return self.tx.bit_rate

    @property
    def available(self) -> bool:
        return self.powered

    # -- the host's side ----------------------------------------------------------------

    def write(self, text: str | bytes, t: int) -> None:
        """The OS writes to the port; nothing leaves while the system is off."""
        if self.powered:
            self.tx.write(text.encode("ascii", "replace") if isinstance(text, str) else bytes(text), t)

    def power(self, on: bool, t: int) -> None:
        self.powered = on
        if not on:
            self.tx.flush()     # the UART loses its FIFO with the power

    def host_break(self, t: int) -> None:
        """The host holds its TX line low (a break, e.g. for the kernel's SysRq): the BMC sees it at once."""
        if self.powered:
            for fn in self.break_listeners:
                fn(t)

    def _tx_done(self, byte: int, t: int) -> None:
        for fn in self.host_output_listeners:
            fn(byte, t)

    # -- the BMC's side (SerialPort) ---------------------------------------------------------

    def receive(self, byte: int, t: int) -> None:
        if self.powered and self.input_handler is not None:
            self.input_handler(byte, t)

    def set_bit_rate(self, bit_rate: int, t: int) -> None:
        self.tx.set_bit_rate(bit_rate, t)

    def set_cts(self, asserted: bool, t: int) -> None:
        self.cts = asserted
        if self.rtscts:
            self.tx.pause(not asserted, t)

    def set_dcd_dsr(self, asserted: bool, t: int) -> None:
        self.dcd_dsr = asserted

    def ring(self, t: int) -> None:
        self.rings.append(t)

    def send_break(self, t: int) -> None:
        self.breaks.append(t)


class ConsoleHost:
    """The BMC's ``HostControl`` for a machine whose only sign of life is its serial console."""

    def __init__(self, sim, *, name: str = "host", bit_rate: int = 115200, power_on: bool = False,
                 timing: ConsoleTiming | None = None, rtscts: bool = False):
        self.sim = sim
        self.name = name
        self.timing = timing or ConsoleTiming()
        self.console = SerialConsole(sim, bit_rate, name=f"{name}.ttyS0", rtscts=rtscts)
        self.console.input_handler = self._input
        self.power_on_state = False
        self.state = OFF
        self.power_listeners: list = []    # fn(event, t, source) as vserver.Host's
        self.power_events: list[tuple[int, str]] = []
        self.nmis: list[int] = []
        self.smis: list[int] = []
        self.boot_started: int | None = None
        self.user = ""
        self._line = bytearray()
        self._gen = 0
        if power_on:
            self._go_on(sim.now, "button")

    # -- HostControl ------------------------------------------------------------------------

    def supports(self, op: str) -> bool:
        return True                        # every wire is there

    def check(self, op: str) -> None:
        """Power on and off always work; the rest need the power on (vserver.Host's rule)."""
        if op not in ("power_off", "power_on") and not self.power_on_state:
            raise IpmiError(CompletionCode.NOT_SUPPORTED_IN_PRESENT_STATE, f"{op.replace('_', ' ')}: power is off")

    def power_off(self, t: int) -> None:
        if self.power_on_state:
            self._event(t, "power-off")
            self._go_off(t, "bmc")

    def power_on(self, t: int) -> None:
        if not self.power_on_state:
            self._go_on(t, "bmc")

    def power_cycle(self, t: int) -> None:
        self.check("power_cycle")
        self._event(t, "power-cycle")
        self._go_off(t, "bmc")
        gen = self._gen
        on_at = t + self.timing.power_cycle_interval
        self.sim.call_at(on_at, self._power_back, gen, on_at)

    def _power_back(self, gen: int, t: int) -> None:
        if gen == self._gen and not self.power_on_state:
            self._go_on(t, "bmc")

    def hard_reset(self, t: int) -> None:
        self.check("hard_reset")
        self._event(t, "hard-reset")
        self._restart(t, "bmc")

    def pulse_diag_interrupt(self, t: int) -> None:
        self.check("pulse_diag_interrupt")
        self._event(t, "diag-interrupt")
        self._nmi(t)

    def nmi(self, t: int) -> None:
        self.check("nmi")
        self._event(t, "nmi")
        self._nmi(t)

    def smi(self, t: int) -> None:
        self.check("smi")
        self._event(t, "smi")
        self.smis.append(t)                # SMM handles it; the OS never sees it

    def soft_shutdown(self, t: int) -> None:
        self.check("soft_shutdown")
        self._event(t, "soft-shutdown")
        self._shutdown(t, "bmc")

    # -- power ------------------------------------------------------------------------------

    def _event(self, t: int, what: str) -> None:
        self.power_events.append((t, what))
        if self.sim.tracer.enabled:
            self.sim.trace(t, "host", self.name, what, state=self.state)

    def _notify(self, event: str, t: int, source: str) -> None:
        for fn in self.power_listeners:
            fn(event, t, source)

    def _go_on(self, t: int, source: str) -> None:
        self.power_on_state = True
        self.state = BOOTING
        self.console.power(True, t)
        self._event(t, "power-on")
        self._notify("on", t, source)
        self._boot(t)

    def _go_off(self, t: int, source: str) -> None:
        self._gen += 1
        self.power_on_state = False
        self.state = OFF
        self.console.power(False, t)
        self._notify("off", t, source)

    def _restart(self, t: int, source: str) -> None:
        self.console.tx.flush()            # the reset line resets the UART too
        self._notify("reset", t, source)
        self._boot(t)

    def _boot(self, t: int) -> None:
        """Print the boot log at its instants, then the login prompt."""
        self._gen += 1
        gen = self._gen
        self.state = BOOTING
        self.boot_started = t
        self._line.clear()
        for at, text in BOOT_LOG:
            self.sim.call_at(t + at, self._say, gen, text)
        self.sim.call_at(t + LOGIN_AT, self._getty, gen)

    def _say(self, gen: int, text: str) -> None:
        if gen == self._gen:
            self.console.write(text, self.sim.now)

    def _getty(self, gen: int) -> None:
        if gen == self._gen:
            self.state = LOGIN
            self.console.write(LOGIN_PROMPT, self.sim.now)

    def _nmi(self, t: int) -> None:
        self.nmis.append(t)
        if self.state != BOOTING:          # the kernel's default_do_nmi message (reason 3d: neither SERR nor IOCHK)
            self.console.write("\r\n[ NMI ] Uhhuh. NMI received for unknown reason 3d on CPU 0.\r\n", t)

    def _shutdown(self, t: int, source: str, then: str = "off") -> None:
        self.console.write("\r\nThe system is going down NOW!\r\n", t)
        self._gen += 1
        gen = self._gen
        self.state = BOOTING              # no more input
        done = t + self.timing.soft_shutdown

        def finish():
            if gen != self._gen or not self.power_on_state:
                return
            if then == "off":
                self._event(done, "power-off")
                self._go_off(done, source)
            else:
                self._event(done, "os-reset")
                self._restart(done, source)
        self.sim.call_at(done, finish)

    # -- the OS reading its console --------------------------------------------------------------

    def _prompt(self) -> str:
        return f"{self.user}@{HOSTNAME}:~$ "

    def _input(self, byte: int, t: int) -> None:
        state = self.state
        if state in (OFF, BOOTING):
            return                         # nobody reads the port yet
        out = self.console.write
        if byte == CTRL_C:
            self._line.clear()
            out("^C\r\n" + (self._prompt() if state == SHELL else LOGIN_PROMPT), t)
            if state == PASSWORD:
                self.state = LOGIN
            return
        if byte in (0x0D, 0x0A):
            line = self._line.decode("ascii", "replace")
            self._line.clear()
            out("\r\n", t)
            self._enter(line, t)
            return
        if byte in BACKSPACES:
            if self._line:
                self._line.pop()
                if state != PASSWORD:
                    out("\b \b", t)
            return
        if byte == CTRL_D and state == SHELL and not self._line:
            self._enter("logout", t)
            return
        if byte < 0x20 or byte > 0x7E:
            return                         # other control characters: ignored (no line editing here)
        self._line.append(byte)
        if state != PASSWORD:
            out(bytes((byte,)), t)         # the tty echoes

    def _enter(self, line: str, t: int) -> None:
        out = self.console.write
        if self.state == LOGIN:
            self.user = line.strip()
            if not self.user:
                out(LOGIN_PROMPT, t)
                return
            self.state = PASSWORD
            out("Password: ", t)
        elif self.state == PASSWORD:
            self.state = SHELL
            out(f"Linux {HOSTNAME} {KERNEL} x86_64\r\n\r\n" + self._prompt(), t)
        else:
            reply = self._run(line.strip(), t)
            if self.state == SHELL:
                out(reply + self._prompt(), t)
            elif self.state == LOGIN:
                out(reply + "\r\n" + LOGIN_PROMPT, t)

    def _run(self, line: str, t: int) -> str:
        """A tiny shell: each command answers with text (lines end CR LF)."""
        if not line:
            return ""
        word, _, rest = line.partition(" ")
        rest = rest.strip()
        if word == "echo":
            return rest + "\r\n"
        if word == "uname":
            return (UNAME_A if rest == "-a" else "Linux") + "\r\n"
        if word == "hostname":
            return HOSTNAME + "\r\n"
        if word == "whoami":
            return self.user + "\r\n"
        if word == "uptime":
            up = (t - self.boot_started) // S
            return f"up {up // 60} min, {up % 60} s\r\n"
        if word == "help":
            return "commands: echo uname [-a] hostname whoami uptime help logout exit reboot poweroff\r\n"
        if word in ("logout", "exit"):
            self.state = LOGIN
            self.user = ""
            return "logout\r\n"
        if word in ("reboot", "poweroff"):
            self._shutdown(t, "os", then="reset" if word == "reboot" else "off")
            return ""
        return f"-sh: {word}: command not found\r\n"
