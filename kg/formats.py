"""RDF serialization formats by their provml names, and naming an input for error messages."""

from __future__ import annotations

__all__ = ["FORMATS", "RdfInput"]

from pathlib import Path
from typing import IO

import pyoxigraph

from provml.errors import LoadError, StoreError

#: provml format name -> pyoxigraph format; the names accepted by `Store.load` and `Store.dump`.
FORMATS: dict[str, pyoxigraph.RdfFormat] = {
    "nquads": pyoxigraph.RdfFormat.N_QUADS,
    "ntriples": pyoxigraph.RdfFormat.N_TRIPLES,
    "turtle": pyoxigraph.RdfFormat.TURTLE,
    "trig": pyoxigraph.RdfFormat.TRIG,
    "rdfxml": pyoxigraph.RdfFormat.RDF_XML,
    "jsonld": pyoxigraph.RdfFormat.JSON_LD,
}

#: What `Store.load` reads: raw bytes, text, a file path, or a binary file object.
RdfInput = bytes | str | Path | IO[bytes]


def input_format(name: str, source: str) -> pyoxigraph.RdfFormat:
    """The pyoxigraph format for a load; LoadError naming the input if the name is unknown."""
    try:
        return FORMATS[name]
    except KeyError:
        raise LoadError(
            f"{source}: unknown RDF format {name!r}; use one of {', '.join(FORMATS)}"
        ) from None


def output_format(name: str, graph: str | None) -> pyoxigraph.RdfFormat:
    """The pyoxigraph format for a dump; StoreError if unknown or if it cannot hold many graphs."""
    try:
        rdf_format = FORMATS[name]
    except KeyError:
        raise StoreError(f"unknown RDF format {name!r}; use one of {', '.join(FORMATS)}") from None
    if graph is None and not rdf_format.supports_datasets:
        raise StoreError(
            f"format {name!r} holds a single graph: name the graph to dump, "
            "or dump the whole store as nquads, trig or jsonld"
        )
    return rdf_format


def describe_input(data: RdfInput, source: str | None = None) -> str:
    """A short name for an input in error messages: the given source, the path, or its kind."""
    if source is not None:
        return source
    if isinstance(data, Path):
        return str(data)
    if isinstance(data, bytes):
        return "<bytes>"
    if isinstance(data, str):
        return "<string>"
    return str(getattr(data, "name", "<stream>"))


def syntax_error(source: str, error: SyntaxError) -> LoadError:
    """A LoadError naming the input and the line where the parser stopped."""
    message = str(error.msg or error)
    if error.lineno and f"line {error.lineno}" not in message:
        message = f"line {error.lineno}: {message}"
    return LoadError(f"{source}: {message}")
