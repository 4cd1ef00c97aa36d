#!/usr/bin/env bash
# Throughput comparison on a generated combined log: logveil with one and with all threads, and
# GoAccess and Webalizer when installed, measured in the same run on the same file.
#
#   benches/compare.sh            # 1 GiB file
#   SIZE=256M benches/compare.sh  # smaller
#
# Prints one table: tool, threads, MB/s, lines/s, peak RSS (from /usr/bin/time), and the ratio
# of each run's MB/s to GoAccess's.
set -euo pipefail
cd "$(dirname "$0")/.."

SIZE=${SIZE:-1G}
WORK=${WORK:-$(mktemp -d)}
LOG="$WORK/combined-$SIZE.log"
TIME=/usr/bin/time
[ -x "$TIME" ] || { echo "needs GNU time at /usr/bin/time (apt-get install time)" >&2; exit 1; }

cargo build --release --quiet --bin logveil --example generate
[ -f "$LOG" ] || target/release/examples/generate --size "$SIZE" -o "$LOG"
BYTES=$(stat -L -c %s "$LOG")
LINES=$(wc -l <"$LOG")
CORES=$(nproc)

results="$WORK/results.tsv"
: >"$results"

# measure NAME THREADS COMMAND...: runs the command once, appends "name threads seconds rss_kb".
measure() {
  local name=$1 threads=$2
  shift 2
  cat "$LOG" >/dev/null # warm the page cache the same way for every tool
  "$TIME" -f "%e %M" -o "$WORK/time.txt" "$@" >/dev/null 2>"$WORK/stderr.txt" || {
    echo "$name failed: $(tail -n 3 "$WORK/stderr.txt")" >&2
    return 0
  }
  read -r secs rss <"$WORK/time.txt"
  printf '%s\t%s\t%s\t%s\n' "$name" "$threads" "$secs" "$rss" >>"$results"
}

measure logveil 1 target/release/logveil report --threads 1 --format json -o "$WORK/logveil.json" "$LOG"
measure logveil "$CORES" target/release/logveil report --threads "$CORES" --format json -o "$WORK/logveil.json" "$LOG"
if command -v goaccess >/dev/null; then
  measure "goaccess $(goaccess --version | head -n 1 | grep -o '[0-9][0-9.]*[0-9]' | head -n 1)" 1 \
    goaccess --log-format=COMBINED -o "$WORK/goaccess.json" "$LOG"
  if goaccess --help 2>&1 | grep -q -- '--jobs'; then
    measure "goaccess" "$CORES" goaccess --log-format=COMBINED --jobs="$CORES" -o "$WORK/goaccess.json" "$LOG"
  fi
fi
if command -v webalizer >/dev/null; then
  mkdir -p "$WORK/webalizer"
  measure webalizer 1 webalizer -F clf -Q -p -o "$WORK/webalizer" "$LOG"
fi

echo "file: $SIZE generated combined log, $BYTES bytes, $LINES lines; machine: $CORES cores, $(uname -m), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
awk -v bytes="$BYTES" -v lines="$LINES" -F'\t' '
  { name[NR]=$1; threads[NR]=$2; secs[NR]=$3; rss[NR]=$4
    if ($1 ~ /^goaccess/ && ga == "") ga = bytes / 1e6 / $3 }
  END {
    printf "%-16s %7s %9s %12s %10s %14s\n", "tool", "threads", "MB/s", "lines/s", "peak RSS", "vs GoAccess"
    for (i = 1; i <= NR; i++) {
      mbs = bytes / 1e6 / secs[i]
      ratio = ga == "" ? "-" : sprintf("%.1fx", mbs / ga)
      printf "%-16s %7s %9.1f %12.0f %7.0f MB %14s\n", name[i], threads[i], mbs, lines / secs[i], rss[i] / 1024, ratio
    }
  }' "$results"
