"""NetFn Transport (0Ch): Get/Set LAN Configuration Parameters (spec sections 23.1, 23.2; Table 23-4 the data)."""

from __future__ import annotations

from ..cmd import Transport as T
from .fields import CHANNEL, REST, bit, blob, byte, lay, parameter_revision

LAYOUTS = {
    T.SET_LAN_CONFIGURATION_PARAMETERS: lay("23.1", request=(
        bit("Channel Number", 0, 3, 0, CHANNEL), byte("Parameter Selector", 1),
        blob("Configuration Parameter Data", 2, REST),
    )),
    T.GET_LAN_CONFIGURATION_PARAMETERS: lay("23.2",
        request=(bit("Get Parameter Revision Only", 0, 7), bit("Channel Number", 0, 3, 0, CHANNEL),
                 byte("Parameter Selector", 1), byte("Set Selector", 2), byte("Block Selector", 3)),
        response=(parameter_revision(), blob("Configuration Parameter Data", 1, REST, optional=True))),
}
