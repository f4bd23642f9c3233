"""Background work run once or as a process: ``sync`` and ``reindex`` (search index), ``worker``, ``mail``."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time

from app.cli.common import ProgressBar, run_coroutine, with_db
from app.settings import get_settings


def cmd_sync(_: argparse.Namespace) -> int:
    """Apply pending search changes once."""
    # Imported when the command runs: each command loads only what it needs, so `forestmatch --help` starts fast.
    from app.indexing.sync import drain, pending
    from app.worker import get_backend, register_subscribers

    register_subscribers()

    async def run() -> str:
        backend = get_backend()
        await backend.ensure_index("offers")
        applied = await drain(backend, ignore_backoff=True)
        left = await pending()
        await backend.close()
        return f"applied {applied} change(s); {left} pending"

    print(run_coroutine(with_db(run())))
    return 0


def cmd_reindex(_: argparse.Namespace) -> int:
    """Rebuild the search index from the database (new index, then swap: searches keep working meanwhile)."""
    # Imported when the command runs: each command loads only what it needs, so `forestmatch --help` starts fast.
    from app.indexing.sync import reindex
    from app.worker import get_backend

    async def run() -> str:
        backend = get_backend()
        started = time.monotonic()
        count = await reindex(backend, progress=ProgressBar("reindexing"))
        await backend.close()
        return f"reindexed {count} offer(s) in {time.monotonic() - started:.1f} s"

    print(run_coroutine(with_db(run())))
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    """Run the outbox's subscribers as a process of its own (set FORESTMATCH_SYNC_IN_APP=false on the web workers)."""
    import signal

    # Imported when the command runs: each command loads only what it needs, so `forestmatch --help` starts fast.
    from app.indexing.sync import run_worker
    from app.ops.logs import logging_config
    from app.worker import after_pass, get_backend, register_subscribers

    logging_config(get_settings()).configure()  # the web's format (FORESTMATCH_LOG_FORMAT) for the worker's lines
    register_subscribers()

    async def run() -> None:
        backend = get_backend()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        print("search sync, alerts and mail worker running; Ctrl-C to stop", file=sys.stderr)
        await run_worker(backend, stop, interval=args.interval, after_pass=after_pass)
        await backend.close()

    run_coroutine(with_db(run()))
    return 0


def cmd_mail(args: argparse.Namespace) -> int:
    """Send the queued e-mails that are due (SMTP when FORESTMATCH_SMTP_HOST is set, else the local maildir)."""
    # Imported when the command runs: each command loads only what it needs, so `forestmatch --help` starts fast.
    from app.notifications import mail

    async def run() -> str:
        # Imported when the command runs: each command loads only what it needs, so `forestmatch --help` starts fast.
        from app.accounts.password_reset import process_requests

        await process_requests()  # "send me a link" requests become e-mails first
        result = await mail.drain(ignore_backoff=args.retry_now)
        left = await mail.counts()
        return (
            f"sent {result.sent}, postponed {result.retry}, refused {result.failed}; "
            f"{left.get('pending', 0) + left.get('sending', 0)} waiting"
        )

    print(run_coroutine(with_db(run())))
    return 0


def cmd_digest(_: argparse.Namespace) -> int:
    """Queue the weekly digest of program updates for every user who chose it (once per user and week)."""
    # Imported when the command runs: each command loads only what it needs, so `forestmatch --help` starts fast.
    from app.bulletins.digest import send_weekly_digests

    async def run() -> str:
        return f"queued {await send_weekly_digests()} digest e-mail(s)"

    print(run_coroutine(with_db(run())))
    return 0


def cmd_reminders(args: argparse.Namespace) -> int:
    """Remind partner users of progress updates missing for a period that closes within a week (once each)."""
    import datetime as dt

    # Imported when the command runs: each command loads only what it needs, so `forestmatch --help` starts fast.
    from app.partners.completeness import send_reminders

    try:
        today = dt.date.fromisoformat(args.date) if args.date else dt.date.today()
    except ValueError:
        print("--date: give a date as YYYY-MM-DD", file=sys.stderr)
        return 2

    async def run() -> str:
        return f"reminded {await send_reminders(today)} partner user(s)"

    print(run_coroutine(with_db(run())))
    return 0
