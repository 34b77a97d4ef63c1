"""Where the ontology's files live inside the installed package (never the working directory)."""

from __future__ import annotations

__all__ = [
    "CATALOG_FILE",
    "EXAMPLES_DIR",
    "IMPORTS_DIR",
    "NAMESPACE",
    "ONTOLOGY_FILE",
    "ONTOLOGY_IRI",
    "SHAPES_FILE",
]

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
ONTOLOGY_IRI = "https://w3id.org/provml/ontology"
NAMESPACE = f"{ONTOLOGY_IRI}#"

ONTOLOGY_FILE = PACKAGE_DIR / "provml.ttl"
SHAPES_FILE = PACKAGE_DIR / "shapes.ttl"
ALIGNMENT_FILE = PACKAGE_DIR / "alignment-mls.ttl"
CATALOG_FILE = PACKAGE_DIR / "catalog-v001.xml"
IMPORTS_DIR = PACKAGE_DIR / "imports"
EXAMPLES_DIR = PACKAGE_DIR / "examples"
QC_DIR = PACKAGE_DIR / "qc"
README_FILE = PACKAGE_DIR / "README.md"
DIAGRAM_FILE = PACKAGE_DIR / "class-hierarchy.svg"
NAMESPACE_MODULE = PACKAGE_DIR / "namespace.py"
OILGAS_EXAMPLE = EXAMPLES_DIR / "oilgas.ttl"
