"""Piccolo configuration: the engine chosen by settings and the registry of domain apps."""

from __future__ import annotations

from piccolo.conf.apps import AppRegistry

from app.db import build_engine
from app.settings import get_settings

DB = build_engine(get_settings())

APP_REGISTRY = AppRegistry(
    apps=[
        "app.accounts.piccolo_app",
        "app.certificates.piccolo_app",
        "app.offers.piccolo_app",
        "app.sourcing.piccolo_app",
        "app.events.piccolo_app",
        "app.indexing.piccolo_app",
        "app.matching.piccolo_app",
        "app.messaging.piccolo_app",
        "app.notifications.piccolo_app",
        "app.analytics.piccolo_app",
        "app.traceability.piccolo_app",
        "app.bulletins.piccolo_app",
        "app.agenda.piccolo_app",
        "app.partners.piccolo_app",
    ]
)
