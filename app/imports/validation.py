"""Reading and validating a ``forestmatch/1`` document (../shared/IMPORT_FORMAT.md): every problem in one pass.

Every record goes through every check of its section (``RECORD_CHECKS``), whatever the other checks found: a
record whose own fields are wrong still has its references, its certificate's coverage and its duplicates checked
from the raw values that can be read. A check that cannot be made (an offer naming a certificate that is not
there cannot be checked for coverage) is left out, never deferred, so fixing the listed problems never reveals
new ones. Each check is a function ``(record, context) -> None`` that calls ``record.fail(field, message)``; add one
to ``RECORD_CHECKS`` to add a rule.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from app.accounts.services import check_organization
from app.accounts.tables import Organization
from app.certificates.services import check_certificate
from app.certificates.tables import Certificate
from app.i18n import gettext as _
from app.imports.traceability import TRACE_CHECKS, TRACE_SECTIONS, TraceFacts, load_facts, named_organizations
from app.offers.services import check_offer
from app.sourcing.services import check_request
from app.traceability.offer_lots import read_lot_refs
from app.validation import FieldErrors, naming_codes
from app.vocab import ALL_PRODUCT_TYPES, ORG_KINDS

FORMAT = "forestmatch/1"
CORE_SECTIONS = ("organizations", "certificates", "offers", "requests")
#: Every section in the order it is checked and written (traceability last: it names the others' records).
SECTIONS = (*CORE_SECTIONS, *TRACE_SECTIONS)
MAX_REF = 100
CHUNK = 500


@dataclass
class Problem:
    """One reason a document cannot be imported."""

    section: str
    ref: str
    field: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"section": self.section, "ref": self.ref, "field": self.field, "message": self.message}


class ImportRejected(Exception):
    """The document has problems; nothing was written."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = problems


@dataclass
class Plan:
    """A validated document: clean values per section, keyed by ref, in document order."""

    organizations: dict[str, dict[str, Any]] = field(default_factory=dict)
    certificates: dict[str, dict[str, Any]] = field(default_factory=dict)
    offers: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: dict[str, dict[str, Any]] = field(default_factory=dict)
    members: dict[str, dict[str, Any]] = field(default_factory=dict)
    plots: dict[str, dict[str, Any]] = field(default_factory=dict)
    deliveries: dict[str, dict[str, Any]] = field(default_factory=dict)
    lots: dict[str, dict[str, Any]] = field(default_factory=dict)

    def total(self) -> int:
        return sum(len(getattr(self, s)) for s in SECTIONS)


# --- records and what the checks know ------------------------------------------------------------------------------
@dataclass
class Record:
    """One record of the document, its clean values once its fields pass, and its problems."""

    section: str
    number: int
    raw: dict[str, Any]
    ref: str = ""
    clean: dict[str, Any] | None = None
    problems: list[Problem] = field(default_factory=list)

    @property
    def label(self) -> str:
        """The ref, or the record's position (#3) when it has no usable ref."""
        return self.ref or f"#{self.number}"

    def fail(self, name: str, message: str) -> None:
        self.problems.append(Problem(self.section, self.label, name, message))

    def text(self, name: str) -> str | None:
        """A raw value that is a non-empty string (cross-record checks read these even when other fields fail)."""
        value = self.raw.get(name)
        return value.strip() if isinstance(value, str) and value.strip() else None


@dataclass(frozen=True)
class CertificateFacts:
    organization: str | None
    product_types: frozenset[str] | None  # None when the record's list cannot be read


@dataclass
class Context:
    """What the checks consult: the document's records by ref, and the database's records the document names."""

    records: dict[str, list[Record]]
    #: organisation ref -> kind (None when the record's kind is not readable)
    organizations: dict[str, str | None] = field(default_factory=dict)
    certificates: dict[str, CertificateFacts] = field(default_factory=dict)
    #: (organisation ref, certificate code) -> ref of the certificate already stored under that code
    stored_codes: dict[tuple[str, str], str] = field(default_factory=dict)
    #: ref -> number of the record that first used it, per section
    first_use: dict[str, dict[str, int]] = field(default_factory=dict)
    #: (organisation ref, code) -> ref of the first certificate of the document with that code
    document_codes: dict[tuple[str, str], str] = field(default_factory=dict)
    today: dt.date = field(default_factory=dt.date.today)
    trace: TraceFacts = field(default_factory=TraceFacts)


RecordCheck = Callable[[Record, Context], None]


def _readable_ref(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() and len(value) <= MAX_REF else None


# --- checks of one record ------------------------------------------------------------------------------------------
def check_ref(record: Record, context: Context) -> None:
    """A ref of 1 to 100 characters, used once per section."""
    if not record.ref:
        record.fail("ref", _("Every record needs a ref of 1 to %(n)s characters.", n=MAX_REF))
        return
    first = context.first_use[record.section].setdefault(record.ref, record.number)
    if first != record.number:
        record.fail(
            "ref",
            _(
                "This ref appears more than once in the document (records %(first)s and %(this)s of the section).",
                first=first,
                this=record.number,
            ),
        )


def _fields(record: Record, checker: Callable[[dict[str, Any]], dict[str, Any]], raw: dict[str, Any]) -> None:
    try:
        record.clean = checker(raw)
    except FieldErrors as exc:
        for name, message in exc.errors.items():
            record.fail(name, message)


def check_organization_fields(record: Record, context: Context) -> None:
    _fields(record, check_organization, record.raw)


def check_certificate_fields(record: Record, context: Context) -> None:
    _fields(record, check_certificate, record.raw)


def _flatten_offer(record: dict[str, Any]) -> dict[str, Any]:
    raw = dict(record)
    price = raw.pop("price", None)
    if isinstance(price, dict):
        raw.setdefault("price_amount", price.get("amount"))
        raw.setdefault("price_currency", price.get("currency"))
    elif price is not None:
        raw["price_amount"] = price  # reported as an invalid amount by the checker
    return raw


def check_offer_fields(record: Record, context: Context) -> None:
    _fields(record, check_offer, _flatten_offer(record.raw))
    # The lots' claims are derived once the document is written (app.imports.services checks them there).
    refs, problem = read_lot_refs(record.raw.get("lots"))
    if problem:
        record.fail("lots", problem)
    elif refs and record.text("category") != "latex":
        record.fail("lots", _("Only latex offers can name lots."))
    elif record.clean is not None:
        record.clean["lots"] = refs


def check_request_fields(record: Record, context: Context) -> None:
    _fields(record, check_request, record.raw)


_OWNER_KINDS = {
    "certificates": ("producer", "both"),
    "offers": ("producer", "both"),
    "requests": ("buyer", "both"),
}


def check_owner(record: Record, context: Context) -> None:
    """The record names an organisation of the document or the database, of a kind that may hold it."""
    value = record.raw.get("organization")
    if value is None or (isinstance(value, str) and not value.strip()):
        record.fail("organization", _("This field is required."))
        return
    org = _readable_ref(value)
    if org is None or org not in context.organizations:
        record.fail("organization", _("Unknown organisation ref %(ref)s.", ref=str(value)[:MAX_REF]))
        return
    kind = context.organizations[org]
    if kind is None or kind in _OWNER_KINDS[record.section]:
        return
    if record.section == "requests":
        record.fail("organization", _("Organisation %(ref)s is not a buyer.", ref=org))
    else:
        record.fail("organization", _("Organisation %(ref)s is not a producer.", ref=org))


def check_offer_certificate(record: Record, context: Context) -> None:
    """The offer's certificate exists, belongs to the offer's organisation and covers its product type."""
    value = record.raw.get("certificate")
    if value is None or (isinstance(value, str) and not value.strip()):
        record.fail("certificate", _("This field is required."))
        return
    ref = _readable_ref(value)
    cert = context.certificates.get(ref) if ref else None
    if cert is None:
        record.fail("certificate", _("Unknown certificate ref %(ref)s.", ref=str(value)[:MAX_REF]))
        return
    org = _readable_ref(record.raw.get("organization"))
    if org and cert.organization and cert.organization != org:
        record.fail("certificate", _("The certificate belongs to another organisation."))
        return
    product_type = record.text("product_type")
    if cert.product_types is not None and product_type in ALL_PRODUCT_TYPES and product_type not in cert.product_types:
        record.fail("product_type", _("The certificate does not cover this product type."))


def check_certificate_code_once(record: Record, context: Context) -> None:
    """One organisation holds a certificate code once: not twice in the document, not again under another ref."""
    code, org = record.text("code"), _readable_ref(record.raw.get("organization"))
    if not code or not org or not record.ref:
        return
    key = (org, code.upper())
    first = context.document_codes.setdefault(key, record.ref)
    if first != record.ref:
        record.fail(
            "code",
            _(
                "Organisation %(org)s lists certificate %(code)s twice (refs %(first)s and %(ref)s).",
                org=org,
                code=key[1],
                first=first,
                ref=record.ref,
            ),
        )
        return
    stored = context.stored_codes.get(key)
    if stored and stored != record.ref:
        record.fail(
            "code",
            _(
                "Organisation %(org)s already holds certificate %(code)s under ref %(ref)s.",
                org=org,
                code=key[1],
                ref=stored,
            ),
        )


#: The checks every record of a section goes through, in this order (each reports what it finds; none stops the
#: others). Other rules join here, e.g. a country and region check for organisations and requests.
RECORD_CHECKS: dict[str, list[RecordCheck]] = {
    "organizations": [check_ref, check_organization_fields],
    "certificates": [check_ref, check_certificate_fields, check_owner, check_certificate_code_once],
    "offers": [check_ref, check_offer_fields, check_owner, check_offer_certificate],
    "requests": [check_ref, check_request_fields, check_owner],
    **{section: [check_ref, *checks] for section, checks in TRACE_CHECKS.items()},
}


# --- the whole document ----------------------------------------------------------------------------------------------
async def _stored(table: Any, column: Any, values: list[str], *columns: Any) -> list[dict[str, Any]]:
    """Rows whose ``column`` is one of ``values``, read in chunks."""
    found: list[dict[str, Any]] = []
    for start in range(0, len(values), CHUNK):
        chunk = values[start : start + CHUNK]
        found += await table.select(*columns).where(column.is_in(chunk)).output(load_json=True)
    return found


async def _context(records: dict[str, list[Record]]) -> Context:
    """What the document defines, then what the database holds for the refs and codes it names."""
    context = Context(records=records, first_use={s: {} for s in SECTIONS})
    for record in records["organizations"]:
        if record.ref and record.ref not in context.organizations:
            kind = record.text("kind")
            context.organizations[record.ref] = kind if kind in ORG_KINDS else None
    for record in records["certificates"]:
        if record.ref and record.ref not in context.certificates:
            types = record.raw.get("product_types")
            readable = isinstance(types, list) and all(isinstance(t, str) for t in types)
            context.certificates[record.ref] = CertificateFacts(
                organization=_readable_ref(record.raw.get("organization")),
                product_types=frozenset(types) if readable and isinstance(types, list) else None,
            )
    named_orgs = {
        ref
        for section in ("certificates", "offers", "requests")
        for record in records[section]
        if (ref := _readable_ref(record.raw.get("organization")))
    } | named_organizations(records)
    missing_orgs = sorted(named_orgs - set(context.organizations))
    for row in await _stored(Organization, Organization.ref, missing_orgs, Organization.ref, Organization.kind):
        context.organizations[row["ref"]] = row["kind"]
    named_certs = {ref for record in records["offers"] if (ref := _readable_ref(record.raw.get("certificate")))}
    missing_certs = sorted(named_certs - set(context.certificates))
    for row in await _stored(
        Certificate,
        Certificate.ref,
        missing_certs,
        Certificate.ref,
        Certificate.product_types,
        Certificate.organization.ref.as_alias("organization_ref"),
    ):
        context.certificates[row["ref"]] = CertificateFacts(
            row["organization_ref"], frozenset(row["product_types"] or [])
        )
    codes = sorted({code.upper() for record in records["certificates"] if (code := record.text("code"))})
    for row in await _stored(
        Certificate,
        Certificate.code,
        codes,
        Certificate.ref,
        Certificate.code,
        Certificate.organization.ref.as_alias("organization_ref"),
    ):
        context.stored_codes.setdefault((row["organization_ref"], row["code"]), row["ref"])
    context.trace = await load_facts(records)
    return context


def _plan(records: dict[str, list[Record]]) -> Plan:
    plan = Plan()
    for section in SECTIONS:
        target: dict[str, dict[str, Any]] = getattr(plan, section)
        for record in records[section]:
            clean = dict(record.clean or {})
            if section in TRACE_SECTIONS:
                clean["_raw"] = record.raw  # the refs it names are read when writing
            elif section != "organizations":
                clean["_organization"] = _readable_ref(record.raw.get("organization"))
            if section == "offers":
                clean["_certificate"] = _readable_ref(record.raw.get("certificate"))
            target[record.ref] = clean
    return plan


@naming_codes  # a document is written in vocabulary keys: its problems name the keys to use
async def validate_document(doc: Any) -> Plan:
    """Check every record with every check of its section; raises ImportRejected listing all problems."""
    if not isinstance(doc, dict):
        raise ImportRejected([Problem("document", "", "format", _("The document must be a JSON object."))])
    problems: list[Problem] = []
    if doc.get("format") != FORMAT:
        problems.append(Problem("document", "", "format", _('Expected "format": "%(format)s".', format=FORMAT)))
    records: dict[str, list[Record]] = {s: [] for s in SECTIONS}
    # Per section, in document order: a record to check, or the problem of an entry that is not a record.
    entries: dict[str, list[Record | Problem]] = {s: [] for s in SECTIONS}
    for section in SECTIONS:
        items = doc.get(section, [])
        if not isinstance(items, list):
            entries[section].append(Problem(section, "", section, _("Expected a list of records.")))
            continue
        for index, item in enumerate(items, start=1):
            if not isinstance(item, dict):
                entries[section].append(Problem(section, f"#{index}", "", _("Expected a JSON object.")))
                continue
            record = Record(section, index, item, ref=_readable_ref(item.get("ref")) or "")
            records[section].append(record)
            entries[section].append(record)
    context = await _context(records)
    for section in SECTIONS:
        for entry in entries[section]:
            if isinstance(entry, Problem):
                problems.append(entry)
                continue
            for check in RECORD_CHECKS[section]:
                check(entry, context)
            problems += entry.problems
    if problems:
        raise ImportRejected(problems)
    return _plan(records)
