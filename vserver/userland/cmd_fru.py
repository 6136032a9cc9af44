"""``fru print``, as lib/ipmi_fru.c reads and prints it: area by area, never the whole device at once."""

from __future__ import annotations

from dataclasses import dataclass

from bmc.ipmi.cc import CompletionCode
from bmc.ipmi.cmd import App, Storage
from bmc.ipmi.netfn import NetFn

from .cfmt import cc_string, timestamp_string
from .cmd_sdr import FRU_DEVICE_LOCATOR, MC_DEVICE_LOCATOR
from .fru import FruFormatError, decode_fru
from .ipmitool_tables import CHASSIS_TYPE_DESC

OPEN_MAX_RESPONSE = 35           # read_fru_area: max response data size - 1 (count byte) - 1
FRU_BLOCK_SZ = 8
FRU_AREA_MAXIMUM_BLOCK_SZ = 32
FRU_END_OF_FIELDS = 0xC1
SECS_1970_TO_1996 = 820454400
FRU_CC_TOO_BIG = (0xC7, 0xC8, 0xCA)   # fru_cc_rq2big
BCD_PLUS = "0123456789 -.:,_"
BMC_SLAVE_ADDR = 0x20


@dataclass
class FruInfo:
    """struct fru_info: the size Get FRU Inventory Area Info gives, word or byte access, the read size."""

    size: int
    words: bool
    max_read: int = 0


def fru_area_str(data: bytes, at: int) -> tuple[str | None, int]:
    """get_fru_area_str: one type/length field -> (its text, or None when empty; the next offset)."""
    tl = data[at] if at < len(data) else 0
    kind, n = tl >> 6, tl & 0x3F
    at += 1
    raw = bytes(data[at:at + n]).ljust(n, b"\0")
    size = {0: n * 2, 1: n * 2, 2: (n // 3 + 1) * 4, 3: n}[kind]
    if size < 1:
        return None, at
    if kind == 0:
        text = raw.hex()
    elif kind == 1:
        text = "".join(BCD_PLUS[raw[k // 2] >> (0 if k % 2 else 4) & 0x0F] for k in range(size))
    elif kind == 2:
        text = ""
        for i in range(0, n, 3):
            bits = int.from_bytes(raw[i:i + 3], "little")
            text += "".join(chr((bits >> (6 * k) & 0x3F) + 0x20) for k in range(4))
    else:
        text = raw.decode("latin-1")
    return text.split("\0")[0], at + n


# (label, verbose-only) for each fixed field of an area, then its extra fields' label.
CHASSIS_FIELDS = (("Chassis Part Number", False), ("Chassis Serial", False))
BOARD_FIELDS = (("Board Mfg", False), ("Board Product", False), ("Board Serial", False),
                ("Board Part Number", False), ("Board FRU ID", True))
PRODUCT_FIELDS = (("Product Manufacturer", False), ("Product Name", False), ("Product Part Number", False),
                  ("Product Version", False), ("Product Serial", False), ("Product Asset Tag", False),
                  ("Product FRU ID", True))


class FruCommands:
    def read_fru_area(self, fru_id: int, fru: FruInfo, offset: int, length: int):
        """Generator: read_fru_area -> the bytes, or None when a read failed."""
        if offset > fru.size:
            self.out.error(f"Read FRU Area offset incorrect: {offset} > {fru.size}")
            return None
        finish = offset + length
        buf = bytearray(length)
        if finish > fru.size:
            self.out.error(f"Read FRU Area length {finish} too large, Adjusting to {fru.size - offset}")
            finish = fru.size
        if not fru.max_read:
            fru.max_read = min(OPEN_MAX_RESPONSE - 1 - 1, 255)
            if fru.words:
                fru.max_read &= ~1
        off, filled = offset, 0
        while off < finish:
            at = off >> 1 if fru.words else off
            n = min(finish - off, fru.max_read)
            r = yield from self.request(NetFn.STORAGE, Storage.READ_FRU_DATA,
                                        bytes((fru_id, at & 0xFF, at >> 8 & 0xFF, n)))
            if r is None:
                self.out.error("FRU Read failed")
                break
            if r.cc != CompletionCode.SUCCESS:
                if r.cc in FRU_CC_TOO_BIG and fru.max_read > FRU_BLOCK_SZ:
                    fru.max_read -= FRU_BLOCK_SZ if fru.max_read > FRU_AREA_MAXIMUM_BLOCK_SZ else 1
                    continue
                self.out.error(f"FRU Read failed: {cc_string(r.cc)}")
                break
            got = r.data[0] << 1 if fru.words else r.data[0]
            if got > len(r.data) - 1 or got > length - filled:
                self.out.write(" Not enough buffer size")
                return None
            buf[filled:filled + got] = r.data[1:1 + got]
            off, filled = off + got, filled + got
            if got == 0 and off < finish:
                return bytes(buf)       # the Info size was too large: parse what there is
        return bytes(buf) if off >= finish else None

    def _print_area(self, fru_id: int, fru: FruInfo, offset: int, kind: str, image: bytearray):
        """Generator: fru_area_print_chassis/board/product: the area's length, the area, its fields."""
        head = yield from self.read_fru_area(fru_id, fru, offset, 2)
        length = 8 * head[1] if head is not None else 0
        if not length:
            return
        data = yield from self.read_fru_area(fru_id, fru, offset, length)
        if data is None:
            return
        image[offset:offset + length] = data[:max(0, len(image) - offset)]
        out = self.out
        if kind == "chassis":
            chassis_type = data[2] if data[2] < len(CHASSIS_TYPE_DESC) else 2
            out.write(f" Chassis Type          : {CHASSIS_TYPE_DESC[chassis_type]}\n")
            at, fields, extra = 3, CHASSIS_FIELDS, "Chassis Extra"
        elif kind == "board":
            minutes = int.from_bytes(data[3:6], "little")
            stamp = 0xFFFFFFFF if minutes == 0 else minutes * 60 + SECS_1970_TO_1996
            out.write(f" Board Mfg Date        : {timestamp_string(stamp)}\n")
            at, fields, extra = 6, BOARD_FIELDS, "Board Extra"
        else:
            at, fields, extra = 3, PRODUCT_FIELDS, "Product Extra"
        for label, verbose_only in fields:
            text, at = fru_area_str(data, at)
            if text and not verbose_only:
                out.write(f" {label:<21} : {text}\n")
        while at < length and data[at] != FRU_END_OF_FIELDS:
            start = at
            text, at = fru_area_str(data, at)
            if text:
                out.write(f" {extra:<21} : {text}\n")
            if at == start:
                break

    def fru_print(self, fru_id: int):
        """__ipmi_fru_print: Get FRU Inventory Area Info, the common header, then each area it points at."""
        out = self.out
        r = yield from self.request(NetFn.STORAGE, Storage.GET_FRU_INVENTORY_AREA_INFO, bytes((fru_id,)))
        if r is None or r.cc != CompletionCode.SUCCESS:
            out.write(f" Device not present ({'No Response' if r is None else cc_string(r.cc)})\n")
            return -1
        fru = FruInfo(r.data[0] | r.data[1] << 8, bool(r.data[2] & 1))
        if fru.size < 1:
            out.error(f" Invalid FRU size {fru.size}")
            return -1
        r = yield from self.request(NetFn.STORAGE, Storage.READ_FRU_DATA, bytes((fru_id, 0, 0, 8)))
        if r is None or r.cc != CompletionCode.SUCCESS:
            out.write(f" Device not present ({'No Response' if r is None else cc_string(r.cc)})\n")
            return 1
        header = bytes(r.data[1:9]).ljust(8, b"\0")
        if header[0] != 1:
            out.error(f" Unknown FRU header version 0x{header[0]:02x}")
            return -1
        image = bytearray(fru.size)
        image[:8] = header[:fru.size]
        for slot, kind in ((2, "chassis"), (3, "board"), (4, "product")):
            if header[slot] * 8 >= 8:
                yield from self._print_area(fru_id, fru, header[slot] * 8, kind, image)
        self._fru_data(fru_id, bytes(image))
        return 0      # the multi-record area is shown only with -v

    def _fru_data(self, fru_id: int, image: bytes) -> None:
        """--json: the areas read, decoded (the first FRU printed also at the top level)."""
        try:
            item = {"fru_id": fru_id, **decode_fru(image).as_dict()}
        except FruFormatError as exc:
            item = {"fru_id": fru_id, "size": len(image), "error": str(exc)}
        if "frus" not in self.out.data:
            self.out.data.update(item)
        self.out.data.setdefault("frus", []).append(item)

    def fru_print_all(self):
        """ipmi_fru_print_all: the built-in FRU 0 (when Get Device ID says there is one), then each FRU the
        SDR repository's locators name."""
        out = self.out
        out.write("FRU Device Description : Builtin FRU Device (ID 0)\n")
        r = yield from self.request(NetFn.APP, App.GET_DEVICE_ID)
        if r is None or r.cc != CompletionCode.SUCCESS:
            out.error("Get Device ID command failed" + ("" if r is None else f": {cc_string(r.cc)}"))
            return -1
        rc = 0
        if r.data[5] & 0x08:      # FRU Inventory Device
            rc = yield from self.fru_print(0)
            out.write("\n")
        itr = yield from self.sdr_start()
        if itr is None:
            return -1
        while True:
            header = yield from self.sdr_next_header(itr)
            if header is None:
                return rc
            if header.type == MC_DEVICE_LOCATOR:
                mc = yield from self.sdr_get_record(header, itr)
                # A satellite controller's FRU 0 would be read through IPMB (Send Message): the BMC's own
                # locator (address 20h, the tool's target) is skipped.
                if mc is not None and mc.capabilities & 0x08 and mc.slave_address != BMC_SLAVE_ADDR:
                    out.error(f"FRU Device Description : {mc.name}: a satellite controller at "
                              f"{mc.slave_address:02X}h is not reached from here")
                continue
            if header.type != FRU_DEVICE_LOCATOR:
                continue
            loc = yield from self.sdr_get_record(header, itr)
            if loc is None or not loc.logical:
                continue
            rc = yield from self.fru_print_locator(loc)

    def fru_print_locator(self, loc):
        """Generator: ipmi_fru_print: a logical FRU device named by its locator record."""
        modifier = loc.raw[11] if len(loc.raw) > 11 else 0
        if loc.device_type != 0x10 and (modifier != 0x02 or not 0x08 <= loc.device_type <= 0x0F):
            return -1
        if loc.device_address == BMC_SLAVE_ADDR and loc.fru_device_id == 0:
            return 0
        name = loc.raw[16:16 + (loc.raw[15] & 0x1F)].split(b"\0")[0].decode("latin-1")
        self.out.write(f"FRU Device Description : {name} (ID {loc.fru_device_id})\n")
        rc = 0
        if modifier in (0x00, 0x02):
            rc = yield from self.fru_print(loc.fru_device_id)
        else:
            self.out.write(" Unsupported device\n")     # SPD (modifier 01h) is decoded by dimm_spd.c
        self.out.write("\n")
        return rc

    def print_entity_frus(self, entity_id: int, instance: int):
        """Generator: ipmi_sdr_find_sdr_byentity over the cached walk, then each FRU locator printed."""
        found = []

        def visit(rec):
            eid, inst = getattr(rec, "entity_id", None), getattr(rec, "entity_instance", None)
            if eid == entity_id and (instance == 0x7F or inst == instance):
                found.append(rec)
            return False
            yield  # a generator like every visitor

        yield from self.sdr_walk(visit)
        for rec in found:
            if rec.record_type == FRU_DEVICE_LOCATOR:
                yield from self.fru_print_locator(rec)
