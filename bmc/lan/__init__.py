"""The LAN channel: RMCP, IPMI 1.5 sessions and RMCP+ (IPMI 2.0 chapter 13), as OpenIPMI ``lanserv`` serves them.

``LanChannel.datagram`` (``channel.py``) is the whole protocol as a pure
function of a UDP payload and the simulated time; ``LanServer``
(``server.py``) puts it on real sockets paced to the wall clock.
"""

from .channel import LanChannel

__all__ = ["LanChannel"]
