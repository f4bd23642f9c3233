"""A small, hand-checked set of offer documents (same shape as app.indexing.documents.offer_document)."""

from __future__ import annotations

import math
from typing import Any

CHETUMAL = (18.50, -88.30)


def offer(doc_id: str, title: str, **fields: Any) -> dict[str, Any]:
    return {"id": doc_id, "ref": doc_id, "title": title, **fields}


DOCS: list[dict[str, Any]] = [
    offer("o1", "Tablas de caoba", species=["Swietenia macrophylla"], category="timber", product_type="sawn_timber",
          claim="FSC 100%", status="active", country="MX", region="MX-ROO", certificate_verified=True,
          certificate_covers=True, certificate_expires_on=20271231, available_from=20260101, available_to=20260630,
          quantity_canonical=12.5, created_at=1_700_000_000, organization_ref="org-1",
          organization_name="Ejido Noh Bec", description="Madera aserrada certificada.",
          _geo={"lat": 19.14, "lng": -88.17}),
    offer("o2", "Madera de pucté", species=["Bucida buceras"], category="timber", product_type="roundwood",
          claim="FSC 100%", status="active", country="MX", region="MX-CAM", certificate_verified=False,
          certificate_covers=True, certificate_expires_on=20260315, available_from=20260201, available_to=20261231,
          quantity_canonical=40, created_at=1_700_000_100, organization_ref="org-2",
          organization_name="Ejido Xpujil", description="Trozas de primera.", _geo={"lat": 18.51, "lng": -89.39}),
    offer("o3", "Ramón en trozas", species=["Brosimum alicastrum"], category="timber", product_type="roundwood",
          claim="FSC 100%", status="paused", country="GT", region="GT-PE", certificate_verified=True,
          certificate_covers=False, certificate_expires_on=20280101, available_from=20260301, available_to=20260901,
          quantity_canonical=7, created_at=1_700_000_200, organization_ref="org-3",
          organization_name="Cooperativa Carmelita", description="", _geo={"lat": 16.93, "lng": -89.89}),
    offer("o4", "Látex de campo", species=["Hevea brasiliensis"], category="latex", product_type="field_latex",
          claim="FSC 100%", status="active", country="BR", region="BR-AC", certificate_verified=True,
          certificate_covers=True, certificate_expires_on=20290101, available_from=20260101, available_to=20261231,
          quantity_canonical=900, created_at=1_700_000_300, organization_ref="org-4",
          organization_name="Associação Xapuri", description="Coleta de seringueira nativa.",
          _geo={"lat": -10.65, "lng": -68.50}),
    offer("o5", "Big-leaf mahogany boards", species=["Swietenia macrophylla"],
          species_names=["Swietenia macrophylla", "caoba", "mahogany", "big-leaf mahogany", "mogno"],
          category="timber", product_type="sawn_timber", claim="FSC Mix", status="closed", country="HN",
          region="HN-GD", certificate_verified=True, certificate_covers=True, certificate_expires_on=20270601,
          available_from=20260401, available_to=20260801, quantity_canonical=3, created_at=1_700_000_400,
          organization_ref="org-1", organization_name="Cooperativa Copán", description="Kiln dried."),
    offer("o6", "Pino real aserrado", species=["Pinus engelmannii"], category="timber", product_type="sawn_timber",
          claim="FSC Mix", status="active", country="MX", region="MX-CHH", certificate_verified=False,
          certificate_covers=True, certificate_expires_on=20270101, available_from=20260501, available_to=20261031,
          quantity_canonical=55, created_at=1_700_000_500, organization_ref="org-5",
          organization_name="Ejido El Largo", description="Vigas y duelas.", _geo={"lat": 28.63, "lng": -106.07}),
    offer("o7", "Hule en lámina", species=["Hevea brasiliensis"], category="latex", product_type="rss",
          claim="FSC 100%", status="active", country="MX", region="MX-TAB", certificate_verified=True,
          certificate_covers=True, certificate_expires_on=20280601, available_from=20260101, available_to=20260331,
          quantity_canonical=250, created_at=1_700_000_600, organization_ref="org-6",
          organization_name="Unión de Huleros", description="", _geo={"lat": 18.00, "lng": -92.90}),
    # Deliberately sparse: no status, country, quantity, dates or point.
    offer("o8", "Carbón vegetal de encino", species=["Quercus rugosa"], category="timber", product_type="charcoal"),
]

BY_ID = {d["id"]: d for d in DOCS}


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(a))
