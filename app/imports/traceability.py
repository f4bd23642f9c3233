"""The traceability sections of a ``forestmatch/1`` document (TRACEABILITY.md): ``members``, ``plots``, ``deliveries``
and ``lots``, checked like the other sections (every record through every check, every problem listed).

Only what does not parse or is out of range is refused here (a geometry that is not a Point or Polygon of numbers
within ±90/±180, a DRC outside 0-100 %, negative kg, unknown vocabulary, unknown refs). Everything else that parses
is stored and flagged later by the engine's checks, so its owner can fix it.

The checks take the record and the document's context duck-typed (``.raw``, ``.ref``, ``.fail``, ``.text``, and
``context.organizations`` / ``context.trace``), so this module does not import ``app.imports.validation``, which
imports it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from app.i18n import gettext as _
from app.traceability.fields import check_delivery, check_lot, check_member, check_plot, is_number
from app.traceability.tables import Delivery, Lot, LotInput, Member, Plot
from app.validation import FieldErrors

TRACE_SECTIONS = ("members", "plots", "deliveries", "lots")
MAX_REF = 100
CHUNK = 500
#: Organisation kinds that receive latex: collectors, and producers collecting for their own members.
COLLECTOR_KINDS = ("collector", "producer", "both")


class RecordLike(Protocol):
    raw: dict[str, Any]
    ref: str
    clean: dict[str, Any] | None

    def fail(self, name: str, message: str) -> None: ...

    def text(self, name: str) -> str | None: ...


@dataclass
class TraceFacts:
    """What the traceability checks consult: the document's records and the stored ones the document names."""

    #: member ref -> group organisation ref (None when the record's group cannot be read)
    members: dict[str, str | None] = field(default_factory=dict)
    #: plot ref -> member ref (None when not readable)
    plots: dict[str, str | None] = field(default_factory=dict)
    deliveries: set[str] = field(default_factory=set)
    #: lot ref -> the refs of the lots it draws from (document first, else the database)
    lots: dict[str, list[str]] = field(default_factory=dict)
    #: (group ref, member code) -> ref of the stored member with that code
    stored_codes: dict[tuple[str, str], str] = field(default_factory=dict)
    #: (group ref, member code) -> ref of the first member of the document with that code
    document_codes: dict[tuple[str, str], str] = field(default_factory=dict)


class ContextLike(Protocol):
    organizations: dict[str, str | None]
    trace: TraceFacts


def readable_ref(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() and len(value) <= MAX_REF else None


def _fields(record: RecordLike, checker: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
    try:
        record.clean = checker(record.raw)
    except FieldErrors as exc:
        for name, message in exc.errors.items():
            record.fail(name, message)


# --- checks of one record against the others --------------------------------------------------------------------------
def _known_organization(record: RecordLike, context: ContextLike, name: str) -> str | None:
    """The organisation ref in field ``name`` when the document or the database has it (else the record fails)."""
    value = record.raw.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        record.fail(name, _("This field is required."))
        return None
    ref = readable_ref(value)
    if ref is None or ref not in context.organizations:
        record.fail(name, _("Unknown organisation ref %(ref)s.", ref=str(value)[:MAX_REF]))
        return None
    return ref


def _known(record: RecordLike, name: str, known: Iterable[str] | dict[str, Any], message: str) -> str | None:
    """The ref in field ``name`` when known (None when absent; the record fails when unknown)."""
    value = record.raw.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    ref = readable_ref(value)
    if ref is None or ref not in known:
        record.fail(name, message % {"ref": str(value)[:MAX_REF]})
        return None
    return ref


def check_member_fields(record: RecordLike, context: ContextLike) -> None:
    _fields(record, check_member)


def check_member_group(record: RecordLike, context: ContextLike) -> None:
    """The member's group is an organisation of the document or the database."""
    _known_organization(record, context, "group")


def check_member_code_once(record: RecordLike, context: ContextLike) -> None:
    """A group gives a member code to one member: not twice in the document, not again under another ref."""
    code, group = record.text("member_code"), readable_ref(record.raw.get("group"))
    if not code or not group or not record.ref:
        return
    key = (group, code)
    first = context.trace.document_codes.setdefault(key, record.ref)
    if first != record.ref:
        record.fail(
            "member_code",
            _(
                "Group %(group)s lists member code %(code)s twice (refs %(first)s and %(ref)s).",
                group=group,
                code=code,
                first=first,
                ref=record.ref,
            ),
        )
        return
    stored = context.trace.stored_codes.get(key)
    if stored and stored != record.ref:
        record.fail(
            "member_code",
            _(
                "Group %(group)s already has member code %(code)s under ref %(ref)s.",
                group=group,
                code=code,
                ref=stored,
            ),
        )


def check_plot_fields(record: RecordLike, context: ContextLike) -> None:
    _fields(record, check_plot)


def check_plot_member(record: RecordLike, context: ContextLike) -> None:
    """The plot's member is a member of the document or the database."""
    if record.raw.get("member") in (None, ""):
        record.fail("member", _("This field is required."))
        return
    _known(record, "member", context.trace.members, _("Unknown member ref %(ref)s."))


def check_delivery_fields(record: RecordLike, context: ContextLike) -> None:
    _fields(record, check_delivery)


def check_delivery_refs(record: RecordLike, context: ContextLike) -> None:
    """A known collector of a kind that receives latex; a known member and plot, the plot being the member's."""
    collector = _known_organization(record, context, "collector")
    kind = context.organizations.get(collector) if collector else None
    if collector and kind is not None and kind not in COLLECTOR_KINDS:
        record.fail(
            "collector", _("Organisation %(ref)s does not receive latex: it is not a collector.", ref=collector)
        )
    member = _known(record, "member", context.trace.members, _("Unknown member ref %(ref)s."))
    plot = _known(record, "plot", context.trace.plots, _("Unknown plot ref %(ref)s."))
    owner = context.trace.plots.get(plot) if plot else None
    if member and owner and owner != member and owner in context.trace.members:
        record.fail(
            "plot",
            _("Plot %(plot)s belongs to member %(owner)s, not to %(member)s.", plot=plot, owner=owner, member=member),
        )


def check_lot_fields(record: RecordLike, context: ContextLike) -> None:
    _fields(record, check_lot)


def check_lot_holder(record: RecordLike, context: ContextLike) -> None:
    _known_organization(record, context, "holder")


def _input_problems(item: Any, context: ContextLike, lot_ref: str) -> list[str]:
    """Why one input of a lot is refused (empty when it is fine)."""
    if not isinstance(item, dict):
        return [_('An input is {"delivery": ref} or {"lot": ref, "dry_kg": n}.')]
    delivery, source = item.get("delivery"), item.get("lot")
    if delivery is not None and source is not None:
        return [_("An input names a delivery or a lot, not both.")]
    if delivery is None and source is None:
        return [_('An input is {"delivery": ref} or {"lot": ref, "dry_kg": n}.')]
    if delivery is not None:
        problems = []
        if readable_ref(delivery) not in context.trace.deliveries:
            problems.append(_("Unknown delivery ref %(ref)s.", ref=str(delivery)[:MAX_REF]))
        if item.get("dry_kg") is not None:
            problems.append(_("A delivery counts whole: dry_kg belongs only to an input drawn from a lot."))
        return problems
    problems = []
    ref = readable_ref(source)
    if ref is None or ref not in context.trace.lots:
        problems.append(_("Unknown lot ref %(ref)s.", ref=str(source)[:MAX_REF]))
    elif ref == lot_ref:
        problems.append(_("A lot cannot draw from itself."))
    dry = item.get("dry_kg")
    if not isinstance(dry, int | float) or not is_number(dry) or dry < 0:
        problems.append(_("An input drawn from a lot needs dry_kg, a number of at least 0."))
    return problems


def _cycle(start: str, lots: dict[str, list[str]]) -> list[str] | None:
    """A chain of lots leading from ``start`` back to it, if there is one (walked without recursion)."""
    stack: list[tuple[str, list[str]]] = [
        (source, [start, source]) for source in lots.get(start, []) if source != start
    ]
    seen: set[str] = set()
    while stack:
        ref, path = stack.pop()
        if ref == start:
            return path
        if ref in seen:
            continue
        seen.add(ref)
        stack += [(source, [*path, source]) for source in lots.get(ref, [])]
    return None


def check_lot_inputs(record: RecordLike, context: ContextLike) -> None:
    """At least one input; each a known delivery, or dry kg of another known lot; no lot drawing from itself."""
    inputs = record.raw.get("inputs")
    if not isinstance(inputs, list):
        record.fail("inputs", _('Expected a list of inputs: {"delivery": ref} or {"lot": ref, "dry_kg": n}.'))
        return
    if not inputs:
        record.fail("inputs", _("A lot needs at least one input."))
        return
    for number, item in enumerate(inputs, start=1):
        for message in _input_problems(item, context, record.ref):
            record.fail(f"inputs[{number}]", message)
    if record.ref:
        cycle = _cycle(record.ref, context.trace.lots)
        if cycle:
            record.fail("inputs", _("Lots draw from each other in a circle: %(path)s.", path=" -> ".join(cycle)))


#: The checks every record of a traceability section goes through after ``check_ref`` (see app.imports.validation).
TRACE_CHECKS: dict[str, list[Callable[[Any, Any], None]]] = {
    "members": [check_member_fields, check_member_group, check_member_code_once],
    "plots": [check_plot_fields, check_plot_member],
    "deliveries": [check_delivery_fields, check_delivery_refs],
    "lots": [check_lot_fields, check_lot_holder, check_lot_inputs],
}


# --- what the document and the database hold --------------------------------------------------------------------------
#: The organisation each traceability section names (groups, collectors, holders).
ORGANIZATION_FIELDS = {"members": "group", "deliveries": "collector", "lots": "holder"}


def _source_lots(raw: dict[str, Any]) -> list[str]:
    inputs = raw.get("inputs")
    if not isinstance(inputs, list):
        return []
    return [
        ref
        for item in inputs
        if isinstance(item, dict) and item.get("delivery") is None and (ref := readable_ref(item.get("lot")))
    ]


async def _rows(table: Any, column: Any, values: Iterable[str], *columns: Any) -> list[dict[str, Any]]:
    """Rows whose ``column`` is one of ``values``, read in chunks."""
    wanted = sorted(values)
    found: list[dict[str, Any]] = []
    for start in range(0, len(wanted), CHUNK):
        found += await table.select(*columns).where(column.is_in(wanted[start : start + CHUNK]))
    return found


@dataclass
class TraceGathering:
    """What the traceability checks will consult, gathered one record at a time (a streamed document is never held
    whole): the document's own refs, then (``load``) the stored records it names."""

    facts: TraceFacts = field(default_factory=TraceFacts)
    #: organisation refs named by groups, collectors and holders
    organizations: set[str] = field(default_factory=set)
    named_members: set[str] = field(default_factory=set)
    named_plots: set[str] = field(default_factory=set)
    named_deliveries: set[str] = field(default_factory=set)
    named_codes: set[str] = field(default_factory=set)

    def add(self, section: str, ref: str, raw: dict[str, Any]) -> None:
        """Note what one record of a traceability section defines and names."""
        if section in ORGANIZATION_FIELDS and (org := readable_ref(raw.get(ORGANIZATION_FIELDS[section]))):
            self.organizations.add(org)
        if section == "members":
            if ref:
                self.facts.members.setdefault(ref, readable_ref(raw.get("group")))
            if isinstance(code := raw.get("member_code"), str) and code.strip():
                self.named_codes.add(code.strip())
        elif section == "plots":
            if ref:
                self.facts.plots.setdefault(ref, readable_ref(raw.get("member")))
            if member := readable_ref(raw.get("member")):
                self.named_members.add(member)
        elif section == "deliveries":
            if ref:
                self.facts.deliveries.add(ref)
            if member := readable_ref(raw.get("member")):
                self.named_members.add(member)
            if plot := readable_ref(raw.get("plot")):
                self.named_plots.add(plot)
        elif section == "lots":
            if ref:
                self.facts.lots.setdefault(ref, _source_lots(raw))
            inputs = raw.get("inputs")
            for item in inputs if isinstance(inputs, list) else []:
                if isinstance(item, dict) and (delivery := readable_ref(item.get("delivery"))):
                    self.named_deliveries.add(delivery)

    async def load(self) -> TraceFacts:
        """The document's facts completed with the stored records its records name."""
        facts = self.facts
        members = self.named_members - set(facts.members)
        for row in await _rows(Member, Member.ref, members, Member.ref, Member.group.ref.as_alias("group_ref")):
            facts.members[row["ref"]] = row["group_ref"]
        plots = self.named_plots - set(facts.plots)
        for row in await _rows(Plot, Plot.ref, plots, Plot.ref, Plot.member.ref.as_alias("member_ref")):
            facts.plots[row["ref"]] = row["member_ref"]
        wanted = self.named_deliveries - facts.deliveries
        facts.deliveries |= {r["ref"] for r in await _rows(Delivery, Delivery.ref, wanted, Delivery.ref)}
        # Stored lots the document draws from, and the lots those draw from, until the chain ends (for the circle
        # check).
        pending = {ref for refs in list(facts.lots.values()) for ref in refs} - set(facts.lots)
        asked: set[str] = set()
        while pending:
            asked |= pending
            stored = {r["ref"] for r in await _rows(Lot, Lot.ref, pending, Lot.ref)}
            for ref in stored:
                facts.lots[ref] = []
            for row in await _rows(
                LotInput,
                LotInput.lot.ref,
                stored,
                LotInput.lot.ref.as_alias("lot_ref"),
                LotInput.source_lot.ref.as_alias("source_ref"),
            ):
                if row["source_ref"]:
                    facts.lots[row["lot_ref"]].append(row["source_ref"])
            pending = {ref for refs in facts.lots.values() for ref in refs} - set(facts.lots) - asked
        for row in await _rows(
            Member,
            Member.member_code,
            self.named_codes,
            Member.ref,
            Member.member_code,
            Member.group.ref.as_alias("group_ref"),
        ):
            facts.stored_codes.setdefault((row["group_ref"], row["member_code"]), row["ref"])
        return facts
