"""The payload commands (NetFn App, spec chapter 24) and the SOL configuration commands (NetFn Transport,
chapter 26): their command tables, for ``ipmilab explain`` and the trace decoders.

Activate Payload's fields from Table 24-2; the SOL parameters from Table 26-5.
"""

from __future__ import annotations

from ..cmd import App as A
from ..cmd import Transport as T
from .fields import CHANNEL, REST, bit, blob, byte, lay, parameter_revision, word

PAYLOAD_TYPE = {0x00: "IPMI message", 0x01: "SOL", 0x02: "OEM explicit", 0x10: "RMCP+ Open Session Request",
                0x11: "RMCP+ Open Session Response", 0x12: "RAKP Message 1", 0x13: "RAKP Message 2",
                0x14: "RAKP Message 3", 0x15: "RAKP Message 4"}
SERIAL_ALERTS = {0b00: "fail while SOL active", 0b01: "deferred while SOL active", 0b10: "succeed", 0b11: "reserved"}
PAYLOAD_ACCESS_OPERATION = {0b00: "enable", 0b01: "disable", 0b10: "reserved", 0b11: "reserved"}
SOL_PARAMETER = {0: "Set In Progress", 1: "SOL Enable", 2: "SOL Authentication",
                 3: "Character Accumulate Interval & Send Threshold", 4: "SOL Retry",
                 5: "SOL non-volatile bit rate", 6: "SOL volatile bit rate", 7: "SOL Payload Channel",
                 8: "SOL Payload Port Number"}


def _type_instance():
    return (bit("Payload Type", 0, 5, 0, PAYLOAD_TYPE), bit("Payload Instance", 1, 3, 0))


def _enables(offset: int):
    return (byte("Standard Payload Enables 1 (bit 1 = SOL)", offset), byte("Standard Payload Enables 2", offset + 1),
            byte("OEM Payload Enables 1", offset + 2), byte("OEM Payload Enables 2", offset + 3))


APP_LAYOUTS = {
    A.ACTIVATE_PAYLOAD: lay("24.1",
        request=(_type_instance(), bit("Encryption Activation", 2, 7), bit("Authentication Activation", 2, 6),
                 bit("Shared Serial Alert Behavior", 2, 3, 2, SERIAL_ALERTS),
                 bit("SOL Startup Handshake (BMC deasserts CTS, DCD/DSR)", 2, 1), blob("Reserved", 3, 3)),
        response=(blob("Auxiliary Response Data", 0, 4), word("Inbound Payload Size", 4),
                  word("Outbound Payload Size", 6), word("Payload UDP Port Number", 8),
                  word("Payload VLAN Number", 10))),
    A.DEACTIVATE_PAYLOAD: lay("24.2", request=(_type_instance(), blob("Payload Auxiliary Data", 2, 4))),
    A.GET_PAYLOAD_ACTIVATION_STATUS: lay("24.4",
        request=(bit("Payload Type", 0, 5, 0, PAYLOAD_TYPE),),
        response=(bit("Instance Capacity", 0, 3, 0), byte("Activation Status, Instances 1-8", 1),
                  byte("Activation Status, Instances 9-16", 2))),
    A.GET_PAYLOAD_INSTANCE_INFO: lay("24.5",
        request=_type_instance(),
        response=(word("Session ID", 0, 4), byte("Port Number", 4), blob("Reserved", 5, 7))),
    A.SET_USER_PAYLOAD_ACCESS: lay("24.6",
        request=(bit("Channel Number", 0, 3, 0, CHANNEL), bit("Operation", 1, 7, 6, PAYLOAD_ACCESS_OPERATION),
                 bit("User ID", 1, 5, 0), _enables(2))),
    A.GET_USER_PAYLOAD_ACCESS: lay("24.7",
        request=(bit("Channel Number", 0, 3, 0, CHANNEL), bit("User ID", 1, 5, 0)),
        response=_enables(0)),
    A.GET_CHANNEL_PAYLOAD_SUPPORT: lay("24.8",
        request=(bit("Channel Number", 0, 3, 0, CHANNEL),),
        response=(word("Standard Payload Types 0-15", 0), word("Session Setup Payload Types 10h-1Fh", 2),
                  word("OEM Payload Types 20h-2Fh", 4), word("Reserved", 6))),
    A.GET_CHANNEL_PAYLOAD_VERSION: lay("24.9",
        request=(bit("Channel Number", 0, 3, 0, CHANNEL), byte("Payload Type", 1, PAYLOAD_TYPE)),
        response=(bit("Major Version", 0, 7, 4), bit("Minor Version", 0, 3, 0))),
}

TRANSPORT_LAYOUTS = {
    T.SET_SOL_CONFIGURATION_PARAMETERS: lay("26.2", request=(
        bit("Channel Number", 0, 3, 0, CHANNEL), byte("Parameter Selector", 1, SOL_PARAMETER),
        blob("Configuration Parameter Data", 2, REST),
    )),
    T.GET_SOL_CONFIGURATION_PARAMETERS: lay("26.3",
        request=(bit("Get Parameter Revision Only", 0, 7), bit("Channel Number", 0, 3, 0, CHANNEL),
                 byte("Parameter Selector", 1, SOL_PARAMETER), byte("Set Selector", 2), byte("Block Selector", 3)),
        response=(parameter_revision(), blob("Configuration Parameter Data", 1, REST, optional=True))),
}
