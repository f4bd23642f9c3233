"""Piccolo app for the common agenda of programs: indicators, targets and reported values."""

from __future__ import annotations

import os

from piccolo.conf.apps import AppConfig

from app.agenda.tables import Indicator, IndicatorTarget, ReportedValue, ReportedValueStep

CURRENT_DIRECTORY = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="agenda",
    migrations_folder_path=os.path.join(CURRENT_DIRECTORY, "piccolo_migrations"),
    table_classes=[Indicator, IndicatorTarget, ReportedValue, ReportedValueStep],
    migration_dependencies=["app.accounts.piccolo_app", "app.analytics.piccolo_app"],
    commands=[],
)
