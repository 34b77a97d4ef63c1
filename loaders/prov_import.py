"""Import W3C PROV documents into the store, keeping their statements as PROV-O triples.

PROV-JSON, PROV-XML, PROV-N and PROV-JSONLD are read by the `prov` package and turned into
PROV-O by its RDF serializer; PROV-O files (Turtle, TriG, RDF/XML, JSON-LD, N-Triples, N-Quads)
are parsed by pyoxigraph as they are. Each document goes into the named graph
`https://w3id.org/provml/id/import/prov/{sha256[:16] of the file}` (or one the caller names);
each of its bundles (a named graph in PROV-O) into `{that graph}/bundle/{bundle IRI,
percent-encoded}`, so a document's bundles never collide with another document's.

Blank nodes become deterministic skolem IRIs (`provml.loaders.skolem`), so importing the same
file again adds nothing. Each document is written in one transaction: a document that cannot be
read changes nothing in the store.
"""

from __future__ import annotations

__all__ = ["ProvImportReport", "import_prov"]

import hashlib
import io
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph

from provml.errors import LoadError
from provml.kg import Store, named_node
from provml.kg.formats import FORMATS, syntax_error
from provml.loaders import iris
from provml.loaders.finish import infer_derivations
from provml.loaders.prov_formats import PROV_FORMATS, format_of
from provml.loaders.skolem import skolemized


@dataclass
class ProvImportReport:
    """What one import wrote: where, how many triples, and what the `prov` package warned.

    `graph` is where the statements went. With `triples == 0` (a document of only comments or
    prefixes, say) nothing was written, and since a store has no empty graphs, the store has no
    such graph: `export` of it says so.
    """

    source: str
    format: str
    graph: str
    triples: int
    bundles: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def import_graph(data: bytes) -> str:
    """The named graph a document goes into by default: import/prov/{sha256[:16]} of its bytes."""
    return iris.prov_import_graph(hashlib.sha256(data).hexdigest())


def import_prov(
    store: Store,
    path: Path,
    *,
    format: str | None = None,
    graph: str | None = None,
) -> ProvImportReport:
    """Import one PROV document into `store`, in one transaction: all of it, or nothing.

    `format` is a name from `provml.loaders.prov_formats.ALL_FORMATS` (default: from the file
    extension); `graph` overrides the default graph IRI. Importing the same file twice leaves
    the same triples, and the inferred derivations of its activities (`finish.infer_derivations`,
    a second transaction); a document without statements writes nothing (`triples` is 0, and the
    store has no `graph`). Durable on return as `Store.add_quads` is. Raises LoadError naming the
    file (and the line where the parser tells it) for unreadable or malformed input,
    UnsafeParameter for a bad graph IRI, StoreError if the store cannot be written.
    """
    try:
        data = path.read_bytes()
    except OSError as error:
        raise LoadError(f"{path}: cannot read the file: {error.strerror or error}") from None
    name = format_of(path, data, format)
    target = graph if graph is not None else import_graph(data)
    target_node = named_node(target, "graph")
    notes: list[str] = []
    if name in PROV_FORMATS:
        quads = _prov_document_quads(path, data, name, notes)
    else:
        quads = _parsed(
            path, pyoxigraph.parse(data, format=FORMATS[name], base_iri=path.resolve().as_uri())
        )
    digest = hashlib.sha256(data).hexdigest()
    stored, bundles = _into_graphs(skolemized(quads, iris.skolem_base(digest)), target_node)
    if stored:
        store.add_quads(stored)
        # Lineage walks prov:wasDerivedFrom only: derivations the document leaves implicit
        # (an activity used x and generated y) are inferred as for captured runs.
        graphs = sorted({quad.graph_name for quad in stored}, key=str)
        infer_derivations(
            store, [g for g in graphs if isinstance(g, pyoxigraph.NamedNode)], imported=True
        )
    return ProvImportReport(str(path), name, target, len(stored), sorted(bundles), notes)


def _prov_document_quads(
    path: Path, data: bytes, name: str, notes: list[str]
) -> list[pyoxigraph.Quad]:
    """Read a PROV-JSON/XML/N/JSONLD document with `prov` and return its PROV-O quads."""
    from prov.model import ProvDocument

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            document = ProvDocument.deserialize(source=io.BytesIO(data), format=PROV_FORMATS[name])
        except NotImplementedError:
            raise LoadError(
                f"{path}: the installed prov package cannot read {name}; convert the file to "
                "PROV-JSON or PROV-XML (e.g. with ProvToolbox's provconvert) or install "
                "prov>=3.2, whose PROV-N reader provml uses"
            ) from None
        except Exception as error:  # any failure of the parser means the input is bad
            raise _parse_error(path, name, error) from None
        try:
            nquads = document.serialize(format="rdf", rdf_format="nquads")
        except Exception as error:
            raise LoadError(f"{path}: prov cannot write this document as PROV-O: {error}") from None
    notes.extend(
        f"{path}: {warning.message}"
        for warning in caught
        if not issubclass(warning.category, DeprecationWarning)  # rdflib API notices to prov
    )
    assert nquads is not None  # given no destination, prov returns the text
    quads = pyoxigraph.parse(nquads.encode(), format=pyoxigraph.RdfFormat.N_QUADS)
    return _parsed(path, quads, what="the PROV-O that prov wrote for it")


def _parsed(
    path: Path, quads: Iterator[pyoxigraph.Quad], what: str = "the file"
) -> list[pyoxigraph.Quad]:
    """All quads of a pyoxigraph parse, or LoadError naming the file and the line."""
    try:
        return list(quads)
    except SyntaxError as error:
        failure = syntax_error(str(path), error)
        if what != "the file":
            failure = LoadError(f"{failure} (in {what})")
        raise failure from None
    except ValueError as error:
        raise LoadError(f"{path}: {error}") from None


def _parse_error(path: Path, name: str, error: Exception) -> LoadError:
    """A LoadError for a document `prov` could not read, with the line where it says."""
    line = getattr(error, "lineno", None) or getattr(error, "line", None)
    message = str(getattr(error, "msg", None) or error).strip()
    where = f"{path}:{line}" if isinstance(line, int) else str(path)
    return LoadError(f"{where}: not a valid {name} document: {message}")


def _into_graphs(
    quads: Iterable[pyoxigraph.Quad], target: pyoxigraph.NamedNode
) -> tuple[list[pyoxigraph.Quad], set[str]]:
    """The quads moved into `target` (default graph) or its bundle graphs (named graphs)."""
    graphs: dict[
        pyoxigraph.NamedNode | pyoxigraph.BlankNode | pyoxigraph.DefaultGraph, pyoxigraph.NamedNode
    ] = {}
    stored = []
    for quad in quads:
        name = quad.graph_name
        if name not in graphs:
            if isinstance(name, pyoxigraph.NamedNode):
                graphs[name] = pyoxigraph.NamedNode(iris.bundle_graph(target.value, name.value))
            else:  # the default graph; the skolemizer has named any blank-node graph
                graphs[name] = target
        stored.append(pyoxigraph.Quad(quad.subject, quad.predicate, quad.object, graphs[name]))
    return stored, {graph.value for graph in graphs.values() if graph != target}
