"""The staff verification queue at scale: 5,000 pending certificates, oldest submission first, paged, filtered in SQL,
counted exactly, and decisions that come back to the same page and filters (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import pytest

from app.accounts.services import CurrentUser
from app.accounts.tables import Organization
from app.certificates import services as certificates
from app.certificates.queue import QUEUE_PER_PAGE, QueueFilters, verification_queue
from app.certificates.tables import Certificate
from tests.clock import today
from tests.factories import certificate_data, make_certificate, make_user, post_form, sign_in

PENDING = 5_000
VERIFIED = 30
REJECTED = 20
COUNTRIES = ("MX", "GT", "BR", "PE")
#: 7919 is prime and does not divide 5,000, so i -> i * 7919 % 5,000 is a permutation: the queue order (by
#: submission) differs from the insertion (id) order and from the creation order, which runs the other way.
SHUFFLE = 7919


@dataclass(frozen=True)
class Seeded:
    ref: str
    rank: int  # position in the queue, 0 = oldest submission
    country: str
    org_name: str
    code: str
    expires_on: dt.date


def _expiry(i: int) -> dt.date:
    if i % 10 == 0:
        return today() - dt.timedelta(days=1 + i % 30)  # expired
    if i % 10 == 1:
        return today() + dt.timedelta(days=i % 30)  # within 30 days (today included)
    if i % 10 == 2:
        return today() + dt.timedelta(days=31 + i % 59)  # within 90 days, not 30
    return today() + dt.timedelta(days=400 + i % 300)


async def seed_queue() -> list[Seeded]:
    """40 producers in four countries and 5,000 pending certificates (plus some verified and rejected), in bulk."""
    names = [f"Ejido Norte {n:02d}" for n in range(39)] + ["Cooperativa 100%_Sur"]
    await Organization.insert(
        *[
            Organization(ref=f"org-{n:02d}", name=name, kind="producer", country=COUNTRIES[n % 4], languages=["es"])
            for n, name in enumerate(names)
        ]
    )
    org_ids = {r["ref"]: r["id"] for r in await Organization.select(Organization.ref, Organization.id)}
    start = dt.datetime.now(dt.UTC) - dt.timedelta(days=30)
    seeded: list[Seeded] = []
    rows: list[Certificate] = []
    total = PENDING + VERIFIED + REJECTED
    for i in range(total):
        n = i % 40
        rank = i * SHUFFLE % PENDING if i < PENDING else -1
        state = "pending" if i < PENDING else ("verified" if i < PENDING + VERIFIED else "rejected")
        code = f"SCS-FM/COC-{100000 + i}"
        minute = rank if rank >= 0 else i
        rows.append(
            Certificate(
                ref=f"cert-{i:05d}",
                organization=org_ids[f"org-{n:02d}"],
                code=code,
                license_code=f"FSC-C{200000 + i:06d}",
                scope="FM/COC",
                status="valid",
                issued_on=today() - dt.timedelta(days=1000),
                expires_on=_expiry(i),
                product_types=["roundwood"],
                verification=state,
                verified_at=None if state == "pending" else start + dt.timedelta(hours=i - PENDING),
                rejection_reason="Not in the FSC database." if state == "rejected" else "",
                submitted_at=start + dt.timedelta(minutes=minute),
                created_at=start - dt.timedelta(minutes=minute),
            )
        )
        if state == "pending":
            seeded.append(Seeded(f"cert-{i:05d}", rank, COUNTRIES[n % 4], names[n], code, _expiry(i)))
    for chunk in range(0, len(rows), 500):
        await Certificate.insert(*rows[chunk : chunk + 500])
    return sorted(seeded, key=lambda s: s.rank)


@pytest.fixture(name="queue")
async def fx_queue(clean_db: str) -> list[Seeded]:
    return await seed_queue()


@pytest.fixture(name="staff")
async def fx_staff(clean_db: str) -> CurrentUser:
    return await make_user("staff")


def refs_on_page(html: str) -> list[str]:
    return re.findall(r'<li class="queue__item" data-testid="cert-([^"]+)">', html)


async def test_page_one_holds_the_oldest_and_counts_are_exact(client, queue, staff) -> None:
    await sign_in(client, staff)
    response = await client.get("/staff/certificates")
    assert response.status_code == 200
    assert refs_on_page(response.text) == [s.ref for s in queue[:QUEUE_PER_PAGE]]
    assert '<p class="results-count" role="status" data-testid="queue-count">5,000 certificates' in response.text
    assert '<span class="queue-tabs__count" data-testid="count-pending">5,000</span>' in response.text
    assert '<span class="queue-tabs__count" data-testid="count-verified">30</span>' in response.text
    assert '<span class="queue-tabs__count" data-testid="count-rejected">20</span>' in response.text
    assert "Page 1 of 200" in response.text

    last = await client.get("/staff/certificates?state=pending&page=200")
    assert refs_on_page(last.text) == [s.ref for s in queue[-QUEUE_PER_PAGE:]]
    assert '<ol class="queue" start="4976"' in last.text

    # Every tab counts under the same filters, and the tabs keep them.
    response = await client.get("/staff/certificates?state=verified&country=MX")
    verified_mx = sum(1 for i in range(PENDING, PENDING + VERIFIED) if COUNTRIES[i % 40 % 4] == "MX")
    pending_mx = sum(1 for s in queue if s.country == "MX")
    assert f'data-testid="count-verified">{verified_mx}</span>' in response.text
    assert f'data-testid="count-pending">{pending_mx:,}</span>' in response.text
    assert f'data-testid="queue-count">{verified_mx} certificates' in response.text
    assert 'href="/staff/certificates?state=pending&amp;country=MX"' in response.text


async def test_a_new_registration_is_last(client, queue, staff) -> None:
    producer = await make_user("producer", org_name="Ejido Recién Llegado")
    fresh = await make_certificate(producer, code="NC-FM/COC-777777")
    await sign_in(client, staff)
    response = await client.get("/staff/certificates?page=201")
    assert refs_on_page(response.text) == [fresh["ref"]]
    assert '<ol class="queue" start="5001"' in response.text
    assert '<span class="queue-tabs__count" data-testid="count-pending">5,001</span>' in response.text
    assert "Page 201 of 201" in response.text

    # A changed certificate goes back to the end of the queue, behind the registration that came before.
    cert = await make_certificate(producer, code="NC-FM/COC-666666")
    later = await make_certificate(producer, code="NC-FM/COC-888888")
    await certificates.verify_certificate(staff, cert["ref"], approve=True)
    await certificates.update_certificate(
        producer, cert["ref"], certificate_data(code="NC-FM/COC-666666", status="suspended")
    )
    result = await verification_queue(staff, QueueFilters(page=201))
    assert [r["ref"] for r in result.rows] == [fresh["ref"], later["ref"], cert["ref"]]
    row = (
        await Certificate.select(Certificate.verification, Certificate.verified_by)
        .where(Certificate.ref == cert["ref"])
        .first()
    )
    assert row == {"verification": "pending", "verified_by": None}


FILTER_CASES = [
    ({"country": "GT"}, lambda s: s.country == "GT"),
    ({"expiry": "expired"}, lambda s: s.expires_on < today()),
    ({"expiry": "30"}, lambda s: today() <= s.expires_on <= today() + dt.timedelta(days=30)),
    ({"expiry": "90"}, lambda s: today() <= s.expires_on <= today() + dt.timedelta(days=90)),
    ({"country": "BR", "expiry": "expired"}, lambda s: s.country == "BR" and s.expires_on < today()),
    ({"q": "ejido norte 07"}, lambda s: s.org_name == "Ejido Norte 07"),
    ({"q": "coc-104321"}, lambda s: s.code == "SCS-FM/COC-104321"),
    ({"q": "fsc-c20012"}, lambda s: 120 <= int(s.ref[5:]) <= 129),
    # % and _ are taken literally, not as LIKE wildcards
    ({"q": "100%_s"}, lambda s: s.org_name == "Cooperativa 100%_Sur"),
    ({"q": "0%"}, lambda s: s.org_name == "Cooperativa 100%_Sur"),
    ({"q": "_"}, lambda s: s.org_name == "Cooperativa 100%_Sur"),
]


async def test_every_certificate_is_on_exactly_one_page_and_filters_are_exact(queue, staff) -> None:
    # Pages of 500 here (the page size is a parameter of the service) to keep the walk short on PostgreSQL.
    seen: list[str] = []
    for page in range(1, 11):
        result = await verification_queue(staff, QueueFilters(page=page), per_page=500)
        assert (result.total, result.pages) == (PENDING, 10)
        seen += [r["ref"] for r in result.rows]
    assert seen == [s.ref for s in queue]

    for query, keep in FILTER_CASES:
        expected = [s.ref for s in queue if keep(s)]
        assert expected, query  # each case selects something
        first = await verification_queue(staff, QueueFilters.read(query))
        assert first.total == len(expected), query
        assert [r["ref"] for r in first.rows] == expected[:QUEUE_PER_PAGE], query
        whole = await verification_queue(staff, QueueFilters.read(query), per_page=PENDING)
        assert [r["ref"] for r in whole.rows] == expected, query


async def test_decisions_come_back_to_the_same_page_and_filters(client, queue, staff) -> None:
    await sign_in(client, staff)
    mx = [s for s in queue if s.country == "MX"]
    target = mx[2 * QUEUE_PER_PAGE + 3]  # on page 3 of the Mexican certificates
    page = await client.get("/staff/certificates?state=pending&country=MX&page=3")
    assert target.ref in refs_on_page(page.text)
    fields = {"state": "pending", "country": "MX", "page": "3"}

    response = await post_form(client, f"/staff/certificates/{target.ref}/verify", fields)
    assert response.status_code == 303
    assert response.headers["location"] == (
        f"/staff/certificates?state=pending&country=MX&page=3&done=verified&cert={target.ref}"
    )
    row = (
        await Certificate.select(Certificate.verification, Certificate.verified_by)
        .where(Certificate.ref == target.ref)
        .first()
    )
    assert row == {"verification": "verified", "verified_by": staff.id}
    after = await client.get(response.headers["location"])
    assert refs_on_page(after.text) == [s.ref for s in mx if s is not target][2 * QUEUE_PER_PAGE : 3 * QUEUE_PER_PAGE]
    assert f"Certificate {target.code} is marked as verified." in after.text

    other = mx[2 * QUEUE_PER_PAGE + 4]
    refused = await post_form(client, f"/staff/certificates/{other.ref}/reject", fields | {"reason": " "})
    assert refused.status_code == 422
    assert other.ref in refs_on_page(refused.text)  # the same page, the reason field open with its error
    assert f'<p class="field-error" id="reason-{other.ref}-error">This field is required.</p>' in refused.text
    assert "Page 3 of " in refused.text
    rejected = await post_form(
        client, f"/staff/certificates/{other.ref}/reject", fields | {"reason": "Expired in FSC."}
    )
    assert rejected.headers["location"] == (
        f"/staff/certificates?state=pending&country=MX&page=3&done=rejected&cert={other.ref}"
    )
    assert (await Certificate.select(Certificate.verification).where(Certificate.ref == other.ref).first()) == {
        "verification": "rejected"
    }


async def test_unusable_parameters_fall_back_instead_of_failing(client, queue, staff) -> None:
    await sign_in(client, staff)
    response = await client.get("/staff/certificates?state=nope&country=Mexico&expiry=soon&page=%C2%B9&q=")
    assert response.status_code == 200
    assert refs_on_page(response.text) == [s.ref for s in queue[:QUEUE_PER_PAGE]]
    beyond = await client.get("/staff/certificates?page=9999")
    assert beyond.status_code == 200
    assert refs_on_page(beyond.text) == [s.ref for s in queue[-QUEUE_PER_PAGE:]]  # the last page

    # A filter change from htmx gets the list fragment only.
    response = await client.get("/staff/certificates?country=PE&expiry=expired", headers={"HX-Request": "true"})
    expected = [s.ref for s in queue if s.country == "PE" and s.expires_on < today()]
    assert response.status_code == 200
    assert "<h1>" not in response.text
    assert refs_on_page(response.text) == expected[:QUEUE_PER_PAGE]
    assert f"{len(expected)} certificates" in response.text

    # Nothing matching says what to do.
    response = await client.get("/staff/certificates?country=CL")
    assert "No certificates match these filters." in response.text
    assert '<p class="results-count" role="status" data-testid="queue-count">0 certificates' in response.text
