"""Log formats (text by default, JSON lines on request) and the production settings' refusals."""

from __future__ import annotations

import io
import json
import logging
import os

import pytest

from app.ops.logs import REQUEST_ID, JsonFormatter, TextFormatter, logging_config, uvicorn_log_config
from app.settings import SettingsError, load_settings


def _record(message: str, **extra: object) -> logging.LogRecord:
    record = logging.LogRecord("forestmatch.sync", logging.WARNING, __file__, 1, message, (3,), None)
    record.__dict__.update(extra)
    return record


def test_json_lines_carry_level_logger_message_request_id_and_extra_fields() -> None:
    token = REQUEST_ID.set("abc123")
    try:
        line = JsonFormatter().format(_record("%d events postponed", subscriber="search", color_message="\x1b[1m"))
    finally:
        REQUEST_ID.reset(token)
    data = json.loads(line)
    assert "\n" not in line
    assert data["time"].endswith("+00:00")
    del data["time"]
    assert data == {
        "level": "warning",
        "logger": "forestmatch.sync",
        "message": "3 events postponed",
        "request_id": "abc123",
        "subscriber": "search",
    }


def test_json_lines_hold_the_traceback_in_one_field() -> None:
    try:
        raise RuntimeError("index locked")
    except RuntimeError:
        import sys

        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", None, sys.exc_info())
    data = json.loads(JsonFormatter().format(record))
    assert data["message"] == "failed"
    assert data["exception"].startswith("Traceback (most recent call last):")
    assert data["exception"].endswith("RuntimeError: index locked")
    assert "request_id" not in data  # outside a request


def test_text_lines_show_the_request_id_when_there_is_one() -> None:
    assert TextFormatter().format(_record("%d left")).endswith(" WARNING forestmatch.sync 3 left")
    token = REQUEST_ID.set("req-9")
    try:
        assert TextFormatter().format(_record("%d left")).endswith(" WARNING forestmatch.sync [req-9] 3 left")
    finally:
        REQUEST_ID.reset(token)


def _settings(**env: str):  # type: ignore[no-untyped-def]
    kept = dict(os.environ)
    os.environ.update(env)
    try:
        return load_settings()
    finally:
        os.environ.clear()
        os.environ.update(kept)


def test_log_format_is_text_by_default_and_json_on_request_and_nothing_else() -> None:
    assert _settings().log_format == "text"
    assert _settings(FORESTMATCH_LOG_FORMAT="JSON").log_format == "json"
    with pytest.raises(SettingsError, match=r"^FORESTMATCH_LOG_FORMAT='xml': give one of text, json\.$"):
        _settings(FORESTMATCH_LOG_FORMAT="xml")


def test_metrics_token_is_off_by_default_and_refused_when_short() -> None:
    assert _settings().metrics_token == ""
    assert _settings(FORESTMATCH_METRICS_TOKEN="t" * 24).metrics_token == "t" * 24
    with pytest.raises(SettingsError, match=r"^FORESTMATCH_METRICS_TOKEN: give a token of at least 24 characters"):
        _settings(FORESTMATCH_METRICS_TOKEN="short-token")


def test_the_configured_handler_writes_json_to_stdout_and_text_to_stderr() -> None:
    json_config = uvicorn_log_config(_settings(FORESTMATCH_LOG_FORMAT="json"))
    assert json_config["handlers"]["console"]["stream"] == "ext://sys.stdout"
    assert json_config["formatters"]["standard"] == {"()": JsonFormatter}
    assert json_config["loggers"]["uvicorn.access"]["handlers"] == []  # our access log replaces uvicorn's
    text = logging_config(_settings())
    assert text.handlers["console"]["stream"] == "ext://sys.stderr"
    assert text.formatters["standard"] == {"()": TextFormatter}
    # Applied, a line goes out through the one handler in the chosen format.
    import logging.config

    stream = io.StringIO()
    config = uvicorn_log_config(_settings(FORESTMATCH_LOG_FORMAT="json"))
    config["handlers"] = {"console": {**config["handlers"]["console"], "stream": stream}}
    del config["root"]  # the test runner keeps its own root handlers
    config["loggers"] = {"probe.test": {"level": "INFO", "handlers": ["console"], "propagate": False}}
    logging.config.dictConfig(config)
    logging.getLogger("probe.test").info("hello %s", "world")
    assert json.loads(stream.getvalue())["message"] == "hello world"
