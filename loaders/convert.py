"""Capture events (schema v1) to PROV-ML triples, as N-Quads lines.

Statements about the run and what is inside it (tasks, processes, parameter settings, measures)
go in the run's named graph, with what the run did to shared things (who acted for whom, which
task generated an entity); descriptions of shared things (workflows, entities and their
attributes, agents, nodes, software) go once in `iris.SHARED_GRAPH`.

`convert(event)` takes one validated event and returns its N-Quads lines; it keeps no state, so
events convert in any order, in any process, and a replay writes the same quads again. The
mapping, event by event, is in docs/loaders.md. What needs several events (the workflow's steps,
one start time for a run that several ranks started) is settled after loading by the SPARQL
updates in `provml.loaders.finish`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from typing import Any

from provml.loaders import iris
from provml.loaders import ntriples as nt
from provml.loaders.attributes import flatten
from provml.loaders.terms import C, P

Quads = list[str]
# add(subject, predicate, object[, graph]): the graph by the subject's place unless given.
Add = Callable[..., None]

# Statements about shared things that record what happened in one run: they stay in its graph.
_RUN_FACTS = frozenset(
    (P.actedOnBehalfOf, P.wasGeneratedBy, P.generatedAtTime, P.qualifiedGeneration)
)
_SECTION_STAGES = {"epoch": C.Epoch, "iteration": C.Iteration}
_STAGES = {
    "training": C.Training,
    "validation": C.Validation,
    "evaluation": C.Evaluation,
    **_SECTION_STAGES,
}
_OPERATIONS = {
    "curation": {
        "cleaning": C.Cleaning,
        "filtering": C.Filtering,
        "labelling": C.Labelling,
        "labeling": C.Labelling,
    },
    "preparation": {
        "normalisation": C.Normalisation,
        "normalization": C.Normalisation,
        "patch_extraction": C.PatchExtraction,
        "splitting": C.Splitting,
    },
}
_PHASES = {
    "acquisition": C.DataAcquisition,
    "curation": C.DataCuration,
    "preparation": C.LearningDataPreparation,
    "learning": C.LearningStage,
    "inference": C.Inference,
    "other": C.TaskExecution,
}
_HYPERPARAMETER_KINDS = {"model": C.ModelHyperparameter, "algorithm": C.AlgorithmHyperparameter}
_ENTITY_TYPES = {
    "raw_data": C.RawData,
    "domain_data": C.DomainData,
    "learning_data": C.LearningData,
    "training_set": C.TrainingSet,
    "validation_set": C.ValidationSet,
    "test_set": C.TestSet,
    "model": C.TrainedModel,
    "checkpoint": C.Checkpoint,
    "predictions": C.Predictions,
    "artifact": C.Artifact,
}


def task_class(phase: str, stage: str | None, operation: str | None) -> str:
    """The TaskExecution subclass for a task: its learning stage, else its operation, else phase."""
    if stage is not None:
        return _STAGES[stage]
    if operation is not None:
        by_operation = _OPERATIONS.get(phase, {}).get(operation.strip().lower().replace(" ", "_"))
        if by_operation is not None:
            return by_operation
    return _PHASES[phase]


def convert(event: Mapping[str, Any]) -> Quads:
    """The N-Quads lines of one schema-valid event (each ending in a newline).

    Raises ValueError, OverflowError or OSError for a value no literal can hold (a time outside
    the calendar).
    """
    if event["kind"] == "metrics":
        return _metrics(event)
    if event["kind"] == "annotation":
        return _annotation(event)
    quads: Quads = []
    graph = iris.run(event["run"])
    inside_run = graph[:-1] + "/"

    def add(subject: str, predicate: str, obj: str, where: str | None = None) -> None:
        if where is None:
            in_run = subject == graph or subject.startswith(inside_run) or predicate in _RUN_FACTS
            where = graph if in_run else iris.SHARED_GRAPH
        quads.append(f"{subject} {predicate} {obj} {where} .\n")

    _CONVERTERS[event["kind"]](event, add)
    return quads


def _metrics(event: Mapping[str, Any]) -> Quads:
    """Metrics, the bulk of every spool: one EvaluationMeasure per key, written inline."""
    text, _ = metrics_nquads(event)
    return [line + "\n" for line in text.split("\n")[:-1]]  # escaped in every term


_MEASURE_TYPE = f"{P.type} {C.EvaluationMeasure}"


def metrics_nquads(event: Mapping[str, Any]) -> tuple[str, int]:
    """The N-Quads of one schema-valid metrics event as one text, and how many lines it holds:
    what `convert` returns for it, joined (the loader's fast path: one string per event)."""
    run = event["run"]
    graph = iris.run(run)
    task = event.get("task")
    activity = graph if task is None else iris.task(run, task)
    tail = f" {graph} .\n"
    # Statements every measure of the event makes, in `convert`'s order.
    common = [
        f"{P.wasGeneratedBy} {activity}",
        f"{P.generatedAtTime} {nt.timestamp(event['t'])}",
    ]
    step, epoch, split, model = (event.get(key) for key in ("step", "epoch", "split", "model"))
    if step is not None:
        common.append(f"{P.step} {nt.integer(step)}")
    if epoch is not None:
        common.append(f"{P.epoch} {nt.integer(epoch)}")
    if split is not None:
        common.append(f"{P.split} {nt.string(split)}")
    if model is not None:
        common.append(f"{P.evaluatesModel} {iris.entity(model)}")
    prefix = f"<{iris.RUNS}{iris.segment(run)}/metric/{event['id']}/"
    texts = []
    for key, value in event["values"].items():
        measure = f"{prefix}{iris.segment(key)}> "
        number = nt.double(value) if isinstance(value, float) else nt.integer(value)
        between = tail + measure
        texts.append(
            f"{measure}{_MEASURE_TYPE}{between}{P.value} {number}{between}"
            f"{P.measureName} {nt.string(key)}{between}{between.join(common)}{tail}"
        )
    return "".join(texts), len(texts) * (3 + len(common))


def _run_start(event: Mapping[str, Any], add: Add) -> None:
    run_id = event["run"]
    run = iris.run(run_id)
    name = event["name"]
    add(run, P.type, C.WorkflowExecution)
    add(run, P.label, nt.string(name))
    # An explicit start (a historical run) is the run's start; `t` is when it was captured.
    add(run, P.startedAtTime, nt.timestamp(event.get("started_at", event["t"])))
    workflow = iris.named("workflow", name)
    add(workflow, P.type, C.Workflow)
    add(workflow, P.label, nt.string(name))
    add(run, P.executesPlan, workflow)

    user = iris.named("person", event["user"])
    add(user, P.type, C.Person)
    add(user, P.type, C.Persona)
    add(user, P.label, nt.string(event["user"]))
    add(run, P.wasAssociatedWith, user)
    if event.get("on_behalf_of") is not None:
        principal = iris.named("person", event["on_behalf_of"])
        add(principal, P.type, C.Agent)
        add(principal, P.label, nt.string(event["on_behalf_of"]))
        add(user, P.actedOnBehalfOf, principal)

    host = event["host"]
    hpc = event.get("hpc") or {}
    process = _process(run_id, host, event["pid"], hpc.get("rank"), add)
    add(run, P.wasAssociatedWith, process)
    add(process, P.actedOnBehalfOf, user)
    if hpc.get("local_rank") is not None:
        add(process, P.localRank, nt.integer(hpc["local_rank"]))
    if hpc.get("world_size") is not None:
        add(process, P.worldSize, nt.integer(hpc["world_size"]))
    if "argv" in event:
        add(process, P.commandLine, nt.string(" ".join(event["argv"])))
    if "cwd" in event:
        add(process, P.workingDirectory, nt.string(event["cwd"]))
    node = iris.named("node", host)
    if hpc.get("node") not in (None, host):
        add(node, P.deviceIdentifier, nt.string(hpc["node"]))
    for device in hpc.get("gpus", ()):
        gpu = iris.gpu(host, device)
        add(gpu, P.type, C.GPU)
        add(gpu, P.deviceIdentifier, nt.string(device))
        add(gpu, P.onNode, node)
        add(process, P.usesGPU, gpu)
    if hpc.get("job_id") is not None:
        job = iris.job(hpc.get("scheduler"), hpc["job_id"])
        add(job, P.type, C.HPCJob)
        add(job, P.jobIdentifier, nt.string(hpc["job_id"]))
        if hpc.get("scheduler") is not None:
            add(job, P.schedulerName, nt.string(hpc["scheduler"]))
        add(job, P.allocatedNode, node)
        add(run, P.ranInJob, job)

    software = dict(event.get("software") or {})
    if "python" in event:
        software.setdefault("python", event["python"])
    for package, version in software.items():
        _software(run, package, version, add)
    if "platform" in event:
        system, _, release = event["platform"].partition("-")
        _software(run, system, release, add)

    git = event.get("git")
    if git:
        add(run, P.gitCommit, nt.string(git["commit"]))
        if git.get("branch") is not None:
            add(run, P.gitBranch, nt.string(git["branch"]))
        if "dirty" in git:
            add(run, P.gitDirty, nt.boolean(git["dirty"]))
        if git.get("remote") is not None:
            add(run, P.gitRemote, nt.string(git["remote"]))

    experiment, study = event.get("experiment"), event.get("study")
    if study is not None:
        study_iri = iris.named("study", study)
        add(study_iri, P.type, C.Study)
        add(study_iri, P.label, nt.string(study))
        add(run, P.wasInfluencedBy, study_iri)
    if experiment is not None:
        experiment_iri = iris.named("experiment", experiment)
        add(experiment_iri, P.type, C.LearningExperiment)
        add(experiment_iri, P.label, nt.string(experiment))
        add(run, P.wasInfluencedBy, experiment_iri)
        if study is not None:
            add(experiment_iri, P.partOfStudy, study_iri)
    _attributes(run, event.get("attributes"), add)


def _process(run_id: str, host: str, pid: int, rank: int | None, add: Add) -> str:
    """A Process agent on its ComputeNode (written by run_start and task_start alike)."""
    process = iris.process(run_id, host, pid)
    node = iris.named("node", host)
    add(process, P.type, C.Process)
    add(process, P.pid, nt.integer(pid))
    add(process, P.onNode, node)
    if rank is not None:
        add(process, P.processRank, nt.integer(rank))
    add(node, P.type, C.ComputeNode)
    add(node, P.hostName, nt.string(host))
    return process


def _software(run: str, name: str, version: str, add: Add) -> None:
    software = iris.software(name, version)
    add(software, P.type, C.Software)
    add(software, P.softwareName, nt.string(name))
    add(software, P.softwareVersion, nt.string(version))
    add(run, P.wasAssociatedWith, software)


def _run_end(event: Mapping[str, Any], add: Add) -> None:
    _ended(iris.run(event["run"]), event, add)


def _ended(activity: str, event: Mapping[str, Any], add: Add) -> None:
    add(activity, P.endedAtTime, nt.timestamp(event.get("ended_at", event["t"])))
    add(activity, P.status, nt.string(event["status"]))
    if event.get("error") is not None:
        add(activity, P.errorMessage, nt.string(event["error"]))


def _task_start(event: Mapping[str, Any], add: Add) -> None:
    run_id = event["run"]
    task = iris.task(run_id, event["task"])
    stage = event.get("stage")
    name = event["name"]
    add(task, P.type, task_class(event["phase"], stage, event.get("operation")))
    add(task, P.label, nt.string(name))
    add(task, P.startedAtTime, nt.timestamp(event.get("started_at", event["t"])))
    parent = event.get("parent")
    add(task, P.partOfExecution, iris.run(run_id) if parent is None else iris.task(run_id, parent))
    attributes = event.get("attributes") or {}
    if stage in _SECTION_STAGES:
        # A section (epoch, iteration) is part of its stage, which executes the plan.
        index = _section_index(name, stage, attributes)
        if index is not None:
            add(task, P.sectionIndex, nt.integer(index))
    else:
        transformation = iris.named("transformation", name)
        add(transformation, P.type, C.DataTransformation)
        if event["phase"] == "learning":
            # The learning stage as planned, which this execution carries out (PROV-ML's pair).
            add(transformation, P.type, C.PlannedLearningStage)
        add(transformation, P.label, nt.string(name))
        add(task, P.executesPlan, transformation)
    if "host" in event and "pid" in event:
        process = _process(run_id, event["host"], event["pid"], event.get("rank"), add)
        add(task, P.wasAssociatedWith, process)
    _task_details(task, event, add)
    _attributes(task, attributes, add)


def _task_details(task: str, event: Mapping[str, Any], add: Add) -> None:
    """A task's step number, command line and tool, where capture recorded them."""
    if event.get("step") is not None:
        add(task, P.stepNumber, nt.integer(event["step"]))
    if event.get("command") is not None:
        add(task, P.commandLine, nt.string(event["command"]))
    tool = event.get("tool")
    if tool is not None:
        version = event.get("tool_version")
        if version is None:
            software = iris.named("software", tool)
            add(software, P.type, C.Software)
            add(software, P.softwareName, nt.string(tool))
            add(task, P.wasAssociatedWith, software)
        else:
            _software(task, tool, version, add)


def _section_index(name: str, stage: str, attributes: Mapping[str, Any]) -> int | None:
    """An epoch's or iteration's index: attribute `index`, else `epoch`/`iteration`, else the
    number that ends its name ("epoch 3")."""
    for key in ("index", stage):
        value = attributes.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return value
    digits = len(name) - len(name.rstrip("0123456789"))
    return int(name[-digits:]) if digits else None


def _annotation(event: Mapping[str, Any]) -> Quads:
    """An annotation after the fact: in the annotations graph, its author in the shared one.

    Which annotation supersedes which is settled after loading (`annotation_chain.py`),
    as it depends on the other annotations of the same target and key.
    """
    node = iris.annotation(event["id"])
    target = event["target"]
    if "iri" in target:
        about = f"<{target['iri']}>"
    elif "entity" in target:
        about = iris.entity(target["entity"])
    elif "task" in target:
        about = iris.task(target["run"], target["task"])
    else:
        about = iris.run(target["run"])
    author = iris.named("person", event["by"])
    graph = iris.ANNOTATIONS_GRAPH
    lines = [
        (node, P.type, C.Annotation),
        (node, P.annotates, about),
        (node, P.annotationKey, nt.string(event["key"])),
        (node, P.value, nt.scalar(event["value"])),
        (node, P.wasAttributedTo, author),
        (node, P.generatedAtTime, nt.timestamp(event["at"])),
    ]
    if event.get("unit") is not None:
        lines.append((node, P.unit, nt.string(event["unit"])))
    if event.get("comment") is not None:
        lines.append((node, P.comment, nt.string(event["comment"])))
    quads = [f"{s} {p} {o} {graph} .\n" for s, p, o in lines]
    shared = iris.SHARED_GRAPH
    quads.append(f"{author} {P.type} {C.Person} {shared} .\n")
    quads.append(f"{author} {P.label} {nt.string(event['by'])} {shared} .\n")
    return quads


def _task_end(event: Mapping[str, Any], add: Add) -> None:
    _ended(iris.task(event["run"], event["task"]), event, add)


def _entity(event: Mapping[str, Any], add: Add) -> None:
    entity = iris.entity(event["entity"])
    add(entity, P.type, _ENTITY_TYPES[event["type"]])
    add(entity, P.label, nt.string(event["name"]))
    if event.get("path") is not None:
        add(entity, P.filePath, nt.string(event["path"]))
    if event.get("size") is not None:
        add(entity, P.sizeBytes, nt.long(event["size"]))
    if event.get("sha256") is not None:
        add(entity, P.sha256, nt.string(event["sha256"]))
    if event.get("format") is not None:
        add(entity, P.mediaFormat, nt.string(event["format"]))
    if event.get("architecture") is not None:
        text = event["architecture"]
        # Shared by every model with the same description; long descriptions are common (the
        # repr of a network), so the IRI is a digest of the text.
        digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]
        architecture = iris.named("architecture", digest)
        add(architecture, P.type, C.ModelArchitecture)
        add(architecture, P.label, nt.string(text))
        add(entity, P.hasArchitecture, architecture)
    if event.get("framework") is not None:
        add(entity, P.frameworkName, nt.string(event["framework"]))
    for source in event.get("derived_from", ()):
        add(entity, P.wasDerivedFrom, iris.entity(source))
    _attributes(entity, event.get("attributes"), add)


def _used(event: Mapping[str, Any], add: Add) -> None:
    task = iris.task(event["run"], event["task"])
    stable = iris.entity(event["entity"])
    key = event.get("version")
    entity = stable if key is None else iris.entity_version(event["entity"], key)
    if key is not None and key.startswith("sha256-"):
        # Content read with a hash: the same content is the same version in every run.
        _version(entity, stable, event, add)
    add(task, P.used, entity)
    role = event.get("role")
    if role is not None:
        usage = iris.in_run(event["run"], "usage", event["id"])
        add(task, P.qualifiedUsage, usage)
        add(usage, P.type, C.Usage)
        add(usage, P.entity, entity)
        add(usage, P.hadRole, _role(role, add))


def _generated(event: Mapping[str, Any], add: Add) -> None:
    """A new version of the entity, keyed by the event's id, with the derivations it names."""
    task = iris.task(event["run"], event["task"])
    version = iris.entity_version(event["entity"], event["id"])
    graph = iris.run(event["run"])

    def in_run(subject: str, predicate: str, obj: str) -> None:
        add(subject, predicate, obj, graph)

    _version(version, iris.entity(event["entity"]), event, in_run)
    in_run(version, P.wasGeneratedBy, task)
    in_run(version, P.generatedAtTime, nt.timestamp(event["t"]))
    for source in event.get("derived_from", ()):
        key = source.get("version")
        ancestor = iris.entity(source["entity"])
        if key is not None:
            ancestor = iris.entity_version(source["entity"], key)
        in_run(version, P.wasDerivedFrom, ancestor)
    role = event.get("role")
    if role is not None:
        generation = iris.in_run(event["run"], "generation", event["id"])
        in_run(version, P.qualifiedGeneration, generation)
        add(generation, P.type, C.Generation)
        add(generation, P.activity, task)
        add(generation, P.hadRole, _role(role, add))


def _invalidated(event: Mapping[str, Any], add: Add) -> None:
    """The version (else the stable entity) stopped existing at the event's time, by the task."""
    key = event.get("version")
    entity = (
        iris.entity(event["entity"]) if key is None else iris.entity_version(event["entity"], key)
    )
    graph = iris.run(event["run"])
    add(entity, P.wasInvalidatedBy, iris.task(event["run"], event["task"]), graph)
    add(entity, P.invalidatedAtTime, nt.timestamp(event["t"]), graph)


def _version(version: str, stable: str, event: Mapping[str, Any], add: Add) -> None:
    """A version's own triples: what it is a version of, its class, hash and size if known."""
    add(version, P.versionOf, stable)
    if event.get("type") is not None:
        add(version, P.type, _ENTITY_TYPES[event["type"]])
    if event.get("sha256") is not None:
        add(version, P.sha256, nt.string(event["sha256"]))
    if event.get("size") is not None:
        add(version, P.sizeBytes, nt.long(event["size"]))


def _role(role: str, add: Add) -> str:
    node = iris.named("role", role)
    add(node, P.type, C.Role)
    add(node, P.label, nt.string(role))
    return node


def _params(event: Mapping[str, Any], add: Add) -> None:
    run_id = event["run"]
    task = event.get("task")
    owner = iris.run(run_id) if task is None else iris.task(run_id, task)
    kind = event.get("hyperparameter_kind")
    for key, value in event["values"].items():
        setting = iris.param(owner, key)
        hyperparameter = iris.named("hyperparameter", key)
        add(setting, P.type, C.HyperparameterSetting)
        add(setting, P.parameterName, nt.string(key))
        # A setting always has a value (shape SettingValue); JSON null is kept as the text "null".
        add(setting, P.value, nt.string("null") if value is None else nt.scalar(value))
        add(setting, P.specifiesHyperparameter, hyperparameter)
        add(hyperparameter, P.type, C.Hyperparameter)
        if kind is not None:
            # Also the plain class: queries match it without subclass reasoning.
            add(hyperparameter, P.type, _HYPERPARAMETER_KINDS[kind])
        add(hyperparameter, P.parameterName, nt.string(key))
        add(owner, P.used, setting)


def _plan(event: Mapping[str, Any], add: Add) -> None:
    name = event["name"]
    transformation = iris.named("transformation", name)
    add(transformation, P.type, C.DataTransformation)
    add(transformation, P.label, nt.string(name))
    # In the run's graph: finish.py links the run's workflow to the plans its runs declared.
    add(iris.run(event["run"]), P.wasInfluencedBy, transformation)
    store = event.get("store")
    store_iri = None
    if store is not None:
        store_iri = iris.named("store", store)
        add(store_iri, P.type, C.DataStore)
        add(store_iri, P.label, nt.string(store))
    for direction, declared in ((P.declaresInput, "inputs"), (P.declaresOutput, "outputs")):
        for item in event.get(declared, ()):
            declaration = iris.named("declaration", item["name"])
            add(declaration, P.type, C.AttributeDeclaration)
            add(declaration, P.attributeName, nt.string(item["name"]))
            if item.get("type") is not None:
                add(declaration, P.declaredType, nt.string(item["type"]))
            if item.get("schema") is not None:
                schema = iris.named("schema", item["schema"])
                add(schema, P.type, C.DataSchema)
                add(schema, P.label, nt.string(item["schema"]))
                add(declaration, P.hasDataSchema, schema)
            add(transformation, direction, declaration)
            if store_iri is not None and direction == P.declaresOutput:
                add(declaration, P.storedIn, store_iri)
    if store_iri is not None and not event.get("outputs"):
        add(transformation, P.storedIn, store_iri)


def _attributes(owner: str, attributes: Mapping[str, Any] | None, add: Add) -> None:
    """Domain attributes of an entity, task or run (see `provml.loaders.attributes`)."""
    if not attributes:
        return
    for name, value, unit in flatten(attributes):
        attribute = iris.attribute(owner, name)
        add(owner, P.hasDomainAttribute, attribute)
        add(attribute, P.type, C.DomainAttribute)
        add(attribute, P.attributeName, nt.string(name))
        add(attribute, P.value, nt.scalar(value))
        if unit is not None:
            add(attribute, P.unit, nt.string(unit))


_CONVERTERS: dict[str, Callable[[Mapping[str, Any], Add], None]] = {
    "run_start": _run_start,
    "run_end": _run_end,
    "task_start": _task_start,
    "task_end": _task_end,
    "entity": _entity,
    "used": _used,
    "generated": _generated,
    "invalidated": _invalidated,
    "params": _params,
    "plan": _plan,
}
