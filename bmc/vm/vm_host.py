"""The BMC's ``HostControl`` when the host is a VM at the other end of the VM protocol (``ipmilab serve``).

Power, reset, NMI and soft shutdown become the VM control commands
POWEROFF, RESET, SEND_NMI and GRACEFUL_SHUTDOWN, each only if the connected
VM declared the capability (else 0xD5); the link (``bmc.vm.server``) sends
them.  Power on and power cycle cannot be sent over the protocol.
"""

from __future__ import annotations

from ..ipmi.cc import CompletionCode, IpmiError
from .codec import VmCap, VmCmd

_D5 = CompletionCode.NOT_SUPPORTED_IN_PRESENT_STATE

# The control command and the capability each HostControl operation needs.
HOST_OP_CONTROLS = {
    "power_off": (VmCap.POWER, VmCmd.POWEROFF),
    "hard_reset": (VmCap.RESET, VmCmd.RESET),
    "pulse_diag_interrupt": (VmCap.NMI, VmCmd.SEND_NMI),
    "nmi": (VmCap.NMI, VmCmd.SEND_NMI),
    "soft_shutdown": (VmCap.GRACEFUL_SHUTDOWN, VmCmd.GRACEFUL_SHUTDOWN),
}


class VmHost:
    """The BMC's ``HostControl`` when the host is a VM at the other end of the VM protocol.

    ``capabilities`` are the connected VM's (kept after it leaves, as
    ``ipmi_sim`` keeps them); ``power_listeners`` get ``(event, t, source)``
    as ``vserver.Host``'s do, so the chassis keeps power-on hours and
    restart causes.
    """

    def __init__(self):
        self.link = None                    # the VmServer serving the VM (it sets itself)
        self.capabilities = VmCap(0)
        self.power_on_state = False
        self.power_listeners: list = []

    def supports(self, op: str) -> bool:
        need = HOST_OP_CONTROLS.get(op)
        return need is not None and bool(self.capabilities & need[0])

    def _notify(self, event: str, t: int, source: str) -> None:
        for listener in self.power_listeners:
            listener(event, t, source)

    def check(self, op: str) -> None:
        if op == "power_off" and not self.power_on_state:
            return                                     # nothing connected: a no-op, not a refusal
        if op == "power_on":
            if not self.power_on_state:
                raise IpmiError(_D5, "power on cannot be sent over the VM protocol (start the VM instead)")
            return
        if op == "power_cycle":
            raise IpmiError(_D5, "power cycle needs a power on, which the VM protocol cannot send")
        if op == "smi":
            raise IpmiError(_D5, "the VM protocol has no SMI")
        cap = HOST_OP_CONTROLS[op][0]
        link = self.link
        if link is None or not link.vm_ready:
            raise IpmiError(_D5, f"{op}: no VM is connected")
        if not self.capabilities & cap:
            raise IpmiError(_D5, f"{op}: the VM did not declare capability {cap.name}")

    def _send(self, op: str, t: int) -> None:
        self.check(op)
        self.link.send_control(HOST_OP_CONTROLS[op][1], t)

    # -- HostControl --------------------------------------------------------------

    def power_off(self, t: int) -> None:
        if not self.power_on_state:
            return  # already off: nothing connected to act on
        self._send("power_off", t)
        self.power_on_state = False
        self._notify("off", t, "bmc")

    def power_on(self, t: int) -> None:
        self.check("power_on")

    def power_cycle(self, t: int) -> None:
        self.check("power_cycle")

    def hard_reset(self, t: int) -> None:
        self._send("hard_reset", t)
        self._notify("reset", t, "bmc")

    def pulse_diag_interrupt(self, t: int) -> None:
        self._send("pulse_diag_interrupt", t)

    def soft_shutdown(self, t: int) -> None:
        self._send("soft_shutdown", t)

    def nmi(self, t: int) -> None:
        self._send("nmi", t)

    def smi(self, t: int) -> None:
        self.check("smi")

    # -- what the link reports ---------------------------------------------------------

    def vm_connected(self, t: int) -> None:
        if not self.power_on_state:
            self.power_on_state = True
            self._notify("on", t, "vm")

    def vm_disconnected(self, t: int) -> None:
        if self.power_on_state:
            self.power_on_state = False
            self._notify("off", t, "vm")

    def vm_reset(self, t: int) -> None:
        """The VM says it was reset (VM_CMD_RESET from the VM side)."""
        self._notify("reset", t, "os")
