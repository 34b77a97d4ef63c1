"""Read the ontology's Turtle files into rdflib graphs, following owl:imports via the catalog."""

from __future__ import annotations

__all__ = ["load_graph", "parse_turtle"]

from pathlib import Path
from typing import TYPE_CHECKING

from provml.errors import OntologyError
from provml.ontology.catalog import resolve_import
from provml.ontology.paths import CATALOG_FILE, ONTOLOGY_FILE

if TYPE_CHECKING:
    from rdflib import Graph


def parse_turtle(path: Path) -> Graph:
    """Parse one Turtle file; bad syntax raises OntologyError naming the file and the line."""
    from rdflib import Graph
    from rdflib.plugins.parsers.notation3 import BadSyntax

    graph = Graph()
    try:
        graph.parse(path, format="turtle")
    except BadSyntax as error:
        reason = error.args[4] if len(error.args) > 4 else str(error)
        raise OntologyError(
            f"{path}:{error.lines + 1}: bad Turtle syntax ({reason})", path=path
        ) from error
    except OSError as error:
        raise OntologyError(f"{path}: cannot read the file: {error}", path=path) from error
    return graph


def import_closure(
    ontology_file: Path = ONTOLOGY_FILE, catalog_file: Path = CATALOG_FILE
) -> list[tuple[str | None, Path, Graph]]:
    """Return (ontology IRI, file, graph) for the file and everything it imports, imports first.

    Imports are resolved only through the catalog, never over the network; an import the catalog
    does not map raises OntologyError.
    """
    from rdflib import OWL, RDF

    ordered: list[tuple[str | None, Path, Graph]] = []
    seen: set[Path] = set()

    def visit(path: Path) -> None:
        if path in seen:
            return
        seen.add(path)
        graph = parse_turtle(path)
        for imported in sorted(str(iri) for iri in graph.objects(None, OWL.imports)):
            visit(resolve_import(imported, catalog_file))
        iris = sorted(str(s) for s in graph.subjects(RDF.type, OWL.Ontology))
        ordered.append((iris[0] if iris else None, path, graph))

    visit(ontology_file.resolve())
    return ordered


def load_graph(
    ontology_file: Path = ONTOLOGY_FILE,
    catalog_file: Path = CATALOG_FILE,
    *,
    with_imports: bool = True,
) -> Graph:
    """Return one rdflib Graph with the ontology and (by default) its imports, read offline."""
    from rdflib import Graph

    if not with_imports:
        return parse_turtle(ontology_file)
    closure = import_closure(ontology_file, catalog_file)
    merged = Graph()
    for _, _, graph in closure:
        merged += graph
    for prefix, namespace in closure[-1][2].namespaces():
        merged.bind(prefix, namespace, override=True)
    return merged
