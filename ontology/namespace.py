"""provml's ontology terms as a DefinedNamespace: typos raise, never mint IRIs.

Generated from provml.ttl by `python tools/generate_namespace.py`; do not edit.
"""

from rdflib.namespace import DefinedNamespace, Namespace
from rdflib.term import URIRef


class PROVML(DefinedNamespace):
    """provml: provenance for the lifecycle of scientific machine learning (PROV-O extension)."""

    _fail = True
    _NS = Namespace("https://w3id.org/provml/ontology#")

    Algorithm: URIRef  # algorithm
    AlgorithmHyperparameter: URIRef  # learning algorithm hyperparameter
    Annotation: URIRef  # annotation
    Artifact: URIRef  # artifact
    AttributeDeclaration: URIRef  # attribute declaration
    BaseLearningStage: URIRef  # base learning stage
    Checkpoint: URIRef  # checkpoint
    Cleaning: URIRef  # cleaning
    ComputeNode: URIRef  # compute node
    ComputeResource: URIRef  # compute resource
    CuratedData: URIRef  # curated data
    DataAcquisition: URIRef  # data acquisition
    DataCuration: URIRef  # data curation
    DataSchema: URIRef  # data schema
    DataStore: URIRef  # data store
    DataTransformation: URIRef  # data transformation
    DomainAttribute: URIRef  # domain attribute
    DomainData: URIRef  # domain data
    Epoch: URIRef  # epoch
    Evaluation: URIRef  # evaluation
    EvaluationMeasure: URIRef  # evaluation measure
    Feature: URIRef  # feature
    FeatureSet: URIRef  # feature set
    Filtering: URIRef  # filtering
    GPU: URIRef  # GPU
    HPCJob: URIRef  # HPC job
    Hyperparameter: URIRef  # hyperparameter
    HyperparameterSetting: URIRef  # hyperparameter setting
    Inference: URIRef  # inference
    Iteration: URIRef  # iteration
    Labelling: URIRef  # labelling
    LearningData: URIRef  # learning data
    LearningDataPreparation: URIRef  # learning data preparation
    LearningExperiment: URIRef  # learning experiment
    LearningStage: URIRef  # learning stage
    LearningStageSection: URIRef  # learning stage section
    LearningTask: URIRef  # learning task
    MetricSummary: URIRef  # metric summary
    Model: URIRef  # model
    ModelArchitecture: URIRef  # model architecture
    ModelHyperparameter: URIRef  # model hyperparameter
    Normalisation: URIRef  # normalisation
    PatchExtraction: URIRef  # patch extraction
    Persona: URIRef  # persona
    PlannedLearningStage: URIRef  # planned learning stage
    Predictions: URIRef  # predictions
    Process: URIRef  # process
    RawData: URIRef  # raw data
    Software: URIRef  # software
    Splitting: URIRef  # splitting
    Study: URIRef  # study
    TaskExecution: URIRef  # task execution
    TestSet: URIRef  # test set
    TrainedModel: URIRef  # trained model
    Training: URIRef  # training
    TrainingSet: URIRef  # training set
    Validation: URIRef  # validation
    ValidationSet: URIRef  # validation set
    Workflow: URIRef  # workflow
    WorkflowExecution: URIRef  # workflow execution
    addressesTask: URIRef  # addresses task
    allocatedNode: URIRef  # allocated node
    annotates: URIRef  # annotates
    annotationKey: URIRef  # annotation key
    attributeName: URIRef  # attribute name
    commandLine: URIRef  # command line
    declaredType: URIRef  # declared type
    declaresInput: URIRef  # declares input
    declaresOutput: URIRef  # declares output
    derivedFromRawData: URIRef  # derived from raw data
    deviceIdentifier: URIRef  # device identifier
    deviceModel: URIRef  # device model
    durationSeconds: URIRef  # duration in seconds
    epoch: URIRef  # epoch number
    errorMessage: URIRef  # error message
    evaluatesModel: URIRef  # evaluates model
    executesPlan: URIRef  # executes plan
    filePath: URIRef  # file path
    finalValue: URIRef  # final value
    frameworkName: URIRef  # framework name
    gitBranch: URIRef  # git branch
    gitCommit: URIRef  # git commit
    gitDirty: URIRef  # uncommitted changes
    gitRemote: URIRef  # git remote
    hasArchitecture: URIRef  # has architecture
    hasDataSchema: URIRef  # has data schema
    hasDataTransformation: URIRef  # has data transformation
    hasDomainAttribute: URIRef  # has domain attribute
    hasFeatureSet: URIRef  # has feature set
    hasHyperparameter: URIRef  # has hyperparameter
    highestValue: URIRef  # highest value
    hostName: URIRef  # host name
    jobIdentifier: URIRef  # job identifier
    lastEpoch: URIRef  # last epoch
    localRank: URIRef  # local rank
    lowestValue: URIRef  # lowest value
    measureName: URIRef  # measure name
    mediaFormat: URIRef  # media format
    onNode: URIRef  # on node
    parameterName: URIRef  # parameter name
    partOfExecution: URIRef  # part of execution
    partOfStudy: URIRef  # part of study
    personaRole: URIRef  # persona role
    pid: URIRef  # process id
    processRank: URIRef  # process rank
    ranInJob: URIRef  # ran in job
    schedulerName: URIRef  # scheduler name
    sectionIndex: URIRef  # section index
    sha256: URIRef  # SHA-256 digest
    sizeBytes: URIRef  # size in bytes
    softwareName: URIRef  # software name
    softwareVersion: URIRef  # software version
    specifiesHyperparameter: URIRef  # specifies hyperparameter
    split: URIRef  # data split
    status: URIRef  # status
    step: URIRef  # step
    stepNumber: URIRef  # step number
    storedIn: URIRef  # stored in
    summarizedMetric: URIRef  # summarized metric
    summarizedSplit: URIRef  # summarized split
    summarizesExecution: URIRef  # summarizes execution
    supersedes: URIRef  # supersedes
    trainedOnDataDerivedFrom: URIRef  # trained on data derived from
    unit: URIRef  # unit
    usesGPU: URIRef  # uses GPU
    valueOfAttribute: URIRef  # value of attribute
    versionOf: URIRef  # version of
    workingDirectory: URIRef  # working directory
    worldSize: URIRef  # world size
