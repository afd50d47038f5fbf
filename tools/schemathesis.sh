#!/usr/bin/env bash
# Runs schemathesis against a live `herald serve` (API role only, so nothing is delivered
# anywhere) and fails on any 5xx. Usage: tools/schemathesis.sh [path/to/herald]
set -euo pipefail
cd "$(dirname "$0")/.."
herald=${1:-.build/debug/herald}
work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
key=hrld_schemathesis-admin-key-0000000000000000000000
HERALD_ADMIN_KEY=$key HERALD_DATABASE="$work/herald.sqlite" HERALD_RATE_LIMIT=100000 \
    HERALD_LOG_LEVEL=warning "$herald" serve --port "$port" --role api >"$work/serve.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; wait $server 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 100); do
    curl -sf "http://127.0.0.1:$port/health" >/dev/null && break
    sleep 0.1
done
# A tenant and a property give the generated requests something real to hit.
tenant=$(curl -sf -XPOST "http://127.0.0.1:$port/api/v1/tenants" -H "user-api-key: $key" \
    -d '{"tenant":{"name":"Fuzz"}}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["id"])')
curl -sf -XPOST "http://127.0.0.1:$port/api/v1/properties" -H "user-api-key: $key" \
    -d "{\"property\":{\"title\":\"Fuzz\",\"tenant_id\":\"$tenant\"}}" >/dev/null
tenant_key=$(curl -sf -XPOST "http://127.0.0.1:$port/api/v1/api_keys" -H "user-api-key: $key" \
    -d "{\"api_key\":{\"role\":\"admin\",\"tenant_id\":\"$tenant\"}}" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["attributes"]["key"])')
# test_webhook sends a request to the URL it is given: left out so no traffic leaves the machine.
# revoke_api_key is left out too: the fuzzer finds its own key's id and revokes it.
schemathesis run api-spec/openapi.yaml --url "http://127.0.0.1:$port" -H "user-api-key: $key" \
    --checks not_a_server_error --exclude-operation-id test_webhook --exclude-operation-id revoke_api_key --generation-with-security-parameters false \
    --max-examples "${SCHEMATHESIS_EXAMPLES:-25}" --seed 1 --workers 2 --no-shrink \
    --request-timeout 10 --report-dir "$work/report"
# The OCTO dialect acts for a tenant: fuzz it with a tenant admin key and the capability it needs.
schemathesis run api-spec/openapi.yaml --url "http://127.0.0.1:$port" -H "Authorization: Bearer $tenant_key" \
    -H "Octo-Capabilities: octo/webhooks, octo/pricing" --include-tag octo \
    --checks not_a_server_error --generation-with-security-parameters false \
    --max-examples "${SCHEMATHESIS_EXAMPLES:-25}" --seed 1 --workers 2 --no-shrink \
    --request-timeout 10 --report-dir "$work/report-octo"
if grep -qi "unhandled error" "$work/serve.log"; then
    echo "herald logged an unhandled error:" >&2
    grep -i "unhandled error" "$work/serve.log" | head -5 >&2
    exit 1
fi
