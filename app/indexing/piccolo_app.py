"""Piccolo app of the search indexing: its tables moved to the event outbox (app.events); its migrations stay."""

from __future__ import annotations

import os

from piccolo.conf.apps import AppConfig

CURRENT_DIRECTORY = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="indexing",
    migrations_folder_path=os.path.join(CURRENT_DIRECTORY, "piccolo_migrations"),
    table_classes=[],
    migration_dependencies=["app.events.piccolo_app"],
    commands=[],
)
