#!/bin/sh
# Gateway throughput and latency with wrk at concurrency 16, on loopback:
#   GET /v1/infra/nodes (operator token) and POST /speak of one short sentence
#   (a tenant_admin key; one node with the real engine, 2 slots, queue 32 so
#   that 16 clients wait instead of being refused).
# Starts its own redis-server, gateway and node on free ports, runs each load
# for BENCH_SECONDS (default 10), prints requests/s and p50/p99, stops all.
set -u
B=${SCAISPEAK_BUILD:-build}
secs=${BENCH_SECONDS:-10}
command -v wrk >/dev/null || { echo "gateway_bench: wrk not installed (apt-get install wrk)"; exit 2; }
work=$(mktemp -d)
pids=""
cleanup() { for p in $pids; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT INT TERM
port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
RP=$(port); HP=$(port); GP=$(port); NP=$(port)
# The node port and heartbeats are secured (README "Configuration
# reference": node_auth_key, node_call_token, node_secret): fresh
# secrets for this run, the node's heartbeat secret derived as the gateway
# derives it, HMAC-SHA256(node_auth_key, node_id).
AUTH_KEY=$(openssl rand -hex 32)
NODE_ID=bench-node
export SCAISPEAK_REDIS_PORT=$RP SCAISPEAK_HTTP_PORT=$HP SCAISPEAK_GRPC_PORT=$GP SCAISPEAK_NODE_PORT=$NP \
       SCAISPEAK_GATEWAYS=127.0.0.1:$GP SCAISPEAK_METRICS_PORT=0 SCAISPEAK_OPERATOR_TOKEN=bench-op \
       SCAISPEAK_LOG_LEVEL=warn SCAISPEAK_QUEUE_DEPTH=32 \
       SCAISPEAK_NODE_AUTH_KEY=$AUTH_KEY SCAISPEAK_NODE_CALL_TOKEN=$(openssl rand -hex 32) \
       SCAISPEAK_NODE_ID=$NODE_ID \
       SCAISPEAK_NODE_SECRET=$(printf %s "$NODE_ID" | openssl dgst -sha256 -hmac "$AUTH_KEY" | awk '{print $NF}')
redis-server --port "$RP" --bind 127.0.0.1 --save '' --dir "$work" >/dev/null 2>&1 & pids="$pids $!"
sleep 0.3
"$B/bin/scaispeak-gateway" 2>"$work/gw.log" & pids="$pids $!"
"$B/bin/scaispeak-node" 2>"$work/node.log" & pids="$pids $!"
for _ in $(seq 1 50); do
    # ready and not degraded: the node is registered (README "Health and readiness")
    curl -fs "http://127.0.0.1:$HP/v1/modules/scaispeak/readyz" 2>/dev/null | grep -q '"degraded":false' && break
    sleep 0.2
done
T=$("$B/bin/scaispeak" admin create-tenant --name bench)
U=$("$B/bin/scaispeak" admin create-user --tenant "$T" --role tenant_admin)
KEY=$("$B/bin/scaispeak" admin create-key --user "$U" | head -n 1)
# Rate limits would cap the load: lift them for the bench tenant.
curl -fs -o /dev/null -X PUT -H "Authorization: Bearer $KEY" \
    -d '{"rate_limits":{"per_key":1000000,"per_user":1000000,"per_tenant":1000000}}' \
    "http://127.0.0.1:$HP/v1/modules/scaispeak/admin/policy"
cat > "$work/speak.lua" <<LUA
wrk.method = "POST"
wrk.body = '{"text":"The birch canoe slid on the smooth planks."}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $KEY"
LUA
report() { # name, wrk output file
    rps=$(awk '/Requests\/sec/ {print $2}' "$2")
    p50=$(awk '$1=="50%" {print $2}' "$2")
    p99=$(awk '$1=="99%" {print $2}' "$2")
    non2xx=$(awk '/Non-2xx/ {print $5}' "$2")
    printf '%-28s %10s req/s   p50 %8s   p99 %8s   non-2xx %s\n' "$1" "$rps" "$p50" "$p99" "${non2xx:-0}"
}
echo "gateway bench: wrk -c16 -t2 -d${secs}s, 1 node (2 slots, CPU kernels), $(nproc) cores shared"
wrk -c16 -t2 -d"${secs}s" --latency -H "Authorization: Bearer bench-op" \
    "http://127.0.0.1:$HP/v1/infra/nodes" > "$work/nodes.txt" 2>&1
report "GET /v1/infra/nodes" "$work/nodes.txt"
wrk -c16 -t2 -d"${secs}s" --latency -s "$work/speak.lua" \
    "http://127.0.0.1:$HP/v1/modules/scaispeak/speak" > "$work/speak.txt" 2>&1
report "POST /speak (1 sentence)" "$work/speak.txt"
