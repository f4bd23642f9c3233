"""The ``clean_db`` fixture empties every table the Piccolo apps register (checked against a migrated database in
``tests/integration/test_clean_db.py``)."""

from __future__ import annotations

import importlib
import pkgutil

from piccolo.table import Table

import app
from app.piccolo_conf import APP_REGISTRY
from tests.db_tables import registered_tables, tables_to_clear


def _table_classes_of_each_app() -> dict[str, list[type[Table]]]:
    """The table classes each ``app/*/piccolo_app.py`` lists, read from the modules themselves."""
    found: dict[str, list[type[Table]]] = {}
    for module_path in APP_REGISTRY.apps:
        config = importlib.import_module(module_path).APP_CONFIG
        found[config.app_name] = list(config.table_classes)
    return found


def _table_classes_defined_in_app() -> set[type[Table]]:
    """Every ``Table`` subclass defined in a ``tables`` module of the ``app`` package."""
    for info in pkgutil.walk_packages(app.__path__, prefix="app."):
        if info.name.rsplit(".", 1)[-1] == "tables":
            importlib.import_module(info.name)
    seen: set[type[Table]] = set()
    pending = list(Table.__subclasses__())
    while pending:
        table = pending.pop()
        pending.extend(table.__subclasses__())
        if table.__module__.startswith("app."):
            seen.add(table)
    return seen


def test_every_table_an_app_registers_is_cleared() -> None:
    cleared = set(tables_to_clear())
    missing = {
        app_name: sorted(t._meta.tablename for t in tables if t._meta.tablename not in cleared)
        for app_name, tables in _table_classes_of_each_app().items()
    }
    assert {app_name: names for app_name, names in missing.items() if names} == {}


def test_every_table_class_in_app_is_registered_with_its_app() -> None:
    registered = {t._meta.tablename for t in registered_tables()}
    defined = {t._meta.tablename for t in _table_classes_defined_in_app()}
    assert sorted(defined - registered) == []


def test_children_are_cleared_before_the_tables_they_point_at() -> None:
    order = tables_to_clear()
    assert len(order) == len(set(order))
    late = [
        (table._meta.tablename, fk._foreign_key_meta.resolved_references._meta.tablename)
        for table in registered_tables()
        for fk in table._meta.foreign_key_columns
        if fk._foreign_key_meta.resolved_references is not table
        and order.index(table._meta.tablename) > order.index(fk._foreign_key_meta.resolved_references._meta.tablename)
    ]
    assert late == []
