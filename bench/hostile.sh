#!/usr/bin/env bash
# Hostile traffic against a real gateway over the 10k-article corpus: the
# normal query's p50/p99 with and without four hostile clients, each hostile
# request's server CPU, the live heap after 1,000 distinct 900 KB documents,
# and Redis memory after 10,000 junk persisted-query registrations.
# Usage: bash bench/hostile.sh   (make bench-hostile)
# Env: DUR (10s a phase), CORPUS (10000), REDIS (127.0.0.1:6379; empty = none)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=bench/out
CORPUS=${CORPUS:-10000}
DUR=${DUR:-10s}
REDIS=${REDIS-127.0.0.1:6379}
mkdir -p "$OUT" bin
go build -o bin/byline ./cmd/byline
go build -o bin/bylinegen ./cmd/bylinegen
go build -o bin/hostile ./bench/hostile
. bench/corpus.sh
DB=$(corpus "$CORPUS")
cp "$DB" "$OUT/hostile.db"
args=(serve --db "$OUT/hostile.db" --addr 127.0.0.1:18090 --debug-addr 127.0.0.1:18091 --log-level error)
redis_flag=()
if [ -n "$REDIS" ]; then
  redis_flag=(--redis "redis://$REDIS" --redis-prefix "hostile$$:")
  redis-cli -h "${REDIS%:*}" -p "${REDIS#*:}" --scan --pattern 'hostile*' | xargs -r redis-cli -h "${REDIS%:*}" -p "${REDIS#*:}" del >/dev/null
fi
bin/byline "${args[@]}" "${redis_flag[@]}" 2> "$OUT/hostile-server.log" &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -sf http://127.0.0.1:18090/readyz >/dev/null && break; sleep 0.2; done
echo "machine: $(nproc) cores, $(uname -sr), $(go version | cut -d' ' -f3)"
bin/hostile -url http://127.0.0.1:18090 -debug http://127.0.0.1:18091 -d "$DUR" ${REDIS:+-redis "$REDIS"} | tee "$OUT/hostile.md"
