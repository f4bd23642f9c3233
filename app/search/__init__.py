"""Buyer search: the /search page and the public search API over the offers index."""
