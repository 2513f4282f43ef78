// branchspec serve: the page. It draws and formats what the server
// computes (the server's numbers come from the code of 'compare' and
// 'report'); it computes no statistic itself. The choices are kept in
// the URL's query string, so a view can be shared.
"use strict";

// Okabe and Ito's colour-blind safe palette (without yellow and black),
// then a few more distinct hues.
const PALETTE = ["#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9",
  "#8c564b", "#7f7f7f", "#a6a600", "#17becf"];
const SVGNS = "http://www.w3.org/2000/svg";

const state = {
  runs: null,        // the last /api/runs answer
  version: -1,
  metrics: null,     // chosen metrics; null until the defaults are known
  by: "",
  groups: null,      // chosen groups; null means all
  seeds: null,       // chosen seeds; null means all
  view: "mean",
  live: true,
  logx: true,
  krun: "",
  kstep: "",
  lastSteps: new Map(), // run id -> "step/status" at the previous poll
  curvesBusy: false, curvesAgain: false,
};

// ---- small helpers -------------------------------------------------------

function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") e.className = v;
    else if (k === "text") e.textContent = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? "" : v);
  }
  for (const k of kids) if (k !== null && k !== undefined) e.append(k);
  return e;
}

function sv(tag, attrs, ...kids) {
  const e = document.createElementNS(SVGNS, tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null) continue;
    if (k === "text") e.textContent = v;
    else e.setAttribute(k, v);
  }
  for (const k of kids) if (k) e.append(k);
  return e;
}

async function api(path) {
  const r = await fetch(path, { cache: "no-cache" });
  const body = await r.json().catch(() => ({}));
  if (!r.ok) throw new Error(body.error || r.status + " " + r.statusText);
  return body;
}

// fmt renders a value as the command line does (experiments.FormatValue):
// 4 decimals, scientific below 1e-3 and from 1e5; integers as they are.
function fmt(v) {
  if (v === null || v === undefined) return "–";
  if (typeof v !== "number") return String(v);
  if (Number.isInteger(v)) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return v.toExponential(3);
  return v.toFixed(4);
}

function num(v) { return typeof v === "number" ? v : (v === null ? NaN : Number(v)); }

function tickText(v) {
  const a = Math.abs(v);
  if (v === 0) return "0";
  if (a >= 1e5 || a < 1e-3) return v.toExponential(1);
  return String(+v.toPrecision(4));
}

function ago(iso) {
  if (!iso) return "–";
  const s = (Date.now() - Date.parse(iso)) / 1000;
  if (s < 5) return "just now";
  if (s < 90) return Math.round(s) + " s ago";
  if (s < 5400) return Math.round(s / 60) + " min ago";
  if (s < 36 * 3600) return Math.round(s / 3600) + " h ago";
  return new Date(iso).toLocaleDateString();
}

function colourOf(group) {
  const gs = state.runs ? state.runs.groups : [];
  const i = gs.indexOf(group);
  return PALETTE[(i < 0 ? gs.length : i) % PALETTE.length];
}

function selectedGroups() { return state.groups || (state.runs ? state.runs.groups : []); }
function selectedSeeds() { return state.seeds || (state.runs ? state.runs.seeds : []); }

// ---- the URL -------------------------------------------------------------

function readURL() {
  const q = new URLSearchParams(location.search);
  if (q.has("m")) state.metrics = q.getAll("m");
  state.by = q.get("by") || "";
  if (q.has("g")) state.groups = q.getAll("g");
  if (q.has("s")) state.seeds = q.getAll("s").map(Number).filter(Number.isFinite);
  state.view = ["mean", "runs", "both"].includes(q.get("view")) ? q.get("view") : "mean";
  state.live = q.get("live") !== "0";
  state.logx = q.get("logx") !== "0";
  state.krun = q.get("k") || "";
  state.kstep = q.get("ks") || "";
}

function writeURL() {
  const q = new URLSearchParams();
  for (const m of state.metrics || []) q.append("m", m);
  if (state.by) q.set("by", state.by);
  if (state.groups) for (const g of state.groups) q.append("g", g);
  if (state.seeds) for (const s of state.seeds) q.append("s", String(s));
  if (state.view !== "mean") q.set("view", state.view);
  if (!state.live) q.set("live", "0");
  if (!state.logx) q.set("logx", "0");
  if (state.krun) q.set("k", state.krun);
  if (state.kstep) q.set("ks", state.kstep);
  const s = q.toString();
  history.replaceState(null, "", s ? "?" + s : location.pathname);
}

// ---- polling the run list ------------------------------------------------

async function poll() {
  let wait = 2000;
  const health = document.getElementById("health");
  try {
    const q = new URLSearchParams();
    if (state.by) q.set("by", state.by);
    const runs = await api("/api/runs?" + q);
    wait = runs.poll_ms || wait;
    const changed = runs.version !== state.version;
    state.runs = runs;
    if (!state.by) state.by = runs.by;
    if (state.metrics === null) state.metrics = runs.default_metrics.slice(0, 6);
    const training = runs.runs.filter(r => r.live).length;
    const busy = runs.runs.filter(r => r.busy).length;
    health.className = "health ok";
    health.textContent = `checked ${new Date().toLocaleTimeString()} · ${runs.runs.length} runs, ${training} training` +
      (busy ? `, ${busy} busy` : "");
    renderRuns();
    if (changed) {
      if (state.version >= 0) document.body.dataset.updates = String(Number(document.body.dataset.updates || 0) + 1);
      state.version = runs.version;
      renderPickers();
      renderKernelPicker();
      refreshCurves();
      refreshCompare();
    }
  } catch (err) {
    health.className = "health bad";
    health.textContent = "server unreachable (" + err.message + "), retrying";
  }
  setTimeout(poll, wait);
}

function statusClass(r) {
  if (r.error) return "unreadable";
  if (r.state === "running" && r.live) return "training";
  if (r.status.startsWith("failed")) return "failed";
  return r.status;
}

function renderRuns() {
  const runs = state.runs.runs;
  document.getElementById("dirs").textContent = state.runs.dirs.join("  ");
  document.getElementById("runs-count").textContent = runs.length ? `${runs.length}` : "";
  document.getElementById("runs-empty").hidden = runs.length > 0;
  const errs = document.getElementById("errors");
  errs.hidden = state.runs.errors.length === 0;
  errs.textContent = state.runs.errors.join("; ");
  const body = document.querySelector("#runs tbody");
  const rows = [];
  for (const r of runs) {
    const key = `${r.step}/${r.status}/${r.busy}`;
    const before = state.lastSteps.get(r.id);
    state.lastSteps.set(r.id, key);
    const frac = r.total > 0 ? Math.min(1, r.step / r.total) : 0;
    const bar = el("span", { class: "bar" + (r.state === "done" ? " done" : "") }, el("span"));
    bar.firstChild.style.width = (100 * frac).toFixed(1) + "%";
    const cls = statusClass(r);
    rows.push(el("tr", { class: before !== undefined && before !== key ? "changed" : null, "data-run": r.id },
      el("td", { class: "id", title: r.dir, text: r.id }),
      el("td", {}, r.group ? el("span", { class: "swatch", "data-colour": colourOf(r.group) }) : null, r.group || "–"),
      el("td", { class: "num", text: r.error ? "–" : String(r.seed) }),
      el("td", {}, bar, r.error ? "–" : `${r.step}/${r.total}`),
      el("td", { title: r.error || r.status }, el("span", { class: "badge " + cls, text: cls === "training" ? "training" : (r.error ? "unreadable" : r.status) }),
        r.busy ? el("span", { class: "busy", title: "a checkpoint was being written at the last read; shown as of the read before", text: "busy" }) : null),
      el("td", { class: "num", text: r.test_acc === null ? "–" : r.test_acc.toFixed(3) }),
      el("td", { title: r.updated || "", text: ago(r.updated) }),
      el("td", {}, r.kept.length ? el("button", { class: "link", text: "kernels", onclick: () => showKernels(r.id) }) : null)));
  }
  body.replaceChildren(...rows);
  for (const s of body.querySelectorAll(".swatch")) s.style.background = s.dataset.colour;
}

// ---- the pickers ---------------------------------------------------------

function renderPickers() {
  const r = state.runs;
  document.getElementById("by").value = state.by;
  document.getElementById("view").value = state.view;
  document.getElementById("live").checked = state.live;
  document.getElementById("logx").checked = state.logx;
  renderMetricList();
  const gsel = selectedGroups();
  document.getElementById("group-chips").replaceChildren(...r.groups.map(g => {
    const sw = el("span", { class: "swatch" });
    sw.style.background = colourOf(g);
    return el("button", { class: "chip" + (gsel.includes(g) ? "" : " off"), onclick: () => toggle("groups", g, r.groups) }, sw, g);
  }));
  const ssel = selectedSeeds();
  document.getElementById("seed-chips").replaceChildren(...r.seeds.map(s =>
    el("button", { class: "chip" + (ssel.includes(s) ? "" : " off"), onclick: () => toggle("seeds", s, r.seeds) }, String(s))));
}

function renderMetricList() {
  const filter = document.getElementById("metric-filter").value.trim().toLowerCase();
  const all = state.runs ? state.runs.metrics : [];
  const chosen = state.metrics || [];
  const names = [...chosen.filter(m => !all.includes(m)), ...all];
  const list = document.getElementById("metric-list");
  list.replaceChildren(...names.filter(m => !filter || m.toLowerCase().includes(filter)).map(m =>
    el("label", {}, el("input", { type: "checkbox", checked: chosen.includes(m), onchange: e => {
      state.metrics = e.target.checked ? [...chosen.filter(x => x !== m), m] : chosen.filter(x => x !== m);
      onChoice();
      renderMetricList();
    } }), " " + m)));
  document.getElementById("metric-count").textContent = `(${chosen.length} of ${all.length})`;
}

function toggle(kind, v, all) {
  const cur = state[kind] || all.slice();
  const next = cur.includes(v) ? cur.filter(x => x !== v) : [...cur, v];
  state[kind] = next.length === all.length && all.every(x => next.includes(x)) ? null : next;
  renderPickers();
  onChoice();
}

function onChoice() {
  writeURL();
  refreshCurves();
  refreshCompare();
}

// ---- curves --------------------------------------------------------------

function selectionQuery() {
  const q = new URLSearchParams();
  for (const m of state.metrics || []) q.append("metric", m);
  q.set("by", state.by || "regime");
  return q;
}

async function refreshCurves() {
  if (state.curvesBusy) { state.curvesAgain = true; return; }
  state.curvesBusy = true;
  try {
    const q = selectionQuery();
    if (state.groups) for (const g of state.groups) q.append("group", g);
    if (state.seeds) for (const s of state.seeds) q.append("seed", String(s));
    if (!state.live) q.set("finished", "1");
    const data = (state.metrics || []).length && (!state.groups || state.groups.length) && (!state.seeds || state.seeds.length)
      ? await api("/api/curves?" + q) : { metrics: [], missing: [], curves: [], series: [], groups: [], level: 0.95 };
    drawCharts(data);
  } catch (err) {
    document.getElementById("curves-note").textContent = "could not draw curves: " + err.message;
  } finally {
    state.curvesBusy = false;
    if (state.curvesAgain) { state.curvesAgain = false; refreshCurves(); }
  }
}

function drawCharts(data) {
  const note = document.getElementById("curves-note");
  const runsIn = new Map(data.curves.map(c => [c.group, c.runs]));
  const parts = [];
  if (state.view !== "runs") {
    parts.push(`Lines are the mean across seeds; bands its ${Math.round(100 * (data.level || 0.95))}% percentile bootstrap interval ` +
      `(${data.resamples} resamples, boot seed ${data.boot_seed}; none where a step has one seed); ` +
      "dashed where not every seed of the group has reached the step.");
  }
  parts.push("Per-branch keys are aligned: a0 is each run's most chromatic branch.");
  if (data.missing.length) parts.push(`No selected run logs ${data.missing.join(", ")} yet.`);
  note.textContent = parts.join(" ");
  const charts = document.getElementById("charts");
  const legend = el("div", { class: "legend" }, ...data.groups.map(g => {
    const sw = el("span", { class: "swatch" });
    sw.style.background = colourOf(g);
    return el("span", {}, sw, `${g} (n=${runsIn.get(g) || 0})`);
  }));
  const figs = [];
  let drawn = 0;
  for (const m of state.metrics || []) {
    const fig = chart(m, data.curves.filter(c => c.metric === m), data.series.filter(s => s.metric === m));
    drawn += fig.drawn;
    figs.push(fig.node);
  }
  charts.replaceChildren(...figs);
  charts.before(legend);
  const old = charts.parentNode.querySelectorAll(".legend");
  for (let i = 0; i < old.length - 1; i++) old[i].remove();
  document.body.dataset.curves = String(drawn);
}

// xScale maps a step to [0, 1] of the plot width, on a log(1 + step)
// scale when state.logx (as 'compare --plots' draws).
function xTransform(logx) { return logx ? s => Math.log10(1 + Math.max(0, s)) : s => s; }

function niceTicks(lo, hi, n) {
  const span = hi - lo;
  if (!(span > 0)) return [lo];
  let step = Math.pow(10, Math.floor(Math.log10(span / n)));
  const err = span / n / step;
  if (err >= 7.5) step *= 10; else if (err >= 3.5) step *= 5; else if (err >= 1.5) step *= 2;
  const ticks = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) ticks.push(+v.toPrecision(12));
  return ticks;
}

function logTicks(maxStep) {
  const major = [0], minor = [];
  for (let p = 1; p <= maxStep * 1.0001; p *= 10) {
    major.push(p);
    for (let k = 2; k < 10; k++) if (p * k <= maxStep) minor.push(p * k);
  }
  let labelled = major.slice();
  if (labelled.length < 4) labelled = [...major, ...minor.filter(v => /^[25]/.test(String(v)))].sort((a, b) => a - b);
  return { major, minor, labelled };
}

function chart(metric, curves, series) {
  const W = 460, H = 270, L = 56, R = 14, T = 30, B = 40;
  const showMean = state.view !== "runs", showRuns = state.view !== "mean";
  const tx = xTransform(state.logx);
  let xmax = 0, ylo = Infinity, yhi = -Infinity;
  const see = v => { if (Number.isFinite(v)) { ylo = Math.min(ylo, v); yhi = Math.max(yhi, v); } };
  if (showMean) for (const c of curves) for (const p of c.points) { xmax = Math.max(xmax, p[0]); see(num(p[2])); see(num(p[3])); see(num(p[4])); }
  if (showRuns) for (const s of series) for (const p of s.points) { xmax = Math.max(xmax, p[0]); see(p[1]); }
  const svg = sv("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": metric });
  svg.append(sv("text", { x: 8, y: 18, class: "title", text: metric }));
  const node = el("div", { class: "chart", "data-metric": metric }, svg);
  if (!Number.isFinite(ylo)) {
    svg.append(sv("text", { x: W / 2, y: H / 2, "text-anchor": "middle", class: "empty", text: "no values yet for the selected runs" }));
    return { node, drawn: 0 };
  }
  if (yhi - ylo < 1e-12) { const d = Math.abs(yhi) * 0.05 || 0.5; ylo -= d; yhi += d; }
  const pad = (yhi - ylo) * 0.06;
  ylo -= pad; yhi += pad;
  const x0 = tx(0), x1 = Math.max(tx(xmax), x0 + 1e-9);
  const X = s => L + (tx(s) - x0) / (x1 - x0) * (W - L - R);
  const Y = v => T + (yhi - v) / (yhi - ylo) * (H - T - B);
  const g = sv("g");
  svg.append(g);
  // grid and axes
  const yt = niceTicks(ylo, yhi, 5);
  for (const v of yt) {
    g.append(sv("line", { x1: L, x2: W - R, y1: Y(v), y2: Y(v), class: "grid" }));
    g.append(sv("text", { x: L - 6, y: Y(v) + 3.5, "text-anchor": "end", class: "tick", text: tickText(v) }));
  }
  let xt;
  if (state.logx) {
    const lt = logTicks(xmax);
    for (const v of lt.minor) g.append(sv("line", { x1: X(v), x2: X(v), y1: H - B, y2: H - B + 3, class: "axis" }));
    for (const v of lt.major) g.append(sv("line", { x1: X(v), x2: X(v), y1: T, y2: H - B, class: "grid" }));
    xt = lt.labelled;
  } else {
    xt = niceTicks(0, xmax, 6);
    for (const v of xt) g.append(sv("line", { x1: X(v), x2: X(v), y1: T, y2: H - B, class: "grid" }));
  }
  for (const v of xt) {
    g.append(sv("line", { x1: X(v), x2: X(v), y1: H - B, y2: H - B + 5, class: "axis" }));
    g.append(sv("text", { x: X(v), y: H - B + 17, "text-anchor": "middle", class: "tick", text: tickText(v) }));
  }
  g.append(sv("line", { x1: L, x2: W - R, y1: H - B, y2: H - B, class: "axis" }));
  g.append(sv("line", { x1: L, x2: L, y1: T, y2: H - B, class: "axis" }));
  g.append(sv("text", { x: (L + W - R) / 2, y: H - 6, "text-anchor": "middle", class: "axis-label",
    text: state.logx ? "step (log scale)" : "step" }));
  svg.append(sv("text", { x: W - R, y: 18, "text-anchor": "end", class: "sub",
    text: showMean ? "mean, 95% band across seeds" : "each run" }));
  let drawn = 0;
  const line = pts => pts.map((p, i) => (i ? "L" : "M") + X(p[0]).toFixed(1) + " " + Y(p[1]).toFixed(1)).join("");
  if (showRuns) {
    for (const s of series) {
      const col = colourOf(s.group);
      const pts = s.points.filter(p => Number.isFinite(p[1]));
      if (!pts.length) continue;
      const path = sv("path", { d: line(pts), fill: "none", stroke: col, "stroke-width": showMean ? 1 : 1.4,
        "stroke-opacity": showMean ? 0.45 : 0.85, class: "run-line", "data-run": s.run });
      path.append(sv("title", { text: `${s.group}, seed ${s.seed}` }));
      svg.append(path);
      drawn++;
      if (s.state === "running") {
        const last = pts[pts.length - 1];
        svg.append(sv("circle", { cx: X(last[0]), cy: Y(last[1]), r: 2.8, fill: col }));
      }
    }
  }
  if (showMean) {
    for (const c of curves) {
      const col = colourOf(c.group);
      // bands over runs of consecutive points with a finite interval
      let seg = [];
      const flush = () => {
        if (seg.length > 1) {
          const d = seg.map((p, i) => (i ? "L" : "M") + X(p[0]).toFixed(1) + " " + Y(num(p[4])).toFixed(1)).join("") +
            seg.slice().reverse().map(p => "L" + X(p[0]).toFixed(1) + " " + Y(num(p[3])).toFixed(1)).join("") + "Z";
          svg.append(sv("path", { d, fill: col, "fill-opacity": 0.17, stroke: "none", class: "band" }));
        }
        seg = [];
      };
      for (const p of c.points) { if (Number.isFinite(num(p[3])) && Number.isFinite(num(p[4]))) seg.push(p); else flush(); }
      flush();
      // solid where every seed of the group has reached the step, dashed
      // where fewer have (the mean then moves with the seeds it has)
      const pts = c.points.filter(p => Number.isFinite(num(p[2])));
      const full = Math.max(...pts.map(p => p[1]));
      let solid = "", dashed = "";
      for (let i = 1; i < pts.length; i++) {
        const a = pts[i - 1], b = pts[i];
        const seg = "M" + X(a[0]).toFixed(1) + " " + Y(num(a[2])).toFixed(1) + "L" + X(b[0]).toFixed(1) + " " + Y(num(b[2])).toFixed(1);
        if (a[1] === full && b[1] === full) solid += seg; else dashed += seg;
      }
      if (pts.length === 1) svg.append(sv("circle", { cx: X(pts[0][0]), cy: Y(num(pts[0][2])), r: 3, fill: col }));
      if (dashed) svg.append(sv("path", { d: dashed, fill: "none", stroke: col, "stroke-width": 1.6, "stroke-dasharray": "5 3", class: "mean-line partial" }));
      if (solid) svg.append(sv("path", { d: solid, fill: "none", stroke: col, "stroke-width": 2.2, "stroke-linejoin": "round", class: "mean-line", "data-group": c.group }));
      if (pts.length) drawn++;
    }
  }
  hover(svg, { X, Y, L, R, T, B, W, H, tx, x0, x1 }, curves, series, showMean, showRuns);
  return { node, drawn };
}

// hover shows the values at the step nearest the pointer.
function hover(svg, s, curves, series, showMean, showRuns) {
  const steps = new Set();
  if (showMean) for (const c of curves) for (const p of c.points) steps.add(p[0]);
  if (showRuns) for (const r of series) for (const p of r.points) steps.add(p[0]);
  const sorted = [...steps].sort((a, b) => a - b);
  const cross = sv("line", { y1: s.T, y2: s.H - s.B, class: "cross", visibility: "hidden" });
  const hit = sv("rect", { x: s.L, y: s.T, width: s.W - s.L - s.R, height: s.H - s.T - s.B, fill: "transparent" });
  svg.append(cross, hit);
  const tip = document.getElementById("tip");
  hit.addEventListener("mouseleave", () => { tip.hidden = true; cross.setAttribute("visibility", "hidden"); });
  hit.addEventListener("mousemove", ev => {
    const box = svg.getBoundingClientRect();
    const px = (ev.clientX - box.left) / box.width * s.W;
    let best = null, bd = Infinity;
    for (const st of sorted) { const d = Math.abs(s.X(st) - px); if (d < bd) { bd = d; best = st; } }
    if (best === null) return;
    cross.setAttribute("x1", s.X(best)); cross.setAttribute("x2", s.X(best));
    cross.setAttribute("visibility", "visible");
    const lines = [`step ${best}`];
    if (showMean) for (const c of curves) {
      const p = c.points.find(q => q[0] === best);
      if (p) lines.push(`${c.group}: ${fmt(num(p[2]))}` + (p[1] > 1 ? ` [${fmt(num(p[3]))}, ${fmt(num(p[4]))}]` : "") + ` (n=${p[1]})`);
    }
    if (showRuns) for (const r of series.slice(0, 14)) {
      const p = r.points.find(q => q[0] === best);
      if (p) lines.push(`${r.group} seed ${r.seed}: ${fmt(p[1])}`);
    }
    tip.replaceChildren(...lines.map((t, i) => i ? el("div", { text: t }) : el("b", { text: t })));
    tip.hidden = false;
    tip.style.left = Math.min(ev.clientX + 14, innerWidth - 260) + "px";
    tip.style.top = ev.clientY + 12 + "px";
  });
}

// ---- the comparison ------------------------------------------------------

async function refreshCompare() {
  try {
    const q = selectionQuery();
    const data = await api("/api/compare?" + q);
    document.getElementById("compare-command").textContent = data.command;
    document.getElementById("compare-notes").replaceChildren(...data.notes.map(n => el("p", { class: "note", text: "note: " + n })));
    const groups = selectedGroups();
    const known = ["contrasts", "feedback", "seeds", "skipped"];
    for (const t of known) renderTable(document.getElementById("table-" + t), data.tables[t], t === "skipped" ? null : groups);
    document.getElementById("skipped-count").textContent = `(${data.tables.skipped.rows.length})`;
    const extra = document.getElementById("compare-extra");
    extra.replaceChildren();
    for (const t of data.table_order.filter(t => !known.includes(t))) {
      const table = el("table", { class: "data" });
      renderTable(table, data.tables[t], groups);
      extra.append(el("h3", { text: t }), el("div", { class: "table-wrap" }, table));
    }
  } catch (err) {
    document.getElementById("compare-notes").replaceChildren(el("p", { class: "error", text: "could not compare: " + err.message }));
  }
}

// renderTable shows any table of the comparison: its columns as the
// server names them, rows of groups not selected left out.
function renderTable(table, t, groups) {
  const gcol = t.columns.findIndex(c => c === "regime" || c === "group");
  const rows = t.rows.filter(r => !groups || gcol < 0 || groups.includes(r[gcol]));
  const head = el("tr", {}, ...t.columns.map((c, i) => el("th", { class: typeof (rows[0] || [])[i] === "number" ? "num" : null, text: c.replaceAll("_", " ") })));
  const body = rows.map(r => el("tr", {}, ...r.map((v, i) => {
    const col = t.columns[i];
    const cls = [];
    if (typeof v === "number" || v === "NaN") cls.push("num");
    if (typeof v === "string" && v.length > 48) cls.push("wrap");
    if (col === "conclusion" && (v === "higher" || v === "lower")) cls.push("concl-" + v);
    return el("td", { class: cls.join(" ") || null, text: fmt(v) });
  })));
  if (!rows.length) body.push(el("tr", {}, el("td", { class: "empty", colspan: String(t.columns.length), text: "none" })));
  table.replaceChildren(el("thead", {}, head), el("tbody", {}, ...body));
}

// ---- kernels -------------------------------------------------------------

function renderKernelPicker() {
  const runs = state.runs.runs.filter(r => r.kept.length);
  const rsel = document.getElementById("kernel-run");
  if (!state.krun || !runs.some(r => r.id === state.krun)) state.krun = runs.length ? runs[0].id : "";
  rsel.replaceChildren(...runs.map(r => el("option", { value: r.id, selected: r.id === state.krun, text: `${r.id}  (${r.group}, seed ${r.seed})` })));
  const run = runs.find(r => r.id === state.krun);
  const ssel = document.getElementById("kernel-step");
  if (!run) {
    ssel.replaceChildren();
    document.getElementById("kernel-img").removeAttribute("src");
    document.getElementById("kernel-caption").textContent = "No run has a checkpoint with weights yet.";
    return;
  }
  if (state.kstep && !run.kept.includes(Number(state.kstep))) state.kstep = "";
  const latest = run.kept[run.kept.length - 1];
  ssel.replaceChildren(el("option", { value: "", selected: !state.kstep, text: `latest (step ${latest})` }),
    ...run.kept.map(s => el("option", { value: String(s), selected: String(s) === state.kstep, text: `step ${s}` })));
  const step = state.kstep ? Number(state.kstep) : latest;
  const img = document.getElementById("kernel-img");
  const src = `/api/kernels?run=${encodeURIComponent(run.id)}&step=${step}`;
  if (img.getAttribute("src") !== src) {
    img.onload = () => { if (img.naturalWidth < 360) img.style.width = 2 * img.naturalWidth + "px"; else img.style.width = ""; };
    img.onerror = () => {
      document.getElementById("kernel-caption").textContent = "could not draw the kernels (the run may be writing a checkpoint); retrying";
      setTimeout(() => { img.removeAttribute("src"); renderKernelPicker(); }, 1500);
    };
    img.src = src;
  }
  const order = run.order && run.order.length ? run.order.map((b, s) => `a${s} = branch ${b}`).join(", ") : "branch order";
  document.getElementById("kernel-caption").textContent =
    `${run.group}, seed ${run.seed}, step ${step}: the first conv reading the image, one block per branch, top to bottom in aligned order (${order}` +
    (run.aligned_by ? `; aligned by ${run.aligned_by}` : "") + "). Each kernel is scaled to its own range.";
}

function showKernels(id) {
  state.krun = id;
  state.kstep = "";
  writeURL();
  renderKernelPicker();
  document.getElementById("kernels-section").scrollIntoView({ behavior: "smooth" });
}

// ---- start ---------------------------------------------------------------

function start() {
  readURL();
  document.body.dataset.updates = "0";
  document.getElementById("by").addEventListener("change", e => {
    state.by = e.target.value;
    state.groups = null;
    state.version = -1; // groups change: redraw everything at the next answer
    writeURL();
    poll.now();
  });
  document.getElementById("view").addEventListener("change", e => { state.view = e.target.value; onChoice(); });
  document.getElementById("live").addEventListener("change", e => { state.live = e.target.checked; onChoice(); });
  document.getElementById("logx").addEventListener("change", e => { state.logx = e.target.checked; onChoice(); });
  document.getElementById("metric-filter").addEventListener("input", renderMetricList);
  document.getElementById("kernel-run").addEventListener("change", e => { state.krun = e.target.value; state.kstep = ""; writeURL(); renderKernelPicker(); });
  document.getElementById("kernel-step").addEventListener("change", e => { state.kstep = e.target.value; writeURL(); renderKernelPicker(); });
  poll();
}

poll.now = async function () {
  try {
    const q = new URLSearchParams();
    if (state.by) q.set("by", state.by);
    state.runs = await api("/api/runs?" + q);
    state.version = state.runs.version;
    renderRuns();
    renderPickers();
    renderKernelPicker();
    refreshCurves();
    refreshCompare();
  } catch (err) {
    document.getElementById("health").textContent = "server unreachable (" + err.message + ")";
  }
};

start();
