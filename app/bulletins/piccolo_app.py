"""Piccolo app for program updates, comments, posters and the weekly digest queue."""

from __future__ import annotations

import os

from piccolo.conf.apps import AppConfig

from app.bulletins.tables import DigestItem, ProgramPoster, ProgramUpdate, UpdateComment

CURRENT_DIRECTORY = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="bulletins",
    migrations_folder_path=os.path.join(CURRENT_DIRECTORY, "piccolo_migrations"),
    table_classes=[ProgramPoster, ProgramUpdate, UpdateComment, DigestItem],
    migration_dependencies=["app.accounts.piccolo_app", "app.analytics.piccolo_app"],
    commands=[],
)
