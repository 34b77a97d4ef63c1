"""Reading loaded provenance back as an rdflib Graph, e.g. to validate it with SHACL.

Oxigraph stores integer subtypes as xsd:integer, so a provml:sizeBytes written as xsd:long (the
ontology's range, which shape:FileSize checks) comes back as xsd:integer. `store_graph` restores
the ontology's datatype on the way out; the value is unchanged. (Virtuoso keeps xsd:long.)
"""

from __future__ import annotations

__all__ = ["store_graph"]

import io

import pyoxigraph
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import XSD

from provml.kg.store import Store
from provml.loaders.iris import ONTOLOGY_GRAPH
from provml.ontology.namespace import PROVML

#: Properties whose ontology range is an integer subtype the store may widen to xsd:integer.
NARROW_INTEGER_RANGES = {str(PROVML.sizeBytes): XSD.long}


def store_graph(store: Store, graph: str | None = None) -> Graph:
    """The triples of one named graph, or of every named graph but the ontology's, merged.

    Reads only. Raises StoreError as `Store.dump` does.
    """
    buffer = io.BytesIO()
    store.dump(buffer, "nquads")
    result = Graph()
    for quad in pyoxigraph.parse(buffer.getvalue(), format=pyoxigraph.RdfFormat.N_QUADS):
        name = quad.graph_name
        if not isinstance(name, pyoxigraph.NamedNode) or name.value == ONTOLOGY_GRAPH:
            continue
        if graph is not None and name.value != graph:
            continue
        predicate = quad.predicate.value
        result.add((_term(quad.subject), URIRef(predicate), _term(quad.object, predicate)))
    return result


def _term(term: object, predicate: str | None = None) -> URIRef | BNode | Literal:
    """An rdflib term for a pyoxigraph one; integers of narrow-range properties re-typed."""
    if isinstance(term, pyoxigraph.NamedNode):
        return URIRef(term.value)
    if isinstance(term, pyoxigraph.BlankNode):
        return BNode(term.value)
    assert isinstance(term, pyoxigraph.Literal)
    if term.language:
        return Literal(term.value, lang=term.language)
    datatype = term.datatype.value
    if datatype == str(XSD.string):
        return Literal(term.value)  # rdflib keeps "x" and "x"^^xsd:string apart; RDF 1.1 does not
    narrow = NARROW_INTEGER_RANGES.get(predicate or "")
    if narrow is not None and datatype == str(XSD.integer):
        return Literal(term.value, datatype=narrow)
    return Literal(term.value, datatype=URIRef(datatype))
