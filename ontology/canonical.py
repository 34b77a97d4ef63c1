"""The canonical, deterministic Turtle form of the ontology's files (sorted, stable blank nodes).

The tests check every shipped Turtle file against it; `python tools/canonical.py` in a checkout
rewrites the files in that form (`--check` only reports the ones that are not).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from provml.ontology.graph import parse_turtle
from provml.ontology.paths import (
    ALIGNMENT_FILE,
    EXAMPLES_DIR,
    IMPORTS_DIR,
    ONTOLOGY_FILE,
    PACKAGE_DIR,
    SHAPES_FILE,
)

if TYPE_CHECKING:
    from rdflib import Graph

HEADER = "# Canonical form, kept by `python tools/canonical.py`; do not hand-format.\n"
_SPARQL_PREFIX = re.compile(r"^PREFIX (\S*:) <([^>]*)>$", re.MULTILINE)


def canonical_files(folder: Path = PACKAGE_DIR) -> list[Path]:
    """Return the Turtle files kept in canonical form, in the package or another ontology folder
    laid out like it (a checkout's ontology/)."""
    return [
        folder / ONTOLOGY_FILE.name,
        folder / SHAPES_FILE.name,
        folder / ALIGNMENT_FILE.name,
        *sorted((folder / IMPORTS_DIR.name).glob("*.ttl")),
        *sorted((folder / EXAMPLES_DIR.name).glob("*.ttl")),
    ]


def canonical_turtle(graph: Graph) -> str:
    """Serialise a graph as canonical Turtle, the same text for the same triples.

    rdflib's longturtle gives sorted predicates and objects and canonical blank nodes; its subject
    blocks are then put in order: the owl:Ontology header first, named subjects alphabetically,
    anonymous axioms last. `@prefix` lines replace `PREFIX` so every Turtle 1.0 parser reads it.
    """
    from rdflib import OWL, RDF

    text = graph.serialize(format="longturtle")
    text = _SPARQL_PREFIX.sub(r"@prefix \1 <\2> .", text)
    prefixes, _, body = text.partition("\n\n")
    ontologies = set(graph.subjects(RDF.type, OWL.Ontology))
    headers = {graph.namespace_manager.normalizeUri(str(s)) for s in ontologies}
    headers |= {f"<{s}>" for s in ontologies}
    blocks = [block.strip("\n") + "\n." for block in body.split("\n.\n") if block.strip()]

    def order(block: str) -> tuple[int, str]:
        subject = block.split(None, 1)[0]
        rank = 0 if subject in headers else 2 if subject.startswith("[") else 1
        return rank, block

    return HEADER + prefixes.strip("\n") + "\n\n" + "\n\n".join(sorted(blocks, key=order)) + "\n"


def canonical_text_of(path: Path) -> str:
    """Return the canonical Turtle of a file's content (the file is not changed)."""
    return canonical_turtle(parse_turtle(path))
