"""Who may use the BMC: the user table and each channel's access settings (IPMI 2.0 sections 22.22-22.30).

Users are numbered 1..``max_users``; user 0 is reserved and user 1 has a
fixed null name.  Each user has a name (16 bytes), a password (16 or 20
bytes, IPMI 2.0), an enable status and, per channel, a privilege limit and
the IPMI messaging / link authentication / callback-only bits.  The default
table is OpenIPMI ``ipmi_sim``'s shipped ``lan.conf``: user 1 anonymous
(null name, password "test", User privilege) and user 2 "ipmiusr" (password
"test", Administrator), both enabled; a world configuration replaces it.

Channel access (Set/Get Channel Access) keeps a non-volatile and a volatile
copy of each channel's access mode, auth-disable bits and privilege limit;
a BMC cold reset reloads the volatile copy from the non-volatile one.
Session-less channels (IPMB, the system interface) report QEMU's fixed
``3A 04`` and refuse Set with 0x82, as the spec says.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .ipmi.msg import ChannelMedium
from .privilege import Privilege

NAME_LEN = 16
NO_ACCESS = 0x0F                    # privilege limit "no access"
PRIVILEGE_LIMITS = frozenset((*range(Privilege.CALLBACK, Privilege.OEM + 1), NO_ACCESS))

# Get User Access byte 2 bits 7:6.
ENABLE_UNSPECIFIED = 0
ENABLED = 1
DISABLED = 2


def _name_bytes(name: str | bytes) -> bytes:
    raw = name.encode("ascii") if isinstance(name, str) else bytes(name)
    if len(raw) > NAME_LEN:
        raise ValueError(f"user name {name!r} is {len(raw)} bytes; at most {NAME_LEN}")
    return raw.ljust(NAME_LEN, b"\x00")


def _password_bytes(password: str | bytes) -> bytes:
    raw = password.encode("ascii") if isinstance(password, str) else bytes(password)
    if len(raw) > 20:
        raise ValueError(f"password is {len(raw)} bytes; at most 20")
    return raw


@dataclass
class UserChannelAccess:
    """A user's access on one channel (Set User Access data 1 bits 6:4 and data 3)."""

    privilege: int = NO_ACCESS
    ipmi_messaging: bool = False
    link_auth: bool = False
    callback_only: bool = False

    def byte(self) -> int:
        return self.callback_only << 6 | self.link_auth << 5 | self.ipmi_messaging << 4 | self.privilege


@dataclass
class User:
    """One user slot.  ``name`` is the 16 wire bytes; ``password`` holds 16 or 20 bytes once set."""

    name: bytes = bytes(NAME_LEN)
    password: bytes = b""
    password_size: int = 16
    status: int = ENABLE_UNSPECIFIED
    default_access: UserChannelAccess = field(default_factory=UserChannelAccess)
    access: dict[int, UserChannelAccess] = field(default_factory=dict)
    session_limit: int = 0

    def channel_access(self, channel: int, *, for_update: bool = False) -> UserChannelAccess:
        """The access on ``channel``; a channel never configured for this user starts from the defaults.
        Reading leaves the table as it is (a login attempt from the LAN changes no stored byte); ``for_update``
        (Set User Access) stores the channel's own copy for the caller to change."""
        found = self.access.get(channel)
        if found is None:
            d = self.default_access
            found = UserChannelAccess(d.privilege, d.ipmi_messaging, d.link_auth, d.callback_only)
            if for_update:
                self.access[channel] = found
        return found

    @property
    def enabled(self) -> bool:
        return self.status == ENABLED

    @property
    def name_text(self) -> str:
        return self.name.split(b"\x00", 1)[0].decode("ascii", errors="replace")


# A user as the BMC's store keeps it (log "users", record id = user id): name (16), password (20, zero
# padded), password size, enable status, session limit, default access byte, then (channel, access byte)
# pairs for the channels set up.  The access byte is Get User Access byte 4 (callback, link auth, IPMI
# messaging, privilege limit).
_USER_FIXED = NAME_LEN + 20 + 4


def _access_from_byte(b: int) -> UserChannelAccess:
    return UserChannelAccess(b & 0x0F, bool(b & 0x10), bool(b & 0x20), bool(b & 0x40))


def encode_user(user: User) -> bytes:
    head = user.name + user.password.ljust(20, b"\x00") + bytes((user.password_size, user.status,
                                                                  user.session_limit, user.default_access.byte()))
    return head + b"".join(bytes((ch, acc.byte())) for ch, acc in sorted(user.access.items()))


def decode_user(data: bytes) -> User:
    """A stored user; ValueError naming what is wrong with the bytes."""
    if len(data) < _USER_FIXED or (len(data) - _USER_FIXED) % 2:
        raise ValueError(f"{len(data)} bytes (a user is {_USER_FIXED} plus 2 per channel)")
    size, status, limit, default = data[36:40]
    if size not in (16, 20) or status > DISABLED or limit > 0x0F:
        raise ValueError(f"password size {size}, status {status}, session limit {limit}")
    access = {}
    for i in range(_USER_FIXED, len(data), 2):
        channel, byte = data[i], data[i + 1]
        if channel > 0x0F or byte & 0x80 or (byte & 0x0F) not in PRIVILEGE_LIMITS:
            raise ValueError(f"channel {channel} access byte 0x{byte:02X}")
        access[channel] = _access_from_byte(byte)
    if default & 0x80 or (default & 0x0F) not in PRIVILEGE_LIMITS:
        raise ValueError(f"default access byte 0x{default:02X}")
    return User(name=bytes(data[:NAME_LEN]), password=bytes(data[NAME_LEN:NAME_LEN + size]), password_size=size,
                status=status, default_access=_access_from_byte(default), access=access, session_limit=limit)


class UserTable:
    """Users 1..``max_users`` (OpenBMC's 15 by default; ``ipmi_sim`` allows 63).

    ``on_change(uid, user)`` is called by whoever changes a user (the Set User commands), so the BMC
    can keep it in its store; ``restore`` puts stored users back.
    """

    def __init__(self, max_users: int = 15, defaults: bool = True):
        if not 2 <= max_users <= 63:
            raise ValueError(f"max_users {max_users!r} out of range 2-63")
        self.max_users = max_users
        self.on_change = None
        self.users: dict[int, User] = {uid: User() for uid in range(1, max_users + 1)}
        if defaults:
            self.configure(1, name="", password="test", privilege=Privilege.USER)
            self.configure(2, name="ipmiusr", password="test", privilege=Privilege.ADMINISTRATOR)

    def configure(self, uid: int, *, name: str | bytes, password: str | bytes, privilege: int,
                  enabled: bool = True) -> User:
        """Set a user up as a configuration file would: enabled, same privilege on every channel."""
        if uid not in self.users:
            raise ValueError(f"user id {uid!r} out of range 1-{self.max_users}")
        if uid == 1 and _name_bytes(name) != bytes(NAME_LEN):
            raise ValueError("user 1 has the fixed null name")
        if privilege not in PRIVILEGE_LIMITS:
            raise ValueError(f"privilege {privilege!r} is not 1-5 or 0xF (no access)")
        pw = _password_bytes(password)
        user = self.users[uid] = User(
            name=_name_bytes(name), password=pw, password_size=20 if len(pw) > 16 else 16,
            status=ENABLED if enabled else DISABLED,
            default_access=UserChannelAccess(privilege, ipmi_messaging=True, link_auth=True))
        return user

    def get(self, uid: int) -> User | None:
        return self.users.get(uid)

    def changed(self, uid: int) -> None:
        """User ``uid`` was changed by a command: tell ``on_change``."""
        if self.on_change is not None:
            self.on_change(uid, self.users[uid])

    def by_name(self, name: str | bytes) -> tuple[int, User] | None:
        """The first enabled-or-not user with this name (what a session login looks up)."""
        key = _name_bytes(name)
        for uid in sorted(self.users):
            if self.users[uid].name == key:
                return uid, self.users[uid]
        return None

    def enabled_count(self) -> int:
        return sum(1 for u in self.users.values() if u.enabled)

    def check_password(self, uid: int, password: bytes) -> bool:
        """Whether ``password`` (16 or 20 bytes, zero padded) matches user ``uid``'s."""
        user = self.users[uid]
        size = len(password)
        return size == user.password_size and password == user.password.ljust(size, b"\x00")

    def anonymous_status(self) -> int:
        """Get Channel Authentication Capabilities byte 3 bits 2:0."""
        bits = 0
        null = bytes(NAME_LEN)
        for uid, user in self.users.items():
            if not user.enabled:
                continue
            if user.name != null:
                bits |= 0x04                   # non-null user names enabled
            elif uid == 1 and not user.password.strip(b"\x00"):
                bits |= 0x01                   # anonymous login: null name, null password
            else:
                bits |= 0x02                   # null user name with a password
        return bits


@dataclass
class ChannelAccessSettings:
    """Get/Set Channel Access fields: byte 1 bits 5:0 (auth disables, access mode) and the privilege limit."""

    access: int = 0x3A          # PEF alerting, per-message and user-level auth disabled; always available
    privilege_limit: int = Privilege.ADMINISTRATOR


class ChannelAccessTable:
    """Volatile and non-volatile channel access settings for the channels that have sessions."""

    def __init__(self, bmc):
        self.bmc = bmc
        self.nonvolatile: dict[int, ChannelAccessSettings] = {}
        self.volatile: dict[int, ChannelAccessSettings] = {}

    def has_sessions(self, channel: int) -> bool:
        """A LAN channel, or any channel whose Get Channel Info says it is not session-less."""
        info = self.bmc.channel_info(channel)
        if info is None:
            return False
        return info.medium in (ChannelMedium.LAN_802_3, ChannelMedium.OTHER_LAN) or info.session_support >> 6 != 0

    def settings(self, channel: int, volatile: bool) -> ChannelAccessSettings:
        table = self.volatile if volatile else self.nonvolatile
        found = table.get(channel)
        if found is None:
            info = self.bmc.channel_info(channel)
            found = table[channel] = ChannelAccessSettings(info.access, info.privilege_limit)
        return found

    def cold_reset(self) -> None:
        """Volatile settings are reloaded from the non-volatile ones."""
        self.volatile = {ch: ChannelAccessSettings(s.access, s.privilege_limit) for ch, s in self.nonvolatile.items()}
