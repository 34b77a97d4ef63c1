"""owlready2 loads the ontology offline, and HermiT finds it consistent (and finds real faults)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from rdflib import OWL, RDF, RDFS, Literal, Namespace

from provml.errors import OntologyError
from provml.ontology import paths
from provml.ontology.canonical import canonical_turtle
from provml.ontology.graph import parse_turtle
from provml.ontology.reasoning import load_world, reason

PROVML = Namespace(paths.NAMESPACE)


def test_owlready2_loads_the_ontology_with_the_network_cut_off() -> None:
    code = textwrap.dedent(
        """
        import socket, urllib.request

        def refuse(*args, **kwargs):
            raise OSError("network access attempted")

        socket.socket.connect = refuse
        socket.create_connection = refuse
        urllib.request.urlopen = refuse

        from provml.ontology.paths import OILGAS_EXAMPLE
        from provml.ontology.reasoning import load_world, reason

        world, ontology = load_world(data_files=(OILGAS_EXAMPLE,))
        provml = world.get_namespace("https://w3id.org/provml/ontology#")
        print(ontology.base_iri)
        print(provml.Training.is_a)
        print(sorted(o.base_iri for o in ontology.imported_ontologies))
        print(reason(data_files=(OILGAS_EXAMPLE,)).ok)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "https://w3id.org/provml/ontology#"
    assert lines[1] == "[ontology.LearningStage]"  # owlready2 names the namespace by its last part
    assert "imports/prov-o" in lines[2]
    assert lines[3] == "True"


def test_owlready2_sees_every_provml_term() -> None:
    world, _ = load_world()
    ontology_graph = parse_turtle(paths.ONTOLOGY_FILE)
    expected = {
        str(s)
        for kind in (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty)
        for s in ontology_graph.subjects(RDF.type, kind)
        if str(s).startswith(paths.NAMESPACE)
    }
    seen = {
        entity.iri
        for entity in [
            *world.classes(),
            *world.object_properties(),
            *world.data_properties(),
        ]
        if entity.iri.startswith(paths.NAMESPACE)
    }
    assert seen == expected
    software = world.get_namespace(paths.NAMESPACE).Software
    assert "SoftwareAgent" in str(software.is_a)


def test_hermit_finds_the_ontology_consistent_with_no_unsatisfiable_class() -> None:
    report = reason()
    assert report.consistent and report.unsatisfiable == ()
    assert report.ok and report.classes >= 53


def test_hermit_finds_the_ontology_and_example_consistent() -> None:
    report = reason(data_files=(paths.OILGAS_EXAMPLE,))
    assert report.ok, report
    assert report.individuals > 50


def test_hermit_finds_the_ml_schema_alignment_consistent() -> None:
    report = reason(paths.ALIGNMENT_FILE)
    assert report.ok, report


def test_hermit_detects_data_that_contradicts_disjointness(tmp_path: Path) -> None:
    data = tmp_path / "contradiction.ttl"
    data.write_text(
        "@prefix provml: <https://w3id.org/provml/ontology#> .\n"
        "<https://w3id.org/provml/id/x> a provml:Training , provml:Validation .\n"
    )
    report = reason(data_files=(data,))
    assert not report.consistent and not report.ok


def test_hermit_detects_data_that_contradicts_a_domain(tmp_path: Path) -> None:
    # hasArchitecture's domain is Model; a RawData entity (disjoint with Model) cannot have one.
    data = tmp_path / "domain.ttl"
    data.write_text(
        "@prefix provml: <https://w3id.org/provml/ontology#> .\n"
        "<https://w3id.org/provml/id/segy> a provml:RawData ;\n"
        "    provml:hasArchitecture <https://w3id.org/provml/id/arch> .\n"
    )
    assert not reason(data_files=(data,)).consistent


def test_hermit_reports_an_unsatisfiable_class_in_a_broken_copy(tmp_path: Path) -> None:
    graph = parse_turtle(paths.ONTOLOGY_FILE)
    graph.add((PROVML.TrainingValidation, RDF.type, OWL.Class))
    graph.add((PROVML.TrainingValidation, RDFS.label, Literal("impossible", lang="en")))
    graph.add((PROVML.TrainingValidation, RDFS.subClassOf, PROVML.Training))
    graph.add((PROVML.TrainingValidation, RDFS.subClassOf, PROVML.Validation))
    broken = tmp_path / "provml.ttl"
    broken.write_text(canonical_turtle(graph))
    report = reason(broken, paths.CATALOG_FILE)
    assert report.consistent
    assert report.unsatisfiable == (paths.NAMESPACE + "TrainingValidation",)
    assert not report.ok


def test_an_ontology_without_header_cannot_be_imported(tmp_path: Path) -> None:
    graph = parse_turtle(paths.ONTOLOGY_FILE)
    graph.remove((None, RDF.type, OWL.Ontology))
    headless = tmp_path / "provml.ttl"
    headless.write_text(canonical_turtle(graph))
    with pytest.raises(OntologyError, match="no owl:Ontology header"):
        load_world(headless)
