"""``ipmilab serve --vm HOST:PORT``: this BMC, paced to the wall clock, for a real QEMU guest (``bmc/vm/server.py``).

    ipmilab serve --vm 127.0.0.1:9002
    ipmilab serve --vm 127.0.0.1:9002 --config world.toml --state-dir state
    ipmilab serve --unix /tmp/bmc.sock

and QEMU connects as the client::

    qemu-system-x86_64 ... -chardev socket,id=ipmi0,host=127.0.0.1,port=9002,reconnect=1 \\
        -device ipmi-bmc-extern,id=bmc0,chardev=ipmi0 -device isa-ipmi-kcs,bmc=bmc0

The BMC is the configured one (``--config``; the default server without
it): identity, users, FRU, SDRs and sensors as ``ipmilab run`` builds them,
with no simulated host; the VM is the host.  Only loopback addresses are
served.  SIGINT or SIGTERM closes the connection and the stores cleanly.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time

from bmc.ipmi.msg import ChannelProtocol
from bmc.vm.server import VmHost, VmServer, parse_listen_addr
from buses.time import S

from .argtypes import duration_arg
from .pcap_export import PROTOCOL, PcapWriter, bmc_messages

PROTOCOLS = {"kcs": ChannelProtocol.KCS, "bt": ChannelProtocol.BT_15, "ssif": ChannelProtocol.IPMI_SMBUS}


class ServedBmc:
    """A BMC with no simulated host: what ``serve`` runs (the parts of a ``World`` a config fills)."""

    def __init__(self, sim, bmc, ipmid, host: VmHost, config):
        self.sim = sim
        self.bmc = bmc
        self.ipmid = ipmid
        self.host = host
        self.config = config


def build_served_bmc(config=None, *, state_dir=None, seed: int | None = None, trace: bool = False) -> ServedBmc:
    """The configured BMC (a path, TOML text, dict or ``WorldConfig``; None: the default server) with a ``VmHost``.

    SEL and SDR timestamps count from the wall clock's present (Unix time),
    as a real BMC's do.
    """

    from bmc.bmc import Bmc, Identity
    from bmc.ipmid import Ipmid
    from bmc.sensors import install_default_sensors
    from buses import Simulation

    from .config import apply_config, default_config, load_config

    cfg = default_config() if config is None else load_config(config)
    sim = Simulation(seed=cfg.seed if seed is None else seed, trace=trace)
    host = VmHost()
    where = state_dir if state_dir is not None else cfg.state_dir
    bmc = Bmc(sim, identity=Identity(**cfg.identity), host=host, slave_address=cfg.slave_address, state_dir=where,
              lan_channel=1)
    bmc.sel_time_offset = int(time.time())
    served = ServedBmc(sim, bmc, Ipmid(sim, bmc), host, cfg)
    try:
        if cfg.sensors is None:  # as World does: the default server's sensor set; a config brings its own
            install_default_sensors(bmc)
        apply_config(served, cfg)
    except BaseException:
        bmc.store.close()
        raise
    return served


def _vm_arg(value: str) -> str:
    if value.startswith("unix:"):
        raise argparse.ArgumentTypeError(f"{value!r}: use --unix PATH for a unix socket")
    try:
        parse_listen_addr(value, "HOST:PORT")
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc).removeprefix("HOST:PORT: ")) from None
    return value


def _unix_arg(value: str) -> str:
    if not value or value.endswith("/"):
        raise argparse.ArgumentTypeError(f"{value!r} is not a socket path")
    return value


def _serve_preset_arg(value: str):
    from .presets import get_preset

    try:
        return get_preset(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc).removeprefix("preset: ")) from None


# What QEMU calls the device for a preset's interface (a SoC's LPC interfaces are ISA devices to QEMU).
def qemu_device(preset, kind: str) -> str:
    if kind == "ssif":
        si = preset.system_interface(kind)
        return f"smbus-ipmi,bmc=bmc0,address=0x{si.address:x} (machine q35)"
    bus = "pci" if preset.bus == "pci" else "isa"
    return f"{bus}-ipmi-{kind},bmc=bmc0"


def register(sub, fmt) -> None:
    p = sub.add_parser(
        "serve", formatter_class=fmt, help="serve this BMC to a real QEMU guest (ipmi-bmc-extern, VM protocol)",
        description="Serve the BMC (the default server, or --config FILE) over the OpenIPMI VM protocol, as "
                    "ipmi_sim does, for QEMU's ipmi-bmc-extern: paced to the wall clock, on a loopback address, "
                    "one VM connection at a time.  Chassis power off, hard reset, diagnostic interrupt and soft "
                    "shutdown (and the watchdog's actions) reach QEMU as VM control commands.  Stop with "
                    "Ctrl-C or SIGTERM.",
        epilog="QEMU side:\n  -chardev socket,id=ipmi0,host=127.0.0.1,port=9002,reconnect=1 \\\n"
               "  -device ipmi-bmc-extern,id=bmc0,chardev=ipmi0 -device isa-ipmi-kcs,bmc=bmc0\n"
               "  (or isa-ipmi-bt,bmc=bmc0; or smbus-ipmi,bmc=bmc0,address=0x10 on -machine q35;\n"
               "   QEMU 9.2 and later spell it reconnect-ms=1000)\n"
               "\nexamples:\n  ipmilab serve --vm 127.0.0.1:9002\n"
               "  ipmilab serve --vm 127.0.0.1:0            # any free port; the line 'listening on' names it\n"
               "  ipmilab serve --unix /tmp/bmc.sock --config world.toml --state-dir state")
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--vm", type=_vm_arg, metavar="HOST:PORT",
                       help="listen on this loopback TCP address (127.0.0.1:9002, [::1]:9002, localhost:0)")
    where.add_argument("--unix", type=_unix_arg, metavar="PATH", help="listen on a unix socket instead")
    p.add_argument("--config", metavar="FILE", default=None, help="a world configuration (TOML) for the BMC")
    p.add_argument("--state-dir", default=None, metavar="DIR",
                   help="keep the SEL, SDR repository and FRU in DIR (overrides the config's state_dir)")
    p.add_argument("--preset", type=_serve_preset_arg, default=None, metavar="NAME",
                   help="serve as this preset's BMC: its interface (for Get Channel Info) and, for a firmware "
                        "preset (ast2500, ast2600, npcm7xx), its daemon latency and command costs before each "
                        "answer; the log names the QEMU device to use (default: answer at once, as ipmi_sim)")
    p.add_argument("--interface", choices=sorted(PROTOCOLS), default=None,
                   help="the system interface QEMU presents, for Get Channel Info (default: the preset's, "
                        "else kcs)")
    p.add_argument("--trace", metavar="FILE", default=None, help="write every trace record to FILE as it happens")
    p.add_argument("--pcap", metavar="FILE", default=None,
                   help="write every request and answer to FILE as it happens, a Wireshark capture (IPMI trace)")
    p.add_argument("--duration", type=duration_arg(bare_unit="s"), default=None, metavar="S",
                   help="stop after S wall seconds, or a duration such as 90s or 2min (default: until SIGINT/SIGTERM)")
    p.set_defaults(run=cmd_serve)


def _log(text: str) -> None:
    stamp = time.strftime("%H:%M:%S", time.localtime())
    print(f"{stamp} {text}", flush=True)


def _serving(args):
    """(interface kind, answer_delay, log line) for the command line's --preset/--interface."""
    preset = args.preset
    if preset is None:
        return args.interface or "kcs", None, None
    kinds = [si.kind for si in preset.interfaces]
    kind = args.interface or kinds[0]
    if kind not in kinds:
        raise ValueError(f"--interface: preset {preset.name} has no {kind!r} interface (it has {', '.join(kinds)})")
    line = f"serving as {preset.name}: QEMU side -device {qemu_device(preset, kind)}"
    if preset.attachment != "firmware":
        return kind, None, line
    latency = preset.firmware.daemon_latency
    return kind, latency, line + f"; answers after the firmware's {latency / 1e6:g} ms daemon latency + command cost"


def capture_to(served, path, kind: str) -> PcapWriter:
    """``--pcap``: every request the served BMC answers, and its answer, into a capture as they
    happen (the BMC's side of the interface QEMU presents: ``kind``'s channel protocol)."""
    capture = PcapWriter(path)
    protocol = PROTOCOL[kind]

    def sink(rec):
        for msg in bmc_messages(rec, protocol):
            capture.add(*msg)
    served.sim.tracer.sinks.append(sink)
    return capture


def cmd_serve(args, console) -> int:
    kind, latency, line = _serving(args)
    served = build_served_bmc(args.config, state_dir=args.state_dir,
                              trace=args.trace is not None or args.pcap is not None)
    sink = capture = None
    if args.trace is not None:
        try:
            sink = open(args.trace, "w", encoding="utf-8", buffering=1)   # each record as it happens
        except OSError as exc:
            served.bmc.store.close()
            raise ValueError(f"--trace: cannot write {args.trace} ({exc.strerror})") from None
        served.sim.tracer.sinks.append(lambda rec: sink.write(rec.format() + "\n"))
    if args.pcap is not None:
        try:
            capture = capture_to(served, args.pcap, kind)
        except ValueError:
            served.bmc.store.close()
            raise
    delay = None
    if latency is not None:
        ipmid = served.ipmid

        def delay(request: bytes) -> int:
            return latency + (ipmid.cost_ns(request[0] >> 2, request[1]) if len(request) >= 2 else 0)
    server = VmServer(served.sim, served.bmc, served.ipmid, served.host, protocol=PROTOCOLS[kind],
                      log=_log, answer_delay=delay)
    if line is not None:
        _log(line)
    old = {}
    try:
        addr = server.listen(args.vm if args.vm is not None else f"unix:{args.unix}")
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                old[sig] = signal.signal(sig, lambda _n, _f: server.stop())
        _log(f"listening on {addr} (one VM connection at a time; Ctrl-C or SIGTERM stops)")
        server.serve(None if args.duration is None else args.duration / S)
    finally:
        for sig, handler in old.items():
            signal.signal(sig, handler)
        server.close()
        served.bmc.store.close()
        if sink is not None:
            sink.close()
        if capture is not None:
            capture.close()
    sent = ", ".join(f"{cmd.name} x{n}" for cmd, n in sorted(server.controls_sent.items())) or "none"
    _log(f"stopped: {server.connections} connection(s), {server.requests} request(s), {server.refused} refused, "
         f"{server.dropped_peers} dropped (garbage, no VERSION, idle), {server.suppressed_log_lines} repeated log "
         f"line(s) suppressed; controls sent: {sent}")
    sys.stdout.flush()
    return 0
