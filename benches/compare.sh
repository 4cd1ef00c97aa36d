#!/usr/bin/env bash
# Throughput comparison on a combined log, generated or given as LOG: logveil with one and with all threads, and
# GoAccess and Webalizer when installed, measured in the same run on the same file; then gzip and
# zstd decoding alone against logveil reading the same compressed file. A memchr field split of
# the file (examples/field_split.rs) gives this machine's ceiling for any log analyser.
#
#   benches/compare.sh            # 1 GiB file, every tool run 3 times
#   SIZE=256M RUNS=1 benches/compare.sh  # smaller and once
#   PAIRS=9 benches/compare.sh    # more one- and many-thread logveil pairs after the rounds
#   DAYS=365 benches/compare.sh   # the generated lines spread over a year instead of 30 days
#   LOG=/path/access.log benches/compare.sh  # a plain combined log of your own, not a generated one
#   apt-get install time goaccess webalizer zstd   # what it measures against
#
# Prints one table: tool, threads, MB/s, lines/s, peak RSS (from /usr/bin/time), and the ratio
# of each run's MB/s to GoAccess's and Webalizer's, and of logveil on compressed input to the
# decoder's own speed. MB/s is always of the uncompressed log. The tools run in rounds, every
# tool once per round, and each row keeps its fastest time and its largest peak RSS: timings on
# a shared machine drift by tens of percent within minutes, and rounds expose every tool to the
# same drift.
set -euo pipefail
cd "$(dirname "$0")/.."

SIZE=${SIZE:-1G}
DAYS=${DAYS:-30}
RUNS=${RUNS:-3}
PAIRS=${PAIRS:-6}
WORK=${WORK:-$(mktemp -d)}
mkdir -p "$WORK"
# A log given as LOG is only read: its compressed copies go to WORK. Webalizer ignores lines older
# than the line before, so its row only counts for a log in time order.
if [ -n "${LOG:-}" ]; then
  [ -f "$LOG" ] || { echo "LOG=$LOG: no such file" >&2; exit 1; }
  DESCRIPTION=$LOG
else
  # The generator's default span keeps its file name, so earlier work folders still serve.
  if [ "$DAYS" = 30 ]; then LOG="$WORK/combined-$SIZE.log"; else LOG="$WORK/combined-$SIZE-${DAYS}d.log"; fi
  DESCRIPTION="$SIZE generated combined log over $DAYS days"
fi
COPY="$WORK/$(basename "$LOG")"
TIME=/usr/bin/time
[ -x "$TIME" ] || { echo "needs GNU time at /usr/bin/time (apt-get install time)" >&2; exit 1; }

cargo build --release --quiet --bin logveil --example generate --example field_split
[ -f "$LOG" ] || target/release/examples/generate --size "$SIZE" --days "$DAYS" -o "$LOG"
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

for _round in $(seq "$RUNS"); do
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
    # A fresh output directory: left-over history from an earlier run makes it skip the log.
    rm -rf "$WORK/webalizer" && mkdir -p "$WORK/webalizer"
    # By its real path: Webalizer refuses to open a symbolic link.
    measure webalizer 1 webalizer -F clf -Q -o "$WORK/webalizer" "$(readlink -f "$LOG")"
  fi

  measure "field split" 1 target/release/examples/field_split "$LOG"

  # Compressed input: the decoder alone, then logveil on the same compressed file. MB/s is of the
  # uncompressed bytes in both rows, so the two compare directly.
  if command -v gzip >/dev/null; then
    [ -s "$COPY.gz" ] || gzip -c <"$LOG" >"$COPY.gz"
    measure "gzip -d" 1 sh -c "gzip -dc '$COPY.gz' >/dev/null"
    measure "logveil .gz" "$CORES" target/release/logveil report --threads "$CORES" --format json -o "$WORK/logveil.json" "$COPY.gz"
  fi
  if command -v zstd >/dev/null; then
    # From standard input: zstd skips symbolic links given as file names.
    [ -s "$COPY.zst" ] || zstd -q -c <"$LOG" >"$COPY.zst"
    measure "zstd -d" 1 sh -c "zstd -dc '$COPY.zst' >/dev/null"
    measure "logveil .zst" "$CORES" target/release/logveil report --threads "$CORES" --format json -o "$WORK/logveil.json" "$COPY.zst"
  fi
done

# The gain of all threads over one, measured apart from the rounds: back-to-back pairs of logveil
# runs, alternating which of the two goes first, so that a drift of the machine favours neither.
pairs="$WORK/pairs.tsv"
: >"$pairs"
if [ "$CORES" -gt 1 ]; then
  for pair in $(seq "$PAIRS"); do
    for threads in $( ((pair % 2)) && echo "1 $CORES" || echo "$CORES 1"); do
      cat "$LOG" >/dev/null
      "$TIME" -f "%e" -o "$WORK/time.txt" target/release/logveil report --threads "$threads" \
        --format json -o "$WORK/logveil.json" "$LOG" >/dev/null 2>"$WORK/stderr.txt"
      printf '%s\t%s\n' "$threads" "$(cat "$WORK/time.txt")" >>"$pairs"
    done
  done
fi

echo "file: $DESCRIPTION, $BYTES bytes, $LINES lines; best of $RUNS runs; machine: $CORES cores, $(uname -m), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
awk -v bytes="$BYTES" -v lines="$LINES" -F'\t' '
  { row = $1 "\t" $2
    if (!(row in seen)) { seen[row] = ++n; name[n] = $1; threads[n] = $2; secs[n] = $3; rss[n] = $4 }
    i = seen[row]
    if ($3 < secs[i]) secs[i] = $3
    if ($4 > rss[i]) rss[i] = $4 }
  END {
    for (i = 1; i <= n; i++) {
      if (name[i] ~ /^goaccess/ && ga == "") ga = bytes / 1e6 / secs[i]
      if (name[i] == "webalizer") wa = bytes / 1e6 / secs[i]
      if (name[i] == "gzip -d") gz = bytes / 1e6 / secs[i]
      if (name[i] == "zstd -d") zs = bytes / 1e6 / secs[i]
      if (name[i] == "field split") fs = bytes / 1e6 / secs[i]
      if (name[i] == "logveil" && threads[i] == 1) one = bytes / 1e6 / secs[i]
    }
    printf "%-16s %7s %9s %12s %10s %12s %13s %12s\n", "tool", "threads", "MB/s", "lines/s", "peak RSS", "vs GoAccess", "vs Webalizer", "vs decoder"
    for (i = 1; i <= n; i++) {
      mbs = bytes / 1e6 / secs[i]
      ratio = ga == "" ? "-" : sprintf("%.1fx", mbs / ga)
      wratio = wa == "" ? "-" : sprintf("%.1fx", mbs / wa)
      dec = "-"
      if (name[i] == "logveil .gz" && gz != "") dec = sprintf("%.0f%%", 100 * mbs / gz)
      if (name[i] == "logveil .zst" && zs != "") dec = sprintf("%.0f%%", 100 * mbs / zs)
      printf "%-16s %7s %9.1f %12.0f %7.0f MB %12s %13s %12s\n", name[i], threads[i], mbs, lines / secs[i], rss[i] / 1024, ratio, wratio, dec
    }
    if (fs != "" && one != "") printf "logveil with one thread: %.0f%% of the field split'"'"'s speed\n", 100 * one / fs
    for (i = 1; i <= n; i++) if (secs[i] == 0) { print "some runs took under 0.01 s, too short to time: use a larger log"; break }
  }' "$results"
# gains LABEL: the median and the sorted list of the ratios on standard input, one a line; a `#`
# in LABEL becomes their number.
gains() {
  sort -g | awk -v label="$1" '
    { r[++n] = $1 }
    END {
      if (n == 0) exit
      gsub("#", n, label)
      list = ""
      for (i = 1; i <= n; i++) list = list sprintf("%s%.2fx", i > 1 ? " " : "", r[i])
      printf "logveil with %s: median %.2fx (%s)\n", label, n % 2 ? r[(n + 1) / 2] : (r[n / 2] + r[n / 2 + 1]) / 2, list
    }'
}
# The two logveil runs of a round follow each other, so their ratio drifts less than the ratio of
# the rows' best times, which may come from different rounds.
if [ "$CORES" -gt 1 ]; then
  awk -F'\t' -v cores="$CORES" '
    $1 == "logveil" && $2 == 1 { one = $3 }
    $1 == "logveil" && $2 == cores && one != "" { print one / $3; one = "" }' "$results" |
    gains "$CORES threads against one, round by round"
  awk -F'\t' -v cores="$CORES" '{ secs[$1] = $2; if (++k % 2 == 0) print secs[1] / secs[cores] }' "$pairs" |
    gains "$CORES threads against one, # more back-to-back pairs"
fi
