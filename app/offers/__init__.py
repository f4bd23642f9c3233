"""Producers' certified offers of timber and latex."""
