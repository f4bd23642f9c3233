"""The ``forestmatch`` command: serve, migrate, demo, import, export, matches, lot, dds, createuser, worker, mail.

This module builds the parser and dispatches; each command family lives in a module of its own (``server``,
``data``, ``traceability``, ``jobs``, ``accounts``) and ``common`` holds what they share."""

from __future__ import annotations

import argparse

from app.cli.accounts import cmd_createuser
from app.cli.data import cmd_export, cmd_import, cmd_matches
from app.cli.jobs import cmd_digest, cmd_mail, cmd_reindex, cmd_reminders, cmd_sync, cmd_worker
from app.cli.server import cmd_demo, cmd_migrate, cmd_serve, cmd_wait_db
from app.cli.traceability import cmd_dds, cmd_lot
from app.settings import get_settings


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

    p = sub.add_parser("wait-db", help="wait until the database answers (container start); exit 1 after --timeout")
    p.add_argument("--timeout", type=float, default=60.0, help="seconds to keep trying")
    p.set_defaults(func=cmd_wait_db)

    p = sub.add_parser("demo", help="migrate, load demo data into an empty database, and serve")
    serve_options(p)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--offers", type=int, default=400, help="number of offers to generate (e.g. 10000)")
    p.add_argument("--no-serve", action="store_true", help="load the data and exit")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser(
        "import", help="import a forestmatch/1 JSON document, XLSX workbook or CSV sheet (all or nothing)"
    )
    p.add_argument("file")
    p.add_argument("--dry-run", action="store_true", help="validate only")
    p.add_argument("--section", default=None, help="the section a CSV file holds, when its name does not say it")
    p.add_argument(
        "--lang", default=None, help="language of the report (es_MX, en, pt_BR); default: FORESTMATCH_DEFAULT_LOCALE"
    )
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("export", help="export everything as a forestmatch/1 JSON document or XLSX workbook")
    p.add_argument("--output", "-o")
    p.add_argument("--format", choices=("json", "xlsx"), default="json", help="xlsx: one sheet per section (needs -o)")
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
    p = sub.add_parser("digest", help="queue this week's digest of program updates (each user once a week)")
    p.set_defaults(func=cmd_digest)
    p = sub.add_parser("reminders", help="remind partners of progress updates due before a period closes (once each)")
    p.add_argument("--date", help="as if today were this day (YYYY-MM-DD), e.g. to catch up after an outage")
    p.set_defaults(func=cmd_reminders)

    p = sub.add_parser("matches", help="recommendations for a sourcing request")
    p.add_argument("request_ref")
    p.add_argument("--json", action="store_true", help="the answer format of the bulk data contract")
    p.add_argument(
        "--lang", default=None, help="language of the report (es_MX, en, pt_BR); default: FORESTMATCH_DEFAULT_LOCALE"
    )
    p.set_defaults(func=cmd_matches)

    p = sub.add_parser("lot", help="a latex lot's derived claim, counts and checks")
    p.add_argument("lot_ref")
    p.add_argument("--json", action="store_true", help="the answer format of TRACEABILITY.md")
    p.add_argument(
        "--lang", default=None, help="language of the report (es_MX, en, pt_BR); default: FORESTMATCH_DEFAULT_LOCALE"
    )
    p.set_defaults(func=cmd_lot)

    p = sub.add_parser("dds", help="a lot's EUDR due-diligence GeoJSON (refused while it has an error check)")
    p.add_argument("lot_ref")
    p.add_argument("--output", "-o", required=True, help="FILE.geojson (FILE-1.geojson, ... when split)")
    p.add_argument(
        "--lang", default=None, help="language of the report (es_MX, en, pt_BR); default: FORESTMATCH_DEFAULT_LOCALE"
    )
    p.set_defaults(func=cmd_dds)

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
