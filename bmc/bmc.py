"""The BMC's own state: identity, global enables, message flags, queues, channels, chassis mirror.

Command handlers (``bmc.commands``) read and change it; the watchdog and
sensors raise events into it; the system-interface channels attached to it
(``bmc.channel.ChannelBase``: KCS, BT, SSIF) hear about attention, the
interrupt enable and resets through that contract.
"""

from __future__ import annotations

import uuid
from collections import deque
from dataclasses import dataclass

from buses.time import S, ms

from .access import ChannelAccessTable, UserTable, decode_user, encode_user
from .chassis_state import ChassisState
from .fru import FruDevices
from .host_control import NullHostControl
from .ipmb import IpmbSatellite
from .ipmi.device_id import DeviceId
from .ipmi.msg import (
    IPMI_FORUM_IANA,
    Channel,
    ChannelMedium,
    ChannelProtocol,
    GlobalEnables,
    MessageFlags,
    RestartCause,
)
from .lan_config import LanConfig, derived_mac
from .lan_params import LanParameters
from .sdr import DEFAULT_CAPACITY as SDR_CAPACITY
from .sdr import Sdr
from .sel import DEFAULT_CAPACITY as SEL_CAPACITY
from .sel import Sel
from .sensors.registry import SensorRegistry
from .sol import SolEngine
from .store import Store, StoreError
from .system_info import SystemInfo
from .watchdog import Watchdog

USERS_LOG = "users"   # the store's log of users changed by Set User Name/Access/Password

# Global enables after power-up and after Cold Reset: only system event logging (IPMI 2.0 section 22.1).
POWER_UP_GLOBAL_ENABLES = GlobalEnables.SYSTEM_EVENT_LOGGING

# Bits of Set BMC Global Enables this BMC implements; the OEM bits and bit 4 answer 0xCC.
SUPPORTED_GLOBAL_ENABLES = 0x0F

# Get Self Test Results: 0x55 = no error, second byte 0 (section 20.4).
SELF_TEST_PASSED = b"\x55\x00"

# Chassis Control answers first and pulls the wire this long after the request: the answer of a
# full-stack KCS or BT crosses in a few ms; OpenBMC's state managers start power sequencing later
# still, ipmi_sim acts once the answer is sent.
CHASSIS_CONTROL_DELAY = ms(100)

# Get Channel Info session support of the LAN channel: bits 7:6 = 10b, multi-session.
LAN_MULTI_SESSION = 0x80

# Event message revision for IPMI 1.5/2.0 event messages.
EVM_REV = 0x04

# System event record type in the SEL (section 32.1).
SYSTEM_EVENT_RECORD = 0x02


def _guid_bytes(name: str, value) -> bytes | None:
    """A GUID as the 16 bytes Get Device/System GUID send.

    Bytes are taken as the wire order.  A UUID or its text is sent least
    significant byte first, the IPMI byte order (ipmitool's "ipmi" GUID
    format), i.e. the reverse of the RFC 4122 text order.
    """
    if value is None:
        return None
    if isinstance(value, (bytes, bytearray)):
        if len(value) != 16:
            raise ValueError(f"{name} must be 16 bytes, got {len(value)}")
        return bytes(value)
    try:
        u = value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError:
        raise ValueError(f"{name} {value!r} is neither 16 bytes nor a UUID") from None
    return u.bytes[::-1]


@dataclass(frozen=True)
class Identity:
    """What Get Device ID and the GUID commands report.

    The defaults are QEMU ``ipmi-bmc-sim``'s except the additional device
    support byte, which advertises what the default server has: sensor,
    SDR repository, SEL and FRU inventory devices and the chassis
    (``ipmitool fru print`` reads FRU 0 only when bit 3 says there is one).
    ``QEMU_IDENTITY`` is QEMU's exactly: Get Device ID answers
    ``1C 01 00 20 00 00 00 02 07 00 00 00 00 00``.
    """

    device_id: int = 0x20
    device_revision: int = 0            # bits 3:0
    provides_device_sdrs: bool = False  # device revision bit 7
    firmware_major: int = 0             # bits 6:0
    firmware_minor: int = 0             # BCD by convention, e.g. 0x12 = ".12"
    update_in_progress: bool = False    # firmware revision 1 bit 7: device not available
    ipmi_version: int = 0x02            # BCD, low nibble major: 0x02 = 2.0, 0x51 = 1.5
    additional_support: int = 0x8F      # chassis, FRU inventory, SEL, SDR repository, sensor devices
    manufacturer_id: int = 0            # 20-bit IANA enterprise number
    product_id: int = 0
    aux_firmware_revision: bytes | None = None  # 4 optional bytes
    device_guid: bytes | str | None = None      # unset: Get Device GUID answers 0xC1 (as QEMU)
    system_guid: bytes | str | None = None      # unset: Get System GUID answers 0xC1

    def __post_init__(self):
        for name, hi in (("device_id", 0xFF), ("device_revision", 0x0F), ("firmware_major", 0x7F),
                         ("firmware_minor", 0xFF), ("ipmi_version", 0xFF), ("additional_support", 0xFF),
                         ("manufacturer_id", 0x0FFFFF), ("product_id", 0xFFFF)):
            value = getattr(self, name)
            if not isinstance(value, int) or not 0 <= value <= hi:
                raise ValueError(f"identity.{name} {value!r} out of range 0-0x{hi:X}")
        aux = self.aux_firmware_revision
        if aux is not None and len(aux) != 4:
            raise ValueError(f"identity.aux_firmware_revision must be 4 bytes, got {len(aux)}")
        object.__setattr__(self, "device_guid", _guid_bytes("identity.device_guid", self.device_guid))
        object.__setattr__(self, "system_guid", _guid_bytes("identity.system_guid", self.system_guid))

    def device_id_data(self) -> bytes:
        """The Get Device ID response data (section 20.1)."""
        return DeviceId(self.device_id, self.device_revision, self.provides_device_sdrs, self.firmware_major,
                        self.firmware_minor, self.update_in_progress, self.ipmi_version, self.additional_support,
                        self.manufacturer_id, self.product_id, self.aux_firmware_revision).encode()


# QEMU ipmi-bmc-sim's identity byte for byte (its golden Get Device ID).
QEMU_IDENTITY = Identity(additional_support=0x07)


@dataclass(frozen=True)
class ChannelInfo:
    """One channel as Get Channel Info / Get Channel Access describe it (sections 22.22-22.24)."""

    medium: int
    protocol: int
    session_support: int = 0x00   # bits 7:6 = 00b session-less; 5:0 active sessions
    aux: bytes = b"\x00\x00"
    access: int = 0x3A            # alerting, per-message and user-level auth disabled; always available
    privilege_limit: int = 0x04   # Administrator


class Bmc:
    """The BMC: identity plus every piece of state the IPMI command set reads or changes."""

    vendor_iana = IPMI_FORUM_IANA  # Get Channel Info's vendor: the IPMI Forum (no OEM channels)

    def __init__(self, sim, identity: Identity | None = None, host=None, *, name: str = "bmc",
                 slave_address: int = 0x20, lan_channel: int | None = None,
                 receive_queue_size: int | None = None, state_dir=None,
                 chassis_control_delay: int = CHASSIS_CONTROL_DELAY):
        if not 0 <= slave_address <= 0xFE or slave_address & 1:
            raise ValueError(f"slave_address 0x{slave_address:02X} is not an even 8-bit IPMB address")
        if lan_channel is not None and not 0x1 <= lan_channel <= 0xB:
            raise ValueError(f"lan_channel {lan_channel!r} out of range 1-0xB")
        self.sim = sim
        self.name = name
        self.identity = identity if identity is not None else Identity()
        self.device_id_data = self.identity.device_id_data()
        self.host = host if host is not None else NullHostControl()
        self.chassis_control_delay = chassis_control_delay
        self.slave_address = slave_address
        self.interfaces: list = []
        self.channels: dict[int, ChannelInfo] = {Channel.PRIMARY_IPMB: ChannelInfo(ChannelMedium.IPMB,
                                                                                   ChannelProtocol.IPMB_10)}
        if lan_channel is not None:
            # Get Channel Info byte 4 bits 7:6 = 10b: multi-session (section 22.24, Table 22-28).
            self.channels[lan_channel] = ChannelInfo(ChannelMedium.LAN_802_3, ChannelProtocol.IPMB_10,
                                                     session_support=LAN_MULTI_SESSION)
        self.lan_channel = lan_channel
        self.receive_queue_size = receive_queue_size
        # Where system events go when logging is enabled: the SEL store hooks in as callable(record, t).
        self.event_log = None
        self.sel_time_offset = 0  # seconds added to the simulated clock for SEL timestamps
        self.self_test_result = SELF_TEST_PASSED
        self.power_restore_policy = 0x3  # Get Chassis Status bits 6:5: 11b = unknown
        self.watchdog = Watchdog(sim, self)
        self.open_stores(state_dir)
        try:   # what the store holds is read back here: a bad record must not leave the store locked
            self.sensors = SensorRegistry(self)   # empty; bmc.sensors.defaults / a config installs sensors
            # Users, channel access, system info, the IPMB behind Send Message, the chassis (bmc/commands/app, chassis).
            self.users = UserTable()       # the setter keeps changed users in the store and restores stored ones
            self.channel_access = ChannelAccessTable(self)
            self.lan_config = LanConfig()
            self.sol = SolEngine(self)   # Serial over LAN: its parameters, payload access and the active instance
            guid = self.identity.system_guid or self.identity.device_guid or b""
            self.lan_config.addressing.mac_address = derived_mac(name, f"{slave_address:02X}", guid.hex())
            self.lan_params = LanParameters(self)     # Get/Set LAN Configuration Parameters (bmc/lan_params.py)
            self.lan_params.restore()
        except BaseException:
            self.store.close()
            raise
        self.system_info = SystemInfo()
        self.ipmb = {0x40: IpmbSatellite(0x40)}
        self.ipmb_latency = 0  # ns from Send Message to the satellite's answer in the receive queue
        self._power_up_state()
        self.chassis = ChassisState(self)

    def _power_up_state(self) -> None:
        """Volatile state as after BMC power-up (and Cold Reset)."""
        self.global_enables = int(POWER_UP_GLOBAL_ENABLES)
        self.receive_queue: deque = deque()
        self.event_buffer: bytes | None = None
        self.watchdog_pre_timeout_flag = False
        self.acpi_system_power_state = 0x00  # S0/G0 working (QEMU's default)
        self.acpi_device_power_state = 0x00  # D0
        self.restart_cause = RestartCause.UNKNOWN
        self.restart_channel = 0
        self.last_power_event = 0
        self._atn = (False, False)
        self._irq_enable = False

    # -- stores -------------------------------------------------------------

    def open_stores(self, state_dir=None, *, synchronous: str = "FULL", sel_capacity: int = SEL_CAPACITY,
                    sdr_capacity: int = SDR_CAPACITY) -> None:
        """SEL, SDR repository and FRU devices: in memory, or persisted in ``state_dir`` (bmc/store.py).

        Replaces the current stores (call it before filling them); the same
        state_dir again reopens it.  A new store has FRU 0 as QEMU's: 1024
        zero bytes.
        """
        Sel.check_capacity(sel_capacity)  # bad settings leave the old stores in place
        Sdr.check_capacity(sdr_capacity)
        old = getattr(self, "store", None)
        if old is not None and old.same_place(state_dir):
            old.close()  # its lock would refuse the new connection
        store = Store(state_dir, synchronous=synchronous)
        try:  # all three or none
            # A BMC with its own name (one of a rack) names its logs too, so their trace records and
            # errors say whose they are; the lone BMC's stay "sel" and "sdr".
            prefix = "" if self.name == "bmc" else f"{self.name}."
            sel = Sel(self.sim, store, self.timestamp, capacity=sel_capacity, name=prefix + "sel")
            sdr = Sdr(self.sim, store, self.timestamp, capacity=sdr_capacity, name=prefix + "sdr")
            fru = FruDevices(store)
            if not fru:
                fru.define(0, size=1024)
        except BaseException:
            store.close()
            raise
        self.store, self.sel, self.sdr, self.fru = store, sel, sdr, fru
        self.event_log = sel.log_event
        if old is not None:
            old.close()
        if hasattr(self, "lan_params"):   # a reopened state directory brings its LAN parameters and users
            self.lan_params.restore()
            self._restore_users()

    # -- users: what Set User Name/Access/Password changed lives in the store ----------------------

    @property
    def users(self) -> UserTable:
        return self._users

    @users.setter
    def users(self, table: UserTable) -> None:
        """A new user table (the default one, or a world configuration's); users the store kept from an
        earlier run replace the table's, as a real BMC's flash outlives its configuration file."""
        self._users = table
        table.on_change = self._persist_user
        self._restore_users()

    def _persist_user(self, uid: int, user) -> None:
        with self.store.transaction():
            self.store.put(USERS_LOG, uid, uid, encode_user(user))

    def _restore_users(self) -> None:
        table = self._users
        rows, _ = self.store.load(USERS_LOG)
        for uid, data in rows:
            if uid not in table.users:
                raise StoreError(f"{self.store.where}: stored user id {uid} out of range 1-{table.max_users}")
            try:
                table.users[uid] = decode_user(data)
            except ValueError as exc:
                raise StoreError(f"{self.store.where}: stored user {uid}: {exc}") from None

    # -- time ---------------------------------------------------------------

    def timestamp(self, t: int) -> int:
        """SEL/SDR timestamp (seconds, 32-bit) at simulated time ``t``."""
        return (t // S + self.sel_time_offset) & 0xFFFFFFFF

    # -- interfaces and attention -------------------------------------------

    def attach_interface(self, iface) -> None:
        """Connect a system-interface channel (``ChannelBase``); it hears the current ATN and interrupt
        enable at once."""
        self.interfaces.append(iface)
        t = self.sim.now
        iface.set_irq_enable(self._irq_enable, t)
        on, irq = self._atn
        iface.set_atn(on, irq, t)

    @property
    def message_flags(self) -> int:
        """Get Message Flags byte (section 22.4)."""
        flags = 0
        if self.receive_queue:
            flags |= MessageFlags.RECEIVE_MESSAGE_AVAILABLE
        if self.event_buffer is not None:
            flags |= MessageFlags.EVENT_MESSAGE_BUFFER_FULL
        if self.watchdog_pre_timeout_flag:
            flags |= MessageFlags.WATCHDOG_PRE_TIMEOUT
        return flags

    @property
    def atn(self) -> bool:
        return self._atn[0]

    def update_atn(self, t: int) -> None:
        """Recompute SMS_ATN and whether it may interrupt, and tell every interface.

        QEMU gates all interrupts on global enables bit 0 (its bug 3); here each
        condition has its own enable bit, as the spec's Set BMC Global Enables says.
        """
        enables = self.global_enables
        queue = bool(self.receive_queue)
        event = self.event_buffer is not None
        wdt = self.watchdog_pre_timeout_flag
        on = queue or event or wdt
        irq = bool((enables & 0x01 and (queue or wdt)) or (enables & 0x02 and event))
        if (on, irq) != self._atn:
            self._atn = (on, irq)
            if self.sim.tracer.enabled:
                flags = f"0x{self.message_flags:02X}"
                self.sim.trace(t, "bmc", self.name, "atn", on=int(on), irq=int(irq), flags=flags)
        for iface in self.interfaces:
            iface.set_atn(on, irq, t)

    def set_global_enables(self, value: int, t: int) -> None:
        old = self.global_enables
        self.global_enables = value
        if self.sim.tracer.enabled and value != old:
            self.sim.trace(t, "bmc", self.name, "enables", value=f"0x{value:02X}")
        irq_enable = bool(value & GlobalEnables.RECEIVE_MESSAGE_QUEUE_INTERRUPT)
        if irq_enable != self._irq_enable:
            self._irq_enable = irq_enable
            for iface in self.interfaces:
                iface.set_irq_enable(irq_enable, t)
        if value != old:
            self.update_atn(t)

    # -- message flags, receive queue, event buffer -------------------------

    def clear_message_flags(self, mask: int, t: int) -> None:
        """Clear Message Flags: bit 0 flushes the receive queue, bit 1 empties the event buffer,
        bit 3 clears the watchdog pre-timeout flag (section 22.3)."""
        if mask & MessageFlags.RECEIVE_MESSAGE_AVAILABLE:
            self.receive_queue.clear()
        if mask & MessageFlags.EVENT_MESSAGE_BUFFER_FULL:
            self.event_buffer = None
        if mask & MessageFlags.WATCHDOG_PRE_TIMEOUT:
            self.watchdog_pre_timeout_flag = False
        self.update_atn(t)

    def enqueue_message(self, data: bytes, t: int, channel: int = 0, privilege: int = 0) -> bool:
        """Put a message for system software in the receive queue; False if the queue is full."""
        if self.receive_queue_size is not None and len(self.receive_queue) >= self.receive_queue_size:
            if self.sim.tracer.enabled:
                self.sim.trace(t, "bmc", self.name, "rq-full", data=bytes(data))
            return False
        self.receive_queue.append(((privilege & 0x0F) << 4 | (channel & 0x0F), bytes(data)))
        self.update_atn(t)
        return True

    def take_message(self, t: int) -> tuple[int, bytes] | None:
        """Get Message: the oldest queued message as (channel byte, data), or None."""
        if not self.receive_queue:
            return None
        item = self.receive_queue.popleft()
        self.update_atn(t)
        return item

    def set_watchdog_pre_timeout_flag(self, t: int) -> None:
        self.watchdog_pre_timeout_flag = True
        self.update_atn(t)

    def take_event(self, t: int) -> bytes | None:
        """Read Event Message Buffer: the buffered event (16 bytes), or None."""
        record = self.event_buffer
        if record is None:
            return None
        self.event_buffer = None
        self.update_atn(t)
        return record

    def event_record(self, sensor_type: int, sensor_number: int, event_dir_type: int,
                     ed1: int, ed2: int = 0xFF, ed3: int = 0xFF, t: int | None = None) -> bytes:
        """A 16-byte system event record generated by this BMC (section 32.1); record id left 0."""
        ts = self.timestamp(self.sim.now if t is None else t)
        return bytes((
            0x00, 0x00, SYSTEM_EVENT_RECORD,
            ts & 0xFF, ts >> 8 & 0xFF, ts >> 16 & 0xFF, ts >> 24 & 0xFF,
            self.slave_address, 0x00,  # generator: this BMC's IPMB address, channel 0, LUN 0
            EVM_REV, sensor_type, sensor_number, event_dir_type, ed1, ed2, ed3,
        ))

    def raise_event(self, record: bytes, t: int) -> None:
        """A system event happened: log it and offer it to the event message buffer.

        Logging and the buffer have separate enables (global enables bits 3 and
        2); QEMU logs nothing unless the buffer is enabled (its bug 4).  The
        buffer holds one event: while it is full a new event is only logged.
        """
        enables = self.global_enables
        if enables & GlobalEnables.SYSTEM_EVENT_LOGGING and self.event_log is not None:
            self.event_log(record, t)
        buffered = False
        if enables & GlobalEnables.EVENT_MESSAGE_BUFFER and self.event_buffer is None:
            self.event_buffer = bytes(record)
            buffered = True
        if self.sim.tracer.enabled:
            self.sim.trace(t, "bmc", self.name, "event", record=bytes(record), buffered=int(buffered))
        if buffered:
            self.update_atn(t)

    # -- channels -------------------------------------------------------------

    def channel_info(self, channel: int) -> ChannelInfo | None:
        """The channel's description, or None if this BMC has no such channel."""
        if channel == Channel.SYSTEM_INTERFACE:
            iface = self.interfaces[0] if self.interfaces else None
            protocol = iface.protocol if iface is not None else ChannelProtocol.KCS
            irq = iface.irq_info if iface is not None else 0xFF
            return ChannelInfo(ChannelMedium.SYSTEM_INTERFACE, protocol, aux=bytes((irq, irq)))
        return self.channels.get(channel)

    # -- resets -----------------------------------------------------------------

    def cold_reset(self, t: int) -> None:
        """Cold Reset (section 20.2): back to power-up defaults.

        Global enables return to 0x08, queued messages and the buffered event
        are lost, and the watchdog forgets its settings (so a later Reset
        Watchdog Timer answers 0x80, the case Linux's watchdog driver recovers
        from), and SEL and SDR reservations are cancelled (0xC5 on their next
        use).  QEMU restores only the enables.
        """
        self.watchdog.power_up(t)
        self._power_up_state()
        for log in (self.sel, self.sdr):               # reservations are volatile: a reboot cancels them
            if log is not None:
                log.reservation = 0
        for part in (self.channel_access, self.system_info, self.chassis, self.sol, self.lan_params):
            part.cold_reset()
        if self.sim.tracer.enabled:
            self.sim.trace(t, "bmc", self.name, "cold-reset")
        for iface in self.interfaces:
            iface.cold_reset(t)
            iface.set_irq_enable(False, t)
        self.update_atn(t)

    def warm_reset(self, t: int) -> None:
        """Warm Reset (section 20.3): interfaces reset, configuration and state kept."""
        if self.sim.tracer.enabled:
            self.sim.trace(t, "bmc", self.name, "warm-reset")
        for iface in self.interfaces:
            iface.warm_reset(t)

    # -- chassis ------------------------------------------------------------------

    @property
    def power_on(self) -> bool:
        """System power as the host's wires report it."""
        return bool(self.host.power_on_state)

    def note_restart(self, cause: int, channel: int = 0) -> None:
        """Remember why the system last restarted (Get System Restart Cause)."""
        self.restart_cause = RestartCause(cause)
        self.restart_channel = channel
        self.chassis.restarted(cause)
