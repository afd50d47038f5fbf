#!/usr/bin/env bash
# A throw-away PostgreSQL cluster for tests, as a non-root user, on a free loopback port.
#   tools/postgres.sh start DIR   -> prints postgres://herald@127.0.0.1:PORT/herald
#   tools/postgres.sh tls DIR URL   -> turns TLS on (CA in DIR/ca.pem, certificate for localhost)
#   tools/postgres.sh stop DIR
set -euo pipefail
command=${1:?start or stop}
dir=${2:?directory}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [ -z "$bin" ]; then
    echo "PostgreSQL is not installed (apt-get install -y postgresql)" >&2
    exit 1
fi
as_owner() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
case "$command" in
start)
    # Close every inherited descriptor but stdin/out/err: the server outlives this script, and a
    # pipe it kept open would keep the caller (a test runner) waiting for end-of-file.
    for fd in $(ls /proc/$$/fd); do
        if [ "$fd" -gt 2 ]; then eval "exec $fd>&-" 2>/dev/null || true; fi
    done
    mkdir -p "$dir"
    if [ "$(id -u)" = 0 ]; then
        chown postgres "$dir"
        chmod o+x "$(dirname "$dir")"  # the cluster's owner must reach its directory
    fi
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    as_owner "$bin/initdb" -D "$dir/data" -U herald --auth=trust -E UTF8 >"$dir/initdb.log" 2>&1
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
        -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off" start >/dev/null
    as_owner "$bin/createdb" -h 127.0.0.1 -p "$port" -U herald herald
    echo "postgres://herald@127.0.0.1:$port/herald"
    ;;
tls)
    # Turns TLS on in a cluster this script started (tools/postgres.sh tls DIR URL): a throw-away
    # CA ($dir/ca.pem) signs a server certificate for localhost; plain connections still work.
    url=${3:?url}
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=Herald test CA" \
        -keyout "$dir/ca.key" -out "$dir/ca.pem" >/dev/null 2>&1
    openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
        -keyout "$dir/server.key" -out "$dir/server.csr" >/dev/null 2>&1
    printf 'subjectAltName=DNS:localhost\n' >"$dir/san.ext"
    openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial -days 2 \
        -extfile "$dir/san.ext" -out "$dir/server.crt" >/dev/null 2>&1
    cp "$dir/server.crt" "$dir/server.key" "$dir/data/"
    chmod 600 "$dir/data/server.key"
    if [ "$(id -u)" = 0 ]; then chown postgres "$dir/data/server.crt" "$dir/data/server.key"; fi
    psql "$url" -qc "ALTER SYSTEM SET ssl = on" -c "SELECT pg_reload_conf()" >/dev/null
    ;;
stop)
    as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$dir"
    ;;
esac
