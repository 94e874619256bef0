#!/usr/bin/env bash
# The simulator benchmark of BENCHMARKS.md ("Simulator"): generation time and peak RSS of
# `careaudit simulate` for each size (release build), side by side with the baseline of copying
# the same output (`cp -r`, what the disk alone costs), in alternating blocks under the shared
# CPU lock. Results in target/bench-simulator/results.tsv.
#
#   bench/simulator/run.sh [BLOCKS=3] [SIZES="demo standard"] [LONDON=1]
#
# london runs once (one block) when LONDON=1, with --compress (plain it is ~19 GB); its output is
# deleted afterwards.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
BLOCKS="${BLOCKS:-3}"
SIZES="${SIZES:-demo standard}"
LONDON="${LONDON:-1}"
OUT=target/bench-simulator
mkdir -p "$OUT"
cargo build --release --locked -p careaudit
BIN=target/release/careaudit
RESULTS="$OUT/results.tsv"
printf 'block\tsize\tstep\tseconds\tpeak_rss_kib\tbytes\n' >"$RESULTS"

measure() { # block size step command...
    local block="$1" size="$2" step="$3"
    shift 3
    local log="$OUT/time.log"
    flock /tmp/careaudit-cpu.lock /usr/bin/time -f '%e %M' -o "$log" "$@" >/dev/null
    read -r seconds rss <"$log"
    local bytes
    bytes=$(du -sb "$OUT/$size" 2>/dev/null | cut -f1 || echo 0)
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$block" "$size" "$step" "$seconds" "$rss" "$bytes" | tee -a "$RESULTS"
}

run_size() { # block size [extra simulate flags]
    local block="$1" size="$2"
    shift 2
    rm -rf "$OUT/$size" "$OUT/$size-copy"
    measure "$block" "$size" simulate "$BIN" simulate --size "$size" --seed 1 --start 2026-11-02 --out "$OUT/$size" "$@"
    sync
    measure "$block" "$size" copy cp -r "$OUT/$size" "$OUT/$size-copy"
    rm -rf "$OUT/$size-copy"
}

for block in $(seq 0 "$BLOCKS"); do # block 0 warms up
    for size in $SIZES; do
        run_size "$block" "$size"
    done
done
if [[ "$LONDON" == 1 ]]; then
    run_size 1 london --compress
    rm -rf "$OUT/london"
fi
echo "results: $RESULTS"
