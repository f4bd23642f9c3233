"""The reference for ``benchmarks/pages.py``: a bare Litestar app with nothing of ForestMatch in it.

Two endpoints:

- ``GET /json``: a small dict as JSON (the framework's floor on this machine);
- ``GET /page``: a tiny Jinja template with 20 rows of the ``offer`` table read through aiosqlite
  (the "minimal Litestar + Jinja page reading 20 rows through aiosqlite").

No middleware, no sessions, no CSRF, no translations, no compression. The SQLite file is the one named by
``BENCH_SQLITE_PATH`` (``pages.py`` points it at the demo database it has just built). One aiosqlite
connection is opened at startup and shared by all requests (aiosqlite runs its queries one at a time on
that connection's thread).

Run: ``BENCH_SQLITE_PATH=var/forestmatch.db uvicorn --app-dir benchmarks bare_app:app --port 8001``.
"""

from __future__ import annotations

import os
from typing import Any

import aiosqlite
from jinja2 import DictLoader, Environment, select_autoescape
from litestar import Litestar, get
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Template
from litestar.template.config import TemplateConfig

PAGE_TEMPLATE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Offers</title></head>
<body>
<h1>Offers</h1>
<table>
<thead><tr><th>Ref</th><th>Title</th><th>Category</th><th>Product</th><th>Quantity</th><th>Status</th></tr></thead>
<tbody>
{% for row in rows %}
<tr><td><a href="/offers/{{ row.ref }}">{{ row.ref }}</a></td><td>{{ row.title }}</td><td>{{ row.category }}</td>
<td>{{ row.product_type }}</td><td>{{ row.quantity }} {{ row.unit }}</td><td>{{ row.status }}</td></tr>
{% endfor %}
</tbody>
</table>
</body>
</html>
"""

ROWS_SQL = (
    "SELECT ref, title, category, product_type, quantity, unit, status FROM offer "
    "ORDER BY created_at DESC, id DESC LIMIT 20"
)

_db: dict[str, aiosqlite.Connection] = {}


async def open_db() -> None:
    path = os.environ.get("BENCH_SQLITE_PATH")
    if not path:
        raise RuntimeError("set BENCH_SQLITE_PATH to the SQLite file with the offer table")
    connection = await aiosqlite.connect(path)  # only ever reads
    connection.row_factory = aiosqlite.Row
    _db["conn"] = connection


async def close_db() -> None:
    connection = _db.pop("conn", None)
    if connection is not None:
        await connection.close()


@get("/json")
async def json_endpoint() -> dict[str, Any]:
    return {"status": "ok", "service": "bare", "items": [1, 2, 3]}


@get("/page")
async def minimal_page() -> Template:
    rows = await _db["conn"].execute_fetchall(ROWS_SQL)
    return Template(template_name="page.html", context={"rows": rows})


def _template_config() -> TemplateConfig[JinjaTemplateEngine]:
    env = Environment(loader=DictLoader({"page.html": PAGE_TEMPLATE}), autoescape=select_autoescape(default=True))
    return TemplateConfig(instance=JinjaTemplateEngine.from_environment(env))


app = Litestar(
    route_handlers=[json_endpoint, minimal_page],
    template_config=_template_config(),
    on_startup=[open_db],
    on_shutdown=[close_db],
)
