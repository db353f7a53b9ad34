#!/usr/bin/env bash
# Whole-server throughput: Postfix's smtp-source drives ternd (and, with --peer, a Postfix 3.7 in the same run)
# over loopback; messages accepted per second, messages delivered to Maildir per second, CPU and memory.
#
#   bench/throughput.sh [--peer | --peer-only | --sink] [--profile]     (make bench: no options)
#
#   --peer   also measure Postfix, alternating tern/postfix each round, and print the ratios (needs root)
#   --peer-only  only Postfix (checks the peer set-up on a new machine; needs no ternd)
#   --profile  after the measured rounds, one more tern round (not counted) under `perf record -g`;
#            the hottest symbols go to bench/results/profile.txt
#   --sink   only measure the client against smtp-sink (an in-memory null server): checks the harness and
#            shows the client's ceiling on this machine; needs no ternd
#
# Environment: N (messages per round, 10000), ROUNDS (3), SESSIONS (20), SIZE (4096 bytes),
#   SOURCE_OPTS (extra smtp-source options, e.g. -d to keep connections open; default: a new connection
#   per message), TERND (build/release/ternd), SOURCE_TIMEOUT (600 s per smtp-source run),
#   DELIVER_TIMEOUT (300 s after the last message is accepted), BENCH_CACHE (/var/tmp/tern-bench),
#   KEEP=1 keeps the run directory (configs, logs).
# Writes bench/results/latest.md and prints it. Loopback only; every process it starts is stopped on exit.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
N=${N:-10000}
ROUNDS=${ROUNDS:-3}
SESSIONS=${SESSIONS:-20}
SIZE=${SIZE:-4096}
SOURCE_OPTS=${SOURCE_OPTS:-}
SOURCE_TIMEOUT=${SOURCE_TIMEOUT:-600}
DELIVER_TIMEOUT=${DELIVER_TIMEOUT:-300}
TERND=${TERND:-$ROOT/build/release/ternd}
export BENCH_CACHE=${BENCH_CACHE:-/var/tmp/tern-bench}
RESULTS=$HERE/results/latest.md

PEER=0 PEER_ONLY=0 SINK_ONLY=0 PROFILE=0
for arg in "$@"; do
  case $arg in
    --peer) PEER=1 ;;
    --peer-only) PEER=1 PEER_ONLY=1 ;;
    --sink) SINK_ONLY=1 ;;
    --profile) PROFILE=1 ;;
    -h|--help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "throughput.sh: unknown option $arg (try --help)" >&2; exit 2 ;;
  esac
done
for v in N ROUNDS SESSIONS SIZE SOURCE_TIMEOUT DELIVER_TIMEOUT; do
  [[ ${!v} =~ ^[1-9][0-9]*$ ]] || { echo "throughput.sh: $v must be a positive integer" >&2; exit 2; }
done

log() { printf '[bench %s] %s\n' "$(date +%T)" "$*" >&2; }
die() { log "error: $*"; exit 1; }
now() { echo "$EPOCHREALTIME"; }
calc() { awk "BEGIN { printf \"%.${2:-1}f\", $1 }"; }
median() { printf '%s\n' "$@" | { grep -E '^[0-9.]+$' || true; } | sort -g | awk '{ v[NR] = $1 }
  END { if (NR == 0) print "n/a"; else if (NR % 2) print v[(NR + 1) / 2]; else printf "%g\n", (v[NR/2] + v[NR/2+1]) / 2 }'; }

# ---------------------------------------------------------------- set-up and clean-up
mapfile -t TOOLS < <("$HERE/postfix-tools.sh" tools) || die "cannot set up smtp-source (see above)"
[ ${#TOOLS[@]} -eq 3 ] || die "cannot set up smtp-source"
SMTP_SOURCE=${TOOLS[0]} SMTP_SINK=${TOOLS[1]} PFX_LIB=${TOOLS[2]}
PFX_VERSION=$(ls "$BENCH_CACHE"/debs/postfix_*.deb 2>/dev/null | tail -1 | sed 's/.*postfix_\([^_]*\)_.*/\1/')

if [ "$SINK_ONLY" = 0 ] && [ "$PEER_ONLY" = 0 ]; then
  [ -x "$TERND" ] || die "no ternd at $TERND (build it: make build, or set TERND=path)"
fi

mkdir -p "$BENCH_CACHE"
WORK=$(mktemp -d "$BENCH_CACHE/run.XXXXXX")
chmod 0755 "$WORK"   # ternd drops to mail_owner; it must be able to traverse into its directories
CHILD_PIDS=() PEER_DIRS=() PROBLEMS=()
cleanup() {
  local rc=$?
  for pid in "${CHILD_PIDS[@]}"; do
    kill -TERM "$pid" 2>/dev/null || continue
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  for dir in "${PEER_DIRS[@]}"; do "$HERE/postfix-tools.sh" peer-stop "$dir" || true; done
  if [ "${KEEP:-0}" = 1 ] || [ $rc -ne 0 ]; then
    log "run directory kept: $WORK"
  else
    rm -rf "$WORK"
  fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

forget_pid() { local keep=() p; for p in "${CHILD_PIDS[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done; CHILD_PIDS=("${keep[@]}"); }

free_port() {
  local p
  for _ in $(seq 100); do
    p=$((20000 + RANDOM % 12000))   # below the usual ephemeral range (32768-60999), clear of client ports
    ss -Hltn "sport = :$p" 2>/dev/null | grep -q . || { echo "$p"; return 0; }
  done
  return 1
}

# wait_listening PORT PID: until something listens on 127.0.0.1:PORT (10 s), or PID dies
wait_listening() {
  for _ in $(seq 100); do
    ss -Hltn "sport = :$1" 2>/dev/null | grep -q . && return 0
    [ -z "${2:-}" ] || kill -0 "$2" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

count_files() { [ -d "$1" ] && find "$1" -maxdepth 1 -type f -printf . 2>/dev/null | wc -c || echo 0; }

CLK_TCK=$(getconf CLK_TCK)
# cpu_ticks PID: utime+stime+cutime+cstime of the process (all its threads, and its reaped children)
cpu_ticks() { sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | awk '{ t = $12 + $13 + $14 + $15 } END { print t + 0 }'; }
children_of() { awk -v p="$1" '{ sub(/.*\) /, ""); if ($2 == p) print FILENAME }' /proc/[0-9]*/stat 2>/dev/null |
                sed 's|/proc/\([0-9]*\)/stat|\1|'; }
pss_kib() { cat "/proc/$1/smaps_rollup" 2>/dev/null | awk '/^Pss:/ { v = $2 } END { print v + 0 }'; }
hwm_kib() { cat "/proc/$1/status" 2>/dev/null | awk '/^VmHWM:/ { v = $2 } END { print v + 0 }'; }

# ---------------------------------------------------------------- one measured run
# run_load PORT MAILDIR_NEW LABEL: smtp-source N messages, then wait for N files in MAILDIR_NEW (skipped if "")
# Sets R_ACC (msgs/s accepted), R_DEL (msgs/s delivered, or n/a), R_DELIVERED (files), R_SRC_RC, R_NOTE.
run_load() {
  local port=$1 maildir=$2 label=$3 t0 t1 t2 rc delivered
  R_NOTE=""
  t0=$(now)
  # shellcheck disable=SC2086
  LD_LIBRARY_PATH=$PFX_LIB timeout "$SOURCE_TIMEOUT" "$SMTP_SOURCE" $SOURCE_OPTS -s "$SESSIONS" -l "$SIZE" \
    -m "$N" -f sender@bench.test -t bench@bench.test "127.0.0.1:$port" >"$WORK/$label.source.log" 2>&1 && rc=0 || rc=$?
  t1=$(now)
  R_SRC_RC=$rc
  if [ "$rc" -ne 0 ]; then
    R_ACC="failed"
    R_NOTE="smtp-source exit $rc$( [ "$rc" = 124 ] && echo " (timeout ${SOURCE_TIMEOUT}s)"): $(tail -2 "$WORK/$label.source.log" | tr '\n' ' ')"
  else
    R_ACC=$(calc "$N / ($t1 - $t0)")
  fi
  R_DEL="n/a" R_DELIVERED=""
  [ -n "$maildir" ] || return 0
  # Poll (bounded) until N files are in Maildir/new; after a failed load, until the count stops moving.
  local limit=$((DELIVER_TIMEOUT * 20)) last=-1 still=0
  [ "$rc" -eq 0 ] || limit=200
  for ((i = 0; i < limit; i++)); do
    delivered=$(count_files "$maildir")
    [ "$delivered" -ge "$N" ] && break
    if [ "$rc" -ne 0 ]; then
      if [ "$delivered" = "$last" ]; then ((++still >= 40)) && break; else still=0; fi
    fi
    last=$delivered
    sleep 0.05
  done
  t2=$(now)
  R_DELIVERED=$delivered
  if [ "$delivered" -ge "$N" ] && [ "$rc" -eq 0 ]; then
    R_DEL=$(calc "$N / ($t2 - $t0)")
  else
    R_DEL="incomplete"
    R_NOTE="${R_NOTE:+$R_NOTE; }$delivered of $N delivered after $(calc "$t2 - $t1")s"
  fi
}

# ---------------------------------------------------------------- the three servers
run_sink() {
  local port pid args=()
  port=$(free_port) || die "no free port"
  [ "$(id -u)" = 0 ] && args=(-u nobody)
  LD_LIBRARY_PATH=$PFX_LIB "$SMTP_SINK" "${args[@]}" "127.0.0.1:$port" 1024 >"$WORK/sink.log" 2>&1 &
  pid=$!; CHILD_PIDS+=("$pid")
  wait_listening "$port" "$pid" || die "smtp-sink did not start: $(cat "$WORK/sink.log")"
  run_load "$port" "" sink
  SINK_ACC=$R_ACC
  [ -z "$R_NOTE" ] || PROBLEMS+=("smtp-sink run: $R_NOTE")
  kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; forget_pid "$pid"
}

run_tern() {
  local round=$1 dir port pid ticks
  dir="$WORK/tern.$round"
  mkdir -p "$dir"; chmod 0755 "$dir"
  port=$(free_port) || die "no free port"
  printf 'bench@bench.test::::::\n' > "$dir/users"; chmod 0644 "$dir/users"
  cat > "$dir/main.cf" <<CF
smtpd_listen = 127.0.0.1:$port
myhostname = bench.test
mydestination = bench.test
mynetworks = 127.0.0.0/8
queue_directory = $dir/spool
data_directory = $dir/data
smtpd_tls_security_level = none
mail_root = $dir/mail
local_recipient_maps = passwd-file:$dir/users
alias_maps =
smtpd_threads = 0
mail_owner = nobody
CF
  "$TERND" -c "$dir/main.cf" >"$dir/ternd.log" 2>&1 &
  pid=$!; CHILD_PIDS+=("$pid")
  if ! wait_listening "$port" "$pid"; then
    PROBLEMS+=("round $round: ternd did not start listening on 127.0.0.1:$port: $(tail -5 "$dir/ternd.log" | tr '\n' ' ')")
    log "ternd did not start; log:"; tail -20 "$dir/ternd.log" >&2
    die "ternd failed to start (config $dir/main.cf)"
  fi
  log "round $round: tern on port $port (pid $pid)"
  local perf_pid=""
  if [ "$round" = profile ]; then
    perf record -F 999 -g -p "$pid" -o "$WORK/perf.data" >"$WORK/perf.log" 2>&1 &
    perf_pid=$!; CHILD_PIDS+=("$perf_pid"); sleep 0.5
  fi
  run_load "$port" "$dir/mail/bench.test/bench/Maildir/new" "tern.$round"
  if [ -n "$perf_pid" ]; then
    kill -INT "$perf_pid" 2>/dev/null || true
    for _ in $(seq 300); do kill -0 "$perf_pid" 2>/dev/null || break; sleep 0.1; done
    wait "$perf_pid" 2>/dev/null || true; forget_pid "$perf_pid"
  fi
  if kill -0 "$pid" 2>/dev/null; then
    ticks=$(cpu_ticks "$pid")
    R_CPU=$(calc "$ticks / $CLK_TCK / $N * 1000" 3)
    R_RSS=$(calc "$(hwm_kib "$pid") / 1024")
    R_PROCS=$(( $(ls "/proc/$pid/task" | wc -l) ))   # threads, reported in the processes column as "1 (T threads)"
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
      PROBLEMS+=("round $round: ternd did not stop within 10 s of SIGTERM (killed)"); kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
  else
    wait "$pid" 2>/dev/null && rc=0 || rc=$?
    PROBLEMS+=("round $round: ternd died during the run (exit status $rc): $(tail -3 "$dir/ternd.log" | tr '\n' ' ')")
    R_CPU="n/a" R_RSS="n/a" R_PROCS="n/a"
  fi
  forget_pid "$pid"
  [ -z "$R_NOTE" ] || PROBLEMS+=("round $round tern: $R_NOTE")
  # Server-side complaints under load: count them, quote the first few.
  local complaints
  complaints=$(grep -Eic '\b(warn|warning|error|critical|fatal|panic)\b|\b4[0-9][0-9] [45]\.' "$dir/ternd.log" || true)
  if [ "$complaints" -gt 0 ]; then
    PROBLEMS+=("round $round: ternd logged $complaints warning/error lines, first: $(grep -Ei '\b(warn|warning|error|critical|fatal|panic)\b|\b4[0-9][0-9] [45]\.' "$dir/ternd.log" | head -3 | tr '\n' ' ')")
  fi
  local spool_left
  spool_left=$(find "$dir/spool" -type f 2>/dev/null | wc -l)
  [ "$spool_left" -eq 0 ] || [ "$R_DEL" = "incomplete" ] || R_NOTE="$spool_left files left in the spool"
  [ "$spool_left" -eq 0 ] || PROBLEMS+=("round $round: $spool_left files left in tern's spool after shutdown (${R_DELIVERED:-?} delivered)")
  mkdir -p "$WORK/logs"; cp "$dir/ternd.log" "$WORK/logs/ternd.$round.log"
  rm -rf "$dir"
}

PEER_STATUS=""
run_postfix() {
  local round=$1 dir port master ticks pss procs
  dir="$WORK/postfix.$round"
  port=$(free_port) || die "no free port"
  if ! "$HERE/postfix-tools.sh" peer-start "$dir" "$port" >"$WORK/postfix.$round.start.log" 2>&1; then
    PEER_STATUS="Postfix peer could not run here: $(tail -2 "$WORK/postfix.$round.start.log" | tr '\n' ' ')"
    return 1
  fi
  PEER_DIRS+=("$dir")
  if ! wait_listening "$port"; then
    PEER_STATUS="Postfix peer started but is not listening on 127.0.0.1:$port: $(tail -3 "$dir/postfix.log" 2>/dev/null | tr '\n' ' ')"
    "$HERE/postfix-tools.sh" peer-stop "$dir" || true
    return 1
  fi
  log "round $round: postfix on port $port"
  run_load "$port" "$dir/mail/bench.test/bench/Maildir/new" "postfix.$round"
  master=$(tr -dc 0-9 < "$dir/queue/pid/master.pid" 2>/dev/null || true)
  ticks=0 pss=0 procs=0
  if [ -n "$master" ] && kill -0 "$master" 2>/dev/null; then
    # master's own time + the time of children it reaped + every live child (smtpd, cleanup, qmgr, virtual...).
    # Memory: the sum of proportional set sizes (shared library pages split between the processes sharing
    # them; summing RSS would count libc ~60 times). Its processes are still up (idle until max_idle), so
    # this is close to their peak.
    for p in "$master" $(children_of "$master"); do
      ticks=$((ticks + $(cpu_ticks "$p"))); pss=$((pss + $(pss_kib "$p"))); procs=$((procs + 1))
    done
    R_CPU=$(calc "$ticks / $CLK_TCK / $N * 1000" 3)
    R_RSS=$(calc "$pss / 1024")
    R_PROCS=$procs
  else
    R_CPU="n/a" R_RSS="n/a" R_PROCS="n/a"
  fi
  [ -z "$R_NOTE" ] || PROBLEMS+=("round $round postfix: $R_NOTE")
  "$HERE/postfix-tools.sh" peer-stop "$dir" || true
  local keep=() d; for d in "${PEER_DIRS[@]}"; do [ "$d" = "$dir" ] || keep+=("$d"); done; PEER_DIRS=("${keep[@]}")
  mkdir -p "$WORK/logs"; cp "$dir/postfix.log" "$WORK/logs/postfix.$round.log" 2>/dev/null || true
  rm -rf "$dir"
}

# ---------------------------------------------------------------- rounds
T_ACC=() T_DEL=() T_CPU=() T_RSS=() P_ACC=() P_DEL=() P_CPU=() P_RSS=() ROWS=() T_THREADS="" P_PROCS=""
record() {  # record SERVER ROUND
  ROWS+=("| $2 | $1 | $R_ACC | $R_DEL | $R_CPU | $R_RSS | ${R_NOTE:-} |")
  if [ "$1" = tern ]; then T_ACC+=("$R_ACC"); T_DEL+=("$R_DEL"); T_CPU+=("$R_CPU"); T_RSS+=("$R_RSS"); T_THREADS=$R_PROCS
  else P_ACC+=("$R_ACC"); P_DEL+=("$R_DEL"); P_CPU+=("$R_CPU"); P_RSS+=("$R_RSS"); P_PROCS=$R_PROCS; fi
}

log "smtp-source $PFX_VERSION: $N messages, $SESSIONS sessions, $SIZE bytes${SOURCE_OPTS:+, options $SOURCE_OPTS}; work dir $WORK"
log "client ceiling: smtp-source against smtp-sink"
run_sink
log "smtp-sink: $SINK_ACC msgs/s"

if [ "$SINK_ONLY" = 0 ]; then
  PEER_OK=$PEER
  if [ "$PEER" = 1 ] && [ "$(id -u)" != 0 ]; then
    PEER_OK=0; PEER_STATUS="Postfix peer not run: it needs root (users postfix/postdrop, delivery as nobody)"
  fi
  for ((round = 1; round <= ROUNDS; round++)); do
    order="tern postfix"; (( round % 2 == 0 )) && order="postfix tern"
    for server in $order; do
      if [ "$server" = tern ]; then
        [ "$PEER_ONLY" = 0 ] || continue
        run_tern "$round"; record tern "$round"
        log "round $round tern: accepted $R_ACC/s, delivered $R_DEL/s, CPU $R_CPU s/1000, RSS $R_RSS MiB"
      elif [ "$PEER_OK" = 1 ]; then
        if run_postfix "$round"; then
          record postfix "$round"
          log "round $round postfix: accepted $R_ACC/s, delivered $R_DEL/s, CPU $R_CPU s/1000, RSS $R_RSS MiB"
        else
          PEER_OK=0; log "$PEER_STATUS"
        fi
      fi
    done
  done
fi

if [ "$PROFILE" = 1 ] && [ "$SINK_ONLY" = 0 ] && [ "$PEER_ONLY" = 0 ]; then
  if command -v perf >/dev/null; then
    run_tern profile
    log "profile round (under perf, not counted): accepted $R_ACC/s, delivered $R_DEL/s"
    mkdir -p "$HERE/results"
    {
      echo "# ternd profile: perf record -F 999 -g, $N messages, $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null)"
      echo "# under perf: accepted $R_ACC msgs/s, delivered $R_DEL msgs/s"
      echo "## self time by thread/library/symbol"
      timeout 300 perf report -i "$WORK/perf.data" --stdio --no-children --sort comm,dso,symbol -g none --percent-limit 0.5 2>/dev/null | grep -v '^#' | grep -v '^$' | head -80
      echo "## by library"
      timeout 300 perf report -i "$WORK/perf.data" --stdio --no-children --sort dso -g none --percent-limit 0.5 2>/dev/null | grep -v '^#' | grep -v '^$' | head -30
    } > "$HERE/results/profile.txt" || true
    log "profile written to bench/results/profile.txt"
  else
    PROBLEMS+=("--profile: perf is not installed (apt-get install linux-perf)")
  fi
fi

# ---------------------------------------------------------------- report
COMMIT=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
git -C "$ROOT" diff --quiet HEAD -- src apps CMakeLists.txt 2>/dev/null || COMMIT="$COMMIT (+ uncommitted changes in src/)"
CPU_MODEL=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
FS=$(df -T "$WORK" | awk 'NR == 2 { print $2 }')
ratio() { [[ $1 =~ ^[0-9.]+$ && $2 =~ ^[0-9.]+$ ]] && awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f×", a / b; else print "n/a" }' || echo "n/a"; }

mkdir -p "$HERE/results"
{
  echo "# tern throughput — $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  echo "- machine: $(nproc) CPUs ($CPU_MODEL), Linux $(uname -r), spool and Maildirs on $FS"
  echo "- commit: $COMMIT"
  echo "- client: Postfix smtp-source $PFX_VERSION -s $SESSIONS -l $SIZE -m $N${SOURCE_OPTS:+ $SOURCE_OPTS}" \
       "($( [[ $SOURCE_OPTS == *-d* ]] && echo "connections kept open" || echo "a new connection per message"), loopback)"
  echo "- accepted: N / time smtp-source took (every message got its 250); delivered: N / time from the start until N files were in Maildir/new"
  echo "- CPU: server user+system seconds per 1000 messages (Postfix: master + all its processes, reaped ones included); memory: ternd's peak resident set (VmHWM); Postfix: the sum of its processes' proportional set sizes (PSS) at the end of the run"
  echo
  if [ "$SINK_ONLY" = 1 ]; then
    echo "| server | accepted msgs/s |"
    echo "| --- | ---: |"
    echo "| smtp-sink (client ceiling, no disk) | $SINK_ACC |"
  else
    echo "Median of $ROUNDS round(s):"
    echo
    echo "| server | accepted msgs/s | delivered msgs/s | CPU s / 1000 msgs | memory MiB | processes |"
    echo "| --- | ---: | ---: | ---: | ---: | --- |"
    tm_acc=$(median "${T_ACC[@]}") tm_del=$(median "${T_DEL[@]}") tm_cpu=$(median "${T_CPU[@]}") tm_rss=$(median "${T_RSS[@]}")
    [ "$PEER_ONLY" = 1 ] || echo "| tern | $tm_acc | $tm_del | $tm_cpu | $tm_rss | 1 ($T_THREADS threads) |"
    if [ ${#P_ACC[@]} -gt 0 ]; then
      pm_acc=$(median "${P_ACC[@]}") pm_del=$(median "${P_DEL[@]}") pm_cpu=$(median "${P_CPU[@]}") pm_rss=$(median "${P_RSS[@]}")
      echo "| Postfix $PFX_VERSION (virtual → Maildir) | $pm_acc | $pm_del | $pm_cpu | $pm_rss | $P_PROCS |"
      [ "$PEER_ONLY" = 1 ] || echo "| **tern / Postfix** | **$(ratio "$tm_acc" "$pm_acc")** | **$(ratio "$tm_del" "$pm_del")** | Postfix uses $(ratio "$pm_cpu" "$tm_cpu") the CPU | | |"
    fi
    echo "| smtp-sink (client ceiling, no disk) | $SINK_ACC | – | – | – | 1 |"
    [ -z "$PEER_STATUS" ] || { echo; echo "**$PEER_STATUS** — no Postfix figures from this run."; }
    echo
    echo "Every round (order alternates so drift hits both servers alike):"
    echo
    echo "| round | server | accepted msgs/s | delivered msgs/s | CPU s / 1000 | memory MiB | note |"
    echo "| ---: | --- | ---: | ---: | ---: | ---: | --- |"
    printf '%s\n' "${ROWS[@]}"
  fi
  if [ ${#PROBLEMS[@]} -gt 0 ]; then
    echo
    echo "Problems seen:"
    echo
    printf -- '- %s\n' "${PROBLEMS[@]}"
  fi
} > "$RESULTS"
cat "$RESULTS"
