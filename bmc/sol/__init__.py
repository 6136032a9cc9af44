"""Serial over LAN (IPMI 2.0 chapter 15): the payload format, the configuration parameters and the BMC's engine."""

from .config import SolConfig
from .engine import SerialPort, SolEngine
from .packet import PAYLOAD_TYPE_SOL, SolPacket

__all__ = ["PAYLOAD_TYPE_SOL", "SerialPort", "SolConfig", "SolEngine", "SolPacket"]
