"""The periodic program report: one page per program and period (a quarter or a year), printable and as PDF.

- ``periods.py``: the report's period from the query string, the default (the latest closed quarter) and the picker.
- ``sections.py``: the registry other packages fill with sections of their own (``report_sections``).
- ``services.py``: who may read a report and the one data structure (``ProgramReport``) the page and the PDF draw:
  the indicators against their targets (``app.agenda.results``), the highlights of the program updates posted in
  the period (``app.bulletins``) and the trade figures (``app.analytics.queries`` with the program filter).
- ``pdf.py``: the PDF drawn with fpdf2 from ``ProgramReport`` (never from the HTML).
- ``controllers.py``: ``/programs/{id}/report`` and ``/programs/{id}/report.pdf``.
"""
