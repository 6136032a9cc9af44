"""The frame every ipmitool command runs in: output streams, requests, and what ipmitool does on open.

``Output`` collects what the command printed on stdout and stderr, byte for
byte (``write`` is C's ``printf``, ``error`` is ipmitool's ``lprintf`` at
LOG_NOTICE or worse, which goes to stderr), plus a JSON-able ``data`` object,
optional ``fields``/``rows`` for a pretty view, and every exchange with its
simulated times.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from bmc.ipmi.cc import CompletionCode
from bmc.ipmi.cmd import App
from bmc.ipmi.netfn import NetFn
from vserver.msghandler import IpmiSendError

from .cfmt import cc_string, generic_sensor_type

ERRNO_TEXT = {"EINVAL": "Invalid argument", "EMSGSIZE": "Message too long"}   # strerror
NETFN_PICMG = 0x2C                 # the group extension netfn PICMG and VITA share
PICMG_GET_PROPERTIES = 0x00
GROUP_EXT_PICMG = 0x00
GROUP_EXT_VITA = 0x03
IPMI_OEM_UNKNOWN = 0


class ToolError(ValueError):
    """A command line the tool does not accept; the message names the bad word."""


class CommandFailed(RuntimeError):
    """A request the command needs was refused; the message is ipmitool's error line."""

    def __init__(self, message: str, result=None):
        self.result = result
        super().__init__(message)


@dataclass
class Output:
    """What one command printed, and what it cost on the simulated clock."""

    command: str
    stdout: list[str] = field(default_factory=list)
    stderr: list[str] = field(default_factory=list)
    fields: list[tuple[str, str]] = field(default_factory=list)   # --pretty: a label/value view
    columns: list[str] = field(default_factory=list)              # --pretty: a table view
    rows: list[list[str]] = field(default_factory=list)
    data: dict = field(default_factory=dict)
    exchanges: list = field(default_factory=list)   # IpmiResult of every request, in order
    t_start: int = 0
    t_end: int = 0
    exit_code: int = 0

    @property
    def elapsed(self) -> int:
        return self.t_end - self.t_start

    def write(self, text: str) -> None:
        """printf: exactly these characters on stdout."""
        self.stdout.append(text)

    def error(self, line: str) -> None:
        """lprintf(LOG_ERR/WARN/NOTICE, ...): one line on stderr."""
        self.stderr.append(line + "\n")

    def text(self) -> str:
        """Everything printed on stdout, as ipmitool prints it."""
        return "".join(self.stdout)

    def error_text(self) -> str:
        return "".join(self.stderr)

    @property
    def kind(self) -> str:
        return "table" if self.columns else "fields" if self.fields else "lines"


@dataclass(frozen=True)
class EventAsAnswer:
    """An event message taken as an answer: open.c makes its first byte the completion code."""

    message: bytes

    @property
    def cc(self) -> int:
        return self.message[0] if self.message else 0xFF

    @property
    def data(self) -> bytes:
        return self.message[1:]


class ToolBase:
    """Requests through the host's message handler, and ipmitool's start-up exchanges."""

    def __init__(self, ipmi):
        self.ipmi = ipmi
        self.sim = ipmi.sim
        self.out: Output | None = None
        self.manufacturer_id = IPMI_OEM_UNKNOWN
        self._seq = 0                     # open.c curr_seq: each request's msgid
        self._received: deque = deque()   # this user's receive queue: (msgid, answer or event data)

    def request(self, netfn: int, cmd: int, data: bytes = b""):
        """Generator: one request -> its answer (``.cc``, ``.data``), or None when the ioctl refused it.

        Like ipmitool_send_cmd in open.c, the answer is the first message in this user's receive queue with
        the request's msgid; others are dropped with a notice.  An event has msgid 0, so a queued event
        answers the first request (msgid 0) of a run, and that request's real answer is dropped later."""
        msgid = self._seq
        self._seq += 1
        try:
            r = yield from self.ipmi.request(netfn, cmd, bytes(data))
        except IpmiSendError as exc:
            self.out.error(f"Unable to send command: {ERRNO_TEXT.get(exc.errno, exc.errno)}")
            self.out.data.setdefault("refused", []).append({"errno": exc.errno, "why": exc.why})
            return None
        self.out.exchanges.append(r)
        self._received.append((msgid, r))
        while True:
            got_id, got = self._received.popleft()
            if got_id == msgid:
                return got
            self.out.error(f"Received a response with unexpected ID {got_id} vs. {msgid}")

    def _on_event(self, t, rsp: bytes) -> None:
        """An event for this user (IPMI_ASYNC_EVENT_RECV_TYPE, msgid 0), read as open.c reads any message."""
        self._received.append((0, EventAsAnswer(bytes(rsp[3:]))))

    def open(self):
        """Generator: what ipmitool does before any command (ipmi_openipmi_open, then ipmi_main)."""
        # open.c: IPMICTL_SET_GETS_EVENTS_CMD on: this user gets the events (and the driver watches for them).
        self.ipmi.set_gets_events(self._on_event, True)
        # open.c ipmi_openipmi_open -> ipmi_get_oem: Get Device ID, to know the manufacturer.
        self.manufacturer_id = yield from self._device_manufacturer()
        # ipmi_main.c: picmg_discover, then vita_discover (both Get PICMG/VSO Properties, netfn 2Ch cmd 00h).
        # Their answers only change ipmitool's IPMB addressing, which a system interface never uses.
        r = yield from self.request(NETFN_PICMG, PICMG_GET_PROPERTIES, bytes((GROUP_EXT_PICMG,)))
        if r is None or r.cc != CompletionCode.SUCCESS or len(r.data) < 4 or r.data[0] != GROUP_EXT_PICMG:
            yield from self.request(NETFN_PICMG, PICMG_GET_PROPERTIES, bytes((GROUP_EXT_VITA,)))

    def close(self) -> None:
        """The process ends and /dev/ipmi0 is closed: its user stops getting events."""
        self.ipmi.set_gets_events(self._on_event, False)

    def _device_manufacturer(self):
        r = yield from self.request(NetFn.APP, App.GET_DEVICE_ID)
        if r is None:
            self.out.error("Get Device ID command failed")
            return IPMI_OEM_UNKNOWN
        if r.cc != CompletionCode.SUCCESS:
            self.out.error(f"Get Device ID command failed: {r.cc:#x} {cc_string(r.cc)}")
            return IPMI_OEM_UNKNOWN
        return int.from_bytes(r.data[6:9], "little") & 0x0FFFFF if len(r.data) >= 9 else IPMI_OEM_UNKNOWN

    def get_oem(self):
        """Generator: ipmi_sel.c ipmi_get_oem: the cached manufacturer, asked again while it is unknown (0)."""
        if self.manufacturer_id != IPMI_OEM_UNKNOWN:
            return self.manufacturer_id
        self.manufacturer_id = yield from self._device_manufacturer()
        return self.manufacturer_id

    def sensor_type_name(self, code: int):
        """Generator: ipmi_get_sensor_type; codes C0h and up are OEM (asks for the manufacturer first)."""
        if code >= 0xC0:
            yield from self.get_oem()     # ipmi_get_oem_sensor_type: no OEM table for this manufacturer
            return "Unknown"
        return generic_sensor_type(code)
