#!/usr/bin/env bash
# The dashboards benchmark of BENCHMARKS.md: the patient trace over EVENTS stored audit events
# (p99 target 100 ms) and the case page (target 300 ms), each against the raw ClickHouse range
# read of the same patient, side by side in alternating blocks; and the ClickHouse queries behind
# both as main had them (before/, on access_events) against this branch's (on access_by_patient),
# with their answers compared.
#
#   bench/dashboards/run.sh            # EVENTS=20000000 BLOCKS=3 PATIENTS_TRACED=200 CASES=100
#   EVENTS=100000000 bench/dashboards/run.sh   # the 100M run: ~20 min of fill and ~30 GiB of disk
#
# The events are generated inside ClickHouse (INSERT ... SELECT FROM numbers(), see
# access_events.sql): loading 100M events through the collector would take hours here. The
# benchmark databases (ClickHouse and PostgreSQL) are dropped at the end (the disk is shared).
# Heavy steps run under flock /tmp/careaudit-cpu.lock so that no two benchmarks of ours overlap.
#
# Opt-in, to measure a 100M fill more than once without filling it again:
#   KEEP=1      keep both databases at the end (drop them yourself when done:
#               curl "$CH" --data-binary 'DROP DATABASE careaudit_bench_dashboards' and
#               psql .../postgres -c 'DROP DATABASE careaudit_bench_dashboards')
#   REUSE=1     measure the kept databases again: no fill, no migration, no new cases; reuses
#               target/bench-dashboards/{patients.txt,cases.tsv} (implies KEEP=1)
#   FILL_ONLY=1 fill, pick the traced patients and the cases, then stop (implies KEEP=1); with
#               BIN=path/to/careaudit (any build, e.g. a debug one while the release build is
#               still running) nothing is built; REUSE=1 measures afterwards
#   BUILD=0     build nothing: use target/release/careaudit (or BIN) and
#               target/release/examples/bench_dashboards as they are (e.g. copied from a tree
#               of the same commit)
#   OPTIMIZE=1  before measuring, merge every partition of the trace tables (access_by_patient,
#               access_explanations_by_patient) into one part (OPTIMIZE TABLE ... PARTITION ...
#               FINAL, under the CPU lock), as a merged production table would be
# e.g. KEEP=1 EVENTS=100000000 bench/dashboards/run.sh; then REUSE=1 OPTIMIZE=1 bench/dashboards/run.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
eval "$(scripts/services env)"

EVENTS=${EVENTS:-20000000}
BLOCKS=${BLOCKS:-3}
PATIENTS=${PATIENTS:-2000000}
USERS=${USERS:-100000}
ORGS=${ORGS:-300}
PATIENTS_TRACED=${PATIENTS_TRACED:-200}
CASES=${CASES:-100}
CHUNK=${CHUNK:-10000000}
DB=careaudit_bench_dashboards
PORT=${PORT:-14081}
START=$(( $(date +%s) - 365 * 86400 ))
CH="$CAREAUDIT__CLICKHOUSE__URL"
PG_ADMIN="${CAREAUDIT__POSTGRES__URL%/*}/postgres"
PG="${CAREAUDIT__POSTGRES__URL%/*}/$DB"
OUT=target/bench-dashboards
mkdir -p "$OUT"
LOCK=/tmp/careaudit-cpu.lock
REUSE=${REUSE:-0}
OPTIMIZE=${OPTIMIZE:-0}
FILL_ONLY=${FILL_ONLY:-0}
KEEP=${KEEP:-$(( REUSE || FILL_ONLY ))}
BIN=${BIN:-}

ch() { curl -sS --fail-with-body "$CH/?database=$DB" --data-binary @-; }
drop_databases() {
    curl -sS "$CH/" --data-binary "DROP DATABASE IF EXISTS $DB" >/dev/null || true
    psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS $DB" >/dev/null 2>&1 || true
}
cleanup() {
    [[ -n "${SERVER_PID:-}" ]] && kill "$SERVER_PID" 2>/dev/null || true
    if [[ "$KEEP" == 1 ]]; then
        echo "KEEP=1: databases $DB kept (ClickHouse and PostgreSQL); drop them when done"
    else
        drop_databases
    fi
}
trap cleanup EXIT

# Two builds: with --example, cargo would build only the examples of both packages.
BUILD=${BUILD:-1}
if [[ -z "$BIN" ]]; then
    [[ "$BUILD" == 0 ]] || cargo build --release -p careaudit
    BIN=target/release/careaudit
fi
[[ "$FILL_ONLY" == 1 || "$BUILD" == 0 ]] || cargo build --release -p dashboards --example bench_dashboards
export CAREAUDIT__CLICKHOUSE__DATABASE=$DB CAREAUDIT__POSTGRES__URL=$PG
exec 9>"$LOCK"
parts() {
    echo "SELECT table, partition, count() AS parts, sum(rows) AS rows, formatReadableSize(sum(bytes_on_disk)) AS size FROM system.parts WHERE database = '$DB' AND active GROUP BY table, partition ORDER BY table, partition FORMAT TSV" | ch > "$OUT/parts_by_partition.tsv"
    echo "SELECT table, count() AS parts, uniqExact(partition) AS partitions, sum(rows) AS rows, formatReadableSize(sum(bytes_on_disk)) AS size FROM system.parts WHERE database = '$DB' AND active GROUP BY table ORDER BY table FORMAT PrettyCompactNoEscapes" | ch | tee "$OUT/parts.txt"
}
if [[ "$REUSE" == 1 ]]; then
    [[ -s "$OUT/patients.txt" && -s "$OUT/cases.tsv" ]] || { echo "REUSE=1: no $OUT/patients.txt or cases.tsv" >&2; exit 1; }
    [[ "$(echo "EXISTS TABLE access_by_patient" | ch)" == 1 ]] || { echo "REUSE=1: no kept database $DB" >&2; exit 1; }
    echo "REUSE=1: measuring the kept database $DB again"
else
drop_databases
curl -sS --fail-with-body "$CH/" --data-binary "CREATE DATABASE $DB" >/dev/null
psql "$PG_ADMIN" -qc "CREATE DATABASE $DB"
"$BIN" migrate

fill() {
    local template=$1 offset=0
    while (( offset < EVENTS )); do
        local count=$(( EVENTS - offset < CHUNK ? EVENTS - offset : CHUNK ))
        sed -e "s/OFFSET/$offset/g; s/COUNT/$count/g; s/TOTAL/$EVENTS/g; s/PATIENTS/$PATIENTS/g; s/USERS/$USERS/g; s/ORGS/$ORGS/g; s/START/$START/g" \
            "bench/dashboards/$template" | ch
        offset=$(( offset + count ))
    done
}
flock 9
echo "filling $EVENTS events (access_events and, through its views, access_by_user, access_by_patient, access_arrivals)"
time fill access_events.sql
echo "filling $EVENTS explanations"
time fill access_explanations.sql
echo "filling the directories and registrations"
sed -e "s/PATIENTS/$PATIENTS/g; s/USERS/$USERS/g; s/ORGS/$ORGS/g; s/START/$START/g" bench/dashboards/care_context.sql \
    | awk 'BEGIN{RS=";\n"} NF {print > ("'"$OUT"'/care_" NR ".sql")}'
for file in "$OUT"/care_*.sql; do ch < "$file"; done
flock -u 9

echo "waiting for background merges (at most 15 minutes)"
for _ in $(seq 1 90); do
    merges=$(echo "SELECT count() FROM system.merges WHERE database = '$DB'" | ch)
    [[ "$merges" == "0" ]] && break
    sleep 10
done
parts

# The traced patients: uniform over the patient population (the skew makes a few of them heavy).
echo "SELECT toString(9000000000 + (intHash64(number + 77) % $PATIENTS)) FROM numbers($PATIENTS_TRACED) FORMAT TSV" | ch > "$OUT/patients.txt"
# The cases: emergency accesses of the last month.
echo "SELECT event_id, patient_id, user_id, user_org, concat(toString(occurred_at), '+00') FROM access_events WHERE emergency_access = 1 AND occurred_at >= toDateTime($START + 335 * 86400) LIMIT $CASES FORMAT TSV" | ch > "$OUT/picked.tsv"
psql "$PG" -q -v ON_ERROR_STOP=1 <<SQL
CREATE TEMP TABLE picked (event_id text, patient_id text, user_id text, user_org text, occurred_at timestamptz);
\copy picked FROM '$OUT/picked.tsv'
\i bench/dashboards/cases.sql
SQL
psql "$PG" -tAqc "SELECT c.reference || E'\t' || c.patient_id || E'\t' || c.user_id || E'\t' || f.event_id || E'\t' || floor(extract(epoch FROM f.occurred_at))::bigint FROM cases c JOIN findings f ON f.case_id = c.id WHERE c.reference LIKE 'BENCH-%' ORDER BY c.reference" > "$OUT/cases.tsv"
fi
if [[ "$FILL_ONLY" == 1 ]]; then
    echo "FILL_ONLY=1: filled; measure with REUSE=1 bench/dashboards/run.sh"
    exit 0
fi

if [[ "$OPTIMIZE" == 1 ]]; then
    flock 9
    echo "merging each partition of the trace tables into one part (load $(cut -d' ' -f1-3 /proc/loadavg))"
    for table in access_by_patient access_explanations_by_patient; do
        for partition in $(echo "SELECT DISTINCT partition FROM system.parts WHERE database = '$DB' AND table = '$table' AND active ORDER BY partition FORMAT TSV" | ch); do
            echo "OPTIMIZE TABLE $table PARTITION $partition FINAL" | ch
        done
    done
    flock -u 9
    echo "merged (load $(cut -d' ' -f1-3 /proc/loadavg))"
    parts
fi

# A new password per run (account create resets it when the account exists, as with REUSE=1).
PASSWORD="bench-$(date +%s%N)"
CAREAUDIT_ACCOUNT_PASSWORD=$PASSWORD "$BIN" account create bench --display-name "Benchmark" --role administrator

# The server's ClickHouse queries go to system.query_log (scripts/services configures it), for
# the per-query profile printed after the run.
PROFILE_FROM=$(echo "SELECT toUnixTimestamp(now())" | ch)
CAREAUDIT__CLICKHOUSE__SETTINGS__LOG_QUERIES=1 \
    CAREAUDIT__DASHBOARDS__LISTEN=127.0.0.1:$PORT RUST_LOG=warn "$BIN" dashboards &
SERVER_PID=$!
for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.2; done

flock 9
echo "load before the measured run: $(cat /proc/loadavg)" | tee "$OUT/load.txt"
target/release/examples/bench_dashboards --url "http://127.0.0.1:$PORT" \
    --clickhouse-url "$CH" --database "$DB" --username bench --password "$PASSWORD" \
    --patients "$OUT/patients.txt" --cases "$OUT/cases.tsv" --blocks "$BLOCKS" | tee "$OUT/results.md"
echo "load after the measured run: $(cat /proc/loadavg)" | tee -a "$OUT/load.txt"
flock -u 9
# Every ClickHouse query the server ran for the pages (all blocks, the warm-up included), by the
# comment line its SQL file starts with.
echo "SYSTEM FLUSH LOGS" | ch >/dev/null
cat <<SQL | ch | tee "$OUT/profile.txt"
SELECT substring(query, 1, position(query, '\n') - 1) AS query_file, count() AS queries,
       round(quantileExact(0.5)(query_duration_ms)) AS p50_ms, max(query_duration_ms) AS max_ms,
       round(quantileExact(0.99)(query_duration_ms)) AS p99_ms,
       round(avg(read_rows)) AS mean_rows_read, formatReadableSize(max(memory_usage)) AS peak_memory
FROM system.query_log
WHERE type = 2 AND event_time >= toDateTime($PROFILE_FROM) AND query LIKE '--%'
GROUP BY query_file ORDER BY p99_ms DESC
FORMAT PrettyCompactNoEscapes
SQL
echo "results: $OUT/results.md (parts: $OUT/parts.txt); commit $(git rev-parse --short HEAD)"
