"""Log formats: readable text by default, one JSON object per line with ``FORESTMATCH_LOG_FORMAT=json``.

Every line written while a request is handled carries its request id (``REQUEST_ID``); the access log adds the
route, status, duration and user id (never the e-mail address)."""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
from contextvars import ContextVar
from typing import Any

from app.settings import Settings

#: The id of the request being handled in this task ("" outside requests).
REQUEST_ID: ContextVar[str] = ContextVar("forestmatch_request_id", default="")

#: The access log: one line per request (``app.ops.observe``).
access_log = logging.getLogger("forestmatch.access")

#: Attributes every ``LogRecord`` has; anything else on a record came from ``extra=`` and is written as a field.
_STANDARD = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime", "taskName"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, request_id, the ``extra`` fields, and
    the traceback as ``exception``."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None) or REQUEST_ID.get()
        if request_id:
            data["request_id"] = request_id
        for key, value in record.__dict__.items():
            if key not in _STANDARD and key not in data:
                data[key] = value
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """``time level logger [request id] message``."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s%(rid)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        request_id = getattr(record, "request_id", None) or REQUEST_ID.get()
        record.rid = f" [{request_id}]" if request_id else ""
        return super().format(record)


def formatter_for(log_format: str) -> logging.Formatter:
    return JsonFormatter() if log_format == "json" else TextFormatter()


def configure_logging(settings: Settings) -> None:
    """Send the application's log lines (and uvicorn's) through one handler in the configured format.

    Text goes to stderr, as before; JSON goes to stdout, where container log collectors read it. Leaves logging
    alone when something else configured it for text (a test runner), and is idempotent."""
    root = logging.getLogger()
    root.setLevel(logging.DEBUG if settings.debug else logging.INFO)
    if any(getattr(h, "forestmatch", False) for h in root.handlers):
        return
    if root.handlers and settings.log_format == "text":
        return
    handler = logging.StreamHandler(sys.stdout if settings.log_format == "json" else sys.stderr)
    handler.setFormatter(formatter_for(settings.log_format))
    handler.forestmatch = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    if settings.log_format == "json":
        # uvicorn's own lines (startup, errors) become JSON lines too; its access log is off (ours replaces it).
        for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
            logger = logging.getLogger(name)
            logger.handlers = []
            logger.propagate = True
