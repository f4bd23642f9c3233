"""Every page in Spanish and Portuguese shows no English source text.

The app's route table is walked: every page route (GET), signed in as each role and as a visitor, over data made
with tests/factories.py in Spanish (so user data is never English by construction), plus the states a page only
shows with a query (results, a second page, ignored filters) and every page form posted empty (its errors).

Two checks, each able to catch what the other cannot:

* **pseudo-locale**: the pages are rendered in es_MX with a catalogue whose every translation is its English
  source wrapped in ⟦ ⟧. Text that never went through gettext (a literal in a template, a string built in Python,
  a template the extraction skipped) shows unwrapped; any word of it that belongs to the English source and to no
  translation fails the test.
* **real catalogues**: in es_MX and pt_BR no English source string whose translation differs appears as page
  text (a string passed to gettext but missing, empty or fuzzy in the catalogue).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from app.accounts import password_reset
from app.accounts import services as accounts
from app.accounts.rate_limit import LoginRateLimiter
from app.agenda import services as agenda
from app.analytics import programs
from app.analytics.tables import ProgramOrganization
from app.bulletins import services as bulletins
from app.indexing.sync import drain
from app.matching.services import compute_matches
from app.messaging.services import deals, safety, threads
from app.notifications import services as notifications
from app.notifications.tables import EmailOutbox, Notification
from app.partners import services as partners
from app.partners import updates as partner_updates
from app.partners.tables import EvidenceFile
from app.traceability import members as group_members
from app.traceability.services import lot_answer
from app.traceability.tables import Delivery, Lot, LotInput
from app.traceability.tables import Member as TraceMember
from app.traceability.tables import Plot as TracePlot
from app.web import microcache
from app.web.middleware import LOCALE_COOKIE
from app.worker import get_backend
from tests.clock import today
from tests.factories import make_certificate, make_offer, make_request, make_user, post_form, sign_in
from tests.notify_helpers import delivered
from tests.translation_check import (
    PSEUDO_AS,
    english_sources,
    english_words,
    pseudo_locale,
    read_page,
    untranslated_words,
)

ROLES = ("visitor", "producer", "buyer", "staff")


# --- the data: a producer, a buyer and staff, everything they write in Spanish ------------------------------------
@dataclass
class World:
    users: dict[str, Any]
    #: path parameter -> value, for every route that has it.
    params: dict[str, Any]
    #: what a ``{ref}`` parameter names, by the path before it.
    refs: dict[str, str]
    #: states only a query shows.
    extra: list[str] = field(default_factory=list)
    #: error pages only a post shows (an address that does not take one).
    extra_posts: list[str] = field(default_factory=list)


async def _build_world() -> World:
    producer = await make_user("producer", email="ejido.sanpedro@ejemplo.mx", org_name="Ejido San Pedro el Alto")
    cert = await make_certificate(producer, code="SCS-FM/COC-004512")
    await make_certificate(
        producer, code="SCS-FM/COC-004513", status="suspended", expires_on=(today() + dt.timedelta(days=20)).isoformat()
    )
    offers = [
        await make_offer(
            producer,
            cert["ref"],
            title=f"Tablas de pino secadas al horno, lote {n}",
            description="Madera cepillada de primera calidad, estibada bajo techo.",
        )
        for n in range(1, 23)
    ]
    buyer = await make_user("buyer", email="compras@maderasdeoccidente.mx", org_name="Maderas de Occidente")
    wanted = await make_request(
        buyer, title="Pino para Guadalajara", delivery_place="Zapopan", species=["Pinus durangensis"]
    )
    staff = await make_user("staff", email="equipo@redforestal.mx", org_name="Alianza Forestal Comunitaria")
    backend = get_backend()
    await backend.ensure_index("offers")
    await backend.rebuild("offers", [])
    await drain(backend)
    await compute_matches(wanted["ref"], backend)

    conversation = await threads.start_conversation(
        buyer, offers[0]["ref"], wanted["ref"], message="¿Tienen 300 m³ para mayo?"
    )
    await threads.send_message(producer, conversation, "Sí, secados al horno y listos en abril.")
    await threads.send_message(buyer, conversation, "Muy bien, cerremos el trato.")
    deal = {"quantity": "120", "unit": "m3", "unit_price": "350", "currency": "MXN", "date": today().isoformat()}
    deal_event = await deals.record_deal(producer, conversation, deal)
    declined = await threads.start_conversation(buyer, offers[1]["ref"], message="¿Precio por metro cúbico?")
    await deals.decline(buyer, declined, {"reason": "price", "text": "Fuera de nuestro presupuesto."})
    await safety.report_conversation(buyer, declined, "Mensajes repetidos sin respuesta.")
    await notifications.save_search(buyer, {"query": "q=pino", "name": "Pino de Durango"})
    await password_reset.request_reset(producer.email, "198.51.100.7", LoginRateLimiter())
    assert await password_reset.process_requests() == 1
    await delivered()  # the worker's pass: notifications of the messages and deals, the reset e-mail
    mails = await EmailOutbox.select(EmailOutbox.body).where(EmailOutbox.to_address == producer.email)
    links = [m for mail in mails for m in re.findall(r"/password/reset/([A-Za-z0-9_-]+)", mail["body"])]
    assert len(links) == 1, mails
    reset_token = links[0]

    program_id = await programs.create_program(
        staff, {"name": "Bosques del Norte", "description": "Durango y Chihuahua", "regions": "MX-DUR MX-CHH"}
    )
    # The producer's organisation is a member: an update with a comment (the program updates pages).
    await ProgramOrganization(program=program_id, organization=producer.organization_id).save()
    update_id = await bulletins.post_update(
        staff,
        {"program": str(program_id), "title": "Taller de manejo forestal", "links": "Programa https://ejemplo.mx/taller",
         "body": "Les invitamos a un taller en mayo.\n\nHabrá transporte desde la cabecera."},
    )  # fmt: skip
    comment_id = await bulletins.add_comment(producer, update_id, {"body": "Confirmamos la asistencia."})
    # The program's common agenda: a reported indicator with a draft value (app/agenda).
    indicator_id = await agenda.create_indicator(
        staff,
        program_id,
        {"name_es": "Hectáreas bajo manejo", "source": "reported", "unit": "ha", "direction": "increase",
         "target_period_0": str(today().year), "target_value_0": "10"},
    )  # fmt: skip
    value_id = await agenda.create_reported_value(staff, indicator_id, {"period": str(today().year), "value": "4"})
    # The producer's organisation is a partner of the program with a commitment and a progress update (app/partners).
    partner_id = await partners.add_partner(
        staff, program_id, {"organization": producer.organization_ref, "role": "producer_association"}
    )
    commitment_id = await partners.create_commitment(
        producer,
        program_id,
        {"title": "Viveros comunitarios", "responsible_name": "Ana", "start_date": f"{today().year}-01-01",
         "end_date": f"{today().year}-12-31", "status": "under_way", "indicators": [str(indicator_id)]},
    )  # fmt: skip
    await partner_updates.create_update(
        producer,
        commitment_id,
        {"period": str(today().year), "narrative": "Dos viveros listos.", "links": "https://ejemplo.mx/fotos"},
        [partner_updates.evidence.Upload("informe.txt", b"Dos viveros")],
        submit=True,
    )
    file_id = (await EvidenceFile.select(EvidenceFile.id).first())["id"]

    # The producer also manages a group of smallholders: the group's member and plot pages (app/traceability).
    group_cert = await make_certificate(
        producer, code="SCS-FM/COC-004514", is_group=True, product_types=["field_latex"]
    )
    group = await group_members.group_for(producer)
    member_ref = await group_members.save_member(
        group,
        {"name": "Rosa Dias", "member_code": "SP-001", "country": "MX", "locality": "San Pedro el Alto",
         "certified_from": (today() - dt.timedelta(days=400)).isoformat()},
    )  # fmt: skip
    plot_ref = await group_members.save_plot(
        group, {"lat": "24.0", "lon": "-104.6", "area_ha": "6", "country": "MX"}, member_ref=member_ref
    )

    # ... and collects its members' latex into a lot (the lot pages).
    member_id = (await TraceMember.select(TraceMember.id).where(TraceMember.ref == member_ref).first())["id"]
    plot_id = (await TracePlot.select(TracePlot.id).where(TracePlot.ref == plot_ref).first())["id"]
    delivery = Delivery(
        ref="entrega-sp-1",
        collector=producer.organization_id,
        member=member_id,
        plot=plot_id,
        date=today() - dt.timedelta(days=10),
        form="field_latex",
        wet_kg=500,
        drc_percent=32,
    )
    await delivery.save()
    lot = Lot(
        ref="lote-sp-1",
        holder=producer.organization_id,
        process="none",
        product_type="field_latex",
        output_dry_kg=160,
        date=today(),
    )
    await lot.save()
    await LotInput(lot=lot.id, delivery=delivery.id, position=0).save()
    await lot_answer("lote-sp-1")
    # The lot backs a latex offer; the buyer's confirmed deal on it opens the due-diligence pages.
    lot_offer = await make_offer(
        producer, group_cert["ref"], category="latex", product_type="field_latex", species=["Hevea brasiliensis"],
        title="Látex de campo trazable", claim="FSC 100%", quantity="150", unit="kg_drc", min_order="",
        price_currency="MXN", price_amount="40.00", lots=["lote-sp-1"],
    )  # fmt: skip
    lot_thread = await threads.start_conversation(buyer, lot_offer["ref"], message="Nos interesa el látex trazable.")
    lot_deal = {"quantity": "100", "unit": "kg_drc", "unit_price": "40", "currency": "MXN", "date": today().isoformat(),
                "invoice": "F-0001", "accept_price": "1"}  # fmt: skip
    await deals.confirm_deal(producer, await deals.record_deal(buyer, lot_thread, lot_deal))

    await accounts.create_api_token(producer, "Integración con el ERP")
    token_id = (await accounts.list_api_tokens(producer))[0]["id"]
    notification = await Notification.select(Notification.id).where(Notification.recipient == buyer.id).first()
    return World(
        users={"producer": producer, "buyer": buyer, "staff": staff},
        params={
            "conversation_id": conversation,
            "event_id": deal_event,
            "search_id": (await notifications.list_saved_searches(buyer))[0]["id"],
            "token_id": token_id,
            "notification_id": notification["id"],
            "program_id": program_id,
            "update_id": update_id,
            "comment_id": comment_id,
            "indicator_id": indicator_id,
            "value_id": value_id,
            "partner_id": partner_id,
            "commitment_id": commitment_id,
            "file_id": file_id,
            "action": "submit",
            "user_id": buyer.id,
            "rank": 1,
            "form": "offer",
            "token": reset_token,
            "name": "funnel.csv",
            "lot_ref": "lot-1",
        },
        refs={
            "/my/certificates": cert["ref"],
            "/staff/certificates": cert["ref"],
            "/my/offers": offers[0]["ref"],
            "/offers": offers[0]["ref"],
            "/my/requests": wanted["ref"],
            "/requests": wanted["ref"],
            "/producers": producer.organization_ref,
            "/traceability/members": member_ref,
            "/traceability/plots": plot_ref,
            "/traceability/lots": "lote-sp-1",
        },
        extra=[
            "/search?q=pino",
            "/search?q=pino&page=2",
            "/search?q=abedul",
            "/search?q=pino&within_km=lejos&min_qty=mucho",
            "/offers?page=2",
            "/offers?page=9",
            "/offers?country=ZZ",
            "/offers?claim=FSC+100%25&category=latex",
            f"/conversations/{declined}",
            f"/conversations/{lot_thread}",
            f"/conversations/{lot_thread}/origin-summary",
            "/staff/certificates?state=verified",
            "/password/reset/enlace-caducado",
            "/pagina-que-no-existe",
            "/notifications?unread=1",
            "/traceability/members?q=nadie",
            f"/traceability/plots/new?member={member_ref}",
        ],
        extra_posts=["/about"],
    )


# --- walking the routes --------------------------------------------------------------------------------------------
def page_routes(app: Any, method: str) -> list[str]:
    """Paths of the app's HTML routes for ``method`` (everything outside the JSON API, its schema, static files and the
    probes and metrics, which machines read: app.ops)."""
    from app.ops.controllers import PROBE_PATHS

    paths = set()
    for route in app.routes:
        if route.path.startswith(("/api/", "/schema", "/static")) or route.path in PROBE_PATHS:
            continue
        for handler in getattr(route, "route_handlers", []):
            if method in handler.http_methods and not handler.include_in_schema:
                paths.add(route.path)
    return sorted(paths)


def _fill(path: str, world: World) -> str:
    """The route's path with its parameters filled from the world (a new parameter name fails here: add it)."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "ref":
            owner = path[: match.start()].rstrip("/")
            assert owner in world.refs, f"no data for {{ref}} under {owner}: add it to World.refs"
            return str(world.refs[owner])
        assert name in world.params, f"no data for {{{name}}} in {path}: add it to World.params"
        return str(world.params[name])

    filled = re.sub(r"\{(\w+)(?::\w+)?\}", value, path)
    return filled + ("?next=/" if path.startswith("/lang/") else "")


async def _as(client: AsyncTestClient, role: str, world: World, locale: str) -> None:
    client.cookies.clear()
    if role != "visitor":
        await sign_in(client, world.users[role])
    client.cookies.set(LOCALE_COOKIE, locale)


def _shown(role: str, url: str, response: Any) -> list[tuple[str, str, str, str]]:
    """The page a response shows (error pages included; redirects show nothing)."""
    assert response.status_code < 500, (role, url, response.text[-2000:])
    if 300 <= response.status_code < 400:
        return []
    if "javascript" in response.headers.get("content-type", ""):
        return []  # the delivery pages' service worker (/traceability/sw-deliveries.js) is code, not a page
    if response.headers.get("content-type", "") == "application/pdf":
        return []  # compressed and Latin-1 only: the report PDF's texts are read back in test_reports_pdf.py
    return [(role, url, response.text, response.headers.get("content-type", ""))]


async def _visit(client: AsyncTestClient, world: World, app: Any, locale: str) -> list[tuple[str, str, str, str]]:
    """(role, url, body, content type) of every page that answered 200, every route answered below 400 by some role."""
    pages = []
    answered: dict[str, set[int]] = {}
    world.params["code"] = locale  # the language switch, to the language being read
    gets = page_routes(app, "GET")
    for role in ROLES:
        await _as(client, role, world, locale)
        for route in gets:
            url = _fill(route, world)
            response = await client.get(url)
            answered.setdefault(route, set()).add(response.status_code)
            pages.extend(_shown(role, url, response))
        for url in world.extra:
            pages.extend(_shown(role, url, await client.get(url)))
    closed = sorted(r for r, codes in answered.items() if min(codes) >= 400)
    # The due-diligence pages answer only in the conversation of a confirmed deal on a lot-backed offer, not in the
    # conversation the route walk fills in: the world's extra pages open them there (the origin summary as text).
    closed = [r for r in closed if "/due-diligence.geojson" not in r and not r.endswith("/origin-summary")]
    assert closed == [], "routes no role could open"
    # Every page form posted empty shows its errors; "/logout" last, since it ends the session.
    posts = sorted(page_routes(app, "POST"), key=lambda path: path == "/logout")
    for role in ROLES:
        await _as(client, role, world, locale)
        for route in posts:
            url = _fill(route, world)
            pages.extend(_shown(role, "POST " + url, await post_form(client, url, {})))
        for url in world.extra_posts:
            pages.extend(_shown(role, "POST " + url, await post_form(client, url, {})))
    return pages


@pytest.fixture(name="world")
async def fx_world(client: AsyncTestClient, db: str) -> World:
    if db != "sqlite":
        pytest.skip("page text does not depend on the database engine; the pages run on SQLite")
    return await _build_world()


async def test_pseudo_locale_shows_no_text_outside_the_catalogue(
    client: AsyncTestClient, world: World, app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    english = english_words()
    problems = {}
    microcache.invalidate()
    with pseudo_locale(monkeypatch):
        visited = await _visit(client, world, app, PSEUDO_AS)
    microcache.invalidate()
    summaries = sorted({role for role, url, _body, _type in visited if url.endswith("/origin-summary")})
    assert summaries == ["buyer", "producer", "staff"]  # the deal's two parties and staff read it; a visitor does not
    for role, url, body, content_type in visited:
        if found := untranslated_words(*read_page(body, content_type), english):
            problems[f"{role} {url}"] = found
    assert problems == {}


@pytest.mark.parametrize("locale", ["es_MX", "pt_BR"])
async def test_no_english_source_string_shows(client: AsyncTestClient, world: World, app: Any, locale: str) -> None:
    english = english_sources(locale)
    microcache.invalidate()
    problems = {}
    for role, url, body, content_type in await _visit(client, world, app, locale):
        if found := english.left_in(*read_page(body, content_type)):
            problems[f"{role} {url}"] = found
    assert problems == {}
