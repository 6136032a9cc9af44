"""Storage (NetFn 0x0A) commands: FRU inventory, SDR repository, SEL (IPMI 2.0 chapters 31, 33, 34).

The stores themselves (``bmc.fru``, ``bmc.sdr``, ``bmc.sel``) hold the
rules; these handlers only unpack requests and pack replies.  Where QEMU's
``ipmi-bmc-sim`` shares a command the bytes and checks follow it, except
its listed bugs (reference qemu-ipmi.md 3.12), fixed on purpose:

- 5: Add SDR reads the record from the request's start;
- 6: Clear SEL stamps the SEL's last-erase time, not the SDR's;
- 7: Set SEL Time sets the time given (QEMU's offset has the wrong sign);
- 8: every Reserve issues a new id; an add, delete or clear cancels it;
- 9: Get SDR Repository Info counts the records there are;
- 10: Read/Write FRU Data reach the device's last byte.

Reservations are checked as QEMU and the spec's "only required for partial
reads" say: Get SDR and Get SEL Entry check them when the offset is not 0;
Partial Add, Delete and Clear always do.
"""

from __future__ import annotations

from buses.time import S

from ..ipmi.cc import CompletionCode, IpmiError
from ..ipmi.cmd import Storage
from ..ipmi.netfn import NetFn
from ..privilege import Privilege
from ..sel import RECORD_SIZE
from ..store import le16
from .spec import command

STORAGE = NetFn.STORAGE
USER = Privilege.USER
OPERATOR = Privilege.OPERATOR

CLEAR_SIGNATURE = b"CLR"
CLEAR_INITIATE = 0xAA
CLEAR_GET_STATUS = 0x00
ERASURE_COMPLETED = b"\x01"  # erasure progress bits 3:0 = 1h: completed
FRU_ID_RESERVED = 0xFF
MAX_FRU_WRITE = 255          # Write FRU Data answers the count written in one byte


def _invalid(what: str) -> IpmiError:
    return IpmiError(CompletionCode.INVALID_DATA_FIELD, what)


def _word(data: bytes, i: int) -> int:
    return data[i] | data[i + 1] << 8


def _clear(log, call) -> bytes:
    """Clear SEL / Clear SDR Repository: reservation, 'CLR', then 0xAA erase or 0x00 status."""
    data = call.data
    log.check_reservation(_word(data, 0))
    if data[2:5] != CLEAR_SIGNATURE:
        raise _invalid(f"clear signature {data[2:5].hex(' ')} is not 'CLR'")
    op = data[5]
    if op == CLEAR_INITIATE:
        log.clear(call.t)
    elif op != CLEAR_GET_STATUS:
        raise _invalid(f"clear operation 0x{op:02X} (0xAA initiate, 0x00 get status)")
    return ERASURE_COMPLETED  # erasing memory takes no simulated time


def _set_time(call) -> bytes:
    """Set SEL Time / Set SDR Repository Time: the BMC's one clock reads ``value`` now."""
    bmc = call.bmc
    value = int.from_bytes(call.data, "little")
    bmc.sel_time_offset = value - call.t // S
    if bmc.sim.tracer.enabled:
        bmc.sim.trace(call.t, "bmc", bmc.name, "time", value=f"0x{value:08X}")
    return b""


# -- FRU inventory (chapter 34) -------------------------------------------------------------------


@command(STORAGE, Storage.GET_FRU_INVENTORY_AREA_INFO, privilege=USER, req_len=1)
def get_fru_inventory_area_info(call):
    fru_id = call.data[0]
    if fru_id == FRU_ID_RESERVED:
        raise _invalid("FRU device id 0xFF is reserved")
    return call.bmc.fru.device(fru_id).area_info()


@command(STORAGE, Storage.READ_FRU_DATA, privilege=USER, req_len=4)
def read_fru_data(call):
    fru_id, lo, hi, count = call.data
    data = call.bmc.fru.device(fru_id).read(lo | hi << 8, count)
    return bytes((len(data),)) + data


@command(STORAGE, Storage.WRITE_FRU_DATA, privilege=OPERATOR, min_len=3, max_len=3 + MAX_FRU_WRITE)
def write_fru_data(call):
    data = call.data
    written = call.bmc.fru.device(data[0]).write(_word(data, 1), data[3:])
    return bytes((written,))


# -- SDR repository (chapter 33) -------------------------------------------------------------------


@command(STORAGE, Storage.GET_SDR_REPOSITORY_INFO, privilege=USER, req_len=0)
def get_sdr_repository_info(call):
    return call.bmc.sdr.info()


@command(STORAGE, Storage.GET_SDR_REPOSITORY_ALLOCATION_INFO, privilege=USER, req_len=0)
def get_sdr_repository_allocation_info(call):
    return call.bmc.sdr.allocation_info()


@command(STORAGE, Storage.RESERVE_SDR_REPOSITORY, privilege=USER, req_len=0)
def reserve_sdr_repository(call):
    return le16(call.bmc.sdr.reserve())


@command(STORAGE, Storage.GET_SDR, privilege=USER, req_len=6)
def get_sdr(call):
    data = call.data
    sdr = call.bmc.sdr
    offset = data[4]
    if offset:
        sdr.check_reservation(data[0] | data[1] << 8)
    record, next_id = sdr.get(data[2] | data[3] << 8)
    n = len(record)
    if offset > n:
        raise IpmiError(CompletionCode.PARAMETER_OUT_OF_RANGE, f"offset {offset} beyond the {n}-byte record")
    count = data[5]
    # 0xFF reads to the end; a count past the end returns what there is.
    end = n if count == 0xFF else min(n, offset + count)
    return bytes((next_id & 0xFF, next_id >> 8)) + record[offset:end]


@command(STORAGE, Storage.ADD_SDR, privilege=OPERATOR, min_len=5, max_len=255)
def add_sdr(call):
    # QEMU's bug 5 read the record 10 bytes into the request; this is the request data itself.
    return le16(call.bmc.sdr.add(call.data, call.t))


@command(STORAGE, Storage.PARTIAL_ADD_SDR, privilege=OPERATOR, min_len=6, max_len=6 + 255)
def partial_add_sdr(call):
    d = call.data
    return le16(call.bmc.sdr.partial_add(_word(d, 0), _word(d, 2), d[4], d[5], d[6:], call.t))


@command(STORAGE, Storage.DELETE_SDR, privilege=OPERATOR, req_len=4)
def delete_sdr(call):
    sdr = call.bmc.sdr
    sdr.check_reservation(_word(call.data, 0))
    return le16(sdr.delete(_word(call.data, 2), call.t))


@command(STORAGE, Storage.CLEAR_SDR_REPOSITORY, privilege=OPERATOR, req_len=6)
def clear_sdr_repository(call):
    return _clear(call.bmc.sdr, call)


@command(STORAGE, Storage.GET_SDR_REPOSITORY_TIME, privilege=USER, req_len=0)
def get_sdr_repository_time(call):
    return call.bmc.timestamp(call.t).to_bytes(4, "little")


@command(STORAGE, Storage.SET_SDR_REPOSITORY_TIME, privilege=OPERATOR, req_len=4)
def set_sdr_repository_time(call):
    return _set_time(call)


# -- SEL (chapter 31) ----------------------------------------------------------------------------------


@command(STORAGE, Storage.GET_SEL_INFO, privilege=USER, req_len=0)
def get_sel_info(call):
    return call.bmc.sel.info()


@command(STORAGE, Storage.GET_SEL_ALLOCATION_INFO, privilege=USER, req_len=0)
def get_sel_allocation_info(call):
    return call.bmc.sel.allocation_info()


@command(STORAGE, Storage.RESERVE_SEL, privilege=USER, req_len=0)
def reserve_sel(call):
    return le16(call.bmc.sel.reserve())


@command(STORAGE, Storage.GET_SEL_ENTRY, privilege=USER, req_len=6)
def get_sel_entry(call):
    data = call.data
    sel = call.bmc.sel
    offset, count = data[4], data[5]
    if offset:
        sel.check_reservation(_word(data, 0))
    if not len(sel):
        raise IpmiError(CompletionCode.REQUESTED_DATA_NOT_PRESENT, "the SEL is empty")
    if offset >= RECORD_SIZE:
        raise _invalid(f"offset {offset} beyond the 16-byte record")
    if count == 0xFF:
        count = RECORD_SIZE - offset
    elif offset + count > RECORD_SIZE:
        raise _invalid(f"{count} bytes from offset {offset} run past the 16-byte record")
    record, next_id = sel.get(_word(data, 2))
    return le16(next_id) + record[offset:offset + count]


@command(STORAGE, Storage.ADD_SEL_ENTRY, privilege=OPERATOR, req_len=RECORD_SIZE)
def add_sel_entry(call):
    return le16(call.bmc.sel.add(call.data, call.t))


@command(STORAGE, Storage.PARTIAL_ADD_SEL_ENTRY, privilege=OPERATOR, min_len=6, max_len=6 + RECORD_SIZE)
def partial_add_sel_entry(call):
    d = call.data
    return le16(call.bmc.sel.partial_add(_word(d, 0), _word(d, 2), d[4], d[5], d[6:], call.t))


@command(STORAGE, Storage.DELETE_SEL_ENTRY, privilege=OPERATOR, req_len=4)
def delete_sel_entry(call):
    sel = call.bmc.sel
    sel.check_reservation(_word(call.data, 0))
    return le16(sel.delete(_word(call.data, 2), call.t))


@command(STORAGE, Storage.CLEAR_SEL, privilege=OPERATOR, req_len=6)
def clear_sel(call):
    # QEMU's bug 6 stamped the SDR repository's last-erase time; Sel.clear stamps its own.
    return _clear(call.bmc.sel, call)


@command(STORAGE, Storage.GET_SEL_TIME, privilege=USER, req_len=0)
def get_sel_time(call):
    return call.bmc.timestamp(call.t).to_bytes(4, "little")


@command(STORAGE, Storage.SET_SEL_TIME, privilege=OPERATOR, req_len=4)
def set_sel_time(call):
    # QEMU's bug 7 stored now - value as the offset; a later Get then read about 2 x now - value.
    return _set_time(call)


@command(STORAGE, Storage.GET_SEL_TIME_UTC_OFFSET, privilege=USER, req_len=0)
def get_sel_time_utc_offset(call):
    return call.bmc.sel.utc_offset.to_bytes(2, "little", signed=True)


@command(STORAGE, Storage.SET_SEL_TIME_UTC_OFFSET, privilege=OPERATOR, req_len=2)
def set_sel_time_utc_offset(call):
    call.bmc.sel.set_utc_offset(int.from_bytes(call.data, "little", signed=True))
    return b""
