"""A program's common agenda: indicators with baselines, targets per period and actuals (computed or reported).

- ``tables.py``: Indicator (names and definitions in es/en/pt, unit, direction, source, measure, breakdown,
  baseline), IndicatorTarget (one per period), ReportedValue (draft -> submitted -> approved, or returned with a
  comment; an optional reporting organisation) and ReportedValueStep (who moved it, when, why).
- ``periods.py``: quarters ('2026-Q3') and years ('2026') as inclusive date ranges.
- ``membership.py``: which organisations belong to a program (named, or inside one of its regions).
- ``measures.py``: the computed measures, key -> query over a period and the program's filter, reusing the
  shared-measurement dashboard's queries (``app.analytics.queries``).
- ``services.py``: rules and permissions for indicators and reported values; ``results.py``: actuals per period,
  the on-track rule, the trend, CSV and IATI-XML; ``schemas.py``: the IATI-shaped JSON.
- ``controllers.py`` (pages: ``/programs/{id}/results`` and the staff set-up under ``/staff/programs/{id}/agenda``)
  and ``api.py`` (``/api/v1/programs/{id}/results`` and the reported values' API).
"""
