"""Waveforms of a traced run, for GTKWave: ``write_vcd(records, path)`` (with pyvcd).

The hardware layers of a trace become signals, each change at the nanosecond of its record:

- a KCS register block (``reg`` records carry ``STR=``, the status after the access): the wires
  IBF, OBF, SMS_ATN and C_D, the interface state S1:S0 as a 2-bit value (0 IDLE, 1 READ, 2 WRITE,
  3 ERROR, as in the status register), and the data registers as the host (IDR) and the BMC (ODR)
  last wrote them;
- a BT register block (``CTRL=``): a wire per BT_CTRL bit, and the bytes through its buffer
  (HOST2BMC as written, BMC2HOST as read);
- an interrupt line (``irq`` assert/deassert): a wire ``level``;
- an I2C/SMBus bus (``bus`` conditions): the condition as a string (start, addr, write, read,
  restart, stop, stretch) and the byte it carried;
- a host state machine (``drv`` records with ``state=``): its state, as the driver names it.

Each component is a scope (a dotted name nests).  A signal is unknown (``x``) until its first
record.  Records are taken in time order, ties in trace order, so the file is the same for the same
trace, byte for byte.
"""

from __future__ import annotations

from vcd import VCDWriter

from bmc.ipmi.bt import BtCtrl
from bmc.ipmi.kcs import KcsState

KCS_BITS = ("IBF", "OBF", "SMS_ATN", "C_D")
BT_BITS = tuple(b.name for b in BtCtrl)
BT_BYTES = {"host-wr-HOST2BMC": "HOST2BMC", "host-rd-BMC2HOST": "BMC2HOST"}
KCS_BYTES = {"host-wr-IDR": "IDR", "host-wr-CMD": "IDR", "bmc-wr-ODR": "ODR", "host-rd-ODR": "ODR"}
BUS_CONDITIONS = ("start", "addr", "write", "read", "restart", "stop", "stretch")
SIZES = {"wire": 1, "state": 2, "byte": 8}


def _byte(text) -> int | None:
    try:
        return int(str(text), 16) & 0xFF
    except ValueError:
        return None


def changes(records):
    """``(t, scope, name, kind, value)`` for every signal change the records hold, in time order;
    ``kind`` is "wire", "state" (2 bits), "byte" or "string"."""
    for r in sorted(records, key=lambda rec: rec.t):       # stable: ties keep the trace's order
        f = dict(r.fields)
        if r.layer == "reg" and "STR" in f:
            bits = dict(kv.split("=", 1) for kv in str(f["STR"]).split() if "=" in kv)
            for name in KCS_BITS:
                if name in bits:
                    yield r.t, r.component, name, "wire", int(bits[name])
            if bits.get("STATE") in KcsState.__members__:
                yield r.t, r.component, "STATE", "state", KcsState[bits["STATE"]].value
            reg = KCS_BYTES.get(r.event)
            if reg is not None and (v := _byte(f.get("value"))) is not None:
                yield r.t, r.component, reg, "byte", v
        elif r.layer == "reg" and "CTRL" in f:
            on = set(str(f["CTRL"]).split())
            for name in BT_BITS:
                yield r.t, r.component, name, "wire", int(name in on)
            reg = BT_BYTES.get(r.event)
            if reg is not None and (v := _byte(f.get("value"))) is not None:
                yield r.t, r.component, reg, "byte", v
        elif r.layer == "irq" and r.event in ("assert", "deassert"):
            yield r.t, r.component, "level", "wire", int(r.event == "assert")
        elif r.layer == "bus" and r.event in BUS_CONDITIONS:
            yield r.t, r.component, "condition", "string", r.event
            v = _byte(f.get("byte", f.get("addr", "")))
            if v is not None:
                yield r.t, r.component, "byte", "byte", v
        elif r.layer == "drv" and "state" in f:
            yield r.t, r.component, "state", "string", str(f["state"])


def write_vcd(records, path) -> int:
    """Write the records' signals to ``path``; returns how many value changes were written.  A path
    that cannot be written is a ValueError naming it (for the command line's error line)."""
    chg = list(changes(records))
    try:
        out = open(path, "w", encoding="ascii")
    except OSError as err:
        raise ValueError(f"--vcd {path}: {err.strerror or err}") from None
    with out, VCDWriter(out, timescale="1 ns", date="ipmilab trace", version="ipmilab") as w:
        var = {}
        for _t, scope, name, kind, _v in chg:
            if (scope, name) not in var:
                if kind == "string":
                    var[scope, name] = w.register_var(scope, name, "string", init="")
                else:
                    var[scope, name] = w.register_var(scope, name, "wire" if kind == "wire" else "reg",
                                                      size=SIZES[kind], init="x")
        last: dict = {}
        n = 0
        for t, scope, name, _kind, v in chg:
            if last.get((scope, name)) != v:
                w.change(var[scope, name], t, v)
                last[scope, name] = v
                n += 1
    return n


def add_vcd_option(parser) -> None:
    """``--vcd FILE`` for a command that has a trace."""
    parser.add_argument("--vcd", metavar="FILE", help="write the run's signals and registers as a VCD (GTKWave)")


def export_vcd(records, path) -> None:
    """The commands' ``--vcd FILE``: write it, and say so on stderr."""
    from rich.console import Console

    n = write_vcd(records, path)
    Console(stderr=True).print(f"waveforms: {n} changes in {path} (open it with GTKWave)", style="dim")
