"""Loading the ontology (with its PROV-O import module) into its own named graph."""

from __future__ import annotations

__all__ = ["load_ontology"]

import pyoxigraph

from provml.kg.store import Store
from provml.loaders.iris import ONTOLOGY_GRAPH
from provml.ontology.paths import IMPORTS_DIR, ONTOLOGY_FILE

#: The files that make up the ontology graph: provml and the PROV-O terms it imports.
ONTOLOGY_FILES = (ONTOLOGY_FILE, IMPORTS_DIR / "prov-o-module.ttl")


def _expected_size() -> int:
    """How many triples the ontology graph holds once loaded (parsed in memory)."""
    scratch = pyoxigraph.Store()
    for path in ONTOLOGY_FILES:
        scratch.load(path=str(path), format=pyoxigraph.RdfFormat.TURTLE)
    return len(scratch)


def load_ontology(store: Store) -> bool:
    """Put the ontology into graph `https://w3id.org/provml/ontology`; True if it was (re)loaded.

    Idempotent: a graph that already holds exactly this ontology is left alone. Otherwise the
    graph is dropped and loaded again (the ontology's axioms use blank nodes, so loading twice
    would duplicate them): two transactions, and a crash between them leaves the graph empty,
    which the next call fills. Raises LoadError or StoreError as `Store.load` does.
    """
    if store.count(ONTOLOGY_GRAPH) == _expected_size():
        return False
    store.update(f"DROP SILENT GRAPH <{ONTOLOGY_GRAPH}>")
    for path in ONTOLOGY_FILES:
        store.load(path, "turtle", ONTOLOGY_GRAPH)
    return True
