"""The provml ontology (Turtle), its SHACL shapes, import modules and catalog, and their checks.

The data files are package data; the helpers import rdflib, owlready2 and pyshacl only when called,
so `import provml.ontology` stays light. Exported here: the files' paths, `load_graph` and
`parse_turtle` (rdflib, imports via the catalog), `load_world` and `reason` (owlready2 + HermiT),
`validate` (pyshacl against the shapes) and `run_checks` (all of them, as `provml ontology check`).
The `PROVML` namespace (typos raise) is `provml.ontology.namespace.PROVML`; it imports rdflib.
"""

from __future__ import annotations

from provml.ontology.check import CheckReport, CheckStep, run_checks
from provml.ontology.graph import load_graph, parse_turtle
from provml.ontology.paths import (
    CATALOG_FILE,
    EXAMPLES_DIR,
    IMPORTS_DIR,
    NAMESPACE,
    ONTOLOGY_FILE,
    ONTOLOGY_IRI,
    SHAPES_FILE,
)
from provml.ontology.reasoning import ReasoningReport, load_world, reason
from provml.ontology.shacl import ShaclReport, Violation, validate

__all__ = [
    "CATALOG_FILE",
    "EXAMPLES_DIR",
    "IMPORTS_DIR",
    "NAMESPACE",
    "ONTOLOGY_FILE",
    "ONTOLOGY_IRI",
    "SHAPES_FILE",
    "CheckReport",
    "CheckStep",
    "ReasoningReport",
    "ShaclReport",
    "Violation",
    "load_graph",
    "load_world",
    "parse_turtle",
    "reason",
    "run_checks",
    "validate",
]
