#!/usr/bin/env bash
# Load run: the article-page query over a 10k-article corpus, Byline beside a
# bare net/http handler that writes the same bytes, measured in one run on
# one machine so the ratio means something. Usage: bash bench/run.sh
# Env: DUR (default 15s), CONNS (32), CORPUS (10000), SLUG (an article of it).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 1; }
OUT=bench/out
DUR=${DUR:-15s}
CONNS=${CONNS:-32}
CORPUS=${CORPUS:-10000}
SLUG=${SLUG:-copper-000011}
BYLINE_PORT=18080
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

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

# The access log is off (warn level) in every run: it is I/O, not gateway work.
bin/byline serve --db "$DB" --addr "127.0.0.1:$BYLINE_PORT" --log-level warn ${BYLINE_FLAGS:-} 2>"$OUT/byline.log" &
pids+=($!)
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$BYLINE_PORT/readyz" >/dev/null && break; sleep 0.1; done

python3 - "$SLUG" > "$OUT/article_page.req.json" <<'PY'
import json, sys
q = open("server/static/article_page.graphql").read()
print(json.dumps({"operationName": "ArticlePage", "query": q, "variables": {"slug": sys.argv[1]}}))
PY
curl -sf -H 'Content-Type: application/json' --data-binary @"$OUT/article_page.req.json" \
  "http://127.0.0.1:$BYLINE_PORT/graphql" > "$OUT/article_page.resp.json"
grep -q '"title"' "$OUT/article_page.resp.json" || { echo "article $SLUG not found" >&2; exit 1; }

bin/bare --addr "127.0.0.1:$BARE_PORT" --body "$OUT/article_page.resp.json" &
pids+=($!)
sleep 0.3

run() { # name port
  BODY_FILE="$OUT/article_page.req.json" wrk -t2 -c"$CONNS" -d"$DUR" --latency -s bench/post.lua \
    "http://127.0.0.1:$2/graphql" > "$OUT/wrk-$1.txt"
  awk -v name="$1" '
    /Requests\/sec/ {rps=$2}
    /^ +50%/ {p50=$2} /^ +99%/ {p99=$2}
    /Non-2xx/ {non2xx=$NF}
    END {printf "%s\t%s\t%s\t%s\t%s\n", name, rps, p50, p99, (non2xx==""?0:non2xx)}' "$OUT/wrk-$1.txt"
}

echo "# $(date -u +%Y-%m-%dT%H:%MZ) $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(go version | cut -d' ' -f3), corpus $CORPUS, wrk -t2 -c$CONNS -d$DUR"
printf "name\treq/s\tp50\tp99\tnon-2xx\n"
bare=$(run bare $BARE_PORT); echo "$bare"
byline=$(run byline $BYLINE_PORT); echo "$byline"
awk -v a="$(echo "$byline" | cut -f2)" -v b="$(echo "$bare" | cut -f2)" 'BEGIN {printf "ratio byline/bare: %.3f\n", a/b}'
