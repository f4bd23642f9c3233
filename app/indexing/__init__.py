"""The search outbox: every change that affects search is recorded in the same transaction as the change."""
