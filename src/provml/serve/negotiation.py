"""Choosing an answer's format from the request: a `format` parameter, else the Accept header.

The formats are pyoxigraph's (its own writers serialize every answer): SPARQL results as JSON,
XML, CSV or TSV for SELECT and ASK; Turtle, N-Triples, JSON-LD or RDF/XML for CONSTRUCT and
DESCRIBE. Accept headers are matched with python-mimeparse (q-values, wildcards).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import mimeparse
import pyoxigraph
from starlette.exceptions import HTTPException

Format = pyoxigraph.QueryResultsFormat | pyoxigraph.RdfFormat

#: Formats of SELECT and ASK answers, the default first; extra media types each also answers to.
RESULT_FORMATS: dict[str, tuple[pyoxigraph.QueryResultsFormat, tuple[str, ...]]] = {
    "json": (pyoxigraph.QueryResultsFormat.JSON, ("application/json",)),
    "xml": (pyoxigraph.QueryResultsFormat.XML, ("application/xml", "text/xml")),
    "csv": (pyoxigraph.QueryResultsFormat.CSV, ()),
    "tsv": (pyoxigraph.QueryResultsFormat.TSV, ()),
}
#: Formats of CONSTRUCT and DESCRIBE answers, the default first.
GRAPH_FORMATS: dict[str, tuple[pyoxigraph.RdfFormat, tuple[str, ...]]] = {
    "turtle": (pyoxigraph.RdfFormat.TURTLE, ("application/x-turtle", "application/turtle")),
    "ntriples": (pyoxigraph.RdfFormat.N_TRIPLES, ("text/plain",)),
    "jsonld": (pyoxigraph.RdfFormat.JSON_LD, ("application/json",)),
    "rdfxml": (pyoxigraph.RdfFormat.RDF_XML, ("application/xml", "text/xml")),
}
#: Other names clients send in `format`/`output` (SPARQLWrapper, YASGUI, Virtuoso habits).
ALIASES = {"nt": "ntriples", "n-triples": "ntriples", "json-ld": "jsonld", "ttl": "turtle"}


def media_type(answer_format: Format) -> str:
    """The format's media type without parameters (`text/csv`, not `text/csv; charset=utf-8`)."""
    return answer_format.media_type.split(";")[0].strip()


def choose_format(
    formats: Mapping[str, tuple[Format, tuple[str, ...]]],
    accept: str | None,
    requested: Sequence[str] = (),
) -> Format:
    """The answer's format: the first of `requested` (names or media types, from `format` and
    `output` parameters) that is one of `formats`, else the best match for the Accept header
    (the first format for none or `*/*`); 406 if none fits.

    Requested values that name no format of this kind (e.g. `json` for a CONSTRUCT, as
    SPARQLWrapper sends) are ignored in favour of the Accept header.
    """
    for value in requested:
        wanted = ALIASES.get(value.lower(), value.lower())
        for name, (answer_format, extra) in formats.items():
            if wanted in (name, media_type(answer_format), *extra):
                return answer_format
    if not accept or not accept.strip():
        return next(iter(formats.values()))[0]
    by_type: dict[str, Format] = {}
    for answer_format, extra in formats.values():
        for kind in (media_type(answer_format), *extra):
            by_type.setdefault(kind, answer_format)
    # mimeparse prefers the later of equally good types: list the preferred ones last.
    try:
        best = mimeparse.best_match(list(reversed(by_type)), accept)
    except (ValueError, IndexError):
        best = ""
    if not best:
        offered = ", ".join(media_type(f) for f, _ in formats.values())
        raise HTTPException(
            406, f"cannot answer in any format of Accept: {accept}; offered: {offered}"
        )
    return by_type[best]
