#!/bin/sh
# The ForestMatch image's entrypoint: wait for the database, apply migrations, then become the role asked for.
#
#   web      forestmatch serve on 0.0.0.0:$PORT with $WEB_CONCURRENCY uvicorn workers (default 8000, 2)
#   worker   forestmatch worker: search sync, match recomputation, alerts, e-mail, digests, reminders
#   migrate  apply migrations and exit (the other roles migrate too; a PostgreSQL lock lets one run at a time)
#   reindex  rebuild the search index and swap it in (searches keep working meanwhile), then exit
#   cli ...  any other forestmatch command, e.g. `cli createuser --email staff@program.org --staff`
#
# Settings come from FORESTMATCH_* variables (README, "Settings and production"). DB_WAIT_SECONDS bounds the wait
# for the database (default 60). The role's process replaces this shell (exec), so it receives SIGTERM itself.
set -eu

role="${1:-web}"
[ "$#" -gt 0 ] && shift

wait_and_migrate() {
    forestmatch wait-db --timeout "${DB_WAIT_SECONDS:-60}"
    forestmatch migrate
}

case "$role" in
    web)
        wait_and_migrate
        # Several uvicorn workers each count their requests: prometheus_client's multiprocess mode keeps the counts
        # in files here, emptied before the workers start (its documentation asks for a fresh directory per run).
        export PROMETHEUS_MULTIPROC_DIR="${PROMETHEUS_MULTIPROC_DIR:-/tmp/forestmatch-metrics}"
        rm -rf "$PROMETHEUS_MULTIPROC_DIR"
        mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
        exec forestmatch serve --host "${HOST:-0.0.0.0}" --port "${PORT:-8000}" --workers "${WEB_CONCURRENCY:-2}" "$@"
        ;;
    worker)
        wait_and_migrate
        exec forestmatch worker "$@"
        ;;
    migrate)
        forestmatch wait-db --timeout "${DB_WAIT_SECONDS:-60}"
        exec forestmatch migrate
        ;;
    reindex)
        wait_and_migrate
        exec forestmatch reindex "$@"
        ;;
    cli)
        exec forestmatch "$@"
        ;;
    *)
        echo "unknown role '$role': give web, worker, migrate, reindex or cli" >&2
        exit 64
        ;;
esac
