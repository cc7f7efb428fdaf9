# shellcheck shell=bash
# Makes sure the tools the bench needs exist. From a clean clone `npm run bench` must just work,
# so missing Debian packages are installed when we are root (they are never kept across machines).

BENCH_PKGS=(nginx wrk haproxy nghttp2-client)   # nginx: upstreams (+ reference proxy); wrk: load; haproxy: reference; h2load: the HTTP/2 rows

pkg_installed() { [[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" == "install ok installed" ]]; }

# apt_install pkg...: quiet apt-get install; output only on failure. A temporary policy-rc.d
# stops the packages' postinst from starting system nginx/haproxy services (nginx would grab :80).
apt_install() {
  local aptlog policy=/usr/sbin/policy-rc.d made_policy="" rc
  aptlog=$(mktemp)
  if [[ ! -e "$policy" ]]; then printf '#!/bin/sh\nexit 101\n' >"$policy"; chmod +x "$policy"; made_policy=1; fi
  export DEBIAN_FRONTEND=noninteractive
  # The package lists may be missing or stale on a fresh machine: update once, then retry.
  apt-get install -y -qq --no-install-recommends "$@" </dev/null >>"$aptlog" 2>&1 ||
    { apt-get update -qq </dev/null >>"$aptlog" 2>&1; apt-get install -y -qq --no-install-recommends "$@" </dev/null >>"$aptlog" 2>&1; }
  rc=$?
  [[ -n "$made_policy" ]] && rm -f "$policy"
  (( rc != 0 )) && { log "apt-get install $* failed:"; tail -15 "$aptlog" >&2; }
  rm -f "$aptlog"
  return "$rc"
}

ensure_system_deps() {
  local missing=() p
  for p in "${BENCH_PKGS[@]}"; do command -v "$p" >/dev/null || pkg_installed "$p" || missing+=("$p"); done
  if (( ${#missing[@]} > 0 )); then
    if [[ "$(id -u)" == 0 && "${NO_INSTALL:-0}" != 1 ]]; then
      log "installing missing Debian packages: ${missing[*]} (apt-get install -y; set NO_INSTALL=1 to skip)"
      apt_install "${missing[@]}" || log "install failed; continuing with what is there"
    else
      log "missing: ${missing[*]} (not root or NO_INSTALL=1: install them with apt-get install -y ${missing[*]})"
    fi
  fi
  # nginx serves the upstreams and wrk makes the load: without them there is nothing to measure.
  command -v nginx >/dev/null || die "nginx is required for the upstreams (apt-get install -y nginx)"
  command -v wrk >/dev/null || die "wrk is required (apt-get install -y wrk)"
  command -v taskset >/dev/null || { [[ "$PIN" == 1 ]] && { log "taskset missing: running with PIN=0"; PIN=0; }; }
}

# The gateway runs from this checkout; a clean clone has no node_modules yet. `npm ci` only then:
# it wipes node_modules, which would break anyone else using this checkout at the same moment.
missing_node_deps() {
  node -e 'const fs = require("fs"), p = require("./package.json")
    const names = Object.keys({ ...p.dependencies, ...p.devDependencies })
    process.exit(names.some((n) => !fs.existsSync(`node_modules/${n}/package.json`)) ? 1 : 0)' 2>/dev/null
  (( $? != 0 ))
}
npm_quiet() { # npm_quiet <args...>: npm's output only if it fails
  local out rc
  out=$(cd "$REPO" && npm "$@" --no-audit --no-fund 2>&1); rc=$?
  (( rc != 0 )) && { log "npm $* failed:"; grep -m 8 'npm error' <<<"$out" >&2; }
  return "$rc"
}
ensure_node_deps() {
  ( cd "$REPO" && missing_node_deps ) || return 0
  if [[ ! -d "$REPO/node_modules" ]]; then
    log "no node_modules: npm ci"
    npm_quiet ci && return 0
    log "npm ci failed (lock file out of sync with package.json?): trying npm install"
  else
    log "some npm dependencies are missing: npm install"
  fi
  npm_quiet install || die "cannot install the npm dependencies"
}
