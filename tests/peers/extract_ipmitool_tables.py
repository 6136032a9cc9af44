"""Write ``vserver/userland/ipmitool_tables.py`` and ``ipmitool_products.py``: ipmitool's name tables, read
from its C source.

    python tests/peers/extract_ipmitool_tables.py SRC vserver/userland

SRC is an ipmitool source tree at tag IPMITOOL_1_8_19 (``git archive
IPMITOOL_1_8_19 lib include``).  Each table is the C array of the same
meaning, strings kept exactly (trailing spaces too), rows in C order.
"""

from __future__ import annotations

import pprint
import re
import sys
from pathlib import Path

STRING = r'"((?:[^"\\]|\\.)*)"'
NUMBER = r"(0x[0-9a-fA-F]+|\d+)"
WIDTH = 112


def body(src: Path, path: str, decl: str) -> str:
    """The text between the braces of the array declared as ``decl``, comments removed."""
    text = (src / path).read_text(errors="replace")
    start = text.index("{", text.index(decl))
    depth = 0
    for end in range(start, len(text)):
        depth += {"{": 1, "}": -1}.get(text[end], 0)
        if depth == 0:
            break
    inner = re.sub(r"/\*.*?\*/", "", text[start + 1:end], flags=re.S)
    return re.sub(r"//[^\n]*", "", inner)


def c_string(raw: str) -> str:
    return bytes(raw, "latin-1").decode("unicode_escape")


def table(name: str, value, note: str) -> str:
    # pformat does not count the "NAME = " in front of its first line.
    return f"# {note}\n{name} = " + pprint.pformat(value, width=WIDTH - len(name) - 3, compact=True)


def main(src: Path) -> tuple[str, str]:
    oem_enum = {m.group(1): int(m.group(2), 0) for m in re.finditer(
        r"(IPMI_OEM_[A-Z0-9_]+)\s*=\s*(0x[0-9A-Fa-f]+|\d+)", (src / "include/ipmitool/ipmi.h").read_text())}
    strings = {name: tuple(c_string(x) for x in re.findall(STRING, body(src, path, decl))) for name, path, decl in (
        ("UNIT_DESC", "lib/ipmi_sdr.c", "static const char *unit_desc[]"),
        ("SENSOR_TYPE_VALS", "lib/ipmi_strings.c", "const char *ipmi_generic_sensor_type_vals[]"),
        ("CHASSIS_TYPE_DESC", "lib/ipmi_fru.c", "static const char * chassis_type_desc[]"))}
    valstr = {name: {int(v, 0): c_string(t) for v, t in re.findall(r"\{\s*" + NUMBER + r"\s*,\s*" + STRING + r"\s*\}",
                                                                     body(src, "lib/ipmi_strings.c", decl))}
              for name, decl in (("COMPLETION_CODE_VALS", "const struct valstr completion_code_vals[]"),
                                 ("ENTITY_ID_VALS", "const struct valstr entity_id_vals[]"))}
    events = {name: tuple((int(c, 0), int(o, 0), int(d, 0), c_string(t)) for c, o, d, t in re.findall(
        r"\{\s*" + r"\s*,\s*".join([NUMBER] * 3) + r"\s*,\s*" + STRING + r"\s*\}",
        body(src, "include/ipmitool/ipmi_sel.h", f"static const struct ipmi_event_sensor_types {decl}[]")))
        for name, decl in (("GENERIC_EVENT_TYPES", "generic_event_types"),
                           ("SENSOR_SPECIFIC_EVENT_TYPES", "sensor_specific_event_types"))}
    products = tuple((oem_enum[o] if o in oem_enum else int(o, 0), int(p, 0), c_string(t)) for o, p, t in re.findall(
        r"\{\s*(IPMI_OEM_[A-Z0-9_]+|" + NUMBER[1:-1] + r")\s*,\s*" + NUMBER + r"\s*,\s*" + STRING + r"\s*\}",
        body(src, "lib/ipmi_strings.c", "const struct oemvalstr ipmi_oem_product_info[]")))
    parts = [
        '"""Names exactly as ipmitool 1.8.19 prints them, read from its C source by\n'
        "tests/peers/extract_ipmitool_tables.py (do not edit by hand).  Strings keep\n"
        'ipmitool\'s spelling, trailing spaces too; rows keep its order."""',
        table("UNIT_DESC", strings["UNIT_DESC"], "lib/ipmi_sdr.c unit_desc[]: sensor unit type codes (Table 43-15)."),
        table("SENSOR_TYPE_VALS", strings["SENSOR_TYPE_VALS"],
              "lib/ipmi_strings.c ipmi_generic_sensor_type_vals[]: sensor type codes (Table 42-3)."),
        table("CHASSIS_TYPE_DESC", strings["CHASSIS_TYPE_DESC"], "lib/ipmi_fru.c chassis_type_desc[]."),
        table("COMPLETION_CODE_VALS", valstr["COMPLETION_CODE_VALS"], "lib/ipmi_strings.c completion_code_vals[]."),
        table("ENTITY_ID_VALS", valstr["ENTITY_ID_VALS"],
              "lib/ipmi_strings.c entity_id_vals[]: entity ID codes (Table 43-13)."),
        table("GENERIC_EVENT_TYPES", events["GENERIC_EVENT_TYPES"],
              "include/ipmitool/ipmi_sel.h generic_event_types[]: (event type, offset, data, text)."),
        table("SENSOR_SPECIFIC_EVENT_TYPES", events["SENSOR_SPECIFIC_EVENT_TYPES"],
              "include/ipmitool/ipmi_sel.h sensor_specific_event_types[]: (sensor type, offset, data, text)."),
    ]
    product_parts = [
        '"""ipmitool 1.8.19\'s product names (``mc info``), read from its C source by\n'
        'tests/peers/extract_ipmitool_tables.py (do not edit by hand)."""',
        table("OEM_PRODUCT_INFO", products,
              "lib/ipmi_strings.c ipmi_oem_product_info[]: (manufacturer, product id, name)."),
        table("IPMI_OEM_PICMG", oem_enum["IPMI_OEM_PICMG"],
              "include/ipmitool/ipmi.h: rows under this manufacturer name a product of any (oemval2str)."),
    ]
    return "\n\n".join(parts) + "\n", "\n\n".join(product_parts) + "\n"


if __name__ == "__main__":
    names, products = main(Path(sys.argv[1]))
    (Path(sys.argv[2]) / "ipmitool_tables.py").write_text(names)
    (Path(sys.argv[2]) / "ipmitool_products.py").write_text(products)
