#!/usr/bin/env bash
# Care-context ingest benchmark: ADT A01 messages/s over MLLP (ACK after the write-ahead log
# fsync) and GP-registration rows/s through a CSV load, each followed by the time until the
# rows are queryable in ClickHouse. Release build, throwaway services, a fresh database.
#
#   bench/care/run.sh [MESSAGES=20000] [CONNECTIONS=4] [CSV_ROWS=200000]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
MESSAGES="${1:-20000}"; CONNECTIONS="${2:-4}"; ROWS="${3:-200000}"
scripts/services up >/dev/null
eval "$(scripts/services env)"
cargo build --release --locked -p careaudit >/dev/null 2>&1
cargo build --release --locked -p collector --example care_load >/dev/null 2>&1
DB="bench_care_$$"; WAL="$(mktemp -d)"
export CAREAUDIT__CLICKHOUSE__DATABASE="$DB" CAREAUDIT__COLLECTOR__WAL_DIR="$WAL" \
       CAREAUDIT__COLLECTOR__LISTEN=127.0.0.1:14080 CAREAUDIT__COLLECTOR__MLLP__LISTEN=127.0.0.1:12575 \
       CAREAUDIT__COLLECTOR__SYSLOG__TCP_LISTEN=127.0.0.1:15140 CAREAUDIT__COLLECTOR__SYSLOG__UDP_LISTEN=127.0.0.1:15140 RUST_LOG=warn
target/release/careaudit migrate
target/release/careaudit collector & PID=$!
trap 'kill $PID 2>/dev/null; wait $PID 2>/dev/null; curl -s "$CAREAUDIT__CLICKHOUSE__URL/" --data-binary "DROP DATABASE IF EXISTS $DB" >/dev/null; rm -rf "$WAL"' EXIT
until curl -sf http://127.0.0.1:14080/healthz >/dev/null; do sleep 0.1; done
count() { curl -s "$CAREAUDIT__CLICKHOUSE__URL/?database=$DB" --data-binary "SELECT count() FROM $1 FINAL"; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }
wait_for() { local start; start=$(now); until [ "$(count "$1")" -ge "$2" ]; do sleep 0.2; done; since "$start"; }

start=$(now)
target/release/examples/care_load mllp 127.0.0.1:12575 "$MESSAGES" "$CONNECTIONS"
queryable=$(wait_for care_relationships "$((MESSAGES * 3))")
echo "mllp: all relationships queryable $(since "$start") s after the first message (drain after the last ACK: ${queryable} s)"
echo "mllp: collector peak RSS $(grep VmHWM /proc/$PID/status | awk '{print $2/1024 " MiB"}')"

before=$(count care_relationships)
start=$(now)
target/release/examples/care_load csv http://127.0.0.1:14080 "$ROWS"
wait_for care_relationships "$((before + ROWS))" >/dev/null
echo "csv: $ROWS registration rows queryable $(since "$start") s after the upload started"
