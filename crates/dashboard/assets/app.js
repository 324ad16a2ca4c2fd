// The nadoo-flow dashboard: a run list (#/) and a run page (#/runs/ID), drawn from the JSON
// API. Every value from a run goes into the page as text, never as markup.
"use strict";

const SVG = "http://www.w3.org/2000/svg";
const NODE_W = 150, NODE_H = 46, GAP_X = 64, GAP_Y = 22, PAD = 20;
const STATUSES = ["running", "success", "failed", "interrupted", "pending"];
const TIMELINE_ROWS = 1000;

let live = null;       // the EventSource of the run page, if any
let listTimer = null;  // the list's refresh timer

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c !== null && c !== undefined) node.append(c instanceof Node ? c : String(c));
  }
  return node;
}

function svg(tag, attrs, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null) continue;
    if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v);
  }
  for (const c of children.flat()) {
    if (c !== null && c !== undefined) node.append(c instanceof Node ? c : String(c));
  }
  return node;
}

function badge(status) {
  return el("span", { class: "badge " + status }, status);
}

function ms(value) {
  if (value < 1) return value.toFixed(2) + " ms";
  if (value < 1000) return value.toFixed(value < 10 ? 1 : 0) + " ms";
  if (value < 60000) return (value / 1000).toFixed(1) + " s";
  return Math.floor(value / 60000) + " min " + Math.round((value % 60000) / 1000) + " s";
}

function when(millis) {
  return new Date(millis).toLocaleString();
}

async function api(path, options) {
  const response = await fetch(path, Object.assign({ headers: { accept: "application/json" } }, options));
  let body = null;
  try { body = await response.json(); } catch (_) { body = null; }
  if (!response.ok) {
    const message = body && body.error ? body.error.message : response.status + " " + response.statusText;
    throw new Error(message);
  }
  return body;
}

function stop() {
  if (live) { live.close(); live = null; }
  if (listTimer) { clearTimeout(listTimer); listTimer = null; }
}

function show(...children) {
  const main = document.getElementById("main");
  main.replaceChildren(...children.flat().filter((c) => c !== null && c !== undefined && c !== ""));
}

// ---------------------------------------------------------------- the run list

function listParams() {
  const params = new URLSearchParams(location.hash.split("?")[1] || "");
  return {
    status: params.get("status") || "",
    workflow: params.get("workflow") || "",
    offset: Number(params.get("offset") || 0),
  };
}

async function renderList() {
  const p = listParams();
  const query = new URLSearchParams({ limit: "50", offset: String(p.offset) });
  if (p.status) query.set("status", p.status);
  if (p.workflow) query.set("workflow", p.workflow);
  let page;
  try {
    page = await api("/api/runs?" + query);
  } catch (e) {
    show(el("h1", {}, "Runs"), el("p", { class: "problem", role: "alert" }, e.message));
    return;
  }
  const go = (changes) => {
    const next = Object.assign({}, p, changes);
    const q = new URLSearchParams();
    if (next.status) q.set("status", next.status);
    if (next.workflow) q.set("workflow", next.workflow);
    if (next.offset) q.set("offset", String(next.offset));
    location.hash = "#/" + (q.toString() ? "?" + q : "");
  };
  const status = el("select", { id: "filter-status", name: "status" },
    el("option", { value: "" }, "any"),
    STATUSES.map((s) => el("option", { value: s, selected: s === p.status }, s)));
  const workflow = el("input", { id: "filter-workflow", name: "workflow", value: p.workflow, placeholder: "name" });
  const filters = el("form", {
    class: "filters", role: "search",
    onsubmit: (e) => { e.preventDefault(); go({ status: status.value, workflow: workflow.value.trim(), offset: 0 }); },
  },
    el("label", { for: "filter-status" }, "Status", status),
    el("label", { for: "filter-workflow" }, "Workflow", workflow),
    el("button", { type: "submit" }, "Filter"));
  const rows = page.runs.map((r) => {
    const took = (r.status === "running" ? Date.now() : r.updated) - r.created;
    return el("tr", { "data-run": r.run_id },
      el("td", { class: "id" }, el("a", { href: "#/runs/" + encodeURIComponent(r.run_id) }, r.run_id)),
      el("td", {}, r.workflow),
      el("td", {}, badge(r.status)),
      el("td", { class: "hide-narrow" }, when(r.created)),
      el("td", {}, ms(Math.max(0, took))));
  });
  const table = page.runs.length
    ? el("table", { "aria-label": "Runs" },
        el("thead", {}, el("tr", {}, el("th", {}, "Run"), el("th", {}, "Workflow"), el("th", {}, "Status"),
          el("th", { class: "hide-narrow" }, "Started"), el("th", {}, "Duration"))),
        el("tbody", {}, rows))
    : el("p", { class: "muted" }, "No runs" + (p.status || p.workflow ? " match these filters." : " yet: start one with `nadoo-flow run FILE`."));
  const pager = el("div", { class: "pager" },
    el("button", { class: "secondary", type: "button", disabled: p.offset === 0, onclick: () => go({ offset: Math.max(0, p.offset - page.limit) }) }, "Newer"),
    el("button", { class: "secondary", type: "button", disabled: !page.more, onclick: () => go({ offset: p.offset + page.limit }) }, "Older"),
    el("span", { class: "muted" }, page.runs.length ? `runs ${p.offset + 1}–${p.offset + page.runs.length}` : ""));
  show(el("h1", {}, "Runs"), filters, table, pager);
  // The list follows the store while it is open.
  listTimer = setTimeout(() => { if (route().page === "list") renderList(); }, 5000);
}

// ---------------------------------------------------------------- the run page

function nodePosition(node) {
  return { x: PAD + node.column * (NODE_W + GAP_X), y: PAD + node.row * (NODE_H + GAP_Y) };
}

function drawGraph(view, state) {
  const g = view.graph;
  const width = PAD * 2 + Math.max(1, g.columns) * (NODE_W + GAP_X) - GAP_X;
  const height = PAD * 2 + Math.max(1, g.rows) * (NODE_H + GAP_Y) - GAP_Y + 40;
  const byId = new Map(g.nodes.map((n, i) => [n.id, { layout: n, node: view.nodes[i] }]));
  const root = svg("svg", { width, height, viewBox: `0 0 ${width} ${height}`, role: "group", "aria-label": "Workflow graph" });
  root.append(svg("defs", {}, svg("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" },
    svg("path", { d: "M0,0 L10,5 L0,10 z", fill: "#8c97a5" }))));
  for (const edge of g.edges) {
    const a = byId.get(edge.from), b = byId.get(edge.to);
    if (!a || !b) continue;
    const pa = nodePosition(a.layout), pb = nodePosition(b.layout);
    let d, lx, ly;
    if (edge.back) {
      // A loop goes under both nodes, right to left.
      const x1 = pa.x + NODE_W / 2, y1 = pa.y + NODE_H, x2 = pb.x + NODE_W / 2, y2 = pb.y + NODE_H;
      const dip = Math.max(y1, y2) + 34;
      d = `M${x1},${y1} C${x1},${dip} ${x2},${dip} ${x2},${y2}`;
      lx = (x1 + x2) / 2; ly = dip - 4;
    } else {
      const x1 = pa.x + NODE_W, y1 = pa.y + NODE_H / 2, x2 = pb.x, y2 = pb.y + NODE_H / 2;
      const mid = (x1 + x2) / 2;
      d = `M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2},${y2}`;
      lx = mid; ly = (y1 + y2) / 2 - 4;
    }
    const ran = a.node.executions > 0 && b.node.status !== "skipped" && b.node.status !== "pending";
    root.append(svg("path", { d, class: "edge" + (edge.back ? " back" : "") + (ran ? " taken" : ""), "marker-end": "url(#arrow)" }));
    if (edge.route) root.append(svg("text", { x: lx, y: ly, "text-anchor": "middle", class: "edge-label" }, edge.route));
  }
  g.nodes.forEach((layout, i) => {
    const node = view.nodes[i];
    const p = nodePosition(layout);
    const label = `${node.id}: ${node.status}` + (node.executions > 1 ? `, ran ${node.executions} times` : "");
    const group = svg("g", {
      class: `node ${node.status}` + (state.selected === node.id ? " selected" : ""),
      transform: `translate(${p.x},${p.y})`, role: "button", tabindex: "0", "aria-label": label,
      "data-node": node.id, "data-status": node.status,
      onclick: () => select(node.id),
      onkeydown: (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); select(node.id); } },
    },
      svg("title", {}, label),
      svg("rect", { width: NODE_W, height: NODE_H, rx: 8 }),
      svg("text", { x: 10, y: 19 }, clip(node.id, 20)),
      svg("text", { x: 10, y: 36, class: "kind" }, layout.kind || ""));
    if (node.executions > 1) group.append(svg("text", { x: NODE_W - 8, y: 14, "text-anchor": "end", class: "count" }, "×" + node.executions));
    root.append(group);
  });
  return root;
}

function clip(text, n) {
  return text.length > n ? text.slice(0, n - 1) + "…" : text;
}

function drawTimeline(view) {
  const ex = view.executions;
  if (!ex.length) return el("p", { class: "muted" }, "No node has finished yet.");
  const start = Math.min(view.run.created, ...ex.slice(0, 5000).map((e) => e.started));
  const end = Math.max(view.run.status === "running" ? Date.now() : view.run.updated, ...ex.slice(-5000).map((e) => e.finished));
  const span = Math.max(1, end - start);
  const rowsOf = new Map();
  for (const e of ex) {
    // A map's elements get rows of their own under the map.
    const row = e.element == null ? e.node : `${e.node}[${e.element}]`;
    if (!rowsOf.has(row)) rowsOf.set(row, []);
    rowsOf.get(row).push(e);
  }
  const nodes = [...rowsOf.keys()].slice(0, TIMELINE_ROWS);
  const labelW = 140, width = 900, rowH = 20, height = nodes.length * rowH + 30;
  const scale = (t) => labelW + ((t - start) / span) * (width - labelW - 10);
  const root = svg("svg", { width: "100%", viewBox: `0 0 ${width} ${height}`, preserveAspectRatio: "xMinYMin meet", role: "img", "aria-label": "Timeline of node executions" });
  for (let i = 0; i <= 4; i++) {
    const x = labelW + (i / 4) * (width - labelW - 10);
    root.append(svg("line", { x1: x, x2: x, y1: 0, y2: height - 18, class: "axis" }));
    root.append(svg("text", { x, y: height - 4, "text-anchor": "middle", class: "edge-label" }, ms((i / 4) * span)));
  }
  nodes.forEach((id, row) => {
    const y = row * rowH + 4;
    root.append(svg("text", { x: 4, y: y + 12 }, clip(id, 20)));
    for (const e of rowsOf.get(id)) {
      const x = scale(e.started);
      const w = Math.max(2, scale(e.finished) - x);
      const name = e.element == null ? e.node : `${e.node} element ${e.element}`;
      const what = `${name} iteration ${e.iteration}, attempt ${e.attempt}: ${e.status} in ${ms(e.duration_us / 1000)}` + (e.error ? ` — ${e.error}` : "");
      root.append(svg("rect", { x, y, width: w, height: rowH - 6, rx: 2, class: "bar " + e.status + (e.attempt > 1 ? " retried" : ""), "data-node": e.node, onclick: () => select(e.node) }, svg("title", {}, what)));
      // Retries are folded into their execution's bar: say how many attempts it took.
      if (e.attempt > 1) root.append(svg("text", { x: x + w + 3, y: y + 11, class: "edge-label" }, `${e.attempt} attempts`));
    }
  });
  const parts = [root];
  if (rowsOf.size > TIMELINE_ROWS) parts.push(el("p", { class: "muted" }, `The first ${TIMELINE_ROWS} of ${rowsOf.size} nodes.`));
  return el("div", {}, parts);
}

// What a node was given: the run's input (its globals at the start) and, under their ids, the
// outputs of its direct predecessors that ran.
function inputOf(view, id) {
  const input = Object.assign({}, view.input);
  for (const edge of view.graph.edges) {
    if (edge.to !== id) continue;
    const from = view.nodes.find((n) => n.id === edge.from);
    if (from && from.executions > 0) input[from.id] = from.output;
  }
  return input;
}

function drawDetail(view, state) {
  const index = view.nodes.findIndex((n) => n.id === state.selected);
  if (index < 0) return el("div", { class: "card detail", id: "detail" }, el("p", { class: "muted" }, "Select a node to see its output."));
  const node = view.nodes[index];
  const runs = view.executions.filter((e) => e.node === node.id && e.element == null);
  return el("div", { class: "card detail", id: "detail", "aria-label": "Node " + node.id },
    el("h2", {}, node.id, " ", badge(node.status)),
    el("div", { class: "muted" }, `kind ${view.graph.nodes[index].kind || "?"} · ran ${node.executions} time(s)` + (node.attempts > 1 ? ` · ${node.attempts} attempts` : "")),
    node.error ? el("p", { class: "problem" }, node.error) : null,
    el("h2", {}, "Input"),
    el("p", { class: "muted" }, "The run's input and the latest output of each predecessor that ran."),
    el("pre", { id: "detail-input" }, JSON.stringify(inputOf(view, node.id), null, 2)),
    el("h2", {}, "Output"), el("pre", { id: "detail-output" }, JSON.stringify(node.output, null, 2)),
    Object.keys(node.globals || {}).length ? [el("h2", {}, "Globals written"), el("pre", {}, JSON.stringify(node.globals, null, 2))] : null,
    runs.length ? [el("h2", {}, "Executions"), el("ol", {}, runs.map((e) => el("li", {}, `${e.status} in ${ms(e.duration_us / 1000)}` + (e.attempt > 1 ? ` (attempt ${e.attempt})` : "") + (e.error ? `: ${e.error}` : ""))))] : null);
}

function drawWaiting(view) {
  const w = view.waiting;
  if (!w) return null;
  const rows = el("div", { class: "values", id: "resume-values" });
  const addRow = (key, value) => {
    const n = rows.children.length / 2 + 1;
    rows.append(
      el("input", { name: "key", "aria-label": `Value name ${n}`, placeholder: "name", value: key || "" }),
      el("input", { name: "value", "aria-label": `Value ${n}`, placeholder: "value (JSON or text)", value: value || "" }));
  };
  addRow();
  const problem = el("p", { class: "problem", role: "alert", id: "resume-problem" });
  const button = el("button", { type: "submit", id: "resume" }, "Resume run");
  const form = el("form", {
    "aria-label": "Resume the run",
    onsubmit: async (e) => {
      e.preventDefault();
      const values = {};
      const inputs = [...rows.querySelectorAll("input")];
      for (let i = 0; i < inputs.length; i += 2) {
        const key = inputs[i].value.trim();
        if (!key) continue;
        const text = inputs[i + 1].value;
        try { values[key] = JSON.parse(text); } catch (_) { values[key] = text; }
      }
      button.disabled = true;
      problem.textContent = "";
      try {
        await api(`/api/runs/${encodeURIComponent(view.run.run_id)}/resume`, {
          method: "POST", headers: { "content-type": "application/json", accept: "application/json" },
          body: JSON.stringify({ values }),
        });
        renderRun(view.run.run_id);
      } catch (err) {
        problem.textContent = err.message;
        button.disabled = false;
      }
    },
  },
    rows,
    el("div", { class: "actions" },
      el("button", { type: "button", id: "add-value", class: "secondary", onclick: () => addRow() }, "Add value"),
      button),
    problem);
  return el("section", { class: "card waiting", "aria-label": "Waiting for input" },
    el("div", { class: "muted" }, `Waiting at node ${w.node}`),
    el("p", { class: "prompt", id: "prompt" }, w.prompt || "This run waits for input."),
    view.has_definition ? form : el("p", { class: "muted" }, "Started by a program: resume it from there."));
}

let current = null; // { view, state } of the run page

// Selecting a node changes its outline and the detail panel only: on a large run, repainting
// the whole graph would take as long as drawing it.
function select(id) {
  if (!current) return;
  current.state.selected = id;
  for (const node of document.querySelectorAll("g.node.selected")) node.classList.remove("selected");
  const chosen = [...document.querySelectorAll("g.node")].find((n) => n.dataset.node === id);
  if (chosen) chosen.classList.add("selected");
  const old = document.getElementById("detail");
  if (old) old.replaceWith(drawDetail(current.view, current.state));
  const detail = document.getElementById("detail");
  if (detail && window.innerWidth < 900) detail.scrollIntoView({ behavior: "smooth" });
}

function paintRun() {
  const { view, state } = current;
  const r = view.run;
  const took = (r.status === "running" ? Date.now() : r.updated) - r.created;
  const header = [
    el("p", {}, el("a", { href: "#/" }, "← all runs")),
    el("h1", {}, "Run ", el("span", { id: "run-id" }, r.run_id), " ", el("span", { id: "run-status" }, badge(r.status))),
    el("div", { class: "meta" },
      el("div", {}, el("span", { class: "k" }, "workflow"), r.workflow),
      el("div", {}, el("span", { class: "k" }, "started"), when(r.created)),
      el("div", {}, el("span", { class: "k" }, "duration"), ms(Math.max(0, took))),
      el("div", {}, el("span", { class: "k" }, "node executions"), String(view.executions.length))),
    r.error ? el("p", { class: "problem", role: "alert" }, r.error) : null,
  ];
  const legend = el("div", { class: "legend", "aria-hidden": "true" },
    ["success", "running", "failed", "interrupted", "skipped", "pending"].map((s) => badge(s)),
    el("span", { class: "muted" }, "dashed orange: loop back"));
  show(...header, drawWaiting(view) || "",
    el("div", { class: "layout" },
      el("section", { "aria-label": "Graph" }, el("h2", {}, "Graph"), legend, el("div", { class: "scroll", id: "graph" }, drawGraph(view, state))),
      drawDetail(view, state)),
    el("section", { "aria-label": "Timeline" }, el("h2", {}, "Timeline"), el("div", { class: "card", id: "timeline" }, drawTimeline(view))));
}

async function renderRun(id) {
  let view;
  try {
    view = await api("/api/runs/" + encodeURIComponent(id));
  } catch (e) {
    show(el("p", {}, el("a", { href: "#/" }, "← all runs")), el("h1", {}, "Run " + id), el("p", { class: "problem", role: "alert" }, e.message));
    return;
  }
  if (route().id !== id) return;
  const selected = current && current.view.run.run_id === id ? current.state.selected : null;
  current = { view, state: { selected } };
  paintRun();
  if (view.run.status === "running") follow(id);
}

// Live progress: apply each update to the view and repaint; at the end, fetch the whole run
// once more (statuses of nodes never run are only known then).
function follow(id) {
  if (live) live.close();
  const source = new EventSource(`/api/runs/${encodeURIComponent(id)}/events?since=${current.view.executions.length}`);
  live = source;
  let painting = false;
  source.addEventListener("update", (message) => {
    if (!current || current.view.run.run_id !== id) return;
    const update = JSON.parse(message.data);
    const view = current.view;
    view.run.status = update.status;
    view.run.error = update.error;
    view.run.updated = update.updated;
    for (const e of update.executions) {
      view.executions.push(e);
      const node = view.nodes.find((n) => n.id === e.node);
      if (node && e.element != null) node.status = "running";
      else if (node) { node.status = e.status; node.executions += 1; node.attempts = e.attempt; node.error = e.error || null; }
    }
    if (!painting) {
      painting = true;
      requestAnimationFrame(() => { painting = false; if (current && current.view === view) paintRun(); });
    }
  });
  source.addEventListener("end", () => {
    source.close();
    if (live === source) live = null;
    if (route().id === id) renderRun(id);
  });
}

// ---------------------------------------------------------------- routing

function route() {
  const hash = location.hash || "#/";
  const match = hash.match(/^#\/runs\/([^?]+)/);
  if (match) return { page: "run", id: decodeURIComponent(match[1]) };
  return { page: "list" };
}

function navigate() {
  stop();
  const r = route();
  if (r.page === "run") { document.title = "Run " + r.id + " · nadoo-flow"; renderRun(r.id); }
  else { document.title = "nadoo-flow runs"; current = null; renderList(); }
}

window.addEventListener("hashchange", navigate);
document.addEventListener("DOMContentLoaded", navigate);
