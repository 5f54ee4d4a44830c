#!/bin/sh
# The container's HEALTHCHECK: asks the health route of whichever daemon is
# PID 1 (one image runs all three). Liveness, not readiness: healthz answers
# while the process serves; readyz (Redis, nodes) is for load balancers.
# Ports: SCAISPEAK_HTTP_PORT / SCAISPEAK_METRICS_PORT when set, else the
# defaults; a port set only in a --config file must be set here too.
case $(cat /proc/1/comm) in
    scaispeak-gatew*) # comm holds 15 characters
        exec curl -fsS -o /dev/null --max-time 2 \
            "http://127.0.0.1:${SCAISPEAK_HTTP_PORT:-8080}/v1/modules/scaispeak/healthz" ;;
    scaispeak-node)
        exec curl -fsS -o /dev/null --max-time 2 \
            "http://127.0.0.1:${SCAISPEAK_METRICS_PORT:-9161}/healthz" ;;
    scaispeak-worke*) # serves no port: running is healthy
        exit 0 ;;
    *)
        echo "scaispeak-healthcheck: PID 1 is not a ScaiSpeak daemon" >&2
        exit 1 ;;
esac
