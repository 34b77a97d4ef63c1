"""Build the offline import modules (MIREOT style) that provml's ontology files import.

Run from a checkout: `python tools/build_imports.py` writes `ontology/imports/prov-o-module.ttl`
and `ontology/imports/mls-module.ttl`. No third-party ontology file is copied or downloaded: the
PROV-O terms are those provml's Turtle files reference (plus the PROV-O relations provml data uses
as is), checked against rdflib's `PROV` namespace, which raises on a name PROV-O lacks; their kind
and direct parent come from the table below, transcribed from the PROV-O Recommendation and
cross-checked against the `prov` package's PROV-DM tables (record subtypes, relation names). The
ML-Schema terms are those provml aligns to. Each module holds only declarations, labels and the
hierarchy among the extracted terms. A development tool: it is not part of the installed package.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from provml.errors import OntologyError
from provml.ontology.canonical import canonical_turtle
from provml.ontology.paths import (
    ALIGNMENT_FILE,
    EXAMPLES_DIR,
    IMPORTS_DIR,
    ONTOLOGY_FILE,
    ONTOLOGY_IRI,
    SHAPES_FILE,
)

if TYPE_CHECKING:
    from rdflib import Graph

# The checkout's ontology folder, never the installed package's copy.
ONTOLOGY_DIR = Path(__file__).resolve().parents[1] / "ontology"
MODULES_DIR = ONTOLOGY_DIR / IMPORTS_DIR.name

PROV_MODULE_IRI = f"{ONTOLOGY_IRI}/imports/prov-o"
PROV_MODULE_FILE = MODULES_DIR / "prov-o-module.ttl"
MLS_MODULE_IRI = f"{ONTOLOGY_IRI}/imports/mls"
MLS_MODULE_FILE = MODULES_DIR / "mls-module.ttl"
MODULE_VERSION = "0.1.0"

PROV_NAMESPACE = "http://www.w3.org/ns/prov#"
PROV_ONTOLOGY = "http://www.w3.org/ns/prov-o#"
MLS_NAMESPACE = "http://www.w3.org/ns/mls#"
MLS_ONTOLOGY = "http://www.w3.org/ns/mls"

# PROV-O terms provml may reference: local name -> (OWL kind, direct PROV-O parent or None).
# prov:specializationOf and prov:wasRevisionOf are left out on purpose: PROV-O declares them both as
# annotation and object properties, a punning that takes a DL reasoner outside OWL 2 DL.
PROV_TERMS: dict[str, tuple[str, str | None]] = {
    "Activity": ("Class", None),
    "Agent": ("Class", None),
    "Bundle": ("Class", "Entity"),
    "Collection": ("Class", "Entity"),
    "Entity": ("Class", None),
    "Location": ("Class", None),
    "Organization": ("Class", "Agent"),
    "Person": ("Class", "Agent"),
    "Plan": ("Class", "Entity"),
    "SoftwareAgent": ("Class", "Agent"),
    "actedOnBehalfOf": ("ObjectProperty", "wasInfluencedBy"),
    "alternateOf": ("ObjectProperty", None),
    "atLocation": ("ObjectProperty", None),
    "hadMember": ("ObjectProperty", "wasInfluencedBy"),
    "hadPrimarySource": ("ObjectProperty", "wasDerivedFrom"),
    "used": ("ObjectProperty", "wasInfluencedBy"),
    "wasAssociatedWith": ("ObjectProperty", "wasInfluencedBy"),
    "wasAttributedTo": ("ObjectProperty", "wasInfluencedBy"),
    "wasDerivedFrom": ("ObjectProperty", "wasInfluencedBy"),
    "wasEndedBy": ("ObjectProperty", "wasInfluencedBy"),
    "wasGeneratedBy": ("ObjectProperty", "wasInfluencedBy"),
    "wasInfluencedBy": ("ObjectProperty", None),
    "wasInformedBy": ("ObjectProperty", "wasInfluencedBy"),
    "wasInvalidatedBy": ("ObjectProperty", "wasInfluencedBy"),
    "wasQuotedFrom": ("ObjectProperty", "wasDerivedFrom"),
    "wasStartedBy": ("ObjectProperty", "wasInfluencedBy"),
    "atTime": ("DatatypeProperty", None),
    "endedAtTime": ("DatatypeProperty", None),
    "generatedAtTime": ("DatatypeProperty", None),
    "invalidatedAtTime": ("DatatypeProperty", None),
    "startedAtTime": ("DatatypeProperty", None),
    "value": ("DatatypeProperty", None),
}

# PROV-O relations provml data uses as is, whether or not a file names them.
PROV_USED_AS_IS = (
    "actedOnBehalfOf",
    "endedAtTime",
    "generatedAtTime",
    "invalidatedAtTime",
    "startedAtTime",
    "used",
    "value",
    "wasAssociatedWith",
    "wasAttributedTo",
    "wasDerivedFrom",
    "wasGeneratedBy",
    "wasInformedBy",
    "wasInvalidatedBy",
)

# W3C ML-Schema classes provml aligns to (https://www.w3.org/2016/10/mls/).
MLS_TERMS = (
    "Algorithm",
    "Dataset",
    "EvaluationMeasure",
    "Experiment",
    "Feature",
    "HyperParameter",
    "HyperParameterSetting",
    "Implementation",
    "Model",
    "ModelEvaluation",
    "Run",
    "Study",
    "Task",
)


# Relations PROV-DM lists (prov.constants.PROV_N_MAP) that PROV-O does not put under
# prov:wasInfluencedBy; the record types entity/activity/agent/bundle are classes, not relations.
_NOT_INFLUENCES = {"alternateOf", "specializationOf", "mentionOf", "wasInfluencedBy"}
_RECORD_TYPES = {"entity", "activity", "agent", "bundle"}


def disagreements_with_prov_package(
    table: dict[str, tuple[str, str | None]] = PROV_TERMS,
) -> list[str]:
    """Return where the table contradicts the `prov` package: a class whose PROV-DM base type
    differs from its parent here, or a PROV-DM relation not kept as an object property under
    prov:wasInfluencedBy. Empty when they agree."""
    from prov.constants import PROV_BASE_CLS, PROV_N_MAP

    problems = []
    for record, base in PROV_BASE_CLS.items():
        name, parent = record.localpart, base.localpart
        if name == parent or name not in table:
            continue
        kind, ours = table[name]
        if kind == "Class" and ours != parent:
            problems.append(f"prov:{name}: parent {ours} here, {parent} in the prov package")
    for keyword in set(PROV_N_MAP.values()) - _RECORD_TYPES:
        if keyword not in table:
            continue
        kind, ours = table[keyword]
        expected = None if keyword in _NOT_INFLUENCES else "wasInfluencedBy"
        if kind != "ObjectProperty" or ours != expected:
            problems.append(f"prov:{keyword}: {kind} under {ours} here, expected {expected}")
    for record_type in _RECORD_TYPES:
        name = record_type.capitalize()
        if name in table and table[name][0] != "Class":
            problems.append(f"prov:{name} is a PROV-DM record type, so an OWL class")
    return sorted(problems)


def _source_files() -> list[Path]:
    """Return provml's own Turtle files whose PROV-O references the module must cover."""
    return [
        ONTOLOGY_DIR / ONTOLOGY_FILE.name,
        ONTOLOGY_DIR / SHAPES_FILE.name,
        ONTOLOGY_DIR / ALIGNMENT_FILE.name,
        *sorted((ONTOLOGY_DIR / EXAMPLES_DIR.name).glob("*.ttl")),
    ]


def referenced_prov_terms(files: list[Path] | None = None) -> list[str]:
    """Return the PROV-O local names provml's files reference, with the relations used as is and
    every ancestor, sorted. A name outside PROV-O or the table raises OntologyError."""
    from rdflib import URIRef
    from rdflib.namespace import PROV

    from provml.ontology.graph import parse_turtle

    problems = disagreements_with_prov_package()
    if problems:
        raise OntologyError(
            "the PROV-O table disagrees with the prov package: " + "; ".join(problems)
        )
    names = set(PROV_USED_AS_IS)
    for path in _source_files() if files is None else files:
        if not path.exists():
            continue
        for triple in parse_turtle(path):
            for term in triple:
                if isinstance(term, URIRef) and str(term).startswith(PROV_NAMESPACE):
                    names.add(str(term)[len(PROV_NAMESPACE) :])
    for name in sorted(names):
        try:
            getattr(PROV, name)  # rdflib's PROV namespace fails on names PROV-O does not define
        except AttributeError as error:
            raise OntologyError(f"prov:{name} is not a PROV-O term") from error
        if name not in PROV_TERMS:
            raise OntologyError(
                f"prov:{name} is referenced but tools/build_imports.py has no entry for it"
            )
    closed: set[str] = set()
    for start in names:
        ancestor: str | None = start
        while ancestor is not None and ancestor not in closed:
            closed.add(ancestor)
            ancestor = PROV_TERMS[ancestor][1]
    return sorted(closed)


def _module_header(graph: Graph, iri: str, source: str, what: str) -> None:
    """Add the owl:Ontology header of a generated import module."""
    from rdflib import OWL, RDF, RDFS, Literal, URIRef
    from rdflib.namespace import DCTERMS

    module = URIRef(iri)
    graph.add((module, RDF.type, OWL.Ontology))
    graph.add((module, OWL.versionIRI, URIRef(f"{iri}/{MODULE_VERSION}")))
    graph.add((module, OWL.versionInfo, Literal(MODULE_VERSION)))
    graph.add((module, DCTERMS.source, URIRef(source)))
    graph.add((module, DCTERMS.title, Literal(f"{what} terms used by provml", lang="en")))
    graph.add(
        (
            module,
            RDFS.comment,
            Literal(
                f"Generated by `python tools/build_imports.py` (MIREOT style): the {what}"
                " terms provml references, with their types, labels and the hierarchy among them."
                f" Not a copy of {what}; see {source} for the full ontology.",
                lang="en",
            ),
        )
    )
    graph.add((DCTERMS.source, RDF.type, OWL.AnnotationProperty))
    graph.add((DCTERMS.title, RDF.type, OWL.AnnotationProperty))


def build_prov_module(files: list[Path] | None = None) -> Graph:
    """Return the PROV-O import module: the referenced PROV-O terms, kinds, labels, parents."""
    from rdflib import OWL, RDF, RDFS, Graph, Literal, URIRef

    graph = Graph()
    graph.bind("prov", PROV_NAMESPACE)
    graph.bind("owl", str(OWL))
    _module_header(graph, PROV_MODULE_IRI, PROV_ONTOLOGY, "PROV-O")
    for name in referenced_prov_terms(files):
        kind, parent = PROV_TERMS[name]
        term = URIRef(PROV_NAMESPACE + name)
        graph.add((term, RDF.type, OWL[kind]))
        graph.add((term, RDFS.label, Literal(name)))
        graph.add((term, RDFS.isDefinedBy, URIRef(PROV_ONTOLOGY)))
        if parent is not None:
            relation = RDFS.subClassOf if kind == "Class" else RDFS.subPropertyOf
            graph.add((term, relation, URIRef(PROV_NAMESPACE + parent)))
    return graph


def build_mls_module() -> Graph:
    """Return the ML-Schema import module: the aligned ML-Schema classes with their labels."""
    from rdflib import OWL, RDF, RDFS, Graph, Literal, URIRef

    graph = Graph()
    graph.bind("mls", MLS_NAMESPACE)
    graph.bind("owl", str(OWL))
    _module_header(graph, MLS_MODULE_IRI, MLS_ONTOLOGY, "ML-Schema")
    for name in MLS_TERMS:
        term = URIRef(MLS_NAMESPACE + name)
        graph.add((term, RDF.type, OWL.Class))
        label = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name)
        graph.add((term, RDFS.label, Literal(f"{label} (ML-Schema)", lang="en")))
        graph.add((term, RDFS.isDefinedBy, URIRef(MLS_ONTOLOGY)))
    return graph


def module_texts() -> dict[Path, str]:
    """Return each import module's file and its canonical Turtle."""
    return {
        PROV_MODULE_FILE: canonical_turtle(build_prov_module()),
        MLS_MODULE_FILE: canonical_turtle(build_mls_module()),
    }


def main() -> int:
    """Write the import modules into the checkout's ontology/imports/ folder."""
    MODULES_DIR.mkdir(exist_ok=True)
    for path, text in module_texts().items():
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
