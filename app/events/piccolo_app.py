"""Piccolo app for the event outbox."""

from __future__ import annotations

import os

from piccolo.conf.apps import AppConfig

from app.events.tables import ChangeCount, EventLease, EventOutbox

CURRENT_DIRECTORY = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="events",
    migrations_folder_path=os.path.join(CURRENT_DIRECTORY, "piccolo_migrations"),
    table_classes=[EventOutbox, EventLease, ChangeCount],
    migration_dependencies=[],
    commands=[],
)
