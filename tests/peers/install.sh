#!/usr/bin/env bash
# Install the real peers the interop tests run (Debian packages), if missing; tshark decodes the
# --pcap exports.
# Idempotent; needs root (CI and the dev machines are root) and the Debian mirror.
set -euo pipefail

need=()
command -v ipmi_sim >/dev/null 2>&1 || need+=(openipmi)
command -v ipmitool >/dev/null 2>&1 || need+=(ipmitool)
command -v ipmi-sensors >/dev/null 2>&1 || need+=(freeipmi-tools)
command -v qemu-system-x86_64 >/dev/null 2>&1 || need+=(qemu-system-x86)
ls /boot/vmlinuz-* >/dev/null 2>&1 || need+=(linux-image-amd64)
[ -x /bin/busybox ] || [ -x /usr/bin/busybox ] || need+=(busybox-static)
command -v cpio >/dev/null 2>&1 || need+=(cpio)
command -v tshark >/dev/null 2>&1 || need+=(tshark)
# node runs Perfetto's wasm trace processor, which reads the timeline tests' files back.
command -v node >/dev/null 2>&1 || need+=(nodejs)

if [ ${#need[@]} -eq 0 ]; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "real peers missing (${need[*]}) and not root: the slow interop tests will be skipped" >&2
    exit 0
fi
echo "installing real peers: ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
