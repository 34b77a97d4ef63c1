"""The loader's SPARQL data files (`.rq` queries, `.ru` updates) beside this module."""

from __future__ import annotations

import functools
from importlib.resources import files


def read(name: str) -> str:
    """The text of one of the loader's SPARQL files."""
    return files("provml.loaders").joinpath(name).read_text(encoding="utf-8")


@functools.cache
def operations(name: str) -> tuple[str, ...]:
    """The operations of one of the loader's SPARQL update files, each with the prefixes.

    In a file, a line holding only `;` separates operations. Comment lines are left out:
    SPARQLWrapper guesses an update's form from its words and can mistake one in a comment
    ("task") for a query form (ASK).
    """
    lines = [line for line in read(name).splitlines() if not line.startswith("#")]
    prefixes = [line for line in lines if line.startswith("PREFIX ")]
    body = "\n".join(line for line in lines if not line.startswith("PREFIX "))
    return tuple(
        "\n".join([*prefixes, operation.strip()])
        for operation in body.split("\n;\n")
        if operation.strip()
    )
