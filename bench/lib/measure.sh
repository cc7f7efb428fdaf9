# shellcheck shell=bash
# One measurement = one wrk run against one target at one connection count, with the proxy's
# CPU and RSS and the upstreams' accepted-connection counter sampled around it.
# Sourced by run.sh; appends one line per run to $RAW.

RAW_HEADER="target,conns,round,rps,p50_ms,p99_ms,requests,sock_errors,non2xx,proxy_cpu_pct,rss_mb,bg_cpu_pct,retries,upstream_new_conns,upstream_open_conns"

target_url() { echo "http://127.0.0.1:${T_PORT[$1]}${T_PATH[$1]}"; }

# target_args <target>: the target's extra request arguments (T_WRKARGS, one per line) -> the
# array TARGS. wrk, the warm-up, wait_http and sanity's curl all send them, so only options wrk
# and curl both understand belong there (-H 'Name: value').
target_args() {
  TARGS=()
  [[ -n "${T_WRKARGS[$1]:-}" ]] && mapfile -t TARGS <<<"${T_WRKARGS[$1]}"
  return 0
}

# The process group whose CPU/RSS we report: the proxy, or for `direct*` the upstream it hits.
target_group() { if is_direct "$1"; then echo "${PGID[up$UP1]}"; else echo "${PGID[$1]}"; fi; }

# load <seconds> <conns> <url> [wrk args...]: wrk on the load CPU, bounded by `timeout` in case
# a target hangs (wrk's own -d stops sending, but a stuck socket must not stall the run).
load() {
  local secs=$1 conns=$2 url=$3; shift 3
  pin "$LOAD_CPU" timeout -k 5 $((secs + 20)) wrk -t"$THREADS" -c"$conns" -d"${secs}s" --timeout 5s "$@" "$url"
}

# upstream_open <pgid>: TCP connections that process group holds open to the upstream ports
# (18001-18002, 19000-19999) right now: the proxy's pooled upstream connections (0 for direct).
upstream_open() {
  local pids
  pids=$(pgrep -d'|' -g "$1") || { echo 0; return; }
  ss -Htnp state established "( dport >= :$UP1 and dport <= :$UP2 ) or ( dport >= :$EXTRA1 and dport < :$((EXTRA2 + EXTRA_PER)) )" 2>/dev/null |
    grep -cE "pid=($pids),"
}

# parse_wrk <file> -> rps,p50_ms,p99_ms,requests,sock_errors,non2xx
parse_wrk() {
  awk 'function ms(v){ if(v~/us$/){sub(/us$/,"",v);return v/1000} if(v~/ms$/){sub(/ms$/,"",v);return v+0}
                       if(v~/m$/){sub(/m$/,"",v);return v*60000} if(v~/s$/){sub(/s$/,"",v);return v*1000} return v+0 }
       /^ +50%/{p50=ms($2)} /^ +99%/{p99=ms($2)} /Requests\/sec:/{rps=$2} / requests in /{req=$1}
       /Socket errors:/{gsub(",",""); se=$4+$6+$8+$10} /Non-2xx or 3xx responses:/{nx=$5}
       END{printf "%.0f,%.3f,%.3f,%d,%d,%d\n", rps, p50, p99, req, se, nx}' "$1"
}

# rss_sampler <pgid> <file>: max-able series of the group's RSS (kB), 1 Hz, skipping the first
# second (start-up of the run); bounded so it can never outlive the run by much.
rss_sampler() {
  local g=$1 out=$2 i
  sleep 1
  for (( i = 0; i < DURATION + 5; i++ )); do group_rss_kb "$g" >>"$out"; sleep 1; done
}

measure() { # measure <target> <round> <conns>
  local t=$1 r=$2 c=$3 g f samp try=0
  g=$(target_group "$t")
  f="$OUT/wrk/$t-c$c-r$r.txt"; samp="$RUN/rss-$t-c$c-r$r"
  while :; do
    wait_quiet
    local acc0 acc1 t0 t1 own0 own1 box0 box1 sp wrk_cpu res pcpu bg rss_kb newconn upopen
    acc0=$(upstream_accepts)
    t0=$(group_ticks "$g"); own0=$(own_ticks); box0=$(box_busy_ticks)
    : >"$samp"; rss_sampler "$g" "$samp" & sp=$!
    local TIMEFORMAT='%U %S'
    target_args "$t"
    { time load "$DURATION" "$c" "$(target_url "$t")" --latency "${TARGS[@]}" >"$f" 2>&1; } 2>"$f.cputime"
    kill "$sp" 2>/dev/null; wait "$sp" 2>/dev/null
    upopen=$(upstream_open "$g")
    t1=$(group_ticks "$g"); own1=$(own_ticks); box1=$(box_busy_ticks)
    # minus our own 2 probe connections (one per upstream) made by this second read
    acc1=$(upstream_accepts); newconn=$(( acc1 - acc0 - 2 ))

    res=$(parse_wrk "$f")
    rss_kb=$(sort -n "$samp" | tail -1)
    wrk_cpu=$(awk '{print $1+$2}' "$f.cputime")
    pcpu=$(awk -v a="$t0" -v b="$t1" -v hz="$CLK_TCK" -v d="$DURATION" 'BEGIN{printf "%.0f", (b-a)/hz/d*100}')
    # foreign CPU = everything the box did minus our servers and wrk (other people's work)
    bg=$(awk -v A="$((box1 - box0))" -v O="$((own1 - own0))" -v W="$wrk_cpu" -v hz="$CLK_TCK" -v d="$DURATION" \
          'BEGIN{v=((A-O)/hz - W)/d*100; printf "%.0f", (v<0)?0:v}')
    log "$(printf '%-26s c=%-3s r%s  rps,p50,p99,req,sockerr,non2xx=%s cpu=%s%% rss=%sMB bg=%s%% upconn=%s upopen=%s' \
          "$t" "$c" "$r" "$res" "$pcpu" "$(( ${rss_kb:-0} / 1024 ))" "$bg" "$newconn" "$upopen")"
    # A run disturbed by other people's load is redone (it counts against the same budget).
    if (( bg > BG_MAX && try < MAX_RETRY && QUIET_SPENT < QUIET_BUDGET )); then
      try=$((try + 1)); QUIET_SPENT=$((QUIET_SPENT + DURATION))
      log "  other processes used ${bg}% CPU during the run (> BG_MAX=${BG_MAX}%): retry $try/$MAX_RETRY"
      continue
    fi
    echo "$t,$c,$r,$res,$pcpu,$(( ${rss_kb:-0} / 1024 )),$bg,$try,$newconn,$upopen" >>"$RAW"
    return 0
  done
}

# sanity <target>: the body is what upstream $UP1 itself answers for the same path (`hello`, or
# the 1 MiB file), and requests alternate between upstreams (X-Upstream = the answering port), so
# a misconfigured target cannot silently produce a nice-looking number. Sends the target's args.
sanity() {
  local t=$1 url want got seq="" i
  url=$(target_url "$t"); target_args "$t"
  want=$(curl -s -m 5 "http://127.0.0.1:$UP1${T_PATH[$t]}" | md5sum | cut -c1-12)
  got=$(curl -s -m 5 --compressed "${TARGS[@]}" "$url" | md5sum | cut -c1-12)  # compress rows: decoded
  [[ "$got" == "$want" ]] || log "WARN $t: body differs from the upstream's own answer (md5 $got, expected $want)"
  for i in 1 2 3 4 5 6; do
    seq+="$(curl -s -m 5 "${TARGS[@]}" -D - -o /dev/null "$url" | awk -F': ' 'tolower($1)=="x-upstream"{gsub(/\r/,"",$2); printf "%s", $2}') "
  done
  log "sanity $t: body md5 $got (upstream's $want), upstream sequence = $seq"
  echo "$t,$seq" >>"$OUT/sanity.csv"
}
