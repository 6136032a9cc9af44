"""ASPEED I2C controller, one bus, in target ("slave") mode: the registers Linux ``i2c-aspeed`` programs.

The register layout is the one ``drivers/i2c/busses/i2c-aspeed.c`` uses (the
AST2500 and the AST2600's legacy mode), per bus, from its base:

- ``FUN_CTRL`` (0x00): SLAVE_EN (bit 1) -- the bus answers at ``DEV_ADDR``;
- ``INTR_CTRL`` (0x0C): the interrupt enables, one per ``INTR_STS`` bit;
- ``INTR_STS`` (0x10, write 1 to clear): SLAVE_MATCH (7, the address matched),
  NORMAL_STOP (4), RX_DONE (2, a byte is in ``BYTE_BUF[15:8]``), TX_NAK (1),
  TX_ACK (0: the host acknowledged the byte sent);
- ``CMD`` (0x14): S_TX_CMD (bit 2, send ``BYTE_BUF[7:0]``), M_S_RX_CMD_LAST
  (bit 4, NAK the next byte received);
- ``DEV_ADDR`` (0x18): the 7-bit target address;
- ``BYTE_BUF`` (0x20): TX byte 7:0, RX byte 15:8.

The hardware ACKs its address and each byte written to it, then **holds SCL
low** until the firmware has cleared RX_DONE; a read waits, SCL low, until the
firmware gives S_TX_CMD for the byte (after the address, and after each byte
the host ACKed).  So the firmware's interrupt latency and MMIO cost stretch
every byte on the host's bus.  The bus's interrupt is INTR_CTRL & INTR_STS.
"""

from __future__ import annotations

from buses import Access, Field, Hop, IrqLine, Register, RegisterFile

A = Access
SLAVE_EN = 0x02
INTR_SLAVE_MATCH, INTR_NORMAL_STOP, INTR_RX_DONE, INTR_TX_NAK, INTR_TX_ACK = 0x80, 0x10, 0x04, 0x02, 0x01
CMD_S_TX = 0x04
CMD_M_S_RX_LAST = 0x10
BYTE_BUF = 0x20
BUS_SIZE = 0x40

_STS = [Field("SLAVE_MATCH", 7, 7, A.W1C, 0, "the target address matched"),
        Field("NORMAL_STOP", 4, 4, A.W1C, 0, "STOP"),
        Field("RX_DONE", 2, 2, A.W1C, 0, "a byte was received (BYTE_BUF[15:8])"),
        Field("TX_NAK", 1, 1, A.W1C, 0, "the host NAKed the byte sent"),
        Field("TX_ACK", 0, 0, A.W1C, 0, "the host ACKed the byte sent")]
REGISTERS = [
    Register("FUN_CTRL", 0x00, [Field("SLAVE_EN", 1, 1, A.RW, 0, "answer as a target at DEV_ADDR")], 32),
    Register("INTR_CTRL", 0x0C, [Field(f.name, f.msb, f.lsb, A.RW, 0, f"interrupt on {f.name}") for f in _STS], 32),
    Register("INTR_STS", 0x10, _STS, 32),
    Register("CMD", 0x14, [Field("M_S_RX_CMD_LAST", 4, 4, A.RW, 0, "NAK the next byte received"),
                           Field("S_TX_CMD", 2, 2, A.RW, 0, "send BYTE_BUF[7:0]")], 32),
    Register("DEV_ADDR", 0x18, [Field("SLAVE_ADDR", 6, 0, A.RW, 0, "the 7-bit target address")], 32),
]


class AspeedI2cBus:
    """One bus of the controller: MMIO registers for the firmware, an ``I2cTarget`` on the host's wires."""

    def __init__(self, sim, name: str):
        self.sim = sim
        self.name = name
        self.regs = RegisterFile(name, REGISTERS, sim)
        self.bmc_irq = IrqLine(sim, f"{name}.irq")
        # The interrupt output crosses a hop: a fault can hold it back, so status bits coalesce.
        self.irq_out = Hop(self.bmc_irq.set, f"{name}.irq")
        self.rx = 0                       # BYTE_BUF[15:8]
        self.tx = 0                       # BYTE_BUF[7:0]
        self.tx_ready = False             # S_TX_CMD given for the next byte read
        self.reading = False              # the host addressed us for a read
        self.sent = 0                     # bytes sent in this read
        self._hold = None                 # the event the host's clock waits on (SCL held low)
        self.regs.on_write["INTR_STS"] = lambda _o, _n, t: self._changed(t)
        self.regs.on_write["INTR_CTRL"] = lambda _o, _n, t: self._changed(t)
        self.regs.on_write["CMD"] = self._cmd

    # -- the firmware's face (MMIO) ------------------------------------------------------------------
    def read(self, offset: int, t: int) -> int:
        if offset == BYTE_BUF:
            return self.rx << 8 | self.tx
        return self.regs.read(offset, t)

    def write(self, offset: int, value: int, t: int) -> None:
        if offset == BYTE_BUF:
            self.tx = value & 0xFF
            return
        self.regs.write(offset, value, t)

    def _cmd(self, _old, new: int, t: int) -> None:
        if new & CMD_S_TX:
            self.regs["CMD"] = new & ~CMD_S_TX          # a command bit, not state
            self.tx_ready = True
            self._changed(t)

    def _status(self, bits: int, t: int) -> None:
        self.regs["INTR_STS"] = self.regs["INTR_STS"] | bits
        self._changed(t)

    def _changed(self, t: int) -> None:
        self.irq_out.call(1 if self.regs["INTR_CTRL"] & self.regs["INTR_STS"] else 0, t)
        hold = self._hold
        if hold is not None and not self._holding():
            self._hold = None
            if not hold.triggered:
                self.sim.trigger_at(hold, max(t, self.sim.now))

    def _holding(self) -> bool:
        if self.regs["INTR_STS"] & INTR_RX_DONE:
            return True
        return self.reading and not self.tx_ready

    # -- the host's wires (I2cTarget) ------------------------------------------------------------------
    def _enabled(self) -> bool:
        return bool(self.regs["FUN_CTRL"] & SLAVE_EN)

    def i2c_start(self, t: int, read: bool) -> bool:
        if not self._enabled():
            return False
        self.rx = (self.regs["DEV_ADDR"] & 0x7F) << 1 | int(read)
        self.reading, self.tx_ready, self.sent = read, False, 0
        self._status(INTR_SLAVE_MATCH | INTR_RX_DONE, t)
        return True

    def i2c_write(self, t: int, byte: int) -> bool:
        if self.regs["CMD"] & CMD_M_S_RX_LAST:
            self.regs["CMD"] = self.regs["CMD"] & ~CMD_M_S_RX_LAST
            return False
        self.rx = byte
        self._status(INTR_RX_DONE, t)
        return True

    def i2c_read(self, t: int, acked: bool) -> int:
        self.tx_ready = False
        self.sent += 1
        return self.tx

    def i2c_stretch(self, t: int, before: str = "byte"):
        if before == "stop":                        # only a received byte not yet taken holds SCL here
            if not self.regs["INTR_STS"] & INTR_RX_DONE:
                return 0
        else:
            if self.reading and self.sent and not self.tx_ready and not self.regs["INTR_STS"] & INTR_TX_ACK:
                self._status(INTR_TX_ACK, t)        # the host clocks on: it ACKed the last byte
            if not self._holding():
                return 0
        if self._hold is None or self._hold.triggered:
            self._hold = self.sim.env.event()
        return self._hold

    def i2c_stop(self, t: int) -> None:
        bits = INTR_NORMAL_STOP | (INTR_TX_NAK if self.reading and self.sent else 0)
        self.reading, self.tx_ready = False, False
        self._status(bits, t)
