"""Sensor/Event (NetFn 0x04) commands: event receiver, Platform Event, PEF, Device SDRs, sensors.

IPMI 2.0 chapters 29 (events), 30 (PEF) and 35 (sensor device).  The
sensors themselves live in ``bmc.sensors`` (``bmc/sensors/``); these
handlers unpack requests, check every field and pack replies.  Minimum
privileges are those of the spec's command table (Appendix G); the Device
SDR commands are "local only": the system interface.

Where QEMU's ``ipmi-bmc-sim`` shares a command the bytes follow it, except
its bugs fixed on purpose (qemu-ipmi.md 3.12):

- 14: sensor events fire on every transition, not once per offset;
- 15: Set Sensor Reading's "clear bits" operation clears the given bits;
- 16: Set Sensor Reading works for threshold sensors (their thresholds judge the new reading);
- 17: Set Sensor Reading's operation 00b sends the BMC's own event data;
- 18: Get Sensor Event Status has no leading reading byte;
- 19: Re-arm clears the event status and re-evaluates, so present states generate events again.

Also different from QEMU: a Platform Event takes the
path of every other event (``bmc.raise_event``): logged when system event
logging is enabled, and offered to the event message buffer (QEMU logs it
always and never buffers it).
"""

from __future__ import annotations

from ..ipmi.cc import CompletionCode, IpmiError
from ..ipmi.cmd import SensorEvent
from ..ipmi.msg import Channel, GlobalEnables
from ..ipmi.netfn import NetFn
from ..privilege import Privilege
from ..sensors.pef import PARAMETER_REVISION
from ..sensors.sensor import THRESHOLD_READING, Sensor
from ..sensors.threshold import ThresholdSensor
from .spec import command

SE = NetFn.SENSOR_EVENT
USER, OPERATOR, ADMIN = Privilege.USER, Privilege.OPERATOR, Privilege.ADMINISTRATOR

EVENT_RECORD = 0x02           # SEL record type of a system event
REMOTE_SOFTWARE_ID = 0x81     # generator of a Platform Event from a LAN session: the remote console's SWID
NO_FACTOR_CHANGE = 0xFF       # Get Sensor Reading Factors "next reading": linear, one set for all readings
FIRST, LAST = 0x0000, 0xFFFF


def _invalid(what: str) -> IpmiError:
    return IpmiError(CompletionCode.INVALID_DATA_FIELD, what)


def _illegal(sensor: Sensor, what: str) -> IpmiError:
    return IpmiError(CompletionCode.COMMAND_ILLEGAL_FOR_SENSOR, f"sensor 0x{sensor.number:02X} {what}")


def _sensor(call) -> Sensor:
    return call.bmc.sensors.require(call.data[0])


def _threshold(call, what: str) -> ThresholdSensor:
    s = _sensor(call)
    if not s.is_threshold:
        raise _illegal(s, f"is not a threshold sensor ({what})")
    return s


def _mask16(data: bytes, i: int, what: str) -> int | None:
    """The mask in bytes ``i`` (LSB) and ``i + 1`` (MSB, bit 7 reserved), a missing MSB read as 0;
    None when neither byte is there."""
    if len(data) <= i:
        return None
    msb = data[i + 1] if len(data) > i + 1 else 0
    if msb & 0x80:
        raise _invalid(f"{what} MSB 0x{msb:02X}: bit 7 is reserved")
    return data[i] | msb << 8


def _le16(v: int) -> bytes:
    return bytes((v & 0xFF, v >> 8 & 0xFF))


# -- event commands (chapter 29) ------------------------------------------------------------------


@command(SE, SensorEvent.SET_EVENT_RECEIVER, privilege=ADMIN, req_len=2)
def set_event_receiver(call):
    addr, lun = call.data
    if lun & 0xFC:
        raise _invalid(f"event receiver LUN byte 0x{lun:02X}: bits 7:2 are reserved")
    if addr != 0xFF and addr & 1:
        raise _invalid(f"event receiver address 0x{addr:02X} is not an even IPMB slave address (or FFh)")
    call.bmc.sensors.set_receiver(addr, lun, call.t)
    return b""


@command(SE, SensorEvent.GET_EVENT_RECEIVER, privilege=USER, req_len=0)
def get_event_receiver(call):
    reg = call.bmc.sensors
    return bytes((reg.receiver_address, reg.receiver_lun))


@command(SE, SensorEvent.PLATFORM_EVENT, privilege=OPERATOR, min_len=7, max_len=8)
def platform_event(call):
    """Platform Event Message: the system interface sends the generator (software) ID first; other channels
    do not (their generator is the requester)."""
    data = call.data
    bmc = call.bmc
    if call.channel == Channel.SYSTEM_INTERFACE:
        if len(data) != 8:
            raise IpmiError(CompletionCode.REQUEST_DATA_LENGTH_INVALID,
                            f"Platform Event on the system interface takes 8 bytes, got {len(data)}")
        gen = bytes((data[0], 0x00))
        body = data[1:]
    else:
        if len(data) != 7:
            raise IpmiError(CompletionCode.REQUEST_DATA_LENGTH_INVALID,
                            f"Platform Event on channel {call.channel} takes 7 bytes, got {len(data)}")
        gen = bytes((REMOTE_SOFTWARE_ID, (call.channel & 0x0F) << 4))
        body = data
    if body[3] & 0x7F == 0x00:
        raise _invalid(f"event/reading type 0x{body[3]:02X}: 00h is unspecified")
    logging = bmc.global_enables & GlobalEnables.SYSTEM_EVENT_LOGGING and bmc.event_log is not None
    full = logging and len(bmc.sel) >= bmc.sel.capacity
    stamp = bmc.timestamp(call.t)
    record = bytes((0, 0, EVENT_RECORD)) + stamp.to_bytes(4, "little") + gen + body
    bmc.raise_event(record, call.t)         # a full SEL drops it and sets its overflow flag
    if full:
        raise IpmiError(CompletionCode.OUT_OF_SPACE, "the SEL is full")
    return b""


# -- PEF and alerting (chapter 30) ----------------------------------------------------------------


@command(SE, SensorEvent.GET_PEF_CAPABILITIES, privilege=USER, req_len=0)
def get_pef_capabilities(call):
    return call.bmc.sensors.pef.capabilities()


@command(SE, SensorEvent.ARM_PEF_POSTPONE_TIMER, privilege=ADMIN, req_len=1)
def arm_pef_postpone_timer(call):
    return bytes((call.bmc.sensors.pef.postpone(call.data[0], call.t),))


@command(SE, SensorEvent.SET_PEF_CONFIGURATION_PARAMETERS, privilege=ADMIN, min_len=1, max_len=22)
def set_pef_configuration_parameters(call):
    sel = call.data[0]
    if sel & 0x80:
        raise _invalid(f"parameter selector 0x{sel:02X}: bit 7 is reserved")
    call.bmc.sensors.pef.set(sel, call.data[1:])
    return b""


@command(SE, SensorEvent.GET_PEF_CONFIGURATION_PARAMETERS, privilege=OPERATOR, req_len=3)
def get_pef_configuration_parameters(call):
    sel, set_sel, block = call.data
    rev = bytes((PARAMETER_REVISION,))
    if sel & 0x80:
        return rev            # "get parameter revision only"
    return rev + call.bmc.sensors.pef.get(sel & 0x7F, set_sel, block)


@command(SE, SensorEvent.SET_LAST_PROCESSED_EVENT_ID, privilege=ADMIN, req_len=3)
def set_last_processed_event_id(call):
    which, lo, hi = call.data
    if which & 0xFE:
        raise _invalid(f"record selector 0x{which:02X}: bits 7:1 are reserved")
    pef = call.bmc.sensors.pef
    if which & 1:
        pef.last_bmc_event = lo | hi << 8
    else:
        pef.last_sw_event = lo | hi << 8
    return b""


@command(SE, SensorEvent.GET_LAST_PROCESSED_EVENT_ID, privilege=ADMIN, req_len=0)
def get_last_processed_event_id(call):
    return call.bmc.sensors.pef.last_processed()


# -- Device SDRs (sections 35.2-35.4) --------------------------------------------------------------


@command(SE, SensorEvent.GET_DEVICE_SDR_INFO, privilege=USER, min_len=0, max_len=1, system_interface_only=True)
def get_device_sdr_info(call):
    reg = call.bmc.sensors
    op = call.data[0] if call.data else 0
    if op & 0xFE:
        raise _invalid(f"operation 0x{op:02X}: bits 7:1 are reserved")
    sensors = list(reg)
    count = len(sensors) if op & 1 else sum(1 for s in sensors if s.lun == 0)
    luns = 0
    for s in sensors:
        luns |= 1 << s.lun
    return bytes((min(count, 0xFF), luns))      # bit 7 = 0: static sensor population


@command(SE, SensorEvent.GET_DEVICE_SDR, privilege=USER, req_len=6, system_interface_only=True)
def get_device_sdr(call):
    d = call.data
    reg = call.bmc.sensors
    offset, count = d[4], d[5]
    if offset:
        reg.check_device_reservation(d[0] | d[1] << 8)
    records = reg.device_sdrs()
    rid = d[2] | d[3] << 8
    if not records:
        raise IpmiError(CompletionCode.REQUESTED_DATA_NOT_PRESENT, "no device SDRs")
    i = 0 if rid == FIRST else len(records) - 1 if rid == LAST else rid - 1
    if not 0 <= i < len(records):
        raise IpmiError(CompletionCode.REQUESTED_DATA_NOT_PRESENT, f"no device SDR 0x{rid:04X}")
    record = records[i]
    if offset > len(record):
        raise IpmiError(CompletionCode.PARAMETER_OUT_OF_RANGE, f"offset {offset} beyond the {len(record)}-byte record")
    end = len(record) if count == 0xFF else min(len(record), offset + count)
    nxt = i + 2 if i + 1 < len(records) else LAST
    return _le16(nxt) + record[offset:end]


@command(SE, SensorEvent.RESERVE_DEVICE_SDR_REPOSITORY, privilege=USER, req_len=0, system_interface_only=True)
def reserve_device_sdr_repository(call):
    return _le16(call.bmc.sensors.reserve_device_sdr())


# -- sensors (sections 35.5-35.17) -------------------------------------------------------------------


@command(SE, SensorEvent.GET_SENSOR_READING_FACTORS, privilege=USER, req_len=2)
def get_sensor_reading_factors(call):
    s = _threshold(call, "Get Sensor Reading Factors")
    if s.sdr_kind != "full":
        raise _illegal(s, "has a compact SDR: no reading factors")
    return bytes((NO_FACTOR_CHANGE,)) + s.linear.factor_bytes()


@command(SE, SensorEvent.SET_SENSOR_HYSTERESIS, privilege=OPERATOR, req_len=4)
def set_sensor_hysteresis(call):
    s = _threshold(call, "Set Sensor Hysteresis")
    _, mask, pos, neg = call.data
    if mask != 0xFF:
        raise _invalid(f"hysteresis mask 0x{mask:02X}: reserved, write FFh")
    if not s.settable:
        raise _illegal(s, "has fixed hysteresis")
    s.set_hysteresis(pos, neg, call.t)
    return b""


@command(SE, SensorEvent.GET_SENSOR_HYSTERESIS, privilege=USER, req_len=2)
def get_sensor_hysteresis(call):
    s = _threshold(call, "Get Sensor Hysteresis")
    if call.data[1] != 0xFF:
        raise _invalid(f"hysteresis mask 0x{call.data[1]:02X}: reserved, write FFh")
    return bytes(s.hysteresis)


@command(SE, SensorEvent.SET_SENSOR_THRESHOLD, privilege=OPERATOR, req_len=8)
def set_sensor_threshold(call):
    s = _threshold(call, "Set Sensor Threshold")
    mask = call.data[1]
    if mask & 0xC0:
        raise _invalid(f"threshold mask 0x{mask:02X}: bits 7:6 are reserved")
    if not s.settable_mask:
        raise _illegal(s, "has no settable thresholds")
    s.set_thresholds(mask, call.data[2:8], call.t)
    return b""


@command(SE, SensorEvent.GET_SENSOR_THRESHOLD, privilege=USER, req_len=1)
def get_sensor_threshold(call):
    s = _threshold(call, "Get Sensor Threshold")
    if not s.readable_mask:
        raise _illegal(s, "has no readable thresholds")
    return s.threshold_bytes()


@command(SE, SensorEvent.SET_SENSOR_EVENT_ENABLE, privilege=OPERATOR, min_len=2, max_len=6)
def set_sensor_event_enable(call):
    s = _sensor(call)
    d = call.data
    ctl = d[1]
    if ctl & 0x0F:
        raise _invalid(f"enable byte 0x{ctl:02X}: bits 3:0 are reserved")
    action = ctl >> 4 & 0x03
    if action == 0x03:
        raise _invalid(f"enable byte 0x{ctl:02X}: action 11b is reserved")
    assert_mask = _mask16(d, 2, "assertion event mask")
    deassert_mask = _mask16(d, 4, "deassertion event mask")
    s.set_event_enable(bool(ctl & 0x80), bool(ctl & 0x40), action, assert_mask, deassert_mask, call.t)
    return b""


@command(SE, SensorEvent.GET_SENSOR_EVENT_ENABLE, privilege=USER, req_len=1)
def get_sensor_event_enable(call):
    s = _sensor(call)
    flags = (0x80 if s.events_enabled else 0) | (0x40 if s.scanning_enabled else 0)
    return bytes((flags,)) + _le16(s.assert_enable) + _le16(s.deassert_enable)


@command(SE, SensorEvent.REARM_SENSOR_EVENTS, privilege=OPERATOR, min_len=2, max_len=6)
def rearm_sensor_events(call):
    s = _sensor(call)
    d = call.data
    if d[1] & 0x7F:
        raise _invalid(f"re-arm byte 0x{d[1]:02X}: bits 6:0 are reserved")
    if d[1] & 0x80:
        am = _mask16(d, 2, "assertion re-arm mask") or 0
        dm = _mask16(d, 4, "deassertion re-arm mask") or 0
        s.rearm(am, dm, call.t)
    else:
        s.rearm(None, None, call.t)
    return b""


@command(SE, SensorEvent.GET_SENSOR_EVENT_STATUS, privilege=USER, req_len=1)
def get_sensor_event_status(call):
    # The spec's layout: flags, then assertion and deassertion status; QEMU put the reading first (its bug 18).
    s = _sensor(call)
    a, d = s.event_status(call.t)
    return bytes((s.status_flags(),)) + _le16(a) + _le16(d)


@command(SE, SensorEvent.GET_SENSOR_READING, privilege=USER, req_len=1)
def get_sensor_reading(call):
    return _sensor(call).reading_bytes(call.t)


@command(SE, SensorEvent.SET_SENSOR_TYPE, privilege=OPERATOR, req_len=3)
def set_sensor_type(call):
    s = _sensor(call)
    _, stype, rtype = call.data
    if rtype & 0x80:
        raise _invalid(f"event/reading type 0x{rtype:02X}: bit 7 is reserved")
    if rtype == 0x00 or 0x0D <= rtype <= 0x6E:
        raise _invalid(f"event/reading type 0x{rtype:02X} is unspecified or reserved")
    if (rtype == THRESHOLD_READING) != s.is_threshold:
        raise _illegal(s, f"cannot change between threshold and discrete (0x{s.reading_type:02X} -> 0x{rtype:02X})")
    s.sensor_type, s.reading_type = stype, rtype
    return b""


@command(SE, SensorEvent.GET_SENSOR_TYPE, privilege=USER, req_len=1)
def get_sensor_type(call):
    s = _sensor(call)
    return bytes((s.sensor_type, s.reading_type & 0x7F))


@command(SE, SensorEvent.SET_SENSOR_READING_AND_EVENT_STATUS, privilege=OPERATOR, min_len=3, max_len=10)
def set_sensor_reading_and_event_status(call):
    """Section 35.17.  Operation byte: [7:6] event data (00b the BMC's, 01b the given bytes, 10b the given
    bytes with the BMC's offset), [5:4] assertion and [3:2] deassertion bits (00b keep, 01b write, 10b set
    the given bits, 11b clear them), [1:0] reading (00b keep, 01b write)."""
    s = _sensor(call)
    d = call.data
    op = d[1]
    ed_op, a_op, d_op, r_op = op >> 6, op >> 4 & 3, op >> 2 & 3, op & 3
    if ed_op == 3:
        raise _invalid(f"operation 0x{op:02X}: event data operation 11b is reserved")
    if r_op > 1:
        raise _invalid(f"operation 0x{op:02X}: reading operation {r_op:02b}b is reserved")
    if a_op and len(d) < 5:
        raise _invalid("assertion bits operation without the assertion bytes")
    if d_op and len(d) < 7:
        raise _invalid("deassertion bits operation without the deassertion bytes")
    if ed_op and len(d) < 10:
        raise _invalid("event data operation without event data bytes 1-3")
    abits = _mask16(d, 3, "assertion event bits") or 0
    dbits = _mask16(d, 5, "deassertion event bits") or 0
    t = call.t
    s.update(t)
    s._ed_override = (ed_op, d[7], d[8], d[9]) if ed_op else None
    try:
        if r_op == 1:
            if isinstance(s, ThresholdSensor):
                s.set_raw_reading(d[2], t)
            else:
                s.reading_byte = d[2]
        if a_op or d_op:
            s.write_status(a_op, abits, d_op, dbits, t)
    finally:
        s._ed_override = None
    if ed_op == 1:
        s.emit_given(d[7], d[8], d[9], t)
    return b""

