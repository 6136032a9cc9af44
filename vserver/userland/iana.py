"""Manufacturer and product names as ``mc info`` prints them (ipmitool's lib/ipmi_strings.c).

Manufacturer names come from the IANA Private Enterprise Numbers registry
that Debian's ipmitool reads (``/usr/share/misc/enterprise-numbers.txt``),
between ipmitool's own head entries (0 "Unknown", FFFFFh "Unspecified") and
tail entry; product names from ipmitool's ``ipmi_oem_product_info`` table.
"""

from __future__ import annotations

import functools
from pathlib import Path

from .cfmt import unknown_val_str
from .ipmitool_products import IPMI_OEM_PICMG, OEM_PRODUCT_INFO

REGISTRY = Path("/usr/share/misc/enterprise-numbers.txt")
IANA_NAME_OFFSET = 2
OEM_INFO_HEAD = {0: "Unknown", 0x0FFFFF: "Unspecified"}          # ipmi_oem_info_head
OEM_INFO_TAIL = {0xFFFFFE: "A Debug Assisting Company, Ltd."}    # ipmi_oem_info_tail


@functools.lru_cache(maxsize=1)
def _registry(path: Path = REGISTRY) -> dict[int, str]:
    """oem_info_list_load: a number at column 0, then a line indented by exactly two spaces naming it."""
    names: dict[int, str] = {}
    try:
        lines = path.read_text(encoding="latin-1").split("\n")
    except OSError:
        return names
    i = 0
    while i < len(lines) - 1:
        line = lines[i]
        i += 1
        digits = len(line) - len(line.lstrip("0123456789"))
        if not digits:
            continue
        name = lines[i]
        i += 1
        if len(name) - len(name.lstrip(" ")) != IANA_NAME_OFFSET:
            continue
        names.setdefault(int(line[:digits]), name[IANA_NAME_OFFSET:])
    return names


def manufacturer_name(manufacturer_id: int) -> str:
    """OEM_MFG_STRING: val2str over head entries, the registry, then the tail."""
    for table in (OEM_INFO_HEAD, _registry(), OEM_INFO_TAIL):
        if manufacturer_id in table:
            return table[manufacturer_id]
    return unknown_val_str(manufacturer_id)


def product_name(manufacturer_id: int, product_id: int) -> str:
    """OEM_PROD_STRING (oemval2str): the first row of this manufacturer, or of PICMG (any manufacturer)."""
    for oem, product, name in OEM_PRODUCT_INFO:
        if oem in (manufacturer_id, IPMI_OEM_PICMG) and product == product_id:
            return name
    return unknown_val_str(product_id)
