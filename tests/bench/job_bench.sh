#!/bin/sh
# Asynchronous jobs (tests/bench/job_bench.py): jobs/s one worker sustains for
# 1 000-character jobs, CPU per job, time to first progress.
set -u
here=$(cd "$(dirname "$0")" && pwd)
exec /usr/bin/python3 "$here/job_bench.py"
