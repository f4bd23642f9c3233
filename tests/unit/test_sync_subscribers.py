"""The sync's subscribers (stale matches, offer changes for alerts) are wired explicitly, never by an import."""

from __future__ import annotations

import subprocess
import sys

HOOK_NAMES = (
    "from app.indexing.sync import stale_request_hooks\n"
    "print([f'{hook.__module__}.{hook.__name__}' for hook in stale_request_hooks])\n"
)


def _run(code: str) -> str:
    result = subprocess.run([sys.executable, "-c", code + HOOK_NAMES], capture_output=True, text=True, check=True)
    return result.stdout.strip()


def test_importing_the_runtime_registers_no_hook() -> None:
    assert _run("import app.worker\n") == "[]"


def test_register_subscribers_registers_each_hook_once() -> None:
    code = "from app.worker import register_subscribers\nregister_subscribers()\nregister_subscribers()\n"
    assert _run(code) == "['app.matching.services.mark_stale', 'app.notifications.alerts.record_offer_changes']"


def test_creating_the_app_twice_registers_each_hook_once() -> None:
    code = "from app.main import create_app\ncreate_app()\ncreate_app()\n"
    assert _run(code) == "['app.matching.services.mark_stale', 'app.notifications.alerts.record_offer_changes']"
