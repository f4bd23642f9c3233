"""The dashboard filters as SQL conditions for each kind of record (see ``app.analytics.filters`` for what each
filter means per record), and the dialect pieces that differ between SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from piccolo.engine.postgres import PostgresEngine

from app.analytics.filters import Filters
from app.db import engine


# --- SQL ----------------------------------------------------------------------------------------------------------
def is_postgres() -> bool:
    return isinstance(engine(), PostgresEngine)


class Sql:
    """Dialect pieces that differ between SQLite and PostgreSQL; everything else is plain SQL."""

    def __init__(self, postgres: bool) -> None:
        self.pg = postgres

    def json_text(self, column: str, key: str) -> str:
        return f"({column} ->> '{key}')" if self.pg else f"json_extract({column}, '$.{key}')"

    def json_int(self, column: str, key: str) -> str:
        return f"CAST({self.json_text(column, key)} AS INTEGER)"

    def json_num(self, column: str, key: str) -> str:
        return (
            f"CAST({self.json_text(column, key)} AS NUMERIC)" if self.pg else f"({self.json_text(column, key)} + 0.0)"
        )

    def json_has(self, column: str) -> str:
        """A condition 'the JSON array ``column`` holds the next parameter'."""
        if self.pg:
            return f"EXISTS (SELECT 1 FROM json_array_elements_text({column}) AS je(v) WHERE je.v = {{}})"
        return f"EXISTS (SELECT 1 FROM json_each({column}) AS je WHERE je.value = {{}})"

    def json_has_any(self, column: str, count: int) -> str:
        marks = ", ".join(["{}"] * count)
        if self.pg:
            return f"EXISTS (SELECT 1 FROM json_array_elements_text({column}) AS je(v) WHERE je.v IN ({marks}))"
        return f"EXISTS (SELECT 1 FROM json_each({column}) AS je WHERE je.value IN ({marks}))"

    def explode(self, column: str, alias: str) -> str:
        """A FROM item giving one row per element of a JSON array of strings (read it with ``element``)."""
        if self.pg:
            return f"CROSS JOIN LATERAL json_array_elements_text({column}) AS {alias}(v)"
        return f"CROSS JOIN json_each({column}) AS {alias}"

    def element(self, alias: str) -> str:
        return f"{alias}.v" if self.pg else f"{alias}.value"

    def month(self, column: str) -> str:
        return f"to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM')" if self.pg else f"substr({column}, 1, 7)"

    def seconds_between(self, later: str, earlier: str) -> str:
        if self.pg:
            return f"EXTRACT(EPOCH FROM ({later} - {earlier}))"
        return f"((julianday({later}) - julianday({earlier})) * 86400.0)"

    def round1(self, column: str) -> str:
        return f"ROUND(CAST({column} AS NUMERIC), 1)"

    def indexed_by(self, index: str) -> str:
        """SQLite's ``INDEXED BY`` for a query whose best index its statistics can hide (nothing on PostgreSQL):
        with sampled statistics (``app.db.refresh_statistics``) SQLite may prefer a wider index plus a sort."""
        return "" if self.pg else f" INDEXED BY {index}"

    def unindexed(self, column: str) -> str:
        """The column, kept from driving SQLite's index choice (its unary plus is a no-op on any value).

        SQLite has no statistics on value ranges and takes a two-sided date range for a narrow one, so it would
        read a period through the date index even when the period holds almost every row.
        """
        return column if self.pg else f"+{column}"


class Where:
    """SQL conditions joined with AND, with their ``{}`` parameters in order (Piccolo's raw placeholders)."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.args: list[Any] = []

    def add(self, sql: str, *args: Any) -> Where:
        self.parts.append(sql)
        self.args.extend(args)
        return self

    def extend(self, other: Where) -> Where:
        self.parts.extend(other.parts)
        self.args.extend(other.args)
        return self

    @property
    def sql(self) -> str:
        return " AND ".join(self.parts) if self.parts else "1 = 1"


def in_program(org: str, program: int) -> Where:
    """Organisation alias ``org`` is named by the program or lies in one of its regions."""
    return Where().add(
        f"({org}.id IN (SELECT po.organization FROM program_organization po WHERE po.program = {{}})"
        f" OR EXISTS (SELECT 1 FROM program_region pr WHERE pr.program = {{}} AND pr.country = {org}.country"
        f" AND (pr.region = '' OR pr.region = {org}.region)))",
        program,
        program,
    )


def producer_org(f: Filters, org: str = "o") -> Where:
    """Where-the-goods-come-from conditions on a producer organisation alias."""
    w = Where()
    if f.country:
        w.add(f"{org}.country = {{}}", f.country)
    if f.region:
        w.add(f"{org}.region = {{}}", f.region)
    if f.legal_form:
        w.add(f"{org}.legal_form = {{}}", f.legal_form)
    return w


def offer_product(f: Filters, offer: str = "f") -> Where:
    w = Where()
    if f.category:
        w.add(f"{offer}.category = {{}}", f.category)
    if f.product_type:
        w.add(f"{offer}.product_type = {{}}", f.product_type)
    if f.claim:
        w.add(f"{offer}.claim = {{}}", f.claim)
    return w


def has_product_filter(f: Filters) -> bool:
    return bool(f.category or f.product_type or f.claim)


def supply(f: Filters, offer: str = "f", org: str = "o") -> Where:
    """Offers (alias ``offer``) of producer organisations (alias ``org``) within the filters."""
    w = producer_org(f, org).extend(offer_product(f, offer))
    if f.program is not None:
        w.extend(in_program(org, f.program))
    return w


def producers(f: Filters, org: str = "o") -> Where:
    """Producer organisations within the filters (with an offer of the chosen product, when one is chosen)."""
    w = producer_org(f, org)
    if has_product_filter(f):
        inner = offer_product(f, "fp")
        w.add(f"EXISTS (SELECT 1 FROM offer fp WHERE fp.organization = {org}.id AND {inner.sql})", *inner.args)
    if f.program is not None:
        w.extend(in_program(org, f.program))
    return w


def demand(f: Filters, sql: Sql, req: str = "r", buyer: str = "b") -> Where:
    """Sourcing requests within the filters (by delivery point; legal form does not apply)."""
    w = Where()
    if f.country:
        w.add(f"{req}.delivery_country = {{}}", f.country)
    if f.region:
        w.add(f"{req}.delivery_region = {{}}", f.region)
    if f.category:
        w.add(f"{req}.category = {{}}", f.category)
    if f.product_type:
        w.add(sql.json_has(f"{req}.product_types"), f.product_type)
    if f.claim:
        w.add(sql.json_has(f"{req}.accepted_claims"), f.claim)
    if f.program is not None:
        member = in_program(buyer, f.program)
        w.add(
            f"({member.sql} OR EXISTS (SELECT 1 FROM program_region pr2 WHERE pr2.program = {{}}"
            f" AND pr2.country = {req}.delivery_country AND (pr2.region = '' OR pr2.region = {req}.delivery_region)))",
            *member.args,
            f.program,
        )
    return w


def trade(f: Filters, conv: str = "c", offer: str = "f", org: str = "o", buyer: str = "b") -> Where:
    """Conversations (and their deals) within the filters: the producer side, its offer, either side's program."""
    w = producer_org(f, org).extend(offer_product(f, offer))
    if f.program is not None:
        a, b = in_program(org, f.program), in_program(buyer, f.program)
        w.add(f"({a.sql} OR {b.sql})", *a.args, *b.args)
    return w


def needs_trade_join(f: Filters) -> bool:
    return bool(f.country or f.region or f.legal_form or has_product_filter(f) or f.program is not None)


# --- id sets: filters applied once to the small tables, then tested in memory while scanning the large ones -------
def _program_orgs(program: int) -> Where:
    inner = in_program("po2", program)
    return Where().add(f"SELECT po2.id FROM organization po2 WHERE {inner.sql}", *inner.args)


def _offer_ids(f: Filters) -> Where:
    """Offers of the chosen product from producers in the chosen place and legal form (program aside)."""
    org = producer_org(f, "fo")
    product = offer_product(f, "ff")
    if not org.parts:
        # Product conditions only: read the offer's own indexes, without visiting every organisation.
        return Where().add(f"SELECT ff.id FROM offer ff WHERE {product.sql}", *product.args)
    inner = org.extend(product)
    return Where().add(
        f"SELECT ff.id FROM offer ff JOIN organization fo ON fo.id = ff.organization WHERE {inner.sql}", *inner.args
    )


def conversation_conditions(f: Filters, conv: str = "c2") -> Where:
    """Conditions on a conversation alias for the trade filters: its offer (product, place, legal form) and either
    side's program (each side's organisations listed once, then tested in memory)."""
    w = Where()
    if f.country or f.region or f.legal_form or has_product_filter(f):
        offers = _offer_ids(f)
        w.add(f"{conv}.offer IN ({offers.sql})", *offers.args)
    if f.program is not None:
        w.extend(program_sides(f.program, conv))
    return w


def program_sides(program: int, conv: str = "c") -> Where:
    """A conversation alias whose producer or buyer is a member of the program (``in_program``'s rule), each side's
    members listed once and tested in memory rather than per row."""
    a, b = _program_orgs(program), _program_orgs(program)
    return Where().add(
        f"({conv}.producer_organization IN ({a.sql}) OR {conv}.buyer_organization IN ({b.sql}))", *a.args, *b.args
    )


def conversation_ids(f: Filters) -> Where:
    """``SELECT id FROM conversation`` for the trade filters (a sequential scan with in-memory set tests)."""
    w = conversation_conditions(f, "c2")
    return Where().add(f"SELECT c2.id FROM conversation c2 WHERE {w.sql}", *w.args)


def match_conditions(f: Filters, match: str = "m") -> Where:
    """Conditions on a match alias for the trade filters: its offer, and either side's program."""
    w = Where()
    if f.country or f.region or f.legal_form or has_product_filter(f):
        offers = _offer_ids(f)
        w.add(f"{match}.offer IN ({offers.sql})", *offers.args)
    if f.program is not None:
        a, b = _program_orgs(f.program), _program_orgs(f.program)
        w.add(
            f"({match}.offer IN (SELECT pf.id FROM offer pf WHERE pf.organization IN ({a.sql}))"
            f" OR {match}.request IN (SELECT pr3.id FROM sourcing_request pr3 WHERE pr3.organization IN ({b.sql})))",
            *a.args,
            *b.args,
        )
    return w
