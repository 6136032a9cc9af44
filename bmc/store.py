"""Persistence for the BMC's stores (SEL, SDR repository, FRU devices) on SQLite, and what SEL and SDR share.

One ``Store`` is one SQLite database, ``<state_dir>/bmc.sqlite3``, when a
state directory is given; without one it is ``:memory:``, a few Python
dicts with the same transactions (an SQLite ``:memory:`` database would
only duplicate what the logs already hold, at about 60 KiB and half a
millisecond per BMC: a rack of a thousand BMCs feels that).  Every change a
command acknowledges is one transaction, committed before the handler
returns, so a BMC killed at any instant reopens with every acknowledged
record and no torn one.

Why SQLite: measured on a 2-core virtualised EPYC with its virtio disk, one
acknowledged SEL add costs about 0.3 ms with WAL and ``synchronous=FULL``,
0.11 ms with ``NORMAL``, and 0.16 ms for a hand-written append-only journal
with one ``fsync`` per record.  The journal's 2x would have to be paid for
with our own torn-tail recovery, compaction, tombstones for deletes and
multi-record atomicity (a record plus the repository's counters), all of
which WAL gives, and the cost is wall time only (simulated time does not
see it).  ``synchronous=FULL`` (the default) makes every acknowledged change
survive power loss as well as a killed process, as a real BMC's SEL in
flash does; ``NORMAL`` skips the per-commit ``fsync`` (still safe against a
killed process, may lose the last changes on power loss) for scripts that
add thousands of records.  ``tests/test_crash_safety.py`` SIGKILLs a writer
hundreds of times to check the first half of that claim.

The database is opened in exclusive locking mode and write-locked at once,
and the state directory itself is ``flock``-ed for as long as the store is
open, so a second BMC on the same state directory fails with a clear error
instead of interleaving writes.  ``trim()`` (after a served BMC is built:
the logs serve every read from memory) closes the SQLite connection until
the next change, keeping the directory's lock: an idle BMC of a rack costs
no SQLite memory (about 180 KiB a connection) and no database descriptors.

``RecordLog`` is the part SEL and SDR share: record ids (never 0000h or
FFFFh, which mean "first" and "last" in the access commands), repository
order, reservations, partial add, last add/erase timestamps and the
overflow flag.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from .ipmi.cc import CompletionCode, IpmiError

DB_NAME = "bmc.sqlite3"
SCHEMA_VERSION = 1
SYNCHRONOUS = ("FULL", "NORMAL", "EXTRA")
CACHE_KIB = 64   # SQLite page cache per connection (its default is 2000 KiB)

# Command-specific completion code of Add/Partial Add SEL Entry and Partial Add SDR: the record's length or
# type is wrong ("record rejected due to mismatch ..." / "operation not supported for this Record Type").
CC_RECORD_REJECTED = 0x80

FIRST = 0x0000        # "first record" in Get SDR / Get SEL Entry / Delete SEL Entry
LAST = 0xFFFF         # "last record" in the same commands, and "no next record" in their replies
NO_TIMESTAMP = 0xFFFFFFFF  # last add / last erase before any

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS record (log TEXT NOT NULL, id INTEGER NOT NULL, seq INTEGER NOT NULL,"
    " data BLOB NOT NULL, PRIMARY KEY (log, id))",
    "CREATE TABLE IF NOT EXISTS meta (log TEXT NOT NULL, key TEXT NOT NULL, value INTEGER NOT NULL,"
    " PRIMARY KEY (log, key))",
)


# PRAGMA application_id of a database this code made ("IPML"): anything else in bmc.sqlite3 is not ours.
APPLICATION_ID = 0x49504D4C
_TABLES = {"record", "meta"}


class StoreError(RuntimeError):
    """A state directory or database that cannot be used; the message names the path and why."""


class Store:
    """One SQLite database behind every store of one BMC."""

    def __init__(self, state_dir: str | os.PathLike | None = None, *, synchronous: str = "FULL"):
        sync = str(synchronous).upper()
        if sync not in SYNCHRONOUS:
            raise ValueError(f"synchronous {synchronous!r} not one of {', '.join(SYNCHRONOUS)}")
        self.state_dir = None if state_dir is None else Path(state_dir)
        self.path = None if self.state_dir is None else self.state_dir / DB_NAME
        self._sync = sync
        self._lock_fd: int | None = None   # the flock-ed state directory while the store is open
        self._mem = _MemoryDb() if self.path is None else None
        self._conn = None if self.path is None else self._connect(sync)
        self._in_tx = False

    def _connect(self, sync: str) -> sqlite3.Connection:
        d = self.state_dir
        if d.exists() and not d.is_dir():
            raise StoreError(f"state_dir {str(d)!r} is not a directory")
        conn = None
        try:
            d.mkdir(parents=True, exist_ok=True)
            # SQLite's own word for these is "disk I/O error"; say which permission is missing.
            for what in (d, self.path):
                if what.exists() and not os.access(what, os.W_OK | (os.X_OK if what is d else 0)):
                    raise StoreError(f"state_dir {str(d)!r}: {what} is not writable (read-only?)")
            self._lock_dir()
            if not self.path.exists():
                self._create()
            elif self.path.stat().st_size == 0:
                # Not "a new store": a file someone truncated may have held records; leave it for them.
                raise StoreError(f"{self.path} is empty (0 bytes), not an ipmilab store; move it away to start afresh")
            # timeout=0: another BMC holding the lock is an error now, not a stall.
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=0)
            conn.execute("PRAGMA locking_mode=EXCLUSIVE")
            conn.execute("BEGIN IMMEDIATE")  # take the write lock now and keep it (exclusive mode)
            conn.execute("COMMIT")
            self._check_own(conn)
            mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if mode.lower() != "wal":
                raise StoreError(f"state_dir {str(d)!r}: SQLite refused WAL mode (got {mode!r})")
            conn.execute(f"PRAGMA synchronous={sync}")
            self._set_up(conn)
            if conn.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                raise sqlite3.DatabaseError("quick_check failed")
            # The logs serve every read from memory: SQLite only writes, and a few pages do for that.
            conn.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
            conn.execute("PRAGMA shrink_memory")   # drop the pages quick_check read
        except BaseException as exc:
            if conn is not None:
                conn.close()
            self._unlock_dir()
            if isinstance(exc, StoreError):
                raise
            if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
                raise StoreError(f"state_dir {str(d)!r} is in use by another BMC ({exc})") from None
            if isinstance(exc, sqlite3.OperationalError):
                raise StoreError(f"state_dir {str(d)!r}: {self.path.name}: {exc}") from None
            if isinstance(exc, sqlite3.DatabaseError):
                raise StoreError(f"state_dir {str(d)!r}: {self.path.name} is not a usable database ({exc})") from None
            if isinstance(exc, OSError):
                raise StoreError(f"state_dir {str(d)!r}: {exc.strerror or exc}") from None
            raise
        return conn

    def _lock_dir(self) -> None:
        """Hold the state directory's flock; held elsewhere, the directory is another BMC's."""
        fd = os.open(self.state_dir, os.O_RDONLY | os.O_DIRECTORY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise StoreError(f"state_dir {str(self.state_dir)!r} is in use by another BMC (it is locked)") from None
        except BaseException:
            os.close(fd)
            raise
        self._lock_fd = fd
        # A store dropped unclosed lets go of the lock as its SQLite connection would.
        self._lock_release = weakref.finalize(self, os.close, fd)

    def _unlock_dir(self) -> None:
        if self._lock_fd is not None:
            self._lock_release()   # closes the descriptor: releases the flock
            self._lock_fd = None

    def _reconnect(self) -> sqlite3.Connection:
        """The connection again after ``trim()``: the database was checked at open and stayed locked since."""
        # mode=rw: a database someone removed meanwhile is an error, not a new empty one.
        uri = self.path.resolve().as_uri() + "?mode=rw"
        try:
            conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False, timeout=0)
        except sqlite3.Error as exc:
            raise StoreError(f"{self.where}: cannot reopen it ({exc})") from None
        try:
            conn.execute("PRAGMA locking_mode=EXCLUSIVE")
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("COMMIT")
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(f"PRAGMA synchronous={self._sync}")
            conn.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
        except sqlite3.Error as exc:
            conn.close()
            raise StoreError(f"{self.where}: cannot reopen it ({exc})") from None
        return conn

    def _sql(self) -> sqlite3.Connection:
        """The open connection (reopened after ``trim()``)."""
        if self._conn is None:
            if self._lock_fd is None:
                raise StoreError(f"{self.where}: the store is closed")
            self._conn = self._reconnect()
        return self._conn

    def _create(self) -> None:
        """A new database, made aside and linked into place whole: a crash mid-way leaves no half store."""
        tmp = self.path.with_name(self.path.name + ".new")
        for leftover in (tmp, tmp.with_name(tmp.name + "-wal"), tmp.with_name(tmp.name + "-shm")):
            leftover.unlink(missing_ok=True)  # ours, from a creation that died before the link
        conn = sqlite3.connect(tmp, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            self._set_up(conn)
        finally:
            conn.close()
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(tmp, self.path)  # unlike rename, never replaces a store another process just made
        except FileExistsError:
            pass
        tmp.unlink()
        fd = os.open(self.state_dir, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def _check_own(self, conn: sqlite3.Connection) -> None:
        """Refuse a database this code did not make; mark an unmarked older store of ours."""
        app = conn.execute("PRAGMA application_id").fetchone()[0]
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if app == APPLICATION_ID:
            return
        if app == 0 and tables == _TABLES:  # made before the marker: the same two tables
            conn.execute(f"PRAGMA application_id={APPLICATION_ID}")
            return
        what = f"application_id 0x{app:08X}" if app else f"tables {', '.join(sorted(tables)) or 'none'}"
        raise StoreError(f"{self.path} is not an ipmilab store ({what}); left as it is")

    def _set_up(self, conn: sqlite3.Connection) -> None:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise StoreError(f"state_dir {str(self.state_dir)!r}: schema version {version} is newer than "
                             f"this ipmilab's {SCHEMA_VERSION}")
        for stmt in _SCHEMA:
            conn.execute(stmt)
        # Each PRAGMA write is a commit (an fsync with synchronous=FULL): write only what differs, so
        # reopening a store writes nothing (it cost a rack ~15 ms per BMC at every start).
        if version != SCHEMA_VERSION:
            conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        if conn.execute("PRAGMA application_id").fetchone()[0] != APPLICATION_ID:
            conn.execute(f"PRAGMA application_id={APPLICATION_ID}")

    @property
    def where(self) -> str:
        """The database's name in messages."""
        return ":memory:" if self.path is None else str(self.path)

    @property
    def persistent(self) -> bool:
        return self.path is not None

    def same_place(self, state_dir) -> bool:
        """Whether ``state_dir`` names this store's directory."""
        return (state_dir is not None and self.state_dir is not None
                and Path(state_dir).resolve() == self.state_dir.resolve())

    def trim(self) -> None:
        """Close the SQLite connection until the next change, keeping the directory locked.

        Everything is committed (every change is its own transaction), so
        nothing waits in the connection; the next ``transaction()`` reopens it.
        """
        if self._conn is not None and not self._in_tx:
            self._conn.close()
            self._conn = None

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        self._unlock_dir()
        self._mem = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- reading (at open only; the stores serve reads from memory) ----------------------------

    def load(self, log: str) -> tuple[list[tuple[int, bytes]], dict[str, int]]:
        """(records as (id, data) in repository order, meta values) of one log."""
        if self.path is None:
            return self._open_mem().load(log)
        c = self._sql()
        try:
            rows = c.execute("SELECT id, data FROM record WHERE log = ? ORDER BY seq", (log,)).fetchall()
            meta = dict(c.execute("SELECT key, value FROM meta WHERE log = ?", (log,)).fetchall())
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.where}: cannot read the {log} records ({exc})") from None
        for i, d in rows:
            if not isinstance(i, int) or not isinstance(d, bytes):
                raise StoreError(f"{self.where}: {log} record id {i!r} has a {type(d).__name__}, not bytes")
        for k, v in meta.items():
            if not isinstance(v, int):
                raise StoreError(f"{self.where}: {log} {k} {v!r} is not an integer")
        return [(i, bytes(d)) for i, d in rows], meta

    def _open_mem(self) -> _MemoryDb:
        if self._mem is None:
            raise StoreError(f"{self.where}: the store is closed")
        return self._mem

    # -- writing: only inside ``transaction()`` -------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[Store]:
        """One acknowledged change: everything inside commits together or not at all."""
        if self._in_tx:
            raise RuntimeError("store transactions do not nest")
        if self.path is None:
            with self._open_mem().transaction():
                self._in_tx = True
                try:
                    yield self
                finally:
                    self._in_tx = False
            return
        c = self._sql()
        c.execute("BEGIN IMMEDIATE")
        self._in_tx = True
        try:
            yield self
            c.execute("COMMIT")
        except BaseException:
            if c.in_transaction:  # a failed COMMIT can leave it open
                c.execute("ROLLBACK")
            raise
        finally:
            self._in_tx = False

    def put(self, log: str, record_id: int, seq: int, data: bytes) -> None:
        if self.path is None:
            return self._open_mem().put(log, record_id, seq, bytes(data))
        self._sql().execute("INSERT OR REPLACE INTO record (log, id, seq, data) VALUES (?, ?, ?, ?)",
                           (log, record_id, seq, bytes(data)))

    def delete(self, log: str, record_id: int) -> None:
        if self.path is None:
            return self._open_mem().delete(log, record_id)
        self._sql().execute("DELETE FROM record WHERE log = ? AND id = ?", (log, record_id))

    def clear(self, log: str) -> None:
        if self.path is None:
            return self._open_mem().clear(log)
        self._sql().execute("DELETE FROM record WHERE log = ?", (log,))

    def set_meta(self, log: str, **values: int) -> None:
        if self.path is None:
            return self._open_mem().set_meta(log, {k: int(v) for k, v in values.items()})
        self._sql().executemany("INSERT OR REPLACE INTO meta (log, key, value) VALUES (?, ?, ?)",
                               [(log, k, int(v)) for k, v in values.items()])


class _MemoryDb:
    """The two tables of the schema as dicts, for a store without a state directory.

    The same statements' effects (INSERT OR REPLACE, DELETE, ORDER BY seq)
    and the same all-or-nothing transactions: each change inside one notes
    how to undo itself, and a transaction that fails undoes them in reverse.
    """

    __slots__ = ("records", "meta", "_undo")

    def __init__(self):
        self.records: dict[str, dict[int, tuple[int, bytes]]] = {}   # log -> id -> (seq, data)
        self.meta: dict[str, dict[str, int]] = {}                     # log -> key -> value
        self._undo: list | None = None

    def load(self, log: str) -> tuple[list[tuple[int, bytes]], dict[str, int]]:
        rows = sorted(self.records.get(log, {}).items(), key=lambda item: item[1][0])
        return [(rid, data) for rid, (_, data) in rows], dict(self.meta.get(log, {}))

    @contextmanager
    def transaction(self):
        self._undo = []
        try:
            yield
        except BaseException:
            for table, key, old in reversed(self._undo):
                if old is _ABSENT:
                    table.pop(key, None)
                else:
                    table[key] = old
            raise
        finally:
            self._undo = None

    def _set(self, table: dict, key, value) -> None:
        self._note(table, key)
        table[key] = value

    def _note(self, table: dict, key) -> None:
        if self._undo is None:
            raise RuntimeError("store changes happen inside transaction()")
        self._undo.append((table, key, table.get(key, _ABSENT)))

    def put(self, log: str, record_id: int, seq: int, data: bytes) -> None:
        self._set(self.records.setdefault(log, {}), record_id, (seq, data))

    def delete(self, log: str, record_id: int) -> None:
        table = self.records.get(log, {})
        if record_id in table:
            self._note(table, record_id)
            del table[record_id]

    def clear(self, log: str) -> None:
        table = self.records.get(log, {})
        for rid in list(table):
            self.delete(log, rid)

    def set_meta(self, log: str, values: dict[str, int]) -> None:
        table = self.meta.setdefault(log, {})
        for k, v in values.items():
            self._set(table, k, v)


_ABSENT = object()


# -- what SEL and SDR share ---------------------------------------------------------------------

def le16(value: int) -> bytes:
    return bytes((value & 0xFF, value >> 8 & 0xFF))


def le32(value: int) -> bytes:
    return value.to_bytes(4, "little")


PARTIAL_ADD_IN_PROGRESS = 0x0
PARTIAL_ADD_LAST = 0x1  # "in progress" byte bits 3:0: this request carries the record's last bytes


class RecordLog:
    """Records with 16-bit ids in repository order, reservations and partial add, persisted in a ``Store``.

    Reads come from memory; every change first commits to the store and only
    then updates memory, so a failed commit leaves nothing half-applied.
    Subclasses say what a record is (``_check_complete``) and how ids 0000h
    and FFFFh are read.
    """

    log = "?"          # the store's name for this log
    max_record = 255   # bytes

    def __init__(self, sim, store: Store, timestamp: Callable[[int], int], name: str):
        self.sim = sim
        self.store = store
        self.timestamp = timestamp
        self.name = name
        rows, meta = store.load(self.log)
        self._check_loaded(rows, meta)
        self._records: dict[int, bytes] = dict(rows)
        self.used_bytes = sum(len(d) for d in self._records.values())
        self._reindex()
        self.next_id = meta.get("next_id", 1)
        self.next_seq = meta.get("next_seq", len(rows) + 1)
        self.last_add = meta.get("last_add", NO_TIMESTAMP)
        self.last_erase = meta.get("last_erase", NO_TIMESTAMP)
        self.overflow = bool(meta.get("overflow", 0))
        self._load_meta(meta)
        # Volatile, as on a real BMC: reservations do not survive a restart.
        self.reservation = 0        # the one valid reservation id; 0 = none
        self._last_reservation = 0
        self._partial: tuple[int, int, bytearray] | None = None  # (reservation, record id, bytes so far)

    def _load_meta(self, meta: dict[str, int]) -> None:
        """Subclasses pick up their own persisted settings."""

    # Persisted values and their ranges: a value outside them would reach a reply (a negative
    # last_add made Get SEL Info fail), so a store holding one is refused at open.
    _META_RANGES = {"next_id": (1, 0xFFFE), "next_seq": (1, 1 << 62), "last_add": (0, NO_TIMESTAMP),
                    "last_erase": (0, NO_TIMESTAMP), "overflow": (0, 1)}

    def _check_loaded(self, rows: list[tuple[int, bytes]], meta: dict[str, int]) -> None:
        where = f"{self.store.where}: {self.log}"
        for key, (lo, hi) in self._META_RANGES.items():
            if key in meta and not lo <= meta[key] <= hi:
                raise StoreError(f"{where} {key} {meta[key]} out of range {lo}..{hi}")
        for rid, data in rows:
            if not 1 <= rid <= 0xFFFE:
                raise StoreError(f"{where} record id {rid} out of range 1..0xFFFE")
            if data[:2] != le16(rid):
                raise StoreError(f"{where} record 0x{rid:04X} carries id bytes {data[:2].hex()}")
            try:
                self._check_stored(data)
            except IpmiError as exc:
                raise StoreError(f"{where} record 0x{rid:04X}: {exc}") from None

    def _check_stored(self, record: bytes) -> None:
        """Raise IpmiError unless ``record`` is one this log would have accepted."""
        self._check_complete(record)

    def _reindex(self) -> None:
        self._order = list(self._records)
        self._pos = {rid: i for i, rid in enumerate(self._order)}

    # -- reading ------------------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._records)

    def __contains__(self, record_id: int) -> bool:
        return record_id in self._records

    def ids(self) -> list[int]:
        return list(self._order)

    def records(self) -> list[bytes]:
        """Every record (its id in bytes 0-1) in repository order."""
        return [self._records[i] for i in self._order]

    def record(self, record_id: int) -> bytes:
        """The record with exactly this id; KeyError if there is none."""
        return self._records[record_id]

    def next_id_after(self, record_id: int) -> int:
        """The id of the record after ``record_id`` in repository order, FFFFh after the last."""
        pos = self._pos[record_id] + 1
        return self._order[pos] if pos < len(self._order) else LAST

    def lookup(self, record_id: int) -> tuple[int, bytes]:
        """(actual id, record) for an access command's record id: 0000h first, FFFFh last, else exact."""
        records = self._records
        if record_id == FIRST or record_id == LAST:
            if not records:
                raise IpmiError(CompletionCode.REQUESTED_DATA_NOT_PRESENT, f"{self.name} is empty")
            rid = self._order[0 if record_id == FIRST else -1]
            return rid, records[rid]
        data = records.get(record_id)
        if data is None:
            raise IpmiError(CompletionCode.REQUESTED_DATA_NOT_PRESENT, f"{self.name} has no record 0x{record_id:04X}")
        return record_id, data

    # -- reservations -------------------------------------------------------------------------------

    def reserve(self) -> int:
        """A new reservation id on every call; it cancels the previous one (and any partial add)."""
        rid = self._last_reservation % 0xFFFF + 1  # 1..0xFFFF, never 0 ("no reservation")
        self._last_reservation = rid
        self.reservation = rid
        self._partial = None
        return rid

    def check_reservation(self, reservation: int) -> None:
        if reservation == 0 or reservation != self.reservation:
            raise IpmiError(CompletionCode.RESERVATION_CANCELED,
                            f"{self.name} reservation 0x{reservation:04X} is not the current one "
                            f"(0x{self.reservation:04X})")

    def cancel_reservation(self) -> None:
        self.reservation = 0
        self._partial = None

    # -- changing -------------------------------------------------------------------------------------

    def _allocate_id(self, start: int | None = None, taken: frozenset | set = frozenset()) -> int:
        """The first free id from ``next_id`` on (never 0000h or FFFFh)."""
        rid = self.next_id if start is None else start
        records = self._records
        for _ in range(0x10000):
            if rid in (FIRST, LAST):
                rid = 1
            if rid not in records and rid not in taken:
                return rid
            rid += 1
        raise IpmiError(CompletionCode.OUT_OF_SPACE, f"{self.name} has no free record id")

    def _has_room(self, count: int, size: int) -> bool:
        raise NotImplementedError

    def _set_overflow(self) -> None:
        if not self.overflow:
            with self.store.transaction() as s:
                s.set_meta(self.log, overflow=1)
            self.overflow = True

    def _insert(self, record: bytes, t: int, record_id: int | None = None) -> int:
        """Commit a complete record (its id bytes are overwritten with the assigned id)."""
        return self._insert_many([record], t, record_id)[0]

    def _insert_many(self, records: list[bytes], t: int, record_id: int | None = None) -> list[int]:
        """Commit whole records in one transaction: all of them or, on any error, none."""
        if not self._has_room(len(records), sum(len(r) for r in records)):
            self._set_overflow()
            raise IpmiError(CompletionCode.OUT_OF_SPACE, f"{self.name} is full")
        stamp = self.timestamp(t)
        added: list[tuple[int, bytes]] = []
        taken: set[int] = set()
        rid = record_id
        for record in records:
            if rid is None:
                rid = self._allocate_id(added[-1][0] % 0xFFFE + 1 if added else None, taken)
            taken.add(rid)
            added.append((rid, le16(rid) + bytes(record[2:])))
            rid = None
        seq = self.next_seq
        next_id = added[-1][0] % 0xFFFE + 1
        with self.store.transaction() as s:
            for i, (rid, data) in enumerate(added):
                s.put(self.log, rid, seq + i, data)
            s.set_meta(self.log, next_id=next_id, next_seq=seq + len(added), last_add=stamp)
        for rid, data in added:
            self._records[rid] = data
            self._pos[rid] = len(self._order)
            self._order.append(rid)
            self.used_bytes += len(data)
        self.next_id = next_id
        self.next_seq = seq + len(added)
        self.last_add = stamp
        self.cancel_reservation()
        if self.sim is not None and self.sim.tracer.enabled:
            for rid, data in added:
                self.sim.trace(t, "bmc", self.name, "add", id=f"0x{rid:04X}", record=data)
        return [rid for rid, _ in added]

    def _remove(self, record_id: int, t: int) -> None:
        stamp = self.timestamp(t)
        with self.store.transaction() as s:
            s.delete(self.log, record_id)
            s.set_meta(self.log, last_erase=stamp)
        self.used_bytes -= len(self._records.pop(record_id))
        self._reindex()
        self.last_erase = stamp
        self.cancel_reservation()
        if self.sim is not None and self.sim.tracer.enabled:
            self.sim.trace(t, "bmc", self.name, "delete", id=f"0x{record_id:04X}")

    def clear(self, t: int) -> None:
        """Erase every record: ids start again at 1, the overflow flag clears, reservations are cancelled."""
        stamp = self.timestamp(t)
        with self.store.transaction() as s:
            s.clear(self.log)
            s.set_meta(self.log, next_id=1, last_erase=stamp, overflow=0)
        self._records.clear()
        self.used_bytes = 0
        self._reindex()
        self.next_id = 1
        self.last_erase = stamp
        self.overflow = False
        self.cancel_reservation()
        if self.sim is not None and self.sim.tracer.enabled:
            self.sim.trace(t, "bmc", self.name, "clear")

    # -- partial add ----------------------------------------------------------------------------------

    def _check_complete(self, record: bytes) -> None:
        """Raise IpmiError(0x80) unless ``record`` is a whole record of this log."""
        raise NotImplementedError

    def _expected_length(self, partial: bytes) -> int | None:
        """The whole record's length once enough of it is known, else None."""
        raise NotImplementedError

    def partial_add(self, reservation: int, record_id: int, offset: int, progress: int, data: bytes, t: int) -> int:
        """Partial Add SEL Entry / Partial Add SDR: the record id being added (the final one when done).

        The first request has record id 0000h and offset 0; later ones name the
        id the first returned and continue at an offset up to the bytes
        received so far (a repeated piece overwrites).  The record is only
        committed with the last piece, so an abandoned add leaves nothing.
        """
        self.check_reservation(reservation)
        if progress & 0xF0 or progress & 0x0F not in (PARTIAL_ADD_IN_PROGRESS, PARTIAL_ADD_LAST):
            raise IpmiError(CompletionCode.INVALID_DATA_FIELD, f"in-progress byte 0x{progress:02X}")
        if record_id == FIRST:
            if offset != 0:
                raise IpmiError(CompletionCode.PARAMETER_OUT_OF_RANGE,
                                f"first partial add starts at offset {offset}, not 0")
            pending_id, buf = self._allocate_id(), bytearray()
        else:
            part = self._partial
            if part is None or part[1] != record_id:
                raise IpmiError(CompletionCode.REQUESTED_DATA_NOT_PRESENT,
                                f"no partial add of record 0x{record_id:04X} in progress")
            pending_id, buf = part[1], bytearray(part[2])
            if offset > len(buf):
                raise IpmiError(CompletionCode.PARAMETER_OUT_OF_RANGE,
                                f"offset {offset} beyond the {len(buf)} bytes received")
            del buf[offset:]
        buf += data
        expected = self._expected_length(buf)
        if len(buf) > (expected if expected is not None else self.max_record):
            self._partial = None
            raise IpmiError(CC_RECORD_REJECTED, f"{len(buf)} bytes exceed the record's {expected or self.max_record}")
        if progress & 0x0F == PARTIAL_ADD_LAST:
            self._partial = None
            self._check_complete(bytes(buf))
            return self._insert(bytes(buf), t, pending_id)
        self._partial = (reservation, pending_id, buf)
        return pending_id

    # -- Get ... Info replies --------------------------------------------------------------------------

    def _info_tail(self) -> bytes:
        return le32(self.last_add) + le32(self.last_erase)
