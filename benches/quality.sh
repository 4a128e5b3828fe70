#!/usr/bin/env bash
# Detection quality on held-out simulated worlds (see benches/README.md,
# "Quality on held-out worlds"). Builds release, simulates each world of
# benches/quality/seeds.txt in each mode (cached under $WORK, default
# /tmp/ehrwatch-quality, keyed by seed, size, mode and a hash of the
# simulator's source), runs `ehrwatch detect --quiet` and `ehrwatch
# evaluate`, and prints one table: per world K, incident recall@K,
# precision@K, case precision@K, AP, look-alikes in the top K, alerts and
# alerts per 1,000 users per day; per mode the mean and the worst; per
# scenario the incidents found; in real mode the alerts of the hr export
# over the alerts of the same world exported clean.
#
# Usage: benches/quality.sh [--tuning] [--mode clean|real] [--quick] [--prune]
#   --tuning   run the tuning worlds instead of the held-out ones
#   --mode M   run one mode only (default: clean and real)
#   --quick    run only the first world of each mode
#   --prune    first delete cached worlds of other simulator versions (a
#              world is 250-700 MB; stale ones filled a 90 GB disk once)
# SEEDS=file reads the worlds from another file in seeds.txt's format
# (extra tuning worlds for a closer look at one scenario).
# Needs the Rust toolchain, bash and python3 (standard library only).
set -euo pipefail
cd "$(dirname "$0")/.."

SET=heldout
MODES="clean real"
QUICK=0
PRUNE=0
while [ $# -gt 0 ]; do
  case "$1" in
    --tuning) SET=tuning ;;
    --mode | --mode=*)
      if [ "$1" = --mode ]; then shift; m="${1:-}"; else m="${1#--mode=}"; fi
      case "$m" in
        clean | real) MODES="$m" ;;
        *) echo "quality.sh: --mode takes clean or real, not \"$m\"" >&2; exit 1 ;;
      esac ;;
    --quick) QUICK=1 ;;
    --prune) PRUNE=1 ;;
    -h | --help) sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "quality.sh: unknown option $1 (see --help)" >&2; exit 1 ;;
  esac
  shift
done

WORK="${WORK:-/tmp/ehrwatch-quality}"
SEEDS="${SEEDS:-benches/quality/seeds.txt}"
[ -f "$SEEDS" ] || { echo "quality.sh: no seeds file $SEEDS" >&2; exit 1; }
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/ehrwatch/target}"
mkdir -p "$WORK"
cargo build --release --quiet
BIN="$CARGO_TARGET_DIR/release/ehrwatch"
# DETECT_BIN=path runs detect with another build (a before/after
# comparison on the same worlds); simulate and evaluate use this one.
DETECT="${DETECT_BIN:-$BIN}"

SIM_HELP=$("$BIN" simulate --help)
has_flag() { grep -q -- "$1" <<<"$SIM_HELP"; }
if [[ " $MODES " == *" real "* ]] && ! { has_flag --realism && has_flag --export; }; then
  echo "quality.sh: real mode needs \`ehrwatch simulate --realism real --export hr|clean\`, which this" \
    "build's simulate does not list (see \`ehrwatch simulate --help\`); run with --mode clean" >&2
  exit 1
fi

# A changed simulator makes new worlds; a changed rule reuses them.
SIM_HASH=$(find src/simulate -type f | LC_ALL=C sort | xargs cat | sha256sum | cut -c1-12)
# Worlds of other simulator versions are never read again by this tree;
# --prune deletes them; otherwise how many there are is said.
shopt -s nullglob
stale=()
for d in "$WORK"/worlds/*; do
  [ -e "$d" ] || [ -L "$d" ] || continue
  [[ "$d" == *"-$SIM_HASH" ]] || stale+=("$d")
done
if [ "${#stale[@]}" -gt 0 ]; then
  if [ "$PRUNE" = 1 ]; then
    rm -rf -- "${stale[@]}"
    echo "quality.sh: deleted ${#stale[@]} cached worlds of other simulator versions" >&2
  else
    echo "quality.sh: ${#stale[@]} cached worlds of other simulator versions in $WORK/worlds" \
      "(delete them with --prune)" >&2
  fi
fi
shopt -u nullglob
RUN="$WORK/runs/$(date +%Y%m%d-%H%M%S)-$SET"
mkdir -p "$RUN"
MANIFEST="$RUN/manifest.txt"
: > "$MANIFEST"

# world SEED USERS DAYS PATIENTS REALISM EXPORT: prints the bundle folder,
# simulating it unless cached.
world() {
  local seed=$1 users=$2 days=$3 patients=$4 realism=$5 export=$6
  local dir="$WORK/worlds/s$seed-u$users-d$days-p$patients-$realism-$export-$SIM_HASH"
  if [ ! -f "$dir/.complete" ]; then
    echo "simulating seed $seed, $users users x $days days ($realism world, $export export)" >&2
    rm -rf "$dir"
    local flags=()
    if has_flag --realism; then flags+=(--realism "$realism"); fi
    if has_flag --export; then flags+=(--export "$export"); fi
    "$BIN" --quiet simulate --out "$dir" --seed "$seed" --users "$users" --days "$days" \
      --patients "$patients" "${flags[@]}" >&2
    touch "$dir/.complete"
  fi
  echo "$dir"
}

# score MODE SEED USERS DAYS PATIENTS REALISM EXPORT VARIANT: detect and
# evaluate one world, and add it to the manifest.
score() {
  local mode=$1 seed=$2 users=$3 days=$4 patients=$5 realism=$6 export=$7 variant=$8
  local dir out
  dir=$(world "$seed" "$users" "$days" "$patients" "$realism" "$export")
  out="$RUN/$mode-s$seed-$variant"
  echo "detecting seed $seed ($mode, $variant)" >&2
  "$DETECT" detect --input "$dir" --out "$out" --quiet
  "$BIN" evaluate --labels "$dir/labels.csv" --alerts "$out/alerts.csv" --users "$users" --days "$days" \
    > "$out/evaluate.txt"
  tail -n 1 "$out/evaluate.txt" > "$out/evaluate.json"
  echo "$mode $seed $users $days $variant $out/evaluate.json" >> "$MANIFEST"
}

for mode in $MODES; do
  n=0
  while read -r -u 3 set wmode seed users days patients; do
    case "$set" in '' | '#'*) continue ;; esac
    [ "$set" = "$SET" ] || continue
    [ "$wmode" = "$mode" ] || [ "$wmode" = both ] || continue
    if [ "$QUICK" = 1 ] && [ "$n" -ge 1 ]; then break; fi
    n=$((n + 1))
    if [ "$mode" = real ]; then
      score real "$seed" "$users" "$days" "$patients" real hr main
      score real "$seed" "$users" "$days" "$patients" real clean clean-export
    else
      score clean "$seed" "$users" "$days" "$patients" clean clean main
    fi
  done 3< "$SEEDS"
  if [ "$n" = 0 ]; then echo "quality.sh: no $SET worlds for mode $mode in $SEEDS" >&2; exit 1; fi
done

echo "$SET worlds; outputs in $RUN" >&2
python3 benches/quality/table.py "$MANIFEST"
