"""The lineage picture: an entity's provenance graph read from the store, drawn as an SVG in the
W3C PROV colours (entities yellow, activities blue), sources on the left."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import networkx as nx
import pyoxigraph

from provml.kg.results import SelectResult, term_value
from provml.kg.store import Store

PROV = "http://www.w3.org/ns/prov#"


@dataclass
class Lineage:
    """Nodes (IRI -> label, class, activity?) and edges (source, target, relation) of a
    provenance graph, edges pointing from what was used to what was made."""

    nodes: dict[str, tuple[str, str, bool]] = field(default_factory=dict)
    edges: set[tuple[str, str, str]] = field(default_factory=set)


def read_lineage(store: Store, entity_iri: str) -> Lineage:
    """The provenance graph of `entity_iri`: the upstream edges of the canned query
    `lineage_graph`. Derivations already implied by a generation and a usage are left out, so
    the picture shows each step once."""
    from provml.queries import run_query

    start = pyoxigraph.NamedNode(entity_iri)
    rows = [
        row for row in run_query(store, "lineage_graph", start=start) if row["direction"] == "up"
    ]
    labels = store.query(_START_LABEL, {"start": start})
    assert isinstance(labels, SelectResult)
    lineage = Lineage()
    start_label = next((term_value(row["label"]) for row in labels if row["label"]), entity_iri)
    lineage.nodes[entity_iri] = (start_label, "", False)
    generated_by: dict[str, set[str]] = {}
    used: dict[str, set[str]] = {}
    derived: set[tuple[str, str]] = set()
    for row in rows:
        subject, how, target = row["subject"], row["how"], row["object"]
        activity = how == "generated"
        cls = (row["node_class"] or "").rsplit("#", 1)[-1]
        lineage.nodes.setdefault(row["node"], (row["node_label"] or row["node"], cls, activity))
        if how == "generated":
            generated_by.setdefault(subject, set()).add(target)
        elif how == "used":
            used.setdefault(subject, set()).add(target)
        else:
            derived.add((subject, target))
    for entity, activities in generated_by.items():
        for activity in activities:
            lineage.edges.add((activity, entity, "generated"))
    for activity, inputs in used.items():
        for entity in inputs:
            lineage.edges.add((entity, activity, "used"))
    for entity, source in derived:
        implied = any(source in used.get(a, ()) for a in generated_by.get(entity, ()))
        if not implied:
            lineage.edges.add((source, entity, "derived"))
    known = lineage.nodes.keys()
    lineage.edges = {edge for edge in lineage.edges if edge[0] in known and edge[1] in known}
    return lineage


_START_LABEL = """PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?start ?label WHERE { ?start rdfs:label ?label }"""


def draw_lineage(lineage: Lineage, path: Path, title: str) -> Path:
    """Draw the graph in layers (sources left, the entity right) to `path` (SVG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    graph = nx.DiGraph()
    graph.add_nodes_from(lineage.nodes)
    graph.add_edges_from((source, target) for source, target, _ in lineage.edges)
    # Layers counted back from the sinks, so each source sits just before its first use.
    generations = list(nx.topological_generations(graph.reverse(copy=False)))
    layers = max(len(generations), 1)
    for back, nodes in enumerate(generations):
        for node in nodes:
            graph.nodes[node]["layer"] = layers - 1 - back
    widest = max(
        (sum(1 for _, d in graph.nodes(data=True) if d["layer"] == n) for n in range(layers)),
        default=1,
    )
    position = nx.multipartite_layout(graph, subset_key="layer")
    figure, axes = plt.subplots(figsize=(2.6 * layers + 1, 0.9 * widest + 1.5))
    styles = {"generated": "-", "used": "-", "derived": "--"}
    for source, target, relation in sorted(lineage.edges):
        axes.annotate(
            "",
            xy=position[target],
            xytext=position[source],
            arrowprops={
                "arrowstyle": "-|>",
                "color": "#555555",
                "linestyle": styles[relation],
                "shrinkA": 28,
                "shrinkB": 28,
                "lw": 0.8,
            },
        )
    for node, (label, cls, activity) in lineage.nodes.items():
        x, y = position[node]
        axes.text(
            x,
            y,
            f"{label}\n[{cls}]" if cls else label,
            ha="center",
            va="center",
            fontsize=7,
            bbox={
                "boxstyle": "square,pad=0.4" if activity else "round,pad=0.4",
                "facecolor": "#9FB1FC" if activity else "#FFFC87",
                "edgecolor": "#333333",
            },
        )
    axes.set_title(title, fontsize=10)
    xs = [x for x, _ in position.values()] or [0.0]
    ys = [y for _, y in position.values()] or [0.0]
    axes.set_xlim(min(xs) - 0.12, max(xs) + 0.12)
    axes.set_ylim(min(ys) - 0.1, max(ys) + 0.1)
    figure.subplots_adjust(left=0.02, right=0.98, bottom=0.02, top=0.94)
    axes.axis("off")
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, format=path.suffix.lstrip(".") or "svg")
    plt.close(figure)
    return path
