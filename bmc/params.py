"""Configuration parameters behind a "Set In Progress" parameter 0, with rollback.

System Boot Options (IPMI 2.0 section 28.12) and System Info Parameters
(section 22.14a) share one protocol.  Parameter 0 is a two-bit state:

- 00b set complete: writes take effect at once;
- 01b set in progress: a claim, refused (0x81) while another is active;
  from then on writes are staged, not applied;
- 10b commit write: the staged writes take effect together, and the state
  stays "set in progress";
- going back to "set complete" without a commit drops the staged writes
  (rollback), as does a system reset or power-down (the owner calls
  ``abandon``).

Reads return the staged value while one exists, so a writer can check what
it wrote before committing; whoever acts on a parameter (the BIOS reading
its boot flags, for example) uses ``committed``.
"""

from __future__ import annotations

from collections.abc import Callable

from .ipmi.cc import CompletionCode, IpmiError

SET_COMPLETE = 0
SET_IN_PROGRESS = 1
COMMIT_WRITE = 2

# Set System Boot Options / Set System Info Parameters: 81h = "set in progress" already claimed.
CC_SET_IN_PROGRESS_CLAIMED = 0x81
CC_PARAMETER_NOT_SUPPORTED = 0x80
CC_PARAMETER_READ_ONLY = 0x82


class ParameterStore:
    """Committed values, staged values and the set-in-progress state of one parameter family.

    ``on_commit(selector, old, new)`` runs for every value that takes effect
    (at once or at a commit), so owners can start timers or tell others.
    """

    def __init__(self, defaults: dict[int, bytes], on_commit: Callable[[int, bytes, bytes], None] | None = None):
        self.defaults = {k: bytes(v) for k, v in defaults.items()}
        self.values = dict(self.defaults)
        self.staged: dict[int, bytes] = {}
        self.state = SET_COMPLETE
        self.on_commit = on_commit

    def supported(self, selector: int) -> bool:
        return selector in self.values

    def read(self, selector: int) -> bytes:
        """What Get returns: the staged value if one is pending."""
        staged = self.staged.get(selector)
        return staged if staged is not None else self.values[selector]

    def committed(self, selector: int) -> bytes:
        return self.values[selector]

    def write(self, selector: int, value: bytes) -> None:
        """A validated Set: staged while a set is in progress, applied otherwise."""
        if self.state == SET_IN_PROGRESS:
            self.staged[selector] = bytes(value)
        else:
            self._apply(selector, bytes(value))

    def set_in_progress(self, code: int) -> None:
        """Parameter 0 written with ``code`` (already checked to be 0, 1 or 2)."""
        if code == SET_IN_PROGRESS:
            if self.state == SET_IN_PROGRESS:
                raise IpmiError(CC_SET_IN_PROGRESS_CLAIMED, "set in progress is already claimed")
            self.state = SET_IN_PROGRESS
        elif code == COMMIT_WRITE:
            staged, self.staged = self.staged, {}
            for selector in sorted(staged):
                self._apply(selector, staged[selector])
        else:
            self.abandon()

    def abandon(self) -> None:
        """Back to "set complete", dropping whatever was not committed."""
        self.staged = {}
        self.state = SET_COMPLETE

    def reset(self) -> None:
        """Power-up values (BMC cold reset for volatile parameters)."""
        self.abandon()
        self.values = dict(self.defaults)

    def _apply(self, selector: int, value: bytes) -> None:
        old = self.values[selector]
        self.values[selector] = value
        if self.on_commit is not None and value != old:
            self.on_commit(selector, old, value)


def set_in_progress_code(data: bytes) -> int:
    """Validate parameter 0's one data byte: bits 1:0 are 00b, 01b or 10b; 7:2 are reserved."""
    if len(data) != 1:
        raise IpmiError(CompletionCode.REQUEST_DATA_LENGTH_INVALID, f"set in progress takes 1 byte, got {len(data)}")
    code = data[0]
    if code & 0xFC or code == 3:
        raise IpmiError(CompletionCode.INVALID_DATA_FIELD, f"set in progress value 0x{code:02X}")
    return code
