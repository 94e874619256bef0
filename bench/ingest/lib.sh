# Shared settings and functions of the ingest benchmark (sourced by run.sh and block.sh).
# Everything lives under $B (default <repo>/target/bench-ingest); results in $B/results.

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HERE="$REPO/bench/ingest"
B="${BENCH_DIR:-$REPO/target/bench-ingest}"
R="$B/results"
RESULTS="$R/runs.jsonl"
LOCK=/tmp/careaudit-cpu.lock
CH="${CAREAUDIT__CLICKHOUSE__URL:-http://127.0.0.1:18123}"
PG_ADMIN_URL="${BENCH_PG_ADMIN_URL:-postgres://postgres@127.0.0.1:15433/postgres}"
PG_URL="${PG_ADMIN_URL%/*}/bench_ingest"
BIN="$REPO/target/release/careaudit"
TOOL="$REPO/target/release/examples/bench_ingest"
# The kit's data set: 4 message files of 125,000 distinct RFC 5424 ATNA lines (~1.4 KB).
CONNS=4
PER_CONN="${BENCH_PER_CONN:-125000}"
EVENTS=$((CONNS * PER_CONN))
HTTP_PORT=24080      # careaudit's HTTP listener
SYSLOG_PORT=25140    # careaudit's syslog TCP (and UDP) listener
SNG_PORT=20514       # syslog-ng's listener (fixed in the kit's configs)
CAPTURE_PORT=25141   # where loggen's bytes are captured once, for the raw syslog ceiling
CA_DB=bench_ca       # careaudit's ClickHouse database in the careaudit runs
RAW_DB=bench_raw     # the same schema, for the raw-insert runs
SNG_DB=bench_sng     # syslog-ng's table and the kit's ground truth
HZ=$(getconf CLK_TCK)

q() { curl -sSf "$CH/" --data-binary "$1"; }
ticks() { awk '{print $14+$15}' "/proc/$1/stat" 2>/dev/null || echo 0; }   # utime+stime
sysstat() { awk '/^cpu /{print $2+$3+$4+$7+$8, $5+$6}' /proc/stat; }        # busy idle
hwm_kb() { awk '/VmHWM/{print $2}' "/proc/$1/status"; }
ch_pid() {
    local port="${CH##*:}"; port="${port%%/*}"
    ss -ltnpH "sport = :$port" | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2
}
now() { date +%s.%N; }
log() { printf '[%s] %s\n' "$(date +%T)" "$*" >&2; }

# Environment of every careaudit process of the benchmark.
careaudit_env() { # database
    export CAREAUDIT__CLICKHOUSE__URL="$CH" CAREAUDIT__CLICKHOUSE__DATABASE="$1"
    export CAREAUDIT__POSTGRES__URL="$PG_URL"
    export CAREAUDIT__COLLECTOR__LISTEN="127.0.0.1:$HTTP_PORT"
    export CAREAUDIT__COLLECTOR__WAL_DIR="$B/wal"
    export CAREAUDIT__COLLECTOR__SYSLOG__TCP_LISTEN="127.0.0.1:$SYSLOG_PORT"
    export CAREAUDIT__COLLECTOR__SYSLOG__UDP_LISTEN="127.0.0.1:$SYSLOG_PORT"
    export CAREAUDIT__LOG_FORMAT=json RUST_LOG="${RUST_LOG:-info}"
}

# A fresh careaudit schema in database $1.
fresh_schema() {
    q "DROP DATABASE IF EXISTS $1"
    (careaudit_env "$1"; "$BIN" migrate >>"$R/careaudit.log" 2>&1)
}

# Starts `careaudit collector` on database $1 with an empty log; sets COLLECTOR_PID.
start_collector() {
    rm -rf "$B/wal"
    (careaudit_env "$1"; exec "$BIN" collector >>"$R/careaudit.log" 2>&1) &
    COLLECTOR_PID=$!
    for _ in $(seq 1 200); do
        curl -sf "http://127.0.0.1:$HTTP_PORT/readyz" >/dev/null 2>&1 && return 0
        kill -0 "$COLLECTOR_PID" 2>/dev/null || { log "collector exited; see $R/careaudit.log"; return 1; }
        sleep 0.05
    done
    log "collector not ready after 10 s"; return 1
}

stop_collector() {
    kill -TERM "$COLLECTOR_PID" 2>/dev/null || true
    wait "$COLLECTOR_PID" 2>/dev/null || true
}

# Starts one loggen per kit message file (one connection each, distinct messages), as the
# kit's bench_sng.sh does; sets LOGGEN_PIDS. $1 = port, $2 = output prefix.
start_loggens() {
    LOGGEN_PIDS=()
    for i in $(seq 0 $((CONNS - 1))); do
        loggen -i -S -P -R "$B/data/msgs.$i.txt" -n "$PER_CONN" --active-connections 1 \
            -r 100000000 -I 3600 127.0.0.1 "$1" >"$2.loggen.$i.out" 2>"$2.loggen.$i.err" &
        LOGGEN_PIDS+=($!)
    done
}

# Bytes on disk per event of the active parts of the tables named in $2 (database $1), and the
# same after merging each table to one part per partition.
storage_json() { # database 'tbl1','tbl2' events
    local before after t
    before=$(q "SELECT sum(bytes_on_disk) FROM system.parts WHERE active AND database='$1' AND table IN ($2)")
    for t in ${2//,/ }; do q "OPTIMIZE TABLE $1.${t//\'/} FINAL" >/dev/null; done
    after=$(q "SELECT sum(bytes_on_disk) FROM system.parts WHERE active AND database='$1' AND table IN ($2)")
    printf '{"storage_tables":"%s","bytes_per_event":%s,"bytes_per_event_optimized":%s}' \
        "${2//\'/}" "$(awk -v b="$before" -v n="$3" 'BEGIN{print b/n}')" "$(awk -v b="$after" -v n="$3" 'BEGIN{print b/n}')"
}

# The rows of $1 (a careaudit access_events table) against the kit's ground truth: the same
# (time, user, patient, action) multiset and one row per event id. (Not the organisation:
# careaudit's ATNA mapper does not take the audit source's AuditEnterpriseSiteID as the user's
# organisation, the kit's syslog-ng config does.)
content_check() {
    local got want ids
    got=$(q "SELECT count(), sum(cityHash64(toString(occurred_at), user_id, patient_id, action)) FROM $1 FORMAT CSV")
    want=$(q "SELECT count(), sum(cityHash64(toString(event_time), user_id, patient_id,
        transform(action, ['create','read','update','delete','execute'], ['C','R','U','D','E'], '?'))) FROM $SNG_DB.expected FORMAT CSV")
    ids=$(q "SELECT uniqExact(event_id) FROM $1")
    if [[ "$got" == "$want" && "$ids" == "$EVENTS" ]]; then echo ok; else echo "MISMATCH got=$got want=$want ids=$ids"; fi
}

# Appends one result line: the program's JSON object merged with the given JSON fragments.
record() { # json...
    jq -cs 'add' <(printf '%s\n' "$@") | tee -a "$RESULTS" >&2
}
