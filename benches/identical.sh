#!/usr/bin/env bash
# Byte-identity check for refactors: runs two builds of ehrwatch on the same
# inputs and compares every output file byte for byte.
#
# Usage: benches/identical.sh BEFORE [AFTER]
#   BEFORE, AFTER  an ehrwatch binary, or a git revision (commit, branch,
#                  tag) that is built in a scratch worktree. AFTER defaults
#                  to this checkout's release build.
#
# Inputs: the bundled sample (data/sample, as it is in this checkout) and a
# simulated world of about 3.7 M events (950 users x 30 days, seed 12,
# clean; SEED=, USERS=, DAYS= change it), simulated by each build: the two
# simulated bundles must be identical too; and the same world as daily
# Parquet files, simulated by BEFORE. Each detect runs twice, once in
# memory and once partitioned (`--partition-events 1000000`), and both
# builds' outputs are compared file by file. Then an incremental run over
# two nights (`--state`: the world's last day is the second night, the days
# before it the first), in memory and partitioned, compares both nights'
# outputs and the state folder.
# summary.json is compared with `wall_time_seconds` and `partitions` left out; the lock
# files are skipped. Prints one line per comparison and exits 1 on any
# difference.
#
# Scratch space: ${WORK:-/tmp/ehrwatch-identical} (about 1 GB). Building a
# revision uses its own target folder ($WORK/target-REV), seeded from
# $CARGO_TARGET_DIR so that only ehrwatch itself is recompiled.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

[ $# -ge 1 ] || { sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 1; }
WORK="${WORK:-/tmp/ehrwatch-identical}"
SEED="${SEED:-12}" USERS="${USERS:-950}" DAYS="${DAYS:-30}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/ehrwatch/target}"
mkdir -p "$WORK"

# binary SPEC: prints the path of an ehrwatch binary for SPEC.
binary() {
  local spec=$1
  if [ -x "$spec" ] && [ -f "$spec" ]; then echo "$spec"; return; fi
  local rev
  rev=$(git rev-parse --verify --quiet "$spec^{commit}") || {
    echo "identical.sh: \"$spec\" is neither a binary nor a git revision" >&2; exit 1; }
  local short=${rev:0:12} tree="$WORK/tree-${rev:0:12}" target="$WORK/target-${rev:0:12}"
  if [ ! -x "$target/release/ehrwatch" ]; then
    rm -rf "$tree"; git worktree prune
    git worktree add --detach --quiet "$tree" "$rev"
    if [ ! -d "$target" ]; then
      echo "identical.sh: seeding $target from $CARGO_TARGET_DIR" >&2
      cp -r "$CARGO_TARGET_DIR" "$target"
    fi
    echo "identical.sh: building $short" >&2
    (cd "$tree" && CARGO_TARGET_DIR="$target" cargo build --release --quiet --bin ehrwatch)
    git worktree remove --force "$tree"
  fi
  echo "$target/release/ehrwatch"
}

if [ $# -ge 2 ]; then AFTER_SPEC=$2; else
  cargo build --release --quiet --bin ehrwatch
  AFTER_SPEC="$CARGO_TARGET_DIR/release/ehrwatch"
fi
BEFORE=$(binary "$1")
AFTER=$(binary "$AFTER_SPEC")
echo "before: $BEFORE" >&2
echo "after:  $AFTER" >&2

failed=0
# same A B LABEL: compares two output folders file by file.
same() {
  local a=$1 b=$2 label=$3 bad=0
  local files
  files=$( (cd "$a" && find . -type f ! -name .ehrwatch.lock ! -name .lock; cd "$b" && find . -type f ! -name .ehrwatch.lock ! -name .lock) | LC_ALL=C sort -u)
  for f in $files; do
    if [ ! -f "$a/$f" ] || [ ! -f "$b/$f" ]; then
      echo "DIFFERENT $label: $f exists in one only"; bad=1; continue
    fi
    case "$f" in
      */summary.json)
        python3 - "$a/$f" "$b/$f" <<'PY' || { echo "DIFFERENT $label: $f"; bad=1; }
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
for s in (a, b):
    s.pop("wall_time_seconds", None)
    # How the run was cut, not what it found (a night from before
    # partitioned nights has none).
    s.pop("partitions", None)
sys.exit(0 if a == b else 1)
PY
        ;;
      *) cmp -s "$a/$f" "$b/$f" || { echo "DIFFERENT $label: $f"; bad=1; } ;;
    esac
  done
  if [ $bad = 0 ]; then echo "identical $label ($(echo "$files" | wc -w) files)"; else failed=1; fi
}

# The simulated world, from each build.
for side in before after; do
  bin=$BEFORE; [ $side = after ] && bin=$AFTER
  rm -rf "$WORK/world-$side"
  "$bin" --quiet simulate --out "$WORK/world-$side" --seed "$SEED" --users "$USERS" --days "$DAYS"
done
same "$WORK/world-before" "$WORK/world-after" "simulated world (seed $SEED, $USERS users x $DAYS days)"
# The same world as daily Parquet files (simulated by BEFORE): Parquet is
# read column by column, CSV row by row.
rm -rf "$WORK/world-parquet"
"$BEFORE" --quiet simulate --out "$WORK/world-parquet" --seed "$SEED" --users "$USERS" --days "$DAYS" --format parquet

for input in "$ROOT/data/sample" "$WORK/world-before" "$WORK/world-parquet"; do
  name=$(basename "$input")
  for mode in memory partitioned; do
    flags=()
    [ $mode = partitioned ] && flags=(--partition-events 1000000)
    for side in before after; do
      bin=$BEFORE; [ $side = after ] && bin=$AFTER
      rm -rf "$WORK/out-$side"
      "$bin" --quiet detect --input "$input" --out "$WORK/out-$side" "${flags[@]}"
    done
    same "$WORK/out-before" "$WORK/out-after" "detect $name ($mode)"
  done
done

# Two nights of an incremental run, each build in the same folders (the
# state's path is in summary.json), then moved aside.
world="$WORK/world-before" nights="$WORK/nights"
rm -rf "$nights"
mkdir -p "$nights/n1" "$nights/n2"
for t in users patients encounters patient_contacts care_team; do
  [ -f "$world/$t.csv" ] || continue
  cp "$world/$t.csv" "$nights/n1/"; cp "$world/$t.csv" "$nights/n2/"
done
last=$(tail -n 1 "$world/access_log.csv" | cut -c1-10)
head -n 1 "$world/access_log.csv" | tee "$nights/n1/access_log.csv" > "$nights/n2/access_log.csv"
awk -F, -v last="$last" 'NR > 1 && $1 < last' "$world/access_log.csv" >> "$nights/n1/access_log.csv"
awk -F, -v last="$last" 'NR > 1 && $1 >= last' "$world/access_log.csv" >> "$nights/n2/access_log.csv"
# Both in memory and partitioned (a build from before partitioned nights
# holds them in memory whatever the flag says).
for mode in memory partitioned; do
  flags=(); [ $mode = partitioned ] && flags=(--partition-events 1000000)
  for side in before after; do
    bin=$BEFORE; [ $side = after ] && bin=$AFTER
    rm -rf "$WORK/inc" "$WORK/inc-$side"
    for night in n1 n2; do
      "$bin" --quiet detect --input "$nights/$night" --out "$WORK/inc/out-$night" --state "$WORK/inc/state" "${flags[@]}"
    done
    mv "$WORK/inc" "$WORK/inc-$side"
  done
  for night in n1 n2; do
    same "$WORK/inc-before/out-$night" "$WORK/inc-after/out-$night" "detect --state, night $night ($mode)"
  done
  same "$WORK/inc-before/state" "$WORK/inc-after/state" "state folder after two nights ($mode)"
done
exit $failed
