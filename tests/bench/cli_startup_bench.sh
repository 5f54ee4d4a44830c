#!/bin/sh
# CLI start-up and voice load CPU vs flite and espeak-ng (issue 17); see
# cli_startup_bench.py. Exits 1 when a target is missed by more than 20 %.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
exec python3 "$here/cli_startup_bench.py"
