"""The web layer depends on indexing, never the other way round; the listing cache still hears every change."""

from __future__ import annotations

import subprocess
import sys


def test_the_indexing_package_imports_nothing_from_the_web_layer() -> None:
    code = (
        "import sys\n"
        "import app.indexing.documents, app.indexing.runtime, app.indexing.services, app.indexing.sync\n"
        "print(sorted(name for name in sys.modules if name.startswith('app.web')))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_the_app_registers_the_listing_cache_once_on_the_indexing_change_hook() -> None:
    from app.indexing import services
    from app.main import create_app
    from app.web import microcache

    create_app()
    create_app()
    assert services._change_listeners.count(microcache.invalidate) == 1


def test_a_recorded_change_forgets_the_cached_listings() -> None:
    from app.indexing import services
    from app.web import microcache

    services.on_change(microcache.invalidate)
    microcache.put(("listing",), "cached")
    assert microcache.get(("listing",)) == "cached"
    services._changed()
    assert microcache.get(("listing",)) is None
