#!/usr/bin/env bash
# A night of the incremental mode (issue 19 part 3): simulate a hospital as
# daily Parquet files, then for each retention D in $RETAIN build a state of
# the D days before the last day (one `detect --state` run over them) and
# time one more night (the last day) on a copy of it, twice in the same
# run: as shipped (the history counts against --partition-events, so a
# long retention is spilled and analysed a partition of users at a time)
# and held in memory (--partition-events 0). Both nights must write the
# same alerts, cases, user features and state. Prints, per D, the state's
# events and each night's wall time and peak RSS, and the night's cost per
# million state events (a night that costs one night would not grow with D).
#
# Defaults: USERS=6750 (about 2 M events a day in the simulator: 13,500
# users make 4 M), RETAIN="30 60 90", PATIENTS=300000, WORK=a new
# temporary folder (the world takes about 8 bytes an event on disk, each
# state about as much again). The night held in memory takes about 62
# bytes an event (14.6 GB for a 237 M-event state): it is skipped, and
# said so, above MEMORY_MAX_EVENTS (default 200 M). Simulating 180 M events
# takes about 20 minutes on 2 cores; a smaller run, for example
# `USERS=2600 RETAIN="30 60" WORK=/tmp/night bash benches/night.sh`,
# takes minutes. See benches/README.md, "A night".
set -euo pipefail
cd "$(dirname "$0")/.."
USERS="${USERS:-6750}"
MEMORY_MAX_EVENTS="${MEMORY_MAX_EVENTS:-200000000}"
PATIENTS="${PATIENTS:-300000}"
RETAIN="${RETAIN:-30 60 90}"
WORK="${WORK:-$(mktemp -d)}"
source benches/common.sh

max=0
for d in $RETAIN; do [ "$d" -gt "$max" ] && max=$d; done
DAYS="${DAYS:-$((max + 1))}" # more days than that: the last max + 1 are used
world="$WORK/world-$USERS-$DAYS"
if [ ! -d "$world/access_log" ]; then
  echo "simulating $USERS users x $DAYS days into $world"
  "$BIN" simulate --out "$world" --users "$USERS" --days "$DAYS" --seed 7 --format parquet --patients "$PATIENTS" > /dev/null
fi
# The simulated days may reach past today: allow them.
printf '[input]\nmax_days_ahead = 36600\n' > "$WORK/night.toml"
mapfile -t files < <(ls "$world/access_log" | sort)
last=${files[-1]}

# bundle NAME FILE...: the world's context tables and these daily files.
bundle() {
  local dir="$WORK/$1"; shift
  rm -rf "$dir"; mkdir -p "$dir/access_log"
  for t in users patients encounters patient_contacts care_team; do
    [ -f "$world/$t.csv" ] && ln -s "$world/$t.csv" "$dir/$t.csv"
  done
  for f in "$@"; do ln -s "$world/access_log/$f" "$dir/access_log/$f"; done
  echo "$dir"
}

night=$(bundle night "$last")
printf 'retain_days\tstate_events\tshipped_s\tshipped_MB\tmemory_s\tmemory_MB\n' > "$WORK/night.tsv"
for d in $RETAIN; do
  history=$(bundle "history-$d" "${files[@]: -$((d + 1)):$d}")
  rm -rf "$WORK/state-$d" "$WORK/build-$d"
  measure "state of $d days (one run)" "$BIN" detect --config "$WORK/night.toml" --input "$history" \
    --out "$WORK/build-$d" --state "$WORK/state-$d" --state-days "$d" --quiet > /dev/null
  events=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['events'])" "$WORK/state-$d/manifest.json")
  row="$d	$events"
  modes=(shipped memory)
  if [ "$events" -gt "$MEMORY_MAX_EVENTS" ]; then
    echo "night over $d days in memory: skipped ($events events > MEMORY_MAX_EVENTS)"
    modes=(shipped)
  fi
  for mode in "${modes[@]}"; do
    flags=(); [ $mode = memory ] && flags=(--partition-events 0)
    rm -rf "$WORK/state-$d-$mode" "$WORK/out-$d-$mode"
    cp -r "$WORK/state-$d" "$WORK/state-$d-$mode"
    secs=$(measure "night over $d days ($mode)" "$BIN" detect --config "$WORK/night.toml" --input "$night" \
      --out "$WORK/out-$d-$mode" --state "$WORK/state-$d-$mode" --state-days "$d" --quiet "${flags[@]}")
    kb=$(tail -1 "$WORK/measures.tsv" | cut -f3)
    row="$row	$secs	$((kb / 1024))"
  done
  [ ${#modes[@]} = 1 ] && row="$row	nan	0"
  if [ ${#modes[@]} = 2 ]; then
    for f in alerts.csv cases.csv user_features.parquet; do
      cmp -s "$WORK/out-$d-shipped/$f" "$WORK/out-$d-memory/$f" || { echo "$f DIFFERS (retention $d)"; exit 1; }
    done
    (cd "$WORK/state-$d-shipped" && find . -type f ! -name .lock | sort | xargs sha256sum) > "$WORK/a.sums"
    (cd "$WORK/state-$d-memory" && find . -type f ! -name .lock | sort | xargs sha256sum) > "$WORK/b.sums"
    cmp -s "$WORK/a.sums" "$WORK/b.sums" || { echo "state folders DIFFER (retention $d)"; exit 1; }
  fi
  python3 - "$WORK/out-$d-shipped/summary.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
print(f"  partitions: {s.get('partitions', 1)}; stages (shipped):",
      ", ".join(f"{k} {v:.1f} s" for k, v in s["wall_time_seconds"].items()))
PY
  echo "$row" >> "$WORK/night.tsv"
  rm -rf "$WORK/state-$d-shipped" "$WORK/state-$d-memory" "$WORK/build-$d"
done
echo "outputs and state identical as shipped and in memory (where both ran)"
python3 - "$WORK/night.tsv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
print(f"{'retention':>10} {'state events':>14} {'shipped':>18} {'in memory':>18} {'shipped s per M':>16}")
for r in rows:
    m = int(r["state_events"]) / 1e6
    print(f"{r['retain_days']:>8} d {int(r['state_events']):>14,} "
          f"{float(r['shipped_s']):>7.1f} s {int(r['shipped_MB']):>6} MB "
          f"{float(r['memory_s']):>7.1f} s {int(r['memory_MB']):>6} MB {float(r['shipped_s']) / m:>16.3f}")
PY
