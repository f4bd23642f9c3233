"""Organisations, user accounts, API tokens and sign-in."""
