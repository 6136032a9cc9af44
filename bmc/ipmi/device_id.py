"""Get Device ID's response data (IPMI 2.0 section 20.1): one encoder and one decoder for every package."""

from __future__ import annotations

from dataclasses import dataclass

# The Additional Device Support byte, bit 0 first, with ipmitool's names for the bits.
ADDITIONAL_DEVICE_SUPPORT = (
    "Sensor Device", "SDR Repository Device", "SEL Device", "FRU Inventory Device",
    "IPMB Event Receiver", "IPMB Event Generator", "Bridge", "Chassis Device",
)
SUPPORT_FRU_INVENTORY = 0x08
DEVICE_ID_MIN_LEN = 11


@dataclass(frozen=True)
class DeviceId:
    device_id: int = 0x20
    device_revision: int = 0            # bits 3:0
    provides_device_sdrs: bool = False  # device revision bit 7
    firmware_major: int = 0             # firmware revision 1, bits 6:0
    firmware_minor: int = 0             # BCD by convention: 0x12 reads ".12"
    update_in_progress: bool = False    # firmware revision 1 bit 7: device not available
    ipmi_version: int = 0x02            # BCD, low nibble major: 0x02 = 2.0, 0x51 = 1.5
    additional_support: int = 0
    manufacturer_id: int = 0            # 20-bit IANA enterprise number, LS byte first on the wire
    product_id: int = 0
    aux_firmware_revision: bytes | None = None   # 4 optional bytes

    def encode(self) -> bytes:
        m = self.manufacturer_id
        out = bytes((
            self.device_id,
            self.provides_device_sdrs << 7 | self.device_revision,
            self.update_in_progress << 7 | self.firmware_major,
            self.firmware_minor,
            self.ipmi_version,
            self.additional_support,
            m & 0xFF, m >> 8 & 0xFF, m >> 16 & 0x0F,
            self.product_id & 0xFF, self.product_id >> 8,
        ))
        return out + (bytes(self.aux_firmware_revision) if self.aux_firmware_revision else b"")

    @classmethod
    def decode(cls, data: bytes) -> DeviceId:
        """From the response data after the completion code; the 4 auxiliary bytes are optional."""
        if len(data) < DEVICE_ID_MIN_LEN:
            raise ValueError(f"Get Device ID data length {len(data)} too short: need {DEVICE_ID_MIN_LEN} bytes")
        d = data
        return cls(device_id=d[0], device_revision=d[1] & 0x0F, provides_device_sdrs=bool(d[1] & 0x80),
                   firmware_major=d[2] & 0x7F, firmware_minor=d[3], update_in_progress=bool(d[2] & 0x80),
                   ipmi_version=d[4], additional_support=d[5],
                   manufacturer_id=(d[8] & 0x0F) << 16 | d[7] << 8 | d[6], product_id=d[10] << 8 | d[9],
                   aux_firmware_revision=bytes(d[11:15]) if len(d) >= 15 else None)

    @property
    def firmware_revision(self) -> str:
        """``major.minor`` as ipmitool prints it (the BCD minor shown as hex digits)."""
        return f"{self.firmware_major}.{self.firmware_minor:02x}"

    @property
    def ipmi_version_text(self) -> str:
        return f"{self.ipmi_version & 0x0F:x}.{self.ipmi_version >> 4:x}"

    @property
    def support_names(self) -> list[str]:
        return [name for bit, name in enumerate(ADDITIONAL_DEVICE_SUPPORT) if self.additional_support >> bit & 1]
