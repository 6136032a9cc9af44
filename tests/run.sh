#!/usr/bin/env bash
# The whole test suite: the default (fast) tests, then the slow ones.
# pytest's exit code 5 ("no tests collected") counts as a failure.
set -uo pipefail
cd "$(dirname "$0")/.."

run() {
    python3 -m pytest "$@"
    local rc=$?
    if [ "$rc" -eq 5 ]; then
        echo "pytest collected no tests for: $*" >&2
        exit 1
    fi
    [ "$rc" -eq 0 ] || exit "$rc"
}

# Real peers (ipmi_sim, ipmitool, freeipmi, QEMU, a Debian kernel) for the slow interop tests.
bash tests/peers/install.sh

run -q
run -q -m slow
