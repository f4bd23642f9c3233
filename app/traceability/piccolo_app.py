"""Piccolo app for latex traceability: members, plots, deliveries, lots and their derived results."""

from __future__ import annotations

import os

from piccolo.conf.apps import AppConfig

from app.traceability.tables import CollectorLink, Delivery, Lot, LotInput, LotResult, Member, Plot

CURRENT_DIRECTORY = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="traceability",
    migrations_folder_path=os.path.join(CURRENT_DIRECTORY, "piccolo_migrations"),
    table_classes=[Member, Plot, Delivery, CollectorLink, Lot, LotInput, LotResult],
    migration_dependencies=["app.accounts.piccolo_app"],
    commands=[],
)
