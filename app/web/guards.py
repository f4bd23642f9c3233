"""Route guards: who may reach a handler at all. Finer ownership checks live in the services."""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler


def _allow_header_request(connection: ASGIConnection[Any, Any, Any, Any]) -> bool:
    """An OPTIONS request only asks which methods a path allows; it stays open to everyone.

    Guards are stated once per ``Router``, and a router's guards also reach the OPTIONS handler Litestar adds to
    each of its paths; no handler of ours answers OPTIONS itself.
    """
    return connection.scope.get("method") == "OPTIONS"


def signed_in(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    if _allow_header_request(connection):
        return
    if connection.scope.get("user") is None:
        raise NotAuthorizedException("Sign in first.")


def _role(connection: ASGIConnection[Any, Any, Any, Any], role: str) -> None:
    if _allow_header_request(connection):
        return
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
