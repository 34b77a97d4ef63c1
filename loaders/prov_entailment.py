"""The PROV-O classes and relations provml's own terms imply, for tools that know only PROV.

A `provml:CuratedData` is a `prov:Entity` and `provml:partOfExecution` a `prov:wasInfluencedBy`
by the ontology's `rdfs:subClassOf` / `rdfs:subPropertyOf` axioms. The `prov` package reads
only PROV-O terms, so without these triples a provml node would not become a PROV record and
its statements would be dropped. This adds, for each provml class or property used, its
nearest PROV-O ancestors (RDFS entailment restricted to the first PROV term on each path), and
`prov:specializationOf` for `provml:versionOf` (a version is a specialization of its entity).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable

import pyoxigraph

from provml.kg.results import term_value

RDF_TYPE = pyoxigraph.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
VERSION_OF = "https://w3id.org/provml/ontology#versionOf"
SPECIALIZATION_OF = "http://www.w3.org/ns/prov#specializationOf"

# The nearest PROV-O ancestors: the path up from ?term runs through non-PROV terms only.
_NEAREST_PROV_ANCESTORS = """
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT DISTINCT ?term ?ancestor WHERE {
  ?term (rdfs:subClassOf|rdfs:subPropertyOf)* ?via .
  ?via rdfs:subClassOf|rdfs:subPropertyOf ?ancestor .
  FILTER(isIRI(?term) && isIRI(?ancestor))
  FILTER(!STRSTARTS(STR(?term), "http://www.w3.org/ns/prov#"))
  FILTER(!STRSTARTS(STR(?via), "http://www.w3.org/ns/prov#"))
  FILTER(STRSTARTS(STR(?ancestor), "http://www.w3.org/ns/prov#"))
}
"""


# PROV-O's own class hierarchy (prov:Plan is a prov:Entity...): prov reads only the three base
# classes as records, so a provml class gets those too.
_PROV_CLASS_ANCESTORS = """
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT DISTINCT ?term ?ancestor WHERE {
  ?term rdfs:subClassOf+ ?ancestor .
  FILTER(isIRI(?ancestor) && STRSTARTS(STR(?ancestor), "http://www.w3.org/ns/prov#"))
}
"""


@functools.cache
def prov_ancestors() -> dict[str, frozenset[str]]:
    """provml class or property IRI -> the PROV-O classes or properties it specialises.

    For a property, its nearest PROV-O super-properties; for a class, those and every PROV-O
    class above them (a provml:Workflow is a prov:Plan and so a prov:Entity).
    """
    from provml.ontology.paths import IMPORTS_DIR, ONTOLOGY_FILE

    provml = pyoxigraph.Store()
    provml.load(path=str(ONTOLOGY_FILE), format=pyoxigraph.RdfFormat.TURTLE)
    prov_o = pyoxigraph.Store()
    prov_o.load(path=str(IMPORTS_DIR / "prov-o-module.ttl"), format=pyoxigraph.RdfFormat.TURTLE)
    above: dict[str, set[str]] = {}
    rows = prov_o.query(_PROV_CLASS_ANCESTORS)
    assert isinstance(rows, pyoxigraph.QuerySolutions)
    for row in rows:
        above.setdefault(row["term"].value, set()).add(row["ancestor"].value)
    ancestors: dict[str, set[str]] = {}
    rows = provml.query(_NEAREST_PROV_ANCESTORS)
    assert isinstance(rows, pyoxigraph.QuerySolutions)
    for row in rows:
        found = ancestors.setdefault(row["term"].value, set())
        found.add(row["ancestor"].value)
        found.update(above.get(row["ancestor"].value, ()))
    # provml:versionOf carries prov:specializationOf's meaning; the ontology cannot say so by
    # an axiom (PROV-O puns that property), so exports write it here.
    ancestors[VERSION_OF] = {SPECIALIZATION_OF}
    return {term: frozenset(found) for term, found in ancestors.items()}


def with_prov_entailments(quads: Iterable[pyoxigraph.Quad]) -> list[pyoxigraph.Quad]:
    """The quads plus the PROV-O types and relations that their provml terms imply."""
    ancestors = prov_ancestors()
    result = []
    for quad in quads:
        result.append(quad)
        if quad.predicate == RDF_TYPE:
            implied = ancestors.get(term_value(quad.object), ()) if quad.object else ()
            for prov_class in implied:
                result.append(
                    pyoxigraph.Quad(
                        quad.subject, RDF_TYPE, pyoxigraph.NamedNode(prov_class), quad.graph_name
                    )
                )
        else:
            for prov_property in ancestors.get(quad.predicate.value, ()):
                result.append(
                    pyoxigraph.Quad(
                        quad.subject,
                        pyoxigraph.NamedNode(prov_property),
                        quad.object,
                        quad.graph_name,
                    )
                )
    return result
