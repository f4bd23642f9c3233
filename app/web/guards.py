"""Route guards: who may reach a handler at all. Finer ownership checks live in the services."""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler


def signed_in(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    if connection.scope.get("user") is None:
        raise NotAuthorizedException("Sign in first.")


def _role(connection: ASGIConnection[Any, Any, Any, Any], role: str) -> None:
    user = connection.scope.get("user")
    if user is None:
        raise NotAuthorizedException("Sign in first.")
    if user.role != role:
        raise PermissionDeniedException("Your account cannot do this.")


def producer(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    _role(connection, "producer")


def buyer(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    _role(connection, "buyer")


def staff(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    _role(connection, "staff")
