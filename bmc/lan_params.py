"""LAN Configuration Parameters (IPMI 2.0 section 23.2, Table 23-4) over the BMC's ``LanConfig``.

``LanParameters`` is what Get/Set LAN Configuration Parameters (netfn 0Ch,
cmds 02h/01h, ``bmc.commands.transport``) read and write.  Each parameter
is an encoder from ``bmc.lan_config`` to its wire bytes and a validating
decoder back; the set-in-progress protocol (parameter 0) is
``bmc.params.ParameterStore`` over a live view of the configuration, so a
Set while "set in progress" is claimed is staged and takes effect at the
commit.  Keys are ``selector << 8 | set_selector`` (only the alert
destinations, 18 and 19, have set selectors).

Every settable value that takes effect is written to the BMC's store
(``bmc.store``, log ``"lan"``, record id = key) so it survives a restart of
a BMC with a state directory; ``restore`` reads them back over whatever the
world configuration set, as ``ipmi_sim`` lets its persisted ``lanparm``
override lan.conf.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, MutableMapping
from dataclasses import dataclass

from .ipmi.cc import CompletionCode, IpmiError
from .lan_config import CIPHER_ENTRIES, COMMUNITY_LEN, DESTINATIONS, IP_SOURCE_OTHER, LanConfig
from .params import CC_PARAMETER_NOT_SUPPORTED, CC_PARAMETER_READ_ONLY, ParameterStore, set_in_progress_code
from .privilege import Privilege
from .store import StoreError

PARAMETER_REVISION = 0x11      # Table 23-4: "Parameter revision" 11h, the IPMI 2.0 format
LOG = "lan"                    # the store's log name for persisted LAN parameters

SET_IN_PROGRESS = 0
AUTH_TYPE_SUPPORT = 1
AUTH_TYPE_ENABLES = 2
IP_ADDRESS = 3
IP_ADDRESS_SOURCE = 4
MAC_ADDRESS = 5
SUBNET_MASK = 6
IPV4_HEADER_PARAMETERS = 7
PRIMARY_RMCP_PORT = 8
BMC_GENERATED_ARP_CONTROL = 10
GRATUITOUS_ARP_INTERVAL = 11
DEFAULT_GATEWAY_ADDRESS = 12
DEFAULT_GATEWAY_MAC_ADDRESS = 13
BACKUP_GATEWAY_ADDRESS = 14
BACKUP_GATEWAY_MAC_ADDRESS = 15
COMMUNITY_STRING = 16
NUMBER_OF_DESTINATIONS = 17
DESTINATION_TYPE = 18
DESTINATION_ADDRESSES = 19
VLAN_ID = 20
VLAN_PRIORITY = 21
CIPHER_SUITE_ENTRY_SUPPORT = 22
CIPHER_SUITE_ENTRIES = 23
CIPHER_SUITE_PRIVILEGE_LEVELS = 24
BAD_PASSWORD_THRESHOLD = 26

# Parameter 2: one byte per privilege level, in this order.
AUTH_ENABLE_ORDER = (Privilege.CALLBACK, Privilege.USER, Privilege.OPERATOR, Privilege.ADMINISTRATOR, Privilege.OEM)
DESTINATION_TYPES = (0b000, 0b110, 0b111)       # PET trap, OEM 1, OEM 2 (Table 23-4 parameter 18)
INTERVAL_UNIT_S = 10                            # parameter 26 intervals count 10 s


def _bad(what: str) -> IpmiError:
    return IpmiError(CompletionCode.INVALID_DATA_FIELD, what)


def _reserved(value: int, mask: int, what: str) -> None:
    if value & mask:
        raise _bad(f"{what} reserved bits set (0x{value:02X})")


@dataclass(frozen=True)
class Parameter:
    """One row of Table 23-4: its data length, whether it takes a set selector, its codec."""

    selector: int
    name: str
    length: int | None                                # Set data bytes (None: read-only)
    get: Callable[[LanConfig, int], bytes]
    put: Callable[[LanConfig, int, bytes], None] | None = None   # apply validated data
    check: Callable[[LanConfig, bytes], None] | None = None      # validate, raising IpmiError
    indexed: bool = False                             # data byte 1 is a set selector (18, 19)


# -- the codecs ---------------------------------------------------------------------------------------

def _auth_enables(cfg: LanConfig, _s: int) -> bytes:
    return bytes(cfg.auth_enables.get(p, 0) for p in AUTH_ENABLE_ORDER)


def _check_auth_enables(cfg: LanConfig, data: bytes) -> None:
    for p, bits in zip(AUTH_ENABLE_ORDER, data, strict=True):
        if bits & ~cfg.auth_support & 0xFF:
            raise _bad(f"{p.name} authentication types 0x{bits:02X} beyond the supported 0x{cfg.auth_support:02X}")


def _put_auth_enables(cfg: LanConfig, _s: int, data: bytes) -> None:
    cfg.auth_enables = dict(zip(AUTH_ENABLE_ORDER, data, strict=True))


def _field(name: str) -> tuple[Callable, Callable]:
    """get/put of a bytes field of ``LanConfig.addressing``."""
    def get(cfg, _s):
        return bytes(getattr(cfg.addressing, name))

    def put(cfg, _s, data):
        setattr(cfg.addressing, name, bytes(data))
    return get, put


def _byte_field(name: str) -> tuple[Callable, Callable]:
    def get(cfg, _s):
        return bytes((getattr(cfg.addressing, name),))

    def put(cfg, _s, data):
        setattr(cfg.addressing, name, data[0])
    return get, put


def _check_ip_source(_cfg, data: bytes) -> None:
    _reserved(data[0], 0xF0, "IP address source")
    if data[0] > IP_SOURCE_OTHER:
        raise _bad(f"IP address source {data[0]} (0-{IP_SOURCE_OTHER})")


def _check_subnet_mask(_cfg, data: bytes) -> None:
    mask = int.from_bytes(data, "big")
    inverted = ~mask & 0xFFFFFFFF
    if inverted & (inverted + 1):             # ones then zeros only
        raise _bad(f"subnet mask {'.'.join(map(str, data))} is not contiguous")


def _check_ip_header(_cfg, data: bytes) -> None:
    _reserved(data[1], 0x1F, "IPv4 header flags")
    _reserved(data[2], 0x01, "IPv4 header precedence/type of service")


def _check_arp_control(_cfg, data: bytes) -> None:
    _reserved(data[0], 0xFC, "BMC-generated ARP control")


def _number_of_destinations(_cfg, _s: int) -> bytes:
    return bytes((DESTINATIONS,))


def _destination_index(set_selector: int) -> int:
    if set_selector & 0xF0:
        raise _bad(f"destination selector reserved bits 7:4 (0x{set_selector:02X})")
    if set_selector > DESTINATIONS:
        raise IpmiError(CompletionCode.PARAMETER_OUT_OF_RANGE,
                        f"destination selector {set_selector} (0-{DESTINATIONS})")
    return set_selector


def _destination_type(cfg, s: int) -> bytes:
    d = cfg.addressing.destinations[s]
    return bytes((s, d.type_byte, d.ack_timeout_s, d.retries))


def _check_destination_type(_cfg, data: bytes) -> None:
    _destination_index(data[0])
    _reserved(data[1], 0x78, "destination type")
    if data[1] & 0x07 not in DESTINATION_TYPES:
        raise _bad(f"destination type {data[1] & 0x07} (PET trap 0, OEM 6 or 7)")
    _reserved(data[3], 0xF8, "destination retries")


def _put_destination_type(cfg, s: int, data: bytes) -> None:
    d = cfg.addressing.destinations[s]
    d.type_byte, d.ack_timeout_s, d.retries = data[1], data[2], data[3]


def _destination_address(cfg, s: int) -> bytes:
    d = cfg.addressing.destinations[s]
    return bytes((s, d.address_format, d.gateway)) + d.ip + d.mac


def _check_destination_address(_cfg, data: bytes) -> None:
    _destination_index(data[0])
    if data[1] != 0x00:
        raise _bad(f"destination address format 0x{data[1]:02X} (only 0h, IPv4 + MAC)")
    _reserved(data[2], 0xFE, "destination gateway selector")


def _put_destination_address(cfg, s: int, data: bytes) -> None:
    d = cfg.addressing.destinations[s]
    d.address_format, d.gateway, d.ip, d.mac = data[1], data[2], bytes(data[3:7]), bytes(data[7:13])


def _vlan_id(cfg, _s: int) -> bytes:
    a = cfg.addressing
    return bytes((a.vlan_id & 0xFF, a.vlan_enabled << 7 | a.vlan_id >> 8))


def _check_vlan_id(_cfg, data: bytes) -> None:
    _reserved(data[1], 0x70, "802.1q VLAN ID byte 2")
    vid = (data[1] & 0x0F) << 8 | data[0]
    if data[1] & 0x80 and not 1 <= vid <= 4094:
        raise _bad(f"802.1q VLAN ID {vid} (1-4094 when enabled)")


def _put_vlan_id(cfg, _s: int, data: bytes) -> None:
    cfg.addressing.vlan_id = (data[1] & 0x0F) << 8 | data[0]
    cfg.addressing.vlan_enabled = bool(data[1] & 0x80)


def _check_vlan_priority(_cfg, data: bytes) -> None:
    _reserved(data[0], 0xF8, "802.1q VLAN priority")


def _cipher_suite_entry_support(cfg, _s: int) -> bytes:
    return bytes((len(cfg.cipher_suites),))


def _cipher_suite_entries(cfg, _s: int) -> bytes:
    return b"\x00" + bytes(cfg.cipher_suites)


def _cipher_nibbles(cfg: LanConfig) -> list[int]:
    levels = [cfg.unused_cipher_privileges.get(i, 0) for i in range(CIPHER_ENTRIES)]
    for i, cs in enumerate(cfg.cipher_suites):
        levels[i] = cfg.cipher_suite_privileges.get(cs, 0)
    return levels


def _cipher_privileges(cfg, _s: int) -> bytes:
    n = _cipher_nibbles(cfg)
    return b"\x00" + bytes(n[2 * i] | n[2 * i + 1] << 4 for i in range(CIPHER_ENTRIES // 2))


def _nibbles(data: bytes) -> list[int]:
    return [b >> shift & 0x0F for b in data[1:9] for shift in (0, 4)]


def _check_cipher_privileges(_cfg, data: bytes) -> None:
    _reserved(data[0], 0xFF, "cipher suite privilege levels byte 1")
    for i, level in enumerate(_nibbles(data)):
        if level > Privilege.OEM:          # 0h: the entry is not used
            raise _bad(f"cipher suite entry {i} maximum privilege {level} (0-5)")


def _put_cipher_privileges(cfg, _s: int, data: bytes) -> None:
    levels = _nibbles(data)
    count = len(cfg.cipher_suites)
    cfg.cipher_suite_privileges = {cs: levels[i] for i, cs in enumerate(cfg.cipher_suites)}
    cfg.unused_cipher_privileges = {i: levels[i] for i in range(count, CIPHER_ENTRIES) if levels[i]}


def _bad_password(cfg, _s: int) -> bytes:
    b = cfg.bad_password
    reset, lockout = b.reset_interval_s // INTERVAL_UNIT_S, b.lockout_interval_s // INTERVAL_UNIT_S
    return bytes((int(b.audit_event), b.threshold)) + reset.to_bytes(2, "little") + lockout.to_bytes(2, "little")


def _check_bad_password(_cfg, data: bytes) -> None:
    _reserved(data[0], 0xFE, "bad password threshold byte 1")


def _put_bad_password(cfg, _s: int, data: bytes) -> None:
    b = cfg.bad_password
    b.audit_event = bool(data[0] & 1)
    b.threshold = data[1]
    b.reset_interval_s = int.from_bytes(data[2:4], "little") * INTERVAL_UNIT_S
    b.lockout_interval_s = int.from_bytes(data[4:6], "little") * INTERVAL_UNIT_S


def _table() -> dict[int, Parameter]:
    rows = [
        Parameter(AUTH_TYPE_SUPPORT, "authentication type support", None, lambda c, s: bytes((c.auth_support,))),
        Parameter(AUTH_TYPE_ENABLES, "authentication type enables", 5, _auth_enables, _put_auth_enables,
                  _check_auth_enables),
        Parameter(IP_ADDRESS, "IP address", 4, *_field("ip_address")),
        Parameter(IP_ADDRESS_SOURCE, "IP address source", 1, *_byte_field("ip_source"), _check_ip_source),
        Parameter(MAC_ADDRESS, "MAC address", 6, *_field("mac_address")),
        Parameter(SUBNET_MASK, "subnet mask", 4, *_field("subnet_mask"), _check_subnet_mask),
        Parameter(IPV4_HEADER_PARAMETERS, "IPv4 header parameters", 3, *_field("ip_header"), _check_ip_header),
        Parameter(PRIMARY_RMCP_PORT, "primary RMCP port", None,
                  lambda c, s: c.addressing.primary_rmcp_port.to_bytes(2, "little")),
        Parameter(BMC_GENERATED_ARP_CONTROL, "BMC-generated ARP control", 1, *_byte_field("arp_control"),
                  _check_arp_control),
        Parameter(GRATUITOUS_ARP_INTERVAL, "gratuitous ARP interval", 1, *_byte_field("gratuitous_arp_interval")),
        Parameter(DEFAULT_GATEWAY_ADDRESS, "default gateway address", 4, *_field("default_gateway_ip")),
        Parameter(DEFAULT_GATEWAY_MAC_ADDRESS, "default gateway MAC address", 6, *_field("default_gateway_mac")),
        Parameter(BACKUP_GATEWAY_ADDRESS, "backup gateway address", 4, *_field("backup_gateway_ip")),
        Parameter(BACKUP_GATEWAY_MAC_ADDRESS, "backup gateway MAC address", 6, *_field("backup_gateway_mac")),
        Parameter(COMMUNITY_STRING, "community string", COMMUNITY_LEN, *_field("community")),
        Parameter(NUMBER_OF_DESTINATIONS, "number of destinations", None, _number_of_destinations),
        Parameter(DESTINATION_TYPE, "destination type", 4, _destination_type, _put_destination_type,
                  _check_destination_type, indexed=True),
        Parameter(DESTINATION_ADDRESSES, "destination addresses", 13, _destination_address,
                  _put_destination_address, _check_destination_address, indexed=True),
        Parameter(VLAN_ID, "802.1q VLAN ID", 2, _vlan_id, _put_vlan_id, _check_vlan_id),
        Parameter(VLAN_PRIORITY, "802.1q VLAN priority", 1, *_byte_field("vlan_priority"), _check_vlan_priority),
        Parameter(CIPHER_SUITE_ENTRY_SUPPORT, "cipher suite entry support", None, _cipher_suite_entry_support),
        Parameter(CIPHER_SUITE_ENTRIES, "cipher suite entries", None, _cipher_suite_entries),
        Parameter(CIPHER_SUITE_PRIVILEGE_LEVELS, "cipher suite privilege levels", 9, _cipher_privileges,
                  _put_cipher_privileges, _check_cipher_privileges),
        Parameter(BAD_PASSWORD_THRESHOLD, "bad password threshold", 6, _bad_password, _put_bad_password,
                  _check_bad_password),
    ]
    return {p.selector: p for p in rows}


PARAMETERS = _table()


def _split(key: int) -> tuple[Parameter, int]:
    return PARAMETERS[key >> 8], key & 0xFF


class _LiveValues(MutableMapping):
    """The committed values as ParameterStore sees them: encoded from, and decoded into, the LanConfig."""

    def __init__(self, owner: LanParameters):
        self.owner = owner

    def __getitem__(self, key: int) -> bytes:
        p, s = _split(key)
        return p.get(self.owner.config, s)

    def __setitem__(self, key: int, value: bytes) -> None:
        p, s = _split(key)
        p.put(self.owner.config, s, value)

    def __delitem__(self, key):
        raise TypeError("LAN parameters cannot be removed")

    def __iter__(self) -> Iterator[int]:
        for p in PARAMETERS.values():
            for s in (range(DESTINATIONS + 1) if p.indexed else (0,)):
                yield p.selector << 8 | s

    def __len__(self) -> int:
        return sum(DESTINATIONS + 1 if p.indexed else 1 for p in PARAMETERS.values())

    def __contains__(self, key) -> bool:
        return isinstance(key, int) and key >> 8 in PARAMETERS


class LanParameters:
    """Get/Set LAN Configuration Parameters of one LAN channel; ``bmc`` gives the config and the store."""

    def __init__(self, bmc):
        self.bmc = bmc
        self.params = ParameterStore({}, on_commit=self._persist)
        self.params.values = _LiveValues(self)

    @property
    def config(self) -> LanConfig:
        return self.bmc.lan_config

    # -- the commands ---------------------------------------------------------------------------

    def get(self, revision_only: bool, selector: int, set_selector: int, block: int) -> bytes:
        """Get LAN Configuration Parameters response data after the completion code."""
        if revision_only:
            return bytes((PARAMETER_REVISION,))
        if selector == SET_IN_PROGRESS:
            return bytes((PARAMETER_REVISION, self.params.state))
        p = PARAMETERS.get(selector)
        if p is None:
            raise IpmiError(CC_PARAMETER_NOT_SUPPORTED, f"LAN parameter {selector}")
        if block:
            raise _bad(f"block selector {block} (LAN parameters have no blocks)")
        if p.indexed:
            _destination_index(set_selector)
        elif set_selector:
            raise _bad(f"set selector {set_selector} (LAN parameter {selector} has none)")
        return bytes((PARAMETER_REVISION,)) + self.params.read(selector << 8 | set_selector)

    def set(self, selector: int, data: bytes) -> None:
        """Set LAN Configuration Parameters (the data after the selector); nothing changes on error."""
        if selector == SET_IN_PROGRESS:
            self.params.set_in_progress(set_in_progress_code(data))
            return
        p = PARAMETERS.get(selector)
        if p is None:
            raise IpmiError(CC_PARAMETER_NOT_SUPPORTED, f"LAN parameter {selector}")
        if p.length is None:
            raise IpmiError(CC_PARAMETER_READ_ONLY, f"LAN parameter {selector} ({p.name}) is read-only")
        if len(data) != p.length:
            raise IpmiError(CompletionCode.REQUEST_DATA_LENGTH_INVALID,
                            f"LAN parameter {selector} ({p.name}) takes {p.length} bytes, got {len(data)}")
        if p.check is not None:
            p.check(self.config, data)
        self.params.write(selector << 8 | (data[0] if p.indexed else 0), bytes(data))

    def cold_reset(self) -> None:
        """A BMC reset drops a set in progress and what it staged (the committed values are non-volatile)."""
        self.params.abandon()

    # -- persistence ------------------------------------------------------------------------------

    def _persist(self, key: int, _old: bytes, new: bytes) -> None:
        store = self.bmc.store
        with store.transaction():
            store.put(LOG, key, key, new)

    def restore(self) -> None:
        """Apply the values persisted in the BMC's store (a state directory from an earlier run)."""
        store = self.bmc.store
        rows, _ = store.load(LOG)
        for key, data in rows:
            p = PARAMETERS.get(key >> 8)
            if p is None or p.length is None or len(data) != p.length or (not p.indexed and key & 0xFF):
                raise StoreError(f"{store.where}: stored LAN parameter key 0x{key:X} ({len(data)} bytes) "
                                 "is not a settable parameter")
            try:
                if p.check is not None:
                    p.check(self.config, data)
                if p.indexed and data[0] != key & 0xFF:
                    raise _bad(f"set selector {data[0]} stored under {key & 0xFF}")
            except IpmiError as exc:
                raise StoreError(f"{store.where}: stored LAN parameter {p.selector} ({p.name}): {exc}") from None
            p.put(self.config, key & 0xFF, data)
