"""A real program on a pseudo-terminal, driven as a person at a keyboard would (python's ``pty``).

``PtySession(argv)`` forks ``argv`` on a new pty; ``expect(text)`` reads
until ``text`` has appeared (bounded by a wall-clock timeout) and returns
everything read so far; ``send(data)`` types bytes.  ``wait()`` reaps the
child, killing it (by its own pid) if it does not end in time.
"""

from __future__ import annotations

import os
import pty
import select
import signal
import time


class PtySession:
    def __init__(self, argv: list[str], *, env: dict | None = None):
        self.argv = argv
        self.buffer = b""
        pid, fd = pty.fork()
        if pid == 0:     # the child: the program with the pty as its controlling terminal
            try:
                os.execvpe(argv[0], argv, env if env is not None else os.environ)
            finally:
                os._exit(127)
        self.pid, self.fd = pid, fd
        self.status: int | None = None

    def _read(self, until: float) -> bool:
        """Read what is there before ``until`` (wall clock); False at end of file."""
        left = until - time.monotonic()
        if left <= 0:
            return True
        ready, _, _ = select.select([self.fd], [], [], min(left, 0.2))
        if not ready:
            return True
        try:
            data = os.read(self.fd, 4096)
        except OSError:          # EIO: the child closed its side
            return False
        if not data:
            return False
        self.buffer += data
        return True

    def mark(self) -> int:
        """Where the next output will start (for ``expect(..., since=)``)."""
        return len(self.buffer)

    def expect(self, text: str | bytes, timeout: float = 10.0, since: int = 0) -> bytes:
        """Read until ``text`` is in what was read from offset ``since`` on; return that part; raise TimeoutError
        with what was seen."""
        want = text.encode() if isinstance(text, str) else text
        until = time.monotonic() + timeout
        while want not in self.buffer[since:]:
            if time.monotonic() >= until or not self._read(until):
                raise TimeoutError(f"{want!r} not seen from {self.argv[0]} in {timeout} s; got "
                                   f"{self.buffer[since:]!r}")
        return self.buffer[since:]

    def send(self, data: str | bytes, pause: float = 0.05) -> None:
        os.write(self.fd, data.encode() if isinstance(data, str) else data)
        time.sleep(pause)

    def wait(self, timeout: float = 10.0) -> int:
        """Read to the end and reap the child: its exit status (negative: the signal that ended it)."""
        until = time.monotonic() + timeout
        while time.monotonic() < until:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.status = os.waitstatus_to_exitcode(status)
                break
            self._read(until)
        else:
            os.kill(self.pid, signal.SIGKILL)
            _, status = os.waitpid(self.pid, 0)
            self.status = os.waitstatus_to_exitcode(status)
        while self._read(time.monotonic() + 0.1):
            pass
        os.close(self.fd)
        return self.status
