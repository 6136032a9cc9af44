"""Ideal attachment of the KCS engine to a register block: no firmware, no time.

This is how QEMU's ``isa-ipmi-kcs``/``pci-ipmi-kcs`` behave with
``ipmi-bmc-sim``: every host write is processed inside the write itself,
so the host never sees IBF set and, after the last request byte, finds
the first response byte already waiting.  The engine and command set are
the same as in full-stack mode; only the device ops differ.

The whole request goes to a ``BmcCore`` through a ``buses.Hop``: the
in-process ``Ipmid`` answers inside the call (``ipmi-bmc-sim``), a remote
BMC over the VM protocol when its answer lands (``ipmi-bmc-extern``).
"""

from __future__ import annotations

from buses import Hop

from .channel import ChannelBase
from .ipmi.kcs import STATUS_IBF, STATUS_SMS_ATN
from .ipmi.msg import ChannelProtocol
from .kcs_engine import EVENT_IBF, KcsEngineError, KcsIpmiEngine


def run_now(gen):
    """Drive a generator that must not block to completion and return its value."""
    try:
        gen.send(None)
    except StopIteration as stop:
        return stop.value
    raise RuntimeError("ideal attachment: a device op tried to wait")


class IdealKcsOps:
    """Device ops straight onto a ``soc.kcs.KcsBlock``, stamped with the host's access time."""

    def __init__(self, block):
        self.block = block
        self.t = 0

    def time(self) -> int:
        return self.t

    def inb(self, reg: str):
        blk = self.block
        if reg == "STR":                 # the engine reads STR first on every event
            return blk.status
        if reg == "IDR":
            return blk.read_idr(self.t)
        return blk.odr
        yield  # a generator, like every device op

    def outb(self, reg: str, value: int):
        if reg == "ODR":
            self.block.write_odr(value, self.t)
        elif reg == "STR":
            self.block.write_str(value, self.t)
        return
        yield

    def updateb(self, reg: str, mask: int, value: int):
        blk = self.block
        blk.write_str((blk.status & ~mask) | (value & mask), self.t)
        return
        yield

    def irq_mask_update(self, mask: int, state: int):
        # Nothing to poll: events are delivered synchronously on host writes.
        self.block.ibf_irq_enable = bool(state & mask & EVENT_IBF)
        return
        yield


class IdealKcs(ChannelBase):
    """A KCS block answered by a ``BmcCore`` with no firmware between (QEMU's ``ipmi_kcs.c``).

    ``use_irq``: the device has an interrupt wired (QEMU's ``irq`` property),
    so global enables bit 0 switches the OBF interrupt; ``irq_info`` is what
    Get Channel Info reports for it.
    """

    protocol = ChannelProtocol.KCS

    def __init__(self, sim, block, core, use_irq: bool = False, irq_info: int = 0xFF, name: str = "kcs-bmc"):
        self.sim = sim
        self.block = block
        self.use_irq = use_irq
        self.irq_info = irq_info
        self.ops = IdealKcsOps(block)
        self.engine = KcsIpmiEngine(sim, self.ops, name)
        self.engine.opened = True                # QEMU's BMC is always there: nobody opens a device
        self.to_core = Hop(core.submit, f"{name}.core")
        self.serving = True
        self.dropped_responses = 0
        block.host_write_listeners.append(self._host_wrote)

    def _host_wrote(self, t: int) -> None:
        if not self.serving:
            return
        self.ops.t = t
        engine = self.engine
        try:                                     # run_now(engine.event()), inlined: once per host write
            engine.event().send(None)
        except StopIteration:
            pass
        else:
            raise RuntimeError("ideal attachment: a device op tried to wait")
        if engine.data_in_avail:
            self.to_core.call(engine.read_request(), t, self.deliver)

    def deliver(self, response: bytes, t: int) -> None:
        """The core's answer at ``t``: load it into the engine (dropped if the host moved on)."""
        self.ops.t = max(t, self.sim.now)
        try:
            run_now(self.engine.write_response(response))
        except KcsEngineError:
            # The host aborted or restarted meanwhile; the engine traced the drop.
            self.dropped_responses += 1

    # -- what the BMC core calls ----------------------------------------------------------------
    def set_atn(self, on: bool, irq: bool, t: int) -> None:
        if bool(self.block.status & STATUS_SMS_ATN) == on:
            return
        self.ops.t = max(t, self.sim.now)
        run_now(self.engine.set_sms_atn(on))
        if on and irq:
            self.block.raise_atn_irq(self.ops.t)

    def set_irq_enable(self, on: bool, t: int) -> None:
        self.block.set_obf_irq_enable(on and self.use_irq, t)

    def stop_servicing(self) -> None:
        """Firmware stops answering: nobody reads IDR any more and IBF stays set."""
        self.serving = False

    def start_servicing(self) -> None:
        """Back: a byte the host left in IDR (IBF still set) is taken now."""
        self.serving = True
        if self.block.status & STATUS_IBF:
            self._host_wrote(self.sim.now)
