"""The notification work the background worker does after each search-sync pass (in the app process, or in
``forestmatch worker``): alerts from new matches and saved searches, the daily certificate check, and one
batch of the e-mail outbox. Each step is independent: one failing is logged and the others still run."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from app.notifications import alerts, mail

log = logging.getLogger("forestmatch.notifications")

_last_certificate_check: dt.date | None = None


async def after_sync_pass(backend: Any) -> None:
    """Alerts, the daily certificate check and a batch of e-mails; never raises."""
    global _last_certificate_check
    steps: list[tuple[str, Any]] = [
        ("match alerts", alerts.match_alerts),
        ("saved-search alerts", lambda: alerts.saved_search_alerts(backend)),
    ]
    today = dt.date.today()
    if _last_certificate_check != today:
        steps.append(("certificate check", alerts.certificate_alerts))
    steps.append(("mail", mail.send_batch))
    for name, step in steps:
        try:
            await step()
            if name == "certificate check":
                # Once a day per process; the dedupe keys make a second run (another worker, a restart) harmless.
                _last_certificate_check = today
        except Exception:
            log.exception("%s failed; will retry on the next pass", name)
