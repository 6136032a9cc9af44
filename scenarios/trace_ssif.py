"""Names each byte on an SMBus carrying SSIF, for ``ipmilab trace`` (the ``bus`` layer's records).

It follows a transfer as the wire shows it: START, the address and direction, the
SMBus command (the SSIF operation), the block count, then the message bytes --
NetFn/LUN, Cmd, CC and data as the KCS decoder names them -- or, in a multi-part
read, the ``00 01`` marker and the block numbers.
"""

from __future__ import annotations

from bmc.ipmi.ssif import SSIF_COMMANDS


class SsifByteDecoder:
    def __init__(self, name_byte):
        # name_byte(msg: bytearray, byte, response: bool) -> str: the message-byte namer (KCS's).
        self.name_byte = name_byte
        self.buses: dict[str, dict] = {}

    def _bus(self, component: str) -> dict:
        if component not in self.buses:
            self.buses[component] = {"dir": None, "n": 0, "cmd": None, "count": None,
                                     "req": bytearray(), "rsp": bytearray()}
        return self.buses[component]

    def explain(self, rec) -> str:
        b = self._bus(rec.component)
        event = rec.event
        fields = dict(rec.fields)
        if event in ("start", "restart"):
            return "START" if event == "start" else "repeated START"
        if event == "stop":
            b["dir"] = None
            return "STOP"
        if event == "stretch":
            return "the target holds SCL low"
        if event == "addr":
            b["dir"], b["n"] = fields.get("rw"), 0
            ack = "ACK" if fields.get("ack") else "NAK: nobody there, or not ready"
            return f"address {fields.get('addr')} {'read' if b['dir'] == 'R' else 'write'}, {ack}"
        if event not in ("write", "read"):
            return ""
        try:
            byte = int(str(fields.get("byte")), 16)
        except ValueError:
            return ""
        i = b["n"]
        b["n"] += 1
        if event == "write":
            if i == 0:
                b["cmd"], b["count"] = byte, None
                return f"SMBus command 0x{byte:02X}: SSIF {SSIF_COMMANDS.get(byte, 'unknown command')}"
            if i == 1:
                b["count"] = byte
                if b["cmd"] in (0x02, 0x06):
                    b["req"] = bytearray()
                return f"block count: {byte}"
            if b["cmd"] == 0x0A and i == 2:
                return f"retry block {byte}"
            return "request " + self.name_byte(b["req"], byte, False)
        # read
        if i == 0:
            return f"block count: {byte}"
        if b["cmd"] == 0x03:
            if i == 1:
                b["rsp"] = bytearray()
                b["marker"] = byte == 0x00
            if b.get("marker") and i in (1, 2):
                if i == 2 and byte != 0x01:
                    b["marker"] = False
                return "multi-part read marker" if b["marker"] else "response " + self.name_byte(b["rsp"], byte, True)
            return "response " + self.name_byte(b["rsp"], byte, True)
        if b["cmd"] == 0x09 and i == 1:
            return "last block" if byte == 0xFF else f"block number {byte}"
        return "response " + self.name_byte(b["rsp"], byte, True)
