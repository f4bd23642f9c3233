"""The notification work the background worker does after each search-sync pass (in the app process, or in
``forestmatch worker``): alerts from saved searches, the daily certificate check, one batch of the
e-mail outbox, and hourly the database's planner statistics. Each step is independent: one failing is logged and
the others still run."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from app.db import refresh_statistics
from app.notifications import alerts, certificate_alerts, mail
from search_index.backend import SearchBackend

log = logging.getLogger("forestmatch.notifications")

_last_certificate_check: dt.date | None = None
#: When this process last refreshed the database's planner statistics (SQLite only; see app.db.refresh_statistics).
_last_statistics: dt.datetime | None = None
STATISTICS_EVERY = dt.timedelta(hours=1)


async def after_sync_pass(backend: SearchBackend, *, recomputed: int = 0) -> None:
    """Saved-search alerts, the daily certificate check and a batch of e-mails; never raises.

    Match alerts are not here: the matcher raises them in the transaction that stores a pair matched for the first
    time (``alerts.pairs_first_matched``), so a recomputation is never read back as a new match; ``recomputed``
    (how many match sets the pass recomputed) is therefore not needed here any more.
    """
    del recomputed
    global _last_certificate_check, _last_statistics
    steps: list[tuple[str, Any]] = []
    steps.append(("saved-search alerts", lambda: alerts.saved_search_alerts(backend)))
    today = dt.date.today()
    if _last_certificate_check != today:
        steps.append(("certificate check", certificate_alerts.certificate_alerts))
    steps.append(("mail", mail.send_batch))
    moment = dt.datetime.now(dt.UTC)
    if _last_statistics is None or moment - _last_statistics >= STATISTICS_EVERY:
        steps.append(("planner statistics", refresh_statistics))
    for name, step in steps:
        try:
            await step()
            if name == "planner statistics":
                _last_statistics = moment
            if name == "certificate check":
                # Once a day per process; the dedupe keys make a second run (another worker, a restart) harmless.
                _last_certificate_check = today
        except Exception:
            log.exception("%s failed; will retry on the next pass", name)
