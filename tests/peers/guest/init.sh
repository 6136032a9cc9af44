#!/bin/busybox sh
# /init of the ipmilab test guest: load the IPMI drivers, wait for /dev/ipmi0,
# run every check in /checks (name<TAB>command[<TAB>exact]) and mark its output, then ask
# the BMC to power the machine off ("chassis power off" must end QEMU).
# Markers on the console: @@IPMILAB <what> ...; the host side parses them.
/bin/busybox --install -s /bin
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
export LD_LIBRARY_PATH=/lib/x86_64-linux-gnu:/usr/lib/x86_64-linux-gnu
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mkdir -p /tmp
echo 1 > /proc/sys/kernel/printk

up=$(cut -d' ' -f1 /proc/uptime)
echo "@@IPMILAB BOOTED uptime=$up"

# Modules in dependency order, one per line (written by the builder for this interface).
while read -r mod; do
    [ -n "$mod" ] || continue
    if insmod "/lib/modules/$mod" >/tmp/insmod.out 2>&1; then
        echo "@@IPMILAB INSMOD ok $mod"
    else
        echo "@@IPMILAB INSMOD failed $mod: $(cat /tmp/insmod.out)"
    fi
done < /modules.order

# The driver binds when /dev/ipmi0 appears (devtmpfs creates it).
n=0
while [ ! -c /dev/ipmi0 ] && [ $n -lt 600 ]; do
    sleep 0.1
    n=$((n + 1))
done
up=$(cut -d' ' -f1 /proc/uptime)
if [ -c /dev/ipmi0 ]; then
    echo "@@IPMILAB BOUND uptime=$up"
else
    echo "@@IPMILAB NOT-BOUND uptime=$up"
fi
echo "@@IPMILAB BEGIN dmesg"
dmesg | grep -i -E "ipmi|ssif|i801|smbus|i2c"
echo "@@IPMILAB END dmesg rc=0"

mode=checks
for word in $(cat /proc/cmdline); do
    case "$word" in ipmilab.mode=*) mode=${word#ipmilab.mode=} ;; esac
done

# The BMC acting on this machine (ipmilab.mode=controls, booted without -no-reboot): a hard reset first; on
# the boot after it (the BMC's restart cause says so) an NMI, then an ACPI power button press that busybox
# acpid turns into a power off.
if [ -c /dev/ipmi0 ] && [ "$mode" = controls ]; then
    cause=$(timeout 30 ipmitool chassis restart_cause 2>&1)
    echo "@@IPMILAB CAUSE $cause"
    case "$cause" in
    *"chassis power control command"*)
        echo "@@IPMILAB RESET-SEEN"
        echo "@@IPMILAB NMI-REQUESTED"
        timeout 20 ipmitool chassis power diag
        n=0
        while ! dmesg | grep -q "NMI received" && [ $n -lt 50 ]; do sleep 0.1; n=$((n + 1)); done
        if dmesg | grep -q "NMI received"; then echo "@@IPMILAB NMI-SEEN"; else echo "@@IPMILAB NMI-MISSING"; fi
        mkdir -p /var/run /var/log
        acpid -c /etc/acpi -a /etc/acpid.conf -l /tmp/acpid.log
        sleep 1
        echo "@@IPMILAB SOFT-REQUESTED"
        timeout 20 ipmitool chassis power soft
        sleep 20
        echo "@@IPMILAB SOFT-IGNORED"
        ;;
    *)
        echo "@@IPMILAB RESET-REQUESTED"
        timeout 20 ipmitool chassis power reset
        sleep 20
        echo "@@IPMILAB RESET-IGNORED"
        ;;
    esac
elif [ -c /dev/ipmi0 ]; then
    tab=$(printf '\t')
    while IFS="$tab" read -r name cmd how; do
        [ -n "$name" ] || continue
        echo "@@IPMILAB BEGIN $name"
        nmis=$(dmesg | grep -c "NMI received")
        start=$(cut -d' ' -f1 /proc/uptime)
        if [ "$how" = exact ]; then
            # Quoted words (a sensor name with a space) survive eval; stdout and stderr are kept apart.
            eval "timeout 60 $cmd" >/tmp/out 2>/tmp/err
            rc=$?
            cat /tmp/out /tmp/err > /tmp/both
        else
            # shellcheck disable=SC2086  # the command is split into words on purpose
            timeout 60 $cmd >/tmp/both 2>&1
            rc=$?
        fi
        end=$(cut -d' ' -f1 /proc/uptime)
        case "$cmd" in
        *"power diag"*)
            # The BMC pulses the NMI after its answer, and the kernel prints "NMI received ..." at emergency
            # level on this console: let it come out here, not in the middle of a later check's base64.
            n=0
            while [ "$(dmesg | grep -c "NMI received")" -le "$nmis" ] && [ $n -lt 50 ]; do
                sleep 0.1
                n=$((n + 1))
            done
            sleep 0.2
            ;;
        esac
        cat /tmp/both
        echo "@@IPMILAB END $name rc=$rc start=$start end=$end"
        if [ "$how" = exact ]; then
            # The exact bytes, past the console's line discipline: base64 of each stream, and its MD5 to
            # prove nothing the kernel printed meanwhile got mixed in.
            for stream in out err; do
                echo "@@IPMILAB B64 $name $stream"
                base64 /tmp/$stream
                echo "@@IPMILAB B64-END $name $stream md5=$(md5sum < /tmp/$stream | cut -d' ' -f1)"
            done
        fi
    done < /checks
    echo "@@IPMILAB POWEROFF-REQUESTED"
    timeout 20 ipmitool chassis power off
    echo "@@IPMILAB POWEROFF-ANSWERED rc=$?"
    # A working power-off control ends QEMU within moments; if we are still here it did not.
    sleep 20
    echo "@@IPMILAB POWEROFF-IGNORED"
fi
echo "@@IPMILAB HALT"
poweroff -f
