"""The ontology's files: they parse, are canonical, generated files are in sync.

The generators are development tools in the checkout's tools/ folder (not in the package); the
sync checks import them and compare their output with the committed files.
"""

from __future__ import annotations

import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from rdflib import OWL, RDF, RDFS, XSD, Graph, Literal, Namespace, URIRef
from tools import build_imports, diagram, generate_namespace, ontology_docs

from provml.errors import OntologyError
from provml.ontology import canonical, paths
from provml.ontology.catalog import read_catalog, resolve_import
from provml.ontology.graph import import_closure, load_graph, parse_turtle

PROV = Namespace("http://www.w3.org/ns/prov#")
PROVML = Namespace(paths.NAMESPACE)

# Class -> direct superclass, as the ontology declares it. The loaders code against these names.
CONTRACT_CLASSES = {
    "Workflow": PROV.Plan,
    "DataTransformation": PROV.Plan,
    "Study": PROV.Plan,
    "LearningExperiment": PROV.Plan,
    "AttributeDeclaration": PROV.Entity,
    "DataSchema": PROV.Entity,
    "DataStore": PROV.Entity,
    "Algorithm": PROV.Plan,
    "LearningTask": PROV.Plan,
    "WorkflowExecution": PROV.Activity,
    "TaskExecution": PROV.Activity,
    "DataAcquisition": PROVML.TaskExecution,
    "DataCuration": PROVML.TaskExecution,
    "LearningDataPreparation": PROVML.TaskExecution,
    "Inference": PROVML.TaskExecution,
    "BaseLearningStage": PROVML.TaskExecution,
    "LearningStage": PROVML.BaseLearningStage,
    "Training": PROVML.LearningStage,
    "Validation": PROVML.LearningStage,
    "Evaluation": PROVML.LearningStage,
    "LearningStageSection": PROVML.BaseLearningStage,
    "Epoch": PROVML.LearningStageSection,
    "Iteration": PROVML.LearningStageSection,
    "Cleaning": PROVML.DataCuration,
    "Filtering": PROVML.DataCuration,
    "Labelling": PROVML.DataCuration,
    "Normalisation": PROVML.LearningDataPreparation,
    "PatchExtraction": PROVML.LearningDataPreparation,
    "Splitting": PROVML.LearningDataPreparation,
    "HPCJob": PROV.Activity,
    "DomainData": PROV.Entity,
    "RawData": PROVML.DomainData,
    "CuratedData": PROVML.DomainData,
    "LearningData": PROV.Entity,
    "TrainingSet": PROVML.LearningData,
    "ValidationSet": PROVML.LearningData,
    "TestSet": PROVML.LearningData,
    "Model": PROV.Entity,
    "TrainedModel": PROVML.Model,
    "Checkpoint": PROVML.Model,
    "ModelArchitecture": PROV.Entity,
    "Predictions": PROV.Entity,
    "Artifact": PROV.Entity,
    "Hyperparameter": PROV.Entity,
    "HyperparameterSetting": PROV.Entity,
    "EvaluationMeasure": PROV.Entity,
    "DomainAttribute": PROV.Entity,
    "Persona": PROV.Agent,
    "Software": PROV.SoftwareAgent,
    "ComputeResource": PROV.Agent,
    "ComputeNode": PROVML.ComputeResource,
    "GPU": PROVML.ComputeResource,
    "Process": PROV.SoftwareAgent,
    # Capture additions (issue 13).
    "Annotation": PROV.Entity,
    "PlannedLearningStage": PROVML.DataTransformation,
    "ModelHyperparameter": PROVML.Hyperparameter,
    "AlgorithmHyperparameter": PROVML.Hyperparameter,
    "Feature": PROV.Entity,
    "FeatureSet": PROV.Collection,
}
CONTRACT_OBJECT_PROPERTIES = [
    "hasDataTransformation",
    "partOfStudy",
    "declaresInput",
    "declaresOutput",
    "storedIn",
    "executesPlan",
    "partOfExecution",
    "ranInJob",
    "hasArchitecture",
    "specifiesHyperparameter",
    "evaluatesModel",
    "hasDomainAttribute",
    "onNode",
    "usesGPU",
    "annotates",
    "supersedes",
    "hasFeatureSet",
]
CONTRACT_DATATYPE_PROPERTIES = [
    "status",
    "errorMessage",
    "filePath",
    "sizeBytes",
    "sha256",
    "mediaFormat",
    "frameworkName",
    "parameterName",
    "measureName",
    "split",
    "step",
    "epoch",
    "attributeName",
    "unit",
    "softwareName",
    "softwareVersion",
    "processRank",
    "pid",
    "annotationKey",
    "stepNumber",
]


@pytest.fixture(scope="module")
def ontology() -> Graph:
    return parse_turtle(paths.ONTOLOGY_FILE)


def test_every_turtle_file_parses_and_is_in_canonical_form() -> None:
    files = canonical.canonical_files()
    assert paths.ONTOLOGY_FILE in files and paths.OILGAS_EXAMPLE in files
    for path in files:
        assert len(parse_turtle(path)) > 0, path
        assert path.read_text(encoding="utf-8") == canonical.canonical_text_of(path), (
            f"{path} is not canonical: run python tools/canonical.py"
        )


def test_canonical_form_is_independent_of_input_order_and_detects_drift(tmp_path: Path) -> None:
    graph = parse_turtle(paths.ONTOLOGY_FILE)
    shuffled = Graph()
    for triple in sorted(graph, key=lambda t: str(t[::-1])):
        shuffled.add(triple)
    for prefix, namespace in graph.namespaces():
        shuffled.bind(prefix, namespace, override=True)
    assert canonical.canonical_turtle(shuffled) == canonical.canonical_turtle(graph)
    text = canonical.canonical_turtle(graph)
    assert text.index("a owl:Ontology") < text.index("provml:Algorithm")
    assert (
        "\nPREFIX " not in text and "@prefix provml: <https://w3id.org/provml/ontology#> ." in text
    )
    hand_formatted = tmp_path / "hand.ttl"
    hand_formatted.write_text(text.replace("    a owl:Class ;\n", "  a owl:Class;\n", 1))
    assert canonical.canonical_text_of(hand_formatted) == text
    assert hand_formatted.read_text() != text


def test_every_contract_class_exists_with_its_prov_parent(ontology: Graph) -> None:
    for name, parent in CONTRACT_CLASSES.items():
        term = PROVML[name]
        assert (term, RDF.type, OWL.Class) in ontology, name
        assert (term, RDFS.subClassOf, parent) in ontology, f"{name} should specialise {parent}"


def test_every_contract_property_exists_with_its_kind(ontology: Graph) -> None:
    for name in CONTRACT_OBJECT_PROPERTIES:
        assert (PROVML[name], RDF.type, OWL.ObjectProperty) in ontology, name
    for name in CONTRACT_DATATYPE_PROPERTIES:
        assert (PROVML[name], RDF.type, OWL.DatatypeProperty) in ontology, name
    assert (PROVML.executesPlan, RDFS.subPropertyOf, PROV.wasInfluencedBy) in ontology
    assert (PROVML.sizeBytes, RDFS.range, XSD.long) in ontology
    assert (PROVML.executesPlan, RDFS.range, PROV.Plan) in ontology
    assert (PROVML.hasArchitecture, RDFS.range, PROVML.ModelArchitecture) in ontology


def test_ontology_header_names_the_contract_iris(ontology: Graph) -> None:
    header = URIRef(paths.ONTOLOGY_IRI)
    assert (header, RDF.type, OWL.Ontology) in ontology
    assert ontology.value(header, OWL.versionIRI) == URIRef(f"{paths.ONTOLOGY_IRI}/0.1.0")
    assert str(ontology.value(header, URIRef("http://purl.org/vocab/vann/preferredNamespaceUri")))
    assert str(ontology.value(header, OWL.versionInfo)) == "0.1.0"
    assert "not IBM" in str(ontology.value(header, URIRef("http://purl.org/dc/terms/description")))


def test_namespace_module_is_in_sync_and_rejects_typos() -> None:
    assert generate_namespace.CHECKOUT_MODULE.read_text(encoding="utf-8") == (
        generate_namespace.namespace_module_text()
    ), "stale: run python tools/generate_namespace.py"
    from provml.ontology.namespace import PROVML as GENERATED

    assert GENERATED.Training == PROVML.Training
    assert GENERATED.sizeBytes == PROVML.sizeBytes
    # Names that are also str methods still give terms (rdflib's Namespace would not).
    assert GENERATED.split == URIRef(paths.NAMESPACE + "split")
    with pytest.raises(AttributeError):
        _ = GENERATED.Trainnig
    names = list(generate_namespace.ontology_terms())
    assert names == sorted(names) and set(CONTRACT_CLASSES) <= set(names)


def test_namespace_generation_follows_the_turtle(tmp_path: Path) -> None:
    graph = parse_turtle(paths.ONTOLOGY_FILE)
    graph.add((PROVML.BrandNewThing, RDF.type, OWL.Class))
    graph.add((PROVML.BrandNewThing, RDFS.label, Literal("brand new thing", lang="en")))
    changed = tmp_path / "provml.ttl"
    changed.write_text(canonical.canonical_turtle(graph))
    text = generate_namespace.namespace_module_text(changed)
    assert "    BrandNewThing: URIRef  # brand new thing\n" in text
    assert text != paths.NAMESPACE_MODULE.read_text(encoding="utf-8")


def test_import_modules_are_in_sync_with_the_generator() -> None:
    for path, text in build_imports.module_texts().items():
        assert path.read_text(encoding="utf-8") == text, (
            f"{path} is stale: run python tools/build_imports.py"
        )


def test_prov_module_holds_exactly_the_referenced_prov_terms_and_their_ancestors() -> None:
    module = parse_turtle(build_imports.PROV_MODULE_FILE)
    declared = {
        str(s)[len(build_imports.PROV_NAMESPACE) :]
        for s in module.subjects(RDF.type, None)
        if str(s).startswith(build_imports.PROV_NAMESPACE)
    }
    used = set(build_imports.PROV_USED_AS_IS)
    for path in [paths.ONTOLOGY_FILE, paths.SHAPES_FILE, paths.OILGAS_EXAMPLE]:
        for triple in parse_turtle(path):
            used |= {
                str(t)[len(build_imports.PROV_NAMESPACE) :]
                for t in triple
                if str(t).startswith(build_imports.PROV_NAMESPACE)
            }
    assert used <= declared
    assert declared - used <= {"Agent", "Entity", "wasInfluencedBy"}  # ancestors only
    assert (PROV.Plan, RDFS.subClassOf, PROV.Entity) in module
    assert (PROV.SoftwareAgent, RDFS.subClassOf, PROV.Agent) in module
    assert (PROV.wasGeneratedBy, RDFS.subPropertyOf, PROV.wasInfluencedBy) in module
    assert (PROV.value, RDF.type, OWL.DatatypeProperty) in module
    assert (PROV.specializationOf, None, None) not in module
    subjects = {s for s in module.subjects() if isinstance(s, URIRef)}
    foreign = {
        s
        for s in subjects
        if not str(s).startswith((build_imports.PROV_NAMESPACE, "http://purl.org/dc/terms/"))
    }
    assert foreign == {URIRef(build_imports.PROV_MODULE_IRI)}


def test_prov_terms_are_checked_against_rdflib_prov(tmp_path: Path) -> None:
    wrong = tmp_path / "wrong.ttl"
    wrong.write_text(
        "@prefix prov: <http://www.w3.org/ns/prov#> .\n<urn:x> prov:wasGeneratedByy <urn:y> .\n"
    )
    with pytest.raises(OntologyError, match="prov:wasGeneratedByy is not a PROV-O term"):
        build_imports.referenced_prov_terms([wrong])
    unknown = tmp_path / "unknown.ttl"
    unknown.write_text(
        "@prefix prov: <http://www.w3.org/ns/prov#> .\n<urn:x> prov:qualifiedUsage <urn:y> .\n"
    )
    with pytest.raises(OntologyError, match="no entry for it"):
        build_imports.referenced_prov_terms([unknown])


def test_prov_table_agrees_with_the_prov_package() -> None:
    assert build_imports.disagreements_with_prov_package() == []
    wrong = dict(build_imports.PROV_TERMS)
    wrong["SoftwareAgent"] = ("Class", "Entity")
    wrong["wasGeneratedBy"] = ("ObjectProperty", "wasDerivedFrom")
    wrong["Activity"] = ("ObjectProperty", None)
    problems = build_imports.disagreements_with_prov_package(wrong)
    assert len(problems) == 3
    assert any(p.startswith("prov:SoftwareAgent: parent Entity here, Agent") for p in problems)


def test_catalogs_map_every_import_to_an_existing_file() -> None:
    catalogs = [paths.CATALOG_FILE, paths.EXAMPLES_DIR / "catalog-v001.xml"]
    for catalog in catalogs:
        mapping = read_catalog(catalog)
        assert mapping and all(path.is_file() for path in mapping.values()), catalog
        # Protégé's format: an OASIS XML catalog of <uri name= uri=> entries, relative paths.
        root = ET.parse(catalog).getroot()
        assert root.tag == "{urn:oasis:names:tc:entity:xmlns:xml:catalog}catalog"
        for entry in root:
            assert not Path(entry.get("uri", "")).is_absolute()
    ontology_files = [
        paths.ONTOLOGY_FILE,
        paths.ALIGNMENT_FILE,
        *paths.IMPORTS_DIR.glob("*.ttl"),
        *paths.EXAMPLES_DIR.glob("*.ttl"),
    ]
    checked = 0
    for path in ontology_files:
        catalog = path.parent / "catalog-v001.xml"
        for _, module, _ in import_closure(path, catalog):  # Protégé uses the opened file's folder
            assert module.is_file()
            checked += 1
    assert checked >= 8
    assert resolve_import(paths.ONTOLOGY_IRI) == paths.ONTOLOGY_FILE


def test_load_graph_follows_imports_through_the_catalog_only() -> None:
    closure = import_closure()
    assert [path.name for _, path, _ in closure] == ["prov-o-module.ttl", "provml.ttl"]
    merged = load_graph()
    assert (PROV.Plan, RDFS.subClassOf, PROV.Entity) in merged
    assert (PROVML.Training, RDFS.subClassOf, PROVML.LearningStage) in merged
    alone = load_graph(with_imports=False)
    assert (PROV.Plan, RDFS.subClassOf, PROV.Entity) not in alone
    aligned = [path.name for _, path, _ in import_closure(paths.ALIGNMENT_FILE)]
    assert aligned == ["prov-o-module.ttl", "provml.ttl", "mls-module.ttl", "alignment-mls.ttl"]


def test_unmapped_import_names_the_iri_and_the_catalog(tmp_path: Path) -> None:
    importing = tmp_path / "importing.ttl"
    importing.write_text(
        "@prefix owl: <http://www.w3.org/2002/07/owl#> .\n"
        "<urn:o> a owl:Ontology ; owl:imports <https://example.org/elsewhere> .\n"
    )
    with pytest.raises(OntologyError, match=r"catalog-v001\.xml: no entry for the import "):
        load_graph(importing)


def test_broken_turtle_names_the_file_and_the_line(tmp_path: Path) -> None:
    lines = paths.ONTOLOGY_FILE.read_text(encoding="utf-8").splitlines()
    index = next(i for i, line in enumerate(lines) if line.startswith("provml:Training"))
    lines[index + 2] = lines[index + 2].replace(" ;", ' "unterminated ;')
    broken = tmp_path / "provml.ttl"
    broken.write_text("\n".join(lines) + "\n")
    with pytest.raises(OntologyError) as caught:
        parse_turtle(broken)
    message = str(caught.value)
    assert message.startswith(f"{broken}:{index + 3}:"), message
    assert "bad Turtle syntax" in message


def test_readme_term_tables_are_in_sync() -> None:
    readme = ontology_docs.CHECKOUT_README.read_text(encoding="utf-8")
    assert readme == ontology_docs.readme_with_table(readme, ontology_docs.terms_table()), (
        "stale: run python tools/ontology_docs.py"
    )
    for name in [*CONTRACT_CLASSES, *CONTRACT_OBJECT_PROPERTIES, *CONTRACT_DATATYPE_PROPERTIES]:
        assert f"| `provml:{name}` |" in readme, name


def test_diagram_shows_the_current_class_hierarchy() -> None:
    svg = diagram.CHECKOUT_DIAGRAM.read_text(encoding="utf-8")
    titles = {
        t.replace("&gt;", ">").replace("&#45;", "-")
        for t in re.findall(r"<title>([^<]*)</title>", svg)
    }
    nodes, edges = diagram.hierarchy()
    assert {f"provml:{name}" for name in CONTRACT_CLASSES} <= set(nodes)
    assert set(nodes) <= titles, "stale: run python tools/diagram.py"
    assert {f"{child}->{parent}" for child, parent in edges} <= titles
    drawn = {t for t in titles if t.startswith(("provml:", "prov:"))}
    assert drawn == {*nodes, *(f"{c}->{p}" for c, p in edges)}


def test_shapes_example_and_alignment_use_only_declared_provml_terms() -> None:
    declared = set(generate_namespace.ontology_terms())
    for path in [paths.SHAPES_FILE, paths.OILGAS_EXAMPLE, paths.ALIGNMENT_FILE]:
        used = {
            str(term)[len(paths.NAMESPACE) :]
            for triple in parse_turtle(path)
            for term in triple
            if isinstance(term, URIRef) and str(term).startswith(paths.NAMESPACE)
        }
        assert used and used <= declared, (path, used - declared)


def test_example_instances_live_under_the_id_namespace() -> None:
    example = parse_turtle(paths.OILGAS_EXAMPLE)
    subjects = {s for s in example.subjects() if isinstance(s, URIRef)}
    assert subjects and all(str(s).startswith("https://w3id.org/provml/id/") for s in subjects)
    assert (None, RDF.type, PROVML.RawData) in example
    names = {str(v) for v in example.objects(None, PROVML.attributeName)}
    assert {"inline.min", "inline.max", "crossline.min", "bbox.west", "depth.max"} <= names


def test_importing_provml_ontology_loads_no_rdf_library() -> None:
    heavy = ("rdflib", "owlready2", "pyshacl")
    code = f"import sys, provml.ontology; print([m for m in {heavy!r} if m in sys.modules])"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_the_package_ships_no_generator_and_the_tools_run_from_a_checkout() -> None:
    # Generators write files; installed, they would write into site-packages.
    import importlib.util

    for name in ("build_imports", "generate_namespace", "docs", "diagram"):
        assert importlib.util.find_spec(f"provml.ontology.{name}") is None, name
    assert not hasattr(canonical, "main")
    tools = Path(build_imports.__file__).parent
    result = subprocess.run(
        [sys.executable, str(tools / "canonical.py"), "--check"],
        capture_output=True,
        text=True,
        cwd=tools.parent.parent,  # any working directory: the tools find the checkout themselves
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert tools.parent / "ontology" == build_imports.ONTOLOGY_DIR
