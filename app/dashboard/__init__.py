"""The signed-in dashboard: one home page per role, drawing on the other domains."""
