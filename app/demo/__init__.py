"""Demo data: a deterministic, realistic ForestMatch bulk document (organisations, certificates, offers, requests)."""
