#!/usr/bin/env bash
# Whole-pipeline benchmark: simulate N million events (Parquet, then CSV),
# run `ehrwatch detect` under /usr/bin/time, measure the floor (a bare polars
# scan and per-user group-by of the same Parquet log) and the contract floor
# (the same over all nine columns detect reads) in the same run, and print
# detect / floor and detect / contract floor with peak RSS. See
# benches/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
USERS="${USERS:-2600}"     # 2600 users x 30 days ~ 12 million events
DAYS="${DAYS:-30}"
WORK="${WORK:-$(mktemp -d)}"
source benches/common.sh

echo "simulating $USERS users x $DAYS days into $WORK"
"$BIN" simulate --out "$WORK/pq" --users "$USERS" --days "$DAYS" --seed 5 --format parquet --patients 60000 > /dev/null
"$BIN" simulate --out "$WORK/csv" --users "$USERS" --days "$DAYS" --seed 5 --format csv --patients 60000 > /dev/null
events=$(( $(wc -l < "$WORK/csv/access_log.csv") - 1 ))
echo "events: $events"
floor=$(measure "floor (polars scan+group-by)" "$FLOOR" "$WORK/pq" | tail -1)
contract=$(measure "contract floor (nine columns)" "$FLOOR" "$WORK/pq" --contract | tail -1)
pq=$(measure "detect, Parquet" "$BIN" detect --input "$WORK/pq" --out "$WORK/pq-out" --quiet | tail -1)
csv=$(measure "detect, CSV" "$BIN" detect --input "$WORK/csv" --out "$WORK/csv-out" --quiet | tail -1)
python3 - "$floor" "$contract" "$pq" "$csv" <<'PY'
import sys
floor, contract, pq, csv = map(float, sys.argv[1:])
print(f"detect/floor: Parquet {pq / floor:.1f}x, CSV {csv / floor:.1f}x")
print(f"detect/contract floor: Parquet {pq / contract:.1f}x, CSV {csv / contract:.1f}x"
      f" (the contract floor alone is {contract / floor:.1f}x the floor)")
PY
