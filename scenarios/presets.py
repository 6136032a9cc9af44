"""Fidelity presets: names for a choice of parts and parameters, nothing more.

Every preset builds the same register block, the same BMC-side engine and
the same host driver; it only chooses how the BMC side is attached (ideal,
as QEMU, or through a SoC's channel with firmware timing) and where.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bmc.firmware import FirmwareTiming
from bmc.ipmi.kcs import KCS_DEFAULT_DATA_PORT
from buses.time import ms


@dataclass(frozen=True)
class Preset:
    name: str
    interface: str                 # "kcs" (BT and SSIF join later)
    fidelity: str                  # "ideal" or "full-stack"
    bus: str = "isa"
    io_base: int = KCS_DEFAULT_DATA_PORT
    host_irq: int = 0              # ISA IRQ / SerIRQ number wired to the host, 0 = none
    soc: str | None = None
    kcs_channel: int = 3
    firmware: FirmwareTiming = field(default_factory=FirmwareTiming)
    description: str = ""


PRESETS: dict[str, Preset] = {
    "isa-ipmi-kcs": Preset(
        "isa-ipmi-kcs", "kcs", "ideal", host_irq=5,
        description="QEMU's isa-ipmi-kcs with ipmi-bmc-sim: KCS at 0xCA2, IRQ 5, the BMC answers instantly",
    ),
    "ast2600": Preset(
        "ast2600", "kcs", "full-stack", bus="lpc", host_irq=5, soc="ast2600", kcs_channel=3,
        firmware=FirmwareTiming(daemon_latency=ms(2)),
        description="ASPEED AST2600 LPC KCS channel 3 at 0xCA2 driven by kcs_bmc_aspeed + an OpenBMC-like daemon",
    ),
}


def get_preset(name: str) -> Preset:
    try:
        return PRESETS[name]
    except KeyError:
        raise ValueError(f"preset: unknown value {name!r}; choose one of {', '.join(sorted(PRESETS))}") from None
