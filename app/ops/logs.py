"""Log formats: readable text by default, one JSON object per line with ``FORESTMATCH_LOG_FORMAT=json``.

Every line written while a request is handled carries its request id (``REQUEST_ID``); the access log adds the
route, status, duration and user id (never the e-mail address)."""

from __future__ import annotations

import datetime as dt
import json
import logging
from contextvars import ContextVar
from typing import Any

from litestar.logging.config import LoggingConfig

from app.settings import Settings

#: The id of the request being handled in this task ("" outside requests).
REQUEST_ID: ContextVar[str] = ContextVar("forestmatch_request_id", default="")

#: The access log: one line per request (``app.ops.observe``).
access_log = logging.getLogger("forestmatch.access")

#: Attributes every ``LogRecord`` has; anything else on a record came from ``extra=`` and is written as a field.
_STANDARD = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime", "taskName"}
#: ``extra`` fields left out of JSON lines: uvicorn's copy of its message with terminal colour codes.
_DROPPED = {"color_message", "rid"}


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
            if key not in _STANDARD and key not in _DROPPED and key not in data:
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


def _parts(settings: Settings) -> dict[str, Any]:
    """formatters, handlers, root and loggers: one handler, in the configured format, for every logger."""
    json_lines = settings.log_format == "json"
    console = {
        "class": "logging.StreamHandler",
        "level": "DEBUG",
        "formatter": "standard",
        "stream": "ext://sys.stdout" if json_lines else "ext://sys.stderr",
    }
    return {
        "formatters": {"standard": {"()": JsonFormatter if json_lines else TextFormatter}},
        # Litestar expects a "queue_listener" handler; it is the same plain handler here.
        "handlers": {"console": console, "queue_listener": dict(console)},
        "root": {"handlers": ["console"], "level": "DEBUG" if settings.debug else "INFO"},
        "loggers": {
            "litestar": {"level": "INFO", "handlers": ["console"], "propagate": False},
            "uvicorn": {"level": "INFO", "handlers": ["console"], "propagate": False},
            "uvicorn.error": {"level": "INFO", "handlers": [], "propagate": True},
            "uvicorn.access": {"level": "WARNING", "handlers": [], "propagate": False},
        },
    }


def logging_config(settings: Settings) -> LoggingConfig:
    """Litestar's logging configuration (applied when the app is built; ``.configure()`` applies it elsewhere, e.g.
    in ``forestmatch worker``).

    Text goes to stderr, as before; JSON goes to stdout, where container log collectors read it. The handler writes
    in the logging thread (no queue), so a line still knows the request id it was written under. uvicorn's access
    log is off: ``forestmatch.access`` (``app.ops.observe``) replaces it."""
    return LoggingConfig(**_parts(settings))


def uvicorn_log_config(settings: Settings) -> dict[str, Any]:
    """The same, for uvicorn's own process (``forestmatch serve``: the lines it writes before and around the app)."""
    return {"version": 1, "disable_existing_loggers": False, **_parts(settings)}
