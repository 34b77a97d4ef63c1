"""Load the ontology into owlready2 offline and check it with the HermiT reasoner.

owlready2 does not read Turtle, so each module of the import closure is converted by rdflib to
N-Triples in a temporary folder and loaded there, imports first; owlready2 then finds every
imported ontology already loaded and never goes to the network.
"""

from __future__ import annotations

__all__ = ["ReasoningReport", "load_world", "reason"]

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from provml.errors import OntologyError
from provml.ontology.graph import import_closure, parse_turtle
from provml.ontology.paths import CATALOG_FILE, ONTOLOGY_FILE

if TYPE_CHECKING:
    from owlready2 import Ontology, World
    from rdflib import Graph

DATA_ONTOLOGY_IRI = "https://w3id.org/provml/id/data"


@dataclass(frozen=True)
class ReasoningReport:
    """What HermiT concluded: consistent or not, the unsatisfiable classes, and the counts seen."""

    consistent: bool
    unsatisfiable: tuple[str, ...]
    classes: int
    object_properties: int
    data_properties: int
    individuals: int
    detail: str = ""

    @property
    def ok(self) -> bool:
        """True when the ontology (and data) is consistent and every class is satisfiable."""
        return self.consistent and not self.unsatisfiable


def load_world(
    ontology_file: Path = ONTOLOGY_FILE,
    catalog_file: Path = CATALOG_FILE,
    data_files: tuple[Path, ...] = (),
) -> tuple[World, Ontology]:
    """Return a fresh owlready2 World holding the ontology, its imports and optional data files,
    and the ontology itself; everything is read from local files (raises OntologyError if not)."""
    import owlready2

    world = owlready2.World()
    closure = import_closure(ontology_file, catalog_file)
    with tempfile.TemporaryDirectory(prefix="provml-owl-") as folder:
        loaded: Ontology | None = None
        for index, (iri, path, graph) in enumerate(closure):
            if iri is None:
                raise OntologyError(
                    f"{path}: no owl:Ontology header, so it cannot be imported", path=path
                )
            loaded = _load_ntriples(world, iri, graph, Path(folder) / f"module-{index}.nt")
        for index, data_file in enumerate(data_files):
            data_iri = f"{DATA_ONTOLOGY_IRI}/{index}"
            graph = _declare_individuals(parse_turtle(data_file))
            data = _load_ntriples(world, data_iri, graph, Path(folder) / f"data-{index}.nt")
            data.imported_ontologies.append(loaded)
    assert loaded is not None  # the closure always holds the ontology file itself
    return world, loaded


def _declare_individuals(graph: Graph) -> Graph:
    """Declare every typed subject of instance data as owl:NamedIndividual, as OWL 2 wants and
    owlready2 needs to see it as an individual."""
    from rdflib import OWL, RDF

    headers = set(graph.subjects(RDF.type, OWL.Ontology))
    for subject in set(graph.subjects(RDF.type, None)) - headers:
        graph.add((subject, RDF.type, OWL.NamedIndividual))
    return graph


def _load_ntriples(world: World, iri: str, graph: Graph, target: Path) -> Ontology:
    """Write an rdflib graph as N-Triples and load it into the world under the given IRI."""
    graph.serialize(destination=target, format="nt", encoding="utf-8")
    with target.open("rb") as stream:
        try:
            return world.get_ontology(iri).load(fileobj=stream, format="ntriples")
        except Exception as error:  # owlready2 raises bare exceptions on unreadable input
            raise OntologyError(f"owlready2 cannot load {iri}: {error}") from error


def reason(
    ontology_file: Path = ONTOLOGY_FILE,
    catalog_file: Path = CATALOG_FILE,
    data_files: tuple[Path, ...] = (),
) -> ReasoningReport:
    """Run HermiT (owlready2.sync_reasoner, needs Java) over the ontology and optional data files.

    An inconsistent ontology is reported, not raised; a missing Java or a crashing reasoner raises
    OntologyError.
    """
    import owlready2

    world, _ = load_world(ontology_file, catalog_file, data_files)
    # The report's count fields, in order: classes, object and data properties, individuals.
    counts = (
        len(list(world.classes())),
        len(list(world.object_properties())),
        len(list(world.data_properties())),
        len(list(world.individuals())),
    )
    try:
        owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=0)
    except owlready2.OwlReadyInconsistentOntologyError as error:
        return ReasoningReport(False, (), *counts, detail=str(error))
    except (OSError, owlready2.OwlReadyJavaError) as error:
        raise OntologyError(f"HermiT could not run (is Java installed?): {error}") from error
    unsatisfiable = tuple(
        sorted(cls.iri for cls in world.inconsistent_classes() if cls is not owlready2.Nothing)
    )
    return ReasoningReport(True, unsatisfiable, *counts)
