#!/usr/bin/env bash
# Run the whole service on this machine: web server, Celery worker, Celery beat. Ctrl-C stops all three.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}
export SITE_URL=${SITE_URL:-http://$HOST:$PORT}

bash scripts/ensure_sandbox.sh || echo "warning: bubblewrap is missing; challenge submissions will be refused until it is installed." >&2
if [ -f scripts/build_sandbox_runtime.sh ]; then bash scripts/build_sandbox_runtime.sh; fi

$PY manage.py migrate --noinput
$PY manage.py createcachetable  # the throttle counters' table when no Redis is configured (docs/security.md)
$PY manage.py collectstatic --noinput -v0
logins=$($PY manage.py seed_demo)

pids=()
stop() {
  trap - INT TERM EXIT
  echo "Stopping..."
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  echo "Stopped."
}
trap stop INT TERM EXIT

# Workers, threads and connections: gunicorn.conf.py (WEB_CONCURRENCY, WEB_THREADS).
.venv/bin/gunicorn courseproj.wsgi:application --bind "$HOST:$PORT" --access-logfile - --graceful-timeout 5 &
pids+=($!)
.venv/bin/celery -A courseproj worker -l info --concurrency 2 -n "worker@%h" &
pids+=($!)
.venv/bin/celery -A courseproj beat -l info &
pids+=($!)

sleep 2
echo
echo "courseproj is running at http://$HOST:$PORT/  (Ctrl-C stops it)"
echo "$logins"
echo
wait -n "${pids[@]}" || true
