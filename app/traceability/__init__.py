"""Latex traceability (TRACEABILITY.md): members, plots, deliveries, lots, derived claims, checks, EUDR files."""
