#!/usr/bin/env bash
# `make run`: migrate, seed the demo business (empty database only), start worker + web on :5000.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
export FLASK_APP=server.app_factory:create_app
$PY -m flask db upgrade heads
$PY -m flask seed-demo
PORT="${PORT:-5000}"
# Loopback only unless asked (BIND=0.0.0.0 make run): the demo logins are published.
BIND="${BIND:-127.0.0.1}"
case "$BIND" in
  127.0.0.1|0.0.0.0|::|localhost) URL_HOST=localhost ;;
  *:*) URL_HOST="[$BIND]" ;;
  *) URL_HOST="$BIND" ;;
esac
# Without Redis the worker hands its live events (a message delivered, a call summarised) to this web process.
export REALTIME_RELAY_URL="${REALTIME_RELAY_URL:-http://127.0.0.1:${PORT}}"
$PY -m server.worker &
WORKER_PID=$!
trap 'kill $WORKER_PID 2>/dev/null || true' EXIT INT TERM
cat <<MSG

  Kesher is running: http://${URL_HOST}:${PORT}   (listening on ${BIND}; BIND=0.0.0.0 for other machines)
  Log in with any of (password: kesher-demo):
    admin@kesher.local   — platform admin
    staff@kesher.local   — staff of the demo business
    viewer@kesher.local  — read-only viewer of the demo business
  Health: curl http://${URL_HOST}:${PORT}/health

MSG
PORT="$PORT" BIND="$BIND" $PY -m server.main
