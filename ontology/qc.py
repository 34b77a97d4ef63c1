"""Quality-control rules as data: one SPARQL query per rule in qc/*.rq, run with rdflib.

Each query selects the offending terms (no rows: the rule passes) and starts with a ROBOT-style
`# Problem:` / `# Solution:` header, which this module reads so reports can say what to do.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from provml.errors import OntologyError
from provml.ontology.paths import QC_DIR

if TYPE_CHECKING:
    from rdflib import Graph


@dataclass(frozen=True)
class QcRule:
    """One quality-control rule: its name (the file stem), the problem, the fix and the query."""

    name: str
    problem: str
    solution: str
    query: str
    path: Path


@dataclass(frozen=True)
class QcResult:
    """The outcome of one rule on one graph: the offending rows, rendered as text."""

    rule: QcRule
    rows: tuple[tuple[str, ...], ...]

    @property
    def passed(self) -> bool:
        """True when the query found nothing to complain about."""
        return not self.rows


def _header_field(lines: list[str], field: str, path: Path) -> str:
    """Return a `# Field:` header value, joining its indented continuation lines."""
    collected: list[str] = []
    for line in lines:
        if not line.startswith("#"):
            break
        text = line.lstrip("#")
        if text.startswith(f" {field}:"):
            collected = [text.split(":", 1)[1].strip()]
        elif collected and text.startswith("   "):
            collected.append(text.strip())
        elif collected:
            break
    if not collected:
        raise OntologyError(f"{path}:1: the query lacks its '# {field}:' header", path=path)
    return " ".join(collected)


def load_rule(path: Path) -> QcRule:
    """Read one rule file; a missing header raises OntologyError naming the file."""
    query = path.read_text(encoding="utf-8")
    lines = query.splitlines()
    return QcRule(
        name=path.stem,
        problem=_header_field(lines, "Problem", path),
        solution=_header_field(lines, "Solution", path),
        query=query,
        path=path,
    )


def load_rules(qc_dir: Path = QC_DIR) -> list[QcRule]:
    """Return every rule in the folder, sorted by name."""
    return [load_rule(path) for path in sorted(qc_dir.glob("*.rq"))]


def run_rule(rule: QcRule, graph: Graph) -> QcResult:
    """Run one rule over a graph; a query that cannot run or is no SELECT raises OntologyError."""
    from rdflib.query import ResultRow

    try:
        result = graph.query(rule.query)
    except Exception as error:  # rdflib raises pyparsing errors for bad SPARQL
        raise OntologyError(
            f"{rule.path}: the query cannot run: {error}", path=rule.path
        ) from error
    if result.type != "SELECT":
        raise OntologyError(
            f"{rule.path}: a rule is a SELECT query, not {result.type}", path=rule.path
        )
    rows = tuple(
        tuple("" if value is None else value.n3(graph.namespace_manager) for value in row)
        for row in result
        if isinstance(row, ResultRow)  # always, for a SELECT
    )
    return QcResult(rule=rule, rows=rows)


def run_qc(graph: Graph, qc_dir: Path = QC_DIR) -> list[QcResult]:
    """Run every rule over the graph (normally the ontology with its imports)."""
    return [run_rule(rule, graph) for rule in load_rules(qc_dir)]
