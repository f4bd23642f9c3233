"""``createuser``: a user account from the command line."""

from __future__ import annotations

import argparse
import getpass
import sys

from app.cli.common import run_coroutine, with_db


def cmd_createuser(args: argparse.Namespace) -> int:
    # Imported when the command runs: each command loads only what it needs, so `forestmatch --help` starts fast.
    from app.accounts.services import create_user
    from app.validation import FieldErrors

    role = "staff" if args.staff else args.role
    if not role:
        print("choose --staff or --role producer|buyer", file=sys.stderr)
        return 2
    password = args.password or getpass.getpass("Password (10+ characters): ")
    try:
        user = run_coroutine(
            with_db(
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
