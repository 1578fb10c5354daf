#!/usr/bin/env bash
# Load runs: the article-page query over a 10k-article corpus. In one
# invocation, on one machine: a bare net/http handler writing the same bytes
# (the yardstick), the same handler with Byline's server settings (timeouts,
# body read: "bare-prod"), Byline answering from its cache, the same pair
# with Accept-Encoding: gzip (bare writes Byline's gzip bytes), then Byline
# with Redis, Byline's miss path (every request a new cache key), and Byline
# with the cache off. The machine is noisy (±20% between identical runs), so
# the comparison runs ROUNDS times, interleaved, and the summary gives each
# row's median and the ratios of medians.
# Usage: bash bench/run.sh   (make bench)
# Env: DUR (default 10s a run), ROUNDS (5), CONNS (32), CORPUS (10000), SLUG
#      (an article of it), PIN=1 to put the server on core 1 and wrk (one
#      thread) on core 0, ONLY=hit for the interleaved rounds alone,
#      GATEWAY_ENV for Byline's environment (GOGC, GOMEMLIMIT), WARM (default
#      10s; 0 = none) to load each server unmeasured first: a production
#      gateway is measured in its steady state, not its first seconds, and
#      the yardstick after the same load, so both see the machine alike.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 1; }
OUT=bench/out
DUR=${DUR:-10s}
ROUNDS=${ROUNDS:-5}
WARM=${WARM:-10s}
CONNS=${CONNS:-32}
CORPUS=${CORPUS:-10000}
SLUG=${SLUG:-copper-000011}
REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379}
PORT=18080
BARE_PORT=18081
mkdir -p "$OUT" bin
RES="$OUT/results.tsv"
SRV="$OUT/server.tsv" # the gateway's own request durations, per hit run
: > "$RES"
: > "$SRV"
go build -o bin/byline ./cmd/byline
go build -o bin/bare ./bench/bare
go build -o bin/bylinegen ./cmd/bylinegen

. bench/corpus.sh
DB=$(corpus "$CORPUS")

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

# cpu_ticks: total and steal jiffies over all cores (/proc/stat). Steal is
# time the hypervisor gave this VM's cores to someone else: on a shared host
# it is the largest source of noise in a p99, so every run reports it.
cpu_ticks() { awk '/^cpu / {t=0; for (i=2; i<=NF; i++) t+=$i; print t, $9}' /proc/stat; }

# run NAME PORT SCRIPT [ACCEPT_ENCODING]: one wrk run, one result line
# (name, req/s, p50, p99, non-2xx, steal % of the machine's CPU time).
run() {
  local before after
  before=$(cpu_ticks)
  ACCEPT_ENCODING="${4:-}" BODY_FILE="$OUT/article_page.req.json" "${WRK[@]}" -c"$CONNS" -d"$DUR" --latency -s "bench/$3" \
    "http://127.0.0.1:$2/graphql" > "$OUT/wrk-$1.txt"
  after=$(cpu_ticks)
  awk -v name="$1" -v before="$before" -v after="$after" '
    /Requests\/sec/ {rps=$2}
    /^ +50%/ {p50=$2} /^ +99%/ {p99=$2}
    /Non-2xx/ {non2xx=$NF}
    END {
      split(before, b, " "); split(after, a, " ")
      steal = (a[1] > b[1]) ? 100 * (a[2] - b[2]) / (a[1] - b[1]) : 0
      printf "%s\t%s\t%s\t%s\t%s\t%.1f\n", name, rps, p50, p99, (non2xx==""?0:non2xx), steal
    }' "$OUT/wrk-$1.txt" | tee -a "$RES"
}

start_byline capture
curl -sf -H 'Content-Type: application/json' --data-binary @"$OUT/article_page.req.json" \
  "http://127.0.0.1:$PORT/graphql" > "$OUT/article_page.resp.json"
grep -q '"title"' "$OUT/article_page.resp.json" || { echo "article $SLUG not found" >&2; exit 1; }
curl -sf -H 'Accept-Encoding: gzip' -H 'Content-Type: application/json' --data-binary @"$OUT/article_page.req.json" \
  "http://127.0.0.1:$PORT/graphql" > "$OUT/article_page.resp.gz"
gzip -dc "$OUT/article_page.resp.gz" | cmp -s - "$OUT/article_page.resp.json" || { echo "the gzip answer differs from the plain one" >&2; exit 1; }
stop

GZ="gzip, deflate, br"
# bare_run NAME FLAGS…: one run of the yardstick.
bare_run() {
  local name=$1 script=$2 ae=$3; shift 3
  "${SERVER[@]}" bin/bare --addr "127.0.0.1:$BARE_PORT" "$@" &
  pid=$!
  for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$BARE_PORT/" && break; sleep 0.05; done
  # Loaded as long as a gateway is before its run: the machine's state
  # after 10 s of full load (a host may throttle a busy VM) is the same
  # for both sides of a ratio.
  warm "$BARE_PORT" "$ae"
  run "$name" $BARE_PORT "$script" "$ae"; stop
}
# warm PORT ACCEPT_ENCODING: WARM of unmeasured load.
warm() {
  if [ "$WARM" != 0 ]; then
    ACCEPT_ENCODING="$2" BODY_FILE="$OUT/article_page.req.json" "${WRK[@]}" -c"$CONNS" -d"$WARM" -s bench/post.lua "http://127.0.0.1:$1/graphql" >/dev/null
  fi
}
# hit_run NAME ACCEPT_ENCODING FLAGS…: a fresh gateway, warmed once, loaded.
hit_run() {
  local name=$1 ae=$2; shift 2
  start_byline "$name" "$@"
  curl -sf -o /dev/null -H "Accept-Encoding: $ae" -H 'Content-Type: application/json' --data-binary @"$OUT/article_page.req.json" "http://127.0.0.1:$PORT/graphql"
  warm "$PORT" "$ae" # steady state: the heap at its working size, not a fresh process faulting in new memory
  curl -sf "http://127.0.0.1:$PORT/metrics" > "$OUT/metrics-before.txt"
  run "$name" $PORT post.lua "$ae"
  curl -sf "http://127.0.0.1:$PORT/metrics" > "$OUT/metrics-after.txt"
  server_side "$name"; stop
}

# server_side NAME: the gateway's own time per request during the run (its
# request-duration histogram, from the handler's start to its last write),
# next to wrk's: what is left of wrk's latency is waiting in line behind
# the other connections on one core, and the machine's own stalls.
server_side() {
  python3 - "$1" "$OUT/metrics-before.txt" "$OUT/metrics-after.txt" <<'PY' | tee -a "$SRV"
import re, sys
def buckets(path):
    out = {}
    for line in open(path):
        m = re.match(r'byline_http_request_duration_seconds_bucket\{route="graphql",le="([^"]+)"\} (\S+)', line)
        if m:
            out[m.group(1)] = float(m.group(2))
    return out
b, a = buckets(sys.argv[2]), buckets(sys.argv[3])
d = {k: a[k] - b.get(k, 0) for k in a}
n = d.get("+Inf", 0) or 1
print(f"{sys.argv[1]}\t{n:.0f}\t{100*d['0.0005']/n:.3f}\t{100*d['0.001']/n:.3f}\t{100*d['0.0025']/n:.3f}")
PY
}

echo "# $(date -u +%Y-%m-%dT%H:%MZ) $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(go version | cut -d' ' -f3), corpus $CORPUS, -c$CONNS -d$DUR, $ROUNDS rounds, warm-up $WARM, $MODE"
printf "name\treq/s\tp50\tp99\tnon-2xx\tsteal%%\n"
for round in $(seq "$ROUNDS"); do
  bare_run bare post.lua "" --body "$OUT/article_page.resp.json"
  bare_run bare-prod post.lua "" --prod --body "$OUT/article_page.resp.json"
  hit_run byline-hit ""
  bare_run bare-gzip post.lua "$GZ" --prod --encoding gzip --body "$OUT/article_page.resp.gz"
  hit_run byline-hit-gzip "$GZ"
done

if [ "${ONLY:-}" != hit ]; then
  if redis-cli -u "$REDIS_URL" ping >/dev/null 2>&1; then
    hit_run byline-hit-redis "" --redis "$REDIS_URL"
    start_byline miss-redis --redis "$REDIS_URL"
    run byline-miss-redis $PORT post_miss.lua ; stop
  fi
  start_byline miss
  run byline-miss $PORT post_miss.lua ; stop
  start_byline nocache --no-cache
  run byline-nocache $PORT post.lua ; stop
fi

# Medians per row (latencies in ms), then the ratios that matter.
python3 - "$RES" "$SRV" <<'PY'
import sys, statistics
def ms(v):
    for unit, f in (("us", 1e-3), ("ms", 1.0), ("s", 1e3)):
        if v.endswith(unit):
            return float(v[: -len(unit)]) * f
    return float(v)
rows = {}
for line in open(sys.argv[1]):
    name, rps, p50, p99, _, steal = line.rstrip("\n").split("\t")
    rows.setdefault(name, []).append((float(rps), ms(p50), ms(p99), float(steal)))
print("\nsummary: median over runs (min-max); steal: median % of CPU time the host took")
print("name\truns\treq/s\tp50 ms\tp99 ms\tsteal %")
med = {}
for name, rs in rows.items():
    m = [statistics.median(x[i] for x in rs) for i in range(4)]
    med[name] = m
    lo, hi = min(x[2] for x in rs), max(x[2] for x in rs)
    print(f"{name}\t{len(rs)}\t{m[0]:.0f}\t{m[1]:.2f}\t{m[2]:.2f} ({lo:.2f}-{hi:.2f})\t{m[3]:.1f}")
for a, b in (("byline-hit", "bare"), ("byline-hit", "bare-prod"), ("byline-hit-gzip", "bare-gzip")):
    if a in med and b in med:
        print(f"ratio {a}/{b}: {med[a][0] / med[b][0]:.3f}")
srv = {}
for line in open(sys.argv[2]):
    name, n, le05, le1, le25 = line.split("\t")
    srv.setdefault(name, []).append((float(le05), float(le1), float(le25)))
if srv:
    print("\ngateway's own time per request (its histogram, handler start to last write): median % of requests within")
    print("name\truns\t0.5 ms\t1 ms\t2.5 ms")
    for name, rs in srv.items():
        m = [statistics.median(x[i] for x in rs) for i in range(3)]
        print(f"{name}\t{len(rs)}\t{m[0]:.3f}\t{m[1]:.3f}\t{m[2]:.3f}")
PY
