"""Golden tests of the canned queries: a lifecycle written with the real capture API, loaded
with the real loader into an Oxigraph store on disk, and the exact rows each query must return.

The expected rows are data, one file per query in tests/data/queries/golden/ (README.md there
describes the format): values the capture decides (times, host, user, paths) are named there
and taken from the lifecycle's events here."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from pyoxigraph import Literal, NamedNode

from provml import Workflow
from provml.kg import open_store
from provml.kg.sparql_text import query_form
from provml.loaders.load import load_spools
from provml.queries import PLAIN_QUERIES, get_query, run_query
from provml.queries.catalog import LATENCIES
from provml.queries.params import to_term
from provml.synth.population import RECIPES
from tests.helpers import query_data as data

ID = "https://w3id.org/provml/id/"
XSD = "http://www.w3.org/2001/XMLSchema#"
WORKFLOW = f"{ID}workflow/fault%20segmentation"
#: Every run's label: the workflow name its run_start event recorded.
WORKFLOW_NAME = data.WORKFLOW
QUERY_FILES = sorted(
    (path for path in resources.files("provml.queries").iterdir() if path.name.endswith(".rq")),
    key=lambda path: path.name,
)
GOLDEN = Path(__file__).parents[1] / "data" / "queries" / "golden"


def iri(path: str) -> NamedNode:
    """An IRI under the provml id base."""
    return NamedNode(ID + path)


def integer(value: int) -> Literal:
    """An xsd:integer term."""
    return Literal(str(value), datatype=NamedNode(XSD + "integer"))


def double(value: float) -> Literal:
    """An xsd:double term."""
    return Literal(repr(value), datatype=NamedNode(XSD + "double"))


def boolean(value: bool) -> Literal:
    """An xsd:boolean term."""
    return Literal("true" if value else "false", datatype=NamedNode(XSD + "boolean"))


def plain(term: Any) -> Any:
    """A result term as a plain Python value: IRIs without the id base, typed literals."""
    if term is None:
        return None
    if isinstance(term, NamedNode):
        return term.value.removeprefix(ID)
    datatype = term.datatype.value.removeprefix(XSD)
    if datatype in ("integer", "long", "int"):
        return int(term.value)
    if datatype in ("double", "decimal", "float"):
        return float(term.value)
    if datatype == "dateTime":
        return datetime.fromisoformat(term.value)
    if datatype == "boolean":
        return term.value in ("true", "1")
    return term.value


def query_text(name: str) -> str:
    """The text of a canned query, read from the installed package data."""
    return resources.files("provml.queries").joinpath(f"{name}.rq").read_text()


def ask(store: Any, name: str, **params: Any) -> list[tuple[Any, ...]]:
    """Run a canned query with engine-bound parameters; rows as tuples of plain values."""
    result = store.query(query_text(name), params)
    return [tuple(plain(row[variable]) for variable in result.variables) for row in result]


@pytest.fixture(scope="module")
def lifecycle(tmp_path_factory: pytest.TempPathFactory):
    """The three runs, loaded once into an on-disk Oxigraph store; (store, root, events)."""
    root = tmp_path_factory.mktemp("lifecycle")
    spools = data.write_lifecycle(root)
    store = open_store(root / "store")
    report = load_spools(store, spools, workers=1)
    assert report.bad == [] and report.runs == {"seis-a", "seis-b", "seis-c"}
    yield store, root, data.spool_events(spools)
    store.close()


def golden(name: str) -> dict[str, Any]:
    """A query's golden file: its remote case, extra plain cases and expected rows."""
    loaded: dict[str, Any] = json.loads((GOLDEN / f"{name}.json").read_text())
    return loaded


def terms(name: str, params: dict[str, Any]) -> dict[str, Any]:
    """A golden file's parameters as terms of their declared types (IRIs relative to ID)."""
    query = get_query(name)
    bound = {}
    for key, value in params.items():
        param = query.param(key)
        assert param is not None, (name, key)
        if param.type == "iri" and not re.match(r"[a-z][a-z0-9+.-]*:", value):  # absolute: as is
            value = ID + value
        bound[key] = to_term(param, value, name)
    return bound


def resolve(value: Any, lifecycle: Any, software: tuple[str, str] | None = None) -> Any:
    """A golden value, with `{"$": ...}` placeholders taken from the lifecycle's events."""
    if not isinstance(value, dict):
        return value
    _, root, events = lifecycle
    kind = value["$"]
    if kind == "path":
        return str(root / value["file"])
    if kind == "software" and software is not None:
        return software[0 if value["part"] == "name" else 1]
    if kind in ("task_start", "task_end"):
        return stamp(tasks_of(events, value["run"])[value["task"]][kind.removeprefix("task_")])
    if kind == "annotation":
        wanted = (value["key"], value["value"])
        event = next(
            e for e in events if e["kind"] == "annotation" and (e["key"], e["value"]) == wanted
        )
        return stamp(event["at"]) if value.get("field") == "at" else f"annotation/{event['id']}"
    if kind == "version":
        return version_of(events, value["entity"], value.get("run"))
    start = run_start(events, value["run"])
    if kind == "run_start":
        return start[value["field"]] if "field" in value else stamp(start["t"])
    if kind == "person":
        return person(events, value["run"])
    if kind == "command":
        return " ".join(start["argv"])
    if kind == "process":
        return f"{ID}run/{value['run']}/process/{quote(start['host'], safe='')}/{start['pid']}"
    if kind == "run_label":
        return start["name"]
    raise AssertionError(f"unknown golden placeholder {value!r}")


def version_of(events: list[dict[str, Any]], entity: str, run: str | None) -> str:
    """`entity/E/version/K`: the version run `run` generated (K its `generated` event's id), or
    without a run, the version of the content hash the entity's event recorded."""
    if run is None:
        digest = next(
            e["sha256"] for e in events if e["kind"] == "entity" and e["entity"] == entity
        )
        return f"entity/{entity}/version/sha256-{digest[:32]}"
    (key,) = [
        e["id"]
        for e in events
        if e["kind"] == "generated" and e["entity"] == entity and e["run"] == run
    ]
    return f"entity/{entity}/version/{key}"


def expected_rows(case: dict[str, Any], lifecycle: Any) -> list[tuple[Any, ...]]:
    """A golden case's rows, placeholders resolved; a `{"$each": "software"}` row stands for one
    row per (name, version) of the software its run recorded."""
    rows = []
    for row in case["rows"]:
        if isinstance(row, dict):
            for found in software_of(lifecycle[2], row["run"]):
                rows.append(tuple(resolve(v, lifecycle, found) for v in row["row"]))
        else:
            rows.append(tuple(resolve(v, lifecycle) for v in row))
    return rows


def shaped(rows: list[tuple[Any, ...]], case: dict[str, Any]) -> list[tuple[Any, ...]]:
    """A query's rows as a golden case lists them: without its `drop` columns, only its
    `columns` [start, stop] (the golden rows have just those)."""
    drop = set(case.get("drop", []))
    rows = [tuple(v for i, v in enumerate(row) if i not in drop) for row in rows]
    if "columns" in case:
        start, stop = case["columns"]
        rows = [row[start:stop] for row in rows]
    return rows


def ordered(rows: list[tuple[Any, ...]], case: dict[str, Any]) -> Any:
    """Rows as a golden case compares them: in the query's order, or with `compare`, `sorted`
    or as a `set`."""
    compare = case.get("compare", "rows")
    if compare == "sorted":
        return sorted(rows, key=lambda row: [(v is None, str(v)) for v in row])
    return set(rows) if compare == "set" else rows


GOLDEN_CASES = [
    (path.stem, index)
    for path in sorted(GOLDEN.glob("*.json"))
    for index in range(len(json.loads(path.read_text())["cases"]))
]


@pytest.mark.parametrize(("name", "index"), GOLDEN_CASES, ids=[f"{n}-{i}" for n, i in GOLDEN_CASES])
def test_golden_rows(name, index, lifecycle):
    store = lifecycle[0]
    case = golden(name)["cases"][index]
    rows = ask(store, name, **terms(name, case["params"]))
    expected = ordered(expected_rows(case, lifecycle), case)
    assert ordered(shaped(rows, case), case) == expected, case.get("why")


def test_a_late_upstream_run_extends_the_lineage_shortcuts(tmp_path):
    # The training run is loaded before the curation run that generated its data: after the
    # second load the shortcut-reading queries answer as the plain PROV-O path does.
    curation, training = "curate-late", "train-early"
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    common = dict(spool_dir=tmp_path / "spool", capture_git=False)
    with Workflow("late lineage", run_id=curation, **common) as wf:
        raw = wf.dataset(
            "block L",
            data_dir / "block_l.segy",
            id="block-l",
            type="raw_data",
            attributes={"inline": [10, 20]},
        )
        with wf.task("clean", "curation", operation="cleaning", used=[raw]) as clean:
            cleaned = wf.dataset("block L clean", id="block-l-clean", derived_from=[raw])
            clean.generated(cleaned)
    with Workflow("late lineage", run_id=training, **common) as wf:
        cleaned = wf.dataset("block L clean", id="block-l-clean")
        with wf.task("train", "learning", stage="training", used=[cleaned]) as train:
            with wf.task("epoch 0", "learning", stage="epoch"):
                wf.log_metric("iou", 0.6, epoch=0, split="validation")
            model = wf.model("late model", id="late-model")
            train.generated(model)
    # The model is the version the training generated.
    model_version = version_of(
        data.spool_events([tmp_path / "spool" / training]), "late-model", training
    )
    with open_store(tmp_path / "store") as store:
        load_spools(store, [tmp_path / "spool" / training], workers=1)
        # Before the curation run is loaded, the model's data descends from nothing raw.
        assert ask(store, "models_from_domain_file", file=iri("entity/block-l")) == []
        load_spools(store, [tmp_path / "spool" / curation], workers=1)
        plain_text = (PLAIN_QUERIES / "models_from_domain_file.rq").read_text()
        for file in ("entity/block-l", "entity/block-l-clean"):
            rows = ask(store, "models_from_domain_file", file=iri(file))
            assert rows == [(file, model_version, "late model", f"run/{training}", None)]
            plain_result = store.query(plain_text, {"file": iri(file)})
            plain_rows = [
                tuple(plain(row[v]) for v in plain_result.variables) for row in plain_result
            ]
            assert plain_rows == rows
        covering = ask(
            store,
            "models_covering_inline_range",
            inline_min=integer(15),
            inline_max=integer(30),
            metric=Literal("iou"),
            min_value=double(0.5),
        )
        assert [row[4] for row in covering] == [model_version]


def test_run_query_keeps_the_top_k_rows_the_header_limit_names(lifecycle):
    store, _, _ = lifecycle
    rows = run_query(store, "top_runs_by_metric", workflow=WORKFLOW, metric="iou", k=2)
    assert [row["run"] for row in rows] == [f"{ID}run/seis-a", f"{ID}run/seis-b"]
    assert len(run_query(store, "top_runs_by_metric", workflow=WORKFLOW, metric="iou", k=0)) == 0


def stamp(seconds: float) -> datetime:
    """An event time as the loader writes it (UTC, microseconds), for comparing with results."""
    return datetime.fromtimestamp(seconds, UTC)


def tasks_of(events: list[dict[str, Any]], run: str) -> dict[str, dict[str, Any]]:
    """A run's tasks by name: start and end event times, status, error."""
    by_id: dict[str, dict[str, Any]] = {}
    for event in events:
        if event["run"] == run and event["kind"] == "task_start":
            by_id[event["task"]] = {
                "name": event["name"],
                "start": event["t"],
                "end": None,
                "status": None,
                "error": None,
            }
    for event in events:
        if event["run"] == run and event["kind"] == "task_end":
            by_id[event["task"]].update(
                end=event["t"], status=event["status"], error=event["error"]
            )
    return {task["name"]: task for task in by_id.values()}


def run_start(events: list[dict[str, Any]], run: str) -> dict[str, Any]:
    """The run_start event of a run."""
    return next(e for e in events if e["run"] == run and e["kind"] == "run_start")


def person(events: list[dict[str, Any]], run: str) -> str:
    """The IRI path of the user who started a run."""
    return "person/" + quote(run_start(events, run)["user"], safe="")


def software_of(events: list[dict[str, Any]], run: str) -> list[tuple[str, str]]:
    """(name, version) of the software a run recorded, sorted by name as SPARQL sorts it."""
    start = run_start(events, run)
    found = set(start["software"].items()) | {("python", start["python"])}
    platform_name, _, platform_version = start["platform"].partition("-")
    found.add((platform_name, platform_version))
    return sorted(found)


OPS = "https://w3id.org/provml/ontology#"


def test_curation_steps_durations(lifecycle):
    store, _, _ = lifecycle
    rows = ask(store, "curation_steps", dataset=iri("entity/train-a"))
    assert rows
    for row in rows:
        assert row[5] == (row[4] - row[3]).total_seconds()


def test_task_times_slowest_first_with_the_failed_task(lifecycle):
    store, _, _ = lifecycle
    rows = ask(store, "task_times", run=iri("run/seis-b"))
    durations = [row[7] for row in rows]
    assert durations == sorted(durations, reverse=True)
    for row in rows:
        assert row[7] == (row[6] - row[5]).total_seconds()
    failed = [row for row in rows if row[4] == "failed"]
    assert [(row[2], row[10]) for row in failed] == [
        ("evaluate", "RuntimeError: GPU out of memory")
    ]
    # The running run's training has no end: no status, no duration, last.
    running = ask(store, "task_times", run=iri("run/seis-c"))
    assert running[-1][1:5] == (WORKFLOW_NAME, "train unet", OPS + "Training", None)
    assert running[-1][6:8] == (None, None)


PHASES = {
    "clean seismic": ("curation", "DataCuration"),
    "filter noise": ("curation", "DataCuration"),
    "split patches": ("preparation", "LearningDataPreparation"),
    "train unet": ("learning", "LearningStage"),
    "evaluate": ("learning", "LearningStage"),
    "predict faults": ("inference", "Inference"),
}


def expected_phase_times(events: list[dict[str, Any]], run: str) -> list[tuple[Any, ...]]:
    """phase_times' rows for a run, from the events: its ended top-level tasks by phase."""
    host, label = run_start(events, run)["host"], run_start(events, run)["name"]
    top = {e["task"] for e in events if e["run"] == run and e["kind"] == "task_start"}
    top -= {e["task"] for e in events if e["run"] == run and e.get("parent") is not None}
    ends = [e for e in events if e["run"] == run and e["kind"] == "run_end"]
    run_seconds = (
        (stamp(ends[0]["t"]) - stamp(run_start(events, run)["t"])).total_seconds() if ends else None
    )
    groups: dict[str, list[float]] = {}
    starts = {e["task"]: e for e in events if e["run"] == run and e["kind"] == "task_start"}
    for event in events:
        if event["run"] == run and event["kind"] == "task_end" and event["task"] in top:
            start = starts[event["task"]]
            seconds = (stamp(event["t"]) - stamp(start["t"])).total_seconds()
            groups.setdefault(start["name"], []).append(seconds)
    by_phase: dict[str, list[float]] = {}
    for name, durations in groups.items():
        by_phase.setdefault(PHASES[name][0], []).extend(durations)
    classes = dict(PHASES.values())
    rows = []
    for phase, durations in by_phase.items():
        seconds = round(sum(durations) * 1_000_000) / 1_000_000
        share = None if run_seconds is None else round(seconds / run_seconds, 6)
        row = (f"run/{run}", label, phase, OPS + classes[phase], host, len(durations), seconds)
        rows.append((*row, share, run_seconds))
    return sorted(rows, key=lambda row: (-row[6], row[2]))


def test_time_per_phase_and_node_of_a_run(lifecycle):
    store, _, events = lifecycle
    for run in ("seis-a", "seis-b"):
        rows = ask(store, "phase_times", run=iri(f"run/{run}"))
        assert rows == expected_phase_times(events, run)
    rows = ask(store, "phase_times", run=iri("run/seis-a"))
    # Top-level tasks only: the three epochs inside the training are not counted again.
    assert [row[2:6] for row in rows if row[2] == "learning"] == [
        ("learning", OPS + "LearningStage", run_start(events, "seis-a")["host"], 1)
    ]
    assert {row[2] for row in rows} == {"curation", "preparation", "learning", "inference"}
    assert 0 < sum(row[7] for row in rows) < 1
    # The run still going: its training has no end yet (left out), the run no duration.
    assert ask(store, "phase_times", run=iri("run/seis-c")) == expected_phase_times(
        events, "seis-c"
    )
    assert [row[2] for row in ask(store, "phase_times", run=iri("run/seis-c"))] == ["preparation"]


def test_phase_times_knows_the_phase_of_every_task_class():
    """The query's class -> phase table covers every class the loader gives a task, and agrees
    with the loader's phases and the ontology's class tree."""
    from rdflib import Graph, URIRef
    from rdflib.namespace import RDFS

    from provml.loaders.convert import _OPERATIONS, _PHASES, _STAGES
    from provml.ontology.paths import ONTOLOGY_FILE

    text = query_text("phase_times")
    table = re.findall(r"\(provml:(\w+) \"(\w+)\" provml:(\w+)\)", text)
    mapping = {cls: (phase, phase_class) for cls, phase, phase_class in table}
    assert len(mapping) == len(table)
    loader: dict[str, str] = {}
    for phase, cls in _PHASES.items():
        loader[cls] = phase
    for phase, operations in _OPERATIONS.items():
        for cls in operations.values():
            loader[cls] = phase
    for cls in _STAGES.values():
        loader[cls] = "learning"
    assert {f"<{OPS}{cls}>": phase for cls, (phase, _) in mapping.items()} == loader
    ontology = Graph().parse(ONTOLOGY_FILE)
    # The phases the ontology declares disjoint; learning stages and their sections share one.
    roots = {phase: URIRef(cls[1:-1]) for phase, cls in _PHASES.items()}
    roots["learning"] = URIRef(OPS + "BaseLearningStage")
    for cls, (phase, phase_class) in mapping.items():
        assert f"<{OPS}{phase_class}>" == _PHASES[phase]
        ancestors = set(ontology.transitive_objects(URIRef(OPS + cls), RDFS.subClassOf))
        assert roots[phase] in ancestors, (cls, phase)


def test_hyperparameters_name_a_task_of_their_own_run(lifecycle):
    store, _, _ = lifecycle
    rows = ask(store, "run_hyperparameters", workflow=NamedNode(WORKFLOW))
    # Task IRIs come from the capture; each row names a task of its own run.
    for _, run, run_label, _, task, *_ in rows:
        assert task.startswith(f"{run}/task/"), (run, task)
        assert run_label == WORKFLOW_NAME
    trainings = {(run, task) for _, run, _, _, task, label, *_ in rows if label == "train unet"}
    assert len(trainings) == 3


def test_runs_still_going_elapsed(lifecycle):
    store, _, events = lifecycle
    started = stamp(run_start(events, "seis-c")["t"])
    rows = ask(store, "running_runs", workflow=NamedNode(WORKFLOW))
    assert rows
    for row in rows:
        assert 0 < row[-1] <= (datetime.now(UTC) - started).total_seconds()


# -- every query file ------------------------------------------------------------------------
HEADER_KEYS = ("summary", "taxonomy", "params", "returns", "latency", "example")
TAXONOMY = {
    "data": {"domain", "ml", "execution"},
    "execution": {"online", "offline"},
    "training": {"intra", "inter", "none"},
    "phase": {"curation", "preparation", "learning", "inference", "across"},
    "provenance": {"prospective", "retrospective", "both"},
}
TYPES = {"iri", "string", "integer", "float", "datetime", "boolean"}


def parse_header(text: str) -> dict[str, str]:
    """The `#+ key: value` lines of a query (with `#+   ` continuation lines) as a dict."""
    header: dict[str, str] = {}
    key = None
    for line in text.splitlines():
        if not line.startswith("#+ "):
            if line.startswith("#"):
                continue
            break
        if line.startswith("#+   ") and key is not None:
            header[key] += " " + line[5:].strip()
            continue
        match = re.fullmatch(r"#\+ ([a-z_]+): (.+)", line)
        assert match, f"not a header line: {line!r}"
        key = match.group(1)
        assert key not in header, f"key {key} twice"
        header[key] = match.group(2).strip()
    return header


def projected(text: str) -> set[str]:
    """The variables the top-level SELECT projects (plain and `AS ?name`)."""
    body = text[text.index("SELECT") : text.index("WHERE")]
    names = set(re.findall(r"AS \?(\w+)\)", body))
    plain_part = body
    while re.search(r"\([^()]*\)", plain_part):  # innermost parentheses first, any depth
        plain_part = re.sub(r"\([^()]*\)", " ", plain_part)
    return names | set(re.findall(r"\?(\w+)", plain_part))


@pytest.mark.parametrize("path", QUERY_FILES, ids=lambda path: path.name)
def test_every_header_follows_the_contract(path):
    text = path.read_text()
    assert re.fullmatch(r"[a-z][a-z0-9_]*\.rq", path.name)
    header = parse_header(text)
    assert set(HEADER_KEYS) <= set(header) <= {*HEADER_KEYS, "description", "limit", "volatile"}
    cells = dict(part.strip().split("=", 1) for part in header["taxonomy"].split(";"))
    assert set(cells) == set(TAXONOMY)
    for axis, values in cells.items():
        chosen = {value.strip() for value in values.split(",")}
        assert chosen <= TAXONOMY[axis], (axis, chosen)
        if axis in ("training", "phase", "provenance"):
            assert len(chosen) == 1
    columns = projected(text)
    required = set()
    for param in header["params"].split(";"):
        match = re.fullmatch(r"\s*(\w+): (\w+)(?: = (.+))?\s*", param)
        assert match, param
        assert match.group(2) in TYPES
        assert match.group(1) in columns, f"param {match.group(1)} not projected"
        if match.group(3) is None:
            required.add(match.group(1))
    returned = re.findall(r"(\w+) \((\w+)\)", header["returns"])
    assert {name for name, _ in returned} == columns
    assert {kind for _, kind in returned} <= TYPES
    # The facts: a latency class the benchmark has a target for, and synth example parameters
    # (a literal or a recipe synth knows) for every required parameter, declared ones only.
    assert header["latency"] in LATENCIES == {"lineage", "interactive"}
    examples = dict(part.split("=", 1) for part in header["example"].split(";"))
    examples = {name.strip(): value.strip() for name, value in examples.items()}
    declared = {param.split(":")[0].strip() for param in header["params"].split(";")}
    assert required <= set(examples) <= declared, (required, examples)
    for value in examples.values():
        literal = re.fullmatch(r'"[^"]*"|-?[0-9.]+|true|false', value)
        assert literal or value in RECIPES, f"example {value!r}: neither a literal nor a recipe"
    volatile_columns = {name.strip() for name in header.get("volatile", "").split(",") if name}
    assert volatile_columns <= columns
    query = get_query(path.name.removesuffix(".rq"))
    assert query.latency == header["latency"]
    assert {example.param for example in query.examples} == set(examples)
    assert set(query.volatile) == volatile_columns
    for prefix in ("prov", "provml", "rdfs", "xsd"):
        assert f"PREFIX {prefix}: <" in text


def test_every_query_file_has_a_golden_test():
    # phase_times' rows are computed from the events (expected_phase_times), the others' are data.
    for path in QUERY_FILES:
        name = path.name.removesuffix(".rq")
        assert (GOLDEN / f"{name}.json").is_file(), name
        assert golden(name)["cases"] or name == "phase_times", name


# -- the same answers on a remote endpoint ---------------------------------------------------
def remote_case(name: str) -> dict[str, Any]:
    """The parameters Oxigraph and Virtuoso (and the plain version) must agree on."""
    return terms(name, golden(name)["remote"])


def volatile(name: str) -> set[str]:
    """The columns of a query whose values depend on the moment it runs (its header says)."""
    return set(get_query(name).volatile)


def test_every_query_has_a_remote_case():
    names = {path.name.removesuffix(".rq") for path in QUERY_FILES}
    assert {name for name in names if golden(name).get("remote")} == names


def comparable(store: Any, name: str) -> list[tuple[Any, ...]]:
    """A query's rows without the volatile columns, in a canonical order."""
    result = store.query(query_text(name), remote_case(name))
    keep = [v for v in result.variables if v not in volatile(name)]
    rows = [tuple(plain(row[v]) for v in keep) for row in result]
    return sorted(rows, key=lambda row: [(value is None, str(value)) for value in row])


@pytest.fixture(scope="module")
def remote_store(lifecycle, virtuoso):
    """The same spools loaded into the session's Virtuoso; the runs' and shared graphs dropped
    after."""
    _, root, _ = lifecycle
    with virtuoso.open() as store:
        try:
            report = load_spools(store, data.spool_dirs(root), workers=1)
            assert report.bad == [] and report.runs == {"seis-a", "seis-b", "seis-c"}
            yield store
        finally:
            for run in ("seis-a", "seis-b", "seis-c"):
                store.update(f"DROP SILENT GRAPH <{ID}run/{run}>")
            store.update(f"DROP SILENT GRAPH <{ID}shared>")


@pytest.mark.parametrize("name", sorted(path.name.removesuffix(".rq") for path in QUERY_FILES))
def test_oxigraph_and_virtuoso_agree(name, lifecycle, remote_store):
    store, _, _ = lifecycle
    local_rows = comparable(store, name)
    assert local_rows, f"{name} returns no rows: the comparison would prove nothing"
    assert comparable(remote_store, name) == local_rows


# -- the plain PROV-O path gives the same answers -------------------------------------------
PLAIN_FILES = sorted(
    (
        path
        for path in resources.files("provml.queries").joinpath("plain").iterdir()
        if path.name.endswith(".rq")
    ),
    key=lambda path: path.name,
)


# More parameters for the plain comparison than the remote case (a run still going) are in
# the golden files' `plain` lists.
def plain_cases(name: str) -> list[dict[str, Any]]:
    """The remote case and the golden file's extra parameters for the plain comparison."""
    return [remote_case(name), *(terms(name, params) for params in golden(name).get("plain", []))]


def numeric(value: Any) -> Any:
    """A float for any non-integer number (durations come back as decimal or double)."""
    return float(value) if isinstance(value, float) else value


def same_rows(plain_rows: list[tuple[Any, ...]], rows: list[tuple[Any, ...]]) -> bool:
    """Whether two row lists agree value by value, floats within 1e-6."""
    if len(plain_rows) != len(rows):
        return False
    for plain_row, row in zip(plain_rows, rows, strict=True):
        if len(plain_row) != len(row):
            return False
        for a, b in zip(plain_row, row, strict=True):
            if isinstance(a, float) and isinstance(b, float):
                if abs(a - b) > 1e-6:
                    return False
            elif a != b:
                return False
    return True


def rows_of(store: Any, text: str, params: dict[str, Any], name: str) -> list[tuple[Any, ...]]:
    """A query's typed rows without volatile columns, in a canonical order (floats rounded for
    sorting only)."""
    result = store.query(text, params)
    keep = [v for v in result.variables if v not in volatile(name)]
    rows = [tuple(numeric(plain(row[v])) for v in keep) for row in result]

    def key(row: tuple[Any, ...]) -> list[tuple[bool, str]]:
        return [
            (value is None, f"{value:.6f}" if isinstance(value, float) else str(value))
            for value in row
        ]

    return sorted(rows, key=key)


def test_every_plain_query_has_an_accelerated_twin_with_the_same_header():
    assert PLAIN_FILES, "no plain queries found"
    names = {path.name for path in QUERY_FILES}
    for path in PLAIN_FILES:
        assert path.name in names, f"plain/{path.name} answers no canned query"
        plain_header = parse_header(path.read_text())
        header = parse_header(query_text(path.name.removesuffix(".rq")))
        for key in ("summary", "taxonomy", "params", "returns", "limit"):
            assert plain_header.get(key) == header.get(key), (path.name, key)


@pytest.mark.parametrize("path", PLAIN_FILES, ids=lambda path: path.name)
def test_the_plain_path_gives_the_same_rows(path, lifecycle):
    store, _, _ = lifecycle
    name = path.name.removesuffix(".rq")
    for params in plain_cases(name):
        rows = rows_of(store, query_text(name), params, name)
        assert rows, f"{name} returns no rows for {params}: the comparison would prove nothing"
        plain_rows = rows_of(store, path.read_text(), params, name)
        assert same_rows(plain_rows, rows), (params, plain_rows, rows)


@pytest.mark.parametrize("path", PLAIN_FILES, ids=lambda path: path.name)
def test_the_plain_path_gives_the_same_rows_on_virtuoso(path, lifecycle, remote_store):
    store, _, _ = lifecycle
    name = path.name.removesuffix(".rq")
    for params in plain_cases(name):
        rows = rows_of(store, path.read_text(), params, name)
        assert same_rows(rows_of(remote_store, path.read_text(), params, name), rows), params


def test_run_query_runs_a_plain_version_from_its_directory(lifecycle):
    store, _, _ = lifecycle
    directory = Path(str(resources.files("provml.queries").joinpath("plain")))
    run = f"{ID}run/seis-b"
    assert get_query("phase_times", [directory]).source != get_query("phase_times").source
    plain_rows = run_query(store, "phase_times", directories=[directory], run=run)
    assert plain_rows.rows == run_query(store, "phase_times", run=run).rows
    assert {row["phase"] for row in plain_rows} == {"curation", "preparation", "learning"}


def test_remote_query_form_is_read_past_header_comments():
    header = "#+ summary: Time per task\n#+ description: each task\n#+   and its loaded data\n"
    assert query_form(header + "SELECT ?x WHERE { ?x ?p ?o }") == "SELECT"
    assert query_form("PREFIX ex: <http://example.org/ask#>\nSELECT * WHERE {}") == "SELECT"
    assert query_form("# a select\nASK { ?s ?p ?o }") == "ASK"
    assert query_form(header + "INSERT DATA { <a:b> <a:c> <a:d> }") == "INSERT"


def test_docs_list_every_query():
    docs = (Path(__file__).parents[2] / "docs" / "queries.md").read_text()
    for path in QUERY_FILES:
        assert f"| `{path.name.removesuffix('.rq')}` |" in docs, path.name


def test_the_cli_runs_the_plain_version_with_plain(lifecycle, tmp_path):
    """`provml query NAME --plain` reads queries/plain/NAME.rq and answers the same rows."""
    import json

    from typer.testing import CliRunner

    from provml.cli.app import app

    _, root, _ = lifecycle
    with open_store(tmp_path / "store") as store:  # the module's store stays open
        load_spools(store, data.spool_dirs(root), workers=1)
    run = f"{ID}run/seis-a"
    answers = []
    for extra in ([], ["--plain"]):
        arguments = ["query", "task_times", "--store", str(tmp_path / "store")]
        arguments += ["--param", f"run={run}", "--format", "json", *extra]
        result = CliRunner().invoke(app, arguments)
        assert result.exit_code == 0, result.output
        answers.append(json.loads(result.output))
    canned, plain = answers
    assert canned and len(canned) == len(plain)
    key = lambda row: (row["task"], row["started"])  # noqa: E731
    for mine, theirs in zip(sorted(canned, key=key), sorted(plain, key=key), strict=True):
        assert mine.keys() == theirs.keys() and mine["task"] == theirs["task"]
        if mine["duration"] is not None:
            assert float(mine["duration"]) == pytest.approx(float(theirs["duration"]), abs=1e-6)


def test_runs_durations(lifecycle):
    store, _, events = lifecycle
    rows = ask(store, "runs", in_workflow=NamedNode("urn:provml:any-workflow"))
    ends = {e["run"]: stamp(e["t"]) for e in events if e["kind"] == "run_end"}
    assert {row[1] for row in rows} == {"run/seis-a", "run/seis-b", "run/seis-c"}
    for row in rows:
        run, started, ended, duration = row[1].removeprefix("run/"), row[6], row[7], row[8]
        assert ended == ends.get(run)
        if ended is None:
            assert duration is None and row[5] == "running"
        else:
            assert duration == pytest.approx((ended - started).total_seconds(), abs=1e-5)
