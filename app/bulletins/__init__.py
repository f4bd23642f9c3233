"""Program updates (announcements), their comments, who may post, and the weekly digest of updates by e-mail."""
