"""The Dockerfile, compose.yaml and the entrypoint name the same entrypoint, roles, port, healthcheck paths and
settings as the app, so they cannot drift apart (no container runtime needed)."""

from __future__ import annotations

import os
import re
import stat
from dataclasses import fields

from app.settings import Settings
from tests import deploy_files as deploy

SETTINGS_SOURCE = (deploy.ROOT / "app" / "settings.py").read_text(encoding="utf-8")
#: Every variable the app reads: one per settings field, and each is read in load_settings under that name.
SETTING_VARIABLES = {f"FORESTMATCH_{f.name.upper()}" for f in fields(Settings)}
APP_SERVICES = ("web", "worker")


def test_every_settings_field_is_read_under_its_variable_name() -> None:
    """The mapping the other checks rely on: a field ``x`` is read from ``FORESTMATCH_X``."""
    unread = [
        v
        for v in sorted(SETTING_VARIABLES)
        if f'"{v}"' not in SETTINGS_SOURCE and not v.startswith("FORESTMATCH_TRACE_")
    ]
    assert unread == []


def test_the_image_runs_the_entrypoint_script_with_the_web_role() -> None:
    assert deploy.dockerfile_exec_form("ENTRYPOINT") == ["/app/deploy/entrypoint.sh"]
    assert deploy.dockerfile_exec_form("CMD") == ["web"]
    assert os.stat(deploy.ENTRYPOINT).st_mode & stat.S_IXUSR
    assert deploy.ENTRYPOINT.read_text().startswith("#!/bin/sh\n")
    assert deploy.entrypoint_roles() == ["web", "worker", "migrate", "reindex", "cli"]
    copied = [rest for word, rest in deploy.dockerfile_instructions() if word == "COPY"]
    assert "deploy ./deploy" in copied  # the entrypoint and the probe are in the image, under /app
    assert ("WORKDIR", "/app") in deploy.dockerfile_instructions()


def test_compose_services_use_the_image_with_roles_the_entrypoint_knows() -> None:
    services = deploy.compose()["services"]
    assert sorted(services) == ["db", "meilisearch", "web", "worker"]
    for name in APP_SERVICES:
        assert services[name]["build"] == {"context": ".", "dockerfile": "Dockerfile"}
        assert "entrypoint" not in services[name]
        assert services[name]["command"][0] in deploy.entrypoint_roles()
        assert services[name]["depends_on"]["db"] == {"condition": "service_healthy"}
        assert services[name]["depends_on"]["meilisearch"] == {"condition": "service_healthy", "required": False}
    assert services["web"]["command"] == ["web"]
    assert services["worker"]["command"] == ["worker"]
    assert services["db"]["image"] == "postgres:15"
    assert services["meilisearch"]["profiles"] == ["meilisearch"]
    assert "profiles" not in services["web"] and "profiles" not in services["worker"]


def test_the_port_is_the_same_everywhere() -> None:
    web = deploy.compose()["services"]["web"]
    port = int(deploy.dockerfile_env()["PORT"])
    assert deploy.dockerfile_expose() == [port]
    assert web["environment"]["PORT"] == str(port)
    assert web["ports"] == [f"{port}:{port}"]
    assert '--port "${PORT:-8000}"' in deploy.ENTRYPOINT.read_text() and port == 8000
    assert "os.environ.get('PORT', '8000')" in deploy.PROBE.read_text()


def test_healthchecks_call_probe_paths_the_app_serves() -> None:
    from app.main import create_app

    image_check = deploy.dockerfile_exec_form("HEALTHCHECK")
    compose_check = deploy.compose()["services"]["web"]["healthcheck"]["test"]
    assert image_check == ["python", "/app/deploy/probe.py", "/healthz"]
    assert compose_check == ["CMD", "python", "/app/deploy/probe.py", "/readyz"]
    assert deploy.compose()["services"]["worker"]["healthcheck"] == {"disable": True}
    served = {route.path for route in create_app().routes}
    for path in (image_check[-1], compose_check[-1]):
        assert path in served


def test_compose_sets_only_settings_the_app_reads_and_variables_the_entrypoint_reads() -> None:
    given = {"FORESTMATCH_SECRET_KEY": "s" * 40, "FORESTMATCH_METRICS_TOKEN": "t" * 30}
    seen: set[str] = set()
    for name in APP_SERVICES:
        env = deploy.service_environment(name, given)
        seen |= set(env)
        unknown = [k for k in env if k.startswith("FORESTMATCH_") and k not in SETTING_VARIABLES]
        assert unknown == [], name
        others = {k for k in env if not k.startswith("FORESTMATCH_")}
        assert others <= deploy.entrypoint_variables(), name
        assert env["FORESTMATCH_SYNC_IN_APP"] == "false"  # the worker service drains the outbox
        assert env["FORESTMATCH_DATABASE_URL"] == "postgresql://forestmatch:forestmatch@db:5432/forestmatch"
        assert env["FORESTMATCH_LOG_FORMAT"] == "json"
    image_env = [k for k in deploy.dockerfile_env() if k.startswith("FORESTMATCH_")]
    assert image_env and [k for k in image_env if k not in SETTING_VARIABLES] == []
    assert {"PORT", "WEB_CONCURRENCY", "DB_WAIT_SECONDS"} <= seen


def test_compose_refuses_to_start_without_the_shared_secret_and_the_metrics_token() -> None:
    for missing in ("FORESTMATCH_SECRET_KEY", "FORESTMATCH_METRICS_TOKEN"):
        given = {"FORESTMATCH_SECRET_KEY": "s" * 40, "FORESTMATCH_METRICS_TOKEN": "t" * 30}
        del given[missing]
        try:
            deploy.service_environment("web", given)
        except KeyError as exc:
            assert str(exc).startswith(f"'{missing}: set {missing}")
        else:
            raise AssertionError(f"compose would start without {missing}")


def test_the_readme_production_section_names_the_files_and_the_settings() -> None:
    readme = (deploy.ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Production", 1)[1].split("\n## ", 1)[0]
    for needed in (
        "compose.yaml",
        "Dockerfile",
        "deploy/entrypoint.sh",
        "/healthz",
        "/readyz",
        "/metrics",
        "FORESTMATCH_METRICS_TOKEN",
        "FORESTMATCH_LOG_FORMAT",
        "PROMETHEUS_MULTIPROC_DIR",
        "forestmatch migrate",
        "forestmatch reindex",
    ):
        assert needed in section, needed
    assert re.search(r"\| `FORESTMATCH_METRICS_TOKEN` \|", readme)
    assert re.search(r"\| `FORESTMATCH_LOG_FORMAT` \|", readme)
