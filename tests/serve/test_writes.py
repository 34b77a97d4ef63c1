"""Writes through `provml serve`: updates and ingest with the token, refused without it, and
answer-size limits; each against a real server subprocess."""

from __future__ import annotations

import json

import pytest

from tests.helpers.loaders import write_seismic_workflow
from tests.helpers.serve import MODEL, RUN, TOKEN, build_store, running_server

AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(scope="module")
def writable(tmp_path_factory):
    store = build_store(tmp_path_factory.mktemp("writes"))
    with running_server(store, "--allow-update", "--token", TOKEN) as running:
        yield running


@pytest.fixture(scope="module")
def read_only(tmp_path_factory):
    store = build_store(tmp_path_factory.mktemp("readonly"))
    with running_server(store, "--max-bytes", "4000") as running:
        yield running


def test_update_with_the_token_is_applied(writable):
    update = "INSERT DATA { GRAPH <https://e/g> { <https://e/a> <https://e/p> 'via update' } }"
    code, _, body = writable.request(
        "/sparql",
        data=update.encode(),
        headers={"Content-Type": "application/sparql-update", **AUTH},
    )
    assert code == 200, body
    assert writable.select("SELECT ?o WHERE { <https://e/a> <https://e/p> ?o }") == [
        {"o": "via update"}
    ]


def test_a_malformed_update_is_400_and_changes_nothing(writable):
    before = writable.quad_count()
    code, _, body = writable.request(
        "/sparql",
        data=b"INSERT DATA { <https://e/b> <https://e/p> }",
        headers={"Content-Type": "application/sparql-update", **AUTH},
    )
    assert code == 400 and b"the update cannot be parsed" in body
    assert writable.quad_count() == before


def test_ingest_of_spool_lines_makes_a_run_queryable(writable, tmp_path):
    run_dir = write_seismic_workflow(tmp_path / "spool", run_id="ingested-7")
    (spool_file,) = run_dir.iterdir()
    code, _, body = writable.request(
        "/ingest",
        data=spool_file.read_bytes(),
        headers={"Content-Type": "application/x-ndjson", **AUTH},
    )
    assert code == 200, body
    report = json.loads(body)
    assert report["runs"] == ["ingested-7"] and report["events"] > 10
    code, _, body = writable.request(
        "/queries/metric_trajectory",
        params={"run": "https://w3id.org/provml/id/run/ingested-7", "metric": "loss"},
    )
    assert code == 200 and len(json.loads(body)["rows"]) == 4


def test_ingest_of_a_bad_line_is_400_naming_it_and_changes_nothing(writable):
    before = writable.quad_count()
    lines = b'{"v": 1, "kind": "nonsense"}\n'
    code, _, body = writable.request(
        "/ingest", data=lines, headers={"Content-Type": "application/x-ndjson", **AUTH}
    )
    assert code == 400 and b"POST /ingest:1:" in body, body
    # Posted lines take the loader's path: the first bad line is named, then how many more.
    code, _, body = writable.request(
        "/ingest", data=b"{}\nnot json\n", headers={"Content-Type": "application/x-ndjson", **AUTH}
    )
    assert code == 400 and b"POST /ingest:1: " in body and b"1 more in this batch" in body, body
    code, _, body = writable.request(
        "/ingest", data=b"\nnot json", headers={"Content-Type": "application/x-ndjson", **AUTH}
    )
    assert code == 400 and b"POST /ingest:2: invalid JSON" in body, body
    assert writable.quad_count() == before


def test_ingest_of_a_line_nested_too_deeply_is_400_naming_it(writable, tmp_path):
    # It was a RecursionError answered with 500; the server stays up and the store unchanged.
    run_dir = write_seismic_workflow(tmp_path / "spool", run_id="deep-ingest")
    (spool_file,) = run_dir.iterdir()
    lines = spool_file.read_bytes().splitlines(keepends=True)
    deep = b'{"a":' * 5000 + b"1" + b"}" * 5000 + b"\n"
    before = writable.quad_count()
    code, _, body = writable.request(
        "/ingest",
        data=b"".join([*lines[:2], deep, *lines[2:]]),
        headers={"Content-Type": "application/x-ndjson", **AUTH},
    )
    assert code == 400 and b"POST /ingest:3: nested too deeply" in body, body
    assert writable.quad_count() == before
    code, _, body = writable.request(
        "/ingest", data=b"".join(lines), headers={"Content-Type": "application/x-ndjson", **AUTH}
    )
    assert code == 200 and json.loads(body)["runs"] == ["deep-ingest"], body


def test_ingest_of_two_events_with_one_id_is_400_naming_both(writable, tmp_path):
    run_dir = write_seismic_workflow(tmp_path / "spool", run_id="dup-ingest")
    (spool_file,) = run_dir.iterdir()
    lines = spool_file.read_bytes().splitlines(keepends=True)
    first = next(n for n, line in enumerate(lines) if b'"metrics"' in line)
    reused = json.loads(lines[first + 1])
    reused["id"] = json.loads(lines[first])["id"]
    lines[first + 1] = json.dumps(reused).encode() + b"\n"
    before = writable.quad_count()
    code, _, body = writable.request(
        "/ingest", data=b"".join(lines), headers={"Content-Type": "application/x-ndjson", **AUTH}
    )
    expected = f"POST /ingest:{first + 2}: duplicate event id".encode()
    assert code == 400 and expected in body and f"POST /ingest:{first + 1} ".encode() in body, body
    assert writable.quad_count() == before


def test_ingest_of_rdf_into_a_graph(writable):
    turtle = b'<https://e/x> <https://e/p> "from turtle" .\n'
    code, _, body = writable.request(
        "/ingest?graph=https://e/ingested",
        data=turtle,
        headers={"Content-Type": "text/turtle", **AUTH},
    )
    assert code == 200, body
    rows = writable.select("SELECT ?o WHERE { GRAPH <https://e/ingested> { <https://e/x> ?p ?o } }")
    assert rows == [{"o": "from turtle"}]
    before = writable.quad_count()
    code, _, body = writable.request(
        "/ingest",
        data=b'<https://e/y> <https://e/p> "ok" .\n<https://e/z> broken .\n',
        headers={"Content-Type": "application/n-triples", **AUTH},
    )
    assert code == 400 and b"POST /ingest" in body and b"line 2" in body, body
    assert writable.quad_count() == before


def test_ingest_without_the_token_is_401(writable):
    code, _, body = writable.request(
        "/ingest", data=b"{}\n", headers={"Content-Type": "application/x-ndjson"}
    )
    assert code == 401 and b"Bearer" in body


def test_a_read_only_server_refuses_every_write_with_403(read_only):
    before = read_only.quad_count()
    for path, data, kind in [
        ("/sparql", b"CLEAR ALL", "application/sparql-update"),
        ("/ingest", b'<https://e/x> <https://e/p> "x" .\n', "text/turtle"),
    ]:
        code, _, body = read_only.request(path, data=data, headers={"Content-Type": kind, **AUTH})
        assert code == 403 and b"read-only" in body, body
    assert read_only.quad_count() == before


def test_an_answer_past_the_size_limit_is_422(read_only):
    code, _, body = read_only.request("/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o }"})
    assert code == 422 and b"limit of 4,000 bytes" in body and b"LIMIT" in body
    code, _, body = read_only.request(
        "/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 2"}
    )
    assert code == 200


def test_canned_queries_are_listed_and_run(read_only):
    code, _, body = read_only.request("/queries")
    listing = {query["name"]: query for query in json.loads(body)}
    assert code == 200 and "metric_trajectory" in listing
    assert listing["metric_trajectory"]["params"][0] == {
        "name": "run",
        "type": "iri",
        "default": None,
        "required": True,
    }
    code, _, body = read_only.request(
        "/queries/metric_trajectory", params={"run": RUN, "metric": "loss"}
    )
    answer = json.loads(body)
    columns = ["run", "run_label", "metric", "split", "epoch", "step", "value"]
    assert code == 200 and answer["columns"] == columns
    assert [row[0] for row in answer["rows"]] == [{"@id": RUN}] * 4
    assert sorted((row[3], row[4], row[6]) for row in answer["rows"]) == [
        ("training", 0, 1.0),
        ("training", 1, 0.5),
        ("validation", 0, 1.5),
        ("validation", 1, 0.75),
    ]


def test_a_missing_required_parameter_is_400(read_only):
    code, _, body = read_only.request("/queries/metric_trajectory", params={"run": RUN})
    assert code == 400 and b"missing required parameter metric" in body


def test_lineage_of_the_model_reaches_its_raw_data_and_its_predictions(read_only):
    code, _, body = read_only.request("/lineage", params={"entity": MODEL})
    graph = json.loads(body)
    assert code == 200 and graph["entity"] == MODEL and not graph["truncated"]
    labels = {node["id"]: node["label"] for node in graph["nodes"]}
    edges = {(labels[e["source"]], e["relation"], labels[e["target"]]) for e in graph["edges"]}
    assert ("unet", "wasGeneratedBy", "train unet") in edges
    assert ("unet", "wasDerivedFrom", "train") in edges  # the derivation the capture recorded
    assert ("F3 clean", "wasDerivedFrom", "F3 survey") in edges  # upstream, three steps away
    assert ("predict faults", "used", "unet") in edges  # downstream
    assert ("fault probability", "wasDerivedFrom", "unet") in edges
    # The training's inputs are not walked: lineage follows derivations, not task-level links.
    assert ("train unet", "used", "train") not in edges
    hows = {e["how"] for e in graph["edges"]}
    assert hows <= {"recorded", "inferred", "generated", "used", "version"}
    assert all(e["run_label"] for e in graph["edges"] if e["how"] in ("generated", "used"))


def test_an_id_an_earlier_ingest_took_is_refused_when_its_content_differs(writable, tmp_path):
    run_dir = write_seismic_workflow(tmp_path / "spool", run_id="dup-across-requests")
    (spool_file,) = run_dir.iterdir()
    lines = spool_file.read_bytes().splitlines(keepends=True)
    headers = {"Content-Type": "application/x-ndjson", **AUTH}
    code, _, body = writable.request("/ingest", data=b"".join(lines), headers=headers)
    assert code == 200, body
    # The same lines again are a replay (a client retrying after a lost answer): accepted.
    code, _, body = writable.request("/ingest", data=b"".join(lines), headers=headers)
    assert code == 200, body
    metrics_line = next(line for line in lines if b'"metrics"' in line)
    reused = json.loads(metrics_line)
    reused["values"] = {key: 123.0 for key in reused["values"]}
    before = writable.quad_count()
    code, _, body = writable.request(
        "/ingest", data=json.dumps(reused).encode() + b"\n", headers=headers
    )
    assert code == 400, body
    assert f"duplicate event id {reused['id']!r}".encode() in body, body
    assert b"first used at POST /ingest:" in body, body
    assert writable.quad_count() == before


def test_ingested_ids_are_remembered_across_a_restart(tmp_path):
    store = build_store(tmp_path / "restart")
    run_dir = write_seismic_workflow(tmp_path / "spool", run_id="dup-after-restart")
    (spool_file,) = run_dir.iterdir()
    lines = spool_file.read_bytes().splitlines(keepends=True)
    headers = {"Content-Type": "application/x-ndjson", **AUTH}
    with running_server(store, "--allow-update", "--token", TOKEN) as first_server:
        code, _, body = first_server.request("/ingest", data=b"".join(lines), headers=headers)
        assert code == 200, body
    assert store.with_name(f"{store.name}.ingest-ids.sqlite").is_file()
    metrics_line = next(line for line in lines if b'"metrics"' in line)
    reused = json.loads(metrics_line)
    reused["step"] = 10_000
    with running_server(store, "--allow-update", "--token", TOKEN) as second_server:
        code, _, body = second_server.request(
            "/ingest", data=json.dumps(reused).encode() + b"\n", headers=headers
        )
        assert code == 400 and f"duplicate event id {reused['id']!r}".encode() in body, body
