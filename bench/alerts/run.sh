#!/usr/bin/env bash
# Notification delivery benchmark: emails through the outbox (lease, claim token, mark sent in
# PostgreSQL) vs the same emails sent with lettre directly, to an aiosmtpd server on loopback
# that discards what it receives. Release build; a fresh PostgreSQL database, dropped after.
#
#   bench/alerts/run.sh [COUNT=2000] [BLOCKS=3]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
COUNT="${1:-2000}"; BLOCKS="${2:-3}"
scripts/services up >/dev/null
eval "$(scripts/services env)"
cargo build --release --locked -p alerts --example bench_outbox >/dev/null 2>&1
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$(scripts/services python)" -m aiosmtpd -n -l "127.0.0.1:$PORT" -c aiosmtpd.handlers.Sink & SINK=$!
trap 'kill $SINK 2>/dev/null; wait $SINK 2>/dev/null' EXIT
until (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; do sleep 0.1; done
target/release/examples/bench_outbox "${CAREAUDIT__POSTGRES__URL%/*}/postgres" "$PORT" "$COUNT" "$BLOCKS"
