"""The program report as PDF, drawn with fpdf2 from ``ProgramReport`` (the page's data, never its HTML).

fpdf2's core fonts (Helvetica) are encoded in Latin-1, which holds every letter of Spanish and Portuguese; dashes,
quotes and the ellipsis are mapped to their plain forms, and any other character outside it (from a user's text) is
drawn as '?' rather than failing the download. (Beyond Latin-1 would need a Unicode TTF font shipped in the repository.)
"""

from __future__ import annotations

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from app.i18n import gettext as _
from app.i18n import ngettext
from app.reports.services import ProgramReport, trade_rows

FONT = "Helvetica"
_PUNCTUATION = str.maketrans(
    {
        "\u2010": "-",
        "\u2011": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2022": "\u00b7",
        "\u2026": "...",
        "\u20ac": "EUR",
        "\u2009": " ",
        "\u202f": " ",
    }
)


def pdf_text(text: str) -> str:
    """Text the core fonts can draw: typographic marks mapped to plain ones, anything else outside Latin-1 as '?'."""
    return str(text).translate(_PUNCTUATION).encode("latin-1", errors="replace").decode("latin-1")


class _ReportPdf(FPDF):
    def __init__(self, report: ProgramReport) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.report = report
        self.set_auto_page_break(auto=True, margin=16)
        self.set_margins(16, 16, 16)
        self.set_title(pdf_text(report.title))
        self.set_author("ForestMatch")
        self.set_creator("ForestMatch")

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT, size=8)
        self.set_text_color(90, 90, 90)
        left = pdf_text(f"{self.report.program_name} · {self.report.period.label}")
        self.cell(0, 6, left, align="L")
        self.set_x(self.l_margin)
        self.cell(0, 6, pdf_text(_("Page %(page)s", page=self.page_no())), align="R")
        self.set_text_color(0, 0, 0)

    # --- drawing helpers ----------------------------------------------------------------------------------------
    def heading(self, text: str, size: int = 14) -> None:
        self.set_font(FONT, style="B", size=size)
        self.multi_cell(0, size * 0.5, pdf_text(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(2)

    def paragraph(self, text: str, size: int = 10, style: str = "") -> None:
        self.set_font(FONT, style=style, size=size)
        self.multi_cell(0, 5, pdf_text(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(1)

    def grid(self, columns: list[str], rows: list[list[str]], widths: tuple[int, ...] | None = None) -> None:
        self.set_font(FONT, size=9)
        with self.table(col_widths=widths, first_row_as_headings=True, line_height=5, padding=1.2) as table:
            head = table.row()
            for c in columns:
                head.cell(pdf_text(c))
            for values in rows:
                row = table.row()
                for v in values:
                    row.cell(pdf_text(v))
        self.ln(4)


def render_pdf(report: ProgramReport) -> bytes:
    """The report as PDF bytes (A4): title page facts, indicators, highlights, trade figures, then added sections."""
    pdf = _ReportPdf(report)
    pdf.add_page()
    pdf.heading(report.title, 16)
    pdf.paragraph(_("Program: %(program)s", program=report.program_name))
    pdf.paragraph(_("Period: %(period)s", period=report.period_text))
    pdf.paragraph(_("Generated on %(date)s", date=report.generated_text))
    pdf.ln(3)

    pdf.heading(_("Indicators against targets"))
    if not report.indicators:
        pdf.paragraph(_("This program has no indicators yet."))
    for line in report.indicators:
        pdf.paragraph(line.title, 11, "B")
        direction = _("Higher is better") if line.ascending else _("Lower is better")
        pdf.paragraph(f"{_('Unit: %(unit)s', unit=line.unit or '—')} · {direction}", 9)
        columns = [_("Baseline"), _("Target"), _("Target to date"), _("Actual"), _("Verdict")]
        values = [line.baseline_text, line.target_text, line.target_to_date_text, line.actual_text, line.verdict_text]
        pdf.grid(columns, [values], (40, 30, 34, 30, 44))

    pdf.add_page()
    pdf.heading(_("Highlights from the program updates"))
    if not report.highlights:
        pdf.paragraph(_("No program updates were posted in this period."))
    for h in report.highlights:
        pdf.paragraph(h.title, 11, "B")
        pdf.paragraph(h.posted, 9, "I")
        pdf.paragraph(h.first_lines, 10)
    if report.more_highlights:
        pdf.paragraph(
            ngettext("And %(num)d more update.", "And %(num)d more updates.", report.more_highlights), 10, "I"
        )

    pdf.add_page()
    pdf.heading(_("Trade in the program"))
    pdf.grid([_("Figure"), _("Value")], [[label, value] for _key, label, value in trade_rows(report.trade)], (130, 48))

    for section in report.sections:
        pdf.add_page()
        pdf.heading(section.title)
        for text in section.paragraphs:
            pdf.paragraph(text)
        if section.columns:
            pdf.grid(section.columns, section.rows)
    return bytes(pdf.output())
