"""Generate `namespace.py`, the `PROVML` rdflib DefinedNamespace, from the ontology's Turtle.

Run from a checkout: `python tools/generate_namespace.py` rewrites `ontology/namespace.py` (which
the package ships); a test checks that the committed file equals a fresh generation byte for byte.
A development tool: it is not part of the installed package.
"""

from __future__ import annotations

from pathlib import Path

from provml.ontology.graph import parse_turtle
from provml.ontology.paths import NAMESPACE, NAMESPACE_MODULE, ONTOLOGY_FILE

# The checkout's ontology folder, never the installed package's copy.
ONTOLOGY_DIR = Path(__file__).resolve().parents[1] / "ontology"
CHECKOUT_ONTOLOGY = ONTOLOGY_DIR / ONTOLOGY_FILE.name
CHECKOUT_MODULE = ONTOLOGY_DIR / NAMESPACE_MODULE.name

_TEMPLATE = '''"""provml's ontology terms as a DefinedNamespace: typos raise, never mint IRIs.

Generated from provml.ttl by `python tools/generate_namespace.py`; do not edit.
"""

from rdflib.namespace import DefinedNamespace, Namespace
from rdflib.term import URIRef


class PROVML(DefinedNamespace):
    """provml: provenance for the lifecycle of scientific machine learning (PROV-O extension)."""

    _fail = True
    _NS = Namespace("{namespace}")

{terms}
'''


def ontology_terms(ontology_file: Path = CHECKOUT_ONTOLOGY) -> dict[str, str]:
    """Return local name -> English label for every term the ontology declares in its namespace."""
    from rdflib import RDF, RDFS, URIRef

    graph = parse_turtle(ontology_file)
    terms: dict[str, str] = {}
    for subject in set(graph.subjects(RDF.type, None)):
        if isinstance(subject, URIRef) and str(subject).startswith(NAMESPACE):
            labels = sorted(str(label) for label in graph.objects(subject, RDFS.label))
            terms[str(subject)[len(NAMESPACE) :]] = labels[0] if labels else ""
    return dict(sorted(terms.items()))


def namespace_module_text(ontology_file: Path = CHECKOUT_ONTOLOGY) -> str:
    """Return the source text of the generated namespace module."""
    lines = [
        f"    {name}: URIRef  # {label}".rstrip()
        for name, label in ontology_terms(ontology_file).items()
    ]
    return _TEMPLATE.format(namespace=NAMESPACE, terms="\n".join(lines))


def main() -> int:
    """Write namespace.py into the checkout's ontology/ folder."""
    CHECKOUT_MODULE.write_text(namespace_module_text(), encoding="utf-8")
    print(f"wrote {CHECKOUT_MODULE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
