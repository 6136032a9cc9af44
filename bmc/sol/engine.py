"""The BMC's SOL engine: one serial port, one payload instance, carried over an RMCP+ session (IPMI 2.0 chapter 15).

Host output (characters the baseboard's UART sends to the BMC) is
accumulated and sent to the remote console in SOL packets; the console's
characters are acknowledged and sent on to the baseboard through the BMC's
own UART, at the SOL bit rate.  The rules, with the spec section each
follows:

- a packet of host output leaves when ``send_threshold`` characters are
  waiting or ``accumulate_interval`` after the first of them arrived,
  whichever comes first (parameter 3, section 15.7);
- one data packet is outstanding at a time; unacknowledged, it is resent
  every ``retry_interval`` and dropped after ``retry_count`` retries
  (parameter 4); an ACK with a smaller accepted count sends the rest at once
  in a new packet; a NACK holds host output until the console sends a
  packet without the NACK bit (section 15.9);
- a console packet is acknowledged with the count accepted: all of it, the
  part that fits in the BMC's buffer for the baseboard, or a NACK when
  nothing fits; a packet repeating the last accepted sequence number is
  acknowledged again and not delivered twice;
- operation bits: break, CTS pause, DCD/DSR deassert, ring, flushes
  (Table 15-2), passed to the serial port.

Everything runs on the simulated clock; timers are scheduled callbacks
whose generation number retires them when the state they served is gone.
"""

from __future__ import annotations

from typing import Protocol

from buses.uart import UartTx

from ..ipmi.msg import ChannelMedium
from .config import SOL_ENABLE, VOLATILE_BIT_RATE, SolConfig
from .packet import (
    HEADER_LEN,
    OP_BREAK,
    OP_CTS_PAUSE,
    OP_DCD_DSR_DEASSERT,
    OP_FLUSH_INBOUND,
    OP_FLUSH_OUTBOUND,
    OP_NACK,
    OP_RING_WOR,
    PAYLOAD_TYPE_SOL,
    ST_BREAK,
    ST_CHARACTER_TRANSFER_UNAVAILABLE,
    ST_NACK,
    ST_SOL_DEACTIVATING,
    ST_TRANSMIT_OVERRUN,
    SolPacket,
    next_seq,
)

INSTANCES = 1                   # one serial port: one SOL instance (Get Payload Activation Status capacity)
INBOUND_PAYLOAD_SIZE = 256      # Activate Payload: largest SOL payload (header + characters) the BMC accepts
OUTBOUND_PAYLOAD_SIZE = 256     # ... and sends
HOST_BUFFER = 512               # characters held for the baseboard (console -> host)
CONSOLE_BUFFER = 4096           # characters held for the console (host -> console)
SERIAL_PORT_NUMBER = 1          # Get Payload Instance Info: the system serial port redirected (COM1)
SOL_ACCESS = 0x02               # Set/Get User Payload Access byte 1: standard payload 1 = SOL


class SerialPort(Protocol):
    """The baseboard side of the BMC's SOL UART (``vserver.console_host.SerialConsole``).

    It calls every ``host_output_listeners`` entry with ``(byte, t)`` when a
    character from the host has crossed the wire, and ``break_listeners``
    with ``t`` when the host sends a break.
    """

    host_output_listeners: list
    break_listeners: list

    @property
    def available(self) -> bool:
        """False while the baseboard's port cannot pass characters (system power off)."""
        ...

    def receive(self, byte: int, t: int) -> None:
        """A character from the BMC has arrived at the host's receiver."""
        ...

    def set_bit_rate(self, bit_rate: int, t: int) -> None: ...

    def set_cts(self, asserted: bool, t: int) -> None: ...

    def set_dcd_dsr(self, asserted: bool, t: int) -> None: ...

    def ring(self, t: int) -> None: ...

    def send_break(self, t: int) -> None: ...


class SolEngine:
    """One per BMC (``bmc.sol``): the SOL configuration, user payload access, and the active instance."""

    def __init__(self, bmc, *, host_buffer: int = HOST_BUFFER, console_buffer: int = CONSOLE_BUFFER,
                 inbound_payload_size: int = INBOUND_PAYLOAD_SIZE, outbound_payload_size: int = OUTBOUND_PAYLOAD_SIZE):
        for name, value, lo in (("host_buffer", host_buffer, 1), ("console_buffer", console_buffer, 1),
                                ("inbound_payload_size", inbound_payload_size, HEADER_LEN + 1),
                                ("outbound_payload_size", outbound_payload_size, HEADER_LEN + 1)):
            if not isinstance(value, int) or not lo <= value <= 0xFFFF:
                raise ValueError(f"sol.{name} {value!r} out of range {lo}-65535")
        self.bmc = bmc
        self.sim = bmc.sim
        self.name = f"{bmc.name}.sol"
        self.host_buffer = host_buffer
        self.console_buffer = console_buffer
        self.inbound_payload_size = inbound_payload_size
        self.outbound_payload_size = outbound_payload_size
        self.max_chars = min(0xFF, outbound_payload_size - HEADER_LEN)  # accepted count is one byte
        lan = self.lan_channels()
        self.config = SolConfig(lan[0] if lan else 1, on_commit=self._committed)
        self.user_access: dict[tuple[int, int], bytes] = {}   # (channel, user id) -> the 4 enable bytes
        self.port: SerialPort | None = None
        self._to_host = UartTx(self.sim, self.config.bit_rate, self._to_host_done, name=f"{self.name}.tx")
        self._to_host.on_drain = self._to_host_drained
        self.stats = {"dropped-host-chars": 0, "overruns": 0, "retries": 0, "dropped-packets": 0, "duplicates": 0,
                      "nacks-sent": 0}
        self._gen = 0
        self._reset()

    # -- wiring ---------------------------------------------------------------------

    def lan_channels(self) -> list[int]:
        """The channels SOL may ride on: the BMC's LAN channels."""
        return sorted(ch for ch, info in self.bmc.channels.items()
                      if info.medium in (ChannelMedium.LAN_802_3, ChannelMedium.OTHER_LAN))

    def attach(self, port: SerialPort) -> None:
        """Wire the baseboard's serial port to the BMC's SOL UART (both at the SOL bit rate)."""
        self.port = port
        port.host_output_listeners.append(self.host_char)
        port.break_listeners.append(self.host_break)
        port.set_bit_rate(self.config.bit_rate, self.sim.now)

    def _committed(self, selector: int, old: bytes, new: bytes) -> None:
        t = self.sim.now
        if selector == VOLATILE_BIT_RATE:
            rate = self.config.bit_rate
            self._to_host.set_bit_rate(rate, t)
            if self.port is not None:
                self.port.set_bit_rate(rate, t)
        elif selector == SOL_ENABLE and not new[0] & 1 and self.active:
            self.deactivate(t, "SOL disabled")

    def cold_reset(self) -> None:
        """BMC Cold Reset: the instance ends with the BMC's sessions; volatile parameters reload."""
        t = self.sim.now
        self.deactivate(t, "BMC cold reset", notify=False)
        self.config.cold_reset()
        self._committed(VOLATILE_BIT_RATE, b"", b"")

    # -- user payload access (Set/Get User Payload Access) ---------------------------------

    def payload_access(self, channel: int, uid: int) -> bytes:
        return self.user_access.get((channel, uid), bytes((SOL_ACCESS, 0, 0, 0)))

    def set_payload_access(self, channel: int, uid: int, enable: bool, bits: bytes) -> None:
        old = bytearray(self.payload_access(channel, uid))
        for i, b in enumerate(bits):
            old[i] = old[i] | b if enable else old[i] & ~b
        self.user_access[(channel, uid)] = bytes(old)

    # -- activation -------------------------------------------------------------------

    def _reset(self) -> None:
        self._gen += 1                # retires every timer of the previous activation
        self.session = None
        self.encrypted = False
        self.authenticated = False
        self.out_seq = 1
        self.outbuf = bytearray()     # host characters not yet acknowledged; the first inflight_len are in flight
        self.inflight: SolPacket | None = None
        self.inflight_len = 0
        self.retries = 0
        self._packet_id = 0
        self.first_unsent_t: int | None = None
        self.accumulate_armed_for: int | None = None
        self.overrun = False
        self.host_broke = False
        self.remote_nack = False
        self.last_in_seq = 0
        self.last_in_ack = (0, 0)
        self.nacked_inbound = False
        self._to_host.flush()

    @property
    def active(self) -> bool:
        return self.session is not None

    def activate(self, session, t: int, *, encrypted: bool, authenticated: bool, handshake: bool) -> None:
        """Instance 1 now belongs to ``session`` (the command handler has checked everything)."""
        self._reset()
        self.session = session
        self.encrypted = encrypted
        self.authenticated = authenticated
        self.activated_at = t
        port = self.port
        if port is not None:
            # Aux data bit 1: the BMC holds CTS and DCD/DSR deasserted until the console's first packet clears them.
            port.set_cts(not handshake, t)
            port.set_dcd_dsr(not handshake, t)
        self._trace(t, "activate", session=f"0x{session.id:08X}", encrypted=int(encrypted),
                    authenticated=int(authenticated))

    def deactivate(self, t: int, why: str, *, notify: bool = True) -> None:
        """End the instance; the console hears it (status "SOL deactivating") unless its session is gone."""
        session = self.session
        if session is None:
            return
        if notify and not session.closed:
            self._send(SolPacket(flags=ST_SOL_DEACTIVATING | self._port_status()), t)
        self._reset()
        if self.port is not None:
            self.port.set_cts(True, t)
            self.port.set_dcd_dsr(True, t)
        self._trace(t, "deactivate", session=f"0x{session.id:08X}", why=why)

    def session_closed(self, session, t: int) -> None:
        """The session layer: ``session`` has ended."""
        if self.session is not None and self.session.id == session.id:
            self.deactivate(t, "session closed", notify=False)

    # -- host -> console ------------------------------------------------------------------

    def host_char(self, byte: int, t: int) -> None:
        """A character from the baseboard's UART has reached the BMC."""
        if self.session is None:
            self.stats["dropped-host-chars"] += 1   # no console: SOL keeps no history
            return
        if len(self.outbuf) >= self.console_buffer:
            self.overrun = True
            self.stats["overruns"] += 1
            return
        if len(self.outbuf) == self.inflight_len:
            self.first_unsent_t = t
        self.outbuf.append(byte)
        self._pump(t)

    def host_break(self, t: int) -> None:
        if self.session is not None:
            self.host_broke = True

    def _unsent(self) -> int:
        return len(self.outbuf) - self.inflight_len

    def _pump(self, t: int, ack: tuple[int, int, int] | None = None, now: bool = False) -> bool:
        """Send host output if the rules allow; carry ``ack`` (seq, count, status) when one goes. True if sent."""
        if self.inflight is not None or self.remote_nack or self.session is None:
            return False
        n = self._unsent()
        if n == 0:
            return False
        deadline = self.first_unsent_t + self.config.accumulate_interval
        if now or n >= self.config.send_threshold or t >= deadline:
            self._send_data(t, ack)
            return True
        if self.accumulate_armed_for != deadline:
            self.accumulate_armed_for = deadline
            self.sim.call_at(deadline, self._accumulate_done, self._gen, deadline)
        return False

    def _accumulate_done(self, gen: int, deadline: int) -> None:
        if gen == self._gen and self.accumulate_armed_for == deadline:
            self.accumulate_armed_for = None
            self._pump(self.sim.now)

    def _port_status(self) -> int:
        port = self.port
        return 0 if port is not None and port.available else ST_CHARACTER_TRANSFER_UNAVAILABLE

    def _status(self) -> int:
        flags = self._port_status()
        if self.overrun:
            flags |= ST_TRANSMIT_OVERRUN
            self.overrun = False
        if self.host_broke:
            flags |= ST_BREAK
            self.host_broke = False
        return flags

    def _send_data(self, t: int, ack: tuple[int, int, int] | None) -> None:
        n = min(self._unsent(), self.max_chars)
        start = self.inflight_len
        data = bytes(self.outbuf[start:start + n])
        ack_seq, accepted, ack_flags = ack if ack is not None else (0, 0, 0)
        pkt = SolPacket(self.out_seq, ack_seq, accepted, self._status() | ack_flags, data)
        self.inflight = SolPacket(pkt.seq, 0, 0, pkt.flags & ~ST_NACK, data)   # what a retry resends
        self.inflight_len = n
        self.retries = 0
        self._packet_id += 1
        self.accumulate_armed_for = None
        self.first_unsent_t = t if self._unsent() else None
        self._send(pkt, t)
        self._arm_retry(t)

    def _arm_retry(self, t: int) -> None:
        self.sim.call_at(t + self.config.retry_interval, self._retry_due, self._gen, self._packet_id, self.retries)

    def _retry_due(self, gen: int, packet_id: int, retries: int) -> None:
        pkt = self.inflight
        if gen != self._gen or pkt is None or packet_id != self._packet_id or self.retries != retries:
            return
        seq = pkt.seq
        t = self.sim.now
        if self.retries < self.config.retry_count:
            self.retries += 1
            self.stats["retries"] += 1
            self._send(pkt, t)
            self._arm_retry(t)
            return
        # Out of retries: the characters are lost; the next packet takes the next sequence number.
        self.stats["dropped-packets"] += 1
        self._trace(t, "drop", seq=seq, chars=self.inflight_len)
        del self.outbuf[:self.inflight_len]
        self._retire_inflight()
        if self._unsent() and self.first_unsent_t is None:
            self.first_unsent_t = t
        self._pump(t)

    def _retire_inflight(self) -> None:
        self.inflight = None
        self.inflight_len = 0
        self.out_seq = next_seq(self.out_seq)

    # -- console -> host --------------------------------------------------------------------

    def on_payload(self, session, data: bytes, t: int) -> None:
        """The session layer: one inbound SOL payload (decrypted: header + characters) of ``session``."""
        t = max(t, self.sim.now)      # a wall-clock caller's stamp never lies behind the kernel clock
        if self.session is None or session.id != self.session.id or len(data) < HEADER_LEN:
            self._trace(t, "rx-ignored", session=f"0x{session.id:08X}", len=len(data))
            return
        pkt = SolPacket.decode(data)
        self._trace(t, "rx", seq=pkt.seq, ack=pkt.ack_seq, count=pkt.accepted, op=f"0x{pkt.flags:02X}",
                    data=pkt.data)
        was_nacked = self.remote_nack
        ack = None
        duplicate = pkt.seq != 0 and pkt.seq == self.last_in_seq
        if duplicate:
            self.stats["duplicates"] += 1
            accepted, flags = self.last_in_ack
            ack = (pkt.seq, accepted, flags)
        else:
            self._operations(pkt, t)
            if pkt.seq != 0:
                accepted, flags = self._accept(pkt.data, t)
                if accepted or not pkt.data:
                    self.last_in_seq, self.last_in_ack = pkt.seq, (accepted, flags)
                ack = (pkt.seq, accepted, flags)
        if self.session is None:      # a flush or the port took the instance away
            return
        partial = self._acked(pkt, t)
        if was_nacked and not pkt.flags & OP_NACK:
            self.remote_nack = False  # the console is ready again
        if not self._pump(t, ack, now=partial) and ack is not None:
            self._send(SolPacket(0, ack[0], ack[1], ack[2] | self._port_status()), t)

    def _operations(self, pkt: SolPacket, t: int) -> None:
        op = pkt.flags
        if op & OP_FLUSH_INBOUND:
            self._to_host.flush()
        if op & OP_FLUSH_OUTBOUND:
            del self.outbuf[:]
            if self.inflight is not None:
                self._retire_inflight()
            self.first_unsent_t = None
        port = self.port
        if port is not None:
            port.set_cts(not op & OP_CTS_PAUSE, t)
            port.set_dcd_dsr(not op & OP_DCD_DSR_DEASSERT, t)
            if op & OP_RING_WOR:
                port.ring(t)
            if op & OP_BREAK:
                port.send_break(t)

    def _accept(self, chars: bytes, t: int) -> tuple[int, int]:
        """(accepted count, status bits) for the characters of a new console packet."""
        n = len(chars)
        if self._port_status():
            return n, ST_CHARACTER_TRANSFER_UNAVAILABLE   # no baseboard port: taken and lost, as the wire would
        k = min(n, self.host_buffer - self._to_host.pending)
        if n and k == 0:
            self.nacked_inbound = True
            self.stats["nacks-sent"] += 1
            return 0, ST_NACK
        self._to_host.write(chars[:k], t)
        return k, 0

    def _acked(self, pkt: SolPacket, t: int) -> bool:
        """Apply the console's ACK/NACK of our packet; True if a partial ACK leaves characters to send at once."""
        sent = self.inflight
        if sent is None or pkt.ack_seq == 0 or pkt.ack_seq != sent.seq:
            return False
        count = min(pkt.accepted, self.inflight_len)
        full = self.inflight_len
        del self.outbuf[:count]
        self._retire_inflight()
        if self._unsent() and self.first_unsent_t is None:
            self.first_unsent_t = t
        if pkt.flags & OP_NACK:
            self.remote_nack = True
            return False
        return count < full

    def _to_host_done(self, byte: int, t: int) -> None:
        port = self.port
        if port is not None:
            port.receive(byte, t)

    def _to_host_drained(self, t: int) -> None:
        # After a NACK, tell the console there is room again: an ACK-only packet without the NACK bit.
        if self.nacked_inbound and self.session is not None:
            self.nacked_inbound = False
            self._send(SolPacket(flags=self._port_status()), t)

    # -- out ----------------------------------------------------------------------------------

    def _send(self, pkt: SolPacket, t: int) -> None:
        session = self.session
        if session is None:
            return
        if session.closed:
            self.session_closed(session, t)
            return
        self._trace(t, "tx", seq=pkt.seq, ack=pkt.ack_seq, count=pkt.accepted, status=f"0x{pkt.flags:02X}",
                    data=pkt.data)
        session.send_payload(PAYLOAD_TYPE_SOL, pkt.encode())

    def _trace(self, t: int, event: str, **fields) -> None:
        if self.sim.tracer.enabled:
            self.sim.trace(t, "bmc", self.name, event, **fields)
