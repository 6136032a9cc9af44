"""System Boot Options vocabulary (IPMI 2.0 Table 28-14), spoken by the BMC and by the host's BIOS."""

from enum import IntEnum


class BootParameter(IntEnum):
    """Boot option parameter selectors."""

    SET_IN_PROGRESS = 0
    SERVICE_PARTITION_SELECTOR = 1
    SERVICE_PARTITION_SCAN = 2
    BMC_BOOT_FLAG_VALID_BIT_CLEARING = 3
    BOOT_INFO_ACKNOWLEDGE = 4
    BOOT_FLAGS = 5
    BOOT_INITIATOR_INFO = 6
    BOOT_INITIATOR_MAILBOX = 7


# Boot flags data 1.
BOOT_FLAGS_VALID = 0x80
BOOT_FLAGS_PERSISTENT = 0x40
BOOT_FLAGS_EFI = 0x20

# Boot info acknowledge data 2: a 0 bit means that party has handled the boot info.
BOOT_INFO_ACK_BIOS = 0x01
BOOT_INFO_ACK_OS_LOADER = 0x02
BOOT_INFO_ACK_OS = 0x04
BOOT_INFO_ACK_SMS = 0x08
BOOT_INFO_ACK_OEM = 0x10

# Boot device selector, boot flags data 2 bits 5:2 (0xA and 0xC-0xE are reserved).
BOOT_DEVICES = {
    0x0: "no override",
    0x1: "PXE",
    0x2: "disk",
    0x3: "disk safe mode",
    0x4: "diagnostic partition",
    0x5: "CD/DVD",
    0x6: "BIOS setup",
    0x7: "remote floppy/removable",
    0x8: "remote CD/DVD",
    0x9: "remote primary media",
    0xB: "remote disk",
    0xF: "floppy/removable",
}


def boot_device(flags: bytes) -> int:
    """The boot device selector of the 5 boot flag bytes."""
    return flags[1] >> 2 & 0x0F


def boot_device_name(flags: bytes) -> str:
    return BOOT_DEVICES.get(boot_device(flags), "reserved")
