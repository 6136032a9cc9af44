"""The BMC's IPMI command handlers, one module per network function.

Each module declares its handlers with ``@command`` (``bmc.commands.spec``);
nothing is registered on import.  An ``Ipmid`` installs the sets it is given, by
default the ones below, and OEM sets can replace single commands.
"""


def default_command_sets() -> tuple:
    """The modules a plain BMC installs, in order."""
    from . import app, chassis, payload, sensor_event, session, sol, storage, transport  # handlers import the BMC

    return (app, chassis, sensor_event, storage, transport, session, payload, sol)
