# shellcheck shell=bash
# The one table: medians over rounds from $RAW, printed and written to $OUT/summary.txt, then
# the footers: gatehouse-node vs the floor, the growth table, what the churn row published.
# Sourced by run.sh. Needs $ACTIVE_TARGETS (row order), $CONNS, $GROWTH_CONNS, $RAW,
# $OUT/rss_idle.csv and the T_BASE / T_LABEL / T_GROWTH maps.

# pairs <map name>: "target=value" for every active target with an entry, "|"-separated (awk input).
pairs() {
  local -n m=$1
  local t out=""
  for t in $ACTIVE_TARGETS; do [[ -n "${m[$t]:-}" ]] && out+="$t=${m[$t]}|"; done
  echo "$out"
}

# all_conns: every connection count measured ($CONNS, then any other of $GROWTH_CONNS), once each.
# shellcheck disable=SC2086  # lists of numbers, split on purpose
all_conns() { printf '%s\n' $CONNS $GROWTH_CONNS | awk '!seen[$0]++' | tr '\n' ' '; }

summarize() {
  {
    printf '# gatehouse bench %s  %s, %s cpus, PIN=%s (load cpu%s, proxy cpu%s), wrk -t%s -d%ss, median of %s round(s)\n' \
      "$(date -Is)" "$(node -v 2>/dev/null)" "$(nproc)" "$PIN" "$LOAD_CPU" "$PROXY_CPU" "$THREADS" "$DURATION" "$ROUNDS"
    printf '# git %s\n' "$(git -C "$REPO" describe --always --dirty 2>/dev/null || echo '?')"
    awk -F, -v order="$ACTIVE_TARGETS" -v conns="$(all_conns)" \
        -v bases="$(pairs T_BASE)" -v labels="$(pairs T_LABEL)" -v growth="$(pairs T_GROWTH)" '
      function map(s, M,   i, n, kv, p) { n = split(s, kv, "|"); for (i = 1; i <= n; i++) if ((p = index(kv[i], "=")) > 0) M[substr(kv[i], 1, p - 1)] = substr(kv[i], p + 1) }
      BEGIN { map(bases, BASE); map(labels, LABEL); map(growth, GROW) }
      NR == 1 { next }
      { k = $1 SUBSEP $2; i = ++n[k]
        rps[k, i] = $4; p50[k, i] = $5; p99[k, i] = $6; cpu[k, i] = $10; bg[k, i] = $12
        per[k, i] = ($10 > 0) ? $4 / ($10 / 100) : 0
        err[k] += $8 + $9
        if ($11 + 0 > rss[k] + 0) rss[k] = $11
        if (!(k in up) || $14 + 0 > up[k] + 0) up[k] = $14
        if ($15 + 0 > open[k] + 0) open[k] = $15 }
      function med(a, k, cnt,   i, j, t, v) {
        for (i = 1; i <= cnt; i++) v[i] = a[k, i] + 0
        for (i = 1; i <= cnt; i++) for (j = i + 1; j <= cnt; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
        return (cnt % 2) ? v[(cnt + 1) / 2] : (v[cnt / 2] + v[cnt / 2 + 1]) / 2 }
      function max(a, k, cnt,   i, m) { m = a[k, 1] + 0; for (i = 2; i <= cnt; i++) if (a[k, i] + 0 > m) m = a[k, i] + 0; return m }
      function min(a, k, cnt,   i, m) { m = a[k, 1] + 0; for (i = 2; i <= cnt; i++) if (a[k, i] + 0 < m) m = a[k, i] + 0; return m }
      function mrps(t, c,   k) { k = t SUBSEP c; return (k in n) ? med(rps, k, n[k]) : 0 }
      END {
        nt = split(order, T, " "); nc = split(conns, C, " ")
        fmt = "%-28s %5s %9s %6s %7s %7s %7s %7s %7s %7s %6s %5s %8s %4s\n"
        printf fmt, "target", "conns", "req/s", "spread", "x_direct", "p50_ms", "p99_ms", "errors", "RSS_MB", "upConn", "upOpen", "cpu%", "rps/core", "bg%"
        for (ci = 1; ci <= nc; ci++) {
          c = C[ci]; shown = 0
          for (ti = 1; ti <= nt; ti++) {
            t = T[ti]; k = t SUBSEP c
            if (!(k in n)) continue
            r = med(rps, k, n[k]); d = mrps((t in BASE) ? BASE[t] : "direct", c); shown++
            sp = (r > 0 && n[k] > 1) ? sprintf("%.0f%%", 100 * (max(rps, k, n[k]) - min(rps, k, n[k])) / r) : "-"
            printf "%-28s %5s %9.0f %6s %7s %7.2f %7.2f %7d %7d %7d %6d %5.0f %8.0f %4.0f\n", (t in LABEL) ? LABEL[t] : t, c, r, sp, (d > 0) ? sprintf("%.2f", r / d) : "-",
              med(p50, k, n[k]), med(p99, k, n[k]), err[k], rss[k], up[k], open[k], med(cpu, k, n[k]), med(per, k, n[k]), max(bg, k, n[k])
          }
          if (shown) print ""
        }
        # The yardstick: how far the gateway is from the fastest bare Node path.
        for (ci = 1; ci <= nc; ci++) {
          c = C[ci]; f = mrps("floor-node", c); g = mrps("gatehouse-node", c)
          if (f > 0 && g > 0) printf "# gatehouse-node / floor (node:http+undici, not the gateway), %s conns: %.2f (%.0f vs %.0f req/s)\n", c, g / f, g, f
          f = mrps("floor-bun", c); g = mrps("gatehouse-bun", c)
          if (f > 0 && g > 0) printf "# gatehouse-bun / floor (Hono-on-Bun fetch, not the gateway), %s conns: %.2f (%.0f vs %.0f req/s)\n", c, g / f, g, f
          f = mrps("floor-deno", c); g = mrps("gatehouse-deno", c)
          if (f > 0 && g > 0) printf "# gatehouse-deno / floor (Deno.serve + the project HTTP/1.1 client, not the gateway), %s conns: %.2f (%.0f vs %.0f req/s)\n", c, g / f, g, f
          f = mrps("floor-node-1mb", c); g = mrps("gatehouse-node-1mb", c)
          if (f > 0 && g > 0) printf "# gatehouse-node-1mb / floor-1mb, %s conns: %.2f (%.0f vs %.0f req/s)\n", c, g / f, g, f
        }
        # Growth: each row against its N=1 (routes) / N=2 (upstreams) reference, same conns.
        ng = 0
        for (ti = 1; ti <= nt; ti++) if (T[ti] in GROW) G[++ng] = T[ti]
        if (ng) {
          print "\n# growth (issue #6 targets: < 10% cost from routes 1 -> 10,000 and upstreams 2 -> 1,000;"
          print "#   100 discovery changes/s (churn) vs the same pool static (up-100): p99 within 20%)"
          printf "%-28s %5s %9s %-24s %7s %7s %8s\n", "target", "conns", "req/s", "vs", "ratio", "cost", "p99 x"
          for (ci = 1; ci <= nc; ci++) for (gi = 1; gi <= ng; gi++) {
            t = G[gi]; c = C[ci]; r = mrps(t, c); b = mrps(GROW[t], c)
            k = t SUBSEP c; kb = GROW[t] SUBSEP c
            q = (k in n && kb in n && med(p99, kb, n[kb]) > 0) ? sprintf("%.2f", med(p99, k, n[k]) / med(p99, kb, n[kb])) : "-"
            if (r > 0 && b > 0) printf "%-28s %5s %9.0f %-24s %7.2f %6.1f%% %8s\n", t, c, r, GROW[t], r / b, (1 - r / b) * 100, q
          }
        }
        print "" }' "$RAW"
    cat <<'EOF'
# req/s, p50, p99, cpu%: median over rounds. spread: (max - min) / median of req/s over the rounds,
#   the run-to-run noise of this row (on a VM it can reach 50 %: compare ratios with that in mind).
# errors: wrk socket errors + non-2xx, summed over rounds.
# x_direct: req/s over the matching direct row (direct-1mb for the *-1mb rows).
# floor: node:http+undici = bench/floor/node-floor.mjs, a bare forwarder (no routing, rules, retries):
#   the yardstick for what Node allows, NOT the gateway.
# RSS_MB: max RSS of the proxy's process group under load (direct: the upstream nginx).
# upConn: max new TCP connections the 2 upstreams accepted during one run; ~0 = keep-alive reuse held
#   (direct: conns + 1, wrk's own); counted on all ports of both upstream nginx, so the 1000up/up-N
#   and churn rows are included (other targets idle meanwhile). upOpen: max upstream connections
#   this proxy held open at the end of a run (0 for direct). cpu%: proxy process-group CPU,
#   100 = one core (direct: upstream).
# rps/core: req/s / (cpu%/100), the proxy's efficiency; steadier than req/s on a shared box, but it
#   flatters a proxy that is not the bottleneck (nginx/HAProxy are held back by the load CPU).
# bg%: max CPU other processes on the box used during a run (high = figures less trustworthy).
EOF
    # Say it loudly when other people's load overlapped the runs: ratios are then unreliable.
    awk -F, -v lim="$BG_MAX" 'NR > 1 && $12 + 0 > lim { n++; if ($12 + 0 > m) m = $12 + 0 }
      END { if (n) printf "# WARNING: in %d run(s) other processes used up to %d%% of a core (> %d%%): figures are\n#   skewed, re-run on a quiet box (see bg%%).\n", n, m, lim }' "$RAW"
    # Idle RSS before the first and after the last round: growth here hints at a leak.
    awk -F, '{ printf "# RSS idle %-28s start %4s MB  end %4s MB\n", $1, $2, $3 }' "$OUT/rss_idle.csv"
    churn_footer
  } | tee "$OUT/summary.txt"
}

# churn_footer: what the churn row's discovery plugin really published (its 1 Hz log lines
# "churn: published=<total> last1s=<n>"), and how many upstream joins the gateway applied.
churn_footer() {
  local f="$RUN/gatehouse-node-churn.log"
  [[ -s "$f" ]] || return 0
  grep -o 'churn: published=[0-9]*\( last1s=[0-9]*\)\?' "$f" | awk -F'[= ]' -v joins="$(grep -c '+upstream' "$f")" '
    $5 != "" { secs++; r = $5 + 0; sum += r; if (min == "" || r < min) min = r; if (r < 90) slow++ }
    { total = $3 }
    END { printf "# churn: %d discovery snapshots published; over the %d whole seconds it ran (paused between its runs):\n#   %.0f/s on average, slowest second %d, %d second(s) under 90/s; the gateway logged %d upstream joins\n",
            total, secs, (secs ? sum / secs : 0), min, slow, joins }'
}
