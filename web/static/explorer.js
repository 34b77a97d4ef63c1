// The provml explorer: views over the canned queries of the HTTP API, one URL each (hash
// routing: #/ workflows, #/runs, #/run, #/compare, #/entity, #/search; #/sparql is the console
// of app.js). Charts are uPlot's, graphs cytoscape's (both vendored). Text from the store is
// only ever set as textContent, never as HTML.
"use strict";

const ANY_WORKFLOW = "urn:provml:any-workflow";
const COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"];
const LIVE_REFRESH_MS = 5000;
let generation = 0;
let liveTimer = null;
window.provmlCharts = {};

const byId = (id) => document.getElementById(id);
const iriOf = (value) => (value && typeof value === "object" && "@id" in value ? value["@id"] : null);
const tail = (iri) => decodeURIComponent(String(iri).replace(/[/#]+$/, "").split(/[/#]/).pop());
const number = (value) => (typeof value === "number" ? value : value !== null && value !== "" && !Number.isNaN(Number(value)) ? Number(value) : null);

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === "dataset") Object.assign(node.dataset, value);
    else if (key === "text") node.textContent = value;
    else node[key] = value;
  }
  for (const child of children) if (child !== null && child !== undefined) node.append(child);
  return node;
}

function href(path, params) {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    for (const one of Array.isArray(value) ? value : [value]) if (one !== undefined && one !== null && one !== "") query.append(key, one);
  }
  return `#${path}?${query}`;
}

const runLink = (iri, workflow) => el("a", { href: href("/run", { run: iri, workflow }), text: tail(iri), title: iri, className: "run-link" });
const entityLink = (iri, label) => el("a", { href: href("/entity", { entity: iri }), text: label || tail(iri), title: iri, className: "entity-link" });

function setStatus(message) {
  byId("view-status").textContent = message;
}

function showError(message) {
  byId("view-error").textContent = message;
  byId("view-error").hidden = !message;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const RETRIES_WHEN_BUSY = 2;

// A canned query's rows as objects (IRIs stay {"@id": ...}). A 503 (the server busy with long
// queries) is retried twice, a second and then two later.
async function canned(name, params = {}) {
  let reply;
  for (let attempt = 0; ; attempt++) {
    reply = await fetch(`/queries/${encodeURIComponent(name)}?${new URLSearchParams(params)}`);
    if (reply.status !== 503 || attempt === RETRIES_WHEN_BUSY) break;
    await sleep(1000 * (attempt + 1));
  }
  const body = await reply.text();
  if (!reply.ok) throw new Error(body.trim() || `${name}: ${reply.status}`);
  const answer = JSON.parse(body);
  return answer.rows.map((row) => Object.fromEntries(answer.columns.map((column, i) => [column, row[i]])));
}

function display(value) {
  if (value === null || value === undefined) return "";
  const iri = iriOf(value);
  if (iri) return iri.startsWith("https://w3id.org/provml/ontology#") ? tail(iri) : iri;
  if (typeof value === "string" && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/.test(value)) return value.slice(0, 19).replace("T", " ");
  if (typeof value === "number") return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(6)));
  return String(value);
}

function cellContent(value) {
  const iri = iriOf(value);
  if (iri && !iri.startsWith("https://w3id.org/provml/ontology#")) {
    return iri.includes("/run/") && !iri.includes("/task/") ? runLink(iri) : entityLink(iri);
  }
  return display(value);
}

// A table: columns [{key, title, value(row) -> any, cell(row) -> node|string}], sortable by a
// click on a header (the order goes in the URL where `onSort` keeps it).
function table(id, columns, rows, { sort = null, desc = false, onSort = null, rowData = null } = {}) {
  const sorted = [...rows];
  const column = columns.find((c) => c.key === sort);
  if (column) {
    const value = column.value || ((row) => row[column.key]);
    sorted.sort((a, b) => compareValues(value(a), value(b)) * (desc ? -1 : 1));
  }
  const head = el("tr");
  for (const c of columns) {
    const arrow = c.key === sort ? (desc ? " ▼" : " ▲") : "";
    const th = el("th", { text: (c.title ?? c.key) + arrow, dataset: { col: c.key } });
    if (onSort && c.sortable !== false) {
      th.classList.add("sortable");
      th.addEventListener("click", () => onSort(c.key, c.key === sort ? !desc : false));
    }
    head.append(th);
  }
  const body = el("tbody");
  for (const row of sorted) {
    const tr = el("tr");
    if (rowData) Object.assign(tr.dataset, rowData(row));
    for (const c of columns) {
      const content = c.cell ? c.cell(row) : cellContent(c.value ? c.value(row) : row[c.key]);
      tr.append(el("td", { dataset: { col: c.key } }, content));
    }
    body.append(tr);
  }
  return el("table", { id, className: "data" }, el("thead", {}, head), body);
}

function compareValues(a, b) {
  if (a === b) return 0;
  if (a === null || a === undefined || a === "") return 1;
  if (b === null || b === undefined || b === "") return -1;
  const x = number(a);
  const y = number(b);
  if (x !== null && y !== null) return x - y;
  return display(a).localeCompare(display(b));
}

function section(title, ...children) {
  return el("section", { className: "panel" }, el("h2", { text: title }), ...children);
}

function simpleTable(id, rows, keys) {
  return rows.length ? table(id, keys.map((key) => ({ key })), rows) : el("p", { className: "muted", text: "none recorded" });
}

// -- charts (uPlot) ----------------------------------------------------------------------
function lineChart(container, key, title, xLabel, xs, series) {
  const width = Math.max(320, Math.min(container.clientWidth || 560, 620));
  const options = {
    title,
    width,
    height: 240,
    scales: { x: { time: false } },
    axes: [{ label: xLabel }, {}],
    series: [
      { label: xLabel },
      ...series.map((one, i) => ({ label: one.label, stroke: COLORS[i % COLORS.length], width: 2, spanGaps: true, points: { show: true, size: 6 } })),
    ],
  };
  const chart = new uPlot(options, [xs, ...series.map((one) => one.values)], container);
  window.provmlCharts[key] = chart;
  return chart;
}

// A measure with an epoch or a step is a point of a curve; one with neither (a test score) is
// a single value, listed under the chart.
const onCurve = (row) => row.epoch !== null && row.epoch !== undefined || row.step !== null && row.step !== undefined;

function singleValues(rows) {
  const singles = rows.filter((row) => !onCurve(row));
  if (!singles.length) return null;
  return el("p", { className: "single-values" }, singles.map((row) => `${row.split ?? ""} ${row.metric}: ${display(row.value)}`).join(" · "));
}

// The x of a measure: its epoch, else its step, else its place.
function positionOf(row, index) {
  return row.epoch ?? row.step ?? index;
}

function axisName(rows) {
  return rows.every((row) => row.epoch !== null && row.epoch !== undefined) ? "epoch" : rows.every((row) => row.step !== null && row.step !== undefined) ? "step" : "measure";
}

// Series on a shared x axis: [{label, points: [[x, y]...]}] -> xs and aligned values.
function aligned(series) {
  const xs = [...new Set(series.flatMap((one) => one.points.map(([x]) => x)))].sort((a, b) => a - b);
  return {
    xs,
    series: series.map((one) => {
      const at = new Map(one.points);
      return { label: one.label, values: xs.map((x) => (at.has(x) ? at.get(x) : null)) };
    }),
  };
}

function groupBy(rows, key) {
  const groups = new Map();
  for (const row of rows) {
    const value = key(row);
    if (!groups.has(value)) groups.set(value, []);
    groups.get(value).push(row);
  }
  return groups;
}

// A chart per metric of one run, a series per split.
function runCharts(measures) {
  const box = el("div", { className: "charts" });
  const byMetric = groupBy(measures, (row) => row.metric);
  return {
    box,
    draw() {
      for (const [metric, rows] of byMetric) {
        const holder = el("div", { className: "chart", dataset: { metric } });
        box.append(holder);
        const curve = rows.filter(onCurve);
        const splits = groupBy(curve, (row) => row.split ?? "");
        const { xs, series } = aligned([...splits].map(([split, points]) => ({ label: split || metric, points: points.map((row, i) => [positionOf(row, i), row.value]) })));
        if (curve.length) lineChart(holder, metric, metric, axisName(curve), xs, series);
        holder.append(singleValues(rows));
      }
    },
  };
}

// The tasks of a run on lanes (node, GPU, task class): a lane's line is drawn while one of its
// tasks runs, so the busy time of each node and phase shows at a glance.
function timelineChart(container, tasks) {
  const start0 = Math.min(...tasks.map((task) => Date.parse(task.started)));
  const now = Date.now();
  const laneName = (task) => [task.host || "?", task.gpu, tail(iriOf(task.task_class) || "task")].filter(Boolean).join(" · ");
  const lanes = [...new Set(tasks.map(laneName))].sort();
  const spans = lanes.map(() => []);
  const marks = new Set();
  for (const task of tasks) {
    const from = (Date.parse(task.started) - start0) / 1000;
    const to = ((task.ended ? Date.parse(task.ended) : now) - start0) / 1000;
    spans[lanes.indexOf(laneName(task))].push([from, to]);
    marks.add(from);
    marks.add(to);
    marks.add(to + 1e-6); // a gap after each span, so two spans of a lane are not joined
  }
  const xs = [...marks].sort((a, b) => a - b);
  const values = spans.map((laneSpans, lane) => xs.map((x) => (laneSpans.some(([from, to]) => x >= from && x <= to) ? lane : null)));
  const options = {
    title: "tasks by node, GPU and class (seconds since the run started)",
    width: Math.max(420, Math.min(container.clientWidth || 900, 1000)),
    height: 60 + 28 * lanes.length,
    scales: { x: { time: false }, y: { range: [-0.8, lanes.length - 0.2] } },
    axes: [
      { label: "seconds" },
      { size: 230, splits: () => lanes.map((_, i) => i), values: (_, splits) => splits.map((i) => lanes[i] ?? "") },
    ],
    legend: { show: false },
    series: [{ label: "seconds" }, ...lanes.map((lane, i) => ({ label: lane, stroke: COLORS[i % COLORS.length], width: 10, spanGaps: false, points: { show: false } }))],
  };
  window.provmlCharts.timeline = new uPlot(options, [xs, ...values], container);
}

function drawGraph(container, graph) {
  const elements = [
    ...graph.nodes.map((node) => ({ data: { id: node.id, label: node.type ? `${node.label}\n(${node.type})` : node.label }, classes: node.id === graph.entity ? "focus" : "" })),
    ...graph.edges.map((edge, index) => ({ data: { id: `e${index}`, source: edge.source, target: edge.target, label: edge.relation } })),
  ];
  if (window.entityGraph) window.entityGraph.destroy();
  window.entityGraph = cytoscape({
    container,
    elements,
    layout: { name: "breadthfirst", directed: true, spacingFactor: 1.1 },
    style: [
      { selector: "node", style: { label: "data(label)", "text-wrap": "wrap", "font-size": 9, "background-color": "#5b7db1" } },
      { selector: "node.focus", style: { "background-color": "#d9822b" } },
      { selector: "edge", style: { label: "data(label)", "font-size": 7, "curve-style": "bezier", "target-arrow-shape": "triangle", width: 1 } },
    ],
  });
  window.entityGraph.on("tap", "node", (event) => {
    const id = event.target.id();
    location.hash = id.includes("/run/") && !id.includes("/version/") && !id.includes("/entity/") ? href("/run", { run: id }).slice(1) : href("/entity", { entity: id }).slice(1);
  });
}

// -- filters of the runs table -----------------------------------------------------------
// `lr >= 0.001 and lr <= 0.01`, `lr in [0.001, 0.01]` (inclusive), `optimizer in (adam, sgd)`,
// `batch_size = 16 or batch_size = 32`: OR of ANDs; numbers compare as numbers.
function parseFilter(text) {
  if (!text.trim()) return [];
  return text.split(/\s+or\s+/i).map((group) => group.split(/\s+and\s+/i).map(parseCondition));
}

function parseCondition(text) {
  let match = text.match(/^\s*(\S+?)\s+in\s+\[\s*([^,\]]+?)\s*,\s*([^\]]+?)\s*\]\s*$/i);
  if (match) return { name: match[1], op: "range", values: [match[2], match[3]] };
  match = text.match(/^\s*(\S+?)\s+in\s+\(\s*(.*?)\s*\)\s*$/i);
  if (match) return { name: match[1], op: "in", values: match[2].split(",").map((one) => one.trim()) };
  match = text.match(/^\s*([^\s<>=!]+)\s*(<=|>=|!=|=|<|>)\s*(.+?)\s*$/);
  if (match) return { name: match[1], op: match[2], values: [match[3]] };
  throw new Error(`cannot read the condition "${text.trim()}": write name op value (op: = != < <= > >=), name in [min, max] or name in (a, b, ...)`);
}

function holds(condition, value) {
  if (value === undefined || value === null) return false;
  const cmp = (wanted) => compareValues(value, wanted);
  const [first, second] = condition.values;
  switch (condition.op) {
    case "range": return cmp(first) >= 0 && cmp(second) <= 0;
    case "in": return condition.values.some((wanted) => cmp(wanted) === 0);
    case "=": return cmp(first) === 0;
    case "!=": return cmp(first) !== 0;
    case "<": return cmp(first) < 0;
    case "<=": return cmp(first) <= 0;
    case ">": return cmp(first) > 0;
    default: return cmp(first) >= 0;
  }
}

function matches(groups, lookup) {
  return !groups.length || groups.some((group) => group.every((condition) => holds(condition, lookup(condition.name))));
}

// -- views ---------------------------------------------------------------------------------
async function workflowsView(params, view) {
  const rows = await canned("workflows", { search: "" });
  view.append(
    el("h1", { text: "Workflows" }),
    table("workflows-table", [
      { key: "workflow_label", title: "workflow", cell: (row) => el("a", { href: href("/runs", { workflow: iriOf(row.workflow) }), text: row.workflow_label || tail(iriOf(row.workflow)), className: "workflow-link" }) },
      { key: "runs" }, { key: "running" }, { key: "failed" }, { key: "last_started", title: "last started" },
    ], rows, { rowData: (row) => ({ workflow: iriOf(row.workflow) }) }),
  );
  return `${rows.length} workflows`;
}

// One record per run of a workflow: its row of `runs`, parameters and final metric values.
async function runRecords(workflow) {
  const [runs, settings, summaries, resources] = await Promise.all([
    canned("runs", { in_workflow: workflow }),
    canned("run_hyperparameters", { workflow }),
    canned("metric_summaries", { workflow }),
    workflow === ANY_WORKFLOW ? [] : canned("run_resources", { workflow }),
  ]);
  const tasksOf = new Map();
  for (const row of settings) {
    if (!tasksOf.has(row.parameter)) tasksOf.set(row.parameter, new Set());
    tasksOf.get(row.parameter).add(row.task_label);
  }
  // A parameter set by one kind of task is named alone, else task/parameter.
  const paramKey = (row) => (tasksOf.get(row.parameter).size > 1 ? `${row.task_label}/${row.parameter}` : row.parameter);
  const records = new Map(runs.map((row) => [iriOf(row.run), { ...row, run: iriOf(row.run), name: tail(iriOf(row.run)), params: {}, metrics: {}, recorded_epochs: null }]));
  const paramKeys = new Set();
  const metricKeys = new Set();
  for (const row of settings) {
    const record = records.get(iriOf(row.run));
    if (!record) continue;
    const key = paramKey(row);
    paramKeys.add(key);
    record.params[key] = number(row.value) ?? row.value;
  }
  for (const row of resources) {
    const record = records.get(iriOf(row.run));
    if (record) Object.assign(record, { nodes: row.nodes, gpus: row.gpus });
  }
  for (const row of summaries) {
    const record = records.get(iriOf(row.run));
    if (!record) continue;
    const key = row.split ? `${row.metric}/${row.split}` : row.metric;
    metricKeys.add(key);
    record.metrics[key] = row.final;
    if (row.last_epoch !== null) record.recorded_epochs = Math.max(record.recorded_epochs ?? 0, row.last_epoch + 1);
  }
  return { records: [...records.values()], paramKeys: [...paramKeys].sort(), metricKeys: [...metricKeys].sort() };
}

async function runsView(params, view, gen) {
  const workflow = params.get("workflow") || ANY_WORKFLOW;
  let { records, paramKeys, metricKeys } = await runRecords(workflow);
  const chosen = params.has("cols") ? params.get("cols").split(",").filter(Boolean) : [...paramKeys, ...metricKeys];
  const state = { sort: params.get("sort") || "started", desc: params.has("sort") ? params.get("desc") === "1" : true, filter: params.get("filter") || "" };
  const label = records.find((record) => record.workflow_label)?.workflow_label || tail(workflow);
  const filterInput = el("input", { id: "runs-filter", type: "search", value: state.filter, placeholder: "learning_rate in [0.0005, 0.001] and iou/validation > 0.5 or optimizer in (adam, sgd)" });
  const counter = el("span", { id: "runs-count", className: "muted" });
  const holder = el("div", { id: "runs-holder", className: "scroll" });
  const chooser = el("details", { id: "columns-chooser" }, el("summary", { text: "columns" }));
  for (const key of [...paramKeys, ...metricKeys]) {
    const box = el("input", { type: "checkbox", checked: chosen.includes(key), value: key });
    box.addEventListener("change", () => {
      const now = [...chooser.querySelectorAll("input:checked")].map((input) => input.value);
      chosen.splice(0, chosen.length, ...now);
      keepInUrl();
      draw();
    });
    chooser.append(el("label", { className: "choice" }, box, ` ${key}${metricKeys.includes(key) ? " (final)" : ""}`));
  }
  const compare = el("button", { id: "compare-runs", type: "button", text: "Compare selected runs" });
  compare.addEventListener("click", () => {
    const picked = [...holder.querySelectorAll("input.pick:checked")].map((box) => box.value);
    if (picked.length < 2) showError("pick two or more runs to compare");
    else location.hash = href("/compare", { run: picked, workflow }).slice(1);
  });
  const apply = el("button", { id: "runs-filter-apply", type: "button", text: "Filter" });
  const applyFilter = () => {
    state.filter = filterInput.value;
    keepInUrl();
    draw();
  };
  apply.addEventListener("click", applyFilter);
  filterInput.addEventListener("keydown", (event) => event.key === "Enter" && applyFilter());
  view.append(
    el("h1", {}, el("a", { href: "#/", text: "Workflows" }), ` / ${label}`),
    el("div", { className: "row" }, filterInput, apply, counter),
    el("div", { className: "row" }, chooser, compare),
    holder,
  );

  function keepInUrl() {
    history.replaceState(null, "", href("/runs", { workflow, filter: state.filter, sort: state.sort, desc: state.desc ? "1" : "0", cols: chosen.join(",") }));
  }

  function lookup(record) {
    return (name) => (name in record.params ? record.params[name] : name in record.metrics ? record.metrics[name] : record[name]);
  }

  function draw() {
    showError("");
    let groups;
    try {
      groups = parseFilter(state.filter);
    } catch (error) {
      showError(error.message);
      return;
    }
    const known = new Set(["name", "status", "started", "duration", "recorded_epochs", "nodes", "gpus", ...paramKeys, ...metricKeys]);
    const unknown = groups.flat().map((condition) => condition.name).filter((name) => !known.has(name));
    if (unknown.length) {
      showError(`no column ${unknown.join(", ")} in this table (columns: ${[...known].join(", ")})`);
      return;
    }
    const shown = records.filter((record) => matches(groups, lookup(record)));
    const columns = [
      { key: "pick", title: "", sortable: false, cell: (record) => el("input", { type: "checkbox", className: "pick", value: record.run }) },
      { key: "name", title: "run", cell: (record) => runLink(record.run, workflow) },
      { key: "status" },
      { key: "started" },
      { key: "duration", title: "duration (s)" },
      { key: "recorded_epochs", title: "epochs recorded" },
      { key: "nodes" },
      { key: "gpus", title: "GPUs" },
      ...chosen.filter((key) => paramKeys.includes(key)).map((key) => ({ key, title: key, value: (record) => record.params[key] })),
      ...chosen.filter((key) => metricKeys.includes(key)).map((key) => ({ key, title: key, value: (record) => record.metrics[key] })),
    ];
    const onSort = (key, desc) => {
      state.sort = key;
      state.desc = desc;
      keepInUrl();
      draw();
    };
    holder.replaceChildren(table("runs-table", columns, shown, { sort: state.sort, desc: state.desc, onSort, rowData: (record) => ({ run: record.run, status: record.status }) }));
    counter.textContent = `${shown.length} of ${records.length} runs`;
  }
  draw();
  // Live: while a run is still going (the server follows its spool), the table is fetched
  // again every few seconds and redrawn in place, filter, order and picks kept.
  const follow = () => {
    if (!records.some((record) => record.status === "running")) return;
    liveTimer = setTimeout(async () => {
      if (gen !== generation) return;
      const fresh = await runRecords(workflow).catch(() => null);
      if (!fresh || gen !== generation) return follow();
      const picked = new Set([...holder.querySelectorAll("input.pick:checked")].map((box) => box.value));
      ({ records, paramKeys, metricKeys } = fresh);
      draw();
      for (const box of holder.querySelectorAll("input.pick")) box.checked = picked.has(box.value);
      follow();
    }, LIVE_REFRESH_MS);
  };
  follow();
  return `${records.length} runs`;
}

async function runView(params, view) {
  const run = params.get("run");
  if (!run) throw new Error("no run given: #/run?run=IRI");
  const workflow = params.get("workflow") || ANY_WORKFLOW;
  const [runs, measures, reproduce, tasks, phases, outputs] = await Promise.all([
    canned("runs", { in_workflow: workflow }),
    canned("run_metrics", { run }),
    canned("reproduce_run", { run }),
    canned("task_times", { run }),
    canned("phase_times", { run }),
    canned("run_outputs", { run }),
  ]);
  const me = runs.find((row) => iriOf(row.run) === run) || {};
  const myWorkflow = iriOf(me.workflow);
  const facts = (kind) => reproduce.filter((row) => row.kind === kind);
  const charts = runCharts(measures);
  const timeline = el("div", { id: "timeline", className: "chart wide" });
  const failed = tasks.filter((task) => task.status === "failed");
  const models = outputs.filter((row) => /Model|Checkpoint/.test(iriOf(row.entity_class) || ""));
  const predictions = outputs.filter((row) => /Predictions?$/.test(iriOf(row.entity_class) || ""));
  const data = outputs.filter((row) => !models.includes(row) && !predictions.includes(row));
  const outputTable = (id, rows) => (rows.length ? table(id, [
    { key: "entity", cell: (row) => entityLink(iriOf(row.entity), row.entity_label) },
    { key: "entity_class", title: "class" }, { key: "task_label", title: "task" }, { key: "generated_at", title: "generated" },
  ], rows, { rowData: (row) => ({ entity: iriOf(row.entity) }) }) : el("p", { className: "muted", text: "none" }));
  view.append(
    el("h1", {}, el("a", { href: "#/", text: "Workflows" }), " / ", myWorkflow ? el("a", { href: href("/runs", { workflow: myWorkflow }), text: me.workflow_label || tail(myWorkflow) }) : "", ` / run ${tail(run)}`),
    el("p", { id: "run-summary" }, `${me.run_label ?? ""} · status ${me.status ?? "?"} · started ${me.started ?? "?"} · ended ${me.ended ?? "—"} · ${me.duration ?? "?"} s · `, el("a", { href: href("/entity", { entity: run }), text: "lineage of the run" })),
    section("Parameters", simpleTable("run-params", facts("parameter"), ["name", "value"])),
    section("Metrics", measures.length ? charts.box : el("p", { className: "muted", text: "no metrics recorded" })),
    section("Timeline", tasks.length ? timeline : el("p", { className: "muted", text: "no tasks" }), simpleTable("run-phases", phases, ["phase", "host", "tasks", "seconds", "share"])),
    section("Failed tasks", failed.length ? table("run-failed", [{ key: "task" }, { key: "task_class", title: "class" }, { key: "ended" }, { key: "error" }], failed) : el("p", { className: "muted", text: "none" })),
    section("Model", outputTable("run-models", models)),
    section("Predictions", outputTable("run-predictions", predictions)),
    section("Data used", facts("input").length ? table("run-inputs", [
      { key: "name", title: "entity", cell: (row) => entityLink(row.name) }, { key: "value", title: "path" }, { key: "sha256" },
    ], facts("input")) : el("p", { className: "muted", text: "none" })),
    section("Data generated", outputTable("run-generated", data)),
    section("Tasks", simpleTable("run-tasks", tasks, ["task", "task_class", "status", "started", "duration", "host", "gpu", "error"])),
    section("To reproduce it", simpleTable("run-reproduce", reproduce.filter((row) => !["parameter", "input"].includes(row.kind)), ["kind", "name", "value"])),
  );
  charts.draw();
  if (tasks.length) timelineChart(timeline, tasks);
  return `run ${tail(run)}: ${measures.length} metric values, ${tasks.length} tasks`;
}

async function compareView(params, view) {
  const runs = params.getAll("run");
  if (runs.length < 2) throw new Error("compare needs two or more runs: #/compare?run=IRI&run=IRI");
  const [first, ...others] = runs;
  const [measures, diffs] = await Promise.all([
    Promise.all(runs.map((run) => canned("run_metrics", { run }))),
    Promise.all(others.map((other) => canned("diff_runs", { run: first, other }))),
  ]);
  const box = el("div", { className: "charts" });
  const keys = [...new Set(measures.flat().map((row) => (row.split ? `${row.metric}/${row.split}` : row.metric)))].sort();
  view.append(
    el("h1", { text: `Compare ${runs.map(tail).join(", ")}` }),
    el("p", {}, ...runs.flatMap((run, i) => [i ? " · " : "", runLink(run, params.get("workflow"))])),
    section("Metrics", box),
  );
  for (const key of keys) {
    const of = (rows) => rows.filter((row) => (row.split ? `${row.metric}/${row.split}` : row.metric) === key);
    const holder = el("div", { className: "chart", dataset: { metric: key } });
    box.append(holder);
    const curves = measures.map((rows) => of(rows).filter(onCurve));
    if (curves.some((rows) => rows.length)) {
      const { xs, series } = aligned(runs.map((run, i) => ({ label: tail(run), points: curves[i].map((row, j) => [positionOf(row, j), row.value]) })));
      lineChart(holder, key, key, axisName(curves.flat()), xs, series);
    } else {
      holder.append(el("h3", { text: key }), ...runs.map((run, i) => el("p", { className: "single-values" }, `${tail(run)}: ${of(measures[i]).map((row) => display(row.value)).join(", ") || "—"}`)));
    }
  }
  diffs.forEach((rows, i) => {
    const other = others[i];
    const steps = rows.filter((row) => row.kind === "step");
    const only = (mine) => steps.filter((row) => (mine ? row.other_value === null : row.value === null)).map((row) => row.name);
    const named = (row) => (row.kind === "input" ? entityLink(row.name) : row.name);
    view.append(
      section(`${tail(first)} vs ${tail(other)}: parameters and inputs`, table(`diff-${i}`, [
        { key: "kind" }, { key: "name", cell: named }, { key: "invocation" },
        { key: "value", title: tail(first) }, { key: "other_value", title: tail(other) },
      ], rows.filter((row) => row.kind !== "step"), { rowData: (row) => ({ kind: row.kind, name: row.name }) })),
      section(`${tail(first)} vs ${tail(other)}: steps`,
        el("p", { className: "steps-only", dataset: { run: first } }, `only in ${tail(first)}: ${only(true).join(", ") || "none"}`),
        el("p", { className: "steps-only", dataset: { run: other } }, `only in ${tail(other)}: ${only(false).join(", ") || "none"}`),
        table(`steps-${i}`, [{ key: "name", title: "step" }, { key: "value", title: `${tail(first)} (times)` }, { key: "other_value", title: `${tail(other)} (times)` }], steps)),
    );
  });
  return `${runs.length} runs compared`;
}

async function entityView(params, view) {
  const entity = params.get("entity");
  if (!entity) throw new Error("no entity given: #/entity?entity=IRI");
  const [facts, annotations, upstream, downstream, graph] = await Promise.all([
    canned("entity_facts", { entity }),
    canned("annotations", { target: entity }),
    canned("lineage_upstream", { start: entity }),
    canned("lineage_downstream", { start: entity }),
    fetch(`/lineage?entity=${encodeURIComponent(entity)}`).then(async (reply) => {
      if (!reply.ok) throw new Error((await reply.text()).trim());
      return reply.json();
    }),
  ]);
  const label = facts.find((row) => row.kind === "property" && row.name === "label")?.value || tail(entity);
  const classes = facts.filter((row) => row.kind === "class").map((row) => tail(iriOf(row.link)));
  // A trained model: the inferences that used it, wherever they ran.
  const predictions = classes.includes("TrainedModel") ? await canned("model_predictions", { model: entity }) : null;
  const versions = facts.filter((row) => row.kind === "version" || row.kind === "stable");
  const lineageColumns = [
    { key: "node", cell: (row) => entityLink(iriOf(row.node), row.node_label) },
    { key: "node_class", title: "class", value: (row) => (row.node_class ? tail(row.node_class) : "") },
    { key: "how" }, { key: "child", title: "reached from", cell: (row) => entityLink(iriOf(row.child)) },
    { key: "run", cell: (row) => (iriOf(row.run) ? runLink(iriOf(row.run)) : "") },
  ];
  const holder = el("div", { id: "entity-graph" });
  view.append(
    el("h1", { id: "entity-title", text: `${label} (${classes.join(", ") || "entity"})` }),
    el("p", { className: "muted", text: entity }),
    section("Attributes", table("entity-facts", [
      { key: "kind" }, { key: "name" },
      { key: "value", cell: (row) => (iriOf(row.link) ? cellContent(row.link) : display(row.value)) },
    ], facts.filter((row) => row.kind !== "version" && row.kind !== "stable"))),
    section("Versions", versions.length ? table("entity-versions", [
      { key: "kind" }, { key: "link", title: "entity", cell: (row) => entityLink(iriOf(row.link)) },
      { key: "run", cell: (row) => (iriOf(row.run) ? runLink(iriOf(row.run)) : "") }, { key: "at", title: "generated" },
    ], versions) : el("p", { className: "muted", text: "no other versions" })),
    predictions ? section("Inferences with this model", predictions.length ? table("entity-predictions", [
      { key: "inference" }, { key: "run", cell: (row) => runLink(iriOf(row.run)) }, { key: "started" }, { key: "status" },
      { key: "input", cell: (row) => (iriOf(row.input) ? entityLink(iriOf(row.input)) : "") },
      { key: "prediction", cell: (row) => (iriOf(row.prediction) ? entityLink(iriOf(row.prediction)) : "") },
    ], predictions) : el("p", { className: "muted", text: "no inference used it" })) : null,
    section("Annotations", simpleTable("entity-annotations", annotations, ["key", "value", "unit", "comment", "author_name", "at", "state"])),
    section("Lineage graph", holder, el("p", { id: "entity-graph-status", className: "muted", text: `${graph.nodes.length} nodes, ${graph.edges.length} edges${graph.truncated ? " (truncated)" : ""}` })),
    section("Upstream lineage", upstream.length ? table("entity-upstream", lineageColumns, upstream, { rowData: (row) => ({ node: iriOf(row.node), how: row.how }) }) : el("p", { className: "muted", text: "nothing upstream" })),
    section("Downstream impact", downstream.length ? table("entity-downstream", lineageColumns, downstream, { rowData: (row) => ({ node: iriOf(row.node), how: row.how }) }) : el("p", { className: "muted", text: "nothing downstream" })),
  );
  drawGraph(holder, graph);
  return `${label}: ${upstream.length} upstream edges, ${downstream.length} downstream`;
}

// The search box: `name=value` (attributes and parameters as text), a range or comparison
// (`name in [a, b]`, `name > x`: attributes, parameters and runs' final metric values), else
// text in the names of workflows, runs, models and datasets.
async function searchView(params, view) {
  const text = (params.get("q") || "").trim();
  byId("search-input").value = text;
  view.append(el("h1", { text: `Search: ${text}` }));
  const results = [];
  const equal = text.match(/^([^\s<>=!]+)\s*=\s*(.+)$/);
  let condition = null;
  try {
    condition = equal ? null : parseCondition(text);
  } catch {
    condition = null;
  }
  if (equal) {
    const [, name, value] = equal;
    const [entities, tasks] = await Promise.all([
      canned("entities_by_attribute", { attribute: name, value }),
      canned("tasks_by_parameter", { parameter: name, value }),
    ]);
    results.push(["Entities by attribute", entities, ["entity", "entity_label", "entity_class", "run"]], ["Tasks by parameter", tasks, ["run", "task_label", "value", "started", "status"]]);
  } else if (condition && condition.op !== "in" && condition.op !== "=" && condition.op !== "!=") {
    const [low, high] = condition.op === "range" ? condition.values.map(Number) : condition.op.startsWith(">") ? [Number(condition.values[0]), 1e308] : [-1e308, Number(condition.values[0])];
    // The range queries take inclusive bounds; `>` and `<` then drop the bound itself.
    const inside = (value) => (condition.op === ">" ? Number(value) > low : condition.op === "<" ? Number(value) < high : true);
    const [entities, tasks, runs] = await Promise.all([
      canned("entities_by_attribute_range", { attribute: condition.name, min: low, max: high }).then((rows) => rows.filter((row) => inside(row.value))),
      canned("tasks_by_parameter_range", { parameter: condition.name, min: low, max: high }).then((rows) => rows.filter((row) => inside(row.value))),
      canned("runs_by_metric_range", { metric: condition.name, min: low, max: high }).then((rows) => rows.filter((row) => inside(row.final))),
    ]);
    results.push(
      ["Entities by attribute", entities, ["entity", "entity_label", "entity_class", "value", "run"]],
      ["Tasks by parameter", tasks, ["run", "task_label", "value", "started", "status"]],
      ["Runs by final metric value", runs, ["run", "workflow", "metric_name", "split", "final", "last_epoch"]],
    );
  } else {
    const lower = text.toLowerCase();
    const [workflows, models, datasets, runs] = await Promise.all([
      canned("workflows", { search: text }),
      canned("models", { search: text }),
      canned("datasets", { search: text }),
      canned("runs", { in_workflow: ANY_WORKFLOW }),
    ]);
    const namedRuns = runs.filter((row) => `${tail(iriOf(row.run))} ${row.run_label ?? ""}`.toLowerCase().includes(lower));
    results.push(
      ["Workflows", workflows, ["workflow", "workflow_label", "runs"]],
      ["Runs", namedRuns, ["run", "run_label", "workflow_label", "status", "started"]],
      ["Models", models, ["model", "model_label", "architecture", "run"]],
      ["Datasets", datasets, ["dataset", "dataset_label", "dataset_class", "path", "run"]],
    );
  }
  for (const [title, rows, keys] of results) {
    const columns = keys.map((key) => (key === "workflow" ? { key, cell: (row) => el("a", { href: href("/runs", { workflow: iriOf(row.workflow) }), text: tail(iriOf(row.workflow)) }) } : { key }));
    view.append(section(`${title} (${rows.length})`, rows.length ? table(`search-${title.split(" ")[0].toLowerCase()}`, columns, rows) : el("p", { className: "muted", text: "none" })));
  }
  return `${results.reduce((sum, [, rows]) => sum + rows.length, 0)} results`;
}

// -- routing -------------------------------------------------------------------------------
const VIEWS = { "/": workflowsView, "/workflows": workflowsView, "/runs": runsView, "/run": runView, "/compare": compareView, "/entity": entityView, "/search": searchView };

async function render() {
  const hash = location.hash.replace(/^#/, "") || "/";
  const [path, query = ""] = hash.split("?");
  const gen = ++generation;
  clearTimeout(liveTimer);
  const onConsole = path === "/sparql";
  byId("console").hidden = !onConsole;
  byId("explorer").hidden = onConsole;
  const name = onConsole ? "sparql" : VIEWS[path] ? path.slice(1) || "workflows" : "workflows";
  document.body.dataset.view = name;
  document.body.dataset.state = "loading";
  showError("");
  if (onConsole) {
    setStatus("");
    document.body.dataset.state = "ready";
    return;
  }
  for (const chart of Object.values(window.provmlCharts)) chart.destroy();
  window.provmlCharts = {};
  const view = byId("view");
  view.replaceChildren();
  setStatus("loading…");
  const started = performance.now();
  try {
    const summary = await (VIEWS[path] || workflowsView)(new URLSearchParams(query), view, gen);
    if (gen !== generation) return;
    setStatus(`${summary} · ${Math.round(performance.now() - started)} ms`);
    document.body.dataset.state = "ready";
  } catch (error) {
    if (gen !== generation) return;
    setStatus("");
    showError(error.message);
    document.body.dataset.state = "error";
  }
}

document.addEventListener("DOMContentLoaded", () => {
  byId("search-form").addEventListener("submit", (event) => {
    event.preventDefault();
    location.hash = href("/search", { q: byId("search-input").value }).slice(1);
  });
  window.addEventListener("hashchange", render);
  render();
});
