"""The W3C PROV serializations provml reads and writes, by name, and guessing one from a file.

Two families: PROV's own serializations (PROV-JSON, PROV-XML, PROV-N, PROV-JSONLD), read and
written by the `prov` package, and PROV-O as plain RDF (Turtle, TriG, RDF/XML, JSON-LD,
N-Triples, N-Quads), read by pyoxigraph and written by the store's `dump`.
"""

from __future__ import annotations

from pathlib import Path

from provml.errors import LoadError

#: provml name -> the `prov` package's serializer name.
PROV_FORMATS: dict[str, str] = {
    "prov-json": "json",
    "prov-xml": "xml",
    "prov-n": "provn",
    "prov-jsonld": "jsonld",
}

#: provml names of PROV-O RDF serializations (the names `Store.load` and `Store.dump` take).
RDF_FORMATS: tuple[str, ...] = ("turtle", "trig", "rdfxml", "jsonld", "ntriples", "nquads")

#: Every format name, for help texts and errors.
ALL_FORMATS: tuple[str, ...] = (*RDF_FORMATS, *PROV_FORMATS)

#: File extension -> format name. `.xml` is PROV-XML (its convention); RDF/XML is `.rdf`/`.owl`.
EXTENSIONS: dict[str, str] = {
    ".json": "prov-json",
    ".provjson": "prov-json",
    ".xml": "prov-xml",
    ".provx": "prov-xml",
    ".provn": "prov-n",
    ".ttl": "turtle",
    ".turtle": "turtle",
    ".trig": "trig",
    ".rdf": "rdfxml",
    ".owl": "rdfxml",
    ".jsonld": "jsonld",
    ".nt": "ntriples",
    ".nq": "nquads",
}

# PROV-JSONLD documents name the W3C submission's context; generic JSON-LD does not.
_PROV_JSONLD_CONTEXT_MARK = b"prov-jsonld"


def format_of(path: Path, data: bytes, explicit: str | None = None) -> str:
    """The format to read `path` as: `explicit` if given, else guessed from the extension.

    A `.jsonld` file whose context is the PROV-JSONLD one is read as PROV-JSONLD, any other as
    PROV-O in JSON-LD. Raises LoadError naming the file for an unknown format or extension.
    """
    if explicit is not None:
        name = explicit.lower()
        if name not in ALL_FORMATS:
            raise LoadError(
                f"{path}: unknown format {explicit!r}; use one of {', '.join(ALL_FORMATS)}"
            )
        return name
    suffix = path.suffix.lower()
    if suffix not in EXTENSIONS:
        raise LoadError(
            f"{path}: cannot tell the format from the extension {suffix or '(none)'!r}; "
            f"pass --format, one of {', '.join(ALL_FORMATS)}"
        )
    name = EXTENSIONS[suffix]
    if name == "jsonld" and _PROV_JSONLD_CONTEXT_MARK in data[:4096]:
        return "prov-jsonld"
    return name
