"""The host's SMBus API, mirroring ``smbus2`` on the simulated bus.

Code written for smbus2 runs inside a SimPy process with one change: each
call is a generator, so ``bus.read_byte_data(addr, reg)`` becomes
``yield from bus.read_byte_data(addr, reg)``.  Names, parameters and
defaults are smbus2's (``tests/test_i2c.py`` compares them with the
installed package); a NACK raises ``OSError`` (``I2cError``: ENXIO for the
address, EREMOTEIO for a byte), as Linux's i2c-dev does.  Each protocol is
the SMBus 3.x transaction built from I²C messages the way the kernel's
``i2c_smbus_xfer_emulated`` builds them, PEC included when ``pec`` is set
(not for Quick and I²C-block transfers; a mismatch is EBADMSG).
"""

from __future__ import annotations

import errno

from .i2c import I2cController, I2cError, I2cMsg, smbus_pec

I2C_M_RD = 0x0001
I2C_SMBUS_BLOCK_MAX = 32


class i2c_msg:  # noqa: N801  (smbus2's name)
    """smbus2's ``i2c_msg``: ``i2c_msg.read(addr, n)``, ``i2c_msg.write(addr, buf)``; iterable, ``bytes()``."""

    def __init__(self, addr: int, flags: int, buf: bytes = b"", length: int | None = None):
        self.addr = addr
        self.flags = flags
        self.buf = bytes(buf)
        self.len = len(self.buf) if length is None else length

    @staticmethod
    def read(address, length):
        return i2c_msg(address, I2C_M_RD, bytes(length), length)

    @staticmethod
    def write(address, buf):
        data = bytes(map(ord, buf)) if isinstance(buf, str) else bytes(buf)
        return i2c_msg(address, 0, data)

    def __iter__(self):
        return iter(self.buf[:self.len])

    def __len__(self):
        return self.len

    def __bytes__(self):
        return self.buf[:self.len]

    def __repr__(self):
        return f"i2c_msg({self.addr},{self.flags},{bytes(self)!r})"


class SMBus:
    """One adapter, as ``smbus2.SMBus(bus)``: ``bus`` is the ``I2cController`` here."""

    def __init__(self, bus=None, force=False):
        self.controller: I2cController | None = None
        if bus is not None:
            self.open(bus)
        self.address = None
        self.force = force
        self._pec = 0

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc_val, exc_tb):
        self.close()

    def open(self, bus):
        if not isinstance(bus, I2cController):
            raise TypeError(f"SMBus.open: bus must be an I2cController here, not {type(bus).__name__}")
        self.controller = bus

    def close(self):
        self.controller = None
        self._pec = 0
        self.address = None

    def _get_pec(self):
        return self._pec

    def enable_pec(self, enable=True):
        self._pec = int(enable)

    pec = property(_get_pec, enable_pec)

    # -- the transfers -------------------------------------------------------------------------
    def _xfer(self, msgs):
        if self.controller is None:
            raise OSError(errno.EBADF, "SMBus is not open")
        return (yield from self.controller.transfer(msgs))

    def _write(self, addr: int, data: bytes, pec: bool = True):
        """A write-only transaction (PEC appended when on)."""
        data = bytes(data)
        if self._pec and pec:
            data += bytes((smbus_pec(bytes((addr << 1,)) + data),))
        yield from self._xfer([I2cMsg(addr, False, data)])

    def _write_read(self, addr: int, wdata: bytes, n: int = 0, block: bool = False, pec: bool = True):
        """Write then (repeated START) read ``n`` bytes, or an SMBus block; returns what was read, PEC checked."""
        use_pec = bool(self._pec and pec)
        msgs = [I2cMsg(addr, False, bytes(wdata))] if wdata is not None else []
        msgs.append(I2cMsg(addr, True, length=(1 if use_pec else 0) if block else n + use_pec, recv_len=block))
        got = (yield from self._xfer(msgs))[-1]
        if use_pec:
            head = (bytes((addr << 1,)) + bytes(wdata) if wdata is not None else b"") + bytes((addr << 1 | 1,))
            if smbus_pec(head + got[:-1]) != got[-1]:
                raise I2cError(errno.EBADMSG, f"PEC mismatch from 0x{addr:02X}")
            got = got[:-1]
        return got

    # -- smbus2's methods ----------------------------------------------------------------------
    def write_quick(self, i2c_addr, force=None):
        yield from self._xfer([I2cMsg(i2c_addr, False)])

    def read_byte(self, i2c_addr, force=None):
        return (yield from self._write_read(i2c_addr, None, 1))[0]

    def write_byte(self, i2c_addr, value, force=None):
        yield from self._write(i2c_addr, bytes((value,)))

    def read_byte_data(self, i2c_addr, register, force=None):
        return (yield from self._write_read(i2c_addr, bytes((register,)), 1))[0]

    def write_byte_data(self, i2c_addr, register, value, force=None):
        yield from self._write(i2c_addr, bytes((register, value)))

    def read_word_data(self, i2c_addr, register, force=None):
        got = yield from self._write_read(i2c_addr, bytes((register,)), 2)
        return got[0] | got[1] << 8

    def write_word_data(self, i2c_addr, register, value, force=None):
        yield from self._write(i2c_addr, bytes((register, value & 0xFF, value >> 8 & 0xFF)))

    def process_call(self, i2c_addr, register, value, force=None):
        got = yield from self._write_read(i2c_addr, bytes((register, value & 0xFF, value >> 8 & 0xFF)), 2)
        return got[0] | got[1] << 8

    def read_block_data(self, i2c_addr, register, force=None):
        got = yield from self._write_read(i2c_addr, bytes((register,)), block=True)
        return list(got[1:1 + got[0]])

    def write_block_data(self, i2c_addr, register, data, force=None):
        data = _block(data)
        yield from self._write(i2c_addr, bytes((register, len(data))) + data)

    def block_process_call(self, i2c_addr, register, data, force=None):
        data = _block(data)
        got = yield from self._write_read(i2c_addr, bytes((register, len(data))) + data, block=True)
        return list(got[1:1 + got[0]])

    def read_i2c_block_data(self, i2c_addr, register, length, force=None):
        if length > I2C_SMBUS_BLOCK_MAX:
            raise ValueError(f"Desired block length over {I2C_SMBUS_BLOCK_MAX} bytes")
        return list((yield from self._write_read(i2c_addr, bytes((register,)), length, pec=False)))

    def write_i2c_block_data(self, i2c_addr, register, data, force=None):
        yield from self._write(i2c_addr, bytes((register,)) + _block(data), pec=False)

    def i2c_rdwr(self, *i2c_msgs):
        msgs = [I2cMsg(m.addr, bool(m.flags & I2C_M_RD), b"" if m.flags & I2C_M_RD else bytes(m), m.len)
                for m in i2c_msgs]
        got = iter((yield from self._xfer(msgs)))
        for m in i2c_msgs:
            if m.flags & I2C_M_RD:
                m.buf = next(got)


def _block(data) -> bytes:
    data = bytes(data)
    if len(data) > I2C_SMBUS_BLOCK_MAX:
        raise ValueError(f"Data length cannot exceed {I2C_SMBUS_BLOCK_MAX} bytes")
    return data
