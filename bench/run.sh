#!/usr/bin/env bash
# Gatehouse's own benchmark: `npm run bench` (= bash bench/run.sh).
#
# Two nginx upstreams answer `hello`; wrk measures `direct` (one upstream, no proxy), the gateway
# CLI balancing round robin over both, and nginx/HAProxy doing the same as reference proxies.
# Adapted from shared/bench/bench.sh: each proxy is one process/worker/thread pinned to CPU 1,
# wrk and the upstreams share CPU 0; rounds are interleaved over targets (so a noisy moment hits
# every target, not one) and the median is reported. Installs nginx/wrk/haproxy when missing
# and run as root. Ports 18001-18002 (upstreams), 18010-18029 (proxies); loopback only.
#
# Env knobs (defaults):
#   ROUNDS=3  DURATION=10 (s per wrk run)  CONNS="64 16"  TARGETS="<every defined target>"
#   PIN=1 (0: no CPU pinning; compare figures only between runs with the same PIN)
#   QUICK=1  smoke run: ROUNDS=1 DURATION=3 and short warm-ups
#   WARMUP=2 (s before each target's runs in a round)  WARMUP_FIRST=5 (s, once per target: JIT)
#   THREADS=1 (wrk threads)  LOAD_CPU=0 PROXY_CPU=1
#   QUIET_MAX=15 QUIET_TIMEOUT=30  before a run, wait (bounded) until other processes use <= 15%
#   BG_MAX=25 MAX_RETRY=1  redo a run once if other processes used > 25% CPU during it
#   QUIET_BUDGET=120  total seconds the whole bench may spend on such waits and redos
#   NO_INSTALL=1  never apt-get install;  OUT=bench/results/<timestamp>
# Output: the table on stdout and in $OUT/summary.txt; raw.csv, wrk/*.txt, run/*.log beside it.
set -uo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BENCH="$REPO/bench"

if [[ "${QUICK:-0}" == 1 ]]; then
  : "${ROUNDS:=1}" "${DURATION:=3}" "${WARMUP:=1}" "${WARMUP_FIRST:=2}"
fi
ROUNDS="${ROUNDS:-3}"; DURATION="${DURATION:-10}"; CONNS="${CONNS:-64 16}"
WARMUP="${WARMUP:-2}"; WARMUP_FIRST="${WARMUP_FIRST:-5}"; THREADS="${THREADS:-1}"
PIN="${PIN:-1}"; LOAD_CPU="${LOAD_CPU:-0}"; PROXY_CPU="${PROXY_CPU:-1}"
QUIET_MAX="${QUIET_MAX:-15}"; QUIET_TIMEOUT="${QUIET_TIMEOUT:-30}"; QUIET_BUDGET="${QUIET_BUDGET:-120}"
BG_MAX="${BG_MAX:-25}"; MAX_RETRY="${MAX_RETRY:-1}"
OUT="${OUT:-$BENCH/results/$(date +%Y%m%d-%H%M%S)}"
RUN="$OUT/run"; GEN="$OUT/gen"; RAW="$OUT/raw.csv"
UP1=18001; UP2=18002

source "$BENCH/lib/common.sh"
source "$BENCH/lib/deps.sh"
source "$BENCH/lib/servers.sh"
source "$BENCH/lib/measure.sh"
source "$BENCH/lib/report.sh"

# ------------------------------------------------------------------ the targets
# define_target <name> <port> <request path> <starter> [starter args...]
# The starter is called as `<starter> <name> <port> [args...]` (lib/servers.sh). Row order in
# the table follows this list. A new runtime is one line, e.g. the commented ones below.
declare -A T_PORT=() T_PATH=() T_START=()
ALL_TARGETS=()
define_target() {
  local name=$1; T_PORT[$name]=$2; T_PATH[$name]=$3; T_START[$name]="${*:4}"; ALL_TARGETS+=("$name")
}
define_target direct                   $UP1  /                start_direct
define_target nginx                    18010 /                start_nginx_proxy
define_target haproxy                  18011 /                start_haproxy
define_target gatehouse-node           18020 /                start_gatehouse node round-robin
define_target gatehouse-node-100routes 18021 /api/v100/hello  start_gatehouse node 100routes
define_target gatehouse-bun            18022 /                start_gatehouse bun round-robin
define_target gatehouse-deno           18023 /                start_gatehouse deno round-robin

TARGETS="${TARGETS:-${ALL_TARGETS[*]}}"

# ------------------------------------------------------------------ steps
start_targets() { # starts every requested target; ACTIVE = those that came up and answer
  local t
  ACTIVE=()
  for t in $TARGETS; do
    [[ -n "${T_START[$t]:-}" ]] || { log "SKIP $t: unknown target (known: ${ALL_TARGETS[*]})"; continue; }
    if [[ $t != direct ]] && port_in_use "${T_PORT[$t]}"; then log "SKIP $t: port ${T_PORT[$t]} already in use"; continue; fi
    # shellcheck disable=SC2086  # T_START is "<function> [args]" on purpose
    set -- ${T_START[$t]}
    if ! "$1" "$t" "${T_PORT[$t]}" "${@:2}"; then log "SKIP $t: could not start"; continue; fi
    if [[ $t != direct ]] && ! wait_http "${T_PORT[$t]}" "$t" "${T_PATH[$t]}"; then
      log "SKIP $t: not answering"; stop_bg "$t"; continue
    fi
    ACTIVE+=("$t"); sanity "$t"
  done
  ACTIVE_TARGETS="${ACTIVE[*]}"
  (( ${#ACTIVE[@]} > 0 )) || die "no target could be started"
}

declare -A RSS_START=()
record_idle_rss() { # record_idle_rss start|end -> RSS_START[t] or the final rss_idle.csv
  local t kb
  for t in "${ACTIVE[@]}"; do
    kb=$(group_rss_kb "$(target_group "$t")")
    if [[ $1 == start ]]; then RSS_START[$t]=$((kb / 1024)); else echo "$t,${RSS_START[$t]},$((kb / 1024))" >>"$OUT/rss_idle.csv"; fi
  done
}

warm_up() { # warm_up <seconds> <target>...: JIT warm-up and upstream pools filled, not measured
  local secs=$1 t; shift
  (( secs > 0 )) || return 0
  for t in "$@"; do load "$secs" 64 "$(target_url "$t")" >/dev/null 2>&1; done
}

run_rounds() {
  local r t c
  for r in $(seq 1 "$ROUNDS"); do
    log "round $r/$ROUNDS"
    for t in "${ACTIVE[@]}"; do
      warm_up "$WARMUP" "$t"
      for c in $CONNS; do measure "$t" "$r" "$c"; done
    done
  done
}

show_server_problems() { # anything a server logged beyond its normal info lines
  local f
  for f in "$RUN"/*.log "$RUN"/nginx-*/error.log; do
    [[ -s "$f" ]] || continue
    if grep -qv '"level":"info"' "$f"; then
      log "$(basename "$f") has non-info lines ($(grep -vc '"level":"info"' "$f")); last ones:"
      grep -v '"level":"info"' "$f" | tail -5 >&2
    fi
  done
}

main() {
  ensure_system_deps
  ensure_node_deps
  mkdir -p "$RUN" "$GEN" "$OUT/wrk"
  echo "$RAW_HEADER" >"$RAW"; : >"$OUT/sanity.csv"; : >"$OUT/rss_idle.csv"
  ulimit -n 65535 2>/dev/null || true
  trap cleanup EXIT
  trap 'exit 130' INT TERM
  log "results -> $OUT  (ROUNDS=$ROUNDS DURATION=${DURATION}s CONNS='$CONNS' PIN=$PIN)"

  start_upstreams
  start_targets
  record_idle_rss start
  warm_up "$WARMUP_FIRST" "${ACTIVE[@]}"
  run_rounds
  record_idle_rss end
  show_server_problems
  summarize
}

main "$@"
