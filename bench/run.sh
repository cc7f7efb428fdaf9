#!/usr/bin/env bash
# Gatehouse's own benchmark: `npm run bench` (= bash bench/run.sh).
#
# Two nginx upstreams answer `hello`; wrk measures `direct` (one upstream, no proxy), the gateway
# CLI balancing round robin over both, and nginx/HAProxy doing the same as reference proxies,
# plus a bare node:http+undici "floor" (not the gateway: the fastest Node path, as a yardstick)
# and the scenarios of issue #6 (full plugin set, 1,000 upstreams, discovery churn, 1 MB bodies,
# JWT auth) and growth curves (routes 1 -> 10,000, upstreams 2 -> 1,000).
# Adapted from shared/bench/bench.sh: each proxy is one process/worker/thread pinned to CPU 1,
# wrk and the upstreams share CPU 0; rounds are interleaved over targets (so a noisy moment hits
# every target, not one) and the median is reported. Installs nginx/wrk/haproxy when missing
# and run as root. Ports (loopback only): 18001-18002 upstreams, each nginx upstream also on
# 500 extra ports (19000-19499, 19500-19999), 18010-18049, 18053-18054 and 18060-18063 proxies (18050-18052: BASELINE rows).
#
# Env knobs (defaults):
#   SUITE=all  which rows: main      direct nginx haproxy, each runtime's floor and gatehouse on it, 100routes full
#                          runtimes  direct, then floor-X, gatehouse-X and gatehouse-X-full for node, bun, deno (ratios in the footer)
#                          scenarios full 1000up churn direct-1mb/nginx-1mb/floor-node-1mb/gatehouse-node-1mb jwt
#                          growth    routes-{1,100,1000,10000} up-{2,10,100,1000}
#                          compress  a 16 KiB page direct, through the gateway plain, gzip, br, zstd
#                          observe   the gateway with and without the metrics observer, and tracing
#                                    (every request traced, or all sampled out)
#                          scale     each runtime's gateway with and without `scale` on an awake pool
#                                    (then bench/wake.sh measures the wake itself)
#                          release   a canary under way, and every request mirrored to a target that hangs
#                          workers   Node and Bun with 1 process, and with `workers: 2` (2 workers + the primary;
#                                    pinned like every proxy, so on 2 cores they share one: cpu%, rps/core)
#                          http2     HTTP/2 (h2load) and gRPC unary (grpc-js), direct and through the gateway (bench/http2.ts)
#                          all       all of them, http2 last (~28 min with the defaults below; main ~12,
#                                    scenarios ~12, growth ~7)
#   TARGETS="..."  exact target names instead of SUITE (see define_target below). Either way the
#              rows a target is compared with (its x_direct baseline, its growth reference) are
#              added in front when missing.
#   ROUNDS=3  DURATION=10 (s per wrk run)  CONNS="64 16"
#   GROWTH_CONNS=64  connection counts for the 8 growth rows (64 only, to keep SUITE=all near
#              28 min instead of ~33; GROWTH_CONNS="64 16" measures them like the other rows)
#   PIN=1 (0: no CPU pinning; compare figures only between runs with the same PIN)
#   QUICK=1  smoke run: ROUNDS=1 DURATION=3 and short warm-ups
#   WARMUP=2 (s before each target's runs in a round)  WARMUP_FIRST=5 (s, once per target: JIT)
#   THREADS=1 (wrk threads)  LOAD_CPU=0 PROXY_CPU=1
#   SCALE=1  a bigger machine: half the cores for wrk and the upstreams, the rest for the proxy;
#            THREADS, CONNS (64 and 16 per load core) and the workers rows' BENCH_WORKERS follow
#   QUIET_MAX=15 QUIET_TIMEOUT=30  before a run, wait (bounded) until other processes use <= 15%
#   BG_MAX=25 MAX_RETRY=1  redo a run once if other processes used > 25% CPU during it
#   QUIET_BUDGET=120  total seconds the whole bench may spend on such waits and redos
#   CPU_PROF=1  node gateways run with --cpu-prof; top self-time functions printed per target
#   NO_INSTALL=1  never apt-get install;  OUT=bench/results/<timestamp>
#   BASELINE=<dir>  another checkout (a `git worktree add` of the branch to compare with): adds the
#              rows baseline-node, baseline-bun, baseline-deno, its CLI on the same config, so a
#              change is measured against its base in the same run, rounds interleaved
# Output: the table on stdout and in $OUT/summary.txt; raw.csv, wrk/*.txt, run/*.log beside it.
set -uo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BENCH="$REPO/bench"

if [[ "${QUICK:-0}" == 1 ]]; then
  : "${ROUNDS:=1}" "${DURATION:=3}" "${WARMUP:=1}" "${WARMUP_FIRST:=2}"
fi
# SCALE=1: use the whole machine (the defaults suit the 2-core VM, where it changes nothing): half
# the cores (at least one) for wrk and the upstreams, the rest for the proxy under test; wrk's
# threads, the connection counts and the workers rows' worker count grow with them.
if [[ "${SCALE:-0}" == 1 ]]; then
  SCALE_CORES=$(nproc); SCALE_LOAD=$(( SCALE_CORES / 2 > 0 ? SCALE_CORES / 2 : 1 ))
  SCALE_PROXY=$(( SCALE_CORES - SCALE_LOAD > 0 ? SCALE_CORES - SCALE_LOAD : 1 ))
  : "${LOAD_CPU:=0-$(( SCALE_LOAD - 1 ))}" "${PROXY_CPU:=$SCALE_LOAD-$(( SCALE_LOAD + SCALE_PROXY - 1 ))}"
  : "${THREADS:=$SCALE_LOAD}" "${CONNS:=$(( 64 * SCALE_LOAD )) $(( 16 * SCALE_LOAD ))}" "${BENCH_WORKERS:=$SCALE_PROXY}"
fi
ROUNDS="${ROUNDS:-3}"; DURATION="${DURATION:-10}"; CONNS="${CONNS:-64 16}"; GROWTH_CONNS="${GROWTH_CONNS:-64}"
WARMUP="${WARMUP:-2}"; WARMUP_FIRST="${WARMUP_FIRST:-5}"; THREADS="${THREADS:-1}"
PIN="${PIN:-1}"; LOAD_CPU="${LOAD_CPU:-0}"; PROXY_CPU="${PROXY_CPU:-1}"
QUIET_MAX="${QUIET_MAX:-15}"; QUIET_TIMEOUT="${QUIET_TIMEOUT:-30}"; QUIET_BUDGET="${QUIET_BUDGET:-120}"
BG_MAX="${BG_MAX:-25}"; MAX_RETRY="${MAX_RETRY:-1}"
OUT="${OUT:-$BENCH/results/$(date +%Y%m%d-%H%M%S)}"
RUN="$OUT/run"; GEN="$OUT/gen"; RAW="$OUT/raw.csv"
UP1=18001; UP2=18002
EXTRA1=19000; EXTRA2=19500; EXTRA_PER=500   # extra listen ports of UP1 / UP2 (lib/servers.sh)

# The gateway runs on the current LTS Node (as `npm test` does), from the built package (dist/).
NODE_BIN="$(node --input-type=module -e "import('$REPO/test/support/node-binary.js').then((m) => console.log(m.nodeBinary(process.env.BENCH_NODE ?? 'lts')))")" \
  || { echo "bench: cannot install Node LTS" >&2; exit 1; }
export PATH="$(dirname "$NODE_BIN"):$PATH"
node "$REPO/scripts/build.js" --js || exit 1

source "$BENCH/lib/common.sh"
source "$BENCH/lib/deps.sh"
source "$BENCH/lib/servers.sh"
source "$BENCH/lib/measure.sh"
source "$BENCH/lib/report.sh"

# ------------------------------------------------------------------ the targets
# define_target <name> <port> <request path> <starter> [starter args...]
# The starter is called as `<starter> <name> <port> [args...]` (lib/servers.sh); start_gatehouse
# takes VAR=value pairs after its config for the config's environment. Row order in the table
# follows the requested list. A new runtime is one line. Per-target extras, set after it:
#   T_BASE[t]     the row x_direct divides by (default `direct`): 1 MB rows compare to direct-1mb
#   T_WRKARGS[t]  extra wrk arguments, one per line; curl sends them too (warm-up, sanity), so -H only
#   T_LABEL[t]    what the table prints instead of the name
#   T_GROWTH[t]   growth table: the N=1 / N=2 row this one is compared with
#   T_PAUSE[t]=1  it works while idle (churn publishes 100 snapshots/s): SIGSTOPped outside its own
#                 warm-ups and runs, so it never takes the proxy CPU from the row being measured
declare -A T_PORT=() T_PATH=() T_START=() T_BASE=() T_WRKARGS=() T_LABEL=() T_GROWTH=() T_PAUSE=() T_DIR=()
ALL_TARGETS=()
define_target() {
  local name=$1; T_PORT[$name]=$2; T_PATH[$name]=$3; T_START[$name]="${*:4}"; ALL_TARGETS+=("$name")
}
is_direct() { [[ "${T_START[$1]}" == start_direct* ]]; }   # wrk talks to upstream $UP1 itself

# jwt_token <secret>: a valid HS256 token (sub "bench", expires in 10 years), signed by node.
jwt_token() {
  # shellcheck disable=SC2016  # JavaScript, not shell
  node -e 'const c = require("node:crypto"), b = (o) => Buffer.from(JSON.stringify(o)).toString("base64url")
    const now = Math.floor(Date.now() / 1000), s = `${b({ alg: "HS256", typ: "JWT" })}.${b({ sub: "bench", iat: now, exp: now + 315360000 })}`
    console.log(`${s}.${c.createHmac("sha256", process.argv[1]).update(s).digest("base64url")}`)' "$1"
}
JWT_SECRET="gatehouse-bench-hs256-secret-not-for-production"

# main: the forwarding path, against the references and the yardstick
define_target direct                   $UP1  /                start_direct
define_target nginx                    18010 /                start_nginx_proxy
define_target haproxy                  18011 /                start_haproxy
define_target floor-node               18012 /                start_floor
# shellcheck disable=SC2034  # T_LABEL is read by lib/report.sh
T_LABEL[floor-node]="floor: node:http+undici"
# shellcheck disable=SC2034
T_LABEL[floor-node-1mb]="floor-1mb: node:http+undici"
define_target floor-bun                18015 /                start_floor bun
define_target floor-deno               18016 /                start_floor deno
# shellcheck disable=SC2034
T_LABEL[floor-bun]="floor: Hono-on-Bun fetch"
# shellcheck disable=SC2034
T_LABEL[floor-deno]="floor: Deno.serve+http1"
define_target gatehouse-node           18020 /                start_gatehouse node round-robin
define_target gatehouse-node-100routes 18021 /api/v100/hello  start_gatehouse node 100routes
define_target gatehouse-bun            18022 /                start_gatehouse bun round-robin
define_target gatehouse-deno           18023 /                start_gatehouse deno round-robin
if [[ -n "${BASELINE:-}" ]]; then
  [[ -f "$BASELINE/bin/gatehouse.js" ]] || { echo "BASELINE=$BASELINE: not a gatehouse checkout" >&2; exit 1; }
  for rt in node bun deno; do
    define_target "baseline-$rt" $((18050 + ${#T_DIR[@]})) / start_gatehouse "$rt" round-robin
    T_DIR[baseline-$rt]=$BASELINE
  done
fi
# scenarios of issue #6
define_target gatehouse-node-full      18024 /api/v100/hello  start_gatehouse node full
# the full-featured config on the other runtimes (SUITE=runtimes): which runtime the container should run
define_target gatehouse-bun-full       18062 /api/v100/hello  start_gatehouse bun full
define_target gatehouse-deno-full      18063 /api/v100/hello  start_gatehouse deno full
define_target gatehouse-node-1000up    18025 /                start_gatehouse node round-robin "BENCH_UPSTREAMS=$(upstream_urls 1000)"
define_target gatehouse-node-churn     18026 /                start_gatehouse node churn "BENCH_CHURN_UPSTREAMS=$(upstream_urls 200)" BENCH_CHURN_WINDOW=100 BENCH_CHURN_MS=10
T_GROWTH[gatehouse-node-churn]=gatehouse-node-up-100   # p99 compared with the same pool size, static
T_PAUSE[gatehouse-node-churn]=1
define_target direct-1mb               $UP1  /1mb             start_direct
define_target nginx-1mb                18013 /1mb             start_nginx_proxy
define_target floor-node-1mb           18014 /1mb             start_floor
define_target gatehouse-node-1mb       18027 /1mb             start_gatehouse node round-robin
for t in direct-1mb nginx-1mb floor-node-1mb gatehouse-node-1mb; do T_BASE[$t]=direct-1mb; done
define_target gatehouse-node-jwt       18028 /                start_gatehouse node jwt "BENCH_JWT_SECRET=$JWT_SECRET"
T_WRKARGS[gatehouse-node-jwt]=$(printf '%s\n' -H "Authorization: Bearer $(jwt_token "$JWT_SECRET")")
# compress: a 16 KiB HTML page (/text) plain, then through compress() in each encoding wrk asks for
define_target direct-text              $UP1  /text            start_direct
define_target gatehouse-node-text      18040 /text            start_gatehouse node round-robin
define_target gatehouse-node-gzip      18041 /text            start_gatehouse node compress
define_target gatehouse-node-br        18042 /text            start_gatehouse node compress
define_target gatehouse-node-zstd      18043 /text            start_gatehouse node compress
for e in gzip br zstd; do T_WRKARGS[gatehouse-node-$e]=$(printf '%s\n' -H "Accept-Encoding: $e"); done
for t in direct-text gatehouse-node-text gatehouse-node-gzip gatehouse-node-br gatehouse-node-zstd; do T_BASE[$t]=direct-text; done
# scale: the same pool with `scale` configured and awake (the feature's cost when nothing sleeps)
define_target gatehouse-node-scale     18044 /                start_gatehouse node scale
define_target gatehouse-bun-scale      18045 /                start_gatehouse bun scale
define_target gatehouse-deno-scale     18046 /                start_gatehouse deno scale
# release: a canary under way (v2 at 0 %), then every request mirrored to a v2 that never answers
define_target gatehouse-node-release   18047 /                start_gatehouse node release
define_target gatehouse-node-mirror    18048 /                start_gatehouse node release BENCH_MIRROR=1
# observe: the same pool with the metrics observer counting every request (its cost on the request path)
define_target gatehouse-node-metrics   18049 /                start_gatehouse node metrics
# and with the tracing observer: every request traced and exported, or every new trace sampled out
define_target gatehouse-node-tracing   18053 /                start_gatehouse node tracing BENCH_SAMPLE=1
define_target gatehouse-node-tracing-0 18054 /                start_gatehouse node tracing BENCH_SAMPLE=0
# workers: the same forwarding path served by 2 worker processes and a primary (issue #16)
define_target gatehouse-node-workers   18060 /                start_gatehouse node workers "BENCH_WORKERS=${BENCH_WORKERS:-2}"
define_target gatehouse-bun-workers    18061 /                start_gatehouse bun workers "BENCH_WORKERS=${BENCH_WORKERS:-2}"
# growth: routes 1 -> 10,000 (worst case, see configs/worst-case-routes.ts), upstreams 2 -> 1,000
GROWTH_TARGETS=()
for n in 1 100 1000 10000; do
  define_target "gatehouse-node-routes-$n" $((18030 + ${#GROWTH_TARGETS[@]})) "/api/v$n/hello" start_gatehouse node routes "BENCH_ROUTES=$n"
  T_GROWTH[gatehouse-node-routes-$n]=gatehouse-node-routes-1; GROWTH_TARGETS+=("gatehouse-node-routes-$n")
done
for n in 2 10 100 1000; do
  define_target "gatehouse-node-up-$n" $((18030 + ${#GROWTH_TARGETS[@]})) / start_gatehouse node round-robin "BENCH_UPSTREAMS=$(upstream_urls "$n")"
  T_GROWTH[gatehouse-node-up-$n]=gatehouse-node-up-2; GROWTH_TARGETS+=("gatehouse-node-up-$n")
done

declare -A SUITES=(
  [main]="direct nginx haproxy floor-node gatehouse-node floor-bun gatehouse-bun floor-deno gatehouse-deno gatehouse-node-100routes gatehouse-node-full"
  [scenarios]="gatehouse-node-full gatehouse-node-1000up gatehouse-node-up-100 gatehouse-node-churn direct-1mb nginx-1mb floor-node-1mb gatehouse-node-1mb gatehouse-node-jwt"
  [growth]="${GROWTH_TARGETS[*]}"
  [compress]="direct-text gatehouse-node-text gatehouse-node-gzip gatehouse-node-br gatehouse-node-zstd"
  [scale]="gatehouse-node gatehouse-node-scale gatehouse-bun gatehouse-bun-scale gatehouse-deno gatehouse-deno-scale"
  [release]="gatehouse-node gatehouse-node-release gatehouse-node-mirror"
  [observe]="gatehouse-node gatehouse-node-metrics gatehouse-node-tracing gatehouse-node-tracing-0"
  [runtimes]="direct floor-node gatehouse-node gatehouse-node-full floor-bun gatehouse-bun gatehouse-bun-full floor-deno gatehouse-deno gatehouse-deno-full"
  [workers]="gatehouse-node gatehouse-node-workers gatehouse-bun gatehouse-bun-workers"
  [all]="${ALL_TARGETS[*]}"
)
SUITE="${SUITE:-all}"
# SUITE=http2 (and the end of SUITE=all): HTTP/2 and gRPC. wrk speaks HTTP/1.1 only, so these rows
# come from bench/http2.ts: h2load and a grpc-js client, direct and through the gateway in one run.
http2_rows() {
  log "HTTP/2 and gRPC rows (bench/http2.ts: h2load, grpc-js; direct and through the gateway)"
  (cd "$REPO" && node --import tsx bench/http2.ts) | tee "$OUT/http2.txt"
}
if [[ "$SUITE" == http2 ]]; then
  mkdir -p "$OUT"; ensure_system_deps; http2_rows; exit
fi
[[ -n "${SUITES[$SUITE]:-}" ]] || die "unknown SUITE=$SUITE (main, runtimes, scenarios, growth, compress, scale, release, observe, workers, http2, all)"
TARGETS="${TARGETS:-${SUITES[$SUITE]}}"

# with_references <targets...>: the list, with each one's baseline and growth reference added in
# front when missing (a ratio needs its denominator measured in the same run).
with_references() {
  local t r refs=() seen=" $* "
  for t in "$@"; do
    for r in "${T_BASE[$t]:-direct}" "${T_GROWTH[$t]:-}"; do
      [[ -n "$r" && -n "${T_START[$r]:-}" && "$seen" != *" $r "* ]] && { refs+=("$r"); seen+="$r "; }
    done
  done
  echo "${refs[*]} $*"
}
# shellcheck disable=SC2086  # a list of names on purpose
TARGETS=$(with_references $TARGETS)

# ------------------------------------------------------------------ steps
start_targets() { # starts every requested target; ACTIVE = those that came up and answer
  local t
  ACTIVE=()
  for t in $TARGETS; do
    [[ -n "${T_START[$t]:-}" ]] || { log "SKIP $t: unknown target (known: ${ALL_TARGETS[*]})"; continue; }
    if ! is_direct "$t" && port_in_use "${T_PORT[$t]}"; then log "SKIP $t: port ${T_PORT[$t]} already in use"; continue; fi
    # shellcheck disable=SC2086  # T_START is "<function> [args]" on purpose
    set -- ${T_START[$t]}
    if ! "$1" "$t" "${T_PORT[$t]}" "${@:2}"; then log "SKIP $t: could not start"; continue; fi
    target_args "$t"
    if ! is_direct "$t" && ! wait_http "${T_PORT[$t]}" "$t" "${T_PATH[$t]}" "${TARGS[@]}"; then
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

# pause_idle / resume: T_PAUSE targets run only during their own warm-ups and measurements.
pause_idle() { local t; for t in "${ACTIVE[@]}"; do [[ -n "${T_PAUSE[$t]:-}" ]] && kill -STOP -- "-${PGID[$t]}" 2>/dev/null; done; return 0; }
resume() { [[ -n "${T_PAUSE[$1]:-}" ]] && kill -CONT -- "-${PGID[$1]}" 2>/dev/null; return 0; }

warm_up() { # warm_up <seconds> <target>...: JIT warm-up and upstream pools filled, not measured
  local secs=$1 t; shift
  (( secs > 0 )) || return 0
  for t in "$@"; do resume "$t"; target_args "$t"; load "$secs" 64 "$(target_url "$t")" "${TARGS[@]}" >/dev/null 2>&1; done
}

target_conns() { if [[ -n "${T_GROWTH[$1]:-}" ]]; then echo "$GROWTH_CONNS"; else echo "$CONNS"; fi; }

run_rounds() {
  local r t c
  for r in $(seq 1 "$ROUNDS"); do
    log "round $r/$ROUNDS"
    for t in "${ACTIVE[@]}"; do
      resume "$t"; warm_up "$WARMUP" "$t"
      for c in $(target_conns "$t"); do measure "$t" "$r" "$c"; done
      pause_idle
    done
  done
}

show_server_problems() { # anything a server logged beyond its normal info lines
  local f
  for f in "$RUN"/*.log "$RUN"/*/error.log; do
    [[ -s "$f" ]] || continue
    if grep -qv '"level":"info"' "$f"; then
      log "$(basename "$f") has non-info lines ($(grep -vc '"level":"info"' "$f")); last ones:"
      grep -v '"level":"info"' "$f" | tail -5 >&2
    fi
  done
}

profile_report() { # CPU_PROF=1: stop the node gateways (each writes its profile as it exits), print their tops
  [[ "${CPU_PROF:-0}" == 1 ]] || return 0
  local t
  for t in "${ACTIVE[@]}"; do
    [[ "${T_START[$t]}" == "start_gatehouse node "* ]] || continue
    stop_bg "$t" 15
    node "$BENCH/lib/cpuprofile-top.mjs" "$t" "$OUT/prof/$t"/*.cpuprofile >>"$OUT/profiles.txt"
  done
  cat "$OUT/profiles.txt"
}

main() {
  local t
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
  pause_idle
  for t in "${ACTIVE[@]}"; do warm_up "$WARMUP_FIRST" "$t"; pause_idle; done
  run_rounds
  record_idle_rss end
  show_server_problems
  summarize
  profile_report
  if [[ "$SUITE" == all ]]; then http2_rows; fi
}

main "$@"
