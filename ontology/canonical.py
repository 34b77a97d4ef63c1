"""The canonical, deterministic Turtle form of the ontology's files (sorted, stable blank nodes).

`python -m provml.ontology.canonical` rewrites the package's Turtle files in that form;
`--check` only reports the files that are not, and exits 1 if any.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from provml.ontology.graph import parse_turtle
from provml.ontology.paths import (
    ALIGNMENT_FILE,
    EXAMPLES_DIR,
    IMPORTS_DIR,
    ONTOLOGY_FILE,
    SHAPES_FILE,
)

if TYPE_CHECKING:
    from rdflib import Graph

HEADER = "# Canonical form, kept by `python -m provml.ontology.canonical`; do not hand-format.\n"
_SPARQL_PREFIX = re.compile(r"^PREFIX (\S*:) <([^>]*)>$", re.MULTILINE)


def canonical_files() -> list[Path]:
    """Return the package's Turtle files that are kept in canonical form."""
    return [
        ONTOLOGY_FILE,
        SHAPES_FILE,
        ALIGNMENT_FILE,
        *sorted(IMPORTS_DIR.glob("*.ttl")),
        *sorted(EXAMPLES_DIR.glob("*.ttl")),
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


def main(argv: list[str] | None = None) -> int:
    """Rewrite (or with --check, only test) the package's Turtle files in canonical form."""
    args = sys.argv[1:] if argv is None else argv
    check_only = "--check" in args
    stale = []
    for path in canonical_files():
        text = canonical_text_of(path)
        if path.read_text(encoding="utf-8") != text:
            stale.append(path)
            if not check_only:
                path.write_text(text, encoding="utf-8")
    for path in stale:
        print(f"{'not canonical' if check_only else 'rewrote'}: {path}")
    return 1 if check_only and stale else 0


if __name__ == "__main__":
    raise SystemExit(main())
