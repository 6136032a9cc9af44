"""``raw``, as lib/ipmi_raw.c sends and prints it."""

from __future__ import annotations

from bmc.ipmi.cc import CompletionCode

from .cfmt import cc_string


class RawCommands:
    def raw(self, netfn: int, cmd: int, data: bytes):
        """ipmi_raw_main: one request; the answer's data bytes, 16 a line, or ipmitool's sentence on stderr."""
        out = self.out
        r = yield from self.request(netfn, cmd, data)
        where = f"channel=0x0 netfn=0x{netfn:x} lun=0x0 cmd=0x{cmd:x}"
        out.data = {"netfn": netfn, "cmd": cmd, "request": data.hex()}
        if r is None:
            out.error(f"Unable to send RAW command ({where})")
            return -1
        out.data.update(cc=r.cc, cc_name=cc_string(r.cc), data=r.data.hex())
        if r.cc != CompletionCode.SUCCESS:
            out.error(f"Unable to send RAW command ({where} rsp=0x{r.cc:x}): {cc_string(r.cc)}")
            return -1
        text = "".join(("\n" if i and i % 16 == 0 else "") + f" {b:02x}" for i, b in enumerate(r.data))
        out.write(text + "\n")
        return 0
