"""Piccolo app for program partners: their roles, commitments and progress updates."""

from __future__ import annotations

import os

from piccolo.conf.apps import AppConfig

from app.partners.tables import (
    Commitment,
    CommitmentIndicator,
    EvidenceFile,
    Partner,
    ProgressUpdate,
    ProgressUpdateStep,
)

CURRENT_DIRECTORY = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="partners",
    migrations_folder_path=os.path.join(CURRENT_DIRECTORY, "piccolo_migrations"),
    table_classes=[Partner, Commitment, CommitmentIndicator, ProgressUpdate, ProgressUpdateStep, EvidenceFile],
    migration_dependencies=["app.accounts.piccolo_app", "app.analytics.piccolo_app", "app.agenda.piccolo_app"],
    commands=[],
)
