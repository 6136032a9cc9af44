"""Boot the test guest under QEMU against ``ipmilab serve --vm`` and report each check.

    python tests/peers/guest/run.py                 # all three interfaces
    python tests/peers/guest/run.py smbus-ipmi -v   # one, with the guest's console
    python tests/peers/guest/run.py --controls      # and the BMC's reset, NMI and soft shutdown
    IPMILAB_GUEST_ACCEL=kvm python tests/peers/guest/run.py   # faster where /dev/kvm is usable

Exit code 0 when every check on every interface passed, 1 otherwise, 77 when
QEMU, the kernel, busybox or ipmitool is missing (tests/peers/install.sh).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from tests.peers.guest.qemu_guest import INTERFACES, ServeProcess, missing, run_guest  # noqa: E402


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("interfaces", nargs="*", choices=[[], *INTERFACES], default=[],
                    help=f"which of {', '.join(INTERFACES)} (default: all)")
    ap.add_argument("-v", "--verbose", action="store_true", help="echo the guest console and the server log")
    ap.add_argument("--timeout", type=float, default=240.0, help="wall seconds per guest (default: %(default)s)")
    ap.add_argument("--controls", action="store_true",
                    help="also boot a KCS guest the BMC resets, NMIs and shuts down (chassis power reset/diag/soft)")
    ap.add_argument("--config", metavar="FILE", help="ipmilab serve --config FILE (default: the default server)")
    args = ap.parse_args(argv)
    serve = ("--config", str(Path(args.config).resolve())) if args.config else ()
    why = missing()
    if why:
        print(f"skipped: {why}")
        return 77
    names = args.interfaces or list(INTERFACES)
    ok = True
    t0 = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="ipmilab-guest-") as tmp:
        for name in names:
            with ServeProcess("--interface", INTERFACES[name].serve_interface, *serve) as srv:
                run = run_guest(name, srv.port, Path(tmp), timeout=args.timeout,
                                echo=(lambda line: print("  | " + line)) if args.verbose else None)
            print(run.summary())
            if args.verbose or not run.ok:
                print("  server log:\n" + "\n".join("    " + line for line in srv.log))
            ok = ok and run.ok
        if args.controls:
            with ServeProcess("--interface", "kcs", *serve) as srv:
                run = run_guest("isa-ipmi-kcs", srv.port, Path(tmp), timeout=args.timeout, mode="controls",
                                echo=(lambda line: print("  | " + line)) if args.verbose else None)
            print(run.summary().replace("isa-ipmi-kcs:", "isa-ipmi-kcs (BMC controls):", 1))
            if args.verbose or not run.ok:
                print("  server log:\n" + "\n".join("    " + line for line in srv.log))
            ok = ok and run.ok
    print(f"{'all passed' if ok else 'FAILURES'} ({len(names)} interface(s){' + controls' if args.controls else ''}, "
          f"{time.monotonic() - t0:.1f} s wall)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
