"""The host's watchdog: Linux ``ipmi_watchdog`` plus the userland daemon that pets ``/dev/watchdog``.

Modelled on ``drivers/char/ipmi/ipmi_watchdog.c`` (reference/linux-ipmi.md 1.6):

- loading the module creates its user (with a pre-timeout handler, so the
  interface watches for pre-timeouts: a polled driver checks for attention
  every 100 jiffies while idle) and stops the timer: a Set with action none;
- arming (the daemon's first write to ``/dev/watchdog``) sends Set Watchdog
  Timer: timer use SMS/OS, with "don't stop" only while the timer is armed
  (an IPMI >= 1.5 BMC; a 1.0 BMC stops on Set, so a heartbeat follows), the
  action, the pre-timeout interrupt and interval (only with a pre-timeout
  and an action), no expiration flags cleared, the countdown in 100 ms units;
  then a heartbeat (Reset Watchdog Timer), whatever the Set answered: Linux
  waits for the message to be freed, not for its completion code;
- a heartbeat is Reset Watchdog Timer.  An answer of 0x80 means the BMC
  lost its settings (it was reset): Set again and retry, giving up after 3
  attempts, as Linux does.  The first heartbeat after a pre-timeout re-sends
  Set instead ("on some machines the heartbeat gives an error unless the
  timer is re-enabled");
- Set and Reset go at priority 1, ahead of other queued messages;
- the pre-timeout arrives through the message handler's
  ``watchdog_pretimeout`` upcall (flags path: ATN, Get Message Flags bit 3)
  and, with ``pre_nmi``, as an NMI; ``preop_panic`` panics the host,
  ``preop_give_data`` makes ``/dev/watchdog`` readable (``readable``);
- at a clean power-off the timer is disabled (action none); at a reboot it
  is set to reset after at least 120 s; at a panic to reset after
  ``panic_wdt_timeout`` (255 s), no pre-timeout.

The daemon is a host service (``Host.add_service``): it starts whenever the
OS has its IPMI driver up, after every boot.  With ``give_up`` it exits when a
write to ``/dev/watchdog`` fails, as the daemon in the H-16 report did; its
close is an unexpected one (no magic 'V'), so Linux sends one more heartbeat
and leaves the timer armed.
"""

from __future__ import annotations

from collections import deque

from bmc.ipmi.cmd import App
from bmc.ipmi.msg import TimerUse
from bmc.ipmi.netfn import NetFn
from buses.time import S
from buses.variant import variant

ACTIONS = {"none": 0, "reset": 1, "power_off": 2, "power_cycle": 3}
PREACTIONS = {"pre_none": 0, "pre_smi": 1, "pre_nmi": 2, "pre_int": 3}
PREOPS = ("preop_none", "preop_panic", "preop_give_data")

DONT_STOP_ON_SET = 0x40
TIMER_NOT_INITIALIZED = 0x80      # Reset Watchdog Timer: the BMC lost (or never had) the settings
MAX_RESTORE_RETRIES = 3
REBOOT_MIN_TIMEOUT_S = 120


def _choice(name: str, value: str, allowed) -> str:
    if value not in allowed:
        raise ValueError(f"watchdog {name} {value!r}; choose one of: {', '.join(allowed)}")
    return value


HISTORY = 1024  # heartbeats kept by default


class WatchdogDaemon:
    """``ipmi_watchdog`` module parameters plus the daemon's petting interval.

    ``timeout`` and ``pretimeout`` are whole seconds, as the module takes
    them; ``heartbeat`` is the daemon's petting period in ns (default half
    the timeout).  ``pet=False`` arms the timer and never pets it again (a
    hung userland); ``give_up=True`` makes the daemon exit on the first
    failed write.
    """

    def __init__(self, timeout: int = 10, pretimeout: int = 0, action: str = "reset", preaction: str = "pre_none",
                 preop: str = "preop_none", heartbeat: int | None = None, pet: bool = True,
                 panic_wdt_timeout: int = 255, name: str = "ipmi_watchdog", give_up: bool = False,
                 history: int = HISTORY):
        if not isinstance(history, int) or history <= 0:
            raise ValueError(f"watchdog history {history!r} must be a positive int of heartbeats")
        if not isinstance(timeout, int) or not 1 <= timeout <= 6553:
            raise ValueError(f"watchdog timeout {timeout!r} out of range 1-6553 s")
        if not isinstance(pretimeout, int) or not 0 <= pretimeout <= 255:
            raise ValueError(f"watchdog pretimeout {pretimeout!r} out of range 0-255 s")
        if pretimeout and pretimeout >= timeout:
            raise ValueError(f"watchdog pretimeout {pretimeout} s must be shorter than the timeout {timeout} s")
        self.timeout = timeout
        self.pretimeout = pretimeout
        self._configured = (timeout, pretimeout)   # the reboot/panic notifiers change them until the next boot
        self.action = _choice("action", action, ACTIONS)
        self.preaction = _choice("preaction", preaction, PREACTIONS)
        self.preop = _choice("preop", preop, PREOPS)
        self.heartbeat = heartbeat if heartbeat is not None else timeout * S // 2
        if not isinstance(self.heartbeat, int) or self.heartbeat <= 0:
            raise ValueError(f"watchdog heartbeat {heartbeat!r} must be a positive int of ns")
        self.pet = pet
        self.give_up = give_up
        self.daemon_exited: int | None = None               # when a give_up daemon exited
        self.panic_wdt_timeout = panic_wdt_timeout
        self.name = name
        self.state = "none"                 # ipmi_watchdog_state: the action armed in the BMC
        self.pretimeout_since_heartbeat = False
        self.sets: list[tuple[int, bytes, int]] = []        # (time, request data, cc)
        # (time, cc) of the last ``history`` heartbeats: a run of days must not grow without bound.
        self.heartbeats: deque[tuple[int, int]] = deque(maxlen=history)
        self.heartbeat_count = 0                            # every heartbeat, kept or not
        self.pretimeouts: list[int] = []                    # pre-timeout upcalls and NMIs, by time
        self.readable: list[int] = []                       # preop_give_data: when read() would return
        self.errors: list[tuple[int, str]] = []
        self._host = None

    # -- the service ------------------------------------------------------------------------------

    def run(self, host):
        """Generator, started by the host after every boot: load the module, arm the timer, pet it."""
        self._host = host
        self.timeout, self.pretimeout = self._configured
        ipmi = host.ipmi
        ipmi.watch_pretimeouts(self._pretimeout)          # ipmi_create_user with a pre-timeout handler
        host.nmi_listeners.append(self._nmi)
        self.pretimeout_since_heartbeat = False
        self.daemon_exited = None
        # ipmi_register_watchdog without start_now: "Stop the timer now."
        self.state = "none"
        yield from self._set_timeout()
        # The daemon opens /dev/watchdog and writes: the first heartbeat starts the timer.
        self.state = self.action
        self._trace("start", timeout_s=self.timeout, pretimeout_s=self.pretimeout, action=self.action,
                    preaction=self.preaction)
        yield from self._set_timeout(force_heartbeat=True)
        env = host.sim.env
        if not self.pet:
            yield env.event()               # armed, then never petted
        while True:
            yield env.timeout(self.heartbeat)
            if (yield from self.ping()) and self.give_up:
                break
        # write() failed (-EINVAL, or -EIO after the restore retries): this daemon exits.  ipmi_close
        # without the magic 'V': "Unexpected close, not stopping watchdog!" and one more heartbeat.
        self.daemon_exited = env.now
        self._trace("daemon-exit", why="write to /dev/watchdog failed")
        yield from self._heartbeat()

    def ping(self):
        """Generator: one write to ``/dev/watchdog`` (``ipmi_heartbeat``)."""
        if self.pretimeout_since_heartbeat:
            self.pretimeout_since_heartbeat = False
            return (yield from self._set_timeout(heartbeat_if_needed=True))
        return (yield from self._heartbeat())

    def shutdown(self, host, then: str):
        """Generator: the reboot notifier.  Power-off disables the timer; a reboot gets >= 120 s to finish."""
        if then == "off":
            self.state = "none"
        elif self.state != "none":
            self.timeout = max(self.timeout, REBOOT_MIN_TIMEOUT_S)
            self.pretimeout = 0
            self.state = "reset"
        else:
            return
        yield from self._set_timeout()

    def panic(self, host):
        """Generator: the panic notifier sets a long timeout so the BMC resets the halted machine."""
        if self.state == "none":
            return
        self.timeout = self.panic_wdt_timeout
        self.pretimeout = 0
        yield from self._set_timeout(heartbeat_if_needed=True)

    # -- IPMI ---------------------------------------------------------------------------------------

    def set_data(self) -> bytes:
        """Set Watchdog Timer request data for the present state (``__ipmi_set_timeout``)."""
        # "don't stop" only while armed: stopping the timer must stop it.
        use = TimerUse.SMS_OS | (DONT_STOP_ON_SET if self.state != "none" and self._ipmi_15() else 0)
        action = ACTIONS[self.state]
        if self.pretimeout and self.state != "none":
            actions, pre = PREACTIONS[self.preaction] << 4 | action, self.pretimeout
        else:
            actions, pre = action, 0
        count = self.timeout * 10
        return bytes((use, actions, pre, 0x00, count & 0xFF, count >> 8))

    def _ipmi_15(self) -> bool:
        """Whether the BMC speaks IPMI 1.5 or later (its Get Device ID, byte 5: BCD minor.major)."""
        si = self._host.si if self._host is not None else None
        rsp = getattr(si, "device_id", None)
        if rsp is None or len(rsp) < 8:
            return True
        version = rsp[7]
        major, minor = version & 0x0F, version >> 4
        return major > 1 or (major == 1 and minor >= 5)

    def _request(self, cmd: int, data: bytes = b""):
        # ipmi_request_supply_msgs(..., priority 1): ahead of whatever else is queued.
        return (yield from self._host.ipmi.request(NetFn.APP, cmd, data, priority=1))

    def _set_timeout(self, force_heartbeat: bool = False, heartbeat_if_needed: bool = False):
        """``_ipmi_set_timeout``: the Set, then the heartbeat it calls for -- the Set's completion code
        is reported, not acted on (Linux waits for the message to be freed, not for its answer)."""
        data = self.set_data()
        rsp = yield from self._request(App.SET_WATCHDOG_TIMER, data)
        self.sets.append((rsp.t_done, data, rsp.cc))
        self._trace("set", data=data, cc=f"0x{rsp.cc:02X}")
        if rsp.cc:
            self.errors.append((rsp.t_done, f"Set Watchdog Timer failed with 0x{rsp.cc:02X}"))
        needs_heartbeat = not self._ipmi_15() and self.state != "none"
        if force_heartbeat or (heartbeat_if_needed and needs_heartbeat):
            return (yield from self._heartbeat())
        return 0

    def _heartbeat(self):
        """``__ipmi_heartbeat``: Reset Watchdog Timer, restoring the settings if the BMC lost them.

        Any other error is returned to the writer and nothing else happens: the timer is armed as
        far as the driver knows, whatever the BMC has (H-16)."""
        retries = 0
        while self.state != "none":
            rsp = yield from self._request(App.RESET_WATCHDOG_TIMER)
            self.heartbeats.append((rsp.t_done, rsp.cc))
            self.heartbeat_count += 1
            if rsp.cc != TIMER_NOT_INITIALIZED:
                if rsp.cc:
                    self.errors.append((rsp.t_done, f"Reset Watchdog Timer failed with 0x{rsp.cc:02X}"))
                return rsp.cc
            retries += 1
            if retries > MAX_RESTORE_RETRIES:
                self.errors.append((rsp.t_done, "Unable to restore the IPMI watchdog's settings, giving up"))
                return rsp.cc
            self._trace("restore", retry=retries)
            yield from self._set_timeout()          # IPMI_SET_TIMEOUT_NO_HB, then "goto restart"
        return 0

    # -- pre-timeouts ---------------------------------------------------------------------------------

    def _pretimeout(self, t: int) -> None:
        """The message handler's watchdog pre-timeout upcall (``ipmi_wdog_pretimeout_handler``)."""
        self.pretimeouts.append(t)
        self._trace("pretimeout", via="flags")
        if self.preaction != "pre_none":
            if self.preop == "preop_panic":
                self._host.panic(t, "Watchdog pre-timeout")
            elif self.preop == "preop_give_data":
                self.readable.append(t)
        self.pretimeout_since_heartbeat = True

    def _nmi(self, t: int) -> None:
        """The x86 NMI handler: with ``pre_nmi`` an unclaimed NMI is the watchdog's pre-timeout."""
        if self.state == "none" or self.preaction != "pre_nmi":
            return
        self.pretimeouts.append(t)
        self._trace("pretimeout", via="nmi")
        if self.preop == "preop_panic":
            self.pretimeout_since_heartbeat = True
            self._host.panic(t, "pre-timeout NMI")

    def _trace(self, event: str, **fields) -> None:
        host = self._host
        if host is not None and host.sim.tracer.enabled:
            host.sim.trace(host.sim.now, "host", f"{host.name}.{self.name}", event, **fields)


@variant(WatchdogDaemon, "watchdog-reboot-on-bmc-reset",
         "ipmi:watchdog: Reboot cleanly on BMC reset (proposed 2026-04, not merged)")
class RebootOnBmcReset(WatchdogDaemon):
    """A heartbeat the BMC fails while the timer is armed means the BMC lost it (it was reset):
    reboot the host cleanly, which is what the BMC's watchdog would have done, and let the
    daemon arm it again after the boot."""

    def _heartbeat(self):
        cc = yield from super()._heartbeat()
        host = self._host
        if cc and self.state != "none" and host.ready and not self._rebooting:
            self._rebooting = True
            self._trace("orderly-reboot", cc=f"0x{cc:02X}")
            host.reboot()
        return cc

    def run(self, host):
        self._rebooting = False
        return (yield from super().run(host))
