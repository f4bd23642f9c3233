"""The dashboard's charts as served: a bar for every product type offered, in Spanish, with every label whole."""

from __future__ import annotations

import re

from app.i18n import gettext, reset_locale, set_locale
from app.vocab import PRODUCT_TYPES
from tests.factories import make_certificate, make_offer, make_user, sign_in


async def test_fifteen_product_types_make_fifteen_bars_in_spanish(client) -> None:
    producer = await make_user("producer")
    timber = await make_certificate(producer, product_types=list(PRODUCT_TYPES["timber"]))
    latex = await make_certificate(producer, product_types=list(PRODUCT_TYPES["latex"]))
    for i, product_type in enumerate(PRODUCT_TYPES["timber"]):
        for _ in range(i + 1):
            await make_offer(producer, timber["ref"], product_type=product_type)
    for i, product_type in enumerate(PRODUCT_TYPES["latex"]):
        for _ in range(10 + i):
            await make_offer(
                producer,
                latex["ref"],
                category="latex",
                product_type=product_type,
                unit="kg_drc",
                quantity="500",
                min_order="100",
                species=["Hevea brasiliensis"],
            )
    staff = await make_user("staff")
    await sign_in(client, staff)
    await client.get("/lang/es_MX?next=/")
    page = await client.get("/staff/analytics")
    assert page.status_code == 200
    chart = page.text.split('data-testid="chart-products"', 1)[1].split("</svg>", 1)[0]
    drawn = [
        " ".join(re.findall(r"<tspan [^>]*>([^<]*)</tspan>", group))
        for group in re.findall(r'<g class="bar"[^>]*>(.*?)</g>', chart, re.S)
    ]
    token = set_locale("es_MX")
    try:
        expected = [gettext(label) for types in PRODUCT_TYPES.values() for label in types.values()]
    finally:
        reset_locale(token)
    assert len(drawn) == 15
    assert sorted(drawn) == sorted(expected)
    assert "Caucho técnicamente especificado (TSR)" in drawn  # whole, on two lines
    assert "…" not in chart
    assert 'data-testid="chart-folded"' not in page.text
