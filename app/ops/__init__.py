"""Running ForestMatch in production: liveness and readiness probes, Prometheus metrics and structured logs.

``controllers`` answers ``/healthz``, ``/readyz`` and ``/metrics``; ``observe`` wraps the application to time,
count and log every request; ``metrics`` holds the metric objects (through ``prometheus_client``); ``logs`` the
text and JSON log formats; ``readiness`` the checks ``/readyz`` runs.
"""
