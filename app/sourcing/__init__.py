"""Buyers' sourcing requests."""
