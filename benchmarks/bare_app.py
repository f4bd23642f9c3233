"""The reference for ``benchmarks/pages.py``: a bare Litestar app with nothing of ForestMatch in it.

Three endpoints:

- ``GET /json``: a small dict as JSON (the framework's floor on this machine);
- ``GET /page``: a tiny Jinja template with 20 rows of the ``offer`` table read through aiosqlite
  (the "minimal Litestar + Jinja page reading 20 rows through aiosqlite");
- ``GET /fts?q=WORD&page=N``: the "minimal FTS endpoint": one word's bm25 top 20 (page N) from a search index's
  FTS5 table as JSON, nothing else (no filters, facets, total, typos or highlights). Only when
  ``BENCH_INDEX_PATH`` (the SQLite file) and ``BENCH_FTS_TABLE`` (the quoted FTS5 table name) are set
  (``browse_cold.py`` sets them to the embedded index's live generation).

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

FTS_SQL = "SELECT rowid, bm25({table}) AS score FROM {table} WHERE {table} MATCH ? ORDER BY score LIMIT 20 OFFSET ?"

_db: dict[str, aiosqlite.Connection] = {}


async def open_db() -> None:
    path = os.environ.get("BENCH_SQLITE_PATH")
    if not path:
        raise RuntimeError("set BENCH_SQLITE_PATH to the SQLite file with the offer table")
    connection = await aiosqlite.connect(path)  # only ever reads
    connection.row_factory = aiosqlite.Row
    _db["conn"] = connection
    index = os.environ.get("BENCH_INDEX_PATH")
    if index:
        _db["index"] = await aiosqlite.connect(index)


async def close_db() -> None:
    for name in ("conn", "index"):
        connection = _db.pop(name, None)
        if connection is not None:
            await connection.close()


@get("/json")
async def json_endpoint() -> dict[str, Any]:
    return {"status": "ok", "service": "bare", "items": [1, 2, 3]}


@get("/page")
async def minimal_page() -> Template:
    rows = await _db["conn"].execute_fetchall(ROWS_SQL)
    return Template(template_name="page.html", context={"rows": rows})


@get("/fts")
async def fts_endpoint(q: str, page: int = 1) -> dict[str, Any]:
    sql = FTS_SQL.format(table=os.environ["BENCH_FTS_TABLE"])
    phrase = '"' + q.replace('"', '""') + '"'
    rows = await _db["index"].execute_fetchall(sql, (phrase, 20 * (max(page, 1) - 1)))
    return {"hits": [{"rid": rid, "score": score} for rid, score in rows]}


def _template_config() -> TemplateConfig[JinjaTemplateEngine]:
    env = Environment(loader=DictLoader({"page.html": PAGE_TEMPLATE}), autoescape=select_autoescape(default=True))
    return TemplateConfig(instance=JinjaTemplateEngine.from_environment(env))


app = Litestar(
    route_handlers=[json_endpoint, minimal_page, fts_endpoint],
    template_config=_template_config(),
    on_startup=[open_db],
    on_shutdown=[close_db],
)
