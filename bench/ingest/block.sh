#!/usr/bin/env bash
# One block of the ingest benchmark: every system once, back to back, on the same messages.
# usage: block.sh BLOCK [SYSTEM...]    (run.sh calls it under flock /tmp/careaudit-cpu.lock)
# Block 0 is the warm-up (recorded, left out of the summary). Each run appends one JSON line to
# $B/results/runs.jsonl and keeps its logs in $B/results/<label>.<block>.*
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
BLOCK=$1; shift
SYSTEMS=("$@")
[[ ${#SYSTEMS[@]} -gt 0 ]] || SYSTEMS=(careaudit-http raw-fhir careaudit-syslog raw-syslog sng-b-diskbuf sng-a-memory)

# Everything a run has in common: a quiet disk, the CPU probe, CPU ticks and /proc/stat around
# the measurement. Sets CALIB, C0/B0/I0 (before) and reads them back in `common_after`.
common_before() {
    sync; sleep 1
    CALIB=$(bash "$B/kit/calib.sh")
    CHPID=$(ch_pid)
    C0=$(ticks "$CHPID"); read -r B0 I0 < <(sysstat)
}
common_json() { # process-pid-or-empty
    local c1 b1 i1 p=0
    c1=$(ticks "$CHPID"); read -r b1 i1 < <(sysstat)
    printf '{"label":"%s","block":%s,"calib_s":%s,"ch_cpu_s":%s,"busy_pct":%s}' "$LABEL" "$BLOCK" "$CALIB" \
        "$(awk -v a="$C0" -v b="$c1" -v hz="$HZ" 'BEGIN{print (b-a)/hz}')" \
        "$(awk -v b0="$B0" -v i0="$I0" -v b1="$b1" -v i1="$i1" 'BEGIN{d=(b1-b0)+(i1-i0); print (d>0)?100*(b1-b0)/d:0}')"
}

run_careaudit() { # http|syslog
    local mode=$1 out="$R/$LABEL.$BLOCK" measured p0 p1 hwm check verified
    fresh_schema "$CA_DB"
    start_collector "$CA_DB"
    common_before
    p0=$(ticks "$COLLECTOR_PID")
    if [[ $mode == http ]]; then
        measured=$("$TOOL" http --url "http://127.0.0.1:$HTTP_PORT" --bodies "$B/fhir" --connections "$CONNS" \
            --clickhouse "$CH" --database "$CA_DB")
    else
        local t0; t0=$(now)
        start_loggens "$SYSLOG_PORT" "$out"
        measured=$("$TOOL" wait-count --clickhouse "$CH" --table "$CA_DB.access_events" --expect "$EVENTS" --t0 "$t0")
        wait "${LOGGEN_PIDS[@]}"
        measured=$(jq -c --argjson n "$EVENTS" '. + {events: $n}' <<<"$measured")
    fi
    p1=$(ticks "$COLLECTOR_PID"); hwm=$(hwm_kb "$COLLECTOR_PID")
    local common; common=$(common_json)
    sleep 2   # anything shipped late would be a duplicate
    local rows_after; rows_after=$(q "SELECT count() FROM $CA_DB.access_events")
    stop_collector
    check=$(content_check "$CA_DB.access_events")
    verified=$( (careaudit_env "$CA_DB"; "$BIN" verify 2>>"$R/careaudit.log") | tr '\n' ' ' | head -c 300)
    record "$measured" "$common" \
        "$(jq -cn --argjson cpu "$(awk -v a="$p0" -v b="$p1" -v hz="$HZ" 'BEGIN{print (b-a)/hz}')" \
            --argjson hwm "$hwm" --argjson rows "$rows_after" --arg check "$check" --arg verify "$verified" \
            '{process_cpu_s: $cpu, rss_hwm_kb: $hwm, rows_after_2s: $rows, content: $check, verify: $verify}')" \
        "$(storage_json "$CA_DB" "'access_events','access_by_user','ingest_batches'" "$EVENTS")"
    q "DROP DATABASE IF EXISTS $CA_DB"
}

run_raw() { # fhir|syslog
    local kind=$1 input measured
    input="$B/fhir"; [[ $kind == syslog ]] && input="$B/capture"
    fresh_schema "$RAW_DB"
    common_before
    # The tool builds the rows first (untimed, reported as build_s) and then inserts; CPU and
    # busy % here therefore cover the build as well: only events/s is the insert alone.
    measured=$("$TOOL" raw-insert --kind "$kind" --input "$input" --clickhouse "$CH" --database "$RAW_DB")
    record "$measured" "$(common_json)" \
        "$(storage_json "$RAW_DB" "'access_events','access_by_user'" "$EVENTS")"
    q "DROP DATABASE IF EXISTS $RAW_DB"
}

run_sng() { # config file of the kit
    local conf="$B/kit/$1" out="$R/$LABEL.$BLOCK" spid t0 measured s0 s1 hwm
    q "DROP TABLE IF EXISTS $SNG_DB.access"
    q "CREATE TABLE $SNG_DB.access (event_time DateTime, user_id String, org_code String, patient_id String, action String, source String, raw String) ENGINE=MergeTree ORDER BY (patient_id, event_time)"
    rm -f "$B/p" "$B/pid" "$B/ctl"; rm -rf "$B/dq"; mkdir -p "$B/dq"
    syslog-ng -F -f "$conf" --persist-file "$B/p" --pidfile "$B/pid" --control "$B/ctl" >"$out.syslog-ng.out" 2>&1 &
    for _ in $(seq 1 100); do
        [[ -s "$B/pid" ]] && (echo >"/dev/tcp/127.0.0.1/$SNG_PORT") 2>/dev/null && break; sleep 0.1
    done
    spid=$(cat "$B/pid")
    sleep 1
    common_before
    s0=$(ticks "$spid")
    t0=$(now)
    start_loggens "$SNG_PORT" "$out"
    measured=$("$TOOL" wait-count --clickhouse "$CH" --table "$SNG_DB.access" --expect "$EVENTS" --t0 "$t0")
    s1=$(ticks "$spid"); hwm=$(hwm_kb "$spid")
    local common; common=$(common_json)
    wait "${LOGGEN_PIDS[@]}"
    sleep 2
    local rows_after; rows_after=$(q "SELECT count() FROM $SNG_DB.access")
    kill "$spid"; for _ in $(seq 1 100); do kill -0 "$spid" 2>/dev/null || break; sleep 0.1; done
    local verified; verified=$(CH="$CH/" bash "$B/kit/verify.sh" "$SNG_DB.access" 2>&1 | grep -o 'VERIFY [A-Z]*' || true)
    record "$measured" "$common" \
        "$(jq -cn --argjson n "$EVENTS" --argjson cpu "$(awk -v a="$s0" -v b="$s1" -v hz="$HZ" 'BEGIN{print (b-a)/hz}')" \
            --argjson hwm "$hwm" --argjson rows "$rows_after" --arg check "$verified" \
            '{events: $n, process_cpu_s: $cpu, rss_hwm_kb: $hwm, rows_after_2s: $rows, content: $check}')" \
        "$(storage_json "$SNG_DB" "'access'" "$EVENTS")"
    q "DROP TABLE IF EXISTS $SNG_DB.access"
}

for LABEL in "${SYSTEMS[@]}"; do
    log "block $BLOCK: $LABEL"
    case $LABEL in
        careaudit-http) run_careaudit http ;;
        careaudit-syslog) run_careaudit syslog ;;
        raw-fhir) run_raw fhir ;;
        raw-syslog) run_raw syslog ;;
        sng-b-diskbuf) run_sng sng-b-diskbuf.conf ;;
        sng-a-memory) run_sng sng-a-memory.conf ;;
        *) log "unknown system $LABEL"; exit 2 ;;
    esac
done
