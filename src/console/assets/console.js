// expressway console: the state machines, each one's graph (laid out by the
// vendored dagre) with a live overlay, its executions, and a start form.
// Reads /console/api/… (src/console/routes.rs); acts through the API's own
// operations (POST / with X-Amz-Target). Every value from the server is put
// in the page as text, never as HTML.
"use strict";

const REFRESH_MS = 1000;

// ---------- small helpers ----------
function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null) continue;
    if (k === "class") e.className = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v);
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}
const SVGNS = "http://www.w3.org/2000/svg";
function svg(tag, attrs, ...children) {
  const e = document.createElementNS(SVGNS, tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v !== undefined && v !== null) e.setAttribute(k, v);
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}
async function api(path) {
  const r = await fetch("/console/api/" + path, { cache: "no-store" });
  const body = await r.json();
  if (!r.ok) throw new Error(body.message || r.statusText);
  return body;
}
// One AWS Step Functions operation, exactly as an SDK sends it.
async function sfn(op, body) {
  const r = await fetch("/", {
    method: "POST",
    headers: { "X-Amz-Target": "AWSStepFunctions." + op, "Content-Type": "application/x-amz-json-1.0" },
    body: JSON.stringify(body),
  });
  const out = await r.json().catch(() => ({}));
  if (!r.ok) throw new Error((out.__type || r.status) + ": " + (out.message || out.Message || ""));
  return out;
}
function pretty(text) {
  if (text === undefined || text === null) return "";
  if (typeof text !== "string") return JSON.stringify(text, null, 2);
  try { return JSON.stringify(JSON.parse(text), null, 2); } catch (_) { return text; }
}
function fmtSeconds(s) {
  if (s === null || s === undefined || !isFinite(s)) return "–";
  if (s < 0.001) return (s * 1e6).toFixed(0) + "µs";
  if (s < 1) return (s * 1e3).toFixed(s < 0.01 ? 2 : 1) + "ms";
  return s.toFixed(2) + "s";
}
function fmtRate(r) {
  if (r === null || r === undefined || !isFinite(r)) return "–";
  return r >= 100 ? r.toFixed(0) : r.toFixed(1);
}
function fmtTime(ms) { return ms ? new Date(ms).toLocaleTimeString() : ""; }
function statusBadge(s) { return el("span", { class: "status " + s, "data-status": s }, s); }

// Quantile of cumulative buckets (Prometheus histogram_quantile).
function quantile(q, le, counts) {
  const total = counts.length ? counts[counts.length - 1] : 0;
  if (total <= 0) return null;
  const rank = q * total;
  let pc = 0, pb = 0;
  for (let i = 0; i < counts.length; i++) {
    if (counts[i] >= rank) {
      if (i >= le.length) return le.length ? le[le.length - 1] : null;
      const inb = counts[i] - pc;
      return inb <= 0 ? le[i] : pb + (le[i] - pb) * (rank - pc) / inb;
    }
    pc = counts[i];
    if (i < le.length) pb = le[i];
  }
  return le.length ? le[le.length - 1] : null;
}
// p50/p99 over the interval between two answers; the all-time ones when
// nothing was observed in it.
function windowQuantiles(cur, prev) {
  if (!cur) return { p50: null, p99: null, windowed: false };
  if (prev && prev.counts && prev.counts.length === cur.counts.length) {
    const delta = cur.counts.map((c, i) => c - prev.counts[i]);
    if (delta[delta.length - 1] > 0) {
      return { p50: quantile(0.5, cur.le, delta), p99: quantile(0.99, cur.le, delta), windowed: true };
    }
  }
  return { p50: cur.p50, p99: cur.p99, windowed: false };
}

// ---------- routing ----------
const app = document.getElementById("app");
const crumb = document.getElementById("crumb");
const timers = [];
function every(ms, f) { f(); timers.push(setInterval(f, ms)); }

function route() {
  const path = decodeURIComponent(location.pathname.replace(/\/+$/, ""));
  const m = path.match(/^\/console\/state-machines\/(.+)$/);
  if (m) return machinePage(m[1]);
  return listPage();
}

// ---------- the list of state machines ----------
async function listPage() {
  document.title = "State machines · expressway";
  const { stateMachines } = await api("state-machines");
  const rows = stateMachines.map((m) =>
    el("tr", { class: "clickable", "data-name": m.name, onclick: () => { location.href = machineHref(m.name); } },
      el("td", {}, el("a", { href: machineHref(m.name) }, m.name)),
      el("td", {}, m.type), el("td", {}, String(m.states)),
      el("td", {}, el("code", {}, m.stateMachineArn)), el("td", {}, new Date(m.creationDate).toLocaleString())));
  app.replaceChildren(el("h1", {}, "State machines"),
    el("div", { class: "panel" }, stateMachines.length
      ? el("table", { id: "machines" },
        el("tr", {}, el("th", {}, "Name"), el("th", {}, "Type"), el("th", {}, "States"), el("th", {}, "ARN"), el("th", {}, "Created")),
        rows)
      : el("p", { class: "muted" }, "No state machine yet: create one with CreateStateMachine or serve --definitions.")));
}
function machineHref(name) { return "/console/state-machines/" + encodeURIComponent(name); }

// ---------- one state machine ----------
const view = { machine: null, graph: null, prevLive: null, selected: null, detailTimer: null };

async function machinePage(name) {
  document.title = name + " · expressway";
  crumb.replaceChildren(el("span", { class: "sep" }, " / "), name);
  let m;
  try { m = await api("state-machines/" + encodeURIComponent(name)); } catch (e) {
    app.replaceChildren(el("h1", {}, name), el("p", { class: "error" }, e.message));
    return;
  }
  view.machine = m;
  const statsBar = el("div", { class: "panel stats", id: "stats" },
    stat("started", "started/s"), stat("succeeded", "succeeded/s"), stat("failed", "failed/s"),
    stat("throttled", "throttled/s"), stat("p99", "execution p99"), stat("depth", "admission buffer"),
    stat("tokens", "task tokens waiting"));
  const graphPane = el("div", { class: "panel", id: "graph-pane" });
  const side = el("aside", {},
    startPanel(m),
    el("div", { class: "panel", id: "executions" },
      el("div", { class: "row" }, el("h2", {}, "Executions"),
        el("select", { id: "status-filter", onchange: refreshExecutions },
          ["", "RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"].map((s) => el("option", { value: s }, s || "All statuses")))),
      el("table", { id: "execution-list" })));
  const detail = el("div", { class: "panel", id: "execution-detail", hidden: "" });
  app.replaceChildren(
    el("h1", {}, m.name, " ", el("span", { class: "muted" }, m.type)),
    statsBar, el("div", { class: "layout" }, graphPane, side), detail);
  drawGraph(graphPane, m.graph);
  every(REFRESH_MS, refreshLive);
  every(REFRESH_MS, refreshExecutions);
  const wanted = new URLSearchParams(location.search).get("execution");
  if (wanted) showExecution(wanted);
}
function stat(key, label) {
  return el("div", { class: "stat" }, el("div", { class: "v", id: "stat-" + key }, "–"), el("div", { class: "k" }, label));
}

// ---------- the graph ----------
function nodeSize(n) {
  if (n.type === "Start" || n.type === "End") return { width: 44, height: 44 };
  if (n.type === "Join") return { width: 14, height: 14 };
  return { width: Math.max(170, n.state.length * 7.4 + 24), height: 66 };
}
function drawGraph(pane, graph) {
  const g = new dagre.graphlib.Graph({ compound: true, multigraph: true });
  g.setGraph({ rankdir: "TB", nodesep: 28, ranksep: 46, edgesep: 14, marginx: 16, marginy: 16 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const c of graph.clusters) g.setNode(c.id, { label: c.label });
  for (const c of graph.clusters) if (c.parent) g.setParent(c.id, c.parent);
  for (const n of graph.nodes) {
    g.setNode(n.id, nodeSize(n));
    if (n.parent) g.setParent(n.id, n.parent);
  }
  graph.edges.forEach((e, i) => {
    if (e.kind === "retry") return; // drawn as a loop on its node
    const label = e.label || "";
    g.setEdge(e.source, e.target,
      { width: label ? Math.min(label.length * 5.6 + 6, 260) : 0, height: label ? 14 : 0, labelpos: "c" }, "e" + i);
  });
  dagre.layout(g);
  const size = g.graph();
  // Scaled to the pane's width (never above its natural size).
  const root = svg("svg", { id: "graph", width: "100%", preserveAspectRatio: "xMidYMin meet",
    style: `max-width:${size.width + 60}px`, viewBox: `0 0 ${size.width + 60} ${size.height + 10}` });
  root.append(svg("defs", {},
    ["arrow", "arrow-catch", "arrow-retry"].map((id) => svg("marker", { id, viewBox: "0 0 10 10", refX: 9, refY: 5,
      markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" },
      svg("path", { d: "M0,0 L10,5 L0,10 z", fill: id === "arrow-catch" ? "#c8352b" : id === "arrow-retry" ? "#d98a00" : "#8d99a6" })))));
  const clusterLayer = svg("g", { class: "clusters" });
  const edgeLayer = svg("g", { class: "edges" });
  const nodeLayer = svg("g", { class: "nodes" });
  root.append(clusterLayer, edgeLayer, nodeLayer);
  for (const c of graph.clusters) {
    const b = g.node(c.id);
    if (!b || b.width === undefined) continue;
    clusterLayer.append(svg("g", { class: "cluster k-" + c.kind, "data-cluster": c.id, "data-state": c.state, "data-kind": c.kind },
      svg("rect", { x: b.x - b.width / 2 - 4, y: b.y - b.height / 2 - 14, width: b.width + 8, height: b.height + 18 }),
      svg("text", { x: b.x - b.width / 2 + 2, y: b.y - b.height / 2 - 3 }, c.label)));
  }
  const nodesById = {};
  for (const n of graph.nodes) {
    const p = g.node(n.id);
    nodesById[n.id] = { n, p };
    nodeLayer.append(drawNode(n, p));
  }
  graph.edges.forEach((e, i) => {
    if (e.kind === "retry") {
      const { p } = nodesById[e.source];
      edgeLayer.append(retryLoop(e, p));
      return;
    }
    const info = g.edge({ v: e.source, w: e.target, name: "e" + i });
    if (!info) return;
    const pts = info.points;
    let d = `M${pts[0].x},${pts[0].y}`;
    for (let k = 1; k < pts.length; k++) d += ` L${pts[k].x},${pts[k].y}`;
    const marker = e.kind === "catch" ? "arrow-catch" : "arrow";
    const grp = svg("g", { class: "edge k-" + e.kind, "data-from": e.from, "data-to": e.to, "data-kind": e.kind,
      "data-source": e.source, "data-target": e.target },
      svg("path", { d, "marker-end": `url(#${marker})` }));
    if (e.label) grp.append(svg("text", { x: info.x, y: info.y + 3, "text-anchor": "middle" }, e.label));
    edgeLayer.append(grp);
  });
  view.graph = graph;
  pane.replaceChildren(root);
}
function drawNode(n, p) {
  if (n.type === "Start" || n.type === "End" || n.type === "Join") {
    const r = n.type === "Join" ? 6 : 20;
    return svg("g", { class: "node marker t-" + n.type, "data-id": n.id, "data-type": n.type },
      svg("circle", { cx: p.x, cy: p.y, r }),
      n.type === "Join" ? null : svg("text", { x: p.x, y: p.y + 3, "text-anchor": "middle" }, n.type));
  }
  const x = p.x - p.width / 2, y = p.y - p.height / 2;
  return svg("g", { class: "node t-" + n.type, "data-id": n.id, "data-state": n.state, "data-type": n.type },
    svg("title", {}, n.resource ? `${n.state} (${n.type})\n${n.resource}` : `${n.state} (${n.type})`),
    svg("rect", { class: "box", x, y, width: p.width, height: p.height }),
    svg("text", { class: "name", x: x + 10, y: y + 17 }, n.state),
    svg("text", { class: "type", x: x + 10, y: y + 30 }, n.type),
    svg("text", { class: "metric", x: x + 10, y: y + 45, "data-metric": "overlay" }, "–"),
    svg("text", { class: "failures", x: x + 10, y: y + 58, "data-metric": "failures" }, ""));
}
function retryLoop(e, p) {
  const x = p.x + p.width / 2, y = p.y;
  const d = `M${x},${y - 12} C${x + 26},${y - 24} ${x + 26},${y + 24} ${x + 1},${y + 12}`;
  return svg("g", { class: "edge k-retry", "data-from": e.from, "data-to": e.to, "data-kind": "retry" },
    svg("title", {}, "Retry: " + e.label),
    svg("path", { d, "marker-end": "url(#arrow-retry)" }),
    svg("text", { x: x + 24, y: y + 3 }, "↻ " + e.label.split(" ")[0]));
}

// ---------- the live overlay ----------
async function refreshLive() {
  if (!view.machine) return;
  let live;
  try { live = await api("state-machines/" + encodeURIComponent(view.machine.name) + "/live"); } catch (_) { return; }
  const prev = view.prevLive;
  const dt = prev ? (live.time - prev.time) / 1000 : 0;
  const rate = (cur, old) => (prev && dt > 0 ? Math.max(0, cur - old) / dt : null);
  const mm = live.machine, pm = prev ? prev.machine : null;
  setStat("started", fmtRate(rate(mm.started, pm && pm.started)), mm.started);
  setStat("succeeded", fmtRate(rate(mm.succeeded, pm && pm.succeeded)), mm.succeeded);
  setStat("failed", fmtRate(rate(mm.failed + mm.timedOut, pm && pm.failed + pm.timedOut)), mm.failed + mm.timedOut);
  setStat("throttled", fmtRate(rate(mm.throttled, pm && pm.throttled)), mm.throttled);
  const eq = windowQuantiles(mm.executionTimeMs, pm && pm.executionTimeMs);
  setStat("p99", eq.p99 === null ? "–" : fmtSeconds(eq.p99 / 1000), eq.p99);
  setStat("depth", `${live.admission.depth} / ${live.admission.globalDepth}`, live.admission.depth);
  setStat("tokens", String(live.taskTokensOutstanding), live.taskTokensOutstanding);
  for (const g of document.querySelectorAll("#graph .node[data-state]")) {
    const name = g.getAttribute("data-state");
    const s = live.states[name];
    const ps = prev && prev.states[name];
    const overlay = g.querySelector('[data-metric="overlay"]');
    const failures = g.querySelector('[data-metric="failures"]');
    if (!s) { overlay.textContent = "no data"; continue; }
    const r = rate(s.entered, ps ? ps.entered : 0);
    const q = windowQuantiles(s.duration, ps && ps.duration);
    overlay.textContent = `${fmtRate(r)}/s · p50 ${fmtSeconds(q.p50)} · p99 ${fmtSeconds(q.p99)}`;
    g.setAttribute("data-entered", String(s.entered));
    g.setAttribute("data-rate", r === null ? "" : r.toFixed(3));
    const errs = Object.entries(s.failed).filter(([, n]) => n > 0);
    failures.textContent = errs.map(([k, n]) => `${k}: ${n}`).join(" · ");
    g.setAttribute("data-failed", String(errs.reduce((a, [, n]) => a + n, 0)));
  }
  view.prevLive = live;
}
function setStat(key, text, value) {
  const e = document.getElementById("stat-" + key);
  if (!e) return;
  e.textContent = text;
  e.setAttribute("data-value", String(value));
}

// ---------- executions ----------
async function refreshExecutions() {
  if (!view.machine) return;
  const status = document.getElementById("status-filter").value;
  let list;
  try {
    list = await api("state-machines/" + encodeURIComponent(view.machine.name) + "/executions?limit=50" +
      (status ? "&status=" + status : ""));
  } catch (_) { return; }
  const table = document.getElementById("execution-list");
  const rows = list.executions.map((x) => el("tr", {
    class: "clickable" + (x.executionArn === view.selected ? " selected" : ""), "data-arn": x.executionArn,
    "data-status": x.status, onclick: () => showExecution(x.executionArn),
  }, el("td", {}, statusBadge(x.status)), el("td", {}, el("code", {}, x.name)), el("td", {}, fmtTime(x.startDate)),
  el("td", {}, x.stopDate ? (x.stopDate - x.startDate < 1 ? "< 1ms" : fmtSeconds((x.stopDate - x.startDate) / 1000)) : "")));
  table.replaceChildren(el("tr", {}, el("th", {}, "Status"), el("th", {}, "Name"), el("th", {}, "Started"), el("th", {}, "Duration")),
    ...(rows.length ? rows : [el("tr", {}, el("td", { colspan: 4, class: "muted" }, "No execution retained yet (StartExecution)."))]));
}

async function showExecution(arn) {
  view.selected = arn;
  const url = new URL(location.href);
  url.searchParams.set("execution", arn);
  history.replaceState(null, "", url);
  clearTimeout(view.detailTimer);
  await renderExecution(arn);
}
async function renderExecution(arn) {
  if (view.selected !== arn) return;
  let x;
  try { x = await api("executions/" + encodeURIComponent(arn)); } catch (e) {
    const d = document.getElementById("execution-detail");
    d.hidden = false;
    d.replaceChildren(el("p", { class: "error" }, e.message));
    return;
  }
  const d = document.getElementById("execution-detail");
  d.hidden = false;
  const sameExecution = d.getAttribute("data-arn") === arn;
  d.setAttribute("data-arn", arn);
  d.setAttribute("data-status", x.status || "");
  const duration = x.stopDate ? (x.stopDate - x.startDate < 1 ? "< 1ms" : fmtSeconds((x.stopDate - x.startDate) / 1000)) : "running";
  const parts = [
    el("div", { class: "row" }, el("h2", {}, "Execution ", el("code", {}, x.name || arn)), statusBadge(x.status || "?"),
      el("span", { class: "muted" }, `started ${fmtTime(x.startDate)} · ${duration}`)),
    el("div", { class: "row muted" }, el("code", {}, arn)),
  ];
  if (x.taskTokens && x.taskTokens.length) {
    // Keep the panel (and what was typed in it) while the same tokens wait.
    const old = document.getElementById("task-tokens");
    const key = x.taskTokens.map((t) => t.taskToken).join(",");
    parts.push(old && old.getAttribute("data-tokens") === key ? old : tokenPanel(x, key));
  }
  const io = el("table", { id: "execution-io" },
    el("tr", {}, el("th", {}, "Input"), el("th", {}, x.error ? "Error" : "Output")),
    el("tr", {}, el("td", {}, el("pre", { id: "execution-input" }, pretty(x.input))),
      el("td", {}, x.error
        ? el("div", { class: "error", id: "execution-error" }, x.error, el("pre", {}, x.cause || ""))
        : el("pre", { id: "execution-output" }, pretty(x.output)))));
  parts.push(io);
  parts.push(el("h2", { style: "margin-top:10px" }, "Path (per state)"));
  parts.push(el("table", { id: "state-table" },
    el("tr", {}, ["State", "Type", "Outcome", "Entered", "Duration", "Input", "Output", "Error / cause"].map((h) => el("th", {}, h))),
    (x.path || []).map((s) => el("tr", { "data-state": s.name, "data-outcome": s.outcome },
      el("td", {}, s.name, s.visits > 1 ? el("span", { class: "muted" }, ` ×${s.visits}`) : null),
      el("td", {}, s.type), el("td", {}, el("span", { class: "outcome " + s.outcome }, s.outcome)),
      el("td", {}, s.enteredMs === null ? "" : "+" + fmtSeconds(s.enteredMs / 1000)),
      el("td", {}, s.durationMs === null ? "" : fmtSeconds(s.durationMs / 1000)),
      el("td", {}, el("pre", { class: "state-input" }, pretty(s.input))),
      el("td", {}, el("pre", { class: "state-output" }, pretty(s.output))),
      el("td", { class: "error" }, s.error || "", s.cause ? el("pre", { class: "state-cause" }, s.cause) : null,
        s.attemptErrors && s.attemptErrors.length ? el("div", { class: "muted" }, "attempts failed: " + s.attemptErrors.join(", ")) : null)))));
  const wasOpen = document.getElementById("events");
  parts.push(el("details", { id: "events", open: sameExecution && wasOpen && wasOpen.open ? "" : null }, el("summary", {}, `History events (${(x.events || []).length})`),
    el("table", {}, el("tr", {}, el("th", {}, "Id"), el("th", {}, "Type"), el("th", {}, "State"), el("th", {}, "At"), el("th", {}, "Details")),
      (x.events || []).map((ev) => el("tr", { "data-type": ev.type },
        el("td", {}, ev.id || ""), el("td", {}, ev.type), el("td", {}, ev.state || ""),
        el("td", {}, `+${Math.max(0, Number(ev.event_timestamp) - x.startDate)} ms`),
        el("td", {}, el("pre", {}, JSON.stringify(ev.details, null, 1))))))));
  if (!x.traced) parts.push(el("p", { class: "muted" }, "No events were kept for this execution."));
  d.replaceChildren(...parts);
  colourPath(x.path || []);
  for (const tr of document.querySelectorAll("#execution-list tr[data-arn]")) {
    tr.classList.toggle("selected", tr.getAttribute("data-arn") === arn);
  }
  clearTimeout(view.detailTimer);
  if (x.status === "RUNNING") view.detailTimer = setTimeout(() => renderExecution(arn), REFRESH_MS);
}
function colourPath(path) {
  const outcome = {};
  for (const s of path) outcome[s.name] = s.outcome;
  for (const g of document.querySelectorAll("#graph .node[data-state]")) {
    const name = g.getAttribute("data-state");
    for (const c of [...g.classList]) if (c.startsWith("outcome-")) g.classList.remove(c);
    g.classList.toggle("unvisited", path.length > 0 && !(name in outcome));
    if (name in outcome) g.classList.add("outcome-" + outcome[name]);
    g.setAttribute("data-outcome", outcome[name] || "");
  }
  for (const e of document.querySelectorAll("#graph .edge")) {
    const from = e.getAttribute("data-from"), to = e.getAttribute("data-to"), kind = e.getAttribute("data-kind");
    const on = from in outcome && (to in outcome || (to === "" && kind !== "retry")) && kind !== "retry";
    e.classList.toggle("on-path", on && (kind !== "branch" || to in outcome));
  }
}
function tokenPanel(x, key) {
  return el("div", { id: "task-tokens", "data-tokens": key }, el("h2", {}, "Waiting for a Task Token"),
    x.taskTokens.map((t) => {
      const output = el("textarea", { class: "token-output", rows: 3 }, "{}");
      const error = el("input", { type: "text", class: "token-error", placeholder: "error", value: "Rejected" });
      const cause = el("input", { type: "text", class: "token-cause", placeholder: "cause", value: "" });
      const note = el("span", { class: "token-note muted" });
      const send = async (op, body) => {
        note.textContent = "sending…";
        try {
          await sfn(op, body);
          note.textContent = op + " sent";
          setTimeout(() => renderExecution(x.executionArn), 150);
        } catch (e) { note.textContent = e.message; note.className = "token-note error"; }
      };
      return el("div", { class: "token", "data-state": t.state, "data-token": t.taskToken },
        el("div", {}, el("b", {}, t.state), " waits on ", el("code", { class: "token-value" }, t.taskToken)),
        el("div", { class: "row" }, el("label", {}, "Output (JSON)")), output,
        el("div", { class: "row" },
          el("button", { class: "send-success", onclick: () => {
            try { JSON.parse(output.value); } catch (e) { note.textContent = "The output is not JSON: " + e.message; return; }
            send("SendTaskSuccess", { taskToken: t.taskToken, output: output.value });
          } }, "Send success"),
          error, cause,
          el("button", { class: "send-failure danger", onclick: () =>
            send("SendTaskFailure", { taskToken: t.taskToken, error: error.value, cause: cause.value }) }, "Send failure"),
          note));
    }));
}

// ---------- starting an execution ----------
function startPanel(m) {
  const input = el("textarea", { id: "start-input", rows: 8, spellcheck: "false" }, "{}");
  const name = el("input", { type: "text", id: "start-name", placeholder: "name (optional)" });
  const result = el("div", { id: "start-result" });
  const go = async () => {
    result.replaceChildren();
    result.removeAttribute("data-status");
    try { JSON.parse(input.value); } catch (e) {
      result.replaceChildren(el("p", { class: "error" }, "The input is not JSON: " + e.message));
      return;
    }
    const body = { stateMachineArn: m.stateMachineArn, input: input.value };
    if (name.value.trim()) body.name = name.value.trim();
    let started;
    try { started = await sfn("StartExecution", body); } catch (e) {
      result.replaceChildren(el("p", { class: "error" }, e.message));
      return;
    }
    result.replaceChildren(el("p", {}, statusBadge("RUNNING"), " ", el("code", {}, started.executionArn)));
    showExecution(started.executionArn);
    refreshExecutions();
    for (;;) {
      const x = await sfn("DescribeExecution", { executionArn: started.executionArn });
      if (x.status !== "RUNNING") {
        result.setAttribute("data-status", x.status);
        result.setAttribute("data-arn", x.executionArn);
        result.replaceChildren(el("p", {}, statusBadge(x.status), " ", el("code", {}, x.name)),
          x.status === "SUCCEEDED"
            ? el("pre", { id: "start-output" }, pretty(x.output))
            : el("div", { class: "error", id: "start-error" }, x.error || x.status, el("pre", {}, x.cause || "")));
        if (view.selected === x.executionArn) renderExecution(x.executionArn);
        return;
      }
      await new Promise((r) => setTimeout(r, 300));
    }
  };
  return el("div", { class: "panel", id: "start" }, el("h2", {}, "Start an execution"),
    el("label", { for: "start-input" }, "Input (JSON)"), input,
    el("div", { class: "row" }, name, el("button", { id: "start-button", onclick: go }, "Start execution")),
    result);
}

window.addEventListener("DOMContentLoaded", () => Promise.resolve(route()).catch((e) => {
  app.replaceChildren(el("p", { class: "error" }, String(e)));
}));
