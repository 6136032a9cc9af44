"""The BMC's two seams: a system-interface channel, and the core that answers it.

**System-interface channel** (``ChannelBase``): one KCS, BT or SSIF channel as
the BMC's own state sees it.  ``Bmc`` calls these on every channel it has;
the names are QEMU's ``IPMIInterfaceClass`` (``set_atn``, ``set_irq_enable``,
``reset``) and what OpenBMC's firmware does through the channel driver's
ioctls (SMS_ATN, force abort) and its open/release (servicing):

- ``set_atn(on, irq, t)``: after every change to the message flags, the
  receive queue, the event buffer or the global enables, possibly with the
  same values as last time.  ``on`` is the SMS_ATN level; ``irq`` says the
  global enables allow an interrupt for what is pending (bit 0 for the
  receive queue and the watchdog pre-timeout, bit 1 for the event buffer).
  Whether a repeated call re-raises an interrupt is the channel's business
  (QEMU's KCS does, its BT does not).
- ``set_irq_enable(on, t)``: global enables bit 0 switched the channel's own
  communication interrupt (KCS OBF, BT B2H), on attach and on every change;
- ``cold_reset(t)`` / ``warm_reset(t)``: Cold/Warm Reset of the BMC;
- ``stop_servicing()`` / ``start_servicing()``: the firmware behind the
  channel dies (nobody reads the interface any more) and comes back;
- ``bt_capabilities()``: what Get BT Interface Capabilities answers when
  the firmware behind this channel answers it (a BT channel on OpenBMC);
- ``protocol`` (``ChannelProtocol``) and ``irq_info`` (0x00-0x0F ISA IRQ,
  0x10-0x13 PCI INTA-D, 0xFF none): Get Channel Info for channel 0xF.

**BMC core** (``BmcCore``): what a channel hands each whole request to,
QEMU's ``IPMIBmcClass.handle_command`` or OpenBMC's ``execute`` D-Bus call.
``submit(request, t, done)`` answers through ``done(response, t_answer)``:
the in-process dispatcher (``bmc.ipmid.Ipmid``) at once, a remote BMC over
the VM protocol (``bmc.vm.extern``) when its answer lands.  Channels call
the core through a ``buses.Hop`` so a trace or a fault can stand between.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from .ipmi.msg import ChannelProtocol

Done = Callable[[bytes, int], None]


class BmcCore(Protocol):
    def submit(self, request: bytes, t: int, done: Done) -> None: ...

    def cost_ns(self, netfn: int, cmd: int) -> int: ...


class ChannelBase:
    """Defaults for a system-interface channel: nothing to signal, no interrupt, always serviced."""

    protocol: int = ChannelProtocol.KCS
    irq_info: int = 0xFF

    def set_atn(self, on: bool, irq: bool, t: int) -> None:
        pass

    def set_irq_enable(self, on: bool, t: int) -> None:
        pass

    def cold_reset(self, t: int) -> None:
        pass

    def bt_capabilities(self) -> bytes | None:
        """The five Get BT Interface Capabilities data bytes when the firmware answers it here, else None."""
        return None

    def warm_reset(self, t: int) -> None:
        pass

    def stop_servicing(self) -> None:
        raise NotImplementedError(f"{type(self).__name__} cannot stop servicing")

    def start_servicing(self) -> None:
        raise NotImplementedError(f"{type(self).__name__} cannot start servicing")
