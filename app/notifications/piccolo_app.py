"""Piccolo app for notifications, the e-mail outbox, preferences, saved searches and alert bookkeeping."""

from __future__ import annotations

import os

from piccolo.conf.apps import AppConfig

from app.notifications.tables import (
    AlertOfferChange,
    EmailOutbox,
    Notification,
    NotificationPreference,
    SavedSearch,
)

CURRENT_DIRECTORY = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="notifications",
    migrations_folder_path=os.path.join(CURRENT_DIRECTORY, "piccolo_migrations"),
    table_classes=[Notification, EmailOutbox, NotificationPreference, SavedSearch, AlertOfferChange],
    migration_dependencies=["app.accounts.piccolo_app"],
    commands=[],
)
