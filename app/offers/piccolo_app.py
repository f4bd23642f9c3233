"""Piccolo app for the offers domain: its tables and migrations."""

from __future__ import annotations

import os

from piccolo.conf.apps import AppConfig

from app.offers.tables import Offer

CURRENT_DIRECTORY = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="offers",
    migrations_folder_path=os.path.join(CURRENT_DIRECTORY, "piccolo_migrations"),
    table_classes=[Offer],
    migration_dependencies=["app.accounts.piccolo_app", "app.certificates.piccolo_app"],
    commands=[],
)
