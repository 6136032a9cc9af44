"""The simulated host's userland: an ipmitool 1.8.19 work-alike and the SDR, SEL and FRU decoders it uses."""

from .ipmitool import USAGE, CommandFailed, IpmiTool, Output, ToolError, parse_command

__all__ = ["USAGE", "CommandFailed", "IpmiTool", "Output", "ToolError", "parse_command"]
