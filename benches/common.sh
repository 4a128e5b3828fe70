# Shared by benches/pipeline.sh and benches/big.sh (sourced, not run):
# builds ehrwatch and the floor, and defines `measure LABEL COMMAND...`,
# which runs the command under GNU time, prints its wall time and peak RSS
# on stderr and its seconds on stdout. Needs WORK set.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/ehrwatch/target}"
command -v /usr/bin/time >/dev/null || { echo "needs GNU time (apt-get install time)"; exit 1; }

cargo build --release --quiet
cargo bench --no-run --quiet --bench floor 2>/dev/null || cargo bench --no-run --bench floor
BIN="$CARGO_TARGET_DIR/release/ehrwatch"
FLOOR=$(ls -t "$CARGO_TARGET_DIR"/release/deps/floor-* | grep -v '\.d$' | head -1)

measure() { # label, command...
  local label=$1; shift
  /usr/bin/time -f "%e %M" -o "$WORK/time.txt" "$@" > "$WORK/out.txt" 2>&1
  read -r secs kb < "$WORK/time.txt"
  printf '%-34s %8.2f s %8.0f MB\n' "$label" "$secs" "$((kb / 1024))" >&2
  echo "$secs"
}
