# Shared by benches/pipeline.sh and benches/big.sh (sourced, not run):
# builds ehrwatch and the floor, and defines `measure LABEL COMMAND...`,
# which runs the command under GNU time, prints its wall time and peak RSS
# on stderr and its seconds on stdout, and appends "LABEL<TAB>seconds<TAB>
# peak KB<TAB>CPU seconds" to $WORK/measures.tsv. Needs WORK set.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/ehrwatch/target}"
command -v /usr/bin/time >/dev/null || { echo "needs GNU time (apt-get install time)"; exit 1; }

cargo build --release --quiet
cargo bench --no-run --quiet --bench floor 2>/dev/null || cargo bench --no-run --bench floor
BIN="$CARGO_TARGET_DIR/release/ehrwatch"
FLOOR=$(ls -t "$CARGO_TARGET_DIR"/release/deps/floor-* | grep -v '\.d$' | head -1)

measure() { # label, command...
  local label=$1; shift
  /usr/bin/time -f "%e %M %U %S" -o "$WORK/time.txt" "$@" > "$WORK/out.txt" 2>&1 || {
    echo "$label failed:" >&2; tail -5 "$WORK/out.txt" >&2; return 1; }
  read -r secs kb user sys < "$WORK/time.txt"
  printf '%-34s %8.2f s %8.0f MB\n' "$label" "$secs" "$((kb / 1024))" >&2
  printf '%s\t%s\t%s\t%s\n' "$label" "$secs" "$kb" "$(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }')" >> "$WORK/measures.tsv"
  echo "$secs"
}
