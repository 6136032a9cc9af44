"""The KCS interface register block (IPMI 2.0 section 9.2), as silicon.

One block has two faces.  The *host face* is two I/O locations: offset 0
reads Data_Out (ODR) and writes Data_In (IDR); offset 1 reads Status (STR)
and writes Command (which lands in IDR with C/D# set).  The *BMC face* is the
same three registers as the BMC's firmware sees them.  The hardware rules:

- a host write latches IDR, sets IBF, sets C/D# for a command write and
  clears it for a data write, and tells ``host_write_listeners`` (an ideal
  attachment answers from there, inside the write);
- a host write while IBF is set is dropped (traced), as on real parts;
- a BMC read of IDR clears IBF; a BMC write of ODR sets OBF;
- a host read of ODR clears OBF and tells ``host_read_listeners`` (a
  wrapper with an "output buffer empty" interrupt raises it from there);
- STATE, SMS_ATN and OEM bits belong to BMC firmware.

Every change the host can see notifies ``host_watch`` at the time it
happens, which is how a polling driver sleeps until something changes.
The status bits are the IPMI vocabulary's (``bmc.ipmi.kcs``); the table
below only lays them out as a datasheet does, for traces.
"""

from __future__ import annotations

from bmc.ipmi.kcs import (
    KCS_DATA_OFFSET,
    KCS_STATUS_OFFSET,
    STATUS_C_D,
    STATUS_IBF,
    STATUS_OBF,
    STATUS_OEM1,
    STATUS_OEM2,
    STATUS_SMS_ATN,
    STATUS_STATE_MASK,
    STATUS_STATE_SHIFT,
)
from buses import Access, Field, IrqLine, Notifier, Register


def _bit(mask: int) -> int:
    return mask.bit_length() - 1


STR = Register(
    "STR",
    1,
    [
        Field("STATE", _bit(STATUS_STATE_MASK), STATUS_STATE_SHIFT, Access.RO, 0, "S1:S0 interface state",
              {0: "IDLE", 1: "READ", 2: "WRITE", 3: "ERROR"}),
        Field("OEM2", _bit(STATUS_OEM2), _bit(STATUS_OEM2), Access.RO, 0, "OEM"),
        Field("OEM1", _bit(STATUS_OEM1), _bit(STATUS_OEM1), Access.RO, 0, "OEM"),
        Field("C_D", _bit(STATUS_C_D), _bit(STATUS_C_D), Access.RO, 0, "last host write was to the command register"),
        Field("SMS_ATN", _bit(STATUS_SMS_ATN), _bit(STATUS_SMS_ATN), Access.RO, 0,
              "BMC has a message or event for system software"),
        Field("IBF", _bit(STATUS_IBF), _bit(STATUS_IBF), Access.RO, 0, "input buffer full: host byte not yet read"),
        Field("OBF", _bit(STATUS_OBF), _bit(STATUS_OBF), Access.RO, 0, "output buffer full: BMC byte for the host"),
    ],
    doc="KCS status register (IPMI 2.0 Table 9-1)",
)
IDR = Register("IDR", 0, [Field("DATA", 7, 0, Access.WO, 0, "Data_In: host to BMC")], doc="input data")
ODR = Register("ODR", 0, [Field("DATA", 7, 0, Access.RO, 0, "Data_Out: BMC to host")], doc="output data")

OBF = STATUS_OBF
IBF = STATUS_IBF
C_D = STATUS_C_D
SMS_ATN = STATUS_SMS_ATN
STATE = STATUS_STATE_MASK

_FIRMWARE_OWNED = STATE | STR.OEM2.mask | STR.OEM1.mask | SMS_ATN   # the STR bits a BMC write changes

DATA_OFFSET = KCS_DATA_OFFSET
STATUS_OFFSET = KCS_STATUS_OFFSET


class KcsBlock:
    """One KCS channel's registers.  ``io_read``/``io_write`` are the host face."""

    io_size = 2                       # host I/O locations: data, status/command

    __slots__ = (
        "sim", "tracer", "name", "status", "idr", "odr", "host_watch", "bmc_watch", "host_write_listeners",
        "host_read_listeners", "host_irq", "obf_irq_enable", "atn_irq", "bmc_irq", "ibf_irq_enable", "dropped_writes",
    )

    def __init__(self, sim, name: str):
        self.sim = sim
        self.tracer = sim.tracer          # one attribute less per access on the hot path
        self.name = name
        self.status = STR.reset
        self.idr = 0
        self.odr = 0
        self.host_watch = Notifier(sim)   # host-visible status changed
        self.bmc_watch = Notifier(sim)    # BMC-visible status changed (OBF cleared by the host)
        self.host_write_listeners = []    # fn(t): IDR latched (an ideal attachment answers from here)
        self.host_read_listeners = []     # fn(t): the host read ODR and OBF cleared
        self.host_irq = IrqLine(sim, f"{name}.irq")
        self.obf_irq_enable = False       # host interrupt on OBF (SerIRQ / ISA IRQ), set by the wrapper
        self.atn_irq = False              # an attention interrupt is pending (QEMU-style wrappers only)
        self.bmc_irq = IrqLine(sim, f"{name}.ibf-irq")  # level IBF & ibf_irq_enable, towards the BMC
        self.ibf_irq_enable = False
        self.dropped_writes = 0

    def reset(self, t: int) -> None:
        self.status = STR.reset
        self.idr = self.odr = 0
        self.host_irq.set(0, t)
        self.bmc_irq.set(0, t)
        if self.host_watch._ev is not None:   # lazy notify, inlined on the hot path
            self.host_watch.notify(t)

    # -- host face ---------------------------------------------------------
    def io_read(self, offset: int, t: int) -> int:
        # Each access is traced before what it causes (an interrupt line dropping, a waiter woken).
        if offset == DATA_OFFSET:
            value = self.odr
            full = self.status & OBF
            self.status &= ~OBF
            if self.tracer.enabled:
                self.sim.trace(t, "reg", self.name, "host-rd-ODR", value=f"0x{value:02X}", STR=STR.render(self.status))
            if full:
                if self.host_irq.level and not self.atn_irq:
                    self.host_irq.set(0, t)
                if self.bmc_watch._ev is not None:   # lazy notify, inlined on the hot path
                    self.bmc_watch.notify(t)
                for fn in self.host_read_listeners:
                    fn(t)
            return value
        value = self.status
        if self.tracer.enabled:
            self.sim.trace(t, "reg", self.name, "host-rd-STR", value=f"0x{value:02X}", STR=STR.render(value))
        if self.atn_irq:
            # Reading status acknowledges the attention interrupt (not SMS_ATN itself).
            self.atn_irq = False
            if not value & OBF:
                self.host_irq.set(0, t)
        return value

    def io_write(self, offset: int, value: int, t: int) -> None:
        kind = "CMD" if offset == STATUS_OFFSET else "IDR"
        if self.status & IBF:
            # The BMC has not consumed the previous byte: hardware drops this one.
            self.dropped_writes += 1
            self.sim.trace(t, "reg", self.name, f"host-wr-{kind}-dropped", value=f"0x{value:02X}",
                           STR=STR.render(self.status))
            return
        self.idr = value
        if offset == STATUS_OFFSET:
            self.status |= IBF | C_D
        else:
            self.status = (self.status | IBF) & ~C_D
        if self.tracer.enabled:
            self.sim.trace(t, "reg", self.name, f"host-wr-{kind}", value=f"0x{value:02X}", STR=STR.render(self.status))
        if self.host_watch._ev is not None:   # lazy notify, inlined on the hot path
            self.host_watch.notify(t)
        if self.ibf_irq_enable:
            self.bmc_irq.set(1, t)
        for fn in self.host_write_listeners:
            fn(t)

    def io_watch(self, offset: int):
        return self.host_watch

    # -- BMC face ----------------------------------------------------------
    def read_idr(self, t: int) -> int:
        value = self.idr
        full = self.status & IBF
        self.status &= ~IBF
        if self.tracer.enabled:
            self.sim.trace(t, "reg", self.name, "bmc-rd-IDR", value=f"0x{value:02X}", STR=STR.render(self.status))
        if full:
            if self.bmc_irq.level:
                self.bmc_irq.set(0, t)
            if self.host_watch._ev is not None:   # lazy notify, inlined on the hot path
                self.host_watch.notify(t)
        return value

    def write_odr(self, value: int, t: int) -> None:
        self.odr = value & 0xFF
        self.status |= OBF
        if self.tracer.enabled:
            self.sim.trace(t, "reg", self.name, "bmc-wr-ODR", value=f"0x{value:02X}", STR=STR.render(self.status))
        if self.obf_irq_enable and not self.host_irq.level:
            self.host_irq.set(1, t)
        if self.host_watch._ev is not None:   # lazy notify, inlined on the hot path
            self.host_watch.notify(t)

    def read_str(self, t: int) -> int:
        return self.status

    def write_str(self, value: int, t: int) -> None:
        """BMC write of STR: only firmware-owned bits (STATE, OEM, SMS_ATN) change."""
        owned = _FIRMWARE_OWNED
        new = (self.status & ~owned) | (value & owned)
        if new == self.status:
            return
        self.status = new
        if self.tracer.enabled:
            self.sim.trace(t, "reg", self.name, "bmc-wr-STR", STR=STR.render(new))
        if self.host_watch._ev is not None:   # lazy notify, inlined on the hot path
            self.host_watch.notify(t)

    def set_ibf_irq_enable(self, enable: bool, t: int) -> None:
        self.ibf_irq_enable = enable
        self.bmc_irq.set(1 if (enable and self.status & IBF) else 0, t)

    def set_obf_irq_enable(self, enable: bool, t: int) -> None:
        self.obf_irq_enable = enable
        if not enable:
            self.atn_irq = False
        self.host_irq.set(1 if (enable and (self.status & OBF or self.atn_irq)) else 0, t)

    def raise_atn_irq(self, t: int) -> None:
        """Interrupt the host for SMS_ATN, as QEMU's KCS model does (real ASPEED silicon has no such
        interrupt: only ODR writes raise the SerIRQ).  Cleared when the host reads status."""
        if self.obf_irq_enable:
            self.atn_irq = True
            self.host_irq.set(1, t)
