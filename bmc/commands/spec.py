"""How a command handler declares itself: ``@command(...)`` attaches a ``CommandSpec``; handlers get a ``Call``.

Kept apart from the dispatcher (``bmc.ipmid``) so that the command modules
and the dispatcher that installs them do not import each other.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..ipmi.cmd import command_name
from ..privilege import Privilege


@dataclass(frozen=True, slots=True)
class CommandSpec:
    """One command as the dispatcher knows it."""

    netfn: int
    cmd: int
    name: str
    handler: Callable
    privilege: Privilege
    min_len: int                     # request data bytes after NetFn/LUN and Cmd
    max_len: int | None              # None: no upper bound
    system_interface_only: bool      # "local only" in the spec's privilege table
    cost_ns: int | None              # None: the dispatcher's default

    @property
    def key(self) -> int:
        return self.netfn << 8 | self.cmd


def command(netfn: int, cmd: int, *, privilege: Privilege, req_len: int | None = None, min_len: int = 0,
            max_len: int | None = None, system_interface_only: bool = False, cost_ns: int | None = None,
            name: str | None = None):
    """Declare a handler: its spec name, minimum privilege and request data length bounds.

    ``req_len`` fixes the length exactly; otherwise ``min_len``/``max_len``
    bound it.  The decorator only attaches a ``CommandSpec`` to the function
    (as ``fn.ipmi_command``); ``Ipmid.install`` puts it in a dispatcher.
    """
    if req_len is not None:
        min_len = max_len = req_len

    def mark(fn):
        fn.ipmi_command = CommandSpec(
            netfn, cmd, name or command_name(netfn, cmd), fn, Privilege(privilege), min_len, max_len,
            system_interface_only, cost_ns,
        )
        return fn

    return mark


class Call:
    """What a handler gets: the request data and where it came from."""

    __slots__ = ("ipmid", "bmc", "netfn", "cmd", "data", "channel", "privilege", "t", "session")

    def __init__(self, ipmid, bmc, netfn, cmd, data, channel, privilege, t, session=None):
        self.ipmid = ipmid
        self.bmc = bmc
        self.netfn = netfn
        self.cmd = cmd
        self.data = data
        self.channel = channel
        self.privilege = privilege
        self.t = t  # the simulated time of the request (an ideal interface runs ahead of the kernel)
        self.session = session  # the LAN session the request came in (None: session-less, system interface)
