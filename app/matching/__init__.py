"""Matching sourcing requests with offers: the pure engine (``engine``) ranks offers and proposes bundles."""
