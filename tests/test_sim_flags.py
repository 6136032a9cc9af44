"""SMS_ATN -> Get Message Flags -> Read Event Message Buffer, as ipmi_si fetches events."""

import pytest

from buses.time import ms
from tests.test_sim_kcs import GOLDEN_DEVICE_ID, booted


@pytest.mark.parametrize("preset", ["isa-ipmi-kcs", "ast2600"])
def test_event_reaches_the_host_through_atn_and_flags(preset):
    w = booted(preset, trace=True)
    # The driver enabled the event message buffer at start-up.
    assert w.bmc.global_enables & 0x04 and w.host.si.supports_event_msg_buff
    w.sim.run(until=w.sim.now + ms(1))                        # the driver's start-up traffic has drained
    record = w.bmc.event_record(0x01, 0x30, 0x01, 0x57)       # temperature, upper critical
    w.bmc.raise_event(record, w.sim.now)
    w.sim.run(until=w.sim.now + ms(1))                        # firmware: the SET_SMS_ATN ioctl
    assert w.block.status & 0x04                              # SMS_ATN on the wire
    # The next time the driver runs it sees ATN and drains the flags after the user's message.
    assert w.request(6, 1).raw == GOLDEN_DEVICE_ID
    w.sim.run(until=w.sim.now + ms(50))
    assert [rsp[3:] for _t, rsp in w.host.ipmi.events] == [record]
    assert w.bmc.event_buffer is None and not w.block.status & 0x04
    text = w.sim.tracer.text()
    assert text.index("get-flags") < text.index("1C 35 00")     # flags first, then the buffer


def test_watchdog_pretimeout_flag_is_cleared_and_reported_first():
    w = booted("isa-ipmi-kcs")
    w.bmc.set_watchdog_pre_timeout_flag(w.sim.now)
    w.request(6, 1)
    w.sim.run(until=w.sim.now + ms(50))
    assert w.host.ipmi.pretimeouts and w.host.si.stats["watchdog_pretimeouts"] == 1
    assert not w.bmc.watchdog_pre_timeout_flag


def test_interrupt_mode_turns_on_the_interrupt_enables_and_keeps_logging():
    w = booted("isa-ipmi-kcs", use_irq=True)
    w.sim.run(until=w.sim.now + ms(20))
    assert w.bmc.global_enables == 0x0F      # RCV/EVT interrupts + event buffer, logging kept on
    assert w.block.obf_irq_enable


def test_the_handler_keeps_at_most_history_events():
    from scenarios.world import World
    from vserver.msghandler import IpmiMsgHandler

    w = World("isa-ipmi-kcs")
    assert w.boot()
    ipmi = w.host.ipmi
    assert ipmi.events.maxlen == 1024
    ipmi.set_history(3)
    for i in range(10):
        ipmi._handle_read_event_rsp(bytes((0x1C, 0x35, 0)) + bytes((i,)) * 16, i)
    assert [t for t, _ in ipmi.events] == [7, 8, 9] and ipmi.stats["events"] == 10
    with pytest.raises(ValueError, match="history 0 must be a positive int"):
        IpmiMsgHandler(w.sim, w.host.si, history=0)
