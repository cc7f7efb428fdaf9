/**
 * The dashboard: one page of plain HTML and JavaScript, inlined so the plugin needs no file
 * system (Bun, Deno, a bundled config). It follows `/api/events` (server-sent events, pushed every
 * second and at once on pool, health or scale changes) and shows the gateway's version, runtime,
 * uptime and config; each pool's upstreams coloured by state with drain (confirmed) and enable
 * buttons, each with how long it has been in that state, its last health check (result, latency,
 * time: why it fails), requests/s, error rate, p50/p99, weight and labels; requests/s and error
 * rate per pool with a one-minute sparkline; a scaling pool's state (asleep, waking, awake) and
 * replicas; a pool's release (the split by version, the canary's step, the last verdict,
 * promote/pause/resume/abort); the routes with their rules and middleware; each discovery source's last applied and
 * rejected snapshot (with the problems, field named); served certificates and their expiry; and
 * the recent pool changes and scaling decisions. Times are 24-hour with seconds, whatever the
 * browser's locale.
 */
export const DASHBOARD_HTML = /* html */ `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Gatehouse</title>
<style>
  :root { --ok: #1e8e3e; --bad: #d93025; --warn: #e8710a; --off: #80868b; --wait: #1a73e8; font: 14px/1.4 system-ui, sans-serif; color: #202124; }
  body { margin: 0 auto; padding: 1em 1.5em; max-width: 72em; background: #f8f9fa; }
  h1 { font-size: 1.3em; margin: 0 0 .8em; } h2 { font-size: 1.05em; margin: 1.4em 0 .5em; }
  #conn { font-size: .8em; font-weight: normal; padding: .1em .5em; border-radius: 1em; background: var(--off); color: #fff; margin-left: .5em; }
  #conn.live { background: var(--ok); }
  table { border-collapse: collapse; width: 100%; background: #fff; } td, th { text-align: left; padding: .3em .6em; border-bottom: 1px solid #e8eaed; }
  .pools { display: grid; grid-template-columns: repeat(auto-fill, minmax(30em, 1fr)); gap: 1em; }
  .pool { background: #fff; border: 1px solid #dadce0; border-radius: 8px; padding: .8em 1em; }
  .pool h3 { margin: 0; font-size: 1em; } .stats { color: #5f6368; margin: .2em 0 .4em; }
  .up { margin: .25em 0; padding: .25em .5em; border-radius: 4px; color: #fff; font-family: ui-monospace, monospace; font-size: .85em; }
  .up .head { display: flex; align-items: center; gap: .5em; }
  .up span.url { flex: 1; min-width: 14em; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
  .up span.since { text-align: right; }
  .up .detail { font-size: .9em; opacity: .92; margin-top: .1em; }
  .up .labels { font-size: .9em; opacity: .85; }
  #about { color: #5f6368; font-size: .85em; font-weight: normal; margin-left: .8em; }
  .failing { color: var(--bad); } .problems { margin: .2em 0 0; padding-left: 1.2em; font-family: ui-monospace, monospace; font-size: .85em; }
  .soon { color: var(--warn); font-weight: 600; } .expired { color: var(--bad); font-weight: 600; }
  .up.available { background: var(--ok); } .up.unhealthy { background: var(--bad); } .up.ejected { background: var(--warn); } .up.disabled { background: var(--off); } .up.warming { background: var(--wait); }
  .up button { font-size: .8em; cursor: pointer; }
  .legend { font-size: .75em; font-weight: normal; color: #5f6368; margin-left: 1em; }
  .legend i { display: inline-block; width: .8em; height: .8em; border-radius: 2px; margin: 0 .3em 0 .8em; vertical-align: -1px; }
  .legend .available { background: var(--ok); } .legend .unhealthy { background: var(--bad); } .legend .ejected { background: var(--warn); } .legend .disabled { background: var(--off); } .legend .warming { background: var(--wait); }
  .scale { display: inline-block; font-size: .8em; font-weight: normal; padding: 0 .5em; border-radius: 1em; color: #fff; margin-left: .4em; }
  .scale.asleep { background: var(--off); } .scale.waking { background: var(--wait); } .scale.awake { background: var(--ok); }
  svg.spark { width: 100%; height: 36px; background: #f1f3f4; border-radius: 4px; }
  .release { margin: .4em 0 .6em; font-size: .85em; } .release .line { color: #5f6368; }
  .split { display: flex; height: 1.4em; border-radius: 4px; overflow: hidden; background: #e8eaed; margin: .3em 0; }
  .split span { color: #fff; font-size: .8em; line-height: 1.75em; padding: 0 .4em; white-space: nowrap; overflow: hidden; background: #1a73e8; }
  .split span.canary { background: #e8710a; } .split span.stable { background: #1e8e3e; }
  .verdict.rollback { color: var(--bad); } .verdict.promote, .verdict.step, .verdict.switch { color: var(--ok); }
  .release button { font-size: .8em; cursor: pointer; margin-right: .3em; }
  #changes li { font-family: ui-monospace, monospace; font-size: .85em; } .empty { color: #5f6368; }
</style></head>
<body>
<h1>Gatehouse <span id="conn">connecting…</span><span id="about"></span></h1>
<h2>Pools <span class="legend"><i class="available"></i>available <i class="unhealthy"></i>failing checks <i class="ejected"></i>ejected <i class="disabled"></i>drained <i class="warming"></i>starting</span></h2>
<div class="pools" id="pools"></div>
<h2>Routes</h2><table><thead><tr><th>name</th><th>host</th><th>path</th><th>methods</th><th>pool</th><th>rules</th><th>middleware</th><th>source</th></tr></thead><tbody id="routes"></tbody></table>
<h2>Discovery</h2><table><thead><tr><th>source</th><th>last applied</th><th>last snapshot</th></tr></thead><tbody id="discovery"></tbody></table>
<h2>Certificates</h2><table><thead><tr><th>hosts</th><th>serial</th><th>expires</th></tr></thead><tbody id="certificates"></tbody></table>
<h2>Recent pool changes and scaling</h2><ul id="changes"></ul>
<script>
"use strict";
function el(tag, attrs, children) {
  var e = document.createElement(tag);
  for (var k in attrs || {}) { if (k === "text") e.textContent = attrs[k]; else e.setAttribute(k, attrs[k]); }
  (children || []).forEach(function (c) { if (c) e.appendChild(c); });
  return e;
}
function pad(n) { return (n < 10 ? "0" : "") + n; }
/** 24-hour clock with seconds, whatever the browser's locale. */
function clock(t) { var d = new Date(t); return pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds()); }
function day(t) { var d = new Date(t); return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()); }
function dur(ms) {
  var s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return s + " s";
  if (s < 3600) return Math.floor(s / 60) + " min " + pad(s % 60) + " s";
  if (s < 86400) return Math.floor(s / 3600) + " h " + pad(Math.floor(s / 60) % 60) + " min";
  return Math.floor(s / 86400) + " d " + Math.floor(s / 3600) % 24 + " h";
}
function ms(v) { return v === null ? "–" : v < 10 ? v.toFixed(1) + " ms" : Math.round(v) + " ms"; }
function pct(v) { return v === null ? "–" : (v * 100).toFixed(1) + " %"; }
function spark(values, errors) {
  var ns = "http://www.w3.org/2000/svg", max = Math.max(1, Math.max.apply(null, values)), w = 120, h = 36;
  var svg = document.createElementNS(ns, "svg");
  svg.setAttribute("class", "spark"); svg.setAttribute("viewBox", "0 0 " + w + " " + h); svg.setAttribute("preserveAspectRatio", "none");
  [[values, "#1a73e8"], [errors, "#d93025"]].forEach(function (line) {
    var p = document.createElementNS(ns, "polyline");
    p.setAttribute("fill", "none"); p.setAttribute("stroke", line[1]); p.setAttribute("stroke-width", "1.5"); p.setAttribute("vector-effect", "non-scaling-stroke");
    p.setAttribute("points", line[0].map(function (v, i) { return (i * w / (line[0].length - 1)).toFixed(1) + "," + (h - 2 - v / max * (h - 4)).toFixed(1); }).join(" "));
    svg.appendChild(p);
  });
  return svg;
}
function act(pool, id, action, url) {
  if (action === "disable" && !confirm("Drain " + url + " in pool " + pool + "?\\nIt takes no new requests; those in flight finish.")) return;
  fetch("/api/pools/" + encodeURIComponent(pool) + "/upstreams/" + encodeURIComponent(id) + "/" + action, { method: "POST" })
    .then(function (r) { if (!r.ok) r.json().then(function (b) { alert(b.error || r.status); }); });
}
function steer(pool, action) {
  fetch("/api/pools/" + encodeURIComponent(pool) + "/release/" + action, { method: "POST" })
    .then(function (r) { if (!r.ok) r.json().then(function (b) { alert(b.message || b.error || r.status); }); });
}
function release(pool, r) {
  var step = r.step === undefined ? "" : " · step " + (r.step + 1) + "/" + r.steps.length + (r.paused ? " (paused)" : "");
  var line = el("div", { "class": "line", text: r.strategy + " by " + r.by + " · stable " + (r.stable || "–") + (r.candidate ? " · new " + r.candidate : "") + step });
  var split = el("div", { "class": "split" }, r.versions.filter(function (v) { return v.weight > 0; }).map(function (v) {
    return el("span", { "class": v.role, "data-version": v.name, "data-weight": String(v.weight), style: "width:" + v.weight + "%", title: v.name + ": " + v.requests + " requests, errors " + (v.errorRate * 100).toFixed(1) + " %, p99 " + v.p99Ms + " ms", text: v.name + " " + v.weight + "%" });
  }));
  var last = r.last ? el("div", { "class": "verdict " + r.last.action, text: r.last.action + " " + r.last.version + ": " + r.last.reason }) : el("div", { "class": "verdict empty", text: "no decision yet" });
  var buttons = ["promote", r.paused ? "resume" : "pause", "abort"].map(function (a) {
    var b = el("button", { text: a }); b.onclick = function () { steer(pool.name, a); }; return b;
  });
  return el("div", { "class": "release", "data-release": pool.name }, [line, split, last, el("div", {}, buttons)]);
}
var STATE_WORDS = { available: "up", unhealthy: "failing checks", disabled: "drained", warming: "starting" };
function upstream(pool, u, now) {
  var label = u.state === "ejected" ? "ejected until " + clock(u.ejectedUntil) : STATE_WORDS[u.state] || u.state;
  var button = el("button", { text: u.disabled ? "enable" : "drain", title: u.disabled ? "take requests again" : "take no new requests" });
  button.onclick = function () { act(pool.name, u.id, u.disabled ? "enable" : "disable", u.url); };
  var labels = Object.keys(u.labels || {}).map(function (k) { return k + "=" + u.labels[k]; }).join(" ");
  var c = u.lastCheck;
  var check = c ? "check " + (c.ok ? "ok " : "failed: ") + c.detail + " in " + c.ms + " ms at " + clock(c.at) : "no active check";
  return el("div", { "class": "up " + u.state, "data-id": u.id, "data-state": u.state, title: u.id }, [
    el("div", { "class": "head" }, [
      el("span", { "class": "url", text: u.url }),
      el("span", { "class": "since", text: label + " for " + dur(now - u.since) + " · " + u.inflight + " in flight" }), button,
    ]),
    el("div", { "class": "detail check", text: check }),
    el("div", { "class": "detail traffic", text: u.rps.toFixed(1) + " req/s · errors " + pct(u.errorRate) + " · p50 " + ms(u.p50) + " · p99 " + ms(u.p99) + " · weight " + u.weight }, [
      labels ? el("span", { "class": "labels", text: " · " + labels }) : null,
    ]),
  ]);
}
/** A scaling pool: its state as a badge in the title, its replicas (and the action under way) in the stats line. */
function scaleBadge(sc) {
  return el("span", { "class": "scale " + sc.state, "data-scale-state": sc.state, text: sc.state });
}
function replicas(sc) {
  var bounds = sc.min === sc.max ? sc.min : sc.min + "–" + sc.max;
  return " · replicas " + sc.running + " running, " + sc.asleep + " asleep (" + bounds + ")" + (sc.acting ? " · " + sc.acting : "");
}
function routeRules(r) {
  var rules = [];
  if (r.stripPrefix) rules.push("strip " + r.stripPrefix);
  if (r.rewrite) rules.push("rewrite " + (typeof r.rewrite === "string" ? r.rewrite : JSON.stringify(r.rewrite)));
  if (r.hostHeader && r.hostHeader !== "preserve") rules.push("host header: " + r.hostHeader);
  if (r.headers && r.headers.length) rules.push("match headers " + r.headers.join(", "));
  if (r.requestHeaders) rules.push("request headers set " + (r.requestHeaders.set.join(", ") || "–") + (r.requestHeaders.remove && r.requestHeaders.remove.length ? ", remove " + r.requestHeaders.remove.join(", ") : ""));
  if (r.responseHeaders) rules.push("response headers set " + (r.responseHeaders.set.join(", ") || "–") + (r.responseHeaders.remove && r.responseHeaders.remove.length ? ", remove " + r.responseHeaders.remove.join(", ") : ""));
  return rules.join("; ") || "–";
}
function about(s) {
  var a = s.about;
  document.getElementById("about").textContent = "v" + a.version + " on " + a.runtime + " · up " + dur(s.time - a.startedAt) + " · config #" + s.config.generation + " loaded " + clock(Date.parse(s.config.loadedAt)) + " · now " + clock(s.time);
}
function render(s) {
  about(s);
  var pools = document.getElementById("pools"); pools.textContent = "";
  s.pools.forEach(function (p) {
    var rate = p.errorRate === null ? "–" : (p.errorRate * 100).toFixed(1) + " %";
    pools.appendChild(el("div", { "class": "pool", "data-pool": p.name }, [
      el("h3", { text: p.name + " (" + p.balancer + ")" }, [p.scale && scaleBadge(p.scale)]),
      el("div", { "class": "stats", text: p.rps.toFixed(1) + " req/s · errors " + rate + (p.scale ? replicas(p.scale) : "") }),
      spark(p.history, p.errorHistory),
      p.release ? release(p, p.release) : null,
    ].concat(p.upstreams.length ? p.upstreams.map(function (u) { return upstream(p, u, s.time); }) : [el("div", { "class": "empty", text: p.scale ? "no replica running" : "no upstreams" })])));
  });
  var routes = document.getElementById("routes"); routes.textContent = "";
  s.routes.forEach(function (r) {
    routes.appendChild(el("tr", {}, [r.name, (r.host || ["*"]).join(", "), r.path, (r.methods || ["any"]).join(", "), r.pool, routeRules(r), r.use.join(" → ") || "–", r.source || "–"].map(function (t) { return el("td", { text: t }); })));
  });
  var discovery = document.getElementById("discovery"); discovery.textContent = "";
  if (!s.discovery.length) discovery.appendChild(el("tr", {}, [el("td", { "class": "empty", text: "no discovery source has reported", colspan: "3" })]));
  s.discovery.forEach(function (d) {
    var last = d.failing
      ? el("td", { "class": "failing" }, [el("span", { text: "rejected at " + clock(d.rejectedAt) + (d.appliedAt ? ", serving the snapshot applied before" : ", nothing applied yet") }),
          el("ul", { "class": "problems" }, d.problems.map(function (p) { return el("li", { text: p }); }))])
      : el("td", { text: "applied" + (d.rejectedAt ? " (last rejected at " + clock(d.rejectedAt) + ")" : "") });
    discovery.appendChild(el("tr", { "data-source": d.source, "data-failing": String(d.failing) }, [el("td", { text: d.source }), el("td", { text: d.appliedAt ? clock(d.appliedAt) : "never" }), last]));
  });
  var certificates = document.getElementById("certificates"); certificates.textContent = "";
  if (!s.certificates || !s.certificates.length) certificates.appendChild(el("tr", {}, [el("td", { "class": "empty", text: "no HTTPS listener", colspan: "3" })]));
  (s.certificates || []).forEach(function (c) {
    var left = Date.parse(c.notAfter) - s.time, days = Math.floor(left / 86400000);
    var when = day(Date.parse(c.notAfter)) + " " + clock(Date.parse(c.notAfter)) + " (" + (left < 0 ? "expired" : "in " + days + " days") + ")";
    certificates.appendChild(el("tr", {}, [el("td", { text: c.hosts.join(", ") }), el("td", { text: c.serial }), el("td", { "class": left < 0 ? "expired" : days < 14 ? "soon" : "", text: when })]));
  });
  var changes = document.getElementById("changes"); changes.textContent = "";
  if (!s.changes.length) changes.appendChild(el("li", { "class": "empty", text: "none since the dashboard started" }));
  s.changes.forEach(function (c) {
    changes.appendChild(el("li", { text: clock(c.time) + "  " + c.pool + "  " + c.change + (c.upstream ? "  " + c.upstream : "") + (c.detail ? "  (" + c.detail + ")" : "") }));
  });
}
var conn = document.getElementById("conn");
var source = new EventSource("/api/events");
source.addEventListener("state", function (e) { conn.textContent = "live"; conn.className = "live"; render(JSON.parse(e.data)); });
source.onerror = function () { conn.textContent = "reconnecting…"; conn.className = ""; };
</script>
</body></html>
`
