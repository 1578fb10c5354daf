#!/usr/bin/env bash
# Load runs: the article-page query over a 10k-article corpus. In one
# invocation, on one machine: a bare net/http handler writing the same bytes
# (the yardstick), Byline answering from its cache (without and with Redis),
# Byline's miss path (every request a new cache key), and Byline with the
# cache off. Usage: bash bench/run.sh   (make bench)
# Env: DUR (default 15s), CONNS (32), CORPUS (10000), SLUG (an article of it),
#      PIN=1 to put the server on core 1 and wrk (one thread) on core 0,
#      ONLY=hit for the bare and cache-hit runs alone, GATEWAY_ENV for Byline's
#      environment (GOGC, GOMEMLIMIT).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 1; }
OUT=bench/out
DUR=${DUR:-15s}
CONNS=${CONNS:-32}
CORPUS=${CORPUS:-10000}
SLUG=${SLUG:-copper-000011}
REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379}
PORT=18080
BARE_PORT=18081
mkdir -p "$OUT" bin
go build -o bin/byline ./cmd/byline
go build -o bin/bare ./bench/bare
go build -o bin/bylinegen ./cmd/bylinegen

DB="$OUT/corpus-$CORPUS.db"
if [ ! -f "$DB" ]; then
  rm -rf "$OUT/corpus-$CORPUS"
  bin/bylinegen -n "$CORPUS" -out "$OUT/corpus-$CORPUS"
  bin/byline import --db "$DB" "$OUT/corpus-$CORPUS"
fi

# GATEWAY_ENV (e.g. "GOGC=off GOMEMLIMIT=2GiB") goes to Byline's runs only.
read -r -a GENV <<< "${GATEWAY_ENV:-}"
if [ "${PIN:-0}" = 1 ]; then
  SERVER=(taskset -c 1 env GOMAXPROCS=1); WRK=(taskset -c 0 wrk -t1); MODE="pinned: server on core 1 (GOMAXPROCS=1), wrk -t1 on core 0"
else
  SERVER=(env); WRK=(wrk -t2); MODE="unpinned: server and wrk -t2 share both cores"
fi
[ -n "${GATEWAY_ENV:-}" ] && MODE="$MODE; gateway env: $GATEWAY_ENV"

pid=""
stop() { if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi; pid=""; }
trap stop EXIT

# start_byline NAME FLAGS…: a fresh gateway; the access log is off (warn
# level) in every run: it is I/O, not gateway work.
start_byline() {
  local name=$1; shift
  if curl -s -o /dev/null "http://127.0.0.1:$PORT/"; then echo "port $PORT is taken: stop what runs there" >&2; exit 1; fi
  "${SERVER[@]}" "${GENV[@]}" bin/byline serve --db "$DB" --addr "127.0.0.1:$PORT" --log-level warn --redis-prefix "bench$RANDOM:" "$@" 2>"$OUT/byline-$name.log" &
  pid=$!
  for _ in $(seq 100); do
    kill -0 "$pid" 2>/dev/null || { echo "byline ($name) exited: see $OUT/byline-$name.log" >&2; exit 1; }
    curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && return
    sleep 0.1
  done
  echo "byline ($name) did not start" >&2; exit 1
}

python3 - "$SLUG" > "$OUT/article_page.req.json" <<'PY'
import json, sys
q = open("server/static/article_page.graphql").read()
print(json.dumps({"operationName": "ArticlePage", "query": q, "variables": {"slug": sys.argv[1]}}))
PY

# run NAME PORT SCRIPT: one wrk run, one result line.
run() {
  BODY_FILE="$OUT/article_page.req.json" "${WRK[@]}" -c"$CONNS" -d"$DUR" --latency -s "bench/$3" \
    "http://127.0.0.1:$2/graphql" > "$OUT/wrk-$1.txt"
  awk -v name="$1" '
    /Requests\/sec/ {rps=$2}
    /^ +50%/ {p50=$2} /^ +99%/ {p99=$2}
    /Non-2xx/ {non2xx=$NF}
    END {printf "%s\t%s\t%s\t%s\t%s\n", name, rps, p50, p99, (non2xx==""?0:non2xx)}' "$OUT/wrk-$1.txt"
}

start_byline capture
curl -sf -H 'Content-Type: application/json' --data-binary @"$OUT/article_page.req.json" \
  "http://127.0.0.1:$PORT/graphql" > "$OUT/article_page.resp.json"
grep -q '"title"' "$OUT/article_page.resp.json" || { echo "article $SLUG not found" >&2; exit 1; }
stop

echo "# $(date -u +%Y-%m-%dT%H:%MZ) $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(go version | cut -d' ' -f3), corpus $CORPUS, -c$CONNS -d$DUR, $MODE"
printf "name\treq/s\tp50\tp99\tnon-2xx\n"
"${SERVER[@]}" bin/bare --addr "127.0.0.1:$BARE_PORT" --body "$OUT/article_page.resp.json" &
pid=$!; sleep 0.3
bare=$(run bare $BARE_PORT post.lua); echo "$bare"; stop

start_byline hit
curl -sf -o /dev/null -H 'Content-Type: application/json' --data-binary @"$OUT/article_page.req.json" "http://127.0.0.1:$PORT/graphql"
hit=$(run byline-hit $PORT post.lua); echo "$hit"; stop

if [ "${ONLY:-}" = hit ]; then
  awk -v a="$(echo "$hit" | cut -f2)" -v b="$(echo "$bare" | cut -f2)" 'BEGIN {printf "ratio byline-hit/bare: %.3f\n", a/b}'
  exit 0
fi

if redis-cli -u "$REDIS_URL" ping >/dev/null 2>&1; then
  start_byline hit-redis --redis "$REDIS_URL"
  curl -sf -o /dev/null -H 'Content-Type: application/json' --data-binary @"$OUT/article_page.req.json" "http://127.0.0.1:$PORT/graphql"
  run byline-hit-redis $PORT post.lua; stop
  start_byline miss-redis --redis "$REDIS_URL"
  run byline-miss-redis $PORT post_miss.lua; stop
fi

start_byline miss
run byline-miss $PORT post_miss.lua; stop

start_byline nocache --no-cache
run byline-nocache $PORT post.lua; stop

awk -v a="$(echo "$hit" | cut -f2)" -v b="$(echo "$bare" | cut -f2)" 'BEGIN {printf "ratio byline-hit/bare: %.3f\n", a/b}'
