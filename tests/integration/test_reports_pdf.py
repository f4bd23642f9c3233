"""The program report as PDF: a real PDF whose parsed text holds the report's texts, accents included."""

from __future__ import annotations

import datetime as dt
import io

from litestar.testing import AsyncTestClient
from pypdf import PdfReader

from app.agenda import services as agenda_services
from app.analytics.tables import Program
from app.bulletins.tables import ProgramUpdate
from app.reports.pdf import pdf_text
from tests.bulletins_data import post
from tests.factories import sign_in
from tests.integration.agenda_data import PREVIOUS, agenda_world


def _text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_characters_outside_the_core_fonts_become_question_marks() -> None:
    assert pdf_text("Hectáreas, ação, año — 5 € “sí”…") == 'Hectáreas, ação, año - 5 EUR "sí"...'
    assert pdf_text("Café 🌳 Hà Nội") == "Café ? Hà N?i"


async def test_the_pdf_holds_the_report(client: AsyncTestClient) -> None:
    w = await agenda_world()
    await Program.update({Program.name: "Açaí e Seringueiras do Acre"}).where(Program.id == w.program_id)
    indicator = await agenda_services.create_indicator(
        w.staff,
        w.program_id,
        {
            "name_en": "Hectares restored",
            "name_es": "Hectáreas restauradas",
            "source": "reported",
            "unit": "ha",
            "direction": "increase",
            "target_period_0": PREVIOUS.label,
            "target_value_0": "150",
        },
    )
    value_id = await agenda_services.create_reported_value(
        w.staff, indicator, {"period": PREVIOUS.label, "value": "160"}
    )
    await agenda_services.move_reported_value(w.staff, value_id, "submit")
    await agenda_services.move_reported_value(w.staff, value_id, "approve")
    update = await post(w.staff, w.program_id, title="Reunião em Rio Branco", body="Participaram 30 seringueiros.")
    posted = dt.datetime.combine(PREVIOUS.end, dt.time(12), tzinfo=dt.UTC)
    await ProgramUpdate.update({ProgramUpdate.created_at: posted}).where(ProgramUpdate.id == update)
    await sign_in(client, w.staff)
    await client.get("/lang/es_MX?next=/")
    response = await client.get(f"/programs/{w.program_id}/report.pdf", params={"period": PREVIOUS.label})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == (
        f'attachment; filename="forestmatch-report-a-a-e-seringueiras-do-acre-{PREVIOUS.label}.pdf"'
    )
    assert response.content.startswith(b"%PDF-")
    text = _text(response.content)
    assert f"Informe del programa: Açaí e Seringueiras do Acre, {PREVIOUS.label}" in text
    assert "Hectáreas restauradas" in text
    assert "En camino" in text  # the verdict, in the reader's language
    assert "Reunião em Rio Branco" in text
    assert "Participaram 30 seringueiros." in text
    lines = text.splitlines()
    # Every text in the reader's language.
    assert "Línea base Meta Meta a la fecha Real Valoración" in lines
    assert "- 150 - 160 En camino" in lines
    assert "Contactos: conversaciones iniciadas 2" in lines
    assert "Tasa de respuesta 50 %" in lines
    assert "Ofertas certificadas publicadas 0" in lines


async def test_the_pdf_is_refused_to_strangers(client: AsyncTestClient) -> None:
    w = await agenda_world()
    await sign_in(client, w.outsider)
    response = await client.get(f"/programs/{w.program_id}/report.pdf")
    assert response.status_code == 404
    assert not response.content.startswith(b"%PDF")
