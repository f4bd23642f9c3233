"""Typed fields for the JSON API's structs whose OpenAPI schema names the allowed values.

Input stays loose when decoded (a string is a string): the services check vocabulary values and answer 400 with one
translated message per field. The schema still lists the keys (``enum``), generated from ``app.vocab``, so clients
and schemathesis know them. Each helper returns Litestar field metadata; use it inside ``Annotated``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from litestar.params import KwargDefinition, QueryParameter

from app.vocab import code_schema, vocabulary_schema

_NULL = {"type": "null"}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    options = schema["oneOf"] if "oneOf" in schema else [schema]
    return {"oneOf": [*options, _NULL]}


def vocab(keys: Iterable[str], *, many: bool = False, text_list: bool = False, nullable: bool = False) -> Any:
    """Field metadata: a key (or list of keys) of this vocabulary."""
    schema = vocabulary_schema(keys, many=many, text_list=text_list)
    return KwargDefinition(schema_extra=_nullable(schema) if nullable else schema)


def code(regex: re.Pattern[str], example: str, *, nullable: bool = False, allow_empty: bool = False) -> Any:
    """Field metadata: a code in a fixed format (ISO country or region); ``allow_empty``: or "" for none."""
    schema = code_schema(regex, example, allow_empty=allow_empty)
    return KwargDefinition(schema_extra=_nullable(schema) if nullable else schema)


def vocab_query(keys: Iterable[str], description: str = "") -> Any:
    """A query parameter taking one key of this vocabulary."""
    schema = {"oneOf": [vocabulary_schema(keys)]}
    return QueryParameter(required=False, description=description or None, schema_extra=schema)


def code_query(regex: re.Pattern[str], example: str, description: str = "") -> Any:
    """A query parameter taking a code in a fixed format."""
    schema = {"oneOf": [code_schema(regex, example)]}
    return QueryParameter(required=False, description=description or None, schema_extra=schema)
