"""In-app notifications, e-mail (outbox, SMTP or local maildir), preferences, saved searches and alerts."""
