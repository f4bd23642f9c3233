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
from collections.abc import Callable, Iterator, MutableMapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from app.accounts.services import check_organization
from app.accounts.tables import Organization
from app.certificates.services import check_certificate
from app.certificates.tables import Certificate
from app.i18n import gettext as _
from app.imports.scratch import ScratchMap
from app.imports.sources import DocumentSource, Entry, as_source
from app.imports.traceability import TRACE_CHECKS, TRACE_SECTIONS, TraceFacts, TraceGathering
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
class Checked:
    """A document that passed every check: how many records each section has (the records are read again to be
    written, so a streamed document is never held whole)."""

    counts: dict[str, int] = field(default_factory=lambda: {s: 0 for s in SECTIONS})

    def total(self) -> int:
        return sum(self.counts.values())


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
    #: fields whose problem is already said (a spreadsheet cell that could not be read): no second message
    noted: set[str] = field(default_factory=set)

    @property
    def label(self) -> str:
        """The ref, or the record's position (#3) when it has no usable ref."""
        return self.ref or f"#{self.number}"

    def fail(self, name: str, message: str) -> None:
        if name not in self.noted:
            self.problems.append(Problem(self.section, self.label, name, message))

    def text(self, name: str) -> str | None:
        """A raw value that is a non-empty string (cross-record checks read these even when other fields fail)."""
        value = self.raw.get(name)
        return value.strip() if isinstance(value, str) and value.strip() else None


class CertificateFacts(NamedTuple):
    organization: str | None
    product_types: frozenset[str] | None  # None when the record's list cannot be read


def _facts(value: Any) -> CertificateFacts:
    return CertificateFacts(*value)


@dataclass
class Context:
    """What the checks consult: what the document's records define, and the database's records the document names."""

    #: organisation ref -> kind (None when the record's kind is not readable); a ScratchMap past its spill size
    organizations: MutableMapping[str, str | None] = field(default_factory=ScratchMap)
    certificates: MutableMapping[str, CertificateFacts] = field(default_factory=lambda: ScratchMap(wrap=_facts))
    #: (organisation ref, certificate code) -> ref of the certificate already stored under that code
    stored_codes: dict[tuple[str, str], str] = field(default_factory=dict)
    #: ref -> number of the record that first used it, per section
    first_use: dict[str, MutableMapping[str, int]] = field(default_factory=dict)
    #: (organisation ref, code) -> ref of the first certificate of the document with that code
    document_codes: dict[tuple[str, str], str] = field(default_factory=dict)
    today: dt.date = field(default_factory=dt.date.today)
    trace: TraceFacts = field(default_factory=TraceFacts)


RecordCheck = Callable[[Record, Context], None]
#: Organisation kinds by themselves (the context keeps the vocabulary's str, not one per record).
_KINDS = {kind: kind for kind in ORG_KINDS}


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


#: What ``check_owner`` reads for an organisation ref that is neither in the document nor stored (a kind may be None).
_UNKNOWN: Any = object()
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
    # One lookup, not ``in`` then ``[]``: past a hundred thousand organisations the map is a scratch file, where
    # each is a query (a million offers made 2 million of them).
    kind = context.organizations.get(org, _UNKNOWN) if org is not None else _UNKNOWN
    if kind is _UNKNOWN:
        record.fail("organization", _("Unknown organisation ref %(ref)s.", ref=str(value)[:MAX_REF]))
        return
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


@dataclass
class Gathering:
    """What the checks will consult, gathered one record at a time, then completed from the database (``load``)."""

    context: Context = field(default_factory=lambda: Context(first_use={s: ScratchMap() for s in SECTIONS}))
    named_orgs: set[str] = field(default_factory=set)
    named_certs: set[str] = field(default_factory=set)
    codes: set[str] = field(default_factory=set)
    trace: TraceGathering = field(default_factory=TraceGathering)
    _types: dict[frozenset[str], frozenset[str]] = field(default_factory=dict)

    def add(self, record: Record) -> None:
        context, section = self.context, record.section
        if section == "organizations" and record.ref and record.ref not in context.organizations:
            kind = record.text("kind")
            context.organizations[record.ref] = _KINDS.get(kind) if kind else None  # one str per kind
        elif section == "certificates":
            if record.ref and record.ref not in context.certificates:
                types = record.raw.get("product_types")
                readable = isinstance(types, list) and all(isinstance(t, str) for t in types)
                product_types = frozenset(types) if readable and isinstance(types, list) else None
                if product_types is not None:  # a few distinct sets among thousands of certificates: one of each
                    product_types = self._types.setdefault(product_types, product_types)
                context.certificates[record.ref] = CertificateFacts(
                    organization=_readable_ref(record.raw.get("organization")), product_types=product_types
                )
            if code := record.text("code"):
                self.codes.add(code.upper())
        elif (
            section == "offers"
            and (cert := _readable_ref(record.raw.get("certificate")))
            and cert not in context.certificates
        ):
            self.named_certs.add(cert)  # looked up in the database (``load``) unless a later record defines it
        if (
            section in ("certificates", "offers", "requests")
            and (org := _readable_ref(record.raw.get("organization")))
            and org not in context.organizations
        ):
            self.named_orgs.add(org)
        if section in TRACE_SECTIONS:
            self.trace.add(section, record.ref, record.raw)

    async def load(self) -> Context:
        """The context, completed with what the database holds for the refs and codes the document names."""
        context = self.context
        missing_orgs = sorted(r for r in self.named_orgs | self.trace.organizations if r not in context.organizations)
        for row in await _stored(Organization, Organization.ref, missing_orgs, Organization.ref, Organization.kind):
            context.organizations[row["ref"]] = row["kind"]
        missing_certs = sorted(r for r in self.named_certs if r not in context.certificates)
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
        for row in await _stored(
            Certificate,
            Certificate.code,
            sorted(self.codes),
            Certificate.ref,
            Certificate.code,
            Certificate.organization.ref.as_alias("organization_ref"),
        ):
            context.stored_codes.setdefault((row["organization_ref"], row["code"]), row["ref"])
        context.trace = await self.trace.load()
        return context


#: The check that reads a record's own fields into clean values, per section (what the writing pass runs again).
FIELD_CHECKS: dict[str, RecordCheck] = {
    "organizations": check_organization_fields,
    "certificates": check_certificate_fields,
    "offers": check_offer_fields,
    "requests": check_request_fields,
    **{section: checks[0] for section, checks in TRACE_CHECKS.items()},
}


def _record(entry: Entry) -> Record | Problem:
    """The record of an entry, or the problem of an entry that is not a JSON object."""
    if not isinstance(entry.value, dict):
        return Problem(entry.section, f"#{entry.number}", "", _("Expected a JSON object."))
    record = Record(entry.section, entry.number, entry.value, ref=_readable_ref(entry.value.get("ref")) or "")
    for name, message in entry.notes:
        record.fail(name, message)
        record.noted.add(name)
    return record


def writable(record: Record) -> dict[str, Any]:
    """The clean values of a record that passed its checks, plus what the writing needs (``_organization``,
    ``_certificate``, ``_raw`` for the refs a traceability record names)."""
    clean = record.clean
    assert clean is not None
    if record.section in TRACE_SECTIONS:
        clean["_raw"] = record.raw  # the refs it names are read when writing
    elif record.section != "organizations":
        clean["_organization"] = _readable_ref(record.raw.get("organization"))
    if record.section == "offers":
        clean["_certificate"] = _readable_ref(record.raw.get("certificate"))
    return clean


def clean_records(source: DocumentSource, section: str) -> Any:
    """(ref, clean values) of each record of a checked document's section, read again (the fields' check gives the
    clean values; see ``writable``)."""
    context = Context()  # the fields' checks read nothing of it
    for entry in source.entries([section]):
        record = _record(entry)
        if isinstance(record, Problem):
            raise ImportRejected([record])
        FIELD_CHECKS[section](record, context)
        if record.problems or record.clean is None:  # the document changed between the passes
            raise ImportRejected(record.problems)
        yield record.ref, writable(record)


@dataclass
class Prepared:
    """What the first pass learnt: the refs and codes the document defines and names (with the database's answers),
    the sections to read, each section's record count, and the problems found so far."""

    context: Context
    listed: list[str]
    counts: dict[str, int]
    head: list[Problem]
    by_section: dict[str, list[Problem]]

    def problems(self) -> list[Problem]:
        """Every problem found so far: the document's, then each section's in section order."""
        return self.head + [p for section in SECTIONS for p in self.by_section[section]]

    def total(self) -> int:
        return sum(self.counts.values())


async def prepare(source: DocumentSource, progress: Callable[[int, int], None] | None = None) -> Prepared:
    """The first pass: the document's outline, then what its records define and name (``progress`` gets the records
    read and the total, when the source counted its entries)."""
    shape = source.shape()
    if not shape.is_object:
        raise ImportRejected([Problem("document", "", "format", _("The document must be a JSON object."))])
    head: list[Problem] = []
    if shape.format != FORMAT:
        head.append(Problem("document", "", "format", _('Expected "format": "%(format)s".', format=FORMAT)))
    listed = [s for s in SECTIONS if shape.sections.get(s)]
    counts = {s: 0 for s in SECTIONS}
    gathering = Gathering()
    entries = sum(shape.counts.get(s, 0) for s in listed) if progress else 0
    for read, entry in enumerate(source.entries(listed), start=1):
        record = _record(entry)
        if isinstance(record, Record):
            gathering.add(record)
            counts[record.section] += 1
        if entries and read % 1000 == 0 and read < entries:
            progress(read, entries)  # type: ignore[misc]  # set when entries is
    if progress and entries:
        progress(entries, entries)
    context = await gathering.load()
    del gathering
    by_section: dict[str, list[Problem]] = {s: [] for s in SECTIONS}
    for section in SECTIONS:
        if section in shape.sections and not shape.sections[section]:
            by_section[section].append(Problem(section, "", section, _("Expected a list of records.")))
    return Prepared(context, listed, counts, head, by_section)


def checked_records(source: DocumentSource, prepared: Prepared) -> Iterator[Record]:
    """The second pass: each record (in section order) after every check of its section, its problems added to
    ``prepared``; run it inside ``messages_name_codes`` (the problems name vocabulary keys)."""
    for entry in source.entries(prepared.listed):
        record = _record(entry)
        if isinstance(record, Problem):
            prepared.by_section[entry.section].append(record)
            continue
        for check in RECORD_CHECKS[record.section]:
            check(record, prepared.context)
        prepared.by_section[record.section] += record.problems
        yield record


@naming_codes  # a document is written in vocabulary keys: its problems name the keys to use
async def validate_document(doc: Any) -> Checked:
    """Check every record with every check of its section; raises ImportRejected listing all problems.

    ``doc`` is a parsed document or a ``DocumentSource`` (a file is streamed: read once for what the records
    define and name, once more for the checks, so only those facts are held, not the records)."""
    source = as_source(doc)
    del doc
    return await check_source(source)


async def check_source(source: DocumentSource) -> Checked:
    """``validate_document`` of a source (see there)."""
    prepared = await prepare(source)
    for _checked in checked_records(source, prepared):
        pass
    if problems := prepared.problems():
        raise ImportRejected(problems)
    return Checked(counts=prepared.counts)
