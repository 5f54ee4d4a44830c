#!/bin/sh
# `make run`: a local ScaiSpeak on this machine — redis-server, one
# scaispeak-node, the scaispeak-gateway and the scaispeak-worker (the erasure
# reconciler), all in the foreground of this
# script. make has already built the binaries (in $SCAISPEAK_BUILD, default
# build/). State lives under var/: Redis data (AOF on) in var/redis, logs in
# var/log/*.log, and the secrets in var/ (mode 600, generated once, reused
# later; an SCAISPEAK_* variable of the same name wins): operator_token,
# redis_password (Redis runs with requirepass; the gateway and the CLI use
# it), node_auth_key and node_call_token (docs/SECURITY.md). The node's
# secret is derived from node_auth_key for its id (SCAISPEAK_NODE_ID, default
# local-<node port>). dev_mode stays off: nothing here uses a shipped default.
#
# Ports (environment overrides): SCAISPEAK_REDIS_PORT 6390, SCAISPEAK_NODE_PORT
# 50061, SCAISPEAK_METRICS_PORT 9161 (node /metrics), SCAISPEAK_HTTP_PORT 8080,
# SCAISPEAK_GRPC_PORT 50051. Any other SCAISPEAK_* setting passes through to
# the daemons (see `make print-config`).
#
# Voice references and consent clips live in var/objects (the object store,
# shared by the gateway and the worker).
#
# Redis is ready once its append-only file is loaded (PONG and loading:0),
# not merely listening: seed-dev and the gateway start after that.
#
# Ctrl-C (or SIGTERM) stops everything: SIGTERM to the worker, the node, the
# gateway and Redis, in that order, and waits for each. A port already taken or a daemon
# that dies while starting ends the script with a non-zero status and the tail
# of that daemon's log. A daemon that dies later is restarted with a message
# (the others keep running); three deaths in a row, each within 10 s of its
# start, stop everything with status 1.
set -u

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 1
B=${SCAISPEAK_BUILD:-build}
case $B in /*) ;; *) B="$root/$B" ;; esac

REDIS_PORT=${SCAISPEAK_REDIS_PORT:-6390}
NODE_PORT=${SCAISPEAK_NODE_PORT:-50061}
METRICS_PORT=${SCAISPEAK_METRICS_PORT:-9161}
HTTP_PORT=${SCAISPEAK_HTTP_PORT:-8080}
GRPC_PORT=${SCAISPEAK_GRPC_PORT:-50051}
export SCAISPEAK_REDIS_PORT="$REDIS_PORT" SCAISPEAK_NODE_PORT="$NODE_PORT" \
    SCAISPEAK_METRICS_PORT="$METRICS_PORT" SCAISPEAK_HTTP_PORT="$HTTP_PORT" \
    SCAISPEAK_GRPC_PORT="$GRPC_PORT" SCAISPEAK_GATEWAYS="127.0.0.1:$GRPC_PORT"

VAR="$root/var"
LOG="$VAR/log"
mkdir -p "$VAR/redis" "$VAR/objects" "$LOG" || exit 1
export SCAISPEAK_OBJECT_STORE_DIR="${SCAISPEAK_OBJECT_STORE_DIR:-$VAR/objects}"

redis_pid=""; node_pid=""; gateway_pid=""; worker_pid=""

die() {
    echo "run_local: $*" >&2
    stop_all
    exit 1
}

# After Ctrl-C every daemon got SIGINT from the terminal as well (same
# process group) and is already stopping: give it up to 5 s to finish before
# a SIGTERM (a second signal means "exit now" to our daemons).
grace=0
stop_one() { # name pid
    [ -n "$2" ] || return 0
    tries=0
    while [ "$tries" -lt "$grace" ] && kill -0 "$2" 2>/dev/null; do
        sleep 0.1
        tries=$((tries + 1))
    done
    kill -TERM "$2" 2>/dev/null
    wait "$2" 2>/dev/null
    echo "run_local: $1 stopped (status $?)"
}

stop_all() {
    trap - INT TERM
    stop_one worker "$worker_pid"; worker_pid=""
    stop_one node "$node_pid"; node_pid=""
    stop_one gateway "$gateway_pid"; gateway_pid=""
    stop_one redis "$redis_pid"; redis_pid=""
}

on_signal() { # grace in tenths of a second
    grace=$1
    echo
    echo "run_local: stopping"
    stop_all
    exit 0
}
trap 'on_signal 50' INT
trap 'on_signal 0' TERM

for bin in scaispeak-gateway scaispeak-node scaispeak-worker; do
    [ -x "$B/bin/$bin" ] || die "$B/bin/$bin is missing: run 'make all' first"
done
command -v redis-server >/dev/null 2>&1 || die "redis-server not found: run 'make deps'"
command -v curl >/dev/null 2>&1 || die "curl not found (apt-get install curl)"

port_taken() {
    if command -v ss >/dev/null 2>&1; then
        [ -n "$(ss -Hltn "sport = :$1" 2>/dev/null)" ]
    else
        curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$1/" 2>/dev/null
        [ $? -ne 7 ] # 7: connection refused, i.e. the port is free
    fi
}
for p in "redis:$REDIS_PORT" "node:$NODE_PORT" "node-metrics:$METRICS_PORT" \
         "gateway-http:$HTTP_PORT" "gateway-grpc:$GRPC_PORT"; do
    if port_taken "${p#*:}"; then
        die "port ${p#*:} (${p%%:*}) is already in use; set SCAISPEAK_*_PORT to another one"
    fi
done

# A secret: the environment's, else the saved one in var/, else a new one.
secret() { # NAME file -> prints the value
    eval "v=\${$1:-}"
    if [ -z "$v" ]; then
        if [ ! -s "$VAR/$2" ]; then
            (umask 077 && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$VAR/$2") \
                || die "cannot write $VAR/$2"
        fi
        v=$(cat "$VAR/$2")
    fi
    printf '%s' "$v"
}
SCAISPEAK_OPERATOR_TOKEN=$(secret SCAISPEAK_OPERATOR_TOKEN operator_token) || exit 1
SCAISPEAK_REDIS_PASSWORD=$(secret SCAISPEAK_REDIS_PASSWORD redis_password) || exit 1
SCAISPEAK_NODE_AUTH_KEY=$(secret SCAISPEAK_NODE_AUTH_KEY node_auth_key) || exit 1
SCAISPEAK_NODE_CALL_TOKEN=$(secret SCAISPEAK_NODE_CALL_TOKEN node_call_token) || exit 1
SCAISPEAK_NODE_ID=${SCAISPEAK_NODE_ID:-local-$NODE_PORT}
# The node's own secret: HMAC-SHA256(node_auth_key, node_id), hex.
SCAISPEAK_NODE_SECRET=$(printf '%s' "$SCAISPEAK_NODE_ID" \
    | openssl dgst -sha256 -hmac "$SCAISPEAK_NODE_AUTH_KEY" -r | cut -d' ' -f1) \
    || die "openssl not found (apt-get install openssl)"
export SCAISPEAK_OPERATOR_TOKEN SCAISPEAK_REDIS_PASSWORD SCAISPEAK_NODE_AUTH_KEY \
    SCAISPEAK_NODE_CALL_TOKEN SCAISPEAK_NODE_ID SCAISPEAK_NODE_SECRET
# redis-cli reads the password from here (not from its command line).
export REDISCLI_AUTH="$SCAISPEAK_REDIS_PASSWORD"

started() { # name pid log: fails (and says why) when the process is gone
    if ! kill -0 "$2" 2>/dev/null; then
        wait "$2" 2>/dev/null
        rc=$?
        echo "run_local: $1 exited at start (status $rc); last lines of $3:" >&2
        tail -n 20 "$3" >&2
        return 1
    fi
    return 0
}

wait_until() { # name pid log seconds command...
    name=$1; pid=$2; log=$3; secs=$4; shift 4
    i=0
    while ! "$@" >/dev/null 2>&1; do
        started "$name" "$pid" "$log" || return 1
        i=$((i + 1))
        if [ "$i" -ge $((secs * 10)) ]; then
            echo "run_local: $name not ready after ${secs}s; see $log" >&2
            return 1
        fi
        sleep 0.1
    done
    started "$name" "$pid" "$log"
}

# Redis answers PONG only once its append-only file is loaded (LOADING
# before); INFO persistence says loading:0 too, so seed-dev never meets
# "LOADING Redis is loading the dataset in memory".
redis_ready() {
    [ "$(redis-cli -p "$REDIS_PORT" ping 2>/dev/null)" = PONG ] &&
        redis-cli -p "$REDIS_PORT" info persistence 2>/dev/null | grep -q '^loading:0'
}

# One function per daemon: start it, wait until it is ready (or die).
# The password goes in on stdin ("-": read the configuration from it), so
# it is not on any command line.
start_redis() {
    printf 'requirepass "%s"\n' "$SCAISPEAK_REDIS_PASSWORD" \
        | redis-server - --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly yes \
        --dir "$VAR/redis" >>"$LOG/redis.log" 2>&1 &
    redis_pid=$!
    wait_until redis "$redis_pid" "$LOG/redis.log" 120 redis_ready \
        || die "redis-server did not start (or did not finish loading var/redis)"
}

start_gateway() {
    "$B/bin/scaispeak-gateway" >>"$LOG/gateway.log" 2>&1 &
    gateway_pid=$!
    wait_until gateway "$gateway_pid" "$LOG/gateway.log" 15 \
        curl -fsS --max-time 1 "http://127.0.0.1:$HTTP_PORT/v1/modules/scaispeak/healthz" \
        || die "scaispeak-gateway did not start"
}

node_listening() {
    if command -v ss >/dev/null 2>&1; then
        [ -n "$(ss -Hltn "sport = :$NODE_PORT" 2>/dev/null)" ]
    else
        sleep 1
    fi
}
start_node() {
    "$B/bin/scaispeak-node" >>"$LOG/node.log" 2>&1 &
    node_pid=$!
    wait_until node "$node_pid" "$LOG/node.log" 30 node_listening || die "scaispeak-node did not start"
}

worker_started() { tail -n "+$worker_from" "$LOG/worker.log" | grep -q 'scaispeak-worker started'; }
start_worker() {
    worker_from=1; [ -f "$LOG/worker.log" ] && worker_from=$(($(wc -l <"$LOG/worker.log") + 1)) # this run's lines only
    "$B/bin/scaispeak-worker" >>"$LOG/worker.log" 2>&1 &
    worker_pid=$!
    wait_until worker "$worker_pid" "$LOG/worker.log" 15 worker_started || die "scaispeak-worker did not start"
}

start_redis
start_gateway
start_node
start_worker

# A development tenant "dev" with a tenant_admin and an API key, made once and
# reused while it stays valid (var/dev_api_key, mode 600).
DEV_KEY=$("$B/bin/scaispeak" admin seed-dev --key-file "$VAR/dev_api_key") \
    || die "could not create the development API key"

cat <<EOF

ScaiSpeak is running.
  gateway   http://127.0.0.1:$HTTP_PORT   (HeartbeatService gRPC on 127.0.0.1:$GRPC_PORT)
  node      127.0.0.1:$NODE_PORT          (/metrics, /healthz, /readyz on http://127.0.0.1:$METRICS_PORT)
  redis     127.0.0.1:$REDIS_PORT          (data in var/redis; password in var/redis_password)
  worker    erasure reconciler            (objects in var/objects)
  logs      var/log/gateway.log var/log/node.log var/log/worker.log var/log/redis.log
  operator token: $SCAISPEAK_OPERATOR_TOKEN
  development API key (tenant "dev", tenant_admin, also in var/dev_api_key): $DEV_KEY

Try:
  KEY=$DEV_KEY
  curl -H "Authorization: Bearer \$KEY" http://127.0.0.1:$HTTP_PORT/v1/me
  curl -H "Authorization: Bearer \$KEY" -d '{"text":"Hello from ScaiSpeak."}' \\
       -o hello.wav http://127.0.0.1:$HTTP_PORT/v1/modules/scaispeak/speak && play hello.wav
  TOKEN=$SCAISPEAK_OPERATOR_TOKEN
  curl http://127.0.0.1:$HTTP_PORT/v1/modules/scaispeak/healthz
  curl http://127.0.0.1:$HTTP_PORT/v1/modules/scaispeak/readyz
  curl -H "Authorization: Bearer \$TOKEN" http://127.0.0.1:$HTTP_PORT/v1/infra/nodes
  curl http://127.0.0.1:$HTTP_PORT/metrics
  curl http://127.0.0.1:$METRICS_PORT/readyz
  $B/bin/scaispeak admin --help

Ctrl-C stops everything.
EOF

# Stay in the foreground. A daemon that dies is restarted, with a message
# and the tail of its log; one that dies again within 10 s of its restart
# three times in a row is given up on: everything stops, status 1.
now() { date +%s; }
redis_crashes=0; gateway_crashes=0; node_crashes=0; worker_crashes=0
redis_since=$(now); gateway_since=$redis_since; node_since=$redis_since; worker_since=$redis_since
while :; do
    for name in redis gateway node worker; do
        eval "pid=\$${name}_pid"
        [ -n "$pid" ] || continue
        kill -0 "$pid" 2>/dev/null && continue
        wait "$pid" 2>/dev/null
        rc=$?
        eval "since=\$${name}_since; crashes=\$${name}_crashes"
        if [ $(($(now) - since)) -lt 10 ]; then crashes=$((crashes + 1)); else crashes=1; fi
        echo "run_local: $name exited (status $rc); last lines of var/log/$name.log:" >&2
        tail -n 20 "$LOG/$name.log" >&2
        eval "${name}_pid=''"
        if [ "$crashes" -ge 3 ]; then
            echo "run_local: $name died 3 times within 10 s of starting: giving up" >&2
            stop_all
            exit 1
        fi
        echo "run_local: restarting $name (crash $crashes in a row)" >&2
        start_$name
        echo "run_local: $name restarted (pid $(eval "echo \$${name}_pid"))" >&2
        eval "${name}_since=$(now); ${name}_crashes=$crashes"
    done
    sleep 1 &
    wait $! 2>/dev/null
done
