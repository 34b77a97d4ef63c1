"""`provml annotate`: into a spool that `provml load` takes, or straight into a store; bad
targets, pairs and times are refused naming them."""

from __future__ import annotations

from datetime import UTC, datetime

from typer.testing import CliRunner

from provml.capture import entity_id_for_path, read_spool
from provml.cli.app import app
from provml.kg import open_store
from tests.queries.test_golden import ask, iri


def invoke(*args: str):
    """Run `provml` with these arguments; the result."""
    return CliRunner().invoke(app, list(args))


def test_annotations_go_to_the_spool_and_load_with_it(tmp_path):
    spool = tmp_path / "spool"
    result = invoke(
        "annotate", "entity:f3-north", "quality=good", "dead_traces=340", "checked=true",
        "--by", "alice", "--at", "2024-06-01T10:00:00+02:00", "--unit", "traces",
        "--spool", str(spool),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "annotated entity:f3-north" in result.output
    events = read_spool(spool / "annotations").events
    at = datetime(2024, 6, 1, 8, tzinfo=UTC).timestamp()
    assert [(e["target"], e["key"], e["value"], e["by"], e["at"]) for e in events] == [
        ({"entity": "f3-north"}, "quality", "good", "alice", at),
        ({"entity": "f3-north"}, "dead_traces", 340, "alice", at),
        ({"entity": "f3-north"}, "checked", True, "alice", at),
    ]
    result = invoke("load", str(spool), "--store", str(tmp_path / "store"))
    assert result.exit_code == 0, result.output
    with open_store(tmp_path / "store") as store:
        rows = ask(store, "annotations", target=iri("entity/f3-north"))
    assert {(row[1], row[2], row[3], row[8]) for row in rows} == {
        ("quality", "good", "traces", "current"),
        ("dead_traces", "340", "traces", "current"),
        ("checked", "true", "traces", "current"),
    }


def test_into_a_store_a_correction_supersedes(tmp_path):
    store = str(tmp_path / "store")
    data = tmp_path / "F3 north.segy"
    for value, at in (("good", "2024-06-01T10:00:00Z"), ("fair", "2024-06-03T09:30:00Z")):
        result = invoke(
            "annotate", f"path:{data}", f"quality={value}", "--by", "bob", "--at", at,
            "--comment", "review", "--store", store,
        )  # fmt: skip
        assert result.exit_code == 0, result.output
    result = invoke(
        "annotate", "run:seis-a", "reviewed=yes", "--text", "--by", "bob", "--store", store
    )
    assert result.exit_code == 0, result.output
    with open_store(store) as opened:
        entity = iri(f"entity/{entity_id_for_path(data)}")
        rows = ask(opened, "annotations", target=entity)
        assert [(row[2], row[4], row[6], row[8]) for row in rows] == [
            ("fair", "review", "bob", "current"),
            ("good", "review", "bob", "superseded"),
        ]
        assert rows[1][10] == rows[0][9]
        assert [row[2] for row in ask(opened, "annotations", target=iri("run/seis-a"))] == ["yes"]


def test_iri_and_task_targets(tmp_path):
    spool = str(tmp_path / "spool")
    for target in ("<https://example.org/thing/1>", "urn:x:2", "task:seis-a/ab12.3"):
        result = invoke("annotate", target, "n=1", "--by", "bob", "--spool", spool)
        assert result.exit_code == 0, result.output
    targets = [e["target"] for e in read_spool(tmp_path / "spool" / "annotations").events]
    assert targets == [
        {"iri": "https://example.org/thing/1"},
        {"iri": "urn:x:2"},
        {"run": "seis-a", "task": "ab12.3"},
    ]


def test_bad_input_is_refused_naming_it(tmp_path):
    spool = str(tmp_path / "spool")
    cases = [
        (("f3-north", "k=v"), "target 'f3-north': expected entity:ID"),
        (("task:seis-a", "k=v"), "expected entity:ID"),
        (("entity:e", "novalue"), "'novalue': expected KEY=VALUE"),
        (("entity:e", "k=v", "--at", "2024-06-01T10:00:00"), "has no UTC offset"),
        (("entity:e", "k=v", "--at", "yesterday"), "is not an ISO 8601 time"),
        (("entity:bad id", "k=v"), "annotated entity id must be"),
    ]
    for args, message in cases:
        result = invoke("annotate", *args, "--spool", spool)
        assert result.exit_code == 1, (args, result.output)
        assert message in result.output, (args, result.output)
    assert not (tmp_path / "spool").exists()
