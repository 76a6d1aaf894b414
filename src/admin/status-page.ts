/**
 * The status page served at `/` on the admin listener: one self-contained
 * HTML document (inline CSS and script, no external assets, so it works
 * through `kubectl port-forward` and offline) that polls `/api/status` every
 * second. Cells carry `data-field` names matching the JSON's keys, for people
 * and for test/integration/status-page.test.ts alike.
 */
export const STATUS_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>logship status</title>
<style>
  :root { color-scheme: light dark; --ok: #1a7f37; --bad: #cf222e; --muted: #6e7781; --line: #d0d7de; }
  body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5rem; max-width: 72rem; }
  h1 { font-size: 1.3rem; margin: 0 0 .3rem; }
  h2 { font-size: 1.05rem; margin: 1.4rem 0 .4rem; }
  table { border-collapse: collapse; width: 100%; }
  th, td { text-align: right; padding: .25rem .6rem; border-bottom: 1px solid var(--line); white-space: nowrap; }
  th:first-child, td:first-child, td.text { text-align: left; }
  td.text { white-space: normal; }
  .badge { display: inline-block; padding: .1rem .5rem; border-radius: 1rem; color: #fff; font-weight: 600; }
  .ok { background: var(--ok); } .bad { background: var(--bad); }
  .muted { color: var(--muted); }
  .charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(22rem, 1fr)); gap: 1rem; }
  svg { width: 100%; height: 10rem; border: 1px solid var(--line); }
  ul { margin: .2rem 0; padding-left: 1.2rem; }
  .legend span { margin-right: 1rem; }
</style>
</head>
<body>
<h1>logship <span id="ready" class="badge">…</span> <span id="phase" class="muted"></span></h1>
<div class="muted">updated <span id="updated">never</span> · started <span id="started"></span> · <span id="conn"></span></div>
<h2>Readiness and health</h2>
<ul id="reasons"><li class="muted">no problems</li></ul>
<h2>Inputs</h2>
<table id="inputs"><thead><tr><th>input</th><th>files</th><th>lines/s</th><th>events/s</th><th>events</th><th>behind (bytes)</th><th>parse failures</th></tr></thead><tbody></tbody></table>
<h2>Outputs</h2>
<table id="outputs"><thead><tr><th>output</th><th>events/s</th><th>acknowledged</th><th>buffer</th><th>oldest</th><th>retries</th><th>dead letters</th><th>failure</th></tr></thead><tbody></tbody></table>
<h2>Last 10 minutes</h2>
<div class="legend" id="legend"></div>
<div class="charts">
  <div><div class="muted">events/s acknowledged</div><svg id="chart-events" viewBox="0 0 600 160" preserveAspectRatio="none"></svg></div>
  <div><div class="muted">buffer bytes</div><svg id="chart-buffer" viewBox="0 0 600 160" preserveAspectRatio="none"></svg></div>
</div>
<h2>Last errors</h2>
<ul id="errors"><li class="muted">none</li></ul>
<script>
"use strict";
const COLORS = ["#0969da", "#bf3989", "#1a7f37", "#9a6700", "#8250df", "#cf222e"];
const $ = (id) => document.getElementById(id);
const el = (tag, attrs, text) => { const e = document.createElement(tag); for (const k in attrs) e.setAttribute(k, attrs[k]); if (text !== undefined) e.textContent = String(text); return e; };
const bytes = (n) => n < 1024 ? n + " B" : n < 1048576 ? (n / 1024).toFixed(1) + " KiB" : n < 1073741824 ? (n / 1048576).toFixed(1) + " MiB" : (n / 1073741824).toFixed(2) + " GiB";
const num = (n) => Number(n).toLocaleString("en");
function row(attrs, cells) {
  const tr = el("tr", attrs);
  for (const [field, text, cls] of cells) tr.append(el("td", cls ? { "data-field": field, class: cls } : { "data-field": field }, text));
  return tr;
}
function list(ul, items, empty) {
  ul.replaceChildren(...(items.length ? items.map((t) => el("li", {}, t)) : [el("li", { class: "muted" }, empty)]));
}
// The x axis spans the history there is (a minute at least, ten at most), one sample a second.
function chart(svg, series) {
  const w = 600, h = 160;
  let max = 0, span = 60;
  for (const s of series) {
    span = Math.max(span, s.values.length);
    for (const v of s.values) max = Math.max(max, v);
  }
  const parts = [];
  series.forEach((s, i) => {
    const n = s.values.length;
    if (n === 0) return;
    const pts = s.values.map((v, j) => ((w * (span - n + j)) / (span - 1)).toFixed(1) + "," + (h - 4 - (max > 0 ? (v / max) * (h - 20) : 0)).toFixed(1)).join(" ");
    parts.push('<polyline fill="none" stroke-width="2" stroke="' + COLORS[i % COLORS.length] + '" points="' + pts + '" data-output="' + s.name + '"></polyline>');
  });
  const from = span >= 600 ? "−10 min" : span % 60 === 0 ? "−" + span / 60 + " min" : "−" + span + " s";
  parts.push('<text x="4" y="' + (h - 6) + '" font-size="11" fill="currentColor">' + from + '</text><text x="' + (w - 4) + '" y="' + (h - 6) + '" font-size="11" text-anchor="end" fill="currentColor">now</text>');
  parts.push('<text x="4" y="12" font-size="11" fill="currentColor">max ' + (svg.id === "chart-buffer" ? bytes(max) : num(Math.round(max * 10) / 10)) + "</text>");
  svg.innerHTML = parts.join("");
}
function render(s) {
  const ready = $("ready");
  ready.textContent = s.ready ? "ready" : "not ready";
  ready.className = "badge " + (s.ready ? "ok" : "bad");
  $("phase").textContent = s.phase + (s.healthy ? " · healthy" : " · unhealthy");
  $("updated").textContent = new Date(s.time).toLocaleTimeString();
  $("started").textContent = new Date(s.startedAt).toLocaleString();
  const reasons = [...s.notReady.map((p) => "not ready: " + p.reason), ...s.problems.filter((p) => !s.notReady.some((q) => q.reason === p.reason)).map((p) => p.reason)];
  list($("reasons"), reasons, "no problems");
  $("inputs").tBodies[0].replaceChildren(...s.inputs.map((i) => row({ "data-input": i.name }, [
    ["name", i.name], ["filesTracked", i.filesTracked], ["linesPerSecond", num(i.linesPerSecond)], ["eventsPerSecond", num(i.eventsPerSecond)],
    ["events", num(i.events)], ["lagBytes", bytes(i.lagBytes)], ["parseFailures", num(i.parseFailures)],
  ])));
  $("outputs").tBodies[0].replaceChildren(...s.outputs.map((o) => row({ "data-output": o.name }, [
    ["name", o.name + " (" + o.type + ")"], ["eventsPerSecond", num(o.eventsPerSecond)], ["acknowledged", num(o.acknowledged)],
    ["bufferBytes", bytes(o.bufferBytes) + " / " + bytes(o.bufferMaxBytes)], ["oldestAgeSeconds", o.oldestAgeSeconds === null ? "–" : o.oldestAgeSeconds + " s"],
    ["retries", num(o.retries)], ["deadLetters", num(o.deadLetters)], ["failure", o.failure ?? "", "text"],
  ])));
  const names = Object.keys(s.history.outputs);
  $("legend").replaceChildren(...names.map((n, i) => { const e = el("span", {}, "■ " + n); e.style.color = COLORS[i % COLORS.length]; return e; }));
  chart($("chart-events"), names.map((n) => ({ name: n, values: s.history.outputs[n].eventsPerSecond })));
  chart($("chart-buffer"), names.map((n) => ({ name: n, values: s.history.outputs[n].bufferBytes })));
  list($("errors"), s.lastErrors.map((e) => new Date(e.time).toLocaleTimeString() + " " + e.source + ": " + e.message), "none");
}
async function poll() {
  try {
    const res = await fetch("api/status", { cache: "no-store" });
    if (!res.ok) throw new Error("HTTP " + res.status);
    render(await res.json());
    $("conn").textContent = "live";
  } catch (err) {
    $("conn").textContent = "cannot reach logship: " + err.message;
  }
  setTimeout(poll, 1000);
}
poll();
</script>
</body>
</html>
`;
