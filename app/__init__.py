"""ForestMatch: market access for certified community forest producers."""

from __future__ import annotations

import os

# Piccolo finds its engine and apps through this module; set before any table is used.
os.environ.setdefault("PICCOLO_CONF", "app.piccolo_conf")
