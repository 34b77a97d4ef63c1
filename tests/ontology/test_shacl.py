"""SHACL shapes: the Oil & Gas example conforms, and every shape rejects a broken variant."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from rdflib import RDF, XSD, Graph, Literal, Namespace, URIRef

from provml.ontology import paths
from provml.ontology.graph import parse_turtle
from provml.ontology.shacl import validate

PROV = Namespace("http://www.w3.org/ns/prov#")
PROVML = Namespace(paths.NAMESPACE)
SH = Namespace("http://www.w3.org/ns/shacl#")
SHAPE = Namespace("https://w3id.org/provml/ontology/shapes#")
ID = Namespace("https://w3id.org/provml/id/")

RUN = ID["run/f3-001"]
TRAINING = ID["run/f3-001/task/training"]
EPOCH0 = ID["run/f3-001/task/training/epoch/0"]
CLEANING = ID["run/f3-001/task/cleaning"]
INFERENCE = ID["run/f3-001/task/inference"]
MODEL = ID["entity/unet-faults-model"]
PREDICTIONS = ID["entity/f3-fault-probability"]
SEGY = ID["entity/f3-segy"]
F1 = ID["run/f3-001/metric/f1-test"]
LEARNING_RATE = ID["run/f3-001/param/learning_rate"]
INLINE_MIN = ID["entity/f3-segy/attribute/inline.min"]
JOB = ID["job/slurm-734512"]
PROCESS = ID["process/run-f3-001-rank0"]
EVALUATION = ID["run/f3-001/task/evaluation"]


WORKFLOW = ID["workflow/fault-segmentation"]
TRAIN_UNET = ID["transformation/train-unet"]
DEPTH_MIN = ID["entity/f3-segy/attribute/depth.min"]
TORCH = ID["software/torch"]
EXPERIMENT = ID["experiment/unet-faults"]
DECLARED_MODEL = ID["declaration/model"]
REVIEW_1 = ID["annotation/review-1"]
REVIEW_2 = ID["annotation/review-2"]
REVIEW_3 = ID["annotation/review-3"]
FEATURES = ID["featureset/f3-patches"]
TRAIN_SET = ID["entity/f3-train"]
RDFS_COMMENT = URIRef("http://www.w3.org/2000/01/rdf-schema#comment")
SPLIT = PROVML["split"]  # PROVML.split would be str.split on an rdflib Namespace


def dt(text: str) -> Literal:
    return Literal(text, datatype=XSD.dateTime)


@dataclass(frozen=True)
class Variant:
    """A broken copy of the example: one triple removed, replaced or added, and what must fail."""

    shape: str
    action: str  # "remove", "put" (replace the values) or "add"
    focus: URIRef
    predicate: URIRef
    value: object = None
    path: URIRef | None = None  # the reported path, when it differs from the edited predicate

    def apply(self, graph: Graph) -> None:
        if self.action == "remove":
            assert (self.focus, self.predicate, None) in graph, f"example lacks {self}"
            graph.remove((self.focus, self.predicate, None))
        elif self.action == "put":
            graph.set((self.focus, self.predicate, self.value))  # type: ignore[arg-type]
        else:
            graph.add((self.focus, self.predicate, self.value))  # type: ignore[arg-type]


V = Variant
BROKEN_VARIANTS = [
    V("ActivityStartedAtTime", "put", CLEANING, PROV.endedAtTime, dt("2024-05-13T08:00:00Z"),
      path=PROV.startedAtTime),
    V("ActivityEndedAtTime", "add", CLEANING, PROV.endedAtTime, dt("2024-05-13T09:00:00Z")),
    V("ActivityStatus", "put", INFERENCE, PROVML.status, Literal("running")),
    V("WorkflowExecutionStart", "remove", RUN, PROV.startedAtTime),
    V("WorkflowExecutionPlan", "remove", RUN, PROVML.executesPlan),
    V("WorkflowExecutionJob", "put", RUN, PROVML.ranInJob, TRAINING),
    V("TaskExecutionStart", "remove", CLEANING, PROV.startedAtTime),
    V("TaskExecutionPartOf", "add", CLEANING, PROVML.partOfExecution, JOB),
    V("TaskExecutionPlan", "add", CLEANING, PROVML.executesPlan, WORKFLOW),
    V("TrainingEnd", "remove", TRAINING, PROV.endedAtTime),
    V("TrainingStart", "put", TRAINING, PROV.startedAtTime, Literal("2024-05-13")),
    V("SectionStage", "remove", EPOCH0, PROVML.partOfExecution),
    V("SectionIndex", "put", EPOCH0, PROVML.sectionIndex, Literal(-1)),
    V("InferenceModel", "remove", INFERENCE, PROV.used),
    V("JobIdentifier", "remove", JOB, PROVML.jobIdentifier),
    V("JobScheduler", "put", JOB, PROVML.schedulerName, Literal("cron")),
    V("VersionOf", "put", MODEL, PROVML.versionOf, Literal("f3-segy")),
    V("TrainedModelGeneration", "put", MODEL, PROV.wasGeneratedBy, EVALUATION),
    V("ModelArchitectureLink", "add", MODEL, PROVML.hasArchitecture, SEGY),
    V("PredictionsGeneration", "put", PREDICTIONS, PROV.wasGeneratedBy, TRAINING),
    V("MeasureValue", "put", F1, PROV.value, Literal("high")),
    V("MeasureValue", "add", F1, PROV.value, Literal(0.5)),
    V("MeasureName", "remove", F1, PROVML.measureName),
    V("MeasureSplit", "put", F1, SPLIT, Literal("train")),
    V("MeasureStep", "put", F1, PROVML.step, Literal("12")),
    V("MeasureEpoch", "put", F1, PROVML.epoch, Literal(-3)),
    V("MeasureModel", "put", F1, PROVML.evaluatesModel, SEGY),
    V("MeasureGeneration", "remove", F1, PROV.wasGeneratedBy),
    V("SettingName", "remove", LEARNING_RATE, PROVML.parameterName),
    V("SettingValue", "remove", LEARNING_RATE, PROV.value),
    V("SettingHyperparameter", "put", LEARNING_RATE, PROVML.specifiesHyperparameter, SEGY),
    V("AttributeName", "remove", INLINE_MIN, PROVML.attributeName),
    V("AttributeValue", "put", INLINE_MIN, PROV.value, SEGY),
    V("AttributeUnit", "add", DEPTH_MIN, PROVML.unit, Literal("s")),
    V("DomainAttributeLink", "add", SEGY, PROVML.hasDomainAttribute, LEARNING_RATE),
    V("FileDigest", "put", SEGY, PROVML.sha256, Literal("9F2C" * 16)),
    V("FileSize", "put", SEGY, PROVML.sizeBytes, Literal(1503478272)),
    V("FilePath", "put", SEGY, PROVML.filePath, Literal("")),
    V("WorkflowStep", "add", WORKFLOW, PROVML.hasDataTransformation, ID["algorithm/unet-adam"]),
    V("DeclaredInput", "add", TRAIN_UNET, PROVML.declaresInput, ID["schema/patch-128"]),
    V("DeclaredOutput", "add", TRAIN_UNET, PROVML.declaresOutput, MODEL),
    V("DeclarationName", "remove", DECLARED_MODEL, PROVML.attributeName),
    V("ExperimentStudy", "add", EXPERIMENT, PROVML.partOfStudy, ID["study/other"]),
    V("SoftwareName", "remove", TORCH, PROVML.softwareName),
    V("SoftwareVersion", "put", TORCH, PROVML.softwareVersion, Literal(2.3)),
    V("ProcessId", "put", PROCESS, PROVML.pid, Literal("48213")),
    V("ProcessRank", "put", PROCESS, PROVML.processRank, Literal(-1)),
    V("ProcessNode", "add", PROCESS, PROVML.onNode, ID["node/gpu018"]),
    V("TaskStepNumber", "put", CLEANING, PROVML.stepNumber, Literal(-2)),
    V("TaskStepNumber", "add", CLEANING, PROVML.stepNumber, Literal(3)),
    V("TaskCommandLine", "add", CLEANING, PROVML.commandLine, Literal("curate-segy --again")),
    V("AnnotationTarget", "remove", REVIEW_1, PROVML.annotates),
    V("AnnotationTarget", "put", REVIEW_1, PROVML.annotates, Literal("f3-segy")),
    V("AnnotationKey", "remove", REVIEW_2, PROVML.annotationKey),
    V("AnnotationValue", "remove", REVIEW_2, PROV.value),
    V("AnnotationValue", "put", REVIEW_2, PROV.value, SEGY),
    V("AnnotationUnit", "put", REVIEW_3, PROVML.unit, Literal(12)),
    V("AnnotationComment", "add", REVIEW_2, RDFS_COMMENT, Literal("second thoughts")),
    V("AnnotationAuthor", "remove", REVIEW_2, PROV.wasAttributedTo),
    V("AnnotationAuthor", "put", REVIEW_2, PROV.wasAttributedTo, SEGY),
    V("AnnotationTime", "put", REVIEW_2, PROV.generatedAtTime, Literal("yesterday")),
    V("AnnotationSupersedes", "add", REVIEW_2, PROVML.supersedes, REVIEW_3),
    V("AnnotationSupersedes", "put", REVIEW_2, PROVML.supersedes, SEGY),
    V("FeatureSetMember", "add", FEATURES, PROV.hadMember, SEGY),
    V("FeatureSetLink", "put", TRAIN_SET, PROVML.hasFeatureSet, SEGY),
]  # fmt: skip


@pytest.fixture(scope="module")
def example() -> Graph:
    return parse_turtle(paths.OILGAS_EXAMPLE)


@pytest.fixture(scope="module")
def shapes() -> Graph:
    return parse_turtle(paths.SHAPES_FILE)


def test_the_oil_and_gas_example_conforms(example: Graph) -> None:
    report = validate(example)
    assert report.conforms, report.text
    assert report.violations == ()


@pytest.mark.parametrize(
    "variant",
    BROKEN_VARIANTS,
    ids=[f"{variant.shape}-{index}" for index, variant in enumerate(BROKEN_VARIANTS)],
)
def test_each_shape_rejects_a_broken_variant(example: Graph, variant: Variant) -> None:
    broken = Graph()
    broken += example
    variant.apply(broken)
    report = validate(broken)
    assert not report.conforms
    found = {(v.source_shape, v.focus_node, v.path) for v in report.violations}
    expected_path = variant.path or variant.predicate
    assert (str(SHAPE[variant.shape]), str(variant.focus), str(expected_path)) in found, report.text
    messages = {v.message for v in report.violations if v.source_shape == str(SHAPE[variant.shape])}
    assert all(messages), "each property shape carries a message"


def test_every_shape_has_a_failing_case_labels_and_messages(shapes: Graph) -> None:
    node_shapes = set(shapes.subjects(RDF.type, SH.NodeShape))
    property_shapes = set(shapes.subjects(RDF.type, SH.PropertyShape))
    tested = {SHAPE[variant.shape] for variant in BROKEN_VARIANTS}
    assert property_shapes - tested == set(), "every property shape needs a broken variant"
    for node_shape in node_shapes:
        assert set(shapes.objects(node_shape, SH.property)) & tested, node_shape
        assert shapes.value(node_shape, URIRef("http://www.w3.org/2000/01/rdf-schema#label"))
        assert shapes.value(node_shape, URIRef("http://www.w3.org/2000/01/rdf-schema#comment"))
    for property_shape in property_shapes:
        assert shapes.value(property_shape, SH.message), property_shape
        assert shapes.value(property_shape, SH.name), property_shape


def test_shapes_reach_subclasses_through_the_ontology(example: Graph) -> None:
    # The example types the model only as provml:TrainedModel and the cleaning only as
    # provml:Cleaning; shapes aimed at prov:Entity and prov:Activity must still apply.
    assert (SEGY, RDF.type, PROV.Entity) not in example
    broken = Graph()
    broken += example
    broken.set((CLEANING, PROVML.status, Literal("exploded")))
    report = validate(broken)
    assert (str(SHAPE.ActivityStatus), str(CLEANING), str(PROVML.status)) in {
        (v.source_shape, v.focus_node, v.path) for v in report.violations
    }
