#!/usr/bin/env bash
# Start `make run` on a fresh var/ directory, wait for the home page, log in as a demo user,
# then stop it with Ctrl-C (SIGINT) and check that every process it started is gone.
set -euo pipefail
cd "$(dirname "$0")/.."
unset DATABASE_URL CELERY_BROKER_URL
export COURSEPROJ_VAR_DIR
COURSEPROJ_VAR_DIR=$(mktemp -d /tmp/courseproj-smoke.XXXXXX)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export PORT
log="$COURSEPROJ_VAR_DIR/run.log"
jar="$COURSEPROJ_VAR_DIR/cookies.txt"
base="http://127.0.0.1:$PORT"

setsid make run >"$log" 2>&1 &
pgid=$!
cleanup() { kill -KILL -- "-$pgid" 2>/dev/null || true; }
trap cleanup EXIT

for _ in $(seq 240); do
  code=$(curl -s -o /dev/null -w '%{http_code}' "$base/" || true)
  [ "$code" = "200" ] && break
  if ! kill -0 "$pgid" 2>/dev/null; then echo "make run exited early:"; tail -50 "$log"; exit 1; fi
  sleep 1
done
[ "$code" = "200" ] || { echo "No HTTP 200 from $base/ (last: $code)"; tail -50 "$log"; exit 1; }
echo "home page: 200"

for _ in $(seq 30); do grep -q "running at $base/" "$log" && break; sleep 1; done
grep -q "running at $base/" "$log" || { echo "make run did not print its URL"; exit 1; }
grep -q "ada@demo.courseproj.test" "$log" || { echo "make run did not print the demo logins"; exit 1; }

curl -s -c "$jar" -b "$jar" "$base/accounts/login/" -o "$COURSEPROJ_VAR_DIR/login.html"
csrf=$(awk '$6 == "csrftoken" {print $7}' "$jar")
status=$(curl -s -o /dev/null -w '%{http_code}' -c "$jar" -b "$jar" -H "Referer: $base/accounts/login/" \
  --data-urlencode "csrfmiddlewaretoken=$csrf" --data-urlencode "username=amara@demo.courseproj.test" \
  --data-urlencode "password=demo-password-2026" "$base/accounts/login/")
[ "$status" = "302" ] || { echo "Log-in did not redirect (HTTP $status)"; exit 1; }
page=$(curl -s -b "$jar" -w '\n%{http_code}' "$base/courses/ml-bootcamp/")
[ "$(tail -n1 <<<"$page")" = "200" ] || { echo "The demo course page did not load after log-in"; exit 1; }
grep -q "Deep Learning Projects (demo)" <<<"$page" || { echo "The demo course page lacks its title"; exit 1; }
echo "demo log-in: ok"

kill -INT -- "-$pgid"
for _ in $(seq 30); do
  pgrep -g "$pgid" >/dev/null || break
  sleep 1
done
if pgrep -g "$pgid" >/dev/null; then
  echo "Processes still running 30 s after Ctrl-C:"; pgrep -a -g "$pgid"; exit 1
fi
trap - EXIT
echo "make run stopped cleanly"
rm -rf "$COURSEPROJ_VAR_DIR"
