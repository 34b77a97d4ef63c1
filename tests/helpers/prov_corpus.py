"""The PROV documents that the `prov` package ships as test data, and what each can round-trip.

Documents written by others: ProvToolbox's test corpus (PROV-JSON, PROV-XML, PROV-O Turtle/TriG,
PROV-N), the PROV-N and PROV-DM Recommendations' examples, third-party PROV-JSONLD, and the
prov package's own example documents. Each case says up front (from the document, not from
provml's result) why it cannot come back equal, if it cannot:

- `unreadable`: prov itself cannot read the PROV-JSON/XML/N file; importing it must raise
  LoadError.
- `prov-rdf`: prov's own PROV-O round trip (document -> PROV-O -> document, no store) already
  fails, or prov cannot read the PROV-O file at all: a limit of PROV-O or of prov's RDF
  code, listed by prov's tests too. (provml still imports such PROV-O files as RDF.)
- `ambiguous-type`: a node is typed as more than one of prov:Entity, prov:Activity and
  prov:Agent; prov reads it as whichever type it meets first, which varies with triple order and
  Python's hash seed, so no result is stable (skipped, not xfailed).
- `canonical-literal`: the same round trip fails only once the PROV-O passes through an
  (in-memory) Oxigraph store, which keeps typed literals in canonical form (every integer
  subtype as xsd:integer, durations normalised): the same values, written differently.
"""

from __future__ import annotations

import functools
import warnings
from dataclasses import dataclass
from pathlib import Path

import prov
import pyoxigraph
from prov.model import Literal, ProvDocument
from prov.tests import examples

from provml.loaders.prov_export import prefixed_trig

PROV_TESTS = Path(prov.__file__).parent / "tests"

# Directory (under prov/tests), glob, prov format, rdflib format for format "rdf".
CORPORA = [
    ("json", "*.json", "json", None),
    ("xml", "*.xml", "xml", None),
    ("rdf", "*.ttl", "rdf", "turtle"),
    ("rdf", "*.trig", "rdf", "trig"),
    ("jsonld", "*.jsonld", "jsonld", None),
    ("provn/provtoolbox", "*.provn", "provn", None),
    ("provn/provtoolbox-corpus", "*.provn", "provn", None),
    ("provn/spec/prov-n", "*.provn", "provn", None),
    ("provn/spec/prov-dm", "*.provn", "provn", None),
]

XSD = "http://www.w3.org/2001/XMLSchema#"


class CanonicalLiteralLost(AssertionError):
    """The document came back equal except for literals Oxigraph keeps in canonical form."""


@dataclass(frozen=True)
class Case:
    """One example document: where it is (or how to build it), and its known limitation."""

    name: str
    path: Path | None
    prov_format: str
    rdf_format: str | None
    known: str | None  # None, "unreadable", "prov-rdf", "ambiguous-type", "canonical-literal"

    def original(self) -> ProvDocument:
        """The document as prov reads it from the file (or builds it)."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if self.path is None:
                return dict(examples.tests)[self.name]()
            options = {"rdf_format": self.rdf_format} if self.rdf_format else {}
            return ProvDocument.deserialize(str(self.path), format=self.prov_format, **options)


def normalized(document: ProvDocument) -> set[tuple[object, ...]]:
    """The document's records with typed values in Oxigraph's canonical form, for comparison.

    A set, as prov's own equality treats a repeated record as one.
    """
    records: set[tuple[object, ...]] = set()
    bundles = [(None, document)] + [(b.identifier, b) for b in document.bundles]
    for bundle_id, bundle in bundles:
        for record in bundle.get_records():
            attributes = frozenset((name, _canonical(value)) for name, value in record.attributes)
            records.add((bundle_id, record.get_type(), record.identifier, attributes))
    return records


def _canonical(value: object) -> object:
    """A typed value as (lexical form, datatype) the way Oxigraph stores it; others unchanged."""
    if isinstance(value, int) and not isinstance(value, bool):
        return _stored(str(value), XSD + "integer")
    if isinstance(value, Literal) and value.datatype is not None and not value.langtag:
        return _stored(str(value.value), value.datatype.uri)
    return value


@functools.cache
def _stored(lexical: str, datatype: str) -> tuple[str, str]:
    """The literal as an Oxigraph store gives it back."""
    store = pyoxigraph.Store()
    literal = pyoxigraph.Literal(lexical, datatype=pyoxigraph.NamedNode(datatype))
    store.add(
        pyoxigraph.Quad(pyoxigraph.NamedNode("urn:s"), pyoxigraph.NamedNode("urn:p"), literal)
    )
    stored = next(iter(store)).object
    return stored.value, stored.datatype.value


def _prov_o_round_trip_fails(document: ProvDocument, *, through_oxigraph: bool) -> bool:
    """Whether prov reads the document's own PROV-O back unequal (or not at all).

    Without provml's import or export: prov writes the PROV-O, optionally stored in an
    in-memory Oxigraph and read back, given the prefixes prov needs, and read by prov.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            nquads = document.serialize(format="rdf", rdf_format="nquads").encode()
            quads = list(pyoxigraph.parse(nquads, format=pyoxigraph.RdfFormat.N_QUADS))
            if through_oxigraph:
                store = pyoxigraph.Store()
                store.extend(quads)
                quads = list(store)
            again = ProvDocument.deserialize(
                content=prefixed_trig(quads), format="rdf", rdf_format="trig"
            )
        except Exception:
            return True
    return again != document


BASE_TYPES = {f"http://www.w3.org/ns/prov#{name}" for name in ("Entity", "Activity", "Agent")}
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"


def _has_ambiguous_type(document: ProvDocument) -> bool:
    """Whether the document's PROV-O gives a node two of prov's base types."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        nquads = document.serialize(format="rdf", rdf_format="nquads").encode()
    types: dict[object, set[str]] = {}
    for quad in pyoxigraph.parse(nquads, format=pyoxigraph.RdfFormat.N_QUADS):
        if quad.predicate.value == RDF_TYPE and quad.object.value in BASE_TYPES:
            types.setdefault((quad.subject, quad.graph_name), set()).add(quad.object.value)
    return any(len(found) > 1 for found in types.values())


def _classified(name: str, path: Path | None, prov_format: str, rdf_format: str | None) -> Case:
    """The case with its known limitation, judged from the original document alone."""
    case = Case(name, path, prov_format, rdf_format, None)
    try:
        document = case.original()
    except Exception:
        known = "prov-rdf" if prov_format == "rdf" else "unreadable"
        return Case(name, path, prov_format, rdf_format, known)
    if _has_ambiguous_type(document):
        return Case(name, path, prov_format, rdf_format, "ambiguous-type")
    known = None
    if _prov_o_round_trip_fails(document, through_oxigraph=True):  # most pass: one trip
        known = (
            "prov-rdf"
            if _prov_o_round_trip_fails(document, through_oxigraph=False)
            else "canonical-literal"
        )
    return Case(name, path, prov_format, rdf_format, known)


def cases() -> list[Case]:
    """Every example document the prov package ships, classified."""
    found = []
    for folder, pattern, prov_format, rdf_format in CORPORA:
        for path in sorted((PROV_TESTS / folder).glob(pattern)):
            name = f"{folder}/{path.name}"
            found.append(_classified(name, path, prov_format, rdf_format))
    for name, _ in examples.tests:
        found.append(_classified(name, None, "model", None))
    return found
