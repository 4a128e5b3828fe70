#!/usr/bin/env bash
# Whole-pipeline benchmark: simulate about 11.7 million events (2,600 users
# x 30 days) as daily Parquet files and as one CSV file, copy the daily
# files into one large Parquet file, then time, in one run and on the same
# files: the floor and the contract floor (a bare polars scan and per-user
# group-by of two and of nine columns), `ehrwatch detect`, and the Python
# peer (benches/peer.py: pandas per-user features and PyOD IsolationForest,
# in a venv built from benches/requirements.txt). Prints wall time, CPU
# time and peak RSS of each, and detect's ratios to the floors and its
# speed-up over the peer. See benches/README.md.
#
# USERS=, DAYS=, SEED= change the world; WORK= keeps it for reruns (the
# simulation is skipped when $WORK/pq exists); INPUTS="one pq csv" picks
# the inputs; PEER=0 skips the peer; DETECT_BIN= times another ehrwatch.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
USERS="${USERS:-2600}"     # 2600 users x 30 days ~ 11.7 million events
DAYS="${DAYS:-30}"
SEED="${SEED:-5}"
WORK="${WORK:-$(mktemp -d)}"
INPUTS="${INPUTS:-one pq csv}"
PEER="${PEER:-1}"
mkdir -p "$WORK"
source benches/common.sh
BIN="${DETECT_BIN:-$BIN}"

# The peer's venv, keyed by the requirements' hash, so a changed pin
# builds a new one. python3.11 when present (the pins are for it).
peer_python() {
  local req="$ROOT/benches/requirements.txt" py
  py=$(command -v python3.11 || command -v python3)
  local venv="${PEER_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/ehrwatch/peer-venv-$(sha256sum "$req" | cut -c1-12)}"
  if [ ! -x "$venv/bin/python" ] || [ ! -f "$venv/.installed" ]; then
    echo "installing the Python peer's packages into $venv" >&2
    rm -rf "$venv"
    "$py" -m venv "$venv" >&2
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$req" >&2
    touch "$venv/.installed"
  fi
  echo "$venv/bin/python"
}
PY=$(peer_python)

if [ ! -d "$WORK/pq/access_log" ]; then
  echo "simulating $USERS users x $DAYS days into $WORK"
  "$BIN" simulate --out "$WORK/pq" --users "$USERS" --days "$DAYS" --seed "$SEED" --format parquet --patients 60000 --quiet
  "$BIN" simulate --out "$WORK/csv" --users "$USERS" --days "$DAYS" --seed "$SEED" --format csv --patients 60000 --quiet
  rm -rf "$WORK/one"
fi
[ -f "$WORK/one/access_log.parquet" ] || "$PY" benches/peer.py --one-file "$WORK/pq" "$WORK/one"
events=$(( $(wc -l < "$WORK/csv/access_log.csv") - 1 ))
echo "events: $events; inputs: one = one Parquet file, pq = daily Parquet files, csv = one CSV file"
rm -f "$WORK/measures.tsv"

# The floors read Parquet; the CSV input is measured against the daily
# Parquet files' floors (the same events).
measure "floor one" "$FLOOR" "$WORK/one" > /dev/null
measure "contract floor one" "$FLOOR" "$WORK/one" --contract > /dev/null
measure "floor pq" "$FLOOR" "$WORK/pq" > /dev/null
measure "contract floor pq" "$FLOOR" "$WORK/pq" --contract > /dev/null
for input in $INPUTS; do
  measure "detect $input" "$BIN" detect --input "$WORK/$input" --out "$WORK/out-$input" --quiet > /dev/null
  cp "$WORK/out-$input/summary.json" "$WORK/summary-$input.json"
  if [ "$PEER" = 1 ]; then
    measure "peer $input" "$PY" benches/peer.py "$WORK/$input" "$WORK/peer-$input" > /dev/null
  fi
done

python3 - "$WORK" $INPUTS <<'PY'
import json, sys
work, inputs = sys.argv[1], sys.argv[2:]
m = {}
for line in open(f"{work}/measures.tsv"):
    label, secs, kb, cpu = line.rstrip("\n").split("\t")
    m[label] = (float(secs), int(kb) / 1024, float(cpu))
floor_of = {"one": "one", "pq": "pq", "csv": "pq"}
print()
print(f"{'input':<5} {'detect':>16} {'contract floor':>16} {'floor':>7} {'peer':>16} "
      f"{'x contract':>10} {'x floor':>8} {'peer/detect':>11} {'cpu peer/detect':>15}")
for i in inputs:
    d, cf, f = m[f"detect {i}"], m[f"contract floor {floor_of[i]}"], m[f"floor {floor_of[i]}"]
    p = m.get(f"peer {i}")
    peer = f"{p[0]:6.2f} s {p[1] / 1024:4.2f} GB" if p else "-"
    ratio = f"{p[0] / d[0]:10.1f}x" if p else "-"
    cpu = f"{p[2] / d[2]:14.1f}x" if p else "-"
    print(f"{i:<5} {d[0]:6.2f} s {d[1] / 1024:4.2f} GB {cf[0]:6.2f} s {cf[1] / 1024:4.2f} GB {f[0]:6.2f}s "
          f"{peer:>16} {d[0] / cf[0]:9.2f}x {d[0] / f[0]:7.1f}x {ratio:>11} {cpu:>15}")
    s = json.load(open(f"{work}/summary-{i}.json"))
    print("      stages:", ", ".join(f"{k} {v:.2f} s" for k, v in s["wall_time_seconds"].items()))
PY
