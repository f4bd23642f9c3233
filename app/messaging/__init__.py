"""Buyer-producer conversations, messages, match/deal events and organisation blocks."""
