# shellcheck shell=bash
# The one table: medians over rounds from $RAW, printed and written to $OUT/summary.txt.
# Sourced by run.sh. Needs $ACTIVE_TARGETS (row order), $CONNS, $RAW, $OUT/rss_idle.csv.

summarize() {
  {
    printf '# gatehouse bench %s  %s, %s cpus, PIN=%s (load cpu%s, proxy cpu%s), wrk -t%s -d%ss, median of %s round(s)\n' \
      "$(date -Is)" "$(node -v 2>/dev/null)" "$(nproc)" "$PIN" "$LOAD_CPU" "$PROXY_CPU" "$THREADS" "$DURATION" "$ROUNDS"
    printf '# git %s\n' "$(git -C "$REPO" describe --always --dirty 2>/dev/null || echo '?')"
    awk -F, -v order="$ACTIVE_TARGETS" -v conns="$CONNS" '
      NR == 1 { next }
      { k = $1 SUBSEP $2; i = ++n[k]
        rps[k, i] = $4; p50[k, i] = $5; p99[k, i] = $6; cpu[k, i] = $10; bg[k, i] = $12
        per[k, i] = ($10 > 0) ? $4 / ($10 / 100) : 0
        err[k] += $8 + $9
        if ($11 + 0 > rss[k] + 0) rss[k] = $11
        if (!(k in up) || $14 + 0 > up[k] + 0) up[k] = $14 }
      function med(a, k, cnt,   i, j, t, v) {
        for (i = 1; i <= cnt; i++) v[i] = a[k, i] + 0
        for (i = 1; i <= cnt; i++) for (j = i + 1; j <= cnt; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
        return (cnt % 2) ? v[(cnt + 1) / 2] : (v[cnt / 2] + v[cnt / 2 + 1]) / 2 }
      function max(a, k, cnt,   i, m) { m = a[k, 1] + 0; for (i = 2; i <= cnt; i++) if (a[k, i] + 0 > m) m = a[k, i] + 0; return m }
      END {
        nt = split(order, T, " "); nc = split(conns, C, " ")
        fmt = "%-26s %5s %9s %7s %7s %7s %7s %7s %7s %5s %8s %4s\n"
        printf fmt, "target", "conns", "req/s", "x_direct", "p50_ms", "p99_ms", "errors", "RSS_MB", "upConn", "cpu%", "rps/core", "bg%"
        for (ci = 1; ci <= nc; ci++) {
          c = C[ci]; dk = "direct" SUBSEP c
          d = (dk in n) ? med(rps, dk, n[dk]) : 0
          for (ti = 1; ti <= nt; ti++) {
            t = T[ti]; k = t SUBSEP c
            if (!(k in n)) continue
            r = med(rps, k, n[k])
            printf "%-26s %5s %9.0f %7s %7.2f %7.2f %7d %7d %7d %5.0f %8.0f %4.0f\n", t, c, r, (d > 0) ? sprintf("%.2f", r / d) : "-",
              med(p50, k, n[k]), med(p99, k, n[k]), err[k], rss[k], up[k], med(cpu, k, n[k]), med(per, k, n[k]), max(bg, k, n[k])
          }
          print ""
        } }' "$RAW"
    cat <<'EOF'
# req/s, p50, p99, cpu%: median over rounds. errors: wrk socket errors + non-2xx, summed over rounds.
# RSS_MB: max RSS of the proxy's process group under load (direct: the upstream nginx).
# upConn: max new TCP connections the 2 upstreams accepted during one run; ~0 = keep-alive reuse held
#   (direct: conns + 1, wrk's own). cpu%: proxy process-group CPU, 100 = one core (direct: upstream).
# rps/core: req/s / (cpu%/100), the proxy's efficiency; steadier than req/s on a shared box, but it
#   flatters a proxy that is not the bottleneck (nginx/HAProxy are held back by the load CPU).
# bg%: max CPU other processes on the box used during a run (high = figures less trustworthy).
EOF
    # Say it loudly when other people's load overlapped the runs: ratios are then unreliable.
    awk -F, -v lim="$BG_MAX" 'NR > 1 && $12 + 0 > lim { n++; if ($12 + 0 > m) m = $12 + 0 }
      END { if (n) printf "# WARNING: in %d run(s) other processes used up to %d%% of a core (> %d%%): figures are\n#   skewed, re-run on a quiet box (see bg%%).\n", n, m, lim }' "$RAW"
    # Idle RSS before the first and after the last round: growth here hints at a leak.
    awk -F, '{ printf "# RSS idle %-26s start %4s MB  end %4s MB\n", $1, $2, $3 }' "$OUT/rss_idle.csv"
  } | tee "$OUT/summary.txt"
}
