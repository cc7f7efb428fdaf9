# shellcheck shell=bash
# The servers: two nginx upstreams answering `hello`, the reference proxies (nginx, HAProxy) and
# the gateway itself. Each proxy is 1 process / 1 worker / 1 thread, pinned to $PROXY_CPU,
# balancing round robin over both upstreams with keep-alive upstream connections.
# Sourced by run.sh; uses $GEN (generated configs), $RUN (logs), $UP1/$UP2 (upstream ports).

# ------------------------------------------------------------------ upstreams
# nginx with 1 worker: cheap enough that the proxy, not the upstream, is the bottleneck.
# stub_status exposes "accepts", the count of TCP connections accepted: read around each run,
# it shows whether the proxy reuses upstream connections (keep-alive) or opens new ones.
write_upstream_conf() { # write_upstream_conf <port>
  local p=$1
  mkdir -p "$RUN/nginx-up$p"
  cat >"$GEN/nginx-up$p.conf" <<EOF
worker_processes 1;
daemon off;
pid $RUN/nginx-up$p/nginx.pid;
error_log $RUN/nginx-up$p/error.log warn;
events { worker_connections 8192; }
http {
  access_log off;
  default_type text/plain;
  keepalive_requests 10000000;
  keepalive_timeout 120s;
  server {
    listen 127.0.0.1:$p backlog=4096;
    location / { add_header X-Upstream $p; return 200 "hello\n"; }
    location = /__nginx_status { stub_status; }
  }
}
EOF
}

start_upstreams() {
  local p
  for p in $UP1 $UP2; do
    port_in_use "$p" && die "port $p is already in use (another bench running?)"
    write_upstream_conf "$p"
    start_bg "up$p" "$LOAD_CPU" nginx -p "$RUN/nginx-up$p/" -e "$RUN/nginx-up$p/error.log" -c "$GEN/nginx-up$p.conf"
    wait_http "$p" "up$p" || die "upstream nginx on :$p did not start"
  done
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
  mkdir -p "$RUN/nginx-proxy"
  cat >"$GEN/nginx-proxy.conf" <<EOF
worker_processes 1;
daemon off;
pid $RUN/nginx-proxy/nginx.pid;
error_log $RUN/nginx-proxy/error.log warn;
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
    }
  }
}
EOF
  start_bg "$name" "$PROXY_CPU" nginx -p "$RUN/nginx-proxy/" -e "$RUN/nginx-proxy/error.log" -c "$GEN/nginx-proxy.conf"
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

# How each runtime runs the gateway CLI (Bun and Deno from their npm packages, as in npm test).
declare -A GATEHOUSE_CMD=(
  [node]="node bin/gatehouse.js"
  [bun]="$REPO/node_modules/.bin/bun core/cli/run.ts"
  [deno]="$REPO/node_modules/.bin/deno run --allow-net --allow-env --allow-read=. --unstable-no-legacy-abort core/cli/run.ts"
)

# start_gatehouse <name> <port> <runtime> <config>: the real CLI with bench/configs/<config>.config.ts.
# The config reads its port and upstreams from the environment, so one file serves every runtime.
# cwd = repo root (env -C): the CLI resolves --config and `import ... from 'gatehouse'` from there.
start_gatehouse() {
  local name=$1 port=$2 runtime=$3 cfg=$4
  local cmd=${GATEHOUSE_CMD[$runtime]:-}
  [[ -n "$cmd" ]] || { log "no command for runtime '$runtime'"; return 1; }
  command -v "${cmd%% *}" >/dev/null || { log "$runtime not installed"; return 1; }
  # $cmd is split on purpose (it is "<runtime> [flags] bin/gatehouse.js").
  # shellcheck disable=SC2086
  start_bg "$name" "$PROXY_CPU" env -C "$REPO" NODE_ENV=production GATEHOUSE_LOG=json \
    BENCH_PORT="$port" BENCH_UPSTREAMS="http://127.0.0.1:$UP1,http://127.0.0.1:$UP2" \
    $cmd start --config "bench/configs/$cfg.config.ts"
}
