"""Reading the deploy files (Dockerfile, compose.yaml, deploy/entrypoint.sh) for the tests that keep them in step
with the app (tests/unit/test_deploy_files.py) and run them (tests/integration/test_entrypoint.py)."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = ROOT / "Dockerfile"
COMPOSE = ROOT / "compose.yaml"
ENTRYPOINT = ROOT / "deploy" / "entrypoint.sh"
PROBE = ROOT / "deploy" / "probe.py"


def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    lines: list[tuple[str, str]] = []
    pending = ""
    for raw in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line = pending + line
        pending = ""
        word, _, rest = line.partition(" ")
        lines.append((word.upper(), rest.strip()))
    return lines


def dockerfile_env() -> dict[str, str]:
    env: dict[str, str] = {}
    for word, rest in dockerfile_instructions():
        if word == "ENV":
            for item in shlex.split(rest):
                key, _, value = item.partition("=")
                env[key] = value
    return env


def dockerfile_exec_form(instruction: str) -> list[str]:
    """The JSON array of ENTRYPOINT, CMD, or the CMD of HEALTHCHECK."""
    for word, rest in dockerfile_instructions():
        if word == instruction == "HEALTHCHECK":
            return json.loads(rest.split(" CMD ", 1)[1])
        if word == instruction:
            return json.loads(rest)
    raise AssertionError(f"no {instruction} in the Dockerfile")


def dockerfile_expose() -> list[int]:
    return [int(p.split("/")[0]) for word, rest in dockerfile_instructions() if word == "EXPOSE" for p in rest.split()]


_VARIABLE = re.compile(r"\$\{([A-Z_][A-Z0-9_]*)(?::?([-?])([^}]*))?\}")


def resolve(value: str, given: dict[str, str]) -> str:
    """Compose's interpolation: ``${NAME}``, ``${NAME:-default}``, ``${NAME:?message}`` (an error when not given)."""

    def one(match: re.Match[str]) -> str:
        name, kind, rest = match.group(1), match.group(2), match.group(3)
        if given.get(name):
            return given[name]
        if kind == "?":
            raise KeyError(f"{name}: {rest}")
        return rest or ""

    return _VARIABLE.sub(one, value)


def service_environment(service: str, given: dict[str, str]) -> dict[str, str]:
    """A service's environment as compose would pass it, with ``given`` as the values of the .env file."""
    env = compose()["services"][service].get("environment", {})
    return {key: resolve(str(value), given) for key, value in env.items()}


def entrypoint_roles() -> list[str]:
    """The roles the entrypoint's ``case`` accepts."""
    return re.findall(r"^\s{4}([a-z]+)\)\s*$", ENTRYPOINT.read_text(encoding="utf-8"), flags=re.M)


def entrypoint_variables() -> set[str]:
    return set(re.findall(r"\$\{?([A-Z_][A-Z0-9_]*)", ENTRYPOINT.read_text(encoding="utf-8")))
