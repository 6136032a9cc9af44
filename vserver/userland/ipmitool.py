"""An ipmitool 1.8.19 on the simulated host: in-band commands through ``/dev/ipmi0``, printed as it prints them.

Every command is a generator to run as a SimPy process (``yield from
tool.run(words)``).  Like ipmitool, a run first asks Get Device ID (to know
the manufacturer) and probes for PICMG and VITA, then sends exactly the
requests ipmitool's command sends, in its order, through the host's
message handler, and prints (``Output.text()`` / ``error_text()``) what
ipmitool prints on stdout and stderr for those answers.  Each command
lives with its group (``cmd_mc``, ``cmd_chassis``, ``cmd_sdr``,
``cmd_sensor``, ``cmd_sel``, ``cmd_fru``, ``cmd_raw``,
``cmd_lan``, ``cmd_user``, ``cmd_channel``), each method naming
the ipmitool function it mirrors.
"""

from __future__ import annotations

from .cmd_channel import ChannelCommands
from .cmd_chassis import ChassisCommands
from .cmd_fru import FruCommands
from .cmd_lan import LanCommands
from .cmd_mc import McCommands
from .cmd_raw import RawCommands
from .cmd_sdr import SdrCommands
from .cmd_sel import SelCommands
from .cmd_sensor import SensorCommands
from .cmd_user import UserCommands
from .core import CommandFailed, Output, ToolBase, ToolError
from .parse import USAGE, parse_command

__all__ = ["USAGE", "CommandFailed", "IpmiTool", "Output", "ToolError", "parse_command"]


class IpmiTool(McCommands, ChassisCommands, SdrCommands, SensorCommands, SelCommands, FruCommands, RawCommands,
               LanCommands, UserCommands, ChannelCommands, ToolBase):
    """ipmitool's in-band commands, run by the simulated host over its message handler."""

    def __init__(self, ipmi):
        super().__init__(ipmi)
        self.last_output: Output | None = None
        self._reset_state()

    def _reset_state(self) -> None:
        """What one ipmitool process keeps between functions: the SDR walk and what it read."""
        self._sdr_itr = None
        self._sdr_list: list = []
        self._sdr_max_read = 0
        self._extended = False
        self._use_progress = True
        self._seq = 0
        self._received.clear()

    def run(self, words):
        """Generator: parse and run one command line, as one ipmitool process; returns its ``Output``."""
        name, args = parse_command(words)
        out = self.out = self.last_output = Output(" ".join(words), t_start=self.sim.now)
        self._reset_state()
        try:
            yield from self.open()
            rc = yield from getattr(self, name)(*args)
            out.exit_code = 1 if rc is not None and rc < 0 else 0     # ipmitool.c: exit 1 when rc < 0
        finally:
            self.close()
            out.t_end = self.sim.now
        return out
