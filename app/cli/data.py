"""Commands over the data: ``import`` and ``export`` of forestmatch/1 documents, ``matches`` for a sourcing request."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from app.cli.common import ProgressBar, after_import, cli_locale, run_coroutine, with_db


def _print_problems(problems: list[Any], source: Any = None) -> None:
    # Imported when the command runs: each command loads only what it needs, so `forestmatch --help` starts fast.
    from app.i18n import ngettext

    for p in problems:
        # A sheet's problem names the column as its header says (the field name for field-name headers).
        name = source.column_name(p.section, p.field) if source is not None and p.field else p.field
        print(f"{p.section}\t{p.ref or '-'}\t{name or '-'}\t{p.message}", file=sys.stderr)
    print(
        ngettext(
            "import rejected: %(num)d problem; nothing was written",
            "import rejected: %(num)d problems; nothing was written",
            len(problems),
        ),
        file=sys.stderr,
    )


def cmd_import(args: argparse.Namespace) -> int:
    """Exit 0: imported (or valid, with --dry-run). Exit 1: the document was refused (unreadable, or with
    problems, each listed as ``section ref field message``). Exit 2: no file to read."""
    # Imported when the command runs: each command loads only what it needs, so `forestmatch --help` starts fast.
    from app.i18n import gettext as _
    from app.i18n import set_locale
    from app.imports.services import (
        ImportRejected,
        StreamedDocument,
        UnreadableDocument,
        import_document,
        validate_document,
    )

    set_locale(cli_locale(args.lang))
    path = Path(args.file)
    try:
        if not path.is_file():
            path.stat()  # FileNotFoundError when there is nothing there
            raise IsADirectoryError(path)
        with path.open("rb"):
            pass
    except FileNotFoundError:
        print(_("import: no such file: %(path)s", path=str(path)), file=sys.stderr)
        return 2
    except (IsADirectoryError, PermissionError):
        print(_("import: cannot read %(path)s as a file.", path=str(path)), file=sys.stderr)
        return 2
    # The file is streamed, never read whole: a document of a million records imports in bounded memory; a sheet
    # (XLSX or CSV) is read a row at a time.
    sheet: Any = None
    with path.open("rb") as raw:
        head = raw.read(8)
    if path.suffix.lower() in (".xlsx", ".csv", ".xls") or head.startswith(b"PK\x03\x04"):
        # Imported when a sheet is imported: each command loads only what it needs (openpyxl is large).
        from app.imports.sheets import SheetSource, section_from_name

        try:
            sheet = SheetSource(path, section=args.section or section_from_name(path.name))
        except UnreadableDocument as exc:
            print(_("import rejected: %(reason)s Nothing was written.", reason=exc.message), file=sys.stderr)
            return 1
    source = sheet or StreamedDocument(path)

    async def run() -> Any:
        if args.dry_run:
            checked = await validate_document(source)
            return _("valid: %(num)s record(s), nothing written (dry run)", num=checked.total())
        summary = await import_document(source, progress=ProgressBar(_("importing")), reading=ProgressBar(_("reading")))
        await after_import()
        return _("imported: %(summary)s", summary=summary.line())

    try:
        line = run_coroutine(with_db(run()))
    except UnreadableDocument as exc:
        print(_("import rejected: %(reason)s Nothing was written.", reason=exc.message), file=sys.stderr)
        return 1
    except ImportRejected as exc:
        _print_problems(exc.problems, sheet)
        return 1
    print(line)
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    # Imported when the command runs: each command loads only what it needs, so `forestmatch --help` starts fast.
    from app.imports.services import export_document

    doc = run_coroutine(with_db(export_document()))
    if args.format == "xlsx":
        # Imported when a workbook is written: each command loads only what it needs (openpyxl is large).
        from app.imports.sheet_writing import export_workbook

        if not args.output:
            print("export: --format xlsx needs --output FILE.xlsx", file=sys.stderr)
            return 2
        written = export_workbook(doc, Path(args.output))
        print(f"exported {written} record(s) to {args.output}", file=sys.stderr)
        return 0
    text = json.dumps(doc, ensure_ascii=False, indent=2)
    if args.output:
        Path(args.output).write_text(text + "\n", encoding="utf-8")
        print(
            f"exported {sum(len(v) for v in doc.values() if isinstance(v, list))} record(s) to {args.output}",
            file=sys.stderr,
        )
    else:
        print(text)
    return 0


def cmd_matches(args: argparse.Namespace) -> int:
    """Recommendations for a sourcing request, in the answer format of the bulk data contract; the reasons and
    every line around them in one language (``--lang``, else FORESTMATCH_DEFAULT_LOCALE)."""
    # Imported when the command runs: each command loads only what it needs, so `forestmatch --help` starts fast.
    from app.i18n import gettext as _
    from app.i18n import ngettext, set_locale
    from app.matching.services import compute_matches
    from app.validation import NotFound
    from app.worker import get_backend

    locale = cli_locale(args.lang)
    set_locale(locale)

    async def run() -> Any:
        backend = get_backend()
        try:
            return await compute_matches(args.request_ref, backend, locale=locale)
        finally:
            await backend.close()

    try:
        answer = run_coroutine(with_db(run()))
    except NotFound:
        print(_("No sourcing request with ref %(ref)s.", ref=repr(args.request_ref)), file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(answer.as_json(), ensure_ascii=False, indent=2))
        return 0
    doc = answer.as_json()
    matches = ngettext("%(num)d match", "%(num)d matches", len(doc["matches"]))
    bundles = ngettext("%(num)d bundle", "%(num)d bundles", len(doc["bundles"]))
    print(_("request %(ref)s: %(matches)s, %(bundles)s", ref=doc["request"], matches=matches, bundles=bundles))
    for m in doc["matches"]:
        dist = f"{m['distance_km']} km" if m["distance_km"] is not None else _("distance unknown")
        print(f"  {m['score']:.2f}  {m['offer']}  {m['organization']}  {m['quantity']} {m['unit']}  {dist}")
        for reason in m["reasons"]:
            print(f"        - {reason}")
    for b in doc["bundles"]:
        offers = ", ".join(b["offers"])
        print(
            "  "
            + _(
                "bundle %(score)s: %(offers)s = %(total)s %(unit)s",
                score=f"{b['score']:.2f}",
                offers=offers,
                total=b["total_quantity"],
                unit=b["unit"],
            )
        )
    return 0
