#!/usr/bin/env bash
# Runs each fuzz target for a while and fails if any finds something (a crash, a sanitizer report,
# a broken property, a leak, an input slower than 10 s).
#   fuzz/run.sh BUILD_DIR SECONDS [TARGET...]      (default: every target built from fuzz/)
# Each target starts from its seed corpus in fuzz/corpus/<target> (read only) plus what earlier
# runs found in BUILD_DIR/corpus/<target>, where new inputs go. Findings are saved as
# BUILD_DIR/findings/<target>-crash-<sha1> (or leak-, timeout-, oom-); logs in BUILD_DIR/logs/.
# FUZZ_JOBS (default: the number of cores) targets run at once.
set -uo pipefail

build=${1:?usage: fuzz/run.sh BUILD_DIR SECONDS [TARGET...]}
seconds=${2:?usage: fuzz/run.sh BUILD_DIR SECONDS [TARGET...]}
shift 2
here=$(cd "$(dirname "$0")" && pwd)
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for source in "$here"/*_fuzzer.cpp; do
    name=$(basename "$source" _fuzzer.cpp)
    targets+=("$name")
  done
fi
jobs=${FUZZ_JOBS:-$(nproc)}

mkdir -p "$build/corpus" "$build/findings" "$build/logs"
# Symbolized stack traces in reports, when Debian's llvm-14 provides the symbolizer.
for symbolizer in "$(command -v llvm-symbolizer || true)" /usr/lib/llvm-14/bin/llvm-symbolizer; do
  if [ -n "$symbolizer" ] && [ -x "$symbolizer" ]; then
    export ASAN_SYMBOLIZER_PATH=$symbolizer
    break
  fi
done
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}

run_one() {
  local target=$1
  local corpus=$build/corpus/$target
  local options=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
                 -artifact_prefix="$build/findings/$target-")
  [ -f "$here/$target.dict" ] && options+=(-dict="$here/$target.dict")
  local corpora=("$corpus")
  [ -d "$here/corpus/$target" ] && corpora+=("$here/corpus/$target")
  mkdir -p "$corpus"
  "$build/$target" "${options[@]}" "${corpora[@]}" >"$build/logs/$target.log" 2>&1
}

# Runs up to $jobs targets at a time; remembers each exit status.
declare -A status=()
declare -A running=()
for target in "${targets[@]}"; do
  if [ ! -x "$build/$target" ]; then
    echo "fuzz: no target $build/$target" >&2
    exit 2
  fi
  while [ ${#running[@]} -ge "$jobs" ]; do
    wait -n -p finished
    status[${running[$finished]}]=$?
    unset "running[$finished]"
  done
  run_one "$target" &
  running[$!]=$target
done
while [ ${#running[@]} -gt 0 ]; do
  wait -n -p finished
  status[${running[$finished]}]=$?
  unset "running[$finished]"
done

failed=0
for target in "${targets[@]}"; do
  log=$build/logs/$target.log
  # "#123456 DONE cov: 512 ft: 2048 corp: 300/20Kb lim: 4096 exec/s: 8230 rss: 480Mb"
  summary=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -1 | tr -s ' \t' ' ')
  if [ "${status[$target]}" -eq 0 ]; then
    printf 'fuzz: %-16s ok    %s\n' "$target" "${summary:-(no summary)}"
    continue
  fi
  failed=1
  printf 'fuzz: %-16s FOUND something (exit %s); log: %s\n' "$target" "${status[$target]}" "$log"
  grep -E 'property failed|ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error|Assertion' \
    "$log" | head -5 | sed 's/^/    /'
  grep -E "Test unit written to" "$log" | sed "s|.*Test unit written to |    reproduce: $build/$target |"
done
exit $failed
