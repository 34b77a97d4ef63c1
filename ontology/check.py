"""Every check of the ontology in one call: parse, imports, HermiT, QC rules, SHACL on examples.

`provml ontology check` prints the report this module returns; tests call it directly too.
"""

from __future__ import annotations

__all__ = ["CheckReport", "CheckStep", "run_checks"]

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from provml.errors import OntologyError
from provml.ontology.paths import (
    ALIGNMENT_FILE,
    CATALOG_FILE,
    NAMESPACE,
    OILGAS_EXAMPLE,
    ONTOLOGY_FILE,
    SHAPES_FILE,
)


@dataclass(frozen=True)
class CheckStep:
    """One check: what was checked, whether it passed, and a one-line detail."""

    name: str
    passed: bool
    detail: str


@dataclass
class CheckReport:
    """All checks of one ontology file, and how many terms of each kind it declares."""

    ontology_file: Path
    steps: list[CheckStep] = field(default_factory=list)
    term_counts: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when every step passed (and at least one ran)."""
        return bool(self.steps) and all(step.passed for step in self.steps)


def catalog_for(ontology_file: Path) -> Path:
    """Return the catalog beside an ontology file, or the packaged catalog if it has none."""
    beside = ontology_file.parent / CATALOG_FILE.name
    return beside if beside.is_file() else CATALOG_FILE


def count_terms(ontology_file: Path) -> dict[str, int]:
    """Count the terms the ontology declares in the provml namespace, per OWL kind."""
    from rdflib import OWL, RDF, URIRef

    from provml.ontology.graph import parse_turtle

    graph = parse_turtle(ontology_file)
    kinds = {
        "classes": OWL.Class,
        "object properties": OWL.ObjectProperty,
        "datatype properties": OWL.DatatypeProperty,
        "annotation properties": OWL.AnnotationProperty,
    }
    return {
        label: sum(
            1
            for term in graph.subjects(RDF.type, kind)
            if isinstance(term, URIRef) and str(term).startswith(NAMESPACE)
        )
        for label, kind in kinds.items()
    }


def _step(report: CheckReport, name: str, run: Callable[[], tuple[bool, str]]) -> None:
    """Run one check; an OntologyError becomes a failed step carrying its message."""
    try:
        passed, detail = run()
    except OntologyError as error:
        passed, detail = False, str(error)
    report.steps.append(CheckStep(name, passed, detail))


def run_checks(
    ontology_file: Path = ONTOLOGY_FILE,
    catalog_file: Path | None = None,
    shapes_file: Path = SHAPES_FILE,
    examples: tuple[Path, ...] = (OILGAS_EXAMPLE,),
    alignment_file: Path | None = ALIGNMENT_FILE,
) -> CheckReport:
    """Run every check and return the report; a file that cannot be parsed raises OntologyError
    (naming the file and line), since nothing else can be checked then."""
    from provml.ontology.graph import import_closure
    from provml.ontology.qc import run_qc
    from provml.ontology.reasoning import reason
    from provml.ontology.shacl import validate_file

    catalog = catalog_for(ontology_file) if catalog_file is None else catalog_file
    report = CheckReport(ontology_file=ontology_file)
    closure = import_closure(ontology_file, catalog)
    report.term_counts = count_terms(ontology_file)
    merged = closure[-1][2]
    for _, _, graph in closure[:-1]:
        merged = merged + graph
    report.steps.append(
        CheckStep(
            "parse offline (rdflib, catalog imports)",
            True,
            f"{len(closure)} modules, {len(merged)} triples: "
            + ", ".join(path.name for _, path, _ in closure),
        )
    )

    def hermit(data: tuple[Path, ...]) -> Callable[[], tuple[bool, str]]:
        def run() -> tuple[bool, str]:
            result = reason(ontology_file, catalog, data)
            if not result.consistent:
                return False, f"inconsistent {result.detail}".strip()
            if result.unsatisfiable:
                return False, "unsatisfiable: " + ", ".join(result.unsatisfiable)
            return True, (
                f"consistent, all {result.classes} classes satisfiable,"
                f" {result.individuals} individuals"
            )

        return run

    _step(report, "owlready2 + HermiT: ontology", hermit(()))
    for example in examples:
        _step(report, f"owlready2 + HermiT: ontology + {example.name}", hermit((example,)))
    if alignment_file is not None:
        alignment = alignment_file

        def aligned() -> tuple[bool, str]:
            result = reason(alignment, catalog)
            ok = result.ok
            return ok, "consistent, no unsatisfiable class" if ok else f"{result}"

        _step(report, f"owlready2 + HermiT: {alignment.name}", aligned)
    for result in run_qc(merged):
        rows = "; ".join(" ".join(row) for row in result.rows[:5])
        more = f" (+{len(result.rows) - 5} more)" if len(result.rows) > 5 else ""
        detail = "no findings" if result.passed else f"{rows}{more} -- {result.rule.solution}"
        report.steps.append(CheckStep(f"QC {result.rule.name}", result.passed, detail))
    for example in examples:

        def shacl(example: Path = example) -> tuple[bool, str]:
            outcome = validate_file(
                example, shapes_file=shapes_file, ontology_file=ontology_file, catalog_file=catalog
            )
            if outcome.conforms:
                return True, "conforms"
            first = outcome.violations[:3]
            return False, "; ".join(f"{v.focus_node} {v.path}: {v.message}" for v in first)

        _step(report, f"SHACL: {example.name}", shacl)
    return report
