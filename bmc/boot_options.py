"""System Boot Options (IPMI 2.0 section 28.12, Table 28-14): what the next boot should do.

Parameters 0-7 are implemented: set in progress (with rollback, ``params``),
service partition selector and scan, the boot flag valid bit clearing
mask, boot info acknowledge, the boot flags, boot initiator info and a
five-block boot initiator mailbox.

The boot flags' valid bit is cleared

- by the BIOS once it has used one-time flags (it writes them back);
- by the BMC 60 s after it was set unless a Chassis Control command arrived
  (each one restarts the 60 s) or parameter 3 bit 3 says not to;
- by the BMC when the system restarts for a reason parameter 3 does not
  exempt: power button (bit 0), reset button or soft reset (bit 1),
  watchdog (bit 2), PEF (bit 4).

The 60 s countdown is one pending event at most, so idle costs nothing.
"""

from __future__ import annotations

from buses.time import S

from .ipmi.boot import BOOT_DEVICES, BOOT_FLAGS_VALID, BootParameter, boot_device
from .ipmi.cc import CompletionCode, IpmiError
from .ipmi.msg import RestartCause
from .params import CC_PARAMETER_NOT_SUPPORTED, ParameterStore, set_in_progress_code

PARAMETER_VERSION = 0x01

SET_IN_PROGRESS = BootParameter.SET_IN_PROGRESS
SERVICE_PARTITION_SELECTOR = BootParameter.SERVICE_PARTITION_SELECTOR
SERVICE_PARTITION_SCAN = BootParameter.SERVICE_PARTITION_SCAN
VALID_BIT_CLEARING = BootParameter.BMC_BOOT_FLAG_VALID_BIT_CLEARING
BOOT_INFO_ACKNOWLEDGE = BootParameter.BOOT_INFO_ACKNOWLEDGE
BOOT_FLAGS = BootParameter.BOOT_FLAGS
BOOT_INITIATOR_INFO = BootParameter.BOOT_INITIATOR_INFO
BOOT_INITIATOR_MAILBOX = BootParameter.BOOT_INITIATOR_MAILBOX

MAILBOX_BLOCKS = 5          # the spec's minimum: 80 bytes
MAILBOX_BLOCK = 16
VALID_TIMEOUT = 60 * S      # valid bit lifetime without a Chassis Control command

# Which restart causes clear the valid bit, and the parameter 3 bit that exempts each.
CLEARING_EXEMPTION = {
    RestartCause.POWER_UP_VIA_POWER_PUSHBUTTON: 0x01,
    RestartCause.POWER_UP_VIA_RTC_WAKEUP: 0x01,
    RestartCause.RESET_VIA_PUSHBUTTON: 0x02,
    RestartCause.SOFT_RESET: 0x02,
    RestartCause.WATCHDOG_EXPIRATION: 0x04,
    RestartCause.RESET_VIA_PEF: 0x10,
    RestartCause.POWER_CYCLE_VIA_PEF: 0x10,
}
NO_TIMEOUT_CLEAR = 0x08

# Exact data length of each parameter on Set (the mailbox is checked on its own).
SET_LENGTHS = {SERVICE_PARTITION_SELECTOR: 1, SERVICE_PARTITION_SCAN: 1, VALID_BIT_CLEARING: 1,
               BOOT_INFO_ACKNOWLEDGE: 2, BOOT_FLAGS: 5, BOOT_INITIATOR_INFO: 9}


def _invalid(what: str) -> IpmiError:
    return IpmiError(CompletionCode.INVALID_DATA_FIELD, what)


class BootOptions:
    """The parameter table plus the BMC's own rules for clearing the boot flags."""

    def __init__(self, sim, name: str = "bmc"):
        self.sim = sim
        self.name = name
        self.store = ParameterStore({
            SERVICE_PARTITION_SELECTOR: b"\x00",
            SERVICE_PARTITION_SCAN: b"\x00",
            VALID_BIT_CLEARING: b"\x00",
            BOOT_INFO_ACKNOWLEDGE: b"\x00",
            BOOT_FLAGS: bytes(5),
            BOOT_INITIATOR_INFO: bytes(9),
            BOOT_INITIATOR_MAILBOX: bytes(MAILBOX_BLOCKS * MAILBOX_BLOCK),
        }, on_commit=self._committed)
        self.locked: set[int] = set()      # parameters marked invalid/locked (Set data 1 bit 7)
        self._gen = 0                      # generation of the live 60 s countdown
        self.valid_deadline: int | None = None
        self._t = 0                        # time of the Set being applied

    # -- Set / Get ------------------------------------------------------------------

    def set(self, selector: int, mark_invalid: bool, data: bytes, t: int) -> None:
        """Set System Boot Options for one parameter; raises ``IpmiError`` and changes nothing on error."""
        if selector != SET_IN_PROGRESS and not self.store.supported(selector):
            raise IpmiError(CC_PARAMETER_NOT_SUPPORTED, f"boot option parameter {selector}")
        self._t = t
        if data:
            if selector == SET_IN_PROGRESS:
                code = set_in_progress_code(data)
                self.store.set_in_progress(code)
            else:
                self.store.write(selector, self._validated(selector, data))
        if mark_invalid:
            self.locked.add(selector)
        else:
            self.locked.discard(selector)
        self._trace(t, "set", param=selector, data=bytes(data), locked=int(mark_invalid))

    def get(self, selector: int, set_selector: int) -> bytes:
        """Get System Boot Options response data after the completion code."""
        if selector == SET_IN_PROGRESS:
            value = bytes((self.store.state,))
        elif not self.store.supported(selector):
            raise IpmiError(CC_PARAMETER_NOT_SUPPORTED, f"boot option parameter {selector}")
        elif selector == BOOT_INITIATOR_MAILBOX:
            if set_selector >= MAILBOX_BLOCKS:
                raise IpmiError(CompletionCode.PARAMETER_OUT_OF_RANGE, f"mailbox block {set_selector}")
            start = set_selector * MAILBOX_BLOCK
            value = bytes((set_selector,)) + self.store.read(selector)[start:start + MAILBOX_BLOCK]
        elif selector == BOOT_INFO_ACKNOWLEDGE:
            value = b"\x00" + self.store.read(selector)   # the write mask reads back as 00h
        else:
            value = self.store.read(selector)
        head = (selector in self.locked) << 7 | selector
        return bytes((PARAMETER_VERSION, head)) + value

    def _validated(self, selector: int, data: bytes) -> bytes:
        """The value to store for a Set, or ``IpmiError`` naming the bad field."""
        if selector == BOOT_INITIATOR_MAILBOX:
            if not 2 <= len(data) <= 1 + MAILBOX_BLOCK:
                raise IpmiError(CompletionCode.REQUEST_DATA_LENGTH_INVALID,
                                f"mailbox write takes a block selector and 1-16 bytes, got {len(data)}")
            block = data[0]
            if block >= MAILBOX_BLOCKS:
                raise IpmiError(CompletionCode.PARAMETER_OUT_OF_RANGE, f"mailbox block {block}")
            box = bytearray(self.store.read(selector))
            start = block * MAILBOX_BLOCK
            box[start:start + len(data) - 1] = data[1:]
            return bytes(box)
        want = SET_LENGTHS[selector]
        if len(data) != want:
            raise IpmiError(CompletionCode.REQUEST_DATA_LENGTH_INVALID,
                            f"boot option parameter {selector} takes {want} bytes, got {len(data)}")
        if selector == SERVICE_PARTITION_SCAN and data[0] & 0xFC:
            raise _invalid(f"service partition scan reserved bits 7:2 (0x{data[0]:02X})")
        if selector == VALID_BIT_CLEARING and data[0] & 0xE0:
            raise _invalid(f"valid bit clearing reserved bits 7:5 (0x{data[0]:02X})")
        if selector == BOOT_INFO_ACKNOWLEDGE:
            mask, ack = data
            old = self.store.read(selector)[0]
            return bytes((((old & ~mask) | (ack & mask)) & 0x1F,))
        if selector == BOOT_FLAGS:
            self._check_flags(data)
        if selector == BOOT_INITIATOR_INFO and data[0] & 0xF0:
            raise _invalid(f"boot initiator channel reserved bits 7:4 (0x{data[0]:02X})")
        return bytes(data)

    @staticmethod
    def _check_flags(data: bytes) -> None:
        if data[0] & 0x1F:
            raise _invalid(f"boot flags data 1 reserved bits 4:0 (0x{data[0]:02X})")
        device = boot_device(data)
        if device not in BOOT_DEVICES:
            raise _invalid(f"boot device selector 0x{device:X} is reserved")
        if data[3] & 0xF0:
            raise _invalid(f"boot flags data 4 reserved bits 7:4 (0x{data[3]:02X})")
        if data[4] & 0xE0:
            raise _invalid(f"boot flags data 5 reserved bits 7:5 (0x{data[4]:02X})")
        if (data[2] & 0x60) == 0x60 or (data[2] & 0x03) == 0x03 or (data[3] & 0x07) > 2:
            raise _invalid(f"boot flags reserved encoding (0x{data[2]:02X} 0x{data[3]:02X})")

    # -- the BMC's clearing rules -------------------------------------------------------------

    @property
    def flags(self) -> bytes:
        """The committed boot flags (what the BIOS will act on)."""
        return self.store.committed(BOOT_FLAGS)

    def _committed(self, selector: int, old: bytes, new: bytes) -> None:
        if selector == BOOT_FLAGS and new[0] & BOOT_FLAGS_VALID and not old[0] & BOOT_FLAGS_VALID:
            self._arm_valid_timeout(self._t)

    def chassis_control_seen(self, t: int) -> None:
        """A Chassis Control command restarts the 60 s lifetime of a set valid bit."""
        if self.valid_deadline is not None:
            self._arm_valid_timeout(t)

    def _arm_valid_timeout(self, t: int) -> None:
        self._gen += 1
        self.valid_deadline = t + VALID_TIMEOUT
        self.sim.call_at(self.valid_deadline, self._valid_timeout, self._gen)

    def _valid_timeout(self, gen: int) -> None:
        if gen != self._gen:
            return
        self.valid_deadline = None
        if self.store.committed(VALID_BIT_CLEARING)[0] & NO_TIMEOUT_CLEAR:
            return
        self.clear_valid(self.sim.now, "no Chassis Control within 60 s")

    def restarted(self, cause: int, t: int) -> None:
        """The system restarted for ``cause``: clear the valid bit unless parameter 3 exempts it."""
        exempt = CLEARING_EXEMPTION.get(cause)
        if exempt is not None and not self.store.committed(VALID_BIT_CLEARING)[0] & exempt:
            self.clear_valid(t, f"restart cause {RestartCause(cause).name}")

    def host_reset(self) -> None:
        """A system reset or power-down ends a set in progress without commit (rollback)."""
        self.store.abandon()

    def clear_valid(self, t: int, why: str) -> None:
        flags = self.store.committed(BOOT_FLAGS)
        if flags[0] & BOOT_FLAGS_VALID:
            self.store.values[BOOT_FLAGS] = bytes((flags[0] & ~BOOT_FLAGS_VALID,)) + flags[1:]
            self._trace(t, "boot-flags-cleared", why=why)
        self._gen += 1
        self.valid_deadline = None

    def cold_reset(self) -> None:
        """BMC cold reset: the volatile state goes (set in progress, acknowledge, initiator info)."""
        self.store.abandon()
        for selector in (BOOT_INFO_ACKNOWLEDGE, BOOT_INITIATOR_INFO):
            self.store.values[selector] = self.store.defaults[selector]

    def _trace(self, t: int, event: str, **fields) -> None:
        if self.sim.tracer.enabled:
            self.sim.trace(t, "bmc", f"{self.name}.boot", event, **fields)
