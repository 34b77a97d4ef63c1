"""What capture can say beyond the wall clock: explicit start/end times (historical runs), the
command line and tool of a task, step numbers of any workflow, hyperparameter kinds, and
annotations made after the fact; on real spool files, schema-checked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

import provml
from provml import CaptureError, Workflow
from provml.capture.annotations import annotation_event
from tests.helpers.capture import of_kind, read_valid_events

T0 = datetime(2019, 3, 1, 9, 0, tzinfo=UTC)


def test_explicit_times_are_recorded_beside_the_capture_time(tmp_path):
    end = T0 + timedelta(hours=3)
    # A time zone other than UTC: the instant is what counts.
    task_start = datetime(2019, 3, 1, 10, 5, tzinfo=timezone(timedelta(hours=1)))
    with Workflow("old", run_id="h1", spool_dir=tmp_path, capture_git=False, started_at=T0) as wf:
        with wf.task("convert", started_at=task_start, ended_at=T0 + timedelta(minutes=50)):
            pass
        with wf.task("plain"):
            pass
        wf.end(ended_at=end)
    events = read_valid_events(tmp_path / "h1")
    start, stop = of_kind(events, "run_start")[0], of_kind(events, "run_end")[0]
    assert start["started_at"] == T0.timestamp() and start["t"] > end.timestamp()
    assert stop["ended_at"] == end.timestamp()
    starts, ends = of_kind(events, "task_start"), of_kind(events, "task_end")
    assert starts[0]["started_at"] == (T0 + timedelta(minutes=5)).timestamp()
    assert ends[0]["ended_at"] == (T0 + timedelta(minutes=50)).timestamp()
    # A task without explicit times writes the same event as before: no extra fields.
    assert "started_at" not in starts[1] and "ended_at" not in ends[1]


def test_naive_times_and_ends_before_starts_are_refused(tmp_path):
    naive = datetime(2019, 3, 1, 9, 0)
    with pytest.raises(CaptureError, match=r"timezone-aware.*naive"):
        Workflow("old", spool_dir=tmp_path, started_at=naive)
    with pytest.raises(CaptureError, match="timezone-aware"):
        Workflow("old", spool_dir=tmp_path, started_at="2019-03-01")  # type: ignore[arg-type]
    with pytest.raises(CaptureError, match="before started_at"):
        Workflow("old", spool_dir=tmp_path, started_at=T0, ended_at=T0 - timedelta(seconds=1))
    with Workflow("old", spool_dir=tmp_path, capture_git=False, started_at=T0) as wf:
        with pytest.raises(CaptureError, match="naive"):
            wf.task("convert", ended_at=naive)
        task = wf.task("convert", started_at=T0).start()
        with pytest.raises(CaptureError, match="before its start"):
            task.end(ended_at=T0 - timedelta(days=1))
        task.end(ended_at=T0 + timedelta(days=1))
        with pytest.raises(CaptureError, match="before its start"):
            wf.end(ended_at=T0 - timedelta(days=1))


def test_command_tool_and_step_of_a_task(tmp_path):
    with Workflow("convert", run_id="c1", spool_dir=tmp_path, capture_git=False) as wf:
        with wf.task(
            "convert",
            step=3,
            command=["segy-convert", "--out", "F3 north.npy"],
            tool="segyio",
            tool_version="1.9.12",
        ):
            pass
        with wf.task("report", step=4, command="make report", tool="make"):
            pass

        @wf.task("decorated", step=5, tool="awk")
        def decorated() -> None:
            """A decorated step keeps its details on every call."""

        decorated()
    starts = of_kind(read_valid_events(tmp_path / "c1"), "task_start")
    fields = [tuple(e.get(k) for k in ("step", "command", "tool", "tool_version")) for e in starts]
    assert fields == [
        (3, "segy-convert --out 'F3 north.npy'", "segyio", "1.9.12"),
        (4, "make report", "make", None),
        (5, None, "awk", None),
    ]


def test_step_misuse_names_the_value_and_stage_points_to_step(tmp_path):
    with Workflow("convert", spool_dir=tmp_path, capture_git=False) as wf:
        with pytest.raises(CaptureError, match=r"unknown learning stage 3.*use step=3"):
            wf.task("convert", stage=3)  # type: ignore[arg-type]
        with pytest.raises(CaptureError, match="non-negative"):
            wf.task("convert", step=-1)
        with pytest.raises(CaptureError, match="step must be an integer"):
            wf.task("convert", step="3")  # type: ignore[arg-type]
        with pytest.raises(CaptureError, match="command must be"):
            wf.task("convert", command=["ok", 3])  # type: ignore[list-item]
        with pytest.raises(CaptureError, match="needs tool="):
            wf.task("convert", tool_version="1.0")


def test_hyperparameter_kinds(tmp_path):
    wf = Workflow("train", run_id="k1", spool_dir=tmp_path, capture_git=False)
    with wf, wf.task("fit", "learning", stage="training") as fit:
        fit.log_params({"depth": 4}, kind="model")
        wf.log_param("learning_rate", 0.01, kind="algorithm")
        fit.log_param("seed", 7)
        with pytest.raises(CaptureError, match="unknown hyperparameter kind 'optimizer'"):
            fit.log_params({"momentum": 0.9}, kind="optimizer")
    params = of_kind(read_valid_events(tmp_path / "k1"), "params")
    assert [(p["values"], p.get("hyperparameter_kind")) for p in params] == [
        ({"depth": 4}, "model"),
        ({"learning_rate": 0.01}, "algorithm"),
        ({"seed": 7}, None),
    ]


def test_annotations_are_durable_events_of_their_own_stream(tmp_path):
    with Workflow("survey", run_id="s1", spool_dir=tmp_path, capture_git=False) as wf:
        raw = wf.dataset("block", id="block-1")
        task = wf.task("clean").start()
        task.end()
    at = datetime(2024, 6, 1, 10, tzinfo=UTC)
    written = [
        provml.annotate(raw, "quality", "good", by="alice", at=at, spool_dir=tmp_path),
        provml.annotate(wf, "reviewed", True, by="bob", at=at, spool_dir=tmp_path),
        provml.annotate(task, "cost", 12.5, unit="EUR", comment="cloud", spool_dir=tmp_path),
        provml.annotate({"iri": "urn:x:thing"}, "n", 3, by="bob", at=at, spool_dir=tmp_path),
    ]
    events = read_valid_events(tmp_path / "annotations")
    assert events == written
    assert [e["target"] for e in events] == [
        {"entity": "block-1"},
        {"run": "s1"},
        {"run": "s1", "task": task.id},
        {"iri": "urn:x:thing"},
    ]
    assert {e["run"] for e in events} == {"annotations"}
    assert events[0]["at"] == at.timestamp() and events[0]["by"] == "alice"
    assert events[2]["by"] and events[2]["unit"] == "EUR" and events[2]["comment"] == "cloud"
    # Nothing of the run changed: its spool holds only what it recorded.
    assert {e["kind"] for e in read_valid_events(tmp_path / "s1")} == {
        "run_start",
        "entity",
        "task_start",
        "task_end",
        "run_end",
    }


@pytest.mark.parametrize(
    ("target", "key", "value", "fields", "message"),
    [
        ({"path": "x"}, "k", 1, {}, "an annotation's target is"),
        ({"iri": "not an iri"}, "k", 1, {}, "absolute IRI"),
        ({"entity": "has space"}, "k", 1, {}, "annotated entity id must be"),
        ({"entity": "e"}, "", 1, {}, "key must be a non-empty string"),
        ({"entity": "e"}, "k", None, {}, "value must be a string, number or boolean"),
        ({"entity": "e"}, "k", [1], {}, "value must be a string, number or boolean"),
        ({"entity": "e"}, "k", float("nan"), {}, "NaN"),
        ({"entity": "e"}, "k", 1, {"at": datetime(2024, 1, 1)}, "naive"),
        ({"entity": "e"}, "k", 1, {"by": ""}, "by must be a non-empty string"),
    ],
)
def test_bad_annotations_are_refused_naming_what(target, key, value, fields, message):
    with pytest.raises(CaptureError, match=message):
        annotation_event(target, key, value, **fields)


def test_an_unwritable_spool_raises_naming_the_file(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(provml.SpoolError, match="cannot write the annotation"):
        provml.annotate({"entity": "e"}, "k", 1, spool_dir=blocker)


def test_an_end_before_now_without_a_start_is_refused_before_the_run_opens(tmp_path):
    # Refused at once: at the end, __exit__ could not close the run.
    past = T0 + timedelta(hours=1)
    with pytest.raises(CaptureError, match="give started_at too"):
        Workflow("old", spool_dir=tmp_path, ended_at=past)
    wf = Workflow("old", spool_dir=tmp_path, capture_git=False)
    with wf, pytest.raises(CaptureError, match="give started_at too"):
        wf.task("convert", ended_at=past)
