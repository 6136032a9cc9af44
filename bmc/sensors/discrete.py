"""Discrete sensors: the model's value is the state bits (IPMI 2.0 sections 29.7, 36.2).

Each bit that changes is an assertion (0 -> 1) or deassertion (1 -> 0) of
its offset; the event machinery is ``bmc.sensors.sensor.Sensor``'s.
"""

from __future__ import annotations

import math

from .models import Constant, Model
from .sdr import CompactSensorRecord, EventOnlyRecord
from .sensor import SENSOR_SPECIFIC, STATE_MASK, THRESHOLD_READING, Sensor, _bits, _check_byte


class DiscreteSensor(Sensor):
    """State bits (offsets 0-14) that follow a piecewise-constant model, or are set by commands."""

    __slots__ = ("reading_mask", "capabilities", "reading_byte", "listeners")

    def __init__(self, number: int, name: str, *, sensor_type: int, reading_type: int = SENSOR_SPECIFIC,
                 model: Model | None = None, assertion_mask: int = STATE_MASK, deassertion_mask: int | None = None,
                 reading_mask: int | None = None, sdr: str = "compact", capabilities: int = 0x40, **kw):
        if reading_type == THRESHOLD_READING:
            raise ValueError(f"sensor {name!r}: event/reading type 01h is a threshold sensor")
        if sdr not in ("compact", "event-only"):
            raise ValueError(f"sensor {name!r}: a discrete sensor's sdr {sdr!r} must be compact or event-only")
        self.sdr_kind = sdr
        d = assertion_mask if deassertion_mask is None else deassertion_mask
        super().__init__(number, name, sensor_type, reading_type, assertion_mask=assertion_mask,
                         deassertion_mask=d, model=model, **kw)
        self.reading_mask = _check_byte("reading mask", assertion_mask | d if reading_mask is None
                                        else reading_mask, STATE_MASK)
        self.capabilities = _check_byte("capabilities", capabilities)   # 0x40: auto re-arm, per-state enables
        self.reading_byte = 0   # the reading byte of a discrete sensor is unused unless a command sets it
        self.listeners: list = []   # fn(sensor, t) after the state bits change
        self._check_model(self.model)

    def _check_model(self, model: Model) -> None:
        super()._check_model(model)
        if not model.piecewise_constant:
            raise ValueError(f"sensor {self.name!r}: a discrete sensor's states need a piecewise-constant model "
                             f"(constant, step, piecewise hold, function), not {model.describe()}")

    def sdr(self, owner: int = 0x20) -> bytes:
        common = dict(number=self.number, name=self.name, sensor_type=self.sensor_type,
                      reading_type=self.reading_type, owner=owner, lun=self.lun, entity_id=self.entity_id,
                      entity_instance=self.entity_instance)
        if self.sdr_kind == "event-only":
            return EventOnlyRecord(**common).pack()
        return CompactSensorRecord(init=self.init_byte, capabilities=self.capabilities,
                                   assertion_mask=self.assertion_supported,
                                   deassertion_mask=self.deassertion_supported, reading_mask=self.reading_mask,
                                   **common).pack()

    def states_at(self, t: int) -> int:
        y = self.model.exact(t)
        if y.denominator != 1 or not 0 <= y <= STATE_MASK:
            raise ValueError(f"sensor {self.name!r}: model value {float(y)!r} at {t} ns is not state bits "
                             f"(an integer 0-0x7FFF)")
        return int(y)

    @property
    def states(self) -> int:
        return self.assert_status

    def set_states(self, bits: int, t: int | None = None) -> None:
        """Hold the state bits at ``bits`` from ``t`` on (a change generates its events)."""
        self.set_model(Constant(_check_byte("state bits", bits, STATE_MASK)), t)

    def _tracked_mask(self) -> int:
        return STATE_MASK

    def _baseline(self, t: int) -> None:
        self.assert_status = self.states_at(t)
        self.deassert_status = 0

    def _evaluate(self, t: int, emit: bool) -> None:
        new = self.states_at(t)
        changed = new ^ self.assert_status
        for o in _bits(changed):
            asserted = bool(new >> o & 1)
            self._note(o, asserted)
            if emit:
                self._emit(o, not asserted, *self._event_data(o, t), t)
        if changed:
            self._changed(t)

    def _changed(self, t: int) -> None:
        for fn in self.listeners:
            fn(self, t)

    def _next_change(self, t_from: int, mask: int) -> int | None:
        model = self.model
        for n, seg in enumerate(model.segments(t_from)):
            lo = max(math.ceil(seg.ts), t_from)
            if seg.te is not None and lo >= seg.te:
                continue
            y = seg.at(lo)
            if y.denominator != 1 or (int(y) ^ self.assert_status) & mask:
                return lo
            if not model.bounded and n + 1 >= getattr(model, "HORIZON_SAMPLES", 3600):
                return math.ceil(seg.te)
        return None

    def _write_states(self, bits: int, t: int) -> None:
        changed = bits != self.assert_status
        self.assert_status = bits
        self.model = Constant(bits)        # the states written hold from now on
        self._t_eval = t
        if changed:
            self._changed(t)

    def _rearm(self, assert_mask: int, t: int) -> None:
        present = self.assert_status & assert_mask
        self.assert_status &= ~assert_mask
        for o in _bits(present):
            self._note(o, True)
            self._emit(o, False, *self._event_data(o, t), t)

    def reading_bytes(self, t: int | None = None) -> bytes:
        t = self._now(t)
        self.update(t)
        s = self.assert_status
        # Byte 4 bit 7 is reserved ("ignore on read"); 0 here, as QEMU sends it, so a reader that takes the
        # two bytes as one 15-bit state word (python-ipmi does) gets the states themselves.
        return bytes((self.reading_byte, self.status_flags(), s & 0xFF, s >> 8))
