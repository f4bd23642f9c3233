"""Piccolo app for programs (the dashboard's groupings) and the indexes its indicator queries need."""

from __future__ import annotations

import os

from piccolo.conf.apps import AppConfig

from app.analytics.tables import Program, ProgramOrganization, ProgramRegion

CURRENT_DIRECTORY = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="analytics",
    migrations_folder_path=os.path.join(CURRENT_DIRECTORY, "piccolo_migrations"),
    table_classes=[Program, ProgramRegion, ProgramOrganization],
    migration_dependencies=[
        "app.accounts.piccolo_app",
        "app.offers.piccolo_app",
        "app.sourcing.piccolo_app",
        "app.matching.piccolo_app",
        "app.messaging.piccolo_app",
    ],
    commands=[],
)
