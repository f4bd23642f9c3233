"""Piccolo app for the accounts domain: its tables and migrations."""

from __future__ import annotations

import os

from piccolo.conf.apps import AppConfig

from app.accounts.tables import (
    ApiToken,
    LoginAttempt,
    Organization,
    PasswordReset,
    PasswordResetRequest,
    User,
    UserSession,
)

CURRENT_DIRECTORY = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="accounts",
    migrations_folder_path=os.path.join(CURRENT_DIRECTORY, "piccolo_migrations"),
    table_classes=[Organization, User, ApiToken, LoginAttempt, PasswordReset, PasswordResetRequest, UserSession],
    migration_dependencies=[],
    commands=[],
)
