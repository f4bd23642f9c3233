"""Commands that run the app: ``serve``, ``migrate`` and ``demo`` (which loads the demo data set and accounts)."""

from __future__ import annotations

import argparse
import datetime as dt
import sys

from app.cli.common import ProgressBar, after_import, run_coroutine, with_db
from app.settings import get_settings

DEMO_PASSWORD = "forestmatch-demo"
DEMO_USERS = (
    ("staff@demo.forestmatch.org", "staff", None),
    ("producer@demo.forestmatch.org", "producer", "producer"),
    ("buyer@demo.forestmatch.org", "buyer", "buyer"),
    ("group@demo.forestmatch.org", "producer", "group"),  # a user of the Acre rubber group
    ("collector@demo.forestmatch.org", "producer", "collector"),  # a user of the Acre collector
)


def cmd_migrate(_: argparse.Namespace) -> int:
    # Imported when the command runs: each command loads only what it needs, so `forestmatch --help` starts fast.
    from app.db import migrate

    run_coroutine(migrate())
    print("migrations applied")
    return 0


def cmd_wait_db(args: argparse.Namespace) -> int:
    """Wait until the database answers (a container starting beside its database); 1 when it never does."""
    import time

    # Imported when the command runs: each command loads only what it needs, so `forestmatch --help` starts fast.
    from app.db import database_answers

    deadline = time.monotonic() + args.timeout
    while True:
        problem = run_coroutine(database_answers())
        if problem is None:
            print("database reachable")
            return 0
        if time.monotonic() >= deadline:
            print(f"database not reachable after {args.timeout:g} s: {problem}", file=sys.stderr)
            return 1
        time.sleep(1.0)


def cmd_serve(args: argparse.Namespace) -> int:
    import os

    import uvicorn

    # Imported when the command runs: each command loads only what it needs, so `forestmatch --help` starts fast.
    from app.ops.logs import uvicorn_log_config

    # The app writes its own access log (request id, route, status, duration, user id: app.ops.observe); the flag
    # reaches every worker process through the environment, as settings do.
    os.environ["FORESTMATCH_ACCESS_LOG"] = "true" if args.access_log else "false"
    get_settings.cache_clear()  # read again: with one worker the app is built in this process
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level=args.log_level,
        log_config=uvicorn_log_config(get_settings()),
        proxy_headers=True,
        access_log=False,
    )
    return 0


async def load_demo(seed: int, offers: int, quiet: bool = False) -> str:
    """Load the generated demo data set and demo accounts into an empty database."""
    # Imported when the command runs: each command loads only what it needs, so `forestmatch --help` starts fast.
    from app.accounts.services import create_user
    from app.accounts.tables import Organization
    from app.demo.generator import generate
    from app.demo.traceability import demo_traceability
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
    # Rubber groups, collectors and a season of deliveries and lots (with a few planted defects) for traceability.
    trace, accounts = demo_traceability(seed, dt.date.today())
    trace_summary = await import_document(trace, progress=None if quiet else ProgressBar("loading traceability"))
    first_producer = next(o["ref"] for o in doc["organizations"] if o["kind"] == "producer")
    first_buyer = next(o["ref"] for o in doc["organizations"] if o["kind"] == "buyer")
    users = {}
    for email, role, org in DEMO_USERS:
        org_ref = {"producer": first_producer, "buyer": first_buyer, **accounts}.get(org or "")
        users[email] = await create_user(
            email=email,
            password=DEMO_PASSWORD,
            role=role,
            organization_ref=org_ref,
            organization_name="ForestMatch program" if role == "staff" else None,
        )
    # Months of simulated trade (conversations, messages, match events, deals) for the measurement dashboard.
    from app.db import refresh_statistics
    from app.demo.activity_db import backdate, load_activity, review_certificates
    from app.demo.inbox import seed_inbox
    from app.worker import get_backend

    await backdate(dt.datetime.now(dt.UTC), seed)
    await review_certificates(dt.datetime.now(dt.UTC), seed)  # most verified by staff, some awaiting verification
    await after_import()
    backend = get_backend()
    try:
        trade = await load_activity(seed, backend)
    finally:
        await backend.close()
    # Latex offers backed by the groups' processed lots, and the demo buyer's confirmed deal on one of them.
    from app.demo.trace_trade import confirmed_lot_deal, lot_backed_offers

    lot_offers = await lot_backed_offers(dt.date.today())
    lot_deal = await confirmed_lot_deal(
        users["buyer@demo.forestmatch.org"], users["group@demo.forestmatch.org"], lot_offers, dt.date.today()
    )
    await after_import()
    # A program over the rubber regions with its common agenda (indicators, targets, approved values).
    from app.demo.agenda import demo_agenda

    agenda = await demo_agenda(users["staff@demo.forestmatch.org"], dt.date.today())
    # Partners of that program with commitments and progress updates (one returned and corrected).
    from app.demo.partners import demo_partners

    partners = await demo_partners(
        users["staff@demo.forestmatch.org"],
        users["group@demo.forestmatch.org"],
        users["buyer@demo.forestmatch.org"],
        dt.date.today(),
    )
    notes = await seed_inbox([email for email, _role, _org in DEMO_USERS], dt.datetime.now(dt.UTC))
    # Program updates with comments the demo producer reads (its organisation made a member of a demo program).
    from app.demo.bulletins import demo_program_updates

    bulletins = await demo_program_updates(
        {"staff": "staff@demo.forestmatch.org", "producer": "producer@demo.forestmatch.org"}, dt.datetime.now(dt.UTC)
    )
    await refresh_statistics()
    lines = (
        "demo data loaded: " + summary.line(),
        "traceability: " + trace_summary.line(),
        f"{len(lot_offers)} lot-backed latex offers, {lot_deal}",
        bulletins,
        agenda,
        partners,
        trade,
    )
    return "\n".join(lines) + f", {notes} notifications for the demo accounts"


def cmd_demo(args: argparse.Namespace) -> int:
    # Imported when the command runs: each command loads only what it needs, so `forestmatch --help` starts fast.
    from app.db import migrate

    async def prepare() -> str:
        await migrate()
        return await load_demo(args.seed, args.offers)

    print(run_coroutine(with_db(prepare())))
    print(f"demo accounts (password: {DEMO_PASSWORD}): {', '.join(u[0] for u in DEMO_USERS)}")
    if args.no_serve:
        return 0
    print(f"ForestMatch at http://{args.host}:{args.port}")
    return cmd_serve(args)
