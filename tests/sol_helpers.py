"""A fake RMCP+ session for the SOL tests: it collects what the BMC sends and can play a remote console."""

from __future__ import annotations

from bmc.bmc import Bmc
from bmc.ipmi.msg import from_hex
from bmc.ipmid import Ipmid
from bmc.privilege import Privilege
from bmc.sol import PAYLOAD_TYPE_SOL, SolPacket
from buses.sim import Simulation
from vserver.console_host import ConsoleHost

LAN = 1
ACTIVATE = "18 48 01 01 C6 00 00 00"     # what ipmitool sol activate sends (encrypt, authenticate, deferred alerts)


class FakeSession:
    """The session layer's side of the contract: ``send_payload`` collects (t, packet)."""

    def __init__(self, sim, sid: int = 0x02000001, privilege: int = Privilege.ADMINISTRATOR, user_id: int = 2,
                 encrypted: bool = True, authenticated: bool = True):
        self.sim = sim
        self.id = sid
        self.privilege = privilege
        self.user_id = user_id
        self.encrypted = encrypted
        self.authenticated = authenticated
        self.closed = False
        self.rmcp_plus = True
        self.sent: list[tuple[int, SolPacket]] = []
        self.auto_ack: int | None = None     # ns after which the console acks each data packet in full
        self.bmc = None

    def send_payload(self, payload_type: int, data: bytes) -> None:
        assert payload_type == PAYLOAD_TYPE_SOL
        pkt = SolPacket.decode(data)
        t = self.sim.now
        self.sent.append((t, pkt))
        if self.auto_ack is not None and pkt.seq:
            ack = SolPacket(0, pkt.seq, len(pkt.data)).encode()
            self.sim.call_at(t + self.auto_ack, lambda: self.bmc.sol.on_payload(self, ack, self.sim.now))

    def data_packets(self) -> list[tuple[int, SolPacket]]:
        return [(t, p) for t, p in self.sent if p.seq]

    def text(self) -> bytes:
        """Every character in the data packets, once per sequence number run (what a console prints)."""
        out, last = bytearray(), None
        for _, p in self.sent:
            if p.seq and p.seq != last:
                out += p.data
            if p.seq:
                last = p.seq
        return bytes(out)


def world(*, host: bool = True, power_on: bool = False, **sol_kw):
    sim = Simulation(seed=1)
    console_host = ConsoleHost(sim) if host else None
    bmc = Bmc(sim, host=console_host, lan_channel=LAN)
    if sol_kw:
        from bmc.sol import SolEngine
        bmc.sol = SolEngine(bmc, **sol_kw)
    ipmid = Ipmid(sim, bmc)
    if console_host is not None:
        bmc.sol.attach(console_host.console)
        if power_on:
            console_host.power_on(0)
    return sim, bmc, ipmid, console_host


def ask(ipmid, request: str, session=None, privilege: int = Privilege.ADMINISTRATOR, channel: int = LAN) -> bytes:
    return ipmid.handle(from_hex(request), privilege=privilege, channel=channel, session=session)


def activate(sim, bmc, ipmid, **session_kw) -> FakeSession:
    session = FakeSession(sim, **session_kw)
    session.bmc = bmc
    rsp = ask(ipmid, ACTIVATE, session, privilege=session.privilege)
    assert rsp[2] == 0, rsp.hex(" ")
    return session
