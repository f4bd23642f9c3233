"""The web layer depends on indexing and events, never the other way round; the cache still hears every change."""

from __future__ import annotations

import subprocess
import sys


def test_the_indexing_and_events_packages_import_nothing_from_the_web_layer() -> None:
    code = (
        "import sys\n"
        "import app.events, app.indexing.documents, app.worker, app.indexing.sync\n"
        "print(sorted(name for name in sys.modules if name.startswith('app.web')))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_the_app_registers_the_listing_cache_once_on_the_indexing_change_hook() -> None:
    from app.events import outbox
    from app.main import create_app
    from app.web import microcache

    create_app()
    create_app()
    assert outbox._change_listeners.count(microcache.invalidate) == 1
