"""NetFn Sensor/Event (04h): the command tables of spec chapters 29 (event commands), 30 (PEF and alerting)
and 35 (sensor device commands).

Sections as Appendix G (Table G-1) assigns them; Get Sensor Reading's fields
from Table 35-15, the reading factors' from the full SDR's (Table 43-1).
"""

from __future__ import annotations

from ..cmd import SensorEvent as S
from .fields import ENABLE_ACTION, REST, bit, blob, byte, flags, lay, parameter_revision, word

THRESHOLDS = ("Lower Non-Critical", "Lower Critical", "Lower Non-Recoverable",
              "Upper Non-Critical", "Upper Critical", "Upper Non-Recoverable")
EVENT_DIRECTION = {0: "assertion", 1: "deassertion"}
POSTPONE = {0x00: "disable postpone timer", 0xFE: "temporary PEF disable", 0xFF: "get present countdown value"}
LAST_PROCESSED_BY = {0: "software", 1: "BMC"}
EVENT_DATA_OPERATION = {0b00: "BMC's own event data", 0b01: "write given event data bytes",
                        0b10: "given bytes, BMC's offset", 0b11: "reserved"}
BITS_OPERATION = {0b00: "don't change", 0b01: "write", 0b10: "set given bits", 0b11: "clear given bits"}
READING_OPERATION = {0b00: "don't change", 0b01: "write", 0b10: "reserved", 0b11: "reserved"}


def _threshold_mask(offset: int, verb: str):
    # Bit 0 is the lower non-critical threshold up to bit 5, upper non-recoverable.
    return flags(offset, {i: f"{verb} {name} Threshold" for i, name in enumerate(THRESHOLDS)})


def _event_bytes(offset: int, what: str, optional: bool = True):
    """Four event mask / status bytes: assertion 7:0, 14:8, deassertion 7:0, 14:8."""
    return tuple(byte(f"{kind} {what} {span}", offset + i, optional=optional)
                 for i, (kind, span) in enumerate((("Assertion", "7:0"), ("Assertion", "14:8"),
                                                   ("Deassertion", "7:0"), ("Deassertion", "14:8"))))


def _scanning(offset: int, unavailable: bool):
    fields = [bit("Event Messages Enabled", offset, 7), bit("Sensor Scanning Enabled", offset, 6)]
    if unavailable:
        fields.append(bit("Reading/State Unavailable", offset, 5))
    return tuple(fields)


LAYOUTS = {
    # -- chapter 29 -------------------------------------------------------------------------------------
    S.SET_EVENT_RECEIVER: lay("29.1", request=(
        byte("Event Receiver Slave Address", 0, {0xFF: "disable message generation"}),
        bit("Event Receiver LUN", 1, 1, 0),
    )),
    S.GET_EVENT_RECEIVER: lay("29.2", response=(
        byte("Event Receiver Slave Address", 0, {0xFF: "message generation disabled"}),
        bit("Event Receiver LUN", 1, 1, 0),
    )),
    # 29.3: the system interface form, led by the Generator ID; over IPMB or LAN the requester is the generator,
    # that byte is absent and the rest sits one byte earlier (the dispatcher's 7-byte lower bound).
    S.PLATFORM_EVENT: lay("29.3", request=(
        byte("Generator ID", 0), byte("EvMRev", 1, {0x03: "IPMI 1.0", 0x04: "IPMI 1.5+"}),
        byte("Sensor Type", 2), byte("Sensor Number", 3),
        bit("Event Dir", 4, 7, values=EVENT_DIRECTION), bit("Event Type", 4, 6, 0),
        byte("Event Data 1", 5), byte("Event Data 2", 6), byte("Event Data 3", 7),
    )),

    # -- chapter 30 -------------------------------------------------------------------------------------
    S.GET_PEF_CAPABILITIES: lay("30.1", response=(
        byte("PEF Version", 0, {0x51: "1.5"}),
        bit("OEM Event Record Filtering Supported", 1, 7),
        flags(1, {b: f"Action Support: {a}" for b, a in ((5, "Diagnostic Interrupt"), (4, "OEM Action"),
                                                         (3, "Power Cycle"), (2, "Reset"), (1, "Power Down"),
                                                         (0, "Alert"))}),
        byte("Number of Event Filter Table Entries", 2),
    )),
    S.ARM_PEF_POSTPONE_TIMER: lay("30.2", request=(byte("PEF Postpone Timeout", 0, POSTPONE),),
                                  response=(byte("Present Timer Countdown Value", 0),)),
    S.SET_PEF_CONFIGURATION_PARAMETERS: lay("30.3", request=(
        bit("Parameter Selector", 0, 6, 0), blob("Configuration Parameter Data", 1, REST, optional=True),
    )),
    S.GET_PEF_CONFIGURATION_PARAMETERS: lay("30.4",
        request=(bit("Get Parameter Revision Only", 0, 7), bit("Parameter Selector", 0, 6, 0),
                 byte("Set Selector", 1), byte("Block Selector", 2)),
        response=(parameter_revision(), blob("Configuration Parameter Data", 1, REST, optional=True))),
    S.SET_LAST_PROCESSED_EVENT_ID: lay("30.5", request=(
        bit("Set Record ID for Last Record Processed by", 0, 0, values=LAST_PROCESSED_BY), word("Record ID", 1),
    )),
    S.GET_LAST_PROCESSED_EVENT_ID: lay("30.6", response=(
        word("Most Recent Addition Timestamp", 0, 4), word("Record ID for Last Record in SEL", 4),
        word("Last SW Processed Event Record ID", 6), word("Last BMC Processed Event Record ID", 8),
    )),

    # -- chapter 35 -------------------------------------------------------------------------------------
    S.GET_DEVICE_SDR_INFO: lay("35.2",
        request=(bit("Operation", 0, 0, values={0: "get sensor count", 1: "get SDR count"}, optional=True),),
        response=(
            byte("Number of Sensors", 0),                 # or of SDRs, as the request's operation asked
            bit("Sensor Population", 1, 7, values={0: "static", 1: "dynamic"}),
            flags(1, {3: "LUN 3 Has Sensors", 2: "LUN 2 Has Sensors", 1: "LUN 1 Has Sensors",
                      0: "LUN 0 Has Sensors"}),
            word("Sensor Population Change Indicator", 2, 4, optional=True),   # dynamic population only
        )),
    S.GET_DEVICE_SDR: lay("35.3",
        request=(word("Reservation ID", 0), word("Record ID", 2), byte("Offset into Record", 4),
                 byte("Bytes to Read", 5, {0xFF: "entire record"})),
        response=(word("Record ID for Next Record", 0), blob("Requested Bytes from Record", 2, REST))),
    S.RESERVE_DEVICE_SDR_REPOSITORY: lay("35.4", response=(word("Reservation ID", 0),)),
    # 35.5: bytes 3-8 are the full SDR's bytes 25-30 (Table 43-1), their direction bits reserved here.
    S.GET_SENSOR_READING_FACTORS: lay("35.5",
        request=(byte("Sensor Number", 0), byte("Reading Byte", 1)),
        response=(
            byte("Next Reading", 0, {0xFF: "same factors for all readings"}),
            byte("M (LS 8 bits)", 1), bit("M (MS 2 bits)", 2, 7, 6), bit("Tolerance", 2, 5, 0),
            byte("B (LS 8 bits)", 3), bit("B (MS 2 bits)", 4, 7, 6), bit("Accuracy (LS 6 bits)", 4, 5, 0),
            bit("Accuracy (MS 4 bits)", 5, 7, 4), bit("Accuracy exp", 5, 3, 2),
            bit("R (result) exponent", 6, 7, 4), bit("B exponent", 6, 3, 0),
        )),
    S.SET_SENSOR_HYSTERESIS: lay("35.6", request=(
        byte("Sensor Number", 0), byte("Hysteresis Mask", 1),   # reserved: FFh
        byte("Positive-going Threshold Hysteresis Value", 2), byte("Negative-going Threshold Hysteresis Value", 3),
    )),
    S.GET_SENSOR_HYSTERESIS: lay("35.7",
        request=(byte("Sensor Number", 0), byte("Hysteresis Mask", 1)),
        response=(byte("Positive-going Threshold Hysteresis Value", 0),
                  byte("Negative-going Threshold Hysteresis Value", 1))),
    S.SET_SENSOR_THRESHOLD: lay("35.8", request=(
        byte("Sensor Number", 0), _threshold_mask(1, "Set"),
        tuple(byte(f"{name} Threshold", 2 + i) for i, name in enumerate(THRESHOLDS)),
    )),
    S.GET_SENSOR_THRESHOLD: lay("35.9",
        request=(byte("Sensor Number", 0),),
        response=(_threshold_mask(0, "Readable"),
                  tuple(byte(f"{name} Threshold", 1 + i) for i, name in enumerate(THRESHOLDS)))),
    S.SET_SENSOR_EVENT_ENABLE: lay("35.10", request=(
        byte("Sensor Number", 0), _scanning(1, False), bit("Event Enable Action", 1, 5, 4, ENABLE_ACTION),
        _event_bytes(2, "Event Message Enables"),
    )),
    S.GET_SENSOR_EVENT_ENABLE: lay("35.11",
        request=(byte("Sensor Number", 0),),
        response=(_scanning(0, False), _event_bytes(1, "Event Message Enables"))),
    S.REARM_SENSOR_EVENTS: lay("35.12", request=(
        byte("Sensor Number", 0),
        bit("Re-arm Selected Events", 1, 7, values={0: "re-arm all event status", 1: "re-arm selected events"}),
        _event_bytes(2, "Event Re-arm"),
    )),
    S.GET_SENSOR_EVENT_STATUS: lay("35.13",
        request=(byte("Sensor Number", 0),),
        response=(_scanning(0, True), _event_bytes(1, "Event Status"))),
    # 35.14: byte 4 is the threshold comparison status, or discrete states 7:0; byte 5 states 14:8 (discrete).
    S.GET_SENSOR_READING: lay("35.14",
        request=(byte("Sensor Number", 0),),
        response=(
            byte("Sensor Reading", 0), _scanning(1, True),
            byte("Threshold Comparison Status / States 7:0", 2),
            bit("States 14:8", 3, 6, 0, optional=True),
        )),
    S.SET_SENSOR_TYPE: lay("35.15", request=(
        byte("Sensor Number", 0), byte("Sensor Type", 1), bit("Event/Reading Type Code", 2, 6, 0),
    )),
    S.GET_SENSOR_TYPE: lay("35.16",
        request=(byte("Sensor Number", 0),),
        response=(byte("Sensor Type", 0), bit("Event/Reading Type Code", 1, 6, 0))),
    S.SET_SENSOR_READING_AND_EVENT_STATUS: lay("35.17", request=(
        byte("Sensor Number", 0),
        bit("Event Data Bytes Operation", 1, 7, 6, EVENT_DATA_OPERATION),
        bit("Assertion Bits Operation", 1, 5, 4, BITS_OPERATION),
        bit("Deassertion Bits Operation", 1, 3, 2, BITS_OPERATION),
        bit("Sensor Reading Operation", 1, 1, 0, READING_OPERATION),
        byte("Sensor Reading", 2),
        _event_bytes(3, "Event"),
        byte("Event Data 1", 7, optional=True), byte("Event Data 2", 8, optional=True),
        byte("Event Data 3", 9, optional=True),
    )),
}
