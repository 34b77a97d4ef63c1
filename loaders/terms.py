"""The N-Triples forms of the vocabulary terms the converter writes, checked by namespace.

Each name goes through rdflib's `DefinedNamespace` for PROV-O and the generated `PROVML`
namespace, so a typo raises at import instead of minting a wrong IRI.
"""

from __future__ import annotations

from rdflib.namespace import PROV, RDF, RDFS, XSD

from provml.ontology.namespace import PROVML


def _term(iri: str) -> str:
    """An IRI in angle brackets, as N-Quads writes it."""
    return f"<{iri}>"


class C:
    """Classes (the objects of rdf:type)."""

    WorkflowExecution = _term(PROVML.WorkflowExecution)
    Workflow = _term(PROVML.Workflow)
    Person = _term(PROV.Person)
    Agent = _term(PROV.Agent)
    Persona = _term(PROVML.Persona)
    Process = _term(PROVML.Process)
    ComputeNode = _term(PROVML.ComputeNode)
    GPU = _term(PROVML.GPU)
    HPCJob = _term(PROVML.HPCJob)
    Software = _term(PROVML.Software)
    Study = _term(PROVML.Study)
    LearningExperiment = _term(PROVML.LearningExperiment)
    DomainAttribute = _term(PROVML.DomainAttribute)
    DataTransformation = _term(PROVML.DataTransformation)
    AttributeDeclaration = _term(PROVML.AttributeDeclaration)
    DataSchema = _term(PROVML.DataSchema)
    DataStore = _term(PROVML.DataStore)
    ModelArchitecture = _term(PROVML.ModelArchitecture)
    Hyperparameter = _term(PROVML.Hyperparameter)
    HyperparameterSetting = _term(PROVML.HyperparameterSetting)
    EvaluationMeasure = _term(PROVML.EvaluationMeasure)
    Usage = _term(PROV.Usage)
    Generation = _term(PROV.Generation)
    Role = _term(PROV.Role)
    # Task executions, by phase, operation or learning stage.
    TaskExecution = _term(PROVML.TaskExecution)
    DataAcquisition = _term(PROVML.DataAcquisition)
    DataCuration = _term(PROVML.DataCuration)
    Cleaning = _term(PROVML.Cleaning)
    Filtering = _term(PROVML.Filtering)
    Labelling = _term(PROVML.Labelling)
    LearningDataPreparation = _term(PROVML.LearningDataPreparation)
    Normalisation = _term(PROVML.Normalisation)
    PatchExtraction = _term(PROVML.PatchExtraction)
    Splitting = _term(PROVML.Splitting)
    LearningStage = _term(PROVML.LearningStage)
    Training = _term(PROVML.Training)
    Validation = _term(PROVML.Validation)
    Evaluation = _term(PROVML.Evaluation)
    Epoch = _term(PROVML.Epoch)
    Iteration = _term(PROVML.Iteration)
    Inference = _term(PROVML.Inference)
    # Entities, by capture's entity type.
    RawData = _term(PROVML.RawData)
    DomainData = _term(PROVML.DomainData)
    LearningData = _term(PROVML.LearningData)
    TrainingSet = _term(PROVML.TrainingSet)
    ValidationSet = _term(PROVML.ValidationSet)
    TestSet = _term(PROVML.TestSet)
    TrainedModel = _term(PROVML.TrainedModel)
    Checkpoint = _term(PROVML.Checkpoint)
    Predictions = _term(PROVML.Predictions)
    Artifact = _term(PROVML.Artifact)
    # Capture additions (issue 13): annotations, planned learning stages, hyperparameter kinds.
    Annotation = _term(PROVML.Annotation)
    PlannedLearningStage = _term(PROVML.PlannedLearningStage)
    ModelHyperparameter = _term(PROVML.ModelHyperparameter)
    AlgorithmHyperparameter = _term(PROVML.AlgorithmHyperparameter)


class P:
    """Properties."""

    type = _term(RDF.type)
    label = _term(RDFS.label)
    # PROV-O
    used = _term(PROV.used)
    wasGeneratedBy = _term(PROV.wasGeneratedBy)
    wasDerivedFrom = _term(PROV.wasDerivedFrom)
    wasAssociatedWith = _term(PROV.wasAssociatedWith)
    actedOnBehalfOf = _term(PROV.actedOnBehalfOf)
    wasInfluencedBy = _term(PROV.wasInfluencedBy)
    wasInformedBy = _term(PROV.wasInformedBy)
    startedAtTime = _term(PROV.startedAtTime)
    endedAtTime = _term(PROV.endedAtTime)
    generatedAtTime = _term(PROV.generatedAtTime)
    wasInvalidatedBy = _term(PROV.wasInvalidatedBy)
    invalidatedAtTime = _term(PROV.invalidatedAtTime)
    value = _term(PROV.value)
    qualifiedUsage = _term(PROV.qualifiedUsage)
    qualifiedGeneration = _term(PROV.qualifiedGeneration)
    entity = _term(PROV.entity)
    activity = _term(PROV.activity)
    hadRole = _term(PROV.hadRole)
    # provml
    executesPlan = _term(PROVML.executesPlan)
    partOfExecution = _term(PROVML.partOfExecution)
    partOfStudy = _term(PROVML.partOfStudy)
    sectionIndex = _term(PROVML.sectionIndex)
    status = _term(PROVML.status)
    errorMessage = _term(PROVML.errorMessage)
    pid = _term(PROVML.pid)
    processRank = _term(PROVML.processRank)
    localRank = _term(PROVML.localRank)
    worldSize = _term(PROVML.worldSize)
    onNode = _term(PROVML.onNode)
    usesGPU = _term(PROVML.usesGPU)
    hostName = _term(PROVML.hostName)
    deviceIdentifier = _term(PROVML.deviceIdentifier)
    ranInJob = _term(PROVML.ranInJob)
    jobIdentifier = _term(PROVML.jobIdentifier)
    schedulerName = _term(PROVML.schedulerName)
    allocatedNode = _term(PROVML.allocatedNode)
    softwareName = _term(PROVML.softwareName)
    softwareVersion = _term(PROVML.softwareVersion)
    commandLine = _term(PROVML.commandLine)
    workingDirectory = _term(PROVML.workingDirectory)
    gitCommit = _term(PROVML.gitCommit)
    gitBranch = _term(PROVML.gitBranch)
    gitDirty = _term(PROVML.gitDirty)
    gitRemote = _term(PROVML.gitRemote)
    hasDomainAttribute = _term(PROVML.hasDomainAttribute)
    attributeName = _term(PROVML.attributeName)
    unit = _term(PROVML.unit)
    filePath = _term(PROVML.filePath)
    sizeBytes = _term(PROVML.sizeBytes)
    sha256 = _term(PROVML.sha256)
    versionOf = _term(PROVML.versionOf)
    mediaFormat = _term(PROVML.mediaFormat)
    hasArchitecture = _term(PROVML.hasArchitecture)
    frameworkName = _term(PROVML.frameworkName)
    parameterName = _term(PROVML.parameterName)
    specifiesHyperparameter = _term(PROVML.specifiesHyperparameter)
    measureName = _term(PROVML.measureName)
    step = _term(PROVML.step)
    epoch = _term(PROVML.epoch)
    split = _term(PROVML.split)
    evaluatesModel = _term(PROVML.evaluatesModel)
    declaresInput = _term(PROVML.declaresInput)
    declaresOutput = _term(PROVML.declaresOutput)
    declaredType = _term(PROVML.declaredType)
    hasDataSchema = _term(PROVML.hasDataSchema)
    storedIn = _term(PROVML.storedIn)
    # Capture additions (issue 13): annotations, step numbers.
    comment = _term(RDFS.comment)
    wasAttributedTo = _term(PROV.wasAttributedTo)
    annotates = _term(PROVML.annotates)
    annotationKey = _term(PROVML.annotationKey)
    supersedes = _term(PROVML.supersedes)
    stepNumber = _term(PROVML.stepNumber)


class D:
    """Datatypes, as the `^^<...>` suffix of a typed literal."""

    integer = f"^^<{XSD.integer}>"
    long = f"^^<{XSD.long}>"
    double = f"^^<{XSD.double}>"
    boolean = f"^^<{XSD.boolean}>"
    dateTime = f"^^<{XSD.dateTime}>"
