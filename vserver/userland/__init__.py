"""The simulated host's userland: an ipmitool-like program and the SDR, SEL and FRU decoders it uses."""

from .ipmitool import USAGE, CommandFailed, IpmiTool, Output, ToolError, parse_command

__all__ = ["USAGE", "CommandFailed", "IpmiTool", "Output", "ToolError", "parse_command"]
