# shellcheck shell=bash
# The servers: two nginx upstreams answering `hello`, the reference proxies (nginx, HAProxy) and
# the gateway itself. Each proxy is 1 process / 1 worker / 1 thread, pinned to $PROXY_CPU,
# balancing round robin over both upstreams with keep-alive upstream connections.
# Sourced by run.sh; uses $GEN (generated configs), $RUN (logs), $UP1/$UP2 (upstream ports).

# ------------------------------------------------------------------ upstreams
# nginx with 1 worker: cheap enough that the proxy, not the upstream, is the bottleneck.
# stub_status exposes "accepts", the count of TCP connections accepted (on all its ports): read
# around each run, it shows whether the proxy reuses upstream connections (keep-alive) or opens
# new ones. Each also listens on EXTRA_PER extra ports (UP1: 19000-19499, UP2: 19500-19999) so
# pools of up to 1,000 distinct upstreams exist on loopback (1000up, up-N, churn rows).
# X-Upstream names the port that answered; /1mb serves the 1 MiB file $RUN/1mb.bin (1mb rows).
write_upstream_conf() { # write_upstream_conf <port> <first extra port>
  local p=$1 x=$2 i listens=""
  for (( i = x; i < x + EXTRA_PER; i++ )); do listens+="    listen 127.0.0.1:$i;"$'\n'; done
  mkdir -p "$RUN/nginx-up$p"
  cat >"$GEN/nginx-up$p.conf" <<EOF
worker_processes 1;
daemon off;
pid $RUN/nginx-up$p/nginx.pid;
error_log $RUN/nginx-up$p/error.log warn;
events { worker_connections 16384; }
http {
  access_log off;
  default_type text/plain;
  sendfile on;
  keepalive_requests 10000000;
  keepalive_timeout 120s;
  server {
    listen 127.0.0.1:$p backlog=4096;
$listens
    location / { add_header X-Upstream \$server_port; return 200 "hello\n"; }
    location = /1mb { add_header X-Upstream \$server_port; default_type application/octet-stream; alias $RUN/1mb.bin; }
    location = /text { add_header X-Upstream \$server_port; default_type text/html; alias $RUN/text.html; }
    location = /__nginx_status { stub_status; }
  }
}
EOF
}

# extra_ports_free: true unless something already listens in the extra port range (one ss call).
extra_ports_free() {
  command -v ss >/dev/null || return 0
  ! ss -Hltn | awk -v lo="$EXTRA1" -v hi="$((EXTRA2 + EXTRA_PER - 1))" \
      '{ n = split($4, a, ":"); p = a[n] + 0; if (p >= lo && p <= hi) { found = 1; exit } } END { exit !found }'
}

start_upstreams() {
  local p x
  extra_ports_free || die "a port in $EXTRA1-$((EXTRA2 + EXTRA_PER - 1)) is already in use (another bench running?)"
  head -c 1048576 /dev/urandom >"$RUN/1mb.bin"
  # /text: 16 KiB of HTML-like text, the compress rows' page (compresses ~10x with gzip).
  for i in $(seq 1 200); do printf '<li class="item-%d"><a href="/items/%d">item %d</a> of the list</li>\n' "$i" "$i" "$((i * 7919 % 1000))"; done | head -c 16384 >"$RUN/text.html"
  for p in $UP1 $UP2; do
    port_in_use "$p" && die "port $p is already in use (another bench running?)"
    if [[ $p == "$UP1" ]]; then x=$EXTRA1; else x=$EXTRA2; fi
    write_upstream_conf "$p" "$x"
    start_bg "up$p" "$LOAD_CPU" nginx -p "$RUN/nginx-up$p/" -e "$RUN/nginx-up$p/error.log" -c "$GEN/nginx-up$p.conf"
    wait_http "$p" "up$p" || die "upstream nginx on :$p did not start"
  done
}

# upstream_urls <n>: n upstream URLs on the extra ports, alternating between the two nginx
# (19000, 19500, 19001, 19501, ...), comma-separated as BENCH_UPSTREAMS wants them. n <= 1000.
upstream_urls() {
  local n=$1 i out=""
  for (( i = 0; i < n; i++ )); do
    out+="http://127.0.0.1:$(( (i % 2 ? EXTRA2 : EXTRA1) + i / 2 )),"
  done
  echo "${out%,}"
}

# upstream_accepts: connections accepted so far by both upstreams. Each probe is itself one
# accepted connection per upstream; measure() subtracts those.
upstream_accepts() {
  local p s=0 v
  for p in $UP1 $UP2; do
    v=$(curl -s -m 2 "http://127.0.0.1:$p/__nginx_status" | awk 'NR==3{print $1}')
    s=$((s + ${v:-0}))
  done
  echo "$s"
}

# ------------------------------------------------------------------ target starters
# Each start_* gets the target's name and port as $1 $2 (then its own arguments) and starts it in
# the background with start_bg under that name (so its log is $RUN/<name>.log).
# Returning non-zero means "cannot run here": the row is skipped with a message.

start_direct() { :; }     # wrk talks to upstream $UP1 itself; nothing to start

start_nginx_proxy() { # same upstream keep-alive settings as the gateway gets for free from undici
  local name=$1 port=$2
  command -v nginx >/dev/null || { log "nginx not installed"; return 1; }
  mkdir -p "$RUN/$name"
  # proxy_max_temp_file_size 0: large bodies (nginx-1mb) stream through memory buffers, not a temp file.
  cat >"$GEN/$name.conf" <<EOF
worker_processes 1;
daemon off;
pid $RUN/$name/nginx.pid;
error_log $RUN/$name/error.log warn;
events { worker_connections 8192; }
http {
  access_log off;
  keepalive_requests 10000000;
  keepalive_timeout 120s;
  upstream ups {
    server 127.0.0.1:$UP1;
    server 127.0.0.1:$UP2;
    keepalive 256;
    keepalive_requests 10000000;
    keepalive_timeout 120s;
  }
  server {
    listen 127.0.0.1:$port backlog=4096;
    location / {
      proxy_pass http://ups;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffers 16 64k;
      proxy_max_temp_file_size 0;
    }
  }
}
EOF
  start_bg "$name" "$PROXY_CPU" nginx -p "$RUN/$name/" -e "$RUN/$name/error.log" -c "$GEN/$name.conf"
}

start_haproxy() {
  local name=$1 port=$2
  command -v haproxy >/dev/null || { log "haproxy not installed"; return 1; }
  cat >"$GEN/haproxy.cfg" <<EOF
global
  nbthread 1
  maxconn 4096
defaults
  mode http
  timeout connect 5s
  timeout client 60s
  timeout server 60s
  timeout http-keep-alive 60s
  option http-keep-alive
  http-reuse always
frontend fe
  bind 127.0.0.1:$port
  default_backend be
backend be
  balance roundrobin
  server s1 127.0.0.1:$UP1
  server s2 127.0.0.1:$UP2
EOF
  start_bg "$name" "$PROXY_CPU" haproxy -db -f "$GEN/haproxy.cfg"
}

# The yardstick (bench/floor/node-floor.mjs): bare node:http + undici, NOT the gateway.
# start_floor <name> <port> [node|bun|deno]: that runtime's bare forwarding path (bench/floor/).
start_floor() {
  local name=$1 port=$2 runtime=${3:-node} cmd
  case "$runtime" in
    node) cmd=(node bench/floor/node-floor.mjs) ;;
    bun) cmd=("$REPO/node_modules/.bin/bun" bench/floor/bun-floor.ts) ;;
    deno) cmd=("$REPO/node_modules/.bin/deno" run --allow-net --allow-env bench/floor/deno-floor.ts) ;;
    *) log "no floor for runtime '$runtime'"; return 1 ;;
  esac
  start_bg "$name" "$PROXY_CPU" env -C "$REPO" NODE_ENV=production \
    BENCH_PORT="$port" BENCH_UPSTREAMS="http://127.0.0.1:$UP1,http://127.0.0.1:$UP2" "${cmd[@]}"
}

# How each runtime runs the gateway CLI (Bun and Deno from their npm packages, as in npm test).
declare -A GATEHOUSE_CMD=(
  [node]="node bin/gatehouse.js"
  [bun]="$REPO/node_modules/.bin/bun bin/gatehouse.js"
  [deno]="$REPO/node_modules/.bin/deno run --allow-net --allow-env --allow-read=. --unstable-no-legacy-abort bin/gatehouse.js"
)
# CPU_PROF=1: every node gateway writes a V8 CPU profile to $OUT/prof/<name>/ when it stops
# (summarized at the end of the run by lib/cpuprofile-top.mjs).
if [[ "${CPU_PROF:-0}" == 1 ]]; then GATEHOUSE_CMD[node]="node --cpu-prof --cpu-prof-dir=$OUT/prof/@NAME@ bin/gatehouse.js"; fi

# start_gatehouse <name> <port> <runtime> <config> [VAR=value...]: the real CLI with
# bench/configs/<config>.config.ts. The config reads its port and upstreams from the environment,
# so one file serves every runtime; extra VAR=value pairs are added to (or override) that
# environment (BENCH_ROUTES, BENCH_UPSTREAMS, BENCH_JWT_SECRET, ...).
# cwd = repo root (env -C): the CLI resolves --config and `import ... from 'gatehouse'` from there;
# T_DIR[name] runs another checkout's CLI instead (BASELINE=<dir> in run.sh).
start_gatehouse() {
  local name=$1 port=$2 runtime=$3 cfg=$4 dir=${T_DIR[$1]:-$REPO}
  local cmd=${GATEHOUSE_CMD[$runtime]:-}
  [[ -n "$cmd" ]] || { log "no command for runtime '$runtime'"; return 1; }
  command -v "${cmd%% *}" >/dev/null || { log "$runtime not installed"; return 1; }
  cmd=${cmd//@NAME@/$name}
  # $cmd is split on purpose (it is "<runtime> [flags] bin/gatehouse.js").
  # shellcheck disable=SC2086
  start_bg "$name" "$PROXY_CPU" env -C "$dir" NODE_ENV=production GATEHOUSE_LOG=json \
    BENCH_PORT="$port" BENCH_UPSTREAMS="http://127.0.0.1:$UP1,http://127.0.0.1:$UP2" "${@:5}" \
    $cmd start --config "bench/configs/$cfg.config.ts"
}
