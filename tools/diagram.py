"""Draw the class hierarchy at a glance (Graphviz SVG) from the ontology's Turtle.

Run from a checkout: `python tools/diagram.py` writes `ontology/class-hierarchy.svg` (needs
Graphviz's `dot`); the nodes and edges come from `hierarchy()`, which a test compares with the
committed SVG. A development tool: it is not part of the installed package.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from provml.errors import OntologyError
from provml.ontology.graph import load_graph
from provml.ontology.paths import DIAGRAM_FILE, NAMESPACE, ONTOLOGY_FILE

# The checkout's ontology folder, never the installed package's copy.
ONTOLOGY_DIR = Path(__file__).resolve().parents[1] / "ontology"
CHECKOUT_ONTOLOGY = ONTOLOGY_DIR / ONTOLOGY_FILE.name
CHECKOUT_DIAGRAM = ONTOLOGY_DIR / DIAGRAM_FILE.name

PROV = "http://www.w3.org/ns/prov#"
# PROV's own colours (W3C PROV-O diagrams): entities yellow, activities blue, agents orange.
ROOT_COLOURS = {"Entity": "#fffc87", "Activity": "#9fb1fc", "Agent": "#fed37f"}


def _short(iri: str) -> str:
    """Return `provml:Name` or `prov:Name` for a class IRI."""
    if iri.startswith(NAMESPACE):
        return "provml:" + iri[len(NAMESPACE) :]
    if iri.startswith(PROV):
        return "prov:" + iri[len(PROV) :]
    return iri


def hierarchy(ontology_file: Path = CHECKOUT_ONTOLOGY) -> tuple[list[str], list[tuple[str, str]]]:
    """Return the named classes (provml ones and their PROV-O ancestors) and the direct
    subclass edges (child, parent) between them, both sorted, as `prefix:Name` strings."""
    from rdflib import OWL, RDF, RDFS, URIRef

    graph = load_graph(ontology_file)
    edges = set()
    for child in graph.subjects(RDF.type, OWL.Class):
        if not (isinstance(child, URIRef) and str(child).startswith(NAMESPACE)):
            continue
        for parent in graph.objects(child, RDFS.subClassOf):
            if isinstance(parent, URIRef):
                edges.add((_short(str(child)), _short(str(parent))))
    frontier = {parent for _, parent in edges if parent.startswith("prov:")}
    while frontier:  # add the PROV-O hierarchy above the classes provml specialises
        name = frontier.pop()
        for parent in graph.objects(URIRef(PROV + name[5:]), RDFS.subClassOf):
            edge = (name, _short(str(parent)))
            if edge not in edges:
                edges.add(edge)
                frontier.add(edge[1])
    nodes = sorted({name for edge in edges for name in edge})
    return nodes, sorted(edges)


def _root(name: str, parents: dict[str, list[str]]) -> str | None:
    """Return the PROV-O root (Entity, Activity, Agent) a class descends from, if any."""
    seen, todo = set(), [name]
    while todo:
        current = todo.pop()
        if current.startswith("prov:") and current[5:] in ROOT_COLOURS:
            return current[5:]
        if current not in seen:
            seen.add(current)
            todo.extend(parents.get(current, []))
    return None


def dot_source(ontology_file: Path = CHECKOUT_ONTOLOGY) -> str:
    """Return the Graphviz DOT text of the class hierarchy (arrows point to the superclass)."""
    nodes, edges = hierarchy(ontology_file)
    parents: dict[str, list[str]] = {}
    for child, parent in edges:
        parents.setdefault(child, []).append(parent)
    lines = [
        "digraph provml_classes {",
        '  graph [rankdir=RL, fontname="Helvetica", ranksep=0.6, nodesep=0.12];',
        '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=11];',
        "  edge [arrowhead=empty, color=gray35];",
    ]
    for name in nodes:
        colour = ROOT_COLOURS.get(_root(name, parents) or "", "#eeeeee")
        style = ', penwidth=2, style="filled"' if name.startswith("prov:") else ""
        lines.append(f'  "{name}" [fillcolor="{colour}"{style}];')
    lines += [f'  "{child}" -> "{parent}";' for child, parent in edges]
    lines.append("}")
    return "\n".join(lines) + "\n"


def render_svg(ontology_file: Path = CHECKOUT_ONTOLOGY) -> str:
    """Run Graphviz's `dot` on the hierarchy and return the SVG text."""
    dot = shutil.which("dot")
    if dot is None:
        raise OntologyError("Graphviz's `dot` is not installed (apt-get install graphviz)")
    completed = subprocess.run(
        [dot, "-Tsvg"], input=dot_source(ontology_file), capture_output=True, text=True, check=True
    )
    return completed.stdout


def main() -> int:
    """Write class-hierarchy.svg into the checkout's ontology/ folder."""
    CHECKOUT_DIAGRAM.write_text(render_svg(), encoding="utf-8")
    print(f"wrote {CHECKOUT_DIAGRAM}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
