"""Piccolo app for the search outbox."""

from __future__ import annotations

import os

from piccolo.conf.apps import AppConfig

from app.indexing.tables import SearchOutbox, SearchSyncLease

CURRENT_DIRECTORY = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="indexing",
    migrations_folder_path=os.path.join(CURRENT_DIRECTORY, "piccolo_migrations"),
    table_classes=[SearchOutbox, SearchSyncLease],
    migration_dependencies=[],
    commands=[],
)
