#!/usr/bin/env bash
# 100 million events: simulate 2,600 users x 260 days as daily Parquet files,
# then time, in one run, the floor (a bare polars scan and per-user
# group-by), the contract floor (the same over all nine columns detect
# reads), `ehrwatch detect` as shipped (the log is larger than
# --partition-events, so it is spilled and processed a partition of users at
# a time), and `detect --partition-events 0` (every event in memory), and
# check that both detects wrote the same alerts. See benches/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
USERS="${USERS:-2600}"
DAYS="${DAYS:-260}"
WORK="${WORK:-$(mktemp -d)}"
source benches/common.sh

if [ ! -d "$WORK/big/access_log" ]; then
  echo "simulating $USERS users x $DAYS days into $WORK/big (about 5 GB)"
  "$BIN" simulate --out "$WORK/big" --users "$USERS" --days "$DAYS" --seed 7 --format parquet --patients 60000 > /dev/null
fi
# The simulated days start on 2026-10-01, so 260 of them reach into the
# future until mid-2027, and detect rejects instants more than
# input.max_days_ahead days past the files' dates or its own clock (74.5%
# of the log on 2026-12-06): allow them here.
printf '[input]\nmax_days_ahead = 36600\n' > "$WORK/big.toml"
floor=$(measure "floor (polars scan+group-by)" "$FLOOR" "$WORK/big" | tail -1)
contract=$(measure "contract floor (nine columns)" "$FLOOR" "$WORK/big" --contract | tail -1)
parts=$(measure "detect (partitioned, default)" "$BIN" detect --config "$WORK/big.toml" --input "$WORK/big" --out "$WORK/parts" --quiet | tail -1)
whole=$(measure "detect --partition-events 0" "$BIN" detect --config "$WORK/big.toml" --input "$WORK/big" --out "$WORK/whole" --quiet --partition-events 0 | tail -1)
cmp -s "$WORK/parts/alerts.csv" "$WORK/whole/alerts.csv" && echo "alerts.csv identical" || { echo "alerts.csv DIFFERS"; exit 1; }
python3 - "$floor" "$contract" "$parts" "$whole" "$WORK/parts/summary.json" <<'PY'
import json, sys
floor, contract, parts, whole = map(float, sys.argv[1:5])
s = json.load(open(sys.argv[5]))
print(f"events: {s['events_read']:,}; partitions: {s.get('partitions', 1)}")
print(f"detect/floor: partitioned {parts / floor:.1f}x, in memory {whole / floor:.1f}x")
print(f"detect/contract floor: partitioned {parts / contract:.1f}x, in memory {whole / contract:.1f}x"
      f" (the contract floor alone is {contract / floor:.1f}x the floor)")
print("stages (partitioned):", ", ".join(f"{k} {v:.1f} s" for k, v in s["wall_time_seconds"].items()))
PY
