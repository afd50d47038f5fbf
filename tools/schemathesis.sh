#!/usr/bin/env bash
# Runs schemathesis against a live `herald serve` (API role only, so nothing is delivered) with
# every check: answers must match the spec's shapes, statuses, content types and headers, and
# every operation must be reached with real data (tools/schemathesis.toml).
# Usage: tools/schemathesis.sh [path/to/herald]
set -euo pipefail
cd "$(dirname "$0")/.."
herald=${1:-.build/debug/herald}
work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
key=hrld_schemathesis-admin-key-0000000000000000000000
# Callbacks may reach loopback: the fixture webhooks call Herald's own /health.
# Only these settings: an inherited HERALD_DATABASE_URL would point the fuzzer at a real database.
for variable in $(compgen -e | grep -E '^(HERALD|OTEL)_' || true); do unset "$variable"; done
HERALD_ADMIN_KEY=$key "$herald" serve --port "$port" --role api --database "$work/herald.sqlite" \
    --rate-limit 100000 --tenant-rate-limit 100000 --failed-auth-rate-limit 100000 --allow-targets 127.0.0.1/32 --log-level warning >"$work/serve.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; wait $server 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 100); do
    curl -sf "http://127.0.0.1:$port/health" >/dev/null && break
    sleep 0.1
done
api=http://127.0.0.1:$port/api/v1
# call METHOD PATH KEY BODY JSON-POINTER: the value at the pointer of the answer.
call() {
    curl -sf -X"$1" "$api$2" -H "user-api-key: $3" ${4:+-d "$4"} \
        | python3 -c 'import json,sys; v=json.load(sys.stdin)
for k in sys.argv[1].split("/")[1:]: v=v[int(k)] if isinstance(v,list) else v[k]
print(v)' "$5"
}
# The resources the generated requests work on (their ids go to tools/schemathesis.toml): a
# tenant with a property, a tenant admin key, a webhook whose saved-webhook test calls Herald
# itself, a pending delivery, an OCTO webhook; and one more of each for the deletes.
export FUZZ_TENANT FUZZ_DOOMED_TENANT FUZZ_PROPERTY FUZZ_DOOMED_PROPERTY FUZZ_WEBHOOK FUZZ_DOOMED_WEBHOOK \
    FUZZ_DELIVERY FUZZ_DOOMED_KEY FUZZ_OCTO_WEBHOOK FUZZ_DOOMED_OCTO_WEBHOOK FUZZ_CALLBACK FUZZ_DOOMED_PORTAL_LINK
FUZZ_CALLBACK=http://127.0.0.1:$port/health
FUZZ_TENANT=$(call POST /tenants "$key" '{"tenant":{"name":"Fuzz"}}' /data/id)
FUZZ_DOOMED_TENANT=$(call POST /tenants "$key" '{"tenant":{"name":"Doomed"}}' /data/id)
property() { call POST /properties "$key" "{\"property\":{\"title\":\"$1\",\"tenant_id\":\"$FUZZ_TENANT\"}}" /data/id; }
FUZZ_PROPERTY=$(property Fuzz)
FUZZ_DOOMED_PROPERTY=$(property Doomed)
api_key() { call POST /api_keys "$key" "{\"api_key\":{\"role\":\"admin\",\"tenant_id\":\"$FUZZ_TENANT\"}}" "$1"; }
tenant_key=$(api_key /data/attributes/key)
FUZZ_DOOMED_KEY=$(api_key /data/id)
FUZZ_DOOMED_PORTAL_LINK=$(call POST /portal_links "$key" "{\"portal_link\":{\"tenant_id\":\"$FUZZ_TENANT\"}}" /data/id)
webhook() {
    call POST /webhooks "$tenant_key" "{\"webhook\":{\"property_id\":\"$FUZZ_PROPERTY\",\"event_mask\":\"*\",\"is_active\":true,\"callback_url\":\"http://127.0.0.1:$port/health\"}}" /data/id
}
FUZZ_WEBHOOK=$(webhook)
FUZZ_DOOMED_WEBHOOK=$(webhook)
call POST /events "$tenant_key" "{\"event\":{\"name\":\"booking_new\",\"property_id\":\"$FUZZ_PROPERTY\"}}" /data/id >/dev/null
FUZZ_DELIVERY=$(call GET "/deliveries?filter%5Bwebhook_id%5D=$FUZZ_WEBHOOK" "$key" "" /data/0/id)
octo() {
    curl -sf -XPOST "http://127.0.0.1:$port/octo/webhooks" -H "Authorization: Bearer $tenant_key" \
        -H "Octo-Capabilities: octo/webhooks" -d "{\"url\":\"http://127.0.0.1:$port/health\",\"event\":\"booking_update\"}" \
        | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])'
}
FUZZ_OCTO_WEBHOOK=$(octo)
FUZZ_DOOMED_OCTO_WEBHOOK=$(octo)
# Runs with the key their operations need: platform administration with the platform key;
# publishing and the OCTO dialect, which act for a tenant, with the tenant admin key and the
# capability OCTO needs. test_webhook sends to the URL its body names: the config makes that
# Herald's own /health, so no traffic leaves the machine.
run() {
    schemathesis --config-file tools/schemathesis.toml run api-spec/openapi.yaml --url "http://127.0.0.1:$port" \
        --checks "${SCHEMATHESIS_CHECKS:-all}" --generation-with-security-parameters false \
        --max-examples "${SCHEMATHESIS_EXAMPLES:-25}" --seed "${SCHEMATHESIS_SEED:-1}" --workers 1 --no-shrink \
        --request-timeout 10 ${SCHEMATHESIS_ARGS:-} "$@"
}
run -H "user-api-key: $key" --exclude-tag octo --exclude-operation-id publish_event \
    --exclude-operation-id publish_events --report-dir "${SCHEMATHESIS_REPORTS:-$work}/report"
octo=(-H "Authorization: Bearer $tenant_key" -H "Octo-Capabilities: octo/webhooks, octo/pricing")
run "${octo[@]}" --include-tag octo --include-operation-id publish_event --include-operation-id publish_events \
    --exclude-operation-id octo_delete_webhooks_by_url --report-dir "${SCHEMATHESIS_REPORTS:-$work}/report-tenant"
# Last, alone: deleting by URL finds the URLs the other answers carry and deletes their webhooks.
run "${octo[@]}" --include-operation-id octo_delete_webhooks_by_url \
    --report-dir "${SCHEMATHESIS_REPORTS:-$work}/report-delete"
if grep -qi "unhandled error" "$work/serve.log"; then
    echo "herald logged an unhandled error:" >&2
    grep -i "unhandled error" "$work/serve.log" | head -5 >&2
    exit 1
fi
