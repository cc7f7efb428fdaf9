# shellcheck shell=bash
# Shared helpers for bench/run.sh: logging, CPU pinning, process groups we own, /proc sampling.
# Sourced, not executed. Expects $RUN (per-run log dir) and $PIN to be set.

log() { printf '[%(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# pin <cpu> cmd...  — with PIN=1 the load side and the proxy get one core each, so a proxy's
# figure is "what one core does" and does not steal cycles from wrk or the upstreams.
pin() {
  if [[ "$PIN" == 1 ]]; then taskset -c "$1" "${@:2}"; else "${@:2}"; fi
}

# ------------------------------------------------------------------ processes we own
# Every server runs in its own session/process group (setsid), so its PID is also its PGID:
# CPU and RSS are summed over the whole group, and cleanup kills exactly what we started.
declare -A PGID=()
STARTED=()

start_bg() { # start_bg <name> <cpu> cmd...   (stdout+stderr -> $RUN/<name>.log)
  local name=$1 cpu=$2; shift 2
  if [[ "$PIN" == 1 ]]; then
    setsid taskset -c "$cpu" "$@" >"$RUN/$name.log" 2>&1 </dev/null &
  else
    setsid "$@" >"$RUN/$name.log" 2>&1 </dev/null &
  fi
  PGID[$name]=$!
  STARTED+=("$name")
}

stop_bg() { # stop_bg <name> [seconds]: TERM, then KILL after 2 (or <seconds>) s
  local g=${PGID[$1]:-} i
  [[ -z "$g" ]] && return 0
  kill -TERM -- "-$g" 2>/dev/null; kill -CONT -- "-$g" 2>/dev/null   # CONT: it may be paused
  for (( i = 0; i < ${2:-2} * 5; i++ )); do kill -0 -- "-$g" 2>/dev/null || break; sleep 0.2; done
  kill -KILL -- "-$g" 2>/dev/null
  unset "PGID[$1]"
}

cleanup() {
  local n gs=()
  # only groups still recorded (stop_bg forgets them); never "kill -- -0", that is our own group
  for n in "${STARTED[@]}"; do [[ -n "${PGID[$n]:-}" ]] && gs+=("${PGID[$n]}"); done
  (( ${#gs[@]} )) || return 0
  for n in "${gs[@]}"; do kill -TERM -- "-$n" 2>/dev/null; kill -CONT -- "-$n" 2>/dev/null; done
  sleep 1
  for n in "${gs[@]}"; do kill -KILL -- "-$n" 2>/dev/null; done
  STARTED=()
}

# port_in_use <port>: true if something already listens there. Checked before starting a
# server, so the bench never measures (or sanity-checks) someone else's process by mistake.
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_http() { # wait_http <port> <name> [path [curl args...]]: up to 20 s for a 200
  local port=$1 name=$2 path=${3:-/} i
  for i in $(seq 1 100); do
    [[ "$(curl -s -m 2 -o /dev/null -w '%{http_code}' "${@:4}" "http://127.0.0.1:$port$path")" == 200 ]] && return 0
    if ! kill -0 "${PGID[$name]}" 2>/dev/null; then
      log "$name exited during start-up; last lines of its log:"; tail -20 "$RUN/$name.log" >&2; return 1
    fi
    sleep 0.2
  done
  log "$name not answering 200 on :$port$path after 20 s"; tail -20 "$RUN/$name.log" >&2; return 1
}

# ------------------------------------------------------------------ /proc sampling
CLK_TCK=$(getconf CLK_TCK)
PAGE_KB=$(( $(getconf PAGESIZE) / 1024 ))

# One pass over /proc: "pgid utime+stime rss_pages" per process. The sub() strips "pid (comm) "
# because comm may contain spaces.
proc_table() { cat /proc/[0-9]*/stat 2>/dev/null | awk '{ sub(/^.*\) /, ""); print $3, $12+$13, $22 }'; }
group_rss_kb() { proc_table | awk -v g="$1" -v pk="$PAGE_KB" '$1==g{s+=$3} END{print s*pk+0}'; }
group_ticks()  { proc_table | awk -v g="$1" '$1==g{s+=$2} END{print s+0}'; }

# CPU ticks of every process group we started (to tell our load from other people's).
own_ticks() {
  local n gs=""
  for n in "${STARTED[@]}"; do gs+="${PGID[$n]:-} "; done
  proc_table | awk -v gs="$gs" 'BEGIN{n=split(gs,a," "); for(i=1;i<=n;i++)G[a[i]]=1} ($1 in G){s+=$2} END{print s+0}'
}
# user+nice+system+irq+softirq ticks of the whole box (a task's stime includes its softirq work).
box_busy_ticks() { awk '$1=="cpu"{print $2+$3+$4+$7+$8}' /proc/stat; }

# foreign_pct: CPU (% of one core) used by processes we did not start, over a 1 s window.
foreign_pct() {
  local a0 m0 a1 m1
  a0=$(box_busy_ticks); m0=$(own_ticks); sleep 1; a1=$(box_busy_ticks); m1=$(own_ticks)
  echo $(( ((a1 - a0) - (m1 - m0)) * 100 / CLK_TCK ))
}

# wait_quiet: other engineers share this box; a test suite running next to us would skew the
# figures. Wait until foreign load is <= QUIET_MAX % of a core, at most QUIET_TIMEOUT s per run
# and QUIET_BUDGET s over the whole bench (so a busy box cannot stretch the run past ~10 min).
QUIET_SPENT=0
wait_quiet() {
  local f waited=0
  while f=$(foreign_pct); (( f > QUIET_MAX )); do
    if (( waited >= QUIET_TIMEOUT || QUIET_SPENT >= QUIET_BUDGET )); then
      log "  box still busy (${f}% of a core used by others), measuring anyway (see bg% column)"; return 1
    fi
    (( waited == 0 )) && log "  box busy: ${f}% of a core used by other processes; waiting"
    sleep 2; waited=$((waited + 3)); QUIET_SPENT=$((QUIET_SPENT + 3))
  done
  (( waited > 0 )) && log "  box quiet again after ~${waited}s"
  return 0
}
