"""The provml ontology (Turtle), its SHACL shapes, import modules and catalog, and their checks.

The data files are package data; the helpers import rdflib, owlready2 and pyshacl only when called,
so `import provml.ontology` stays light. Public helpers live in their own modules:
`provml.ontology.paths`, `.graph` (load_graph, parse_turtle), `.catalog`, `.reasoning`
(owlready2 + HermiT), `.shacl` (validate), `.qc` (quality-control queries), `.check` (all of them).
"""

from __future__ import annotations

from provml.ontology.paths import (
    CATALOG_FILE,
    EXAMPLES_DIR,
    IMPORTS_DIR,
    NAMESPACE,
    ONTOLOGY_FILE,
    ONTOLOGY_IRI,
    SHAPES_FILE,
)

__all__ = [
    "CATALOG_FILE",
    "EXAMPLES_DIR",
    "IMPORTS_DIR",
    "NAMESPACE",
    "ONTOLOGY_FILE",
    "ONTOLOGY_IRI",
    "SHAPES_FILE",
]
