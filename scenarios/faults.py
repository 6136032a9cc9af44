"""Faults, attached to a world through its seams (``buses.Hop``), never by patching a class.

A fault says *where* (its seam), *which* crossings (a match), *what* it does (its action) and *when*
(a ``Schedule``).  Each time it acts it writes a trace record (layer ``fault``), so a run shows what
was broken and when.  The seams:

- ``bmc.answer``: the system-interface channel's crossing to the BMC core, request -> answer
  (``AnswerFault``: replace the answer with any bytes -- empty, short, another NetFn --, delay it, or
  drop it; the BMC has executed the request either way);
- ``smbus.wire``: the host's SMBus conditions and bytes (``BusFault``: NAK, corrupt a byte, lose a
  STOP, stretch the clock longer);
- ``i2c.irq``: an ASPEED I2C bus's interrupt output (``IrqHold``: hold it back, so status bits coalesce);
- ``host.irq``: an interface interrupt on its way to the host's handler (``HostIrqFault``: an edge
  lost, or late by ``delay``);
- ``io.port``: the host's port accesses to an interface's registers (``RegisterFault``: a read stuck
  at a value or with bits flipped, a write lost, an access stretched by wait states) -- the I/O space
  wraps every mapping it decodes;
- ``host.cpu``: the host CPU's local time (``HostStall``: SMM or a preempted vCPU -- nothing on the
  host touches the interface for a while; across a timer tick it is a missed tick);
- ``bmc.answer`` again, for the firmware (``BmcFault``: the BMC cold-resets, or hangs, while a
  request is in it -- that answer is lost, and the channel is deaf until the BMC is back);
- ``vm.rx``: the bytes an external BMC sends over the README.vm link (``LinkFault``: garbage
  ahead of them, or the link cut as they arrive).

``Schedule``: from a simulated time (``after``, ``until``), only the Nth matching crossing (``nth``, 1-based), at
most ``count`` times, each with ``probability`` drawn from the simulation's seeded RNG -- the same seed,
the same faults.  ``inject(world, *faults)`` attaches them; ``scenarios.fault_table`` builds them
from the world file's ``[[faults]]`` tables.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Schedule:
    after: int = 0                    # active from this simulated time (ns)
    until: int | None = None          # and before this one
    nth: int | None = None            # only the Nth matching crossing
    count: int | None = None          # at most this many times
    probability: float = 1.0          # each matching crossing, drawn from the seeded RNG
    only: frozenset[int] | None = None  # exactly these matching crossings (no draws): a minimized schedule

    def __post_init__(self):
        if self.after < 0:
            raise ValueError(f"fault schedule after: {self.after} must be >= 0 ns")
        if self.until is not None and self.until <= self.after:
            raise ValueError(f"fault schedule until: {self.until} must be after {self.after} ns")
        if self.nth is not None and self.nth < 1:
            raise ValueError(f"fault schedule nth: {self.nth} counts from 1")
        if self.count is not None and self.count < 1:
            raise ValueError(f"fault schedule count: {self.count} must be at least 1")
        if not 0.0 <= self.probability <= 1.0:
            raise ValueError(f"fault schedule probability: {self.probability} is not in 0..1")


def _is_command(req: bytes, netfn: int | None, cmd: int | None) -> bool:
    """A request (NetFn/LUN, Cmd, data) for (``netfn``, ``cmd``); None matches any."""
    return (netfn is None or (len(req) > 0 and req[0] >> 2 == netfn)) and \
        (cmd is None or (len(req) > 1 and req[1] == cmd))


class Fault:
    """One fault: ``seam``, a match (``matches``), an action (the subclass's layer) and a ``Schedule``."""

    seam = ""

    def __init__(self, schedule: Schedule | None = None, name: str | None = None):
        self.schedule = schedule or Schedule()
        self.name = name or type(self).__name__
        self.seen = 0                 # matching crossings
        self.acted = 0
        self.acts: list[int] = []     # which matching crossings (1-based) it acted on
        self.world = None
        self.sim = None               # kept after detach: a crossing in flight still finishes, traced

    def _fires(self, t: int) -> bool:
        """A matching crossing at ``t``: does the fault act on it?"""
        sc = self.schedule
        if t < sc.after or (sc.until is not None and t >= sc.until):
            return False
        self.seen += 1
        if sc.only is not None:
            if self.seen not in sc.only:
                return False
            self.acted += 1
            self.acts.append(self.seen)
            return True
        if sc.nth is not None and self.seen != sc.nth:
            return False
        if sc.count is not None and self.acted >= sc.count:
            return False
        if sc.probability < 1.0 and self.sim.rng.random() >= sc.probability:
            return False
        self.acted += 1
        self.acts.append(self.seen)
        return True

    def _late(self, delay: int, jitter: int) -> int:
        """``delay`` plus up to ``jitter`` more, drawn from the simulation's seeded RNG."""
        return delay + (self.sim.rng.randrange(jitter) if jitter else 0)

    def _trace(self, t: int, what: str, **fields) -> None:
        sim = self.sim
        if sim.tracer.enabled:
            sim.trace(t, "fault", self.name, what, **fields)

    def hop(self, world):
        """The seam's ``Hop`` in ``world``."""
        raise NotImplementedError

    def layer(self, nxt):
        raise NotImplementedError

    def attach(self, world) -> None:
        self.world, self.sim = world, world.sim
        self.hop(world).interpose(self.layer)

    def detach(self) -> None:
        if self.world is not None:
            self.hop(self.world).remove(self.layer)
            self.world = None


class AnswerFault(Fault):
    """The BMC's answer to (``netfn``, ``cmd``) -- None: any -- replaced, delayed or dropped."""

    seam = "bmc.answer"

    def __init__(self, netfn: int | None = None, cmd: int | None = None, replace: bytes | None = None,
                 delay: int = 0, drop: bool = False, schedule: Schedule | None = None, name: str | None = None,
                 jitter: int = 0):
        super().__init__(schedule, name)
        if drop and (replace is not None or delay or jitter):
            raise ValueError("answer fault: drop leaves nothing to replace or delay")
        if delay < 0 or jitter < 0:
            raise ValueError(f"answer fault delay {delay}, jitter {jitter}: must be >= 0 ns")
        self.netfn, self.cmd, self.replace, self.delay, self.drop = netfn, cmd, replace, delay, drop
        self.jitter = jitter          # each act waits delay + [0, jitter) more, from the seeded RNG

    def hop(self, world):
        return world.channel.to_core

    def layer(self, nxt):
        def call(req, t, done):
            if not _is_command(req, self.netfn, self.cmd) or not self._fires(t):
                return nxt(req, t, done)

            def answered(rsp, t2):
                if self.drop:
                    self._trace(t2, "drop", req=bytes(req), rsp=bytes(rsp))
                    return
                out = bytes(self.replace) if self.replace is not None else rsp
                late = self._late(self.delay, self.jitter)
                self._trace(t2, "answer", req=bytes(req), rsp=out, delay=late)
                if late:
                    self.sim.call_at(t2 + late, done, out, t2 + late)
                else:
                    done(out, t2)
            return nxt(req, t, answered)
        return call


class BusFault(Fault):
    """On the host's SMBus: ``action`` "nak" (a start or a written byte), "corrupt" (xor ``value`` into a
    byte written or read), "lose" (a STOP the target never sees), "stretch" (``value`` ns more, before a byte)."""

    seam = "smbus.wire"
    ACTIONS = {"nak": ("start", "write"), "corrupt": ("write", "read"), "lose": ("stop",), "stretch": ("stretch",)}

    def __init__(self, action: str, cond: str | None = None, value: int = 0xFF, byte: int | None = None,
                 schedule: Schedule | None = None, name: str | None = None):
        super().__init__(schedule, name)
        if action not in self.ACTIONS:
            raise ValueError(f"bus fault action: {action!r} is not one of {', '.join(self.ACTIONS)}")
        conds = self.ACTIONS[action]
        cond = cond or conds[0]
        if cond not in conds:
            raise ValueError(f"bus fault: {action} acts on {' or '.join(conds)}, not {cond!r}")
        self.action, self.cond, self.value, self.byte = action, cond, value, byte

    def hop(self, world):
        adapter = world.host.smbus_adapter
        if adapter is None:
            raise ValueError(f"bus fault: preset {world.preset.name} has no SMBus on the host")
        return adapter.bus.wire

    def layer(self, nxt):
        def call(cond, t, target, value):
            if cond != self.cond or (self.byte is not None and value != self.byte) or not self._fires(t):
                return nxt(cond, t, target, value)
            if self.action == "nak":
                self._trace(t, "nak", cond=cond, byte=f"0x{value:02X}" if cond == "write" else None)
                return False
            if self.action == "lose":
                self._trace(t, "lose-stop")
                return None
            if self.action == "stretch":
                got = nxt(cond, t, target, value)
                self._trace(t, "stretch", extra=self.value)
                return got + self.value if isinstance(got, int) else (got or self.value)
            if cond == "write":
                self._trace(t, "corrupt", cond=cond, byte=f"0x{value:02X}", now=f"0x{value ^ self.value:02X}")
                return nxt(cond, t, target, value ^ self.value)
            got = nxt(cond, t, target, value)
            self._trace(t, "corrupt", cond=cond, byte=f"0x{got:02X}", now=f"0x{got ^ self.value:02X}")
            return got ^ self.value
        return call


class IrqHold(Fault):
    """Hold an ASPEED I2C bus's interrupt back ``hold`` ns when it rises (with ``status`` bits set, if
    given): the status bits coalesce.

    Only a rising edge is held (the line is low then, and stays low until the release, whatever the
    status does meanwhile); at the release the line takes the level the status gives at that moment.
    """

    seam = "i2c.irq"

    def __init__(self, hold: int, status: int = 0, schedule: Schedule | None = None, name: str | None = None):
        super().__init__(schedule, name)
        if hold <= 0:
            raise ValueError(f"irq hold: {hold} must be > 0 ns")
        self.hold = hold
        self.status = status          # only a rise whose INTR_STS has all these bits (0: any)
        self._until = None            # the release time while held
        self._out = 0                 # the level past the fault

    def hop(self, world):
        bus = getattr(world.channel, "block", None)
        if not hasattr(bus, "irq_out"):
            raise ValueError(f"irq hold: preset {world.preset.name}'s channel has no I2C interrupt to hold")
        return bus.irq_out

    def layer(self, nxt):
        bus = self.world.channel.block                        # the AspeedI2cBus: its status decides the level
        sim = self.world.sim

        def drive(level, t):
            self._out = level
            return nxt(level, t)

        def release(until=None):
            if self._until is None or (until is not None and until != self._until):
                return                                        # released already (detached meanwhile)
            self._until = None
            level = 1 if bus.regs["INTR_CTRL"] & bus.regs["INTR_STS"] else 0
            self._trace(sim.now, "release", level=level)
            drive(level, sim.now)

        def call(level, t):
            if self._until is not None:
                return None                                   # held: the bits pile up, the line stays low
            if level and not self._out and bus.regs["INTR_STS"] & self.status == self.status and self._fires(t):
                self._until = t + self.hold
                self._trace(t, "hold", until=self._until)
                sim.call_at(self._until, release, self._until)
                return None
            return drive(level, t)
        self._release = release
        return call

    def detach(self) -> None:
        """Taken away while holding: the line takes its level now, not never."""
        if self.world is not None and self._until is not None:
            self._release()
        super().detach()


_control: dict | None = None       # while ``controlled``: {"schedule": ..., "injected": [...]}


class HostIrqFault(Fault):
    """The interface's interrupt reaching the host's handler (``request_irq``'s listener on the line):
    ``action`` "lose" (the edge never arrives: the driver's timer has to notice) or "delay" (``delay``
    ns late).  Needs a host driver that uses the interrupt (``irq=True``)."""

    seam = "host.irq"
    ACTIONS = ("lose", "delay")

    def __init__(self, action: str, delay: int = 0, schedule: Schedule | None = None, name: str | None = None,
                 jitter: int = 0):
        super().__init__(schedule, name)
        if action not in self.ACTIONS:
            raise ValueError(f"host irq fault action: {action!r} is not one of {', '.join(self.ACTIONS)}")
        if (action == "delay") != (delay > 0) or jitter < 0 or (jitter and action != "delay"):
            raise ValueError(f"host irq fault: {action} takes {'a delay > 0' if action == 'delay' else 'no delay'}")
        self.action, self.delay, self.jitter = action, delay, jitter
        self._taps: list = []                  # (line, the handler's listener, ours)

    def attach(self, world) -> None:
        taps = world.host._irq_taps
        if not taps:
            raise ValueError(f"host irq fault: the host driver on {world.preset.name} polls (build it with irq=True)")
        self.world, self.sim = world, world.sim
        for line, listener in taps:
            i = _position(line.listeners, listener)          # the handler's, or a fault's around it
            inner = line.listeners[i]
            ours = self._layer(inner)
            ours._wraps = inner
            line.listeners[i] = ours
            self._taps.append((line, inner, ours))

    def detach(self) -> None:
        for line, _inner, ours in self._taps:
            inner = ours._wraps                              # what ours wraps now (an earlier fault may be gone)
            for i, fn in enumerate(line.listeners):          # ours, or inside a later fault's wrapper
                outer = None
                while fn is not None and fn is not ours:
                    outer, fn = fn, getattr(fn, "_wraps", None)
                if fn is ours:
                    if outer is None:
                        line.listeners[i] = inner
                    else:
                        outer._wraps = inner
                        outer._rewrap(inner)
                    break
        self._taps = []
        self.world = None

    def _layer(self, nxt):
        inner = [nxt]

        def edge(t: int) -> None:
            fn = inner[0]
            if not self._fires(t):
                return fn(t)
            if self.action == "lose":
                self._trace(t, "lose-irq")
                return None
            late = self._late(self.delay, self.jitter)
            self._trace(t, "delay-irq", delay=late)
            self.sim.call_at(t + late, fn, t + late)

        def rewrap(fn) -> None:
            inner[0] = fn
        edge._rewrap = rewrap
        return edge


def _position(listeners: list, listener) -> int:
    for i, fn in enumerate(listeners):
        while fn is not None:
            if fn is listener:
                return i
            fn = getattr(fn, "_wraps", None)
    raise ValueError("host irq fault: the driver's interrupt handler is not on its line")


class RegisterFault(Fault):
    """A host port access to an interface register: ``action`` "stuck" (a read returns ``value``),
    "flip" (a read has the bits of ``value`` inverted), "drop" (a write never lands) or "delay" (the
    cycle's long-wait SYNC holds the CPU ``delay`` ns more, read or write).  ``offset`` picks the
    register in its block (KCS: 0 data, 1 status; None: any); ``device`` a part of the mapping's
    name (None: every mapping)."""

    seam = "io.port"
    ACTIONS = {"stuck": "read", "flip": "read", "drop": "write", "delay": "any"}

    def __init__(self, action: str, offset: int | None = None, value: int = 0, device: str | None = None,
                 schedule: Schedule | None = None, name: str | None = None, delay: int = 0, jitter: int = 0):
        super().__init__(schedule, name)
        if action not in self.ACTIONS:
            raise ValueError(f"register fault action: {action!r} is not one of {', '.join(self.ACTIONS)}")
        if not 0 <= value <= 0xFF:
            raise ValueError(f"register fault value: {value} is not a byte")
        if (action == "delay") != (delay > 0) or delay < 0 or jitter < 0 or (jitter and action != "delay"):
            raise ValueError(f"register fault delay: {delay} ns (a positive delay goes with action 'delay' only)")
        self.action, self.offset, self.value, self.device, self.delay = action, offset, value, device, delay
        self.jitter = jitter
        self.active = False

    def attach(self, world) -> None:
        self.world, self.sim = world, world.sim
        self.active = True
        world.io.interpose(self._wrap)         # a mapping's accesses, now and from now on

    def detach(self) -> None:
        self.active = False                    # the wrappers stay and pass every access through
        self.world = None

    def _wrap(self, target, mapping: str):
        if self.device is not None and self.device not in mapping:
            return target
        return _FaultyRegisters(self, target, mapping)


class _FaultyRegisters:
    """One mapping's registers with a ``RegisterFault`` in front (``buses.target.IoTarget``)."""

    def __init__(self, fault: RegisterFault, target, mapping: str):
        self._fault, self._target, self._mapping = fault, target, mapping

    def __getattr__(self, name):
        return getattr(self._target, name)

    def io_read(self, offset: int, t: int) -> int:
        got = self._target.io_read(offset, t)
        f = self._fault
        if f.active and f.ACTIONS[f.action] != "write" and f.offset in (None, offset) and f._fires(t):
            if f.action == "delay":
                self._stretch(t, offset, "read")
                return got
            now = f.value if f.action == "stuck" else got ^ f.value
            f._trace(t, f.action, mapping=self._mapping, offset=offset, read=f"0x{got:02X}", now=f"0x{now:02X}")
            return now
        return got

    def io_write(self, offset: int, value: int, t: int) -> None:
        f = self._fault
        if f.active and f.ACTIONS[f.action] != "read" and f.offset in (None, offset) and f._fires(t):
            if f.action == "delay":
                self._stretch(t, offset, "write")
            else:
                f._trace(t, "drop", mapping=self._mapping, offset=offset, value=f"0x{value:02X}")
                return
        self._target.io_write(offset, value, t)

    def _stretch(self, t: int, offset: int, access: str) -> None:
        # The data moved at t; the CPU is released delay later: its next access waits for that.
        f = self._fault
        late = f._late(f.delay, f.jitter)
        cpu = f.world.host.cpu if f.world is not None else None
        if cpu is not None:
            cpu.t = max(cpu.t, t) + late
        f._trace(t, "delay", mapping=self._mapping, offset=offset, access=access, delay=late)


class HostStall(Fault):
    """The host CPU stops for ``stall`` ns at ``schedule.after`` (an SMI handler, a hypervisor that
    preempted the vCPU): every port access the host makes meanwhile completes only when it is over.
    Timers and interrupts still fire on time, and the driver code they run waits at its first port
    access -- a stall across a timer tick is a missed tick, with the real elapsed time to account."""

    seam = "host.cpu"

    def __init__(self, stall: int, schedule: Schedule | None = None, name: str | None = None):
        super().__init__(schedule, name)
        if stall <= 0:
            raise ValueError(f"host stall: {stall} ns must be > 0")
        sc = self.schedule
        if sc.nth is not None or sc.only is not None or sc.until is not None:
            raise ValueError("host stall: a stall is one moment (after=); nth, until and only do not apply")
        self.stall = stall

    def attach(self, world) -> None:
        self.world, self.sim = world, world.sim
        self.sim.call_at(max(self.schedule.after, self.sim.now), self._stall)

    def _stall(self) -> None:
        if self.world is None or not self._fires(self.sim.now):
            return
        cpu, t = self.world.host.cpu, self.sim.now
        cpu.stalled_until = max(cpu.stalled_until, t + self.stall)
        cpu.t = max(cpu.t, cpu.stalled_until)
        self._trace(t, "stall", stall=self.stall, until=cpu.stalled_until)

    def detach(self) -> None:
        self.world = None


class BmcFault(Fault):
    """The BMC firmware fails while a request (``netfn``, ``cmd``; None: any) is in it: ``action``
    "cold-reset" (the BMC reboots: power-up state, the watchdog's settings and reservations lost),
    "hang" (it stops) or "daemon-exit" (the bridge daemon of a full-stack KCS channel exits: the
    device is closed, nobody attached, until it comes back).  Either way that request's answer is
    lost and the channel services nothing for ``down`` ns (None: for ever; a daemon needs a time to
    come back), then it does again -- a reset mid-transfer as the host sees it."""

    seam = "bmc.answer"
    ACTIONS = ("cold-reset", "hang", "daemon-exit")

    def __init__(self, action: str, netfn: int | None = None, cmd: int | None = None, down: int | None = None,
                 schedule: Schedule | None = None, name: str | None = None):
        super().__init__(schedule, name)
        if action not in self.ACTIONS:
            raise ValueError(f"bmc fault action: {action!r} is not one of {', '.join(self.ACTIONS)}")
        if down is not None and down <= 0:
            raise ValueError(f"bmc fault down: {down} ns must be > 0 (or None: for ever)")
        if action == "daemon-exit" and down is None:
            raise ValueError("bmc fault daemon-exit: give down, the time until the daemon is back")
        self.action, self.netfn, self.cmd, self.down = action, netfn, cmd, down

    def hop(self, world):
        if self.action == "daemon-exit" and not hasattr(world.channel, "restart_daemon"):
            raise ValueError(f"bmc fault daemon-exit: preset {world.preset.name}'s {world.interface.kind} channel "
                             f"has no bridge daemon (a full-stack KCS channel has)")
        return world.channel.to_core

    def layer(self, nxt):
        def call(req, t, done):
            if not _is_command(req, self.netfn, self.cmd) or not self._fires(t):
                return nxt(req, t, done)
            self._trace(t, self.action, req=bytes(req), down=self.down)
            # From the event loop, not from inside the crossing: the caller may be the daemon itself.
            self.sim.call_at(t, self._fail, self.world, t)
            return None                         # the request dies with the firmware: no answer
        return call

    def _fail(self, world, t: int) -> None:
        channel = world.channel
        if self.action == "daemon-exit":
            channel.restart_daemon(self.down)
            return
        if self.action == "cold-reset":
            world.bmc.cold_reset(t)
        channel.stop_servicing()
        if self.down is not None:
            self.sim.call_at(t + self.down, channel.start_servicing)


class LinkFault(Fault):
    """The README.vm link to an external BMC (``World(bmc="extern")``), as its bytes arrive:
    ``action`` "garbage" (``length`` bytes drawn from the seeded RNG, closed by a message end, land
    ahead of the chunk: the decoder must drop them and keep the answer behind) or "disconnect" (the
    connection drops and the chunk is lost: the request fails 0xD2, the client reconnects with its
    back-off)."""

    seam = "vm.rx"
    ACTIONS = ("garbage", "disconnect")

    def __init__(self, action: str, length: int = 16, schedule: Schedule | None = None, name: str | None = None):
        super().__init__(schedule, name)
        if action not in self.ACTIONS:
            raise ValueError(f"link fault action: {action!r} is not one of {', '.join(self.ACTIONS)}")
        if not 1 <= length <= 4096:
            raise ValueError(f"link fault length: {length} is not in 1..4096")
        self.action, self.length = action, length

    def hop(self, world):
        extern = getattr(world, "extern", None)
        if extern is None:
            raise ValueError("link fault: the world's BMC is not external (build it with bmc=\"extern\")")
        return extern.rx

    def layer(self, nxt):
        def call(chunk, t):
            if not self._fires(t):
                return nxt(chunk, t)
            if self.action == "disconnect":
                self._trace(t, "disconnect", lost=len(chunk))
                self.world.extern._lost(t, "fault: the link was cut")
                return []
            junk = bytes(self.sim.rng.randrange(256) for _ in range(self.length)) + b"\xa0"
            self._trace(t, "garbage", junk=junk)
            return nxt(junk + chunk, t)
        return call


def inject(world, *faults: Fault) -> list[Fault]:
    """Attach each fault to its seam in ``world``; returns them (``fault.acted`` counts their acts)."""
    for f in faults:
        if _control is not None:
            _control["injected"].append(f)
            override = _control["schedule"]
            if override is not None:
                sc = f.schedule
                f.schedule = Schedule(sc.after, sc.until, only=frozenset(override.get(f.name, ())))
        f.attach(world)
    world.faults = getattr(world, "faults", []) + list(faults)
    return list(faults)


class controlled:  # noqa: N801  (a context manager, used as a verb)
    """``with controlled(schedule) as injected:``: every fault injected inside is listed, and with a
    ``schedule`` ({fault name: [matching crossings]}) acts on exactly those crossings and no others
    (its time window kept) -- how a minimized fault schedule is replayed."""

    def __init__(self, schedule: dict[str, list[int]] | None = None):
        self.schedule = schedule

    def __enter__(self) -> list[Fault]:
        global _control
        self._outer = _control
        _control = {"schedule": self.schedule, "injected": []}
        return _control["injected"]

    def __exit__(self, *exc) -> None:
        global _control
        _control = self._outer
