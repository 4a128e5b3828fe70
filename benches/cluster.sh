#!/usr/bin/env bash
# detect --engine ballista on a cluster of separate processes on this
# machine (a scheduler and 2 executors, `ehrwatch cluster ...`, over
# loopback) next to --engine local, on simulated worlds of about 11.7 M
# events (900 users x 100 days) and, with BIG=1, 100 M events (2,600 users
# x 260 days, as benches/big.sh). Prints wall time, peak RSS and CPU time
# of the driver and of each cluster process, and checks that the outputs
# are the same bytes. The cluster runs once per scan mode (SCANS, default
# "whole split shuffle"): each executor reading the whole log once
# (--whole-scan);
# --split-scan (each task reading only its partition's users' rows of a
# Parquet log); --shuffle (a task per slice of the log reads it once and
# shuffles its rows by user; the driver reads only the context tables;
# the default for a Parquet log).
# Builds with the `cluster` feature. See benches/README.md.
# W12=DIR (and W100=DIR) run on a bundle simulated before instead;
# SKIP12=1 skips the 11.7 M world (with BIG=1, only the 100 M one runs).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/ehrwatch/target}"
WORK="${WORK:-$(mktemp -d)}"
command -v /usr/bin/time >/dev/null || { echo "needs GNU time (apt-get install time)"; exit 1; }
# BIN=PATH runs a binary built with the feature before, without building.
if [ -z "${BIN:-}" ]; then
  cargo build --release --quiet --features cluster
  BIN="$CARGO_TARGET_DIR/release/ehrwatch"
fi
SCHED_PORT="${SCHED_PORT:-50050}"

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

peak_mb() { # pid: its peak resident set (VmHWM), in MB
  awk '/VmHWM/ { printf "%d", $2 / 1024 }' "/proc/$1/status" 2>/dev/null || echo "?"
}

cpu_s() { # pid: its CPU time so far (user + system), in seconds
  awk -v hz="$(getconf CLK_TCK)" '{ printf "%.1f", ($14 + $15) / hz }' "/proc/$1/stat" 2>/dev/null || echo "?"
}

wait_port() { # port
  for _ in $(seq 1 300); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "nothing listens on port $1"; exit 1
}

measure() { # label, command...: wall seconds, the command's peak RSS and CPU time
  local label=$1; shift
  /usr/bin/time -f "%e %M %U %S" -o "$WORK/time.txt" "$@" > "$WORK/out.txt" 2>&1 || { cat "$WORK/out.txt"; exit 1; }
  read -r secs kb user sys < "$WORK/time.txt"
  printf '  %-40s %8.2f s %8d MB %8.1f CPU-s\n' "$label" "$secs" "$((kb / 1024))" "$(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }')"
}

# A fresh scheduler and two executors for each world, so peak RSS is that
# world's.
start_cluster() {
  "$BIN" cluster scheduler --bind "127.0.0.1:$SCHED_PORT" > "$WORK/scheduler.log" 2>&1 &
  pids=($!)
  wait_port "$SCHED_PORT"
  for i in 1 2; do
    "$BIN" cluster executor --scheduler "df://127.0.0.1:$SCHED_PORT" \
      --port $((SCHED_PORT + 10 * i + 1)) --grpc-port $((SCHED_PORT + 10 * i + 2)) \
      --work-dir "$WORK/executor-$i" > "$WORK/executor-$i.log" 2>&1 &
    pids+=($!)
    mkdir -p "$WORK/executor-$i"
    wait_port $((SCHED_PORT + 10 * i + 1))
  done
}

run_world() { # name users days patients [existing bundle]
  local name=$1 users=$2 days=$3 patients=$4
  local world="${5:-$WORK/$name}"
  if [ ! -e "$world/access_log" ] && [ ! -e "$world/access_log.parquet" ]; then
    echo "simulating $users users x $days days into $world"
    "$BIN" simulate --out "$world" --users "$users" --days "$days" --seed 7 --format parquet --patients "$patients" > /dev/null
  fi
  echo "$name (${5:-$users users x $days days}):"
  measure "detect --engine local" "$BIN" detect --input "$world" --out "$WORK/$name-local" --quiet "${config[@]}"
  # Each executor reading the whole log once; (--split-scan, a Parquet
  # log) each task reading only its partition's users' rows; (--shuffle)
  # each slice of the log read once and shuffled by user.
  for scan in ${SCANS:-whole split shuffle}; do
    local flag=()
    [ "$scan" = whole ] && flag=(--whole-scan)
    [ "$scan" = split ] && flag=(--split-scan)
    [ "$scan" = shuffle ] && flag=(--shuffle)
    start_cluster
    measure "detect --engine ballista, $scan (driver)" "$BIN" detect --input "$world" --out "$WORK/$name-$scan" --quiet \
      --engine ballista --scheduler "df://127.0.0.1:$SCHED_PORT" "${flag[@]}" "${config[@]}"
    printf '  %-40s %8s   %8s MB %8s CPU-s\n' "scheduler (peak)" "" "$(peak_mb "${pids[0]}")" "$(cpu_s "${pids[0]}")"
    printf '  %-40s %8s   %8s MB %8s CPU-s\n' "executor 1 (peak)" "" "$(peak_mb "${pids[1]}")" "$(cpu_s "${pids[1]}")"
    printf '  %-40s %8s   %8s MB %8s CPU-s\n' "executor 2 (peak)" "" "$(peak_mb "${pids[2]}")" "$(cpu_s "${pids[2]}")"
    cleanup
    wait 2>/dev/null || true
    for f in alerts.csv cases.csv user_features.parquet; do
      cmp -s "$WORK/$name-local/$f" "$WORK/$name-$scan/$f" || { echo "  $f DIFFERS ($scan)"; exit 1; }
    done
  done
  python3 -c "import json,sys; s=json.load(open(sys.argv[1])); print(f\"  {s['events_read']:,} events, {s['alerts']} alerts; alerts.csv, cases.csv, user_features.parquet identical\")" \
    "$WORK/$name-local/summary.json"
}

# The 100 M world's 260 days from 2026-10-01 reach into the future; as
# benches/big.sh, its runs allow future days.
printf '[input]\nmax_days_ahead = 36600\n' > "$WORK/future.toml"
# W12=DIR and W100=DIR name bundles simulated before (as above).
config=()
[ "${SKIP12:-0}" = 1 ] || run_world w12m 900 100 40000 "${W12:-}"
if [ "${BIG:-0}" = 1 ]; then
  config=(--config "$WORK/future.toml")
  run_world w100m 2600 260 60000 "${W100:-}"
fi
