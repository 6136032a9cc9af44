"""``ipmilab serve --vm HOST:PORT`` / ``--lan HOST:PORT``: this BMC, paced to the wall clock, for a real QEMU guest
(``bmc/vm/server.py``) and for LAN clients (RMCP/RMCP+, ``bmc/lan/server.py``).

    ipmilab serve --vm 127.0.0.1:9002
    ipmilab serve --lan 127.0.0.1:9001                      # ipmitool -I lanplus -H 127.0.0.1 -p 9001 ...
    ipmilab serve --lan 127.0.0.1:9001 --vm 127.0.0.1:9002  # the same BMC on both
    ipmilab serve --lan 127.0.0.1:9001 --count 8 --state-dir rack  # 8 BMCs on ports 9001-9008
    ipmilab serve --vm 127.0.0.1:9002 --config world.toml --state-dir state
    ipmilab serve --unix /tmp/bmc.sock

and QEMU connects as the client::

    qemu-system-x86_64 ... -chardev socket,id=ipmi0,host=127.0.0.1,port=9002,reconnect=1 \\
        -device ipmi-bmc-extern,id=bmc0,chardev=ipmi0 -device isa-ipmi-kcs,bmc=bmc0

The BMC is the configured one (``--config``; the default server without
it): identity, users, FRU, SDRs and sensors as ``ipmilab run`` builds them,
with no simulated host; the VM is the host (served over LAN alone, the host
is a VM that never connected: power off).  Only loopback addresses are
served unless ``--allow-remote``.  SIGINT or SIGTERM closes the connection and the stores cleanly.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time

from bmc.ipmi.msg import ChannelProtocol
from bmc.lan import LanChannel
from bmc.lan.server import LanServer, parse_lan_addr
from bmc.vm.server import VmHost, VmServer, parse_listen_addr
from buses.time import S

from .argtypes import duration_arg
from .pcap_export import PROTOCOL, PcapWriter, tshark_command

PROTOCOLS = {"kcs": ChannelProtocol.KCS, "bt": ChannelProtocol.BT_15, "ssif": ChannelProtocol.IPMI_SMBUS}


class ServedBmc:
    """A BMC with no simulated host: what ``serve`` runs (the parts of a ``World`` a config fills)."""

    def __init__(self, sim, bmc, ipmid, host: VmHost, config):
        self.sim = sim
        self.bmc = bmc
        self.ipmid = ipmid
        self.host = host
        self.config = config


def build_served_bmc(config=None, *, state_dir=None, seed: int | None = None, trace: bool = False, sim=None,
                     index: int = 0, console: bool = False) -> ServedBmc:
    """The configured BMC (a path, TOML text, dict or ``WorldConfig``; None: the default server) and its host.

    The host is a ``VmHost`` (a QEMU guest at the other end of the VM link),
    or with ``console=True`` a running ``ConsoleHost`` whose serial port is
    the BMC's SOL UART (``serve --lan`` with no VM).

    ``sim`` is the ``Simulation`` to build it on, shared by every BMC of a
    rack (None: a new one from ``seed`` and ``trace``; a given one keeps its
    own seed and tracer).  ``index`` is the BMC's place in a rack: 0 is the
    configured identity exactly; i > 0 is named ``bmc-{i+1:04d}`` and gets
    its own device and system GUIDs (``rack_identity``) and FRU serial
    numbers (``rack_fru_image``).  SEL and SDR timestamps count from the
    wall clock's present (Unix time), as a real BMC's do.
    """

    from bmc.bmc import Bmc
    from bmc.ipmid import Ipmid
    from bmc.sensors import install_default_sensors
    from buses import Simulation

    from .config import apply_config, default_config, load_config

    cfg = default_config() if config is None else load_config(config)
    identity = rack_identity(cfg.identity, index)
    if index and cfg.fru_image is not None:
        import dataclasses

        cfg = dataclasses.replace(cfg, fru_image=rack_fru_image(cfg.fru_image, index))
    if sim is None:
        sim = Simulation(seed=cfg.seed if seed is None else seed, trace=trace)
    if console:
        from vserver.console_host import ConsoleHost

        host = ConsoleHost(sim, name=f"{rack_name(index)}.host", power_on=True)
    else:
        host = VmHost()
    where = state_dir if state_dir is not None else cfg.state_dir
    bmc = Bmc(sim, identity=identity, host=host, name=rack_name(index), slave_address=cfg.slave_address,
              state_dir=where, lan_channel=1)
    bmc.sel_time_offset = int(time.time())
    served = ServedBmc(sim, bmc, Ipmid(sim, bmc), host, cfg)
    if console:
        bmc.sol.attach(host.console)
    try:
        if cfg.sensors is None:  # as World does: the default server's sensor set; a config brings its own
            install_default_sensors(bmc)
        apply_config(served, cfg)
    except BaseException:
        bmc.store.close()
        raise
    bmc.store.trim()   # the pages building read and wrote are not needed again
    return served


def rack_name(index: int) -> str:
    """The BMC's name in traces and logs: ``bmc`` for the first of a rack (and a lone one), then ``bmc-0002``..."""
    _check_index(index)
    return "bmc" if index == 0 else f"bmc-{index + 1:04d}"


def _check_index(index) -> None:
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index <= RACK_MAX_INDEX:
        raise ValueError(f"index {index!r} out of range 0-{RACK_MAX_INDEX}")


# A rack index moves GUID bits 16-47 (the node field's upper 32 bits), so the base GUIDs' last four hex
# digits stay, and a device GUID never meets a system GUID while the two bases differ there.
RACK_MAX_INDEX = 0xFFFFFFFF
_GUID_INDEX_SHIFT = 16


def rack_identity(identity: dict, index: int):
    """The ``Identity`` of the rack's BMC ``index``: the configured one, with GUIDs moved on by ``index``.

    Index 0 is the configuration's identity unchanged.  For i > 0 each GUID
    is its base (the configured one, or the default server's when the
    configuration sets none: each BMC of a rack needs its own) with i added
    to the 32 bits above the last four hex digits, e.g. the default device
    GUID ``a2c3f1d0-6b1e-4c7a-9e55-0c0ffee00001`` becomes
    ``...-0c0ffee10001`` for index 1: deterministic, distinct, and still
    recognisably the same series.  The UUID version and variant fields are
    not touched.
    """
    from bmc.bmc import Identity

    from .config import DEFAULT_DOC

    _check_index(index)
    if index == 0:
        return Identity(**identity)
    base = Identity(**identity)
    default = Identity(device_guid=DEFAULT_DOC["bmc"]["device_guid"], system_guid=DEFAULT_DOC["bmc"]["system_guid"])
    guids = {}
    for name in ("device_guid", "system_guid"):
        wire = getattr(base, name) or getattr(default, name)
        value = int.from_bytes(wire, "little")    # Identity keeps GUIDs in IPMI (least significant first) order
        field = ((value >> _GUID_INDEX_SHIFT) + index) & RACK_MAX_INDEX
        value = value & ~(RACK_MAX_INDEX << _GUID_INDEX_SHIFT) | field << _GUID_INDEX_SHIFT
        guids[name] = value.to_bytes(16, "little")
    return Identity(**{**identity, **guids})


def rack_fru_image(image: bytes, index: int) -> bytes:
    """FRU 0 of the rack's BMC ``index``: the configured image with its serial numbers moved on by ``index``.

    The chassis, board and product serial numbers and the product asset
    tag count on from the configured ones (``SV0000001`` becomes ``SV0000002`` for index 1; a
    serial without trailing digits gets ``-0002``), so ``fru print`` tells
    the rack's servers apart.  An image this module cannot rewrite exactly
    (areas it does not decode, a layout its encoder would not reproduce, or
    no serial numbers) is every BMC's as configured.
    """
    from bmc.fru import FruFormatError, FruInventory

    _check_index(index)
    if index == 0:
        return image
    try:
        inv = FruInventory.decode(image)
    except FruFormatError:
        return image
    if inv.extra or inv.encode(len(image)) != image:
        return image
    for name in ("chassis", "board", "product"):
        area = getattr(inv, name)
        if area is not None and isinstance(area.serial_number, str) and area.serial_number:
            area.serial_number = _next_serial(area.serial_number, index)
    if inv.product is not None and isinstance(inv.product.asset_tag, str) and inv.product.asset_tag:
        inv.product.asset_tag = _next_serial(inv.product.asset_tag, index)   # one per machine, too
    return inv.encode(len(image), path="fru (rack serial numbers)")


def _next_serial(serial: str, index: int) -> str:
    import re

    digits = re.search(r"\d+$", serial)
    if digits is None:
        return f"{serial}-{index + 1:04d}"
    n = int(digits.group()) + index
    return serial[:digits.start()] + str(n).zfill(len(digits.group()))


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
        "serve", formatter_class=fmt,
        help="serve this BMC to a real QEMU guest (VM protocol) and/or over the LAN (RMCP, RMCP+)",
        description="Serve the BMC (the default server, or --config FILE), paced to the wall clock, on loopback "
                    "addresses: over the OpenIPMI VM protocol (--vm/--unix), as ipmi_sim does, for QEMU's "
                    "ipmi-bmc-extern, one VM connection at a time; and/or over its LAN channel (--lan: RMCP, "
                    "IPMI v1.5 and RMCP+ sessions, SOL) for ipmitool -I lan/lanplus, FreeIPMI and pyghmi, one "
                    "BMC or a rack of them (--count).  Chassis power off, hard reset, diagnostic interrupt and "
                    "soft shutdown (and the watchdog's actions) reach QEMU as VM control commands; with --lan "
                    "alone the host is a simulated machine with a serial console.  Stop with Ctrl-C or SIGTERM.",
        epilog="QEMU side:\n  -chardev socket,id=ipmi0,host=127.0.0.1,port=9002,reconnect=1 \\\n"
               "  -device ipmi-bmc-extern,id=bmc0,chardev=ipmi0 -device isa-ipmi-kcs,bmc=bmc0\n"
               "  (or isa-ipmi-bt,bmc=bmc0; or smbus-ipmi,bmc=bmc0,address=0x10 on -machine q35;\n"
               "   QEMU 9.2 and later spell it reconnect-ms=1000)\n"
               "\nexamples:\n  ipmilab serve --vm 127.0.0.1:9002\n"
               "  ipmilab serve --vm 127.0.0.1:0            # any free port; the line 'listening on' names it\n"
               "  ipmilab serve --unix /tmp/bmc.sock --config world.toml --state-dir state\n"
               "  ipmilab serve --lan 127.0.0.1:9001        # then, from another terminal:\n"
               "    ipmitool -I lanplus -C 17 -H 127.0.0.1 -p 9001 -U ipmiusr -P test mc info\n"
               "  ipmilab serve --vm 127.0.0.1:9002 --lan 127.0.0.1:9001   # one BMC, both channels\n"
               "  ipmilab serve --lan 127.0.0.1:20000 --count 1000 --state-dir rack")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--vm", type=_vm_arg, metavar="HOST:PORT",
                       help="listen on this loopback TCP address (127.0.0.1:9002, [::1]:9002, localhost:0)")
    where.add_argument("--unix", type=_unix_arg, metavar="PATH", help="listen on a unix socket instead")
    p.add_argument("--lan", metavar="HOST:PORT", default=None,
                   help="serve the LAN channel (channel 1: RMCP, IPMI v1.5 and RMCP+ sessions, as ipmi_sim's lanserv) "
                        "on this UDP address, loopback only unless --allow-remote (127.0.0.1:623, localhost:0); "
                        "alone or with --vm/--unix")
    p.add_argument("--allow-remote", action="store_true",
                   help="let --lan listen on a non-loopback address (anyone who can reach it and knows a password "
                        "can power the host off); a warning line says so")
    p.add_argument("--count", type=_count_arg, default=1, metavar="N",
                   help="with --lan: serve N BMCs on consecutive UDP ports (PORT, PORT+1, ...), each keeping its "
                        "state in its own --state-dir subdirectory bmc-0001, bmc-0002, ... (default 1)")
    p.add_argument("--session-timeout", type=duration_arg(bare_unit="s"), default=None, metavar="S",
                   help="close a LAN session idle this long (default 60 s, the spec's; a duration such as 5min)")
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
                   help="write every request and answer to FILE as it happens, a Wireshark capture (pcapng): "
                        "VM-link messages as IPMI trace packets, LAN datagrams as IPv4/UDP (RMCP)")
    p.add_argument("--duration", type=duration_arg(bare_unit="s"), default=None, metavar="S",
                   help="stop after S wall seconds, or a duration such as 90s or 2min (default: until SIGINT/SIGTERM)")
    p.set_defaults(run=cmd_serve, serve_parser=p)


def _count_arg(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
    if not 1 <= n <= 4096:
        raise argparse.ArgumentTypeError(f"{value!r} out of range 1-4096")
    return n


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
    """``--pcap``: into a capture as they happen, every request the served BMC answers over the VM
    link and its answer (the BMC's side of the interface QEMU presents: ``kind``'s channel protocol),
    and every datagram its LAN channels take and send (IPv4/UDP)."""
    capture = PcapWriter(path)
    protocol = PROTOCOL[kind]
    served.sim.tracer.sinks.append(lambda rec: capture.add_record(rec, protocol))
    return capture


def _lan_addresses(args) -> list[str]:
    """The UDP address of each served BMC's LAN channel: HOST:PORT, HOST:PORT+1, ... (port 0: any free one each)."""
    try:
        parse_lan_addr(args.lan, args.allow_remote, "argument --lan")
    except ValueError as exc:
        args.serve_parser.error(str(exc))
    host, _, port = args.lan.rpartition(":")
    first = int(port)
    if first and first + args.count - 1 > 65535:
        args.serve_parser.error(f"argument --count: {args.count} ports from {first} go past 65535")
    return [f"{host}:{first + i if first else 0}" for i in range(args.count)]


def _check_where(args) -> list[str]:
    parser = args.serve_parser
    if args.lan is None and args.vm is None and args.unix is None:
        parser.error("one of the arguments --vm --unix --lan is required")
    if args.lan is None:
        for flag, given in (("--count", args.count != 1), ("--allow-remote", args.allow_remote),
                            ("--session-timeout", args.session_timeout is not None)):
            if given:
                parser.error(f"argument {flag}: only with --lan")
        return []
    if args.count != 1 and (args.vm is not None or args.unix is not None):
        parser.error("argument --count: one VM link serves one BMC; serve N BMCs with --lan alone")
    return _lan_addresses(args)


def cmd_serve(args, console) -> int:
    lan_addrs = _check_where(args)
    kind, latency, line = _serving(args)
    trace = args.trace is not None or args.pcap is not None
    # With no VM the host is a simulated one with a serial console, for SOL; a VM is its own host.
    console_host = args.vm is None and args.unix is None
    if args.count == 1:
        fleet = [build_served_bmc(args.config, state_dir=args.state_dir, trace=trace, console=console_host)]
    else:
        from .rack import build_rack, rack_progress

        started = time.monotonic()
        with rack_progress(console, args.count) as progress:
            fleet = build_rack(args.config, args.count, args.state_dir, trace=trace, progress=progress,
                               console=console_host)
        _log(f"built {args.count} BMCs in {time.monotonic() - started:.1f} s")
    served = fleet[0]

    def close_stores():
        for one in fleet:
            one.bmc.store.close()

    sink = capture = None
    if args.trace is not None:
        try:
            sink = open(args.trace, "w", encoding="utf-8", buffering=1)   # each record as it happens
        except OSError as exc:
            close_stores()
            raise ValueError(f"--trace: cannot write {args.trace} ({exc.strerror})") from None
        served.sim.tracer.sinks.append(lambda rec: sink.write(rec.format() + "\n"))
    if args.pcap is not None:
        try:
            capture = capture_to(served, args.pcap, kind)
        except ValueError:
            close_stores()
            raise
    delay = None
    if latency is not None:
        ipmid = served.ipmid

        def delay(request: bytes) -> int:
            return latency + (ipmid.cost_ns(request[0] >> 2, request[1]) if len(request) >= 2 else 0)
    server = lan = None
    if args.vm is not None or args.unix is not None:
        server = VmServer(served.sim, served.bmc, served.ipmid, served.host, protocol=PROTOCOLS[kind],
                          log=_log, answer_delay=delay)
    if line is not None:
        _log(line)
    old = {}
    try:
        if server is not None:
            addr = server.listen(args.vm if args.vm is not None else f"unix:{args.unix}")
            _log(f"listening on {addr} (one VM connection at a time; Ctrl-C or SIGTERM stops)")
        if lan_addrs:
            lan = LanServer(served.sim, log=_log)
            if server is not None:
                lan.attach(server)
            timeout = {} if args.session_timeout is None else {"session_timeout_ns": args.session_timeout}
            bounds: list[str] = []
            for one, where in zip(fleet, lan_addrs, strict=True):
                channel = LanChannel(one.sim, one.bmc, one.ipmid, secure_random=True, **timeout)
                bound = lan.listen(channel, where, allow_remote=args.allow_remote)
                # Activate Payload names the port SOL runs on; ipmitool refuses one other than its session's.
                one.bmc.sol.config.port = int(bound.rsplit(":", 1)[1])
                bounds.append(bound)
            _log_lan_listening(bounds)
            if args.allow_remote and not _all_loopback(lan_addrs):
                _log("warning: --allow-remote: the LAN channel accepts logins from other hosts; anyone who can reach "
                     "it and knows a password can power the host off")
        runner = server if server is not None else lan
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                old[sig] = signal.signal(sig, lambda _n, _f: runner.stop())
        runner.serve(None if args.duration is None else args.duration / S)
    finally:
        for sig, handler in old.items():
            signal.signal(sig, handler)
        if server is not None:
            server.close()
        if lan is not None:
            lan.close()
        close_stores()
        if sink is not None:
            sink.close()
        if capture is not None:
            capture.close()
    if server is not None:
        sent = ", ".join(f"{cmd.name} x{n}" for cmd, n in sorted(server.controls_sent.items())) or "none"
        _log(f"stopped: {server.connections} connection(s), {server.requests} request(s), {server.refused} refused, "
             f"{server.dropped_peers} dropped (garbage, no VERSION, idle), {server.suppressed_log_lines} repeated "
             f"log line(s) suppressed; controls sent: {sent}")
    if lan is not None:
        _log(f"stopped LAN: {lan.datagrams} datagram(s) in, {lan.answers} out")
    if capture is not None:
        _log(f"capture: {capture.packets} VM-link message(s), {capture.datagrams} LAN datagram(s) in {args.pcap} "
             f"({tshark_command(args.pcap, capture.ports)})")
    sys.stdout.flush()
    return 0


def _log_lan_listening(bounds: list[str]) -> None:
    """One line per BMC, or for a big rack on consecutive ports one line for them all."""
    tail = "(RMCP, IPMI v1.5 and RMCP+; Ctrl-C or SIGTERM stops)"
    if len(bounds) == 1:
        _log(f"LAN channel 1 listening on udp {bounds[0]} {tail}")
        return
    host, first = bounds[0].rsplit(":", 1)
    ports = [int(b.rsplit(":", 1)[1]) for b in bounds]
    if len(bounds) > 8 and ports == list(range(int(first), int(first) + len(bounds))):
        _log(f"bmc-0001..bmc-{len(bounds):04d} LAN channel 1 listening on udp {host}:{first}-{ports[-1]}, one BMC "
             f"per port {tail}")
        return
    for i, bound in enumerate(bounds):
        _log(f"bmc-{i + 1:04d} LAN channel 1 listening on udp {bound} {tail}")


def _all_loopback(addrs: list[str]) -> bool:
    try:
        for a in addrs:
            parse_lan_addr(a, allow_remote=False)
    except ValueError:
        return False
    return True
