#!/usr/bin/env bash
# Installs the Debian packages the integration tests start for real
# (dockerd, etcd, dnsmasq, busybox for the test image, pebble: an ACME test CA) plus CI tooling
# (prometheus for promtool, which checks the metrics exposition; its service is not started).
# Idempotent and quiet: one line per package, apt output only on failure.
set -euo pipefail

export DEBIAN_FRONTEND=noninteractive

# dnsmasq-base, not dnsmasq: the full package ships a system service that
# would bind port 53 and rewrite resolv.conf; the tests only need the binary.
# mount: umount, for cleaning up after an unclean dockerd stop.
PACKAGES=(docker.io etcd-server etcd-client dnsmasq-base busybox-static curl wrk procps iproute2 mount chromium redis-server openssl pebble prometheus nghttp2-client)

installed() {
  [[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" == "install ok installed" ]]
}

missing=()
for pkg in "${PACKAGES[@]}"; do
  if installed "$pkg"; then
    echo "already present: $pkg"
  else
    missing+=("$pkg")
  fi
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

# Package postinst scripts would otherwise start system docker/etcd services
# (on the default socket/ports) that could clash with the tests' private ones.
# A policy-rc.d exiting 101 forbids that; keep an existing one untouched.
policy=/usr/sbin/policy-rc.d
if [[ ! -e "$policy" ]]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy"
  chmod +x "$policy"
  trap 'rm -f "$policy"' EXIT
fi

log="$(mktemp)"
run_apt() {
  if ! "$@" </dev/null >>"$log" 2>&1; then
    echo "install-deps: '$*' failed:" >&2
    tail -n 40 "$log" >&2
    exit 1
  fi
}
# Wait for the dpkg/apt locks instead of failing: other setup scripts may be
# running apt-get at the same moment.
lock=(-o DPkg::Lock::Timeout=600)
run_apt apt-get "${lock[@]}" update -qq
run_apt apt-get "${lock[@]}" install -y -qq --no-install-recommends "${missing[@]}"
rm -f "$log"

for pkg in "${missing[@]}"; do
  installed "$pkg" || { echo "install-deps: $pkg still missing" >&2; exit 1; }
  echo "installed: $pkg"
done
