"""SOL Configuration Parameters (IPMI 2.0 sections 26.2, 26.3, Table 26-5): what Set/Get SOL Configuration use.

Parameter 0 is the set-in-progress protocol of ``bmc.params`` (staged
writes, commit, rollback).  Each value is kept as its wire bytes and
validated on Set; the SOL engine reads the committed values through the
properties below.  Defaults are those OpenBMC ships (``ipmitool sol info``
on it: enabled, encryption and authentication forced, Administrator) with
ipmi_sim's 115.2k bit rate.
"""

from __future__ import annotations

from buses.time import MS

from ..ipmi.cc import CompletionCode, IpmiError
from ..params import CC_PARAMETER_NOT_SUPPORTED, CC_PARAMETER_READ_ONLY, ParameterStore, set_in_progress_code
from ..privilege import Privilege

PARAMETER_REVISION = 0x11   # present revision 1, backward compatible with 1 (section 26.3)

SET_IN_PROGRESS = 0
SOL_ENABLE = 1
SOL_AUTHENTICATION = 2
CHARACTER_ACCUMULATE = 3
SOL_RETRY = 4
NON_VOLATILE_BIT_RATE = 5
VOLATILE_BIT_RATE = 6
PAYLOAD_CHANNEL = 7
PAYLOAD_PORT = 8

RMCP_PORT = 623   # 26Fh, the IPMI port (section 13.1)

# Parameter 2 bits.
FORCE_ENCRYPTION = 0x80
FORCE_AUTHENTICATION = 0x40
AUTH_RESERVED = 0x30

# Parameters 5 and 6, bits 3:0; 0 = "the IPMI over serial channel's rate" (this BMC has none: BIT_RATE_SERIAL_DEFAULT).
BIT_RATES = {0x6: 9600, 0x7: 19200, 0x8: 38400, 0x9: 57600, 0xA: 115200}
BIT_RATE_SERIAL_DEFAULT = 115200

ACCUMULATE_UNIT = 5 * MS    # parameter 3 byte 1
RETRY_UNIT = 10 * MS        # parameter 4 byte 2

_LENGTHS = {SOL_ENABLE: 1, SOL_AUTHENTICATION: 1, CHARACTER_ACCUMULATE: 2, SOL_RETRY: 2, NON_VOLATILE_BIT_RATE: 1,
            VOLATILE_BIT_RATE: 1, PAYLOAD_CHANNEL: 1, PAYLOAD_PORT: 2}


def _invalid(what: str) -> IpmiError:
    return IpmiError(CompletionCode.INVALID_DATA_FIELD, what)


def defaults(channel: int) -> dict[int, bytes]:
    return {
        SOL_ENABLE: b"\x01",
        SOL_AUTHENTICATION: bytes((FORCE_ENCRYPTION | FORCE_AUTHENTICATION | Privilege.ADMINISTRATOR,)),
        CHARACTER_ACCUMULATE: bytes((10, 96)),     # 50 ms, 96 characters
        SOL_RETRY: bytes((7, 100)),                # 7 retries, 1000 ms apart
        NON_VOLATILE_BIT_RATE: b"\x0A",
        VOLATILE_BIT_RATE: b"\x0A",
        PAYLOAD_CHANNEL: bytes((channel,)),
        PAYLOAD_PORT: RMCP_PORT.to_bytes(2, "little"),
    }


def validate(selector: int, data: bytes) -> None:
    """Raise the spec's completion code for a bad Set of ``selector`` (parameter 0 excluded)."""
    want = _LENGTHS[selector]
    if len(data) != want:
        raise IpmiError(CompletionCode.REQUEST_DATA_LENGTH_INVALID,
                        f"SOL parameter {selector} takes {want} data byte(s), got {len(data)}")
    if selector == SOL_ENABLE:
        if data[0] & 0xFE:
            raise _invalid(f"SOL enable reserved bits 7:1 (0x{data[0]:02X})")
    elif selector == SOL_AUTHENTICATION:
        if data[0] & AUTH_RESERVED:
            raise _invalid(f"SOL authentication reserved bits 5:4 (0x{data[0]:02X})")
        if not Privilege.USER <= data[0] & 0x0F <= Privilege.OEM:
            raise _invalid(f"SOL privilege level {data[0] & 0x0F} (2-5)")
    elif selector == CHARACTER_ACCUMULATE:
        if data[0] == 0:
            raise _invalid("character accumulate interval 0 (1-based, 5 ms units)")
        if data[1] == 0:
            raise _invalid("character send threshold 0 (1-based)")
    elif selector == SOL_RETRY:
        if data[0] & 0xF8:
            raise _invalid(f"SOL retry count reserved bits 7:3 (0x{data[0]:02X})")
    elif selector in (NON_VOLATILE_BIT_RATE, VOLATILE_BIT_RATE):
        rate = data[0]
        if rate & 0xF0 or (rate != 0 and rate not in BIT_RATES):
            raise _invalid(f"SOL bit rate 0x{rate:02X} (0, 6-0Ah)")
    elif selector == PAYLOAD_CHANNEL:
        raise IpmiError(CC_PARAMETER_READ_ONLY, "SOL payload channel is read-only")
    elif selector == PAYLOAD_PORT:
        if int.from_bytes(data, "little") == 0:
            raise _invalid("SOL payload port 0")


class SolConfig:
    """The SOL parameters of the BMC's one serial port; ``on_commit(selector, old, new)`` as ``ParameterStore``."""

    def __init__(self, channel: int, on_commit=None):
        self.store = ParameterStore(defaults(channel), on_commit)

    # -- the wire: Set/Get SOL Configuration Parameters ------------------------------

    def set(self, selector: int, data: bytes) -> None:
        if selector == SET_IN_PROGRESS:
            self.store.set_in_progress(set_in_progress_code(data))
            return
        if not self.store.supported(selector):
            raise IpmiError(CC_PARAMETER_NOT_SUPPORTED, f"SOL parameter {selector} not supported")
        validate(selector, data)
        self.store.write(selector, data)

    def get(self, selector: int) -> bytes:
        if selector == SET_IN_PROGRESS:
            return bytes((self.store.state,))
        if not self.store.supported(selector):
            raise IpmiError(CC_PARAMETER_NOT_SUPPORTED, f"SOL parameter {selector} not supported")
        return self.store.read(selector)

    def set_channel(self, channel: int) -> None:
        """The LAN channel SOL rides on (read-only parameter 7 follows the BMC's wiring)."""
        self.store.defaults[PAYLOAD_CHANNEL] = self.store.values[PAYLOAD_CHANNEL] = bytes((channel,))

    def cold_reset(self) -> None:
        """Volatile state after a BMC reset: no set in progress, the volatile bit rate from the non-volatile one."""
        self.store.abandon()
        self.store.values[VOLATILE_BIT_RATE] = self.store.values[NON_VOLATILE_BIT_RATE]

    # -- what the engine uses (committed values) --------------------------------------

    def _v(self, selector: int) -> bytes:
        return self.store.committed(selector)

    @property
    def enabled(self) -> bool:
        return bool(self._v(SOL_ENABLE)[0] & 1)

    @property
    def force_encryption(self) -> bool:
        return bool(self._v(SOL_AUTHENTICATION)[0] & FORCE_ENCRYPTION)

    @property
    def force_authentication(self) -> bool:
        return bool(self._v(SOL_AUTHENTICATION)[0] & FORCE_AUTHENTICATION)

    @property
    def privilege(self) -> int:
        return self._v(SOL_AUTHENTICATION)[0] & 0x0F

    @property
    def accumulate_interval(self) -> int:
        """ns the BMC waits before sending a partial packet of host output."""
        return self._v(CHARACTER_ACCUMULATE)[0] * ACCUMULATE_UNIT

    @property
    def send_threshold(self) -> int:
        return self._v(CHARACTER_ACCUMULATE)[1]

    @property
    def retry_count(self) -> int:
        return self._v(SOL_RETRY)[0] & 0x07

    @property
    def retry_interval(self) -> int:
        """ns between a send and its retry; 0 = retries back to back."""
        return self._v(SOL_RETRY)[1] * RETRY_UNIT

    @property
    def bit_rate(self) -> int:
        """The volatile (present) bit rate in bits per second."""
        return BIT_RATES.get(self._v(VOLATILE_BIT_RATE)[0] & 0x0F, BIT_RATE_SERIAL_DEFAULT)

    @property
    def port(self) -> int:
        return int.from_bytes(self._v(PAYLOAD_PORT), "little")

    @port.setter
    def port(self, port: int) -> None:
        """Where the LAN layer listens (``serve --lan`` on a non-623 port sets it; ipmitool insists they match)."""
        if not 1 <= port <= 0xFFFF:
            raise ValueError(f"SOL payload port {port!r} out of range 1-65535")
        self.store.defaults[PAYLOAD_PORT] = self.store.values[PAYLOAD_PORT] = port.to_bytes(2, "little")
