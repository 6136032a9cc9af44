"""Ideal attachment of the KCS engine to a register block: no firmware, no time.

This is how QEMU's ``isa-ipmi-kcs`` behaves with ``ipmi-bmc-sim``: every
host write is processed inside the write itself, so the host never sees
IBF set and, after the last request byte, finds the first response byte
already waiting.  The engine and command set are the same as in full-stack
mode; only the device ops differ.
"""

from __future__ import annotations

from .kcs_engine import EVENT_IBF


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
        if reg == "IDR":
            return blk.read_idr(self.t)
        if reg == "STR":
            return blk.status
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
