#!/usr/bin/env bash
# Runs schemathesis against a real `pixie serve` and its /openapi.json: no server errors, and
# every answer matches its declared status codes, content type and schema.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
work=$(mktemp -d)
port=$($BIN/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
export PIXIE_DATA_DIR="$work/var" PIXIE_BASE_URL="http://127.0.0.1:$port" PIXIE_RATE_LIMITS=false
export PIXIE_REGISTRATIONS=open PIXIE_SECRET_KEY=schemathesis
cleanup() { [ -n "${server:-}" ] && kill "$server" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

$BIN/pixie migrate >/dev/null
echo "fuzz password" | $BIN/pixie create-user fuzzer fuzzer@example.com --admin >/dev/null
$BIN/pixie serve --port "$port" >"$work/server.log" 2>&1 &
server=$!
for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.2; done

app=$(curl -sf -X POST "http://127.0.0.1:$port/api/v1/apps" -d client_name=schemathesis \
  -d "scopes=read write follow push admin:read admin:write")
id=$(echo "$app" | $BIN/python -c 'import json,sys; print(json.load(sys.stdin)["client_id"])')
secret=$(echo "$app" | $BIN/python -c 'import json,sys; print(json.load(sys.stdin)["client_secret"])')
token=$(curl -sf -X POST "http://127.0.0.1:$port/oauth/token" -d grant_type=password -d client_id="$id" \
  -d client_secret="$secret" -d username=fuzzer@example.com -d "password=fuzz password" \
  -d "scope=read write follow push" | $BIN/python -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')

status=0
# One worker: with two, hypothesis sometimes trips over its own lambda-source cache.
$BIN/schemathesis run "http://127.0.0.1:$port/openapi.json" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
  --header "Authorization: Bearer $token" \
  --max-examples "${SCHEMATHESIS_EXAMPLES:-25}" --phases examples,coverage,fuzzing \
  --workers 1 --seed "${SCHEMATHESIS_SEED:-1}" --no-color --generation-database none \
  || status=$?
if grep -q "unexpected error" "$work/server.log"; then
  echo "the server logged unexpected errors:" >&2
  grep -A20 "unexpected error" "$work/server.log" | head -60 >&2
  status=1
fi
exit $status
