"""What an import keeps per ref (the refs a section defines, the organisations and certificates the checks consult),
in memory while it is small and in a private scratch SQLite file past ``SPILL`` entries, so a document of a million
records is checked in bounded memory (a Python dict holds about 150 bytes per ref; the scratch file keeps its pages
on disk behind a small cache).

``ScratchMap`` is a mapping of str keys to values ``marshal`` can write (str, None, tuples, frozensets); the file is
deleted when the map is closed or collected. Nothing here is shared between imports or processes."""

from __future__ import annotations

import marshal
import os
import sqlite3
import tempfile
from collections.abc import Callable, Iterator, MutableMapping
from typing import Any

#: Entries held in a plain dict before the map moves to its scratch file.
SPILL = 100_000
#: Page cache of a scratch file (KiB).
CACHE_KIB = 8 * 1024
_BATCH = 5_000


class ScratchMap(MutableMapping[str, Any]):
    """A str-keyed mapping that moves to a temporary SQLite file once it holds more than ``spill`` entries."""

    def __init__(self, spill: int | None = None, wrap: Callable[[Any], Any] | None = None) -> None:
        """``wrap`` turns a value read back from the file into what was stored (e.g. a named tuple's class, whose
        values are written as plain tuples)."""
        self.spill = SPILL if spill is None else spill
        self._wrap = wrap
        self._dict: dict[str, Any] | None = {}
        self._conn: sqlite3.Connection | None = None
        self._path: str | None = None
        self._pending: dict[str, bytes] = {}

    # -- the scratch file ----------------------------------------------------------------------------------------
    def _open(self) -> sqlite3.Connection:
        fd, self._path = tempfile.mkstemp(prefix="forestmatch-import-", suffix=".sqlite3")
        os.close(fd)
        conn = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
        # A private scratch file, deleted afterwards: no journal, no syncing (a crash loses nothing of value).
        conn.execute("PRAGMA journal_mode = OFF")
        conn.execute("PRAGMA synchronous = OFF")
        conn.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
        conn.execute("PRAGMA temp_store = FILE")
        conn.execute("CREATE TABLE m (k TEXT PRIMARY KEY, v BLOB) WITHOUT ROWID")
        conn.execute("BEGIN")
        return conn

    def _spill(self) -> None:
        assert self._dict is not None
        self._conn = self._open()
        self._conn.executemany("INSERT INTO m VALUES (?, ?)", ((k, self._dump(v)) for k, v in self._dict.items()))
        self._dict = None

    def _flush(self) -> None:
        if self._pending and self._conn is not None:
            self._conn.executemany("INSERT OR REPLACE INTO m VALUES (?, ?)", self._pending.items())
            self._pending = {}

    def close(self) -> None:
        """Delete the scratch file (the map is empty afterwards)."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        if self._path is not None:
            try:
                os.unlink(self._path)
            except FileNotFoundError:
                pass
            self._path = None
        self._dict, self._pending = {}, {}

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # noqa: S110 - at interpreter exit modules may be gone; the file is in the temp dir
            pass

    @staticmethod
    def _dump(value: Any) -> bytes:
        return marshal.dumps(tuple(value) if isinstance(value, tuple) else value)

    def _load(self, data: bytes) -> Any:
        value = marshal.loads(data)
        return self._wrap(value) if self._wrap is not None else value

    # -- the mapping ---------------------------------------------------------------------------------------------
    def __getitem__(self, key: str) -> Any:
        if self._dict is not None:
            return self._dict[key]
        if key in self._pending:
            return self._load(self._pending[key])
        assert self._conn is not None
        row = self._conn.execute("SELECT v FROM m WHERE k = ?", (key,)).fetchone()
        if row is None:
            raise KeyError(key)
        return self._load(row[0])

    def __contains__(self, key: object) -> bool:
        if self._dict is not None:
            return key in self._dict
        if key in self._pending:
            return True
        assert self._conn is not None
        return self._conn.execute("SELECT 1 FROM m WHERE k = ?", (key,)).fetchone() is not None

    def get(self, key: str, default: Any = None) -> Any:
        try:
            return self[key]
        except KeyError:
            return default

    def __setitem__(self, key: str, value: Any) -> None:
        if self._dict is not None:
            self._dict[key] = value
            if len(self._dict) > self.spill:
                self._spill()
            return
        self._pending[key] = self._dump(value)
        if len(self._pending) >= _BATCH:
            self._flush()

    def setdefault(self, key: str, default: Any = None) -> Any:
        if self._dict is not None:
            value = self._dict.setdefault(key, default)
            if len(self._dict) > self.spill:
                self._spill()
            return value
        try:
            return self[key]
        except KeyError:
            self[key] = default
            return default

    def __delitem__(self, key: str) -> None:
        if self._dict is not None:
            del self._dict[key]
            return
        self._flush()
        assert self._conn is not None
        if self._conn.execute("DELETE FROM m WHERE k = ?", (key,)).rowcount == 0:
            raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        if self._dict is not None:
            yield from list(self._dict)
            return
        self._flush()
        assert self._conn is not None
        rows = self._conn.execute("SELECT k FROM m ORDER BY k LIMIT 1000").fetchall()
        while True:  # in pages, so no cursor is open while the map changes
            if not rows:
                return
            for (key,) in rows:
                yield key
            rows = self._conn.execute("SELECT k FROM m WHERE k > ? ORDER BY k LIMIT 1000", (rows[-1][0],)).fetchall()

    def __len__(self) -> int:
        if self._dict is not None:
            return len(self._dict)
        self._flush()
        assert self._conn is not None
        count: int = self._conn.execute("SELECT count(*) FROM m").fetchone()[0]
        return count

    @property
    def spilled(self) -> bool:
        """True once the entries live in the scratch file."""
        return self._dict is None
