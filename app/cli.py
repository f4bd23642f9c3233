"""The ``forestmatch`` command: serve, migrate, demo, import, export, createuser, worker, mail."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import getpass
import json
import sys
import time
from pathlib import Path
from typing import Any

from app.settings import get_settings

DEMO_PASSWORD = "forestmatch-demo"
DEMO_USERS = (
    ("staff@demo.forestmatch.org", "staff", None),
    ("producer@demo.forestmatch.org", "producer", "producer"),
    ("buyer@demo.forestmatch.org", "buyer", "buyer"),
)


class ProgressBar:
    """A one-line progress bar on stderr (redrawn in place on a terminal, sparse lines otherwise)."""

    def __init__(self, label: str, stream: Any = None) -> None:
        self.label = label
        self.stream = stream or sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.started = time.monotonic()
        self._last_pct = -1

    def __call__(self, done: int, total: int) -> None:
        pct = int(100 * done / total) if total else 100
        if pct == self._last_pct or (not self.tty and pct % 10 and done != total):
            return
        self._last_pct = pct
        width = 30
        filled = int(width * pct / 100)
        bar = "#" * filled + "-" * (width - filled)
        line = f"{self.label} [{bar}] {pct:3d}% {done}/{total}"
        if self.tty:
            self.stream.write("\r" + line + ("\n" if done >= total else ""))
        else:
            self.stream.write(line + "\n")
        self.stream.flush()


def _run(coro: Any) -> Any:
    return asyncio.run(coro)


async def _with_db(coro: Any) -> Any:
    from app.db import close_pool, start_pool

    await start_pool()
    try:
        return await coro
    finally:
        await close_pool()


def cmd_migrate(_: argparse.Namespace) -> int:
    from app.db import migrate

    _run(migrate())
    print("migrations applied")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level=args.log_level,
        proxy_headers=True,
        access_log=args.access_log,
    )
    return 0


def _cli_locale(value: str | None) -> str:
    """The language of a command's report: ``--lang``, else FORESTMATCH_DEFAULT_LOCALE (one language per report)."""
    from app.i18n import DEFAULT_LOCALE, normalize_locale

    return normalize_locale(value) or normalize_locale(get_settings().default_locale) or DEFAULT_LOCALE


def _print_problems(problems: list[Any]) -> None:
    from app.i18n import ngettext

    for p in problems:
        print(f"{p.section}\t{p.ref or '-'}\t{p.field or '-'}\t{p.message}", file=sys.stderr)
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
    from app.i18n import gettext as _
    from app.i18n import set_locale
    from app.imports.services import (
        MAX_DOCUMENT_BYTES,
        ImportRejected,
        UnreadableDocument,
        import_document,
        parse_document,
        validate_document,
    )
    from app.imports.validation import too_large

    set_locale(_cli_locale(args.lang))
    path = Path(args.file)
    try:
        size = path.stat().st_size
        if not path.is_file():
            raise IsADirectoryError(path)
        if size > MAX_DOCUMENT_BYTES:
            raise UnreadableDocument(too_large(size, MAX_DOCUMENT_BYTES))
        doc = parse_document(path.read_bytes())
    except FileNotFoundError:
        print(_("import: no such file: %(path)s", path=str(path)), file=sys.stderr)
        return 2
    except (IsADirectoryError, PermissionError):
        print(_("import: cannot read %(path)s as a file.", path=str(path)), file=sys.stderr)
        return 2
    except UnreadableDocument as exc:
        print(_("import rejected: %(reason)s Nothing was written.", reason=exc.message), file=sys.stderr)
        return 1

    async def run() -> Any:
        if args.dry_run:
            plan = await validate_document(doc)
            return _("valid: %(num)s record(s), nothing written (dry run)", num=plan.total())
        summary = await import_document(doc, progress=ProgressBar(_("importing")))
        await _after_import()
        return _("imported: %(summary)s", summary=summary.line())

    try:
        line = _run(_with_db(run()))
    except ImportRejected as exc:
        _print_problems(exc.problems)
        return 1
    print(line)
    return 0


async def _after_import() -> None:
    """Bring the search index in step before ``import`` exits, so ``forestmatch matches`` right after sees the data."""
    from app.db import refresh_statistics
    from app.indexing.runtime import get_backend
    from app.indexing.sync import drain

    backend = get_backend()
    await backend.ensure_index("offers")
    await drain(backend, ignore_backoff=True)
    await backend.close()
    await refresh_statistics()  # a bulk change: plan the next queries on the new data


def cmd_sync(_: argparse.Namespace) -> int:
    """Apply pending search changes once."""
    from app.indexing.runtime import get_backend
    from app.indexing.sync import drain, pending

    async def run() -> str:
        backend = get_backend()
        await backend.ensure_index("offers")
        applied = await drain(backend, ignore_backoff=True)
        left = await pending()
        await backend.close()
        return f"applied {applied} change(s); {left} pending"

    print(_run(_with_db(run())))
    return 0


def cmd_reindex(_: argparse.Namespace) -> int:
    """Rebuild the search index from the database (new index, then swap: searches keep working meanwhile)."""
    from app.indexing.runtime import get_backend
    from app.indexing.sync import reindex

    async def run() -> str:
        backend = get_backend()
        started = time.monotonic()
        count = await reindex(backend, progress=ProgressBar("reindexing"))
        await backend.close()
        return f"reindexed {count} offer(s) in {time.monotonic() - started:.1f} s"

    print(_run(_with_db(run())))
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    """Run the search sync as a process of its own (set FORESTMATCH_SYNC_IN_APP=false on the web workers)."""
    import signal

    from app.indexing.runtime import after_pass, get_backend
    from app.indexing.sync import run_worker

    async def run() -> None:
        backend = get_backend()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        print("search sync, alerts and mail worker running; Ctrl-C to stop", file=sys.stderr)
        await run_worker(backend, stop, interval=args.interval, after_pass=after_pass)
        await backend.close()

    _run(_with_db(run()))
    return 0


def cmd_mail(args: argparse.Namespace) -> int:
    """Send the queued e-mails that are due (SMTP when FORESTMATCH_SMTP_HOST is set, else the local maildir)."""
    from app.notifications import mail

    async def run() -> str:
        from app.accounts.password_reset import process_requests

        await process_requests()  # "send me a link" requests become e-mails first
        result = await mail.drain(ignore_backoff=args.retry_now)
        left = await mail.counts()
        return (
            f"sent {result.sent}, postponed {result.retry}, refused {result.failed}; "
            f"{left.get('pending', 0) + left.get('sending', 0)} waiting"
        )

    print(_run(_with_db(run())))
    return 0


def cmd_matches(args: argparse.Namespace) -> int:
    """Recommendations for a sourcing request, in the answer format of the bulk data contract; the reasons and
    every line around them in one language (``--lang``, else FORESTMATCH_DEFAULT_LOCALE)."""
    from app.i18n import gettext as _
    from app.i18n import ngettext, set_locale
    from app.indexing.runtime import get_backend
    from app.matching.services import compute_matches
    from app.validation import NotFound

    locale = _cli_locale(args.lang)
    set_locale(locale)

    async def run() -> Any:
        backend = get_backend()
        try:
            return await compute_matches(args.request_ref, backend, locale=locale)
        finally:
            await backend.close()

    try:
        answer = _run(_with_db(run()))
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


def cmd_export(args: argparse.Namespace) -> int:
    from app.imports.services import export_document

    doc = _run(_with_db(export_document()))
    text = json.dumps(doc, ensure_ascii=False, indent=2)
    if args.output:
        Path(args.output).write_text(text + "\n", encoding="utf-8")
        print(
            f"exported {sum(len(doc[s]) for s in ('organizations', 'certificates', 'offers', 'requests'))} "
            f"record(s) to {args.output}",
            file=sys.stderr,
        )
    else:
        print(text)
    return 0


def cmd_createuser(args: argparse.Namespace) -> int:
    from app.accounts.services import create_user
    from app.validation import FieldErrors

    role = "staff" if args.staff else args.role
    if not role:
        print("choose --staff or --role producer|buyer", file=sys.stderr)
        return 2
    password = args.password or getpass.getpass("Password (10+ characters): ")
    try:
        user = _run(
            _with_db(
                create_user(
                    email=args.email,
                    password=password,
                    role=role,
                    organization_ref=args.organization,
                    name=args.name or "",
                    organization_name=args.organization_name,
                    country=args.country or "",
                )
            )
        )
    except FieldErrors as exc:
        for field, message in exc.errors.items():
            print(f"{field}: {message}", file=sys.stderr)
        return 1
    print(f"created {user.role} user {user.email} in organisation {user.organization_ref}")
    return 0


async def load_demo(seed: int, offers: int, quiet: bool = False) -> str:
    """Load the generated demo data set and demo accounts into an empty database."""
    from app.accounts.services import create_user
    from app.accounts.tables import Organization
    from app.demo.generator import generate
    from app.imports.services import import_document

    if await Organization.count() > 0:
        return "database not empty: demo data not loaded"
    # Larger sets keep roughly the demo's proportions (about 7 offers per producer).
    doc = generate(
        seed,
        producers=max(60, offers // 7),
        buyers=max(25, offers // 400),
        offers=offers,
        requests=max(80, min(1000, offers // 100)),
    )
    summary = await import_document(doc, progress=None if quiet else ProgressBar("loading demo data"))
    first_producer = next(o["ref"] for o in doc["organizations"] if o["kind"] == "producer")
    first_buyer = next(o["ref"] for o in doc["organizations"] if o["kind"] == "buyer")
    for email, role, org in DEMO_USERS:
        org_ref = {"producer": first_producer, "buyer": first_buyer}.get(org or "")
        await create_user(
            email=email,
            password=DEMO_PASSWORD,
            role=role,
            organization_ref=org_ref,
            organization_name="ForestMatch program" if role == "staff" else None,
        )
    # Months of simulated trade (conversations, messages, match events, deals) for the measurement dashboard.
    from app.demo.activity_db import backdate, load_activity, review_certificates
    from app.indexing.runtime import get_backend

    await backdate(dt.datetime.now(dt.UTC), seed)
    await review_certificates(dt.datetime.now(dt.UTC), seed)  # most verified by staff, some awaiting verification
    await _after_import()
    backend = get_backend()
    try:
        trade = await load_activity(seed, backend)
    finally:
        await backend.close()
    from app.demo.inbox import seed_inbox

    notes = await seed_inbox([email for email, _role, _org in DEMO_USERS], dt.datetime.now(dt.UTC))
    from app.db import refresh_statistics

    await refresh_statistics()
    return "demo data loaded: " + summary.line() + "\n" + trade + f", {notes} notifications for the demo accounts"


def cmd_demo(args: argparse.Namespace) -> int:
    from app.db import migrate

    async def prepare() -> str:
        await migrate()
        return await load_demo(args.seed, args.offers)

    print(_run(_with_db(prepare())))
    print(f"demo accounts (password: {DEMO_PASSWORD}): {', '.join(u[0] for u in DEMO_USERS)}")
    if args.no_serve:
        return 0
    print(f"ForestMatch at http://{args.host}:{args.port}")
    return cmd_serve(args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="forestmatch", description="ForestMatch command line")
    sub = parser.add_subparsers(dest="command", required=True)

    def serve_options(p: argparse.ArgumentParser) -> None:
        p.add_argument("--host", default="127.0.0.1")
        p.add_argument("--port", type=int, default=8000)
        p.add_argument("--workers", type=int, default=1, help="app processes (they share only the database)")
        p.add_argument("--log-level", default="info")
        p.add_argument("--access-log", action=argparse.BooleanOptionalAction, default=True)

    p = sub.add_parser("serve", help="run the web app")
    serve_options(p)
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("migrate", help="apply database migrations")
    p.set_defaults(func=cmd_migrate)

    p = sub.add_parser("demo", help="migrate, load demo data into an empty database, and serve")
    serve_options(p)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--offers", type=int, default=400, help="number of offers to generate (e.g. 10000)")
    p.add_argument("--no-serve", action="store_true", help="load the data and exit")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("import", help="import a forestmatch/1 JSON document (all or nothing)")
    p.add_argument("file")
    p.add_argument("--dry-run", action="store_true", help="validate only")
    p.add_argument(
        "--lang", default=None, help="language of the report (es_MX, en, pt_BR); default: FORESTMATCH_DEFAULT_LOCALE"
    )
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("export", help="export everything as a forestmatch/1 JSON document")
    p.add_argument("--output", "-o")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("sync", help="apply pending changes to the search index once")
    p.set_defaults(func=cmd_sync)

    p = sub.add_parser("reindex", help="rebuild the search index from the database without downtime")
    p.set_defaults(func=cmd_reindex)

    p = sub.add_parser("worker", help="run the search sync worker as its own process")
    p.add_argument("--interval", type=float, default=1.0, help="seconds between passes when idle")
    p.set_defaults(func=cmd_worker)

    p = sub.add_parser("mail", help="send the queued e-mails that are due, once")
    p.add_argument("--retry-now", action="store_true", help="also send mails waiting for their next retry")
    p.set_defaults(func=cmd_mail)

    p = sub.add_parser("matches", help="recommendations for a sourcing request")
    p.add_argument("request_ref")
    p.add_argument("--json", action="store_true", help="the answer format of the bulk data contract")
    p.add_argument(
        "--lang", default=None, help="language of the report (es_MX, en, pt_BR); default: FORESTMATCH_DEFAULT_LOCALE"
    )
    p.set_defaults(func=cmd_matches)

    p = sub.add_parser("createuser", help="create a user account")
    p.add_argument("--email", required=True)
    p.add_argument("--password", help="prompted for when omitted")
    p.add_argument("--staff", action="store_true", help="a program staff account")
    p.add_argument("--role", choices=["producer", "buyer"])
    p.add_argument("--organization", help="ref of an existing organisation to join")
    p.add_argument("--organization-name", help="name for a new organisation")
    p.add_argument("--name")
    p.add_argument("--country")
    p.set_defaults(func=cmd_createuser)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    get_settings()  # read settings (and create var/) before any work
    result: int = args.func(args)
    return result


if __name__ == "__main__":
    raise SystemExit(main())
