"""Presets: names for a choice of parts and parameters, nothing more.

A preset is data.  It says which bus the system interface sits on, where
(I/O address, or a PCI function whose BAR the host's enumeration assigns),
which interrupt, which SoC channel serves it, whether the BMC side is
attached *ideal* (QEMU-like: the device answers inside the host's access)
or through *firmware* on a SoC (interrupt latency, MMIO cost, a daemon),
and the firmware's timing.  ``scenarios.parts`` turns the names into
parts; nothing else looks at them.  A preset offers one or more system
interfaces (a SoC has KCS channels and a BT); a world uses one of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bmc.firmware import FirmwareTiming
from bmc.ipmi.bt import BT_DEFAULT_BASE
from bmc.ipmi.kcs import KCS_DEFAULT_DATA_PORT
from buses.time import ms

# QEMU's defaults: isa-ipmi-kcs ioport 0xCA2 irq 5, isa-ipmi-bt ioport 0xE4 irq 5 (hw/ipmi/isa_ipmi_*.c).
QEMU_ISA_IRQ = 5
QEMU_SSIF_ADDRESS = 0x10      # smbus-ipmi's address in QEMU's examples (the property's default is 0)


@dataclass(frozen=True)
class SystemInterface:
    """One system interface a preset offers the host."""

    kind: str                     # "kcs", "bt" or "ssif" (the host's driver table and the device tables)
    address: int | None = None    # I/O base (SSIF: the I2C address); None on PCI: enumeration assigns the BAR
    irq: int = 0                  # ISA IRQ or LPC SerIRQ; 0 = none; PCI routes INTA instead
    channel: int | None = None    # the SoC's channel number (KCS 1-4); None where there is one


@dataclass(frozen=True)
class Preset:
    name: str
    bus: str                      # "isa", "pci" (QEMU's buses) or "lpc" (a BMC SoC's host interface)
    attachment: str               # "ideal" or "firmware"
    interfaces: tuple[SystemInterface, ...]
    soc: str | None = None        # the SoC whose firmware serves a "firmware" preset
    firmware: FirmwareTiming = field(default_factory=FirmwareTiming)
    description: str = ""

    @property
    def fidelity(self) -> str:
        return "ideal" if self.attachment == "ideal" else "full-stack"

    @property
    def interface(self) -> str:
        """The default interface's kind."""
        return self.interfaces[0].kind

    def system_interface(self, kind: str | None = None) -> SystemInterface:
        if kind is None:
            return self.interfaces[0]
        for si in self.interfaces:
            if si.kind == kind:
                return si
        have = ", ".join(si.kind for si in self.interfaces)
        raise ValueError(f"interface: preset {self.name} has no {kind!r} interface (it has {have})")


_OPENBMC_FIRMWARE = FirmwareTiming(daemon_latency=ms(2))
# KCS3 at 0xCA2 with SerIRQ 5 as the SMBIOS record says; the iBT where bt-bmc puts it (0xE4, SerIRQ 10).
ASPEED_BT_SERIRQ = 10
# SSIF: ssif_bmc at I2C address 0x10 on the SoC's I2C bus 1, wired to the host's SMBus (no alert wire).
ASPEED_SSIF_BUS = 1
_ASPEED_INTERFACES = (SystemInterface("kcs", KCS_DEFAULT_DATA_PORT, QEMU_ISA_IRQ, channel=3),
                      SystemInterface("bt", BT_DEFAULT_BASE, ASPEED_BT_SERIRQ),
                      SystemInterface("ssif", QEMU_SSIF_ADDRESS, channel=ASPEED_SSIF_BUS))

PRESETS: dict[str, Preset] = {
    p.name: p for p in (
        Preset("isa-ipmi-kcs", "isa", "ideal", (SystemInterface("kcs", KCS_DEFAULT_DATA_PORT, QEMU_ISA_IRQ),),
               description="QEMU's isa-ipmi-kcs with ipmi-bmc-sim: KCS at 0xCA2, IRQ 5, the BMC answers at once"),
        Preset("isa-ipmi-bt", "isa", "ideal", (SystemInterface("bt", BT_DEFAULT_BASE, QEMU_ISA_IRQ),),
               description="QEMU's isa-ipmi-bt with ipmi-bmc-sim: BT at 0xE4, IRQ 5, the BMC answers at once"),
        Preset("pci-ipmi-kcs", "pci", "ideal", (SystemInterface("kcs"),),
               description="QEMU's pci-ipmi-kcs: KCS in an 8-byte I/O BAR the host's enumeration assigns, INTA"),
        Preset("pci-ipmi-bt", "pci", "ideal", (SystemInterface("bt"),),
               description="QEMU's pci-ipmi-bt: BT in an 8-byte I/O BAR the host's enumeration assigns, INTA"),
        Preset("smbus-ipmi", "smbus", "ideal", (SystemInterface("ssif", QEMU_SSIF_ADDRESS),),
               description="QEMU's smbus-ipmi (q35): SSIF at I2C address 0x10 on the ICH9 SMBus, 100 kHz, no alert"),
        Preset("ast2500", "lpc", "firmware", _ASPEED_INTERFACES, soc="ast2500", firmware=_OPENBMC_FIRMWARE,
               description="ASPEED AST2500: LPC KCS3 at 0xCA2 (kcs_bmc_aspeed) and iBT at 0xE4 (bt-bmc), one "
                           "shared LPC interrupt, behind OpenBMC-like bridge daemons"),
        Preset("ast2600", "lpc", "firmware", _ASPEED_INTERFACES, soc="ast2600", firmware=_OPENBMC_FIRMWARE,
               description="ASPEED AST2600: LPC KCS3 at 0xCA2 (kcs_bmc_aspeed) and iBT at 0xE4 (bt-bmc), one "
                           "GIC interrupt each, behind OpenBMC-like bridge daemons"),
        Preset("npcm7xx", "lpc", "firmware", (SystemInterface("kcs", KCS_DEFAULT_DATA_PORT, QEMU_ISA_IRQ, channel=1),),
               soc="npcm7xx", firmware=_OPENBMC_FIRMWARE,
               description="Nuvoton NPCM7xx: KCS1 at 0xCA2 (kcs_bmc_npcm7xx, a real output-buffer-empty "
                           "interrupt, three channels on one shared GIC input), behind OpenBMC-like daemons"),
    )
}


def get_preset(name: str) -> Preset:
    try:
        return PRESETS[name]
    except KeyError:
        raise ValueError(f"preset: unknown value {name!r}; choose one of {', '.join(sorted(PRESETS))}") from None
