# ForestMatch application image: one image for every role (web, worker, migrate, reindex), chosen by the command.
#   docker build -t forestmatch .            (or: podman build -t forestmatch .)
#   docker compose up -d                     (compose.yaml: web, worker, PostgreSQL 15, optional Meilisearch)
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    FORESTMATCH_VAR_DIR=/var/lib/forestmatch \
    FORESTMATCH_LOG_FORMAT=json \
    PORT=8000

WORKDIR /app
# Dependencies first (a layer that survives code changes): the package's metadata only.
COPY pyproject.toml README.md ./
RUN mkdir -p app search_index \
    && touch app/__init__.py search_index/__init__.py \
    && pip install . \
    && pip uninstall -y forestmatch \
    && rm -rf app search_index build ./*.egg-info
# The code, templates and static files stay in /app: the app finds templates/ and static/ beside its package.
COPY app ./app
COPY search_index ./search_index
COPY templates ./templates
COPY static ./static
COPY deploy ./deploy
RUN pip install --no-deps -e . \
    && useradd --system --uid 10001 --home-dir /var/lib/forestmatch forestmatch \
    && mkdir -p /var/lib/forestmatch \
    && chown forestmatch /var/lib/forestmatch \
    && chmod 0755 deploy/entrypoint.sh
USER forestmatch

EXPOSE 8000
# Liveness of the web role (compose checks readiness, /readyz, and turns this off for the worker).
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 CMD ["python", "/app/deploy/probe.py", "/healthz"]
ENTRYPOINT ["/app/deploy/entrypoint.sh"]
CMD ["web"]
