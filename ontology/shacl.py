"""Validate provenance data against provml's SHACL shapes with pyshacl."""

from __future__ import annotations

__all__ = ["ShaclReport", "Violation", "validate"]

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from provml.ontology.graph import load_graph, parse_turtle
from provml.ontology.paths import CATALOG_FILE, ONTOLOGY_FILE, SHAPES_FILE

if TYPE_CHECKING:
    from rdflib import Graph


@dataclass(frozen=True)
class Violation:
    """One SHACL result: the shape that failed, on which node, along which path, and why."""

    source_shape: str
    focus_node: str
    path: str | None
    component: str
    message: str


@dataclass(frozen=True)
class ShaclReport:
    """The outcome of a validation: conforms, the violations, and pyshacl's text report."""

    conforms: bool
    violations: tuple[Violation, ...]
    text: str


def validate(
    data_graph: Graph,
    shapes_file: Path = SHAPES_FILE,
    ontology_file: Path = ONTOLOGY_FILE,
    catalog_file: Path = CATALOG_FILE,
) -> ShaclReport:
    """Validate a data graph against the shapes, with the ontology mixed in so that shapes aimed at
    a class also reach its subclasses. Reads files only; raises OntologyError on a bad file."""
    from pyshacl import validate as pyshacl_validate
    from rdflib import RDF, Namespace

    sh = Namespace("http://www.w3.org/ns/shacl#")
    conforms, report, text = pyshacl_validate(
        data_graph,
        shacl_graph=parse_turtle(shapes_file),
        ont_graph=load_graph(ontology_file, catalog_file),
        inference="none",
        abort_on_first=False,
        allow_warnings=False,
        advanced=False,
    )
    violations = []
    for result in report.subjects(RDF.type, sh.ValidationResult):
        path = report.value(result, sh.resultPath)
        violations.append(
            Violation(
                source_shape=str(report.value(result, sh.sourceShape)),
                focus_node=str(report.value(result, sh.focusNode)),
                path=None if path is None else str(path),
                component=str(report.value(result, sh.sourceConstraintComponent)),
                message=str(report.value(result, sh.resultMessage) or ""),
            )
        )
    violations.sort(key=lambda v: (v.source_shape, v.focus_node, v.path or ""))
    return ShaclReport(conforms=bool(conforms), violations=tuple(violations), text=str(text))


def validate_file(data_file: Path, **kwargs: Path) -> ShaclReport:
    """Validate a Turtle data file against the shapes (see `validate`)."""
    return validate(parse_turtle(data_file), **kwargs)
