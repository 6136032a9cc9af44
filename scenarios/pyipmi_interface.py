"""A python-ipmi interface whose BMC is an ipmilab world.

Scripts written for python-ipmi (PyPI ``python-ipmi``, import ``pyipmi``)
keep working unchanged; only the interface differs::

    import pyipmi
    from scenarios.pyipmi_interface import IpmilabInterface

    ipmi = pyipmi.create_connection(IpmilabInterface(preset="ast2600"))
    ipmi.target = pyipmi.Target(ipmb_address=0x20)
    with ipmi:
        print(ipmi.get_device_id())

Each request goes through the simulated host's message handler, KCS driver,
bus and BMC, and the call returns once the simulation has run to its
response, so python-ipmi sees exactly the bytes a Linux host would read from
``/dev/ipmi0``.  Like python-ipmi's ``ipmidev`` interface it talks to the BMC
on the system interface; bridging to other IPMB targets is not modelled.
"""

from __future__ import annotations

from pyipmi.errors import IpmiTimeoutError
from pyipmi.interfaces.base import Interface
from pyipmi.msgs import constants

from bmc.ipmi.cc import CompletionCode
from buses.time import s

from .world import World


class IpmilabInterface(Interface):
    """python-ipmi interface over an ipmilab ``World`` (built here unless one is given).

    ``world``: an existing world (booted or not); otherwise one is built from
    ``config`` (a TOML path or a dict, see ``scenarios.config``) or from
    ``preset``/``seed``.  ``limit`` bounds the simulated time one request may
    take.  ``results`` keeps each exchange's ``IpmiResult`` (request and
    response bytes, simulated send and completion times).
    """

    NAME = "ipmilab"
    BMC_ADDRESS = 0x20
    MAX_REQUEST_DATA_SIZE = 255

    def __init__(self, world: World | None = None, *, preset: str = "isa-ipmi-kcs", seed: int = 0,
                 config=None, limit: int = s(120), keep_results: bool = True):
        if world is None:
            world = World.from_config(config) if config is not None else World(preset, seed=seed)
        self.world = world
        self.limit = limit
        self.keep_results = keep_results
        self.results: list = []

    # -- what pyipmi.Ipmi calls --------------------------------------------------------------

    def open(self) -> None:
        """Boot the world if its host driver has not probed the BMC yet."""
        if not self.world.host.ready and not self.world.boot(limit=self.limit):
            raise IpmiTimeoutError("the simulated host's driver did not find the BMC")

    def close(self) -> None:
        """Nothing to release: the world stays as it is, to be inspected after the script."""

    def is_system_interface(self, target) -> bool:
        return self._is_bmc(target)

    def is_target_accessible(self, target) -> bool:
        rsp = self.send_and_receive_raw(target, 0, constants.NETFN_APP, bytes((constants.CMDID_GET_DEVICE_ID,)))
        return rsp[:1] == b"\x00"

    def send_and_receive_raw(self, target, lun: int, netfn: int, raw_bytes: bytes) -> bytes:
        """Send ``Cmd, Data...`` to the BMC; return ``CC, Data...`` of its response."""
        if not self._is_bmc(target):
            raise RuntimeError(f"target {target}: ipmilab's interface reaches only the BMC at IPMB address "
                               f"0x{self.BMC_ADDRESS:02X} (bridging is not modelled)")
        raw_bytes = bytes(raw_bytes)
        if not raw_bytes:
            raise ValueError("raw_bytes: empty request, need at least the command byte")
        try:
            result = self.world.request(netfn, raw_bytes[0], raw_bytes[1:], lun=lun, limit=self.limit)
        except TimeoutError as exc:  # the simulation's limit, not the driver's own timeout
            raise IpmiTimeoutError(str(exc)) from None
        if self.keep_results:
            self.results.append(result)
        if result.cc == CompletionCode.TIMEOUT and len(result.raw) == 3:
            # The host's message handler gave up (as Linux returns IPMI_TIMEOUT_COMPLETION_CODE).
            raise IpmiTimeoutError()
        return result.raw[2:]

    # -- helpers ---------------------------------------------------------------------------

    def _is_bmc(self, target) -> bool:
        if target is None:
            return True
        routing = getattr(target, "routing", None) or []
        address = getattr(target, "ipmb_address", None)
        return len(routing) < 2 and address in (None, self.BMC_ADDRESS, self.world.bmc.slave_address)

    @property
    def simulated_time(self) -> int:
        """The world's clock (int ns)."""
        return self.world.sim.now
