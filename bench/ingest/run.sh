#!/usr/bin/env bash
# The ingest benchmark of BENCHMARKS.md, end to end, in one command:
#
#   bench/ingest/run.sh            (BLOCKS=3 measured blocks after one warm-up block)
#
# 1. builds careaudit and the benchmark programs (release), installs syslog-ng 3.38 if missing;
# 2. prepares the inputs once: the syslog-ng kit (/work/shared/bench/syslog-ng) copied to
#    $B/kit with its placeholders filled in, its 500,000 RFC 5424 ATNA messages, the same events
#    as BALP AuditEvent NDJSON bodies, and loggen's bytes as captured on the wire;
# 3. runs BLOCKS+1 blocks (block.sh), each under flock /tmp/careaudit-cpu.lock: careaudit HTTP,
#    its raw-insert ceiling, careaudit syslog, its ceiling, syslog-ng disk buffer, syslog-ng
#    memory queue;
# 4. latency at a steady 2,000 events/s (3 runs), and the write-ahead log alone (3 runs);
# 5. prints the summary tables ($B/results/summary.md) and drops its databases.
#
# Settings: BENCH_DIR (default target/bench-ingest), BLOCKS, BENCH_PER_CONN (messages per
# loggen connection, default 125000), CAREAUDIT__CLICKHOUSE__URL, BENCH_PG_ADMIN_URL,
# SKIP_BLOCKS=1 / SKIP_LATENCY=1 / SKIP_WAL=1, KEEP_DATABASES=1.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
BLOCKS="${BLOCKS:-3}"
KIT_SRC="${BENCH_KIT:-/work/shared/bench/syslog-ng}"
mkdir -p "$R"

# --- services, tools -------------------------------------------------------------------------
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
pg_port="${PG_ADMIN_URL##*:}"; pg_port="${pg_port%%/*}"
if ! q "SELECT 1" >/dev/null 2>&1 || ! port_open "$pg_port"; then
    log "starting the throwaway servers (scripts/services up)"
    "$REPO/scripts/services" up
fi
if ! command -v loggen >/dev/null || ! command -v syslog-ng >/dev/null; then
    log "installing syslog-ng 3.38 (Debian)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y syslog-ng-core syslog-ng-mod-http syslog-ng-mod-xml-parser >/dev/null
fi
log "building (release)"
(cd "$REPO" && cargo build --release --locked -p careaudit -p collector --example bench_ingest --example wal_throughput)

# --- the machine --------------------------------------------------------------------------------
{
    echo "date: $(date -u +%FT%TZ)"
    echo "commit: $(git -C "$REPO" rev-parse --short HEAD)$(git -C "$REPO" diff --quiet HEAD -- . ':!BENCHMARKS.md' || echo ' (dirty)')"
    echo "nproc: $(nproc)"
    echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
    echo "memory: $(awk '/MemTotal/{printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
    echo "kernel: $(uname -r)"
    dev=$(df --output=source "$B" | tail -1)
    echo "disk ($B): $dev, $(lsblk -dno SIZE,ROTA,MODEL "$dev" 2>/dev/null | awk '{printf "%s, rotational=%s %s", $1, $2, $3}'), $(findmnt -no FSTYPE,OPTIONS -T "$B")"
    echo "clickhouse: $(q 'SELECT version()') at $CH (same machine)"
    echo "syslog-ng: $(syslog-ng --version | head -1)"
    echo "rustc: $(rustc --version)"
} >"$R/machine.txt"
cat "$R/machine.txt" >&2

# --- inputs (once) -------------------------------------------------------------------------------
if [[ ! -f "$B/kit/.prepared" ]]; then
    rm -rf "$B/kit"; mkdir -p "$B/kit"
    cp "$KIT_SRC"/* "$B/kit/"; chmod -R u+w "$B/kit"
    # The kit's placeholders, its ClickHouse URL and database name, for this machine.
    sed -i -e "s#@PEERBENCH_DIR@#$B#g" -e "s#http://127.0.0.1:8123/#$CH/#g" -e "s#peerbench#$SNG_DB#g" "$B/kit"/*
    touch "$B/kit/.prepared"
fi
if [[ ! -f "$B/data/msgs.$((CONNS - 1)).txt" ]]; then
    log "generating $EVENTS messages (kit gen_messages.py)"
    python3 "$B/kit/gen_messages.py" "$B/data" "$EVENTS" "$CONNS" >&2
fi
if [[ ! -d "$B/fhir" ]]; then
    log "writing the same events as BALP AuditEvent NDJSON bodies"
    "$TOOL" fhir-bodies --messages "$B/data" --out "$B/fhir.tmp" --per-body 10000 | tee "$R/fhir-bodies.json" >&2
    mv "$B/fhir.tmp" "$B/fhir"
fi
if [[ ! -d "$B/capture" ]]; then
    log "capturing what loggen sends"
    "$TOOL" capture --listen "127.0.0.1:$CAPTURE_PORT" --connections "$CONNS" --out "$B/capture.tmp" >&2 &
    cap=$!; sleep 0.5
    start_loggens "$CAPTURE_PORT" "$B/capture"
    wait "${LOGGEN_PIDS[@]}" "$cap"
    mv "$B/capture.tmp" "$B/capture"
fi
q "CREATE DATABASE IF NOT EXISTS $SNG_DB"
if [[ "$(q "EXISTS TABLE $SNG_DB.expected")" != 1 ]]; then
    q "CREATE TABLE $SNG_DB.expected (event_time DateTime, user_id String, org_code String, patient_id String, action String, source String, raw String) ENGINE=MergeTree ORDER BY (patient_id, event_time)"
    curl -sSf --data-binary @"$B/data/expected.jsonl" "$CH/?query=INSERT%20INTO%20$SNG_DB.expected%20FORMAT%20JSONEachRow"
fi
psql -q "$PG_ADMIN_URL" -tc "SELECT 1 FROM pg_database WHERE datname = 'bench_ingest'" | grep -q 1 ||
    psql -q "$PG_ADMIN_URL" -c "CREATE DATABASE bench_ingest"

# --- blocks ---------------------------------------------------------------------------------------
if [[ "${SKIP_BLOCKS:-0}" != 1 ]]; then
    for block in $(seq 0 "$BLOCKS"); do
        log "block $block of $BLOCKS (0 = warm-up): waiting for $LOCK"
        flock "$LOCK" "$HERE/block.sh" "$block"
    done
fi

# --- latency at 2,000 events/s ------------------------------------------------------------------
run_latency() { # run
    local measured hwm
    fresh_schema "$CA_DB"
    start_collector "$CA_DB"
    measured=$("$TOOL" latency --url "http://127.0.0.1:$HTTP_PORT" --bodies "$B/fhir" --rate 2000 --seconds "${BENCH_LATENCY_SECONDS:-30}" \
        --poll-ms 10 --clickhouse "$CH" --database "$CA_DB")
    hwm=$(hwm_kb "$COLLECTOR_PID")
    stop_collector
    record "$measured" "$(printf '{"label":"latency","block":%s,"rss_hwm_kb":%s}' "$1" "$hwm")"
    q "DROP DATABASE IF EXISTS $CA_DB"
}
if [[ "${SKIP_LATENCY:-0}" != 1 ]]; then
    export -f run_latency fresh_schema start_collector stop_collector careaudit_env q hwm_kb record log
    export B R RESULTS CH PG_URL BIN TOOL HTTP_PORT SYSLOG_PORT CA_DB BENCH_LATENCY_SECONDS
    for run in 1 2 3; do
        log "latency run $run: waiting for $LOCK"
        flock "$LOCK" bash -c "run_latency $run"
    done
fi

# --- the write-ahead log alone ------------------------------------------------------------------
if [[ "${SKIP_WAL:-0}" != 1 ]]; then
    for run in 1 2 3; do
        log "wal_throughput run $run: waiting for $LOCK"
        flock "$LOCK" "$REPO/target/release/examples/wal_throughput" \
            --records 200000 --record-bytes 1024 --appenders 64 --dir "$B" | tee -a "$R/wal.txt" >&2
    done
fi

# --- summary, clean-up ---------------------------------------------------------------------------
"$TOOL" summary --results "$RESULTS" >"$R/summary.md"
{ echo; echo "### Write-ahead log alone (wal_throughput --records 200000 --record-bytes 1024 --appenders 64)"; echo; sed 's/^/    /' "$R/wal.txt" 2>/dev/null; } >>"$R/summary.md"
cat "$R/summary.md"
if [[ "${KEEP_DATABASES:-0}" != 1 ]]; then
    q "DROP DATABASE IF EXISTS $CA_DB"; q "DROP DATABASE IF EXISTS $RAW_DB"; q "DROP DATABASE IF EXISTS $SNG_DB"
    psql -q "$PG_ADMIN_URL" -c "DROP DATABASE IF EXISTS bench_ingest"
fi
log "results: $R (runs.jsonl, summary.md, machine.txt, logs)"
