"""Deterministic skolem IRIs for the blank nodes of an imported document, and back.

PROV-O writes unidentified qualified relations (`prov:qualifiedUsage [ ... ]`) and some values
as blank nodes. Stored as blank nodes they would be new on every import, so importing a file
twice would double them. Instead the document is canonicalized with W3C RDFC-1.0 (pyoxigraph),
which labels each blank node by the document's shape alone, and each label becomes an IRI under
`{import IRI}/genid/` (`iris.skolem_base`). Exports turn those IRIs back into blank nodes.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

import pyoxigraph

from provml.kg.results import Term
from provml.loaders import iris

# A quad position's term type (subject or object): replacing a blank node or a skolem IRI keeps it.
_Position = TypeVar("_Position", bound=Term)


def skolemized(quads: Iterable[pyoxigraph.Quad], base: str) -> list[pyoxigraph.Quad]:
    """The quads with every blank subject and object replaced by `base` + its RDFC-1.0 label.

    Blank-node graph names stay blank (PROV reads such graphs as the document itself).

    The same document always gets the same IRIs. RDFC-1.0's worst case is exponential in the
    number of blank nodes (highly symmetric blank-node graphs); PROV documents are trees of
    qualified relations, far from it.
    """
    dataset = pyoxigraph.Dataset(quads)
    if not any(_has_blank_node(quad) for quad in dataset):
        return list(dataset)
    dataset.canonicalize(pyoxigraph.CanonicalizationAlgorithm.RDFC_1_0)

    def iri(term: _Position) -> _Position | pyoxigraph.NamedNode:
        if isinstance(term, pyoxigraph.BlankNode):
            return pyoxigraph.NamedNode(base + term.value)
        return term

    return [
        pyoxigraph.Quad(iri(quad.subject), quad.predicate, iri(quad.object), quad.graph_name)
        for quad in dataset
    ]


def deskolemized(term: _Position) -> _Position | pyoxigraph.BlankNode:
    """The blank node a skolem IRI of `skolemized` stands for; any other term unchanged."""
    if isinstance(term, pyoxigraph.NamedNode):
        match = iris.SKOLEM_IRI.fullmatch(term.value)
        if match:
            return pyoxigraph.BlankNode(f"g{match[1]}{match[2]}")
    return term


def _has_blank_node(quad: pyoxigraph.Quad) -> bool:
    """Whether the quad has a blank node anywhere."""
    return any(
        isinstance(term, pyoxigraph.BlankNode)
        for term in (quad.subject, quad.object, quad.graph_name)
    )
