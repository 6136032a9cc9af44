"""NetFn Storage (0Ah): the command tables of spec chapters 31 (SEL), 33 (SDR repository) and 34 (FRU inventory).

Sections as Appendix G (Table G-1) assigns them, the UTC offset commands
lettered 31.11a and 31.11b; multi-byte IDs and times go LS byte first.
"""

from __future__ import annotations

from ..cmd import Storage as St
from .fields import ERASURE, IN_PROGRESS, REST, bit, blob, byte, clear_request, flags, lay, word

SDR_UPDATE_TYPE = {0b00: "unspecified", 0b01: "non-modal", 0b10: "modal", 0b11: "modal and non-modal"}
UTC_OFFSET = {0x07FF: "unspecified"}     # minutes, -1440..1440 signed


def _info(version: str, count: str, support: tuple) -> tuple:
    """Get SEL Info (31.2) / Get SDR Repository Info (33.9): one shape, the operation support bits differing."""
    return (
        byte(version, 0, {0x51: "IPMI v1.5 / v2.0"}),        # BCD, LS digit first
        word(count, 1),
        word("Free Space in Bytes", 3),
        word("Most Recent Addition Timestamp", 5, 4), word("Most Recent Erase Timestamp", 9, 4),
        bit("Overflow Flag", 13, 7),
        support,
    )


SEL_SUPPORT = flags(13, {3: "Delete SEL Entry Supported", 2: "Partial Add SEL Entry Supported",
                         1: "Reserve SEL Supported", 0: "Get SEL Allocation Information Supported"})
SDR_SUPPORT = (bit("SDR Repository Update Type Supported", 13, 6, 5, SDR_UPDATE_TYPE),
               flags(13, {3: "Delete SDR Supported", 2: "Partial Add SDR Supported",
                          1: "Reserve SDR Repository Supported",
                          0: "Get SDR Repository Allocation Information Supported"}))


ALLOCATION = (
    word("Number of Possible Allocation Units", 0), word("Allocation Unit Size in Bytes", 2),
    word("Number of Free Allocation Units", 4), word("Largest Free Block in Allocation Units", 6),
    byte("Maximum Record Size in Allocation Units", 8),
)


def _partial_add(what: str):
    """Partial Add SEL Entry (31.7) / Partial Add SDR (33.14) request."""
    return (word("Reservation ID", 0), word("Record ID", 2), byte("Offset into Record", 4),
            bit("In Progress", 5, 3, 0, IN_PROGRESS), blob(f"{what} Data", 6, REST, optional=True))


def _get_record(section: str, record_id: str, next_id: str, data: str):
    """Get SEL Entry (31.5) / Get SDR (33.12): the same request and response, named per table."""
    return lay(section,
               request=(word("Reservation ID", 0), word(record_id, 2), byte("Offset into Record", 4),
                        byte("Bytes to Read", 5, {0xFF: "entire record"})),
               response=(word(next_id, 0), blob(data, 2, REST)))


ERASURE_RESPONSE = (bit("Erasure Progress", 0, 3, 0, ERASURE),)
TIME = (word("Time", 0, 4),)             # seconds since 1970-01-01, or since init when below 20000000h

LAYOUTS = {
    # -- chapter 34: FRU inventory ---------------------------------------------------------------------
    St.GET_FRU_INVENTORY_AREA_INFO: lay("34.1",
        request=(byte("FRU Device ID", 0, {0xFF: "reserved"}),),
        response=(word("FRU Inventory Area Size in Bytes", 0),
                  bit("Device is Accessed by", 2, 0, values={0: "bytes", 1: "words"}))),
    St.READ_FRU_DATA: lay("34.2",
        request=(byte("FRU Device ID", 0), word("FRU Inventory Offset to Read", 1), byte("Count to Read", 3)),
        response=(byte("Count Returned", 0), blob("Requested Data", 1, REST))),
    St.WRITE_FRU_DATA: lay("34.3",
        request=(byte("FRU Device ID", 0), word("FRU Inventory Offset to Write", 1),
                 blob("Data to Write", 3, REST, optional=True)),
        response=(byte("Count Written", 0),)),

    # -- chapter 33: SDR repository --------------------------------------------------------------------
    St.GET_SDR_REPOSITORY_INFO: lay("33.9", response=_info("SDR Version", "Record Count", SDR_SUPPORT)),
    St.GET_SDR_REPOSITORY_ALLOCATION_INFO: lay("33.10", response=ALLOCATION),
    St.RESERVE_SDR_REPOSITORY: lay("33.11", response=(word("Reservation ID", 0),)),
    St.GET_SDR: _get_record("33.12", "Record ID of Record to Get", "Record ID for Next Record in Repository",
                             "Requested Bytes from Record"),
    St.ADD_SDR: lay("33.13", request=(blob("SDR Data", 0, REST),),
                    response=(word("Record ID for Added Record", 0),)),
    St.PARTIAL_ADD_SDR: lay("33.14", request=_partial_add("SDR"),
                            response=(word("Record ID for Added Record", 0),)),
    St.DELETE_SDR: lay("33.15", request=(word("Reservation ID", 0), word("Record ID of Record to Delete", 2)),
                       response=(word("Record ID for Deleted Record", 0),)),
    St.CLEAR_SDR_REPOSITORY: lay("33.16", request=clear_request(), response=ERASURE_RESPONSE),
    St.GET_SDR_REPOSITORY_TIME: lay("33.17", response=TIME),
    St.SET_SDR_REPOSITORY_TIME: lay("33.18", request=TIME),

    # -- chapter 31: SEL ---------------------------------------------------------------------------------
    St.GET_SEL_INFO: lay("31.2", response=_info("SEL Version", "Entries", SEL_SUPPORT)),
    St.GET_SEL_ALLOCATION_INFO: lay("31.3", response=ALLOCATION),
    St.RESERVE_SEL: lay("31.4", response=(word("Reservation ID", 0),)),
    St.GET_SEL_ENTRY: _get_record("31.5", "SEL Record ID", "Next SEL Record ID", "Record Data"),
    St.ADD_SEL_ENTRY: lay("31.6", request=(blob("Record Data", 0, 16),),
                          response=(word("Record ID for Added Record", 0),)),
    St.PARTIAL_ADD_SEL_ENTRY: lay("31.7", request=_partial_add("SEL Record"),
                                  response=(word("Record ID for Added Record", 0),)),
    St.DELETE_SEL_ENTRY: lay("31.8", request=(word("Reservation ID", 0), word("SEL Record ID to Delete", 2)),
                             response=(word("Record ID for Deleted Record", 0),)),
    St.CLEAR_SEL: lay("31.9", request=clear_request(), response=ERASURE_RESPONSE),
    St.GET_SEL_TIME: lay("31.10", response=TIME),
    St.SET_SEL_TIME: lay("31.11", request=TIME),
    St.GET_SEL_TIME_UTC_OFFSET: lay("31.11a", response=(word("UTC Offset", 0, values=UTC_OFFSET, signed=True),)),
    St.SET_SEL_TIME_UTC_OFFSET: lay("31.11b", request=(word("UTC Offset", 0, values=UTC_OFFSET, signed=True),)),
}
