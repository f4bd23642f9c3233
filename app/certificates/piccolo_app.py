"""Piccolo app for the certificates domain: its tables and migrations."""

from __future__ import annotations

import os

from piccolo.conf.apps import AppConfig

from app.certificates.tables import Certificate

CURRENT_DIRECTORY = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="certificates",
    migrations_folder_path=os.path.join(CURRENT_DIRECTORY, "piccolo_migrations"),
    table_classes=[Certificate],
    migration_dependencies=["app.accounts.piccolo_app"],
    commands=[],
)
