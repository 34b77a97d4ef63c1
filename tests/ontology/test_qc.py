"""Quality-control rules: silent on the real ontology, and each one fires on a broken copy."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from rdflib import OWL, RDF, RDFS, Graph, Literal, Namespace, URIRef

from provml.errors import OntologyError
from provml.ontology import paths
from provml.ontology.graph import load_graph
from provml.ontology.qc import load_rule, load_rules, run_qc, run_rule

PROV = Namespace("http://www.w3.org/ns/prov#")
PROVML = Namespace(paths.NAMESPACE)
DCTERMS = Namespace("http://purl.org/dc/terms/")
HEADER = URIRef(paths.ONTOLOGY_IRI)


def _remove(*pattern: object) -> Callable[[Graph], None]:
    def mutate(graph: Graph) -> None:
        assert (pattern[0], pattern[1], None) in graph, f"nothing to remove for {pattern}"
        graph.remove(pattern)  # type: ignore[arg-type]

    return mutate


def _add(*triple: object) -> Callable[[Graph], None]:
    def mutate(graph: Graph) -> None:
        graph.add(triple)  # type: ignore[arg-type]

    return mutate


def _set_domain(term: URIRef, domain: URIRef) -> Callable[[Graph], None]:
    def mutate(graph: Graph) -> None:
        graph.remove((term, RDFS.domain, None))
        graph.add((term, RDFS.domain, domain))

    return mutate


def _orphan_class_in_domain(graph: Graph) -> None:
    graph.add((PROVML.Orphan, RDF.type, OWL.Class))
    graph.remove((PROVML.hostName, RDFS.domain, None))
    graph.add((PROVML.hostName, RDFS.domain, PROVML.Orphan))


def _orphan_class_in_union_domain(graph: Graph) -> None:
    graph.add((PROVML.Orphan, RDF.type, OWL.Class))
    union = graph.value(PROVML.unit, RDFS.domain)
    members = graph.value(union, OWL.unionOf)
    assert members is not None, "provml:unit is expected to have a union domain"
    graph.set((members, RDF.first, PROVML.Orphan))


# rule -> (mutation of the ontology with its imports, a value the rule's rows must contain)
BROKEN_CASES = {
    "missing_label": [(_remove(PROVML.Training, RDFS.label, None), "provml:Training")],
    "multiple_labels": [
        (_add(PROVML.Training, RDFS.label, Literal("model fitting", lang="en")), "provml:Training")
    ],
    "missing_comment": [(_remove(PROVML.status, RDFS.comment, None), "provml:status")],
    "missing_defined_by": [(_remove(PROVML.onNode, RDFS.isDefinedBy, None), "provml:onNode")],
    "duplicate_label": [
        (_add(PROVML.Validation, RDFS.label, Literal("Training", lang="en")), "provml:Training"),
        (_add(PROVML.Model, RDFS.label, Literal("Entity", lang="en")), "prov:Entity"),
    ],
    "no_prov_ancestor": [
        (_remove(PROVML.Artifact, RDFS.subClassOf, None), "provml:Artifact"),
        (_remove(PROVML.usesGPU, RDFS.subPropertyOf, None), "provml:usesGPU"),
    ],
    "datatype_property_outside_prov": [
        (_remove(PROVML.hostName, RDFS.domain, None), "provml:hostName"),
        (_set_domain(PROVML.unit, OWL.Thing), "provml:unit"),
        (_orphan_class_in_domain, "provml:hostName"),
        (_orphan_class_in_union_domain, "provml:unit"),
    ],
    "missing_header": [
        (_remove(HEADER, DCTERMS.license, None), "dcterms:license"),
        (_remove(HEADER, OWL.versionIRI, None), "owl:versionIRI"),
        (_remove(HEADER, RDF.type, OWL.Ontology), "rdf:type"),
    ],
    "undeclared_term": [
        (_add(PROVML.Training, RDFS.subClassOf, PROVML.TaskExecutoin), "provml:TaskExecutoin"),
        (_add(PROVML.Training, PROVML.undeclaredNote, Literal("x")), "provml:undeclaredNote"),
    ],
    "punned_term": [(_add(PROVML.status, RDF.type, OWL.AnnotationProperty), "provml:status")],
}


@pytest.fixture(scope="module")
def ontology_with_imports() -> Graph:
    return load_graph()


def test_every_rule_file_has_a_broken_case_and_a_problem_and_solution() -> None:
    rules = load_rules()
    assert {rule.name for rule in rules} == set(BROKEN_CASES)
    for rule in rules:
        assert len(rule.problem) > 20 and len(rule.solution) > 20, rule.name


def test_the_ontology_passes_every_rule(ontology_with_imports: Graph) -> None:
    failures = {r.rule.name: r.rows for r in run_qc(ontology_with_imports) if not r.passed}
    assert failures == {}


@pytest.mark.parametrize(
    ("rule_name", "case"),
    [(rule, index) for rule, cases in BROKEN_CASES.items() for index in range(len(cases))],
)
def test_each_rule_fires_on_a_broken_copy(
    ontology_with_imports: Graph, rule_name: str, case: int
) -> None:
    mutate, expected = BROKEN_CASES[rule_name][case]
    broken = Graph()
    broken += ontology_with_imports
    for prefix, namespace in ontology_with_imports.namespaces():
        broken.bind(prefix, namespace, override=True)
    mutate(broken)
    rule = load_rule(paths.QC_DIR / f"{rule_name}.rq")
    result = run_rule(rule, broken)
    assert not result.passed
    assert any(expected in row for row in result.rows), result.rows


def test_a_rule_without_its_header_is_refused(tmp_path: Path) -> None:
    rule = tmp_path / "headless.rq"
    rule.write_text("SELECT ?s WHERE { ?s ?p ?o }\n")
    with pytest.raises(OntologyError, match=r"headless\.rq:1: the query lacks its '# Problem:'"):
        load_rule(rule)


def test_a_rule_that_does_not_parse_names_its_file(tmp_path: Path) -> None:
    rule = tmp_path / "bad.rq"
    rule.write_text("# Problem: p\n# Solution: s\nSELECT ?s WHERE { ?s ?p \n")
    with pytest.raises(OntologyError, match=r"bad\.rq: the query cannot run"):
        run_rule(load_rule(rule), Graph())
