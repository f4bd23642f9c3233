"""The embedded backend's SQLite connections: a small pool, WAL mode, and write transactions that give up with
``IndexBusy`` instead of sitting on a lock another process holds."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from search_index import embedded_store as store
from search_index.backend import SearchBackendError

#: SQLite connections per backend: searches beyond that many at once wait for one (the CPU count is the real limit).
CONNECTIONS = 4
#: SQLite page cache per connection, in KiB.
PAGE_CACHE_KB = 16384
#: How long searches and rebuilds wait for a lock held by another connection (SQLite's busy timeout), in seconds.
BUSY_TIMEOUT_S = 30.0
#: How long the sync's writes (upsert, delete, creating the index) wait for the index's write lock before giving up
#: with IndexBusy: the outbox worker retries them a moment later instead of sitting on a lock someone else holds.
SYNC_WRITE_WAIT_S = 2.0


class IndexBusy(SearchBackendError):
    """The index file's write lock is held elsewhere (another process, a long rebuild): try again shortly."""


class PooledConnections:
    """Connections to ``self.path``: at most CONNECTIONS at once, one writer at a time (set up by the backend)."""

    path: Path
    _write_lock: threading.Lock
    _slots: threading.BoundedSemaphore
    _idle: list[sqlite3.Connection]
    _epoch: int
    _connections_lock: threading.Lock
    _initialised: bool

    # -- connections and transactions ------------------------------------------------------------------------

    def _open(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=BUSY_TIMEOUT_S)
        conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        conn.execute("PRAGMA synchronous = NORMAL")
        # No mmap: each connection's mapping of the index file counts in the process's resident memory once it is
        # read (a 300 MB index read by 40 worker threads made a 1.7 GB peak RSS); pages come from the OS page
        # cache through a bounded per-connection cache instead.
        conn.execute("PRAGMA mmap_size = 0")
        conn.execute(f"PRAGMA cache_size = -{PAGE_CACHE_KB}")
        conn.execute("PRAGMA temp_store = MEMORY")
        if not self._initialised:
            with self._write_lock:
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute(store.META_SQL)
                conn.execute(store.CHANGES_SQL)
                self._initialised = True
        return conn

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        """One of at most CONNECTIONS pooled connections (threads beyond that wait for one)."""
        self._slots.acquire()
        try:
            with self._connections_lock:
                epoch = self._epoch
                conn = self._idle.pop() if self._idle else None
            conn = conn or self._open()
            try:
                yield conn
            finally:
                with self._connections_lock:
                    if epoch == self._epoch:
                        self._idle.append(conn)
                        conn = None
                if conn is not None:  # the backend was closed meanwhile
                    conn.close()
        finally:
            self._slots.release()

    @contextmanager
    def _transaction(
        self, write: bool, wait_s: float = BUSY_TIMEOUT_S, temp_files: bool = False
    ) -> Iterator[sqlite3.Connection]:
        """A read transaction, or a write transaction holding the file's write lock (waiting at most ``wait_s`` for
        it: IndexBusy after that). ``temp_files``: SQLite's temporary data (the sorts that build an index) goes to
        temporary files rather than memory for this transaction (the setting cannot change inside one)."""
        lock = self._write_lock if write else None
        with self._connection() as conn:
            if lock and not lock.acquire(timeout=wait_s):
                raise IndexBusy(f"search index is locked: another write of this process held it for {wait_s:g} s")
            if temp_files:
                conn.execute("PRAGMA temp_store = FILE")
            try:
                if write and wait_s != BUSY_TIMEOUT_S:
                    conn.execute(f"PRAGMA busy_timeout = {int(wait_s * 1000)}")
                try:
                    conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
                except sqlite3.OperationalError as exc:
                    if write and ("locked" in str(exc) or "busy" in str(exc)):
                        raise IndexBusy(f"search index is locked by another connection (waited {wait_s:g} s)") from exc
                    raise
                finally:
                    if write and wait_s != BUSY_TIMEOUT_S:
                        conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
                try:
                    yield conn
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
                conn.execute("COMMIT")
            finally:
                if temp_files:
                    conn.execute("PRAGMA temp_store = MEMORY")
                if lock:
                    lock.release()
