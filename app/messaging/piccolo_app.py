"""Piccolo app for conversations, messages, match events and organisation blocks."""

from __future__ import annotations

import os

from piccolo.conf.apps import AppConfig

from app.messaging.tables import Conversation, MatchEvent, Message, OrganizationBlock

CURRENT_DIRECTORY = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="messaging",
    migrations_folder_path=os.path.join(CURRENT_DIRECTORY, "piccolo_migrations"),
    table_classes=[Conversation, Message, MatchEvent, OrganizationBlock],
    migration_dependencies=[
        "app.accounts.piccolo_app",
        "app.offers.piccolo_app",
        "app.sourcing.piccolo_app",
        "app.matching.piccolo_app",
    ],
    commands=[],
)
