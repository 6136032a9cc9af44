"""Platform Event Filtering configuration (IPMI 2.0 chapter 30): what ``ipmitool pef`` reads and writes.

The parameters of Table 30-6 are stored and checked; filtering itself
(matching events against the table and acting on the host) is not
modelled, so the "last BMC processed event" stays what Set Last Processed
Event ID last put there.  Parameters are non-volatile on a real BMC; here
they live as long as the ``Bmc``.

Sizes: 16 event filters, 16 alert policy entries, 4 alert strings (plus the
volatile string 0), as small BMCs have.
"""

from __future__ import annotations

from buses.time import S

from ..ipmi.cc import CompletionCode, IpmiError

PEF_VERSION = 0x51
PARAMETER_REVISION = 0x11
# Get PEF Capabilities action support (Table 30-3 byte 2): alert, power down, reset, power cycle, OEM,
# diagnostic interrupt.
ACTION_SUPPORT = 0x3F
FILTERS = 16
POLICIES = 16
ALERT_STRINGS = 4
FILTER_LEN = 20
POLICY_LEN = 3
STRING_BLOCK = 16

# Command-specific completion codes of Set/Get PEF Configuration Parameters (Table 30-5, 30-6).
CC_PARAMETER_NOT_SUPPORTED = 0x80
CC_SET_IN_PROGRESS = 0x81
CC_READ_ONLY = 0x82

# Parameter selectors (Table 30-6).
SET_IN_PROGRESS, CONTROL, ACTION_CONTROL, STARTUP_DELAY, ALERT_STARTUP_DELAY = 0, 1, 2, 3, 4
N_FILTERS, FILTER_TABLE, FILTER_DATA1, N_POLICIES, POLICY_TABLE = 5, 6, 7, 8, 9
SYSTEM_GUID, N_STRINGS, STRING_KEYS, STRINGS = 10, 11, 12, 13

# Postpone timer (Arm PEF Postpone Timer, Table 30-4).
POSTPONE_DISABLE, POSTPONE_TEMP_DISABLE, POSTPONE_GET = 0x00, 0xFE, 0xFF


def _invalid(what: str) -> IpmiError:
    return IpmiError(CompletionCode.INVALID_DATA_FIELD, what)


class Pef:
    def __init__(self, bmc):
        self.bmc = bmc
        self.set_in_progress = 0
        self.control = 0x00            # bit 0 PEF, 1 PEF event messages, 2 startup delay, 3 alert startup delay
        self.action_control = 0x00     # bit 0 alert .. 5 diagnostic interrupt: actions globally enabled
        self.startup_delay = 60        # seconds
        self.alert_startup_delay = 60
        self.filters = [bytearray(FILTER_LEN) for _ in range(FILTERS)]
        self.policies = [bytearray(POLICY_LEN) for _ in range(POLICIES)]
        self.system_guid = bytearray(17)   # byte 0 bit 0: use this GUID, else Get System GUID's
        self.string_keys = [bytearray(2) for _ in range(ALERT_STRINGS + 1)]
        self.strings = [bytearray() for _ in range(ALERT_STRINGS + 1)]
        self.last_sw_event = 0x0000
        self.last_bmc_event = 0x0000
        self.postpone_value = 0
        self.postpone_armed_at = 0
        for f in self.filters:         # disabled, software configurable; any generator, sensor type,
            f[4:9] = b"\xff" * 5       # sensor and event trigger

    # -- Get PEF Capabilities / Arm PEF Postpone Timer ---------------------------------------------

    def capabilities(self) -> bytes:
        return bytes((PEF_VERSION, ACTION_SUPPORT, FILTERS))

    def postpone(self, value: int, t: int) -> int:
        """Arm/disable the postpone timer; the countdown left (seconds, or FEh/00h as set)."""
        if value != POSTPONE_GET:
            self.postpone_value, self.postpone_armed_at = value, t
        v = self.postpone_value
        if v in (POSTPONE_DISABLE, POSTPONE_TEMP_DISABLE):
            return v
        return max(0, v - (t - self.postpone_armed_at) // S)

    # -- parameters -------------------------------------------------------------------------------

    def get(self, selector: int, set_sel: int, block: int) -> bytes:
        """Parameter data (after the revision byte)."""
        if selector == SET_IN_PROGRESS:
            return bytes((self.set_in_progress,))
        if selector == CONTROL:
            return bytes((self.control,))
        if selector == ACTION_CONTROL:
            return bytes((self.action_control,))
        if selector == STARTUP_DELAY:
            return bytes((self.startup_delay,))
        if selector == ALERT_STARTUP_DELAY:
            return bytes((self.alert_startup_delay,))
        if selector == N_FILTERS:
            return bytes((FILTERS,))
        if selector == FILTER_TABLE:
            i = self._entry(set_sel, FILTERS, "event filter")
            return bytes((set_sel,)) + bytes(self.filters[i - 1])
        if selector == FILTER_DATA1:
            i = self._entry(set_sel, FILTERS, "event filter")
            return bytes((set_sel, self.filters[i - 1][0]))
        if selector == N_POLICIES:
            return bytes((POLICIES,))
        if selector == POLICY_TABLE:
            i = self._entry(set_sel, POLICIES, "alert policy")
            return bytes((set_sel,)) + bytes(self.policies[i - 1])
        if selector == SYSTEM_GUID:
            return bytes(self.system_guid)
        if selector == N_STRINGS:
            return bytes((ALERT_STRINGS,))
        if selector == STRING_KEYS:
            i = self._string(set_sel)
            return bytes((set_sel,)) + bytes(self.string_keys[i])
        if selector == STRINGS:
            i = self._string(set_sel)
            if block == 0:
                raise IpmiError(CompletionCode.PARAMETER_OUT_OF_RANGE, "alert string block selector 0")
            chunk = bytes(self.strings[i][(block - 1) * STRING_BLOCK: block * STRING_BLOCK])
            return bytes((set_sel, block)) + chunk.ljust(STRING_BLOCK, b"\x00")
        raise IpmiError(CC_PARAMETER_NOT_SUPPORTED, f"PEF parameter {selector} not supported")

    def set(self, selector: int, data: bytes) -> None:
        """Set PEF Configuration Parameters: checks the whole value before changing anything."""
        def need(n: int) -> None:
            if len(data) != n:
                raise IpmiError(CompletionCode.REQUEST_DATA_LENGTH_INVALID,
                                f"PEF parameter {selector} takes {n} bytes, got {len(data)}")

        if selector in (N_FILTERS, N_POLICIES, N_STRINGS):
            raise IpmiError(CC_READ_ONLY, f"PEF parameter {selector} is read-only")
        if selector == SET_IN_PROGRESS:
            need(1)
            v = data[0]
            if v & 0xFC or v & 0x03 == 0x03:
                raise _invalid(f"set in progress 0x{v:02X}")
            if v & 0x03 == 0x01 and self.set_in_progress == 0x01:
                raise IpmiError(CC_SET_IN_PROGRESS, "a set is already in progress")
            # 10b "commit write": nothing is buffered, so commit is immediate and leaves "set complete".
            self.set_in_progress = 0x01 if v == 0x01 else 0x00
        elif selector == CONTROL:
            need(1)
            if data[0] & 0xF0:
                raise _invalid(f"PEF control 0x{data[0]:02X}: bits 7:4 are reserved")
            self.control = data[0]
        elif selector == ACTION_CONTROL:
            need(1)
            if data[0] & 0x80:
                raise _invalid(f"PEF action global control 0x{data[0]:02X}: bit 7 is reserved")
            self.action_control = data[0]
        elif selector in (STARTUP_DELAY, ALERT_STARTUP_DELAY):
            need(1)
            setattr(self, "startup_delay" if selector == STARTUP_DELAY else "alert_startup_delay", data[0])
        elif selector == FILTER_TABLE:
            need(1 + FILTER_LEN)
            i = self._entry(data[0], FILTERS, "event filter")
            self._check_filter(data[1:])
            self.filters[i - 1][:] = data[1:]
        elif selector == FILTER_DATA1:
            need(2)
            i = self._entry(data[0], FILTERS, "event filter")
            self._check_filter(data[1:2] + bytes(self.filters[i - 1][1:]))
            self.filters[i - 1][0] = data[1]
        elif selector == POLICY_TABLE:
            need(1 + POLICY_LEN)
            i = self._entry(data[0], POLICIES, "alert policy")
            if data[1] & 0x07 > 4:
                raise _invalid(f"alert policy 0x{data[1]:02X}: policy {data[1] & 0x07} is reserved")
            self.policies[i - 1][:] = data[1:]
        elif selector == SYSTEM_GUID:
            need(17)
            if data[0] & 0xFE:
                raise _invalid(f"system GUID flags 0x{data[0]:02X}: bits 7:1 are reserved")
            self.system_guid[:] = data
        elif selector == STRING_KEYS:
            need(3)
            i = self._string(data[0])
            self.string_keys[i][:] = data[1:]
        elif selector == STRINGS:
            if len(data) < 3 or len(data) > 2 + STRING_BLOCK:
                raise IpmiError(CompletionCode.REQUEST_DATA_LENGTH_INVALID,
                                f"alert string block of {max(0, len(data) - 2)} bytes (1-{STRING_BLOCK})")
            i = self._string(data[0])
            block = data[1]
            if block == 0:
                raise IpmiError(CompletionCode.PARAMETER_OUT_OF_RANGE, "alert string block selector 0")
            text = self.strings[i]
            start = (block - 1) * STRING_BLOCK
            if start > len(text):
                raise IpmiError(CompletionCode.PARAMETER_OUT_OF_RANGE,
                                f"alert string block {block} leaves a gap after {len(text)} bytes")
            text[start:start + STRING_BLOCK] = data[2:]
        else:
            raise IpmiError(CC_PARAMETER_NOT_SUPPORTED, f"PEF parameter {selector} not supported")

    @staticmethod
    def _entry(sel: int, count: int, what: str) -> int:
        if not 1 <= sel & 0x7F <= count or sel & 0x80:
            raise IpmiError(CompletionCode.PARAMETER_OUT_OF_RANGE, f"{what} {sel} out of range 1-{count}")
        return sel & 0x7F

    @staticmethod
    def _string(sel: int) -> int:
        if sel & 0x80 or sel > ALERT_STRINGS:
            raise IpmiError(CompletionCode.PARAMETER_OUT_OF_RANGE, f"alert string {sel} out of range 0-{ALERT_STRINGS}")
        return sel

    @staticmethod
    def _check_filter(entry: bytes) -> None:
        cfg = entry[0]
        if cfg & 0x1F or cfg >> 5 & 0x03 in (0x01, 0x03):
            raise _invalid(f"event filter configuration 0x{cfg:02X}: reserved bits or type")
        if entry[1] & 0x80:
            raise _invalid(f"event filter action 0x{entry[1]:02X}: bit 7 is reserved")
        if entry[2] & 0x80:
            raise _invalid(f"alert policy number 0x{entry[2]:02X}: bit 7 is reserved")
        if entry[3] not in (0x00, 0x01, 0x02, 0x04, 0x08, 0x10, 0x20):
            raise _invalid(f"event severity 0x{entry[3]:02X} is not one of the defined values")

    # -- Last Processed Event ID ----------------------------------------------------------------------

    def last_processed(self) -> bytes:
        """Get Last Processed Event ID response data (section 30.6)."""
        sel = self.bmc.sel
        ids = sel.ids()
        last = ids[-1] if ids else 0xFFFF
        stamp = sel.last_add
        return (stamp.to_bytes(4, "little") + bytes((last & 0xFF, last >> 8))
                + bytes((self.last_sw_event & 0xFF, self.last_sw_event >> 8))
                + bytes((self.last_bmc_event & 0xFF, self.last_bmc_event >> 8)))
