"""SSIF's SMBus commands (IPMI 2.0 section 12.14, table 12-9) and limits, for both sides of the bus."""

SSIF_IPMI_REQUEST = 0x02                       # single-part write
SSIF_IPMI_MULTI_PART_REQUEST_START = 0x06
SSIF_IPMI_MULTI_PART_REQUEST_MIDDLE = 0x07
SSIF_IPMI_MULTI_PART_REQUEST_END = 0x08
SSIF_IPMI_RESPONSE = 0x03                      # single-part read, or a multi-part read's start
SSIF_IPMI_MULTI_PART_RESPONSE_MIDDLE = 0x09    # middle and end
SSIF_IPMI_MULTI_PART_RETRY = 0x0A
SSIF_BLOCK = 32                                # an SMBus block
SSIF_MULTI_PART_MARKER = b"\x00\x01"           # a multi-part read's first two bytes
SSIF_LAST_BLOCK = 0xFF

SSIF_COMMANDS = {
    SSIF_IPMI_REQUEST: "single-part write", SSIF_IPMI_MULTI_PART_REQUEST_START: "multi-part write start",
    SSIF_IPMI_MULTI_PART_REQUEST_MIDDLE: "multi-part write middle",
    SSIF_IPMI_MULTI_PART_REQUEST_END: "multi-part write end", SSIF_IPMI_RESPONSE: "read start",
    SSIF_IPMI_MULTI_PART_RESPONSE_MIDDLE: "read middle/end", SSIF_IPMI_MULTI_PART_RETRY: "read retry",
}
