"""Generate `namespace.py`, the `PROVML` rdflib DefinedNamespace, from the ontology's Turtle.

`python -m provml.ontology.generate_namespace` rewrites the module; a test checks that the committed
file equals a fresh generation byte for byte.
"""

from __future__ import annotations

from pathlib import Path

from provml.ontology.graph import parse_turtle
from provml.ontology.paths import NAMESPACE, NAMESPACE_MODULE, ONTOLOGY_FILE

_TEMPLATE = '''"""provml's ontology terms as a DefinedNamespace: typos raise, never mint IRIs.

Generated from provml.ttl by `python -m provml.ontology.generate_namespace`; do not edit.
"""

from rdflib.namespace import DefinedNamespace, Namespace
from rdflib.term import URIRef


class PROVML(DefinedNamespace):
    """provml: provenance for the lifecycle of scientific machine learning (PROV-O extension)."""

    _fail = True
    _NS = Namespace("{namespace}")

{terms}
'''


def ontology_terms(ontology_file: Path = ONTOLOGY_FILE) -> dict[str, str]:
    """Return local name -> English label for every term the ontology declares in its namespace."""
    from rdflib import RDF, RDFS, URIRef

    graph = parse_turtle(ontology_file)
    terms: dict[str, str] = {}
    for subject in set(graph.subjects(RDF.type, None)):
        if isinstance(subject, URIRef) and str(subject).startswith(NAMESPACE):
            labels = sorted(str(label) for label in graph.objects(subject, RDFS.label))
            terms[str(subject)[len(NAMESPACE) :]] = labels[0] if labels else ""
    return dict(sorted(terms.items()))


def namespace_module_text(ontology_file: Path = ONTOLOGY_FILE) -> str:
    """Return the source text of the generated namespace module."""
    lines = [
        f"    {name}: URIRef  # {label}".rstrip()
        for name, label in ontology_terms(ontology_file).items()
    ]
    return _TEMPLATE.format(namespace=NAMESPACE, terms="\n".join(lines))


def main() -> int:
    """Write namespace.py next to this module."""
    NAMESPACE_MODULE.write_text(namespace_module_text(), encoding="utf-8")
    print(f"wrote {NAMESPACE_MODULE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
