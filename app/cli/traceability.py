"""Commands over latex traceability: ``lot`` (a lot's derived claim, counts and checks) and ``dds`` (its EUDR
due-diligence GeoJSON file or files)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from app.cli.common import cli_locale, run_coroutine, with_db


def cmd_lot(args: argparse.Namespace) -> int:
    """Exit 0 with the answer; exit 1 for an unknown lot."""
    # Imported when the command runs: each command loads only what it needs, so `forestmatch --help` starts fast.
    from app.i18n import gettext as _
    from app.i18n import set_locale
    from app.traceability.engine import localized_message
    from app.traceability.services import lot_answer
    from app.validation import NotFound

    set_locale(cli_locale(args.lang))
    try:
        answer = run_coroutine(with_db(lot_answer(args.lot_ref)))
    except NotFound:
        print(_("No lot with ref %(ref)s.", ref=repr(args.lot_ref)), file=sys.stderr)
        return 1
    doc = answer.as_json()
    if args.json:
        print(json.dumps(doc, ensure_ascii=False, indent=2))
        return 0
    claim = doc["claim"] or _("no FSC claim")
    if doc["claim"] == "FSC Mix":
        claim = f"{claim} {doc['certified_percent']} %"
    print(
        _(
            "lot %(ref)s (%(holder)s, %(product_type)s, %(dry_kg)s kg dry): %(claim)s; EUDR ready: %(ready)s",
            ref=doc["lot"],
            holder=doc["holder"],
            product_type=doc["product_type"],
            dry_kg=doc["dry_kg"],
            claim=claim,
            ready=_("yes") if doc["eudr_ready"] else _("no"),
        )
    )
    print(
        _(
            "%(members)s members, %(plots)s plots, %(deliveries)s deliveries",
            members=doc["members"],
            plots=doc["plots"],
            deliveries=doc["deliveries"],
        )
    )
    for check in answer.checks:
        print(f"  {check.severity}\t{check.code}\t{check.ref}\t{localized_message(check)}")
    return 0


def dds_paths(output: Path, count: int) -> list[Path]:
    """``FILE.geojson`` for one file; ``FILE-1.geojson``, ``FILE-2.geojson``, ... when the lot's file is split."""
    if count == 1:
        return [output]
    return [output.with_name(f"{output.stem}-{n}{output.suffix}") for n in range(1, count + 1)]


def cmd_dds(args: argparse.Namespace) -> int:
    """Exit 0: file(s) written. Exit 1: unknown lot, or refused while the lot has an error check (each listed)."""
    # Imported when the command runs: each command loads only what it needs, so `forestmatch --help` starts fast.
    from app.i18n import gettext as _
    from app.i18n import ngettext, set_locale
    from app.traceability.engine import localized_message
    from app.traceability.services import LotHasErrors, dds_documents
    from app.validation import NotFound

    set_locale(cli_locale(args.lang))
    try:
        files: list[dict[str, Any]] = run_coroutine(with_db(dds_documents(args.lot_ref)))
    except NotFound:
        print(_("No lot with ref %(ref)s.", ref=repr(args.lot_ref)), file=sys.stderr)
        return 1
    except LotHasErrors as exc:
        for check in exc.checks:
            print(f"{check.severity}\t{check.code}\t{check.ref}\t{localized_message(check)}", file=sys.stderr)
        print(
            ngettext(
                "dds refused: lot %(ref)s has %(num)d error check; fix it and try again. Nothing was written.",
                "dds refused: lot %(ref)s has %(num)d error checks; fix them and try again. Nothing was written.",
                len(exc.checks),
                ref=args.lot_ref,
            ),
            file=sys.stderr,
        )
        return 1
    paths = dds_paths(Path(args.output), len(files))
    for path, doc in zip(paths, files, strict=True):
        path.write_text(json.dumps(doc, ensure_ascii=False) + "\n", encoding="utf-8")
        print(path)
    return 0
