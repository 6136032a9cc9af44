"""I²C / SMBus: conditions and bytes on two wires, timed by the bus clock.

A bus has one clock rate (100 kHz standard, 400 kHz fast, 1 MHz fast-plus),
controllers that drive transfers and targets that answer at 7-bit
addresses.  What takes time, from the I²C specification (NXP UM10204,
table 10, the minimum times a controller keeps):

- a byte and its acknowledge bit: 9 SCL periods (90 µs at 100 kHz, 22.5 µs
  at 400 kHz);
- START: its hold time ``t_HD;STA``; a repeated START adds its set-up time
  ``t_SU;STA``; STOP: its set-up time ``t_SU;STO``; then the bus stays busy
  for the free time ``t_BUF`` before anyone may START again;
- clock stretching: a target holds SCL low before a byte (or its ACK) for as
  long as it likes -- a fixed time or until an event -- and the transfer
  waits exactly that long; the bus is busy meanwhile.

Every condition is a trace record (layer ``bus``) and crosses ``bus.wire``, a
``Hop``: a fault layer standing in it can NACK, drop or corrupt a byte, lose a
STOP or stretch longer without touching the bus or its targets.  The wire's
call is ``wire(cond, t, target, value) -> answer`` with ``cond`` one of
``start`` (value: read?; answer: ACK), ``write`` (the byte; answer: ACK),
``read`` (value: the controller's ACK of the previous byte; answer: the
byte), ``stretch`` (value: None before a byte, "stop" before the STOP;
answer: ns or an event to hold SCL), ``stop``.

Two controllers that START at the same instant arbitrate bit by bit on the
address byte, as wired-AND does: the lower address wins and the other gets
``I2cError(EAGAIN)`` at the first bit where they differ.  A controller that
finds the bus busy waits for STOP plus ``t_BUF``.
"""

from __future__ import annotations

import errno
from dataclasses import dataclass
from typing import Protocol

from .hop import Hop
from .initiator import Initiator
from .time import S


@dataclass(frozen=True)
class I2cTiming:
    """The minimum times of one speed mode (ns)."""

    hz: int
    hd_sta: int          # START hold
    su_sta: int          # repeated START set-up
    su_sto: int          # STOP set-up
    buf: int             # bus free between STOP and START

    @property
    def period(self) -> int:
        return S // self.hz

    @property
    def byte(self) -> int:
        """8 data bits and the acknowledge bit."""
        return 9 * S // self.hz


SPEEDS = {
    100_000: I2cTiming(100_000, hd_sta=4_000, su_sta=4_700, su_sto=4_000, buf=4_700),
    400_000: I2cTiming(400_000, hd_sta=600, su_sta=600, su_sto=600, buf=1_300),
    1_000_000: I2cTiming(1_000_000, hd_sta=260, su_sta=260, su_sto=260, buf=500),
}


class I2cError(OSError):
    """What the adapter reports (Linux errnos): ENXIO for a NACKed address, EREMOTEIO for a NACKed
    byte, EAGAIN for lost arbitration, EBADMSG for a PEC mismatch, EPROTO for a bad block length."""

    def __init__(self, code: int, why: str):
        super().__init__(code, f"{errno.errorcode.get(code, code)}: {why}")
        self.why = why


class I2cTarget(Protocol):
    """A device at an address.  ``i2c_stretch`` may return 0, ns, or a SimPy event to wait for."""

    def i2c_start(self, t: int, read: bool) -> bool: ...          # addressed: ACK?
    def i2c_write(self, t: int, byte: int) -> bool: ...          # ACK?
    def i2c_read(self, t: int, acked: bool) -> int: ...          # the next byte (acked: the last one's ACK)
    def i2c_stop(self, t: int) -> None: ...
    def i2c_stretch(self, t: int, before: str = "byte"): ...    # before the next byte, or "stop"


@dataclass
class I2cMsg:
    """One message of a combined transfer (``struct i2c_msg``): read ``length`` bytes or write ``data``."""

    addr: int
    read: bool
    data: bytes = b""
    length: int = 0
    recv_len: bool = False      # I2C_M_RECV_LEN: the first byte read is the count that follows, then
    #                             ``length`` more bytes (the PEC byte, if any)

    def __post_init__(self):
        if not 0 <= self.addr <= 0x7F:
            raise ValueError(f"i2c addr 0x{self.addr:X} is not a 7-bit address")


class I2cBus:
    def __init__(self, sim, name: str = "i2c0", hz: int = 100_000):
        if hz not in SPEEDS:
            raise ValueError(f"i2c hz: {hz} is not one of {', '.join(map(str, SPEEDS))}")
        self.sim = sim
        self.name = name
        self.timing = SPEEDS[hz]
        self.targets: dict[int, I2cTarget] = {}
        self.wire = Hop(self._deliver, f"{name}.wire")
        self.owner = None               # the controller between its START and STOP
        self.owner_since = -1           # when it took the bus: a START at that instant contends
        self.free_at = 0                # STOP + t_BUF: when a START may come
        self._free = None               # event for controllers waiting on a busy bus
        self._start_at: dict[int, list] = {}   # t -> [(controller, address byte)] arbitrating
        self.controllers = 0            # more than one: STARTs at one instant must arbitrate

    def attach(self, addr: int, target: I2cTarget) -> None:
        if not 0x08 <= addr <= 0x77:
            raise ValueError(f"i2c target address 0x{addr:02X} is reserved (use 0x08-0x77)")
        if addr in self.targets:
            raise ValueError(f"i2c target address 0x{addr:02X} already has a device on {self.name}")
        self.targets[addr] = target

    def _trace(self, t: int, event: str, **fields) -> None:
        if self.sim.tracer.enabled:
            self.sim.trace(t, "bus", self.name, event, **fields)

    def _deliver(self, cond: str, t: int, target, value):
        if target is None:
            return False if cond in ("start", "write") else (0xFF if cond == "read" else 0)
        if cond == "start":
            return target.i2c_start(t, value)
        if cond == "write":
            return target.i2c_write(t, value)
        if cond == "read":
            return target.i2c_read(t, value)
        if cond == "stretch":
            return target.i2c_stretch(t) if value is None else target.i2c_stretch(t, value)
        target.i2c_stop(t)
        return None


class I2cController(Initiator):
    """The host's adapter: ``transfer`` is ``i2c_transfer`` (messages joined by repeated STARTs).

    It keeps its own local time (``buses.initiator``): the conditions of a transfer are timed
    exactly and handed to the targets at their instants, but the kernel is only asked to catch
    up when something else is due first -- a transfer usually costs one kernel event, not one a byte.
    """

    __slots__ = ("bus", "decoupled")

    def __init__(self, sim, bus: I2cBus, name: str = "i2c-adapter"):
        super().__init__(sim, name)
        self.bus = bus
        bus.controllers += 1
        self.decoupled = False          # True: a transfer ends at local time ``t``, the kernel not caught up

    def transfer(self, msgs: list[I2cMsg]):
        """Generator: run the messages; returns the bytes each read message got (a list)."""
        bus = self.bus
        tm = bus.timing
        yield from self.sync()
        yield from self._acquire()
        results = []
        target = None
        try:
            for i, msg in enumerate(msgs):
                target = bus.targets.get(msg.addr)
                addr_byte = msg.addr << 1 | int(msg.read)
                if i == 0:
                    yield from self.advance(tm.hd_sta)
                    bus._trace(self.t, "start")
                    yield from self._arbitrate(addr_byte)
                else:
                    yield from self.advance(tm.su_sta + tm.hd_sta)
                    bus._trace(self.t, "restart")
                yield from self._stretch(target)
                yield from self.advance(tm.byte)
                ack = bus.wire.call("start", self.t, target, msg.read)
                bus._trace(self.t, "addr", addr=f"0x{msg.addr:02X}", rw="R" if msg.read else "W", ack=int(ack))
                if not ack:
                    raise I2cError(errno.ENXIO, f"address 0x{msg.addr:02X} not acknowledged")
                if msg.read:
                    results.append((yield from self._read(msg, target)))
                else:
                    yield from self._write(msg, target)
        except GeneratorExit:
            raise                                   # the caller's process is being closed: no STOP to time
        except BaseException:
            yield from self._stop(target)
            raise
        yield from self._stop(target)
        return results

    def _write(self, msg: I2cMsg, target):
        bus = self.bus
        byte_ns = bus.timing.byte
        for n, byte in enumerate(msg.data):
            yield from self._stretch(target)
            yield from self.advance(byte_ns)
            ack = bus.wire.call("write", self.t, target, byte)
            bus._trace(self.t, "write", byte=f"0x{byte:02X}", ack=int(ack))
            if not ack:
                raise I2cError(errno.EREMOTEIO, f"byte {n} (0x{byte:02X}) to 0x{msg.addr:02X} not acknowledged")

    def _read(self, msg: I2cMsg, target):
        bus = self.bus
        byte_ns = bus.timing.byte
        out = bytearray()
        length = msg.length
        n = 0
        acked = True
        while n < length or (msg.recv_len and n == 0):
            yield from self._stretch(target)
            yield from self.advance(byte_ns)
            byte = bus.wire.call("read", self.t, target, acked) & 0xFF
            if msg.recv_len and n == 0:
                if not 1 <= byte <= 32:
                    bus._trace(self.t, "read", byte=f"0x{byte:02X}", ack=0, why="bad block length")
                    raise I2cError(errno.EPROTO, f"block length {byte} from 0x{msg.addr:02X} outside 1..32")
                length = byte + 1 + (msg.length or 0)     # count byte, data, and any PEC asked for
            n += 1
            acked = n < length                            # the controller NACKs the last byte
            bus._trace(self.t, "read", byte=f"0x{byte:02X}", ack=int(acked))
            out.append(byte)
        return bytes(out)

    def _stretch(self, target, before=None):
        bus, env = self.bus, self.env
        hold = bus.wire.call("stretch", self.t, target, before)
        if not hold:
            return
        t0 = self.t
        if isinstance(hold, int):
            yield from self.advance(hold)
        else:
            # No catching up first: the target lets go in reaction to what happened at ``t0``, so the
            # release lands after it (and a release already past leaves local time as it is).
            yield hold
            self.t = max(self.t, env.now)
        bus._trace(self.t, "stretch", held=self.t - t0)

    def _acquire(self):
        bus, env = self.bus, self.env
        if bus.controllers < 2:
            # Alone on the bus: it is free once this controller's own last STOP + t_BUF has passed.
            if self.t < bus.free_at:
                yield from self.advance(bus.free_at - self.t)
            bus.owner, bus.owner_since = self, self.t
            return
        while bus.owner is not None or env.now < bus.free_at:
            if bus.owner is not None and bus.owner_since == env.now:
                return                              # both saw an idle bus: both START, arbitration decides
            if bus.owner is None:
                yield env.timeout(bus.free_at - env.now)
                continue
            if bus._free is None or bus._free.triggered:
                bus._free = env.event()
            yield bus._free
        self.t = max(self.t, env.now)
        bus.owner = self
        bus.owner_since = env.now

    def _arbitrate(self, addr_byte: int):
        """Two STARTs at one instant: wired-AND on the address byte, MSB first; the lower one wins."""
        bus, env = self.bus, self.env
        if bus.controllers < 2:
            return                                  # a single-controller bus: nobody to lose against
        yield from self.sync()
        contenders = bus._start_at.setdefault(env.now, [])
        contenders.append((self, addr_byte))
        yield env.timeout(0)                        # let a START of the same instant join
        bus._start_at.pop(env.now, None)
        if len(contenders) < 2:
            return
        winner = min(contenders, key=lambda c: c[1])
        if winner[0] is self:
            bus.owner = self
            return
        diff = (winner[1] ^ addr_byte).bit_length()  # bits from the LSB end; MSB first on the wire
        yield from self.advance((8 - diff + 1) * bus.timing.period)
        bus._trace(self.t, "arbitration-lost", controller=self.name, addr=f"0x{addr_byte >> 1:02X}")
        raise I2cError(errno.EAGAIN, "arbitration lost")

    def _stop(self, target):
        bus = self.bus
        if bus.owner is not self:
            yield from self.sync()
            return                                  # lost arbitration: the winner owns the bus
        if target is not None:
            yield from self._stretch(target, "stop")    # a target still holding SCL delays the STOP
        yield from self.advance(bus.timing.su_sto)
        bus.wire.call("stop", self.t, target, None)
        bus._trace(self.t, "stop")
        if not self.decoupled or bus.controllers > 1:
            yield from self.sync()                  # the caller goes on at the STOP's instant
        bus.owner = None
        bus.free_at = self.t + bus.timing.buf
        if bus._free is not None and not bus._free.triggered:
            bus._free.succeed()


def smbus_pec(data: bytes, crc: int = 0) -> int:
    """SMBus Packet Error Code: CRC-8, polynomial x^8 + x^2 + x + 1, over every byte incl. addresses."""
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc << 1 ^ 0x07) & 0xFF if crc & 0x80 else crc << 1
    return crc
