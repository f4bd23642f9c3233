"""Program partners and their commitments (the mutually reinforcing activities of a collective-impact program).

- ``tables.py``: Partner (an organisation in a program with a role), Commitment (an activity serving some of the
  program's indicators, with who is responsible, dates and status), CommitmentIndicator, ProgressUpdate (draft ->
  submitted -> approved, or returned with a comment and corrected), ProgressUpdateStep, EvidenceFile.
- ``services.py``: who is a partner of a program, adding and removing partners, commitments and their permissions.
- ``updates.py``: progress updates and the values partners report on reported indicators (through the agenda's
  ``ReportedValue`` with ``organization`` = the partner), their workflow and the notifications it sends.
- ``evidence.py``: small evidence files stored under ``<var_dir>/partner_evidence``.
- ``completeness.py``: updates expected vs received (and on time) per partner and period; the reminder job.
- ``controllers.py`` (pages), ``api.py`` (``GET /api/v1/programs/{id}/commitments``).
"""
