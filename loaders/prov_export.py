"""Export a run, a named graph or the whole store as RDF or as a W3C PROV document.

RDF formats (turtle, ntriples, nquads, trig, jsonld, rdfxml) are the store's own `dump`: the
triples exactly as stored. A run's export adds the descriptions of the shared things it mentions
(workflow, entities and their attributes, agents, nodes: two hops into the shared graph), which
the loader stores once for all runs rather than in each run's graph. PROV formats (prov-json,
prov-n, prov-xml, prov-jsonld) go through the `prov` package: the graph's triples, with an
imported document's bundle graphs as named graphs and its skolem IRIs back as blank nodes, plus
the PROV-O types and relations that provml's own terms imply
(`provml.loaders.prov_entailment`), are read with
`ProvDocument.deserialize(format="rdf")` and written in the asked serialization.

What PROV cannot hold is reported in `ExportReport.notes` (the `prov` package's warnings):
triples about nodes that are no PROV entity, activity, agent or relation. Prefixes are derived
from the IRIs (`prefixed_trig`: PROV's QualifiedNames compare by IRI, so documents stay equal).
A skolem IRI that stands for an entity, activity or agent stays an IRI, as PROV names every
element; only the other blank nodes (unidentified relations, values) come back blank. What a
format cannot write at all is refused with an ExportError naming the record. PROV-XML cannot
hold control characters: text values get them replaced by U+FFFD, with a note saying how many.
"""

from __future__ import annotations

__all__ = ["ExportReport", "export"]

import io
import re
import warnings
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, TypeVar

import pyoxigraph

from provml.atomic_file import atomic_write
from provml.errors import ExportError, StoreError
from provml.kg import SelectResult, Store
from provml.kg.formats import output_format
from provml.kg.results import Term
from provml.loaders import iris
from provml.loaders.prov_entailment import with_prov_entailments
from provml.loaders.prov_formats import PROV_FORMATS, RDF_FORMATS
from provml.loaders.skolem import deskolemized

if TYPE_CHECKING:
    from prov.model import ProvDocument

#: The graph of descriptions runs share, and how far a run's export follows links into it.
SHARED = iris.SHARED_GRAPH_NODE
SHARED_HOPS = 2

#: Formats `export` writes: the RDF ones, then the PROV ones.
EXPORT_FORMATS: tuple[str, ...] = (*RDF_FORMATS, *PROV_FORMATS)

#: RDF formats that hold many named graphs, so the whole store.
DATASET_FORMATS: tuple[str, ...] = ("nquads", "trig", "jsonld")

#: Prefixes given to the PROV document, so its names read well (others are derived from IRIs).
PREFIXES: dict[str, str] = {
    "prov": "http://www.w3.org/ns/prov#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "provml": "https://w3id.org/provml/ontology#",
}


@dataclass
class ExportReport:
    """What an export wrote: the graph (None: the whole store), the format, and what was lost."""

    graph: str | None
    format: str
    notes: list[str] = field(default_factory=list)


def export(
    store: Store, output: Path | IO[bytes], format: str, *, graph: str | None = None
) -> ExportReport:
    """Write named graph `graph` (default: the whole store) to `output` in `format`.

    Reads only. A path is written beside its target and renamed into place, so it never holds
    half an export. The whole store needs a dataset format (nquads, trig, jsonld); PROV formats
    need a graph. Raises ExportError for an unknown format, a graph the store does not hold, a
    selection the format cannot hold, or triples `prov` cannot turn into a PROV document;
    StoreError if the store cannot be read or the output written.
    """
    name = format.lower()
    if name not in EXPORT_FORMATS:
        raise ExportError(
            f"unknown export format {format!r}; use one of {', '.join(EXPORT_FORMATS)}"
        )
    graphs = store.graphs()
    if graph is not None and graph not in graphs and not _bundles_of(graph, graphs):
        raise ExportError(
            f"the store {store.location} has no graph {graph}; list its graphs with `provml stats`"
        )
    if name in RDF_FORMATS:
        if graph is None and name not in DATASET_FORMATS:
            raise ExportError(
                f"{name} holds a single graph: pass --run or --graph, or export the whole "
                f"store as {', '.join(DATASET_FORMATS)}"
            )
        if graph is not None and iris.is_run_graph(graph):
            quads = run_quads(store, graph)
            if not output_format(name, graph).supports_datasets:
                quads = [pyoxigraph.Quad(q.subject, q.predicate, q.object) for q in quads]
            data = pyoxigraph.serialize(quads, format=output_format(name, graph))
            _write(output, data if isinstance(data, bytes) else b"")
        else:
            store.dump(output, name, graph)
        return ExportReport(graph, name)
    if graph is None:
        raise ExportError(
            f"{name} holds one PROV document: pass --run or --graph to export one run or graph "
            "(a store mixes runs, imports and the ontology, which make no single document), or "
            f"export the whole store as {', '.join(DATASET_FORMATS)}"
        )
    document, notes = prov_document(store, graph, graphs, xml_safe=name == "prov-xml")
    text = _serialized(document, name, graph)
    _write(output, text)
    return ExportReport(graph, name, notes)


def prov_document(
    store: Store, graph: str, graphs: list[str] | None = None, *, xml_safe: bool = False
) -> tuple[ProvDocument, list[str]]:
    """The PROV document of named graph `graph` (with its bundle graphs), and what prov warned.

    `graphs` is `store.graphs()` if the caller has it. With `xml_safe`, characters XML 1.0
    cannot hold (control characters) are replaced in text values, and a note says how many
    values changed. Raises ExportError if `prov` cannot read the triples as PROV-O.
    """
    from prov.model import ProvDocument

    own = run_quads(store, graph) if iris.is_run_graph(graph) else _graph_quads(store, graph)
    quads = [pyoxigraph.Quad(q.subject, q.predicate, q.object) for q in own]
    for bundle, iri in _bundles_of(graph, store.graphs() if graphs is None else graphs):
        name = pyoxigraph.NamedNode(iri)
        quads += [
            pyoxigraph.Quad(q.subject, q.predicate, q.object, name)
            for q in _graph_quads(store, bundle)
        ]
    entailed = with_prov_entailments(quads)
    named = _element_nodes(entailed)
    deskolem = [
        pyoxigraph.Quad(
            _blank_unless(q.subject, named),
            q.predicate,
            _blank_unless(q.object, named),
            q.graph_name,
        )
        for q in entailed
    ]
    _refuse_blank_elements(graph, deskolem)
    replaced_notes: list[str] = []
    if xml_safe:
        deskolem, replaced = _without_xml_forbidden_characters(deskolem)
        if replaced:
            replaced_notes.append(
                f"{graph}: PROV-XML cannot hold control characters: {replaced} text value(s) "
                f"had them replaced by U+FFFD; export as prov-json or prov-n to keep them"
            )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            trig = prefixed_trig(deskolem)
            document = ProvDocument.deserialize(content=trig, format="rdf", rdf_format="trig")
        except Exception as error:  # the prov package's limits, e.g. two times on one usage
            raise ExportError(
                f"{graph}: prov cannot read these triples as PROV: {_reason(error)}"
            ) from None
    return document, replaced_notes + [
        f"{graph}: {warning.message}"
        for warning in caught
        if not issubclass(warning.category, DeprecationWarning)  # rdflib API notices to prov
    ]


# What XML 1.0 cannot hold, even as a character reference: C0 controls but tab, newline and
# carriage return; surrogates; U+FFFE and U+FFFF.
_XML_FORBIDDEN = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _without_xml_forbidden_characters(
    quads: list[pyoxigraph.Quad],
) -> tuple[list[pyoxigraph.Quad], int]:
    """The quads with XML-forbidden characters of text literals replaced by U+FFFD, and how many
    literals changed (IRIs cannot hold such characters)."""
    replaced = 0
    cleaned: list[pyoxigraph.Quad] = []
    for quad in quads:
        value = quad.object
        if isinstance(value, pyoxigraph.Literal) and _XML_FORBIDDEN.search(value.value):
            text = _XML_FORBIDDEN.sub("\ufffd", value.value)
            value = (
                pyoxigraph.Literal(text, language=value.language)
                if value.language
                else pyoxigraph.Literal(text, datatype=value.datatype)
            )
            replaced += 1
            quad = pyoxigraph.Quad(quad.subject, quad.predicate, value, quad.graph_name)
        cleaned.append(quad)
    return cleaned, replaced


#: PROV-O classes whose instances are PROV elements, which PROV names by an identifier.
_PROV = "http://www.w3.org/ns/prov#"
ELEMENT_CLASSES = frozenset(
    _PROV + name
    for name in (
        "Entity", "Activity", "Agent", "Plan", "Collection", "EmptyCollection", "Bundle",
        "Person", "Organization", "SoftwareAgent",
    )
)  # fmt: skip
_RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"

# A quad position's term type (subject or object): replacing a skolem IRI keeps it.
_Position = TypeVar("_Position", bound=Term)


def _element_nodes(quads: list[pyoxigraph.Quad]) -> set[pyoxigraph.NamedNode]:
    """The skolem IRIs that stand for PROV elements: typed as one, or the object of a PROV
    relation other than a qualified one (whose object is an unidentified relation)."""
    named = set()
    for quad in quads:
        node, predicate = quad.object, quad.predicate.value
        if not isinstance(node, pyoxigraph.NamedNode) or not iris.SKOLEM_IRI.fullmatch(node.value):
            continue
        if predicate == _RDF_TYPE:
            continue
        if predicate.startswith(_PROV) and not predicate.startswith(_PROV + "qualified"):
            named.add(node)
    for quad in quads:
        typed = quad.predicate.value == _RDF_TYPE and _is_element_class(quad.object)
        if typed and isinstance(quad.subject, pyoxigraph.NamedNode):
            named.add(quad.subject)
    return named


def _is_element_class(term: Term) -> bool:
    """Whether `term` is a PROV-O class of elements."""
    return isinstance(term, pyoxigraph.NamedNode) and term.value in ELEMENT_CLASSES


def _blank_unless(
    term: _Position, named: set[pyoxigraph.NamedNode]
) -> _Position | pyoxigraph.BlankNode:
    """The blank node a skolem IRI stands for, unless PROV must name it; other terms as given."""
    if isinstance(term, pyoxigraph.NamedNode) and term in named:
        return term
    return deskolemized(term)


def _refuse_blank_elements(graph: str, quads: list[pyoxigraph.Quad]) -> None:
    """ExportError naming the first blank node typed as a PROV element: PROV names them all."""
    for quad in quads:
        if (
            isinstance(quad.subject, pyoxigraph.BlankNode)
            and quad.predicate.value == _RDF_TYPE
            and _is_element_class(quad.object)
        ):
            raise ExportError(
                f"{graph}: the statement {quad.subject} a {quad.object} makes a blank node a "
                "PROV element, and PROV names every entity, activity and agent by an "
                "identifier; give the node an IRI (or import the document with "
                "`provml import-prov`, which names its blank nodes)"
            )


def _reason(error: BaseException) -> str:
    """The error's own message, or its kind where it has none: a refusal always says why."""
    text = str(error).strip()
    return text or f"{type(error).__name__} (prov gave no message)"


def run_quads(store: Store, graph: str) -> list[pyoxigraph.Quad]:
    """A run graph's quads and, from the shared graph, the descriptions of the IRIs they mention
    and of the IRIs those mention (an entity's attributes, a model's architecture)."""
    quads = _graph_quads(store, graph, keep_graph=True)
    seen: set[pyoxigraph.NamedNode] = set()
    mentioned = {term for q in quads for term in (q.subject, q.object)}
    for _ in range(SHARED_HOPS):
        nodes = sorted(
            (term for term in mentioned if isinstance(term, pyoxigraph.NamedNode)),
            key=lambda term: term.value,
        )
        nodes = [node for node in nodes if node not in seen]
        seen.update(nodes)
        mentioned = set()
        for start in range(0, len(nodes), 200):
            values = " ".join(str(node) for node in nodes[start : start + 200])
            described = f"VALUES ?s {{ {values} }} GRAPH {SHARED} {{ ?s ?p ?o }}"
            result = store.query(f"SELECT ?s ?p ?o WHERE {{ {described} }}")
            assert isinstance(result, SelectResult)
            for row in result.rows:
                subject, predicate, value = row["s"], row["p"], row["o"]
                # all bound; ?s from the VALUES IRIs, ?p a predicate
                assert isinstance(subject, pyoxigraph.NamedNode)
                assert isinstance(predicate, pyoxigraph.NamedNode) and value is not None
                quads.append(pyoxigraph.Quad(subject, predicate, value, SHARED))
                mentioned.add(value)
    return quads


def _bundles_of(graph: str, graphs: list[str]) -> list[tuple[str, str]]:
    """The bundle graphs of the document imported into `graph`, among `graphs`, each with the
    bundle's own IRI."""
    found = ((name, iris.bundle_of(graph, name)) for name in graphs)
    return [(name, bundle) for name, bundle in found if bundle is not None]


def _graph_quads(store: Store, graph: str, keep_graph: bool = False) -> list[pyoxigraph.Quad]:
    """The triples of one named graph, read through the store's `dump` (as quads of that graph
    when `keep_graph`)."""
    buffer = io.BytesIO()
    store.dump(buffer, "ntriples", graph)
    triples = pyoxigraph.parse(buffer.getvalue(), format=pyoxigraph.RdfFormat.N_TRIPLES)
    if not keep_graph:
        return list(triples)
    name = pyoxigraph.NamedNode(graph)
    return [pyoxigraph.Quad(t.subject, t.predicate, t.object, name) for t in triples]


def prefixed_trig(quads: list[pyoxigraph.Quad]) -> str:
    """The quads as TriG with a prefix for every namespace, which prov needs to name things.

    The triples are written with full IRIs (as N-Triples writes them): a prefixed name's local
    part may need escapes (`ex:a\\.` for an IRI ending in a dot) that rdflib, which prov reads
    TriG with, does not read.
    """
    terms = {
        term.value
        for quad in quads
        for term in (quad.subject, quad.predicate, quad.object, quad.graph_name)
        if isinstance(term, pyoxigraph.NamedNode)
    }
    lines = [f"@prefix {prefix}: <{namespace}> ." for prefix, namespace in _prefixes(terms)]
    graphs: dict[pyoxigraph.NamedNode | pyoxigraph.BlankNode | None, list[pyoxigraph.Triple]] = {}
    for quad in quads:
        name = None if isinstance(quad.graph_name, pyoxigraph.DefaultGraph) else quad.graph_name
        graphs.setdefault(name, []).append(quad.triple)
    for name, triples in graphs.items():
        body = pyoxigraph.serialize(triples, format=pyoxigraph.RdfFormat.N_TRIPLES)
        assert body is not None  # given no output, pyoxigraph returns the bytes
        lines.append(body.decode() if name is None else f"{name} {{\n{body.decode()}}}")
    return "\n".join(lines) + "\n"


def _prefixes(terms: set[str]) -> list[tuple[str, str]]:
    """(prefix, namespace) for PREFIXES and for the namespace of every IRI in `terms`."""
    namespaces = {namespace: prefix for prefix, namespace in PREFIXES.items()}
    for term in sorted(terms):
        namespace = namespace_of(term, terms)
        if namespace is not None and namespace not in namespaces:
            namespaces[namespace] = f"ns{len(namespaces) - len(PREFIXES) + 1}"
    return [(prefix, namespace) for namespace, prefix in namespaces.items()]


def namespace_of(iri: str, terms: Collection[str] = ()) -> str | None:
    """The namespace `iri` is named in, in a PROV document: its longest start that ends in '/',
    '#' or ':' and leaves a local part, and that is no IRI of `terms` (None: no such start).

    Cutting only after a separator never cuts a percent-escape (`%2F`) in two, which would make
    the namespace no IRI at all. A node whose IRI were itself a namespace would be named with an
    empty local part, which PROV-XML cannot write as an attribute's element name.
    """
    end = len(iri) - 1  # the local part keeps at least the last character
    while True:
        cut = max(iri.rfind(separator, 0, end) for separator in "/#:")
        if cut < 0:
            return None
        namespace = iri[: cut + 1]
        if namespace not in terms:
            return namespace
        end = cut


def _serialized(document: ProvDocument, name: str, graph: str) -> bytes:
    """The document in PROV serialization `name`; ExportError naming the record if prov cannot
    write it."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # warnings were reported when reading
        try:
            text = document.serialize(format=PROV_FORMATS[name], indent=2)
        except Exception as error:
            where = _unwritable_record(document, name)
            raise ExportError(
                f"{graph}: prov cannot write this document as {name}"
                f"{f' (the record {where})' if where else ''}: {_reason(error)}"
            ) from None
    assert text is not None  # given no destination, prov returns the text
    data = text.encode("utf-8") if isinstance(text, str) else text
    if name == "prov-xml":
        from xml.etree import ElementTree

        try:  # prov writes ASCII: a non-ASCII element name becomes a character reference
            ElementTree.fromstring(data)  # our own output: no foreign entities to expand
        except ElementTree.ParseError as error:
            raise ExportError(
                f"{graph}: prov wrote PROV-XML that is not well-formed ({error}); an attribute "
                "name with a character outside ASCII cannot be a PROV-XML element name here: "
                "export as prov-json or prov-n"
            ) from None
    return data


def _unwritable_record(document: ProvDocument, name: str) -> str | None:
    """The first record (as PROV-N, shortened) that prov cannot write alone as `name`."""
    from prov.model import ProvDocument

    for bundle in (document, *document.bundles):
        for record in bundle.get_records():
            alone = ProvDocument()
            alone.add_record(record)
            try:
                alone.serialize(format=PROV_FORMATS[name])
            except Exception:
                text = " ".join(record.get_provn().split())
                text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
                shown = text if len(text) <= 300 else f"{text[:300]}..."
                identifier = record.identifier
                return f"<{identifier.uri}> {shown}" if identifier is not None else shown
    return None


def _write(output: Path | IO[bytes], data: bytes) -> None:
    """Write `data` to a stream, or to a path through a temporary file renamed into place."""
    if not isinstance(output, Path):
        output.write(data)
        return
    try:
        with atomic_write(output) as stream:
            stream.write(data)
    except OSError as error:
        raise StoreError(f"cannot write the export to {output}: {error}") from None
