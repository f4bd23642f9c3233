"""The certificate form as the browser posts it: which fields repeat (shared by the pages and inline validation)."""

from __future__ import annotations

#: Fields posted once per ticked box.
MULTI = ("product_types",)
