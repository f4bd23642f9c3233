"""The API documentation page at ``/schema`` (and ``/schema/swagger``): Swagger UI served from our own origin.

Litestar's stock viewers load their scripts and styles from CDNs and start them with an inline script, both of
which our Content-Security-Policy blocks (the page stayed blank). This page uses Swagger UI 5.36.0 vendored under
``static/vendor/`` (see its README) and starts it from ``static/js/api-docs.js``: no inline script or style, nothing
from another origin. The other stock viewers (ReDoc, Elements, RapiDoc) are not offered.
"""

from __future__ import annotations

from html import escape
from typing import Any

from litestar import Request
from litestar.openapi.plugins import OpenAPIRenderPlugin

from app.web.static_assets import static_url

SWAGGER_UI = "vendor/swagger-ui-5.36.0"


class LocalSwaggerUI(OpenAPIRenderPlugin):
    """Swagger UI from local files, started by an external script (CSP ``script-src 'self'``)."""

    def __init__(self) -> None:
        super().__init__(path=["/", "/swagger"], favicon="", style="")

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        title = escape(str(openapi_schema.get("info", {}).get("title", "API")))
        spec_url = escape(self.get_openapi_json_route(request))
        return f"""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{title}</title>
  <link rel="icon" href="/favicon.ico">
  <link rel="stylesheet" href="{static_url(SWAGGER_UI + "/swagger-ui.css")}">
  <script src="{static_url(SWAGGER_UI + "/swagger-ui-bundle.js")}" defer></script>
  <script src="{static_url("js/api-docs.js")}" defer></script>
</head>
<body>
  <div id="swagger-ui" data-spec-url="{spec_url}"></div>
  <noscript><p>The interactive documentation needs JavaScript. The schema itself is at
    <a href="{spec_url}">{spec_url}</a>.</p></noscript>
</body>
</html>
""".encode()
