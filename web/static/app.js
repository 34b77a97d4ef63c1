// The SPARQL console of the provml page (the `#/sparql` view; explorer.js has the others):
// canned queries and a SPARQL editor whose rows show as a table, a canned query's text taken
// into the editor as a template; clicking an IRI draws its lineage with cytoscape (vendored).
// Text from the store is only ever set as textContent, never as HTML.
"use strict";

const $ = (id) => document.getElementById(id);
let selected = null;

function showError(message) {
  $("error").textContent = message;
  $("error").hidden = !message;
}

function setStatus(message) {
  $("status").textContent = message;
}

async function fetchText(url, options) {
  const reply = await fetch(url, options);
  const body = await reply.text();
  if (!reply.ok) throw new Error(body.trim() || `${reply.status} ${reply.statusText}`);
  return { body, type: reply.headers.get("content-type") || "" };
}

function iriCell(iri) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "iri";
  button.textContent = iri;
  button.title = "Show the lineage of this IRI";
  button.addEventListener("click", () => showLineage(iri));
  return button;
}

function renderTable(columns, rows) {
  const table = $("results-table");
  const head = table.querySelector("thead");
  const body = table.querySelector("tbody");
  head.replaceChildren();
  body.replaceChildren();
  const headRow = document.createElement("tr");
  for (const column of columns) {
    const th = document.createElement("th");
    th.textContent = column;
    headRow.append(th);
  }
  head.append(headRow);
  for (const row of rows) {
    const tr = document.createElement("tr");
    for (const value of row) {
      const td = document.createElement("td");
      if (value && typeof value === "object" && "@id" in value) td.append(iriCell(value["@id"]));
      else td.textContent = value === null || value === undefined ? "" : String(value);
      tr.append(td);
    }
    body.append(tr);
  }
  table.hidden = false;
  $("results-text").hidden = true;
  setStatus(`${rows.length} rows`);
}

function renderText(text) {
  $("results-table").hidden = true;
  $("results-text").textContent = text;
  $("results-text").hidden = false;
}

async function loadCanned() {
  const { body } = await fetchText("/queries");
  const list = $("canned-list");
  for (const query of JSON.parse(body)) {
    const item = document.createElement("li");
    item.dataset.name = query.name;
    const name = document.createElement("strong");
    name.textContent = query.name;
    const summary = document.createElement("small");
    summary.textContent = query.summary;
    item.append(name, summary);
    item.addEventListener("click", () => selectCanned(query, item));
    list.append(item);
  }
}

function selectCanned(query, item) {
  selected = query;
  for (const other of document.querySelectorAll("#canned-list li")) other.classList.remove("selected");
  item.classList.add("selected");
  $("canned-form").hidden = false;
  $("canned-name").textContent = query.name;
  $("canned-summary").textContent = query.summary;
  $("canned-description").textContent = query.description;
  const form = $("canned-params");
  form.replaceChildren();
  for (const param of query.params) {
    const label = document.createElement("label");
    label.textContent = `${param.name} (${param.type}${param.required ? "" : ", optional"})`;
    const input = document.createElement("input");
    input.id = `param-${param.name}`;
    input.name = param.name;
    input.value = param.default ?? "";
    input.required = param.required;
    label.append(input);
    form.append(label);
  }
}

async function cannedToEditor() {
  if (!selected) return;
  try {
    const { body } = await fetchText(`/queries/${encodeURIComponent(selected.name)}.rq`);
    $("query-text").value = body;
    $("editor").open = true;
  } catch (error) {
    showError(error.message);
  }
}

async function runCanned() {
  if (!selected) return;
  showError("");
  const params = new URLSearchParams();
  for (const input of $("canned-params").querySelectorAll("input")) {
    if (input.value !== "") params.append(input.name, input.value);
  }
  setStatus(`running ${selected.name}…`);
  try {
    const { body } = await fetchText(`/queries/${encodeURIComponent(selected.name)}?${params}`);
    const answer = JSON.parse(body);
    renderTable(answer.columns, answer.rows);
  } catch (error) {
    setStatus("");
    showError(error.message);
  }
}

function sparqlCell(term) {
  if (!term) return null;
  return term.type === "uri" ? { "@id": term.value } : term.value;
}

async function runSparql() {
  showError("");
  setStatus("running the query…");
  try {
    const { body, type } = await fetchText("/sparql", {
      method: "POST",
      headers: {
        "Content-Type": "application/sparql-query",
        Accept: "application/sparql-results+json, text/turtle;q=0.9",
      },
      body: $("query-text").value,
    });
    if (!type.startsWith("application/sparql-results+json")) {
      renderText(body);
      setStatus("graph answer (Turtle)");
      return;
    }
    const answer = JSON.parse(body);
    if ("boolean" in answer) {
      renderTable(["boolean"], [[answer.boolean]]);
      return;
    }
    const columns = answer.head.vars;
    const rows = answer.results.bindings.map((row) => columns.map((name) => sparqlCell(row[name])));
    renderTable(columns, rows);
  } catch (error) {
    setStatus("");
    showError(error.message);
  }
}

async function showLineage(iri) {
  $("lineage-input").value = iri;
  $("lineage-status").textContent = "loading the lineage…";
  showError("");
  try {
    const { body } = await fetchText(`/lineage?entity=${encodeURIComponent(iri)}`);
    drawLineage(JSON.parse(body));
  } catch (error) {
    $("lineage-status").textContent = "";
    showError(error.message);
  }
}

function drawLineage(graph) {
  const elements = [
    ...graph.nodes.map((node) => ({
      data: { id: node.id, label: node.type ? `${node.label}\n(${node.type})` : node.label },
      classes: node.id === graph.entity ? "focus" : "",
    })),
    ...graph.edges.map((edge, index) => ({
      data: { id: `e${index}`, source: edge.source, target: edge.target, label: edge.relation },
    })),
  ];
  if (window.lineageGraph) window.lineageGraph.destroy();
  window.lineageGraph = cytoscape({
    container: $("lineage-graph"),
    elements,
    layout: { name: "breadthfirst", directed: true, spacingFactor: 1.1 },
    style: [
      { selector: "node", style: { label: "data(label)", "text-wrap": "wrap", "font-size": 9, "background-color": "#5b7db1" } },
      { selector: "node.focus", style: { "background-color": "#d9822b" } },
      { selector: "edge", style: { label: "data(label)", "font-size": 7, "curve-style": "bezier", "target-arrow-shape": "triangle", width: 1 } },
    ],
  });
  window.lineageGraph.on("tap", "node", (event) => showLineage(event.target.id()));
  const more = graph.truncated ? " (truncated)" : "";
  $("lineage-status").textContent = `${graph.nodes.length} nodes, ${graph.edges.length} edges${more}`;
}

document.addEventListener("DOMContentLoaded", () => {
  $("run-canned").addEventListener("click", runCanned);
  $("run-sparql").addEventListener("click", runSparql);
  $("canned-to-editor").addEventListener("click", cannedToEditor);
  $("lineage-show").addEventListener("click", () => showLineage($("lineage-input").value.trim()));
  loadCanned().catch((error) => showError(`cannot list the canned queries: ${error.message}`));
});
