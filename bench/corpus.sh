# Sourced by the load scripts: corpus N prints the path of a SQLite
# database holding the deterministic N-article corpus, generating and
# importing it on first use (bin/byline and bin/bylinegen must be built).
corpus() {
  local n=$1 out=${OUT:-bench/out}
  local db="$out/corpus-$n.db"
  if [ ! -f "$db" ]; then
    rm -rf "$out/corpus-$n"
    bin/bylinegen -n "$n" -out "$out/corpus-$n" >&2
    bin/byline import --db "$db" "$out/corpus-$n" >&2
  fi
  echo "$db"
}
