"""Piccolo app for stored match results."""

from __future__ import annotations

import os

from piccolo.conf.apps import AppConfig

from app.matching.tables import Match, MatchBundle, MatchRun

CURRENT_DIRECTORY = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="matching",
    migrations_folder_path=os.path.join(CURRENT_DIRECTORY, "piccolo_migrations"),
    table_classes=[MatchRun, Match, MatchBundle],
    migration_dependencies=["app.offers.piccolo_app", "app.sourcing.piccolo_app"],
    commands=[],
)
