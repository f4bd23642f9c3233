"""What the ``forestmatch`` commands share: a progress bar, running a coroutine with the database pool open,
the report language and bringing the search index in step after a bulk write."""

from __future__ import annotations

import asyncio
import sys
import time
from typing import Any

from app.settings import get_settings


class ProgressBar:
    """A one-line progress bar on stderr (redrawn in place on a terminal, sparse lines otherwise)."""

    def __init__(self, label: str, stream: Any = None) -> None:
        self.label = label
        self.stream = stream or sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.started = time.monotonic()
        #: (time, records done) at the first report: the pace is measured from there (the checks before the
        #: writing take their own time)
        self.origin: tuple[float, int] | None = None
        self._last_pct = -1
        self._last_step = -1

    def __call__(self, done: int, total: int) -> None:
        pct = int(100 * done / total) if total else 100
        if pct == self._last_pct:
            return
        # Off a terminal, a line each time a tenth is passed (reports may step over the round figures).
        step = 10 if done >= total else pct // 10
        if not self.tty and step == self._last_step:
            return
        self._last_pct, self._last_step = pct, step
        width = 30
        filled = int(width * pct / 100)
        bar = "#" * filled + "-" * (width - filled)
        line = f"{self.label} [{bar}] {pct:3d}% {done}/{total}{self.eta(done, total)}"
        if self.tty:
            self.stream.write("\r" + line + ("\n" if done >= total else ""))
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def eta(self, done: int, total: int) -> str:
        """`` ETA 1m05s``: the time left at the pace since the first report (nothing at the first one or once done)."""
        now = time.monotonic()
        if self.origin is None:
            self.origin = (now, done)
        since, done_then = self.origin
        if done <= done_then or done >= total:
            return ""
        # Imported when the bar draws: each command loads only what it needs, so `forestmatch --help` starts fast.
        from app.i18n import gettext as _

        left = int((now - since) * (total - done) / (done - done_then))
        hours, rest = divmod(left, 3600)
        minutes, seconds = divmod(rest, 60)
        if hours:
            time_left = f"{hours}h{minutes:02d}m"
        elif minutes:
            time_left = f"{minutes}m{seconds:02d}s"
        else:
            time_left = f"{seconds}s"
        # The time left, e.g. "ETA 1m05s" (h, m and s stay as they are in every language).
        return " " + _("ETA %(time)s", time=time_left)


def run_coroutine(coro: Any) -> Any:
    return asyncio.run(coro)


async def with_db(coro: Any) -> Any:
    # Imported when the command runs: each command loads only what it needs, so `forestmatch --help` starts fast.
    from app.db import close_pool, start_pool

    await start_pool()
    try:
        return await coro
    finally:
        await close_pool()


def cli_locale(value: str | None) -> str:
    """The language of a command's report: ``--lang``, else FORESTMATCH_DEFAULT_LOCALE (one language per report)."""
    # Imported when the command runs: each command loads only what it needs, so `forestmatch --help` starts fast.
    from app.i18n import DEFAULT_LOCALE, normalize_locale

    return normalize_locale(value) or normalize_locale(get_settings().default_locale) or DEFAULT_LOCALE


#: Change events applied to the search index per batch after an import (documents built and written together).
INDEX_BATCH = 2000


async def after_import() -> None:
    """Bring the search index in step before ``import`` exits, so ``forestmatch matches`` right after sees the data."""
    # Imported when the command runs: each command loads only what it needs, so `forestmatch --help` starts fast.
    from app.db import refresh_statistics
    from app.i18n import gettext as _
    from app.indexing.sync import catch_up
    from app.worker import get_backend, register_subscribers

    register_subscribers()
    backend = get_backend()
    await backend.ensure_index("offers")
    # The index is fed after the import's transaction commits (what a rolled-back import wrote must never be
    # searchable), in batches of INDEX_BATCH changes (or rebuilt, after a bulk import), with its own progress line.
    await catch_up(backend, limit=INDEX_BATCH, progress=ProgressBar(_("indexing")))
    await backend.close()
    await refresh_statistics()  # a bulk change: plan the next queries on the new data
