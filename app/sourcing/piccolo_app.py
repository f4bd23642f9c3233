"""Piccolo app for the sourcing domain: its tables and migrations."""

from __future__ import annotations

import os

from piccolo.conf.apps import AppConfig

from app.sourcing.tables import SourcingRequest

CURRENT_DIRECTORY = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="sourcing",
    migrations_folder_path=os.path.join(CURRENT_DIRECTORY, "piccolo_migrations"),
    table_classes=[SourcingRequest],
    migration_dependencies=["app.accounts.piccolo_app"],
    commands=[],
)
