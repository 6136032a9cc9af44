"""The IPMI command dispatcher: one request in, one response out.

``Ipmid.handle`` owns every generic check, in this order (the "CC ladder"):

1. request shorter than 2 bytes            -> 0xC7 (header built from what is there)
2. LUN != 0                                -> 0xC2 (as QEMU: only LUN 0 has commands)
3. unknown or response netfn, unknown cmd  -> 0xC1
4. privilege below the command's minimum,
   or a system-interface-only command from
   another channel                         -> 0xD4
5. data length outside the command's bounds -> 0xC7
6. BMC busy (``busy`` flag or ``busy_hook``) -> 0xC0
7. the handler: ``IpmiError(cc)`` -> cc; ``NotImplementedError`` -> 0xC1;
   any other exception -> 0xFF, or re-raised when ``raise_unexpected``.

Handlers are plain functions ``fn(call) -> bytes`` declared with
``@command(...)``; they return the response data after the completion code.
The dispatcher does not spend simulated time itself: the firmware asks
``cost_ns(netfn, cmd)`` and waits that long around ``handle``.
"""

from __future__ import annotations

import os
import types
from collections.abc import Callable, Iterable

from buses.time import US

from .commands import default_command_sets
from .commands.spec import Call, CommandSpec, command
from .ipmi.cc import CompletionCode, IpmiError
from .ipmi.cmd import command_name
from .ipmi.msg import Channel
from .privilege import Privilege

__all__ = ["DEFAULT_COST_NS", "Call", "CommandSpec", "Ipmid", "command"]

DEFAULT_COST_NS = 50 * US  # firmware time per command unless the command declares its own

_C7 = CompletionCode.REQUEST_DATA_LENGTH_INVALID
_C2 = CompletionCode.INVALID_COMMAND_FOR_LUN
_C1 = CompletionCode.INVALID_COMMAND
_D4 = CompletionCode.INSUFFICIENT_PRIVILEGE
_C0 = CompletionCode.NODE_BUSY
_FF = CompletionCode.UNSPECIFIED_ERROR


# Tables shared by every dispatcher built from the same command sets (a rack of BMCs): never changed
# in place (Ipmid copies before a change), so sharing one cannot leak a change from one BMC to another.
_TABLES: dict = {}
_COSTS: dict = {}


def _shared(cache: dict, key, build):
    """The one value cached under ``key`` (built by ``build()`` the first time)."""
    value = cache.get(key)
    if value is None:
        value = cache[key] = build()
    return value


def _specs_of(source) -> list[CommandSpec]:
    """The decorated handlers of a module (in definition order) or of an iterable, as specs."""
    items = vars(source).values() if isinstance(source, types.ModuleType) else source
    return [spec for spec in (getattr(fn, "ipmi_command", None) for fn in list(items))
            if isinstance(spec, CommandSpec)]


def _build_table(specs: list[CommandSpec]) -> dict[int, CommandSpec]:
    table: dict[int, CommandSpec] = {}
    for spec in specs:
        _check_spec(table, spec, replace=False)
        table[spec.key] = spec
    return table


def _check_spec(table: dict, spec: CommandSpec, replace: bool) -> None:
    if not 0 <= spec.netfn <= 0x3E or spec.netfn & 1:
        raise ValueError(f"netfn 0x{spec.netfn:02X} of {spec.name!r} is not an even request netfn below 0x40")
    if not 0 <= spec.cmd <= 0xFF:
        raise ValueError(f"cmd 0x{spec.cmd:X} of {spec.name!r} out of range 0x00-0xFF")
    if spec.min_len < 0 or (spec.max_len is not None and spec.max_len < spec.min_len):
        raise ValueError(f"length bounds {spec.min_len}..{spec.max_len} of {spec.name!r} are inverted")
    old = table.get(spec.key)
    if old is not None and not replace:
        raise ValueError(f"{spec.name!r} (netfn 0x{spec.netfn:02X} cmd 0x{spec.cmd:02X}) "
                         f"is already registered as {old.name!r}")


def _env_raise_unexpected() -> bool:
    return os.environ.get("IPMILAB_RAISE_UNEXPECTED", "") == "1"


class Ipmid:
    """The command set of one BMC: a table of ``CommandSpec`` and the dispatch ladder.

    ``command_sets`` are modules (or iterables of decorated handlers) to
    install; the default is ``bmc.commands.default_command_sets()``.
    ``strict_length=False`` ignores bytes beyond a command's maximum instead
    of answering 0xC7, as QEMU does (its KCS qtest sends a trailing 0x00).
    """

    def __init__(self, sim, bmc, command_sets: Iterable | None = None, *, default_cost_ns: int = DEFAULT_COST_NS,
                 cost_scale: float = 1, strict_length: bool = True, raise_unexpected: bool | None = None):
        self.sim = sim
        self.bmc = bmc
        self.strict_length = strict_length
        self.raise_unexpected = _env_raise_unexpected() if raise_unexpected is None else raise_unexpected
        self.busy = False
        self.busy_hook: Callable[[int, int], bool] | None = None
        self._default_cost_ns = default_cost_ns
        self._cost_scale = cost_scale
        if command_sets is None:
            command_sets = default_command_sets()
        specs = [spec for source in command_sets for spec in _specs_of(source)]
        # Every BMC of a rack installs the same sets: one shared (read-only) table and cost map serve
        # them all; install() and register() copy before they change anything.  The key is the specs'
        # identities: the cached table holds every one of them, so no id is reused while it is cached.
        self._table = _shared(_TABLES, tuple(map(id, specs)), lambda: _build_table(specs))
        self._own_table = False
        self._rescale()

    # -- the table --------------------------------------------------------------

    def install(self, source, replace: bool = False) -> None:
        """Add every decorated handler of a module (in definition order) or of an iterable."""
        specs = _specs_of(source)
        if not specs:
            return
        table = self._writable_table()
        for spec in specs:
            _check_spec(table, spec, replace)
            table[spec.key] = spec
        self._rescale()

    def register(self, spec: CommandSpec, replace: bool = False) -> None:
        """Add one command; an existing (netfn, cmd) is replaced only with ``replace=True`` (OEM overrides)."""
        _check_spec(self._table, spec, replace)
        self._writable_table()[spec.key] = spec
        self._rescale()

    def _writable_table(self) -> dict[int, CommandSpec]:
        """This dispatcher's own table (copied from the shared one at the first change)."""
        if not self._own_table:
            self._table = dict(self._table)
            self._own_table = True
        return self._table

    def lookup(self, netfn: int, cmd: int) -> CommandSpec | None:
        return self._table.get(netfn << 8 | cmd)

    def specs(self) -> list[CommandSpec]:
        return [self._table[k] for k in sorted(self._table)]

    def commands(self) -> list[tuple[int, int, str, Privilege]]:
        """(netfn, cmd, name, privilege) of every command, sorted: the ``ipmilab commands`` table."""
        return [(s.netfn, s.cmd, s.name, s.privilege) for s in self.specs()]

    # -- simulated cost -----------------------------------------------------------

    @property
    def cost_scale(self) -> float:
        return self._cost_scale

    @cost_scale.setter
    def cost_scale(self, scale: float) -> None:
        """A firmware timing preset's factor on every command's cost."""
        if scale < 0:
            raise ValueError(f"cost_scale {scale!r} must not be negative")
        self._cost_scale = scale
        self._rescale()

    def _rescale(self) -> None:
        scale = self._cost_scale
        base = self._default_cost_ns
        self._default_cost = round(base * scale)
        table = self._table

        def build() -> dict[int, int]:
            return {key: round((base if s.cost_ns is None else s.cost_ns) * scale) for key, s in table.items()}

        if self._own_table:   # a dispatcher with its own commands has its own costs too
            self._cost = build()
        else:
            self._cost = _shared(_COSTS, (id(table), base, scale), build)

    def cost_ns(self, netfn: int, cmd: int) -> int:
        """Simulated firmware time (int ns) to process (netfn, cmd); unknown commands cost the default."""
        return self._cost.get(netfn << 8 | cmd, self._default_cost)

    # -- the BMC core seam (bmc.channel.BmcCore) -------------------------------------------

    def submit(self, request: bytes, t: int, done) -> None:
        """Answer ``request`` at once: ``done(response, t)`` (QEMU ``ipmi-bmc-sim``'s synchronous reply)."""
        done(self.handle(request, t=t), t)

    # -- dispatch -------------------------------------------------------------------

    def handle(self, request: bytes, privilege: int = Privilege.ADMINISTRATOR,
               channel: int = Channel.SYSTEM_INTERFACE, t: int | None = None, session=None) -> bytes:
        """Answer one request (``NetFn/LUN, Cmd, Data...``) with ``NetFn|1/LUN, Cmd, CC, Data...``.

        ``t`` is when the request is handled (default: now); interfaces that run
        ahead of the kernel clock pass the time of the access that completed it.
        ``session`` is the LAN session it arrived in (handlers see it as ``call.session``).
        """
        self._t = self.sim.now if t is None else t
        if len(request) < 2:
            head = bytes((request[0] | 0x04 if request else 0x04, 0))
            return self._done(request, head, _C7, b"", None)
        nl = request[0]
        cmd = request[1]
        head = bytes((nl | 0x04, cmd))
        if nl & 0x03:
            return self._done(request, head, _C2, b"", None)
        spec = self._table.get(nl << 6 | cmd)  # (netfn << 8 | cmd) with LUN 0
        if spec is None:
            return self._done(request, head, _C1, b"", None)
        if privilege < spec.privilege or (spec.system_interface_only and channel != Channel.SYSTEM_INTERFACE):
            return self._done(request, head, _D4, b"", spec)
        data = request[2:]
        n = len(data)
        if n < spec.min_len:
            return self._done(request, head, _C7, b"", spec)
        if spec.max_len is not None and n > spec.max_len:
            if self.strict_length:
                return self._done(request, head, _C7, b"", spec)
            data = data[:spec.max_len]
        if self.busy or (self.busy_hook is not None and self.busy_hook(nl >> 2, cmd)):
            return self._done(request, head, _C0, b"", spec)
        try:
            out = spec.handler(Call(self, self.bmc, nl >> 2, cmd, bytes(data), channel, privilege, self._t,
                                       session))
        except IpmiError as exc:
            return self._done(request, head, exc.cc, exc.data, spec)
        except NotImplementedError:
            return self._done(request, head, _C1, b"", spec)
        except Exception as exc:
            if self.raise_unexpected:
                raise
            if self.sim.tracer.enabled:
                self.sim.trace(self._t, "ipmid", self.bmc.name, "handler-error", cmd=spec.name,
                               error=f"{type(exc).__name__}: {exc}")
            return self._done(request, head, _FF, b"", spec)
        rsp = head + b"\x00" + out if out else head + b"\x00"
        if self.sim.tracer.enabled:
            self._trace(request, rsp, spec)
        return rsp

    def _done(self, request, head: bytes, cc: int, data: bytes, spec: CommandSpec | None) -> bytes:
        rsp = head + bytes((cc,)) + data
        if self.sim.tracer.enabled:
            self._trace(request, rsp, spec)
        return rsp

    def _trace(self, request, rsp: bytes, spec: CommandSpec | None) -> None:
        if spec is not None:
            name = spec.name
        elif len(request) >= 2:
            name = command_name(request[0] >> 2, request[1])
        else:
            name = "?"
        self.sim.trace(self._t, "ipmid", self.bmc.name, "dispatch", cmd=name, cc=f"0x{rsp[2]:02X}",
                       req=bytes(request), rsp=rsp)
