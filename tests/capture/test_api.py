"""The capture API on real spool files: every call form, nesting, threads, entities, misuse."""

from __future__ import annotations

import hashlib
import threading

import pytest

import provml
from provml import CaptureError, Workflow
from provml.capture import entity_id_for_path, read_spool
from tests.helpers.capture import assert_valid, of_kind, read_valid_events


def test_a_run_records_start_end_environment_and_hpc_context(tmp_path, monkeypatch):
    monkeypatch.setenv("SLURM_JOB_ID", "4242")
    monkeypatch.setenv("RANK", "3")
    monkeypatch.setenv("LOCAL_RANK", "1")
    monkeypatch.setenv("WORLD_SIZE", "8")
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0,1")
    with Workflow("seismic", spool_dir=tmp_path, study="faults", experiment="unet-1") as wf:
        run_id = wf.run_id
    events = read_valid_events(tmp_path / run_id)
    start, end = events[0], events[-1]
    assert start["kind"] == "run_start" and end["kind"] == "run_end"
    assert start["name"] == "seismic" and start["study"] == "faults"
    assert start["hpc"] == {
        "scheduler": "slurm",
        "job_id": "4242",
        "node": start["host"],
        "rank": 3,
        "local_rank": 1,
        "world_size": 8,
        "gpus": ["0", "1"],
    }
    assert start["software"]["provml"] == provml.__version__
    assert end["status"] == "completed"
    assert all(event["run"] == run_id for event in events)


def test_run_id_comes_from_the_argument_then_the_environment(tmp_path, monkeypatch):
    with Workflow("a", spool_dir=tmp_path, run_id="given-run") as wf:
        assert wf.run_id == "given-run"
    monkeypatch.setenv("PROVML_RUN_ID", "job-17")
    monkeypatch.setenv("PROVML_SPOOL", str(tmp_path / "from-env"))
    with Workflow("b") as wf:
        assert wf.run_id == "job-17"
    assert read_valid_events(tmp_path / "from-env" / "job-17")[0]["name"] == "b"


def test_a_failing_run_and_task_record_the_error(tmp_path):
    with pytest.raises(ValueError, match="boom"):  # noqa: SIM117 (wf is used in the inner with)
        with Workflow("w", spool_dir=tmp_path) as wf, wf.task("prep", "preparation"):
            raise ValueError("boom")
    events = read_valid_events(tmp_path)
    assert of_kind(events, "task_end")[0]["status"] == "failed"
    assert of_kind(events, "run_end")[0] == {
        **of_kind(events, "run_end")[0],
        "status": "failed",
        "error": "ValueError: boom",
    }


def test_nested_tasks_decorator_params_metrics_and_usage(tmp_path):
    with Workflow("train", spool_dir=tmp_path) as wf:
        raw = wf.dataset("survey", id="survey-2024", attributes={"unit": "ms", "range": [0, 4]})
        wf.plan("fit", "learning", inputs=["patches", {"name": "labels", "type": "npy"}])
        wf.log_param("seed", 7)

        @wf.task(phase="curation", operation="filtering")
        def clean() -> str:
            assert wf.current_task is not None
            return wf.current_task.id

        first, second = clean(), clean()
        with wf.task("fit", "learning", stage="training", used=[raw]) as fit:
            fit.log_params({"lr": 0.01, "layers": [64, 64], "optimizer": "adam"})
            for epoch in range(2):
                with wf.task(f"epoch {epoch}", "learning", stage="epoch") as section:
                    wf.log_metric("loss", 1.0 / (epoch + 1), step=epoch * 10, epoch=epoch)
                    section.log_metrics({"acc": 0.5, "f1": 0.4}, epoch=epoch, split="val")
            model = wf.model("unet", path=tmp_path / "unet.pt", architecture="UNet(depth=4)")
            fit.generated(model)
        with wf.task("predict", "inference", used=[model]) as predict:
            predict.generated(wf.predictions("faults", id="faults-pred"))
            predict.log_metric("iou", 0.7, split="test", model=model)
    events = read_valid_events(tmp_path)
    starts = {event["task"]: event for event in of_kind(events, "task_start")}
    assert first != second and starts[first]["name"] == "clean"
    assert starts[first]["operation"] == "filtering"
    epochs = [event for event in starts.values() if event["stage"] == "epoch"]
    assert [event["parent"] for event in epochs] == [fit.id, fit.id]
    assert starts[fit.id]["parent"] is None
    params = of_kind(events, "params")
    assert params[0]["task"] is None and params[0]["values"] == {"seed": 7}
    assert params[1]["values"] == {"lr": 0.01, "layers": "[64, 64]", "optimizer": "adam"}
    metrics = of_kind(events, "metrics")
    assert [(m["task"], m["values"], m["split"]) for m in metrics] == [
        (epochs[0]["task"], {"loss": 1.0}, None),
        (epochs[0]["task"], {"acc": 0.5, "f1": 0.4}, "validation"),
        (epochs[1]["task"], {"loss": 0.5}, None),
        (epochs[1]["task"], {"acc": 0.5, "f1": 0.4}, "validation"),
        (predict.id, {"iou": 0.7}, "test"),
    ]
    assert metrics[4]["model"] == model.id
    usage = [
        (e["kind"], e["task"], e["entity"]) for e in events if e["kind"] in ("used", "generated")
    ]
    assert usage == [
        ("used", fit.id, "survey-2024"),
        ("generated", fit.id, model.id),
        ("used", predict.id, model.id),
        ("generated", predict.id, "faults-pred"),
    ]
    assert of_kind(events, "plan")[0]["inputs"] == [
        {"name": "patches"},
        {"name": "labels", "type": "npy"},
    ]
    assert starts[predict.id]["phase"] == "inference"


def test_tasks_in_threads_keep_their_own_stacks(tmp_path):
    with Workflow("threads", spool_dir=tmp_path) as wf, wf.task("outer", "learning") as outer:

        def work(index: int) -> None:
            with wf.task(f"shard {index}", "preparation", parent=outer):
                with wf.task(f"inner {index}"):
                    for step in range(50):
                        wf.log_metric("x", float(step), step=step)
                wf.log_metric("after inner", float(index))  # back in this thread's shard

        threads = [threading.Thread(target=work, args=(i,), name=f"w{i}") for i in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wf.log_metric("after threads", 1.0)  # this thread's task is still the outer one
    events = read_valid_events(tmp_path)
    starts = {event["task"]: event for event in of_kind(events, "task_start")}
    for index in range(4):
        shard = next(e for e in starts.values() if e["name"] == f"shard {index}")
        inner = next(e for e in starts.values() if e["name"] == f"inner {index}")
        assert shard["parent"] == outer.id and inner["parent"] == shard["task"]
        assert shard["thread"] == inner["thread"] == f"w{index}"
        steps = [m["step"] for m in of_kind(events, "metrics") if m["task"] == inner["task"]]
        assert steps == list(range(50))
        after = [m["values"] for m in of_kind(events, "metrics") if m["task"] == shard["task"]]
        assert after == [{"after inner": float(index)}]
    last = of_kind(events, "metrics")[-1]
    assert (last["task"], last["values"]) == (outer.id, {"after threads": 1.0})


def test_entity_ids_are_global_across_runs_and_hashes_only_on_request(tmp_path):
    data = tmp_path / "line 1.segy"
    data.write_bytes(b"trace" * 1000)
    ids = []
    for _ in range(2):
        with Workflow("w", spool_dir=tmp_path / "spool") as wf:
            lazy = wf.dataset("line 1", path=data, attributes={"bbox": {"west": 1.5}})
            ids.append(lazy.id)
            assert lazy.sha256 is None and lazy.size == 5000 and lazy.format == "segy"
            digest = lazy.compute_hash()
            eager = wf.dataset("same file", path=str(data), hash=True)
    assert ids[0] == ids[1] == eager.id == entity_id_for_path(data)
    assert digest == eager.sha256 == hashlib.sha256(data.read_bytes()).hexdigest()
    entity_events = of_kind(read_valid_events(tmp_path / "spool"), "entity")
    assert [e["sha256"] for e in entity_events] == [None, digest, digest] * 2
    with Workflow("w", spool_dir=tmp_path / "spool") as wf:
        anonymous = [wf.model("net"), wf.model("net")]
    assert anonymous[0].id != anonymous[1].id


def test_derived_entities_and_framework_scalars(tmp_path):
    np = pytest.importorskip("numpy")
    with Workflow("w", spool_dir=tmp_path) as wf:
        raw = wf.dataset("raw", id="raw-1")
        curated = wf.dataset("curated", type="domain_data", derived_from=[raw, "raw-0"])
        wf.log_metric("loss", np.float32(0.25), step=np.int64(3))
        wf.log_param("batch", np.int64(32))
    events = read_valid_events(tmp_path)
    assert of_kind(events, "entity")[1]["derived_from"] == ["raw-1", "raw-0"]
    assert curated.type == "domain_data"
    metric = of_kind(events, "metrics")[0]
    assert metric["values"] == {"loss": 0.25} and metric["step"] == 3
    assert of_kind(events, "params")[0]["values"] == {"batch": 32}


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda wf: wf.task("t", phase="training"), "unknown task phase 'training'"),
        (lambda wf: wf.task("t", stage="warmup"), "unknown learning stage"),
        (lambda wf: wf.log_metric("loss", "high"), "metric 'loss' must be a number"),
        (lambda wf: wf.log_metric(3, 1.0), "metric name must be a non-empty string"),
        (lambda wf: wf.log_metric("", 1.0), "metric name must be a non-empty string"),
        (lambda wf: wf.log_metric("loss", 1.0, epoch=True), "epoch must be an integer"),
        (lambda wf: wf.log_metric("loss", 1.0, task="t1"), "task must be a Task"),
        (lambda wf: wf.log_metric("loss", 1.0, split="holdout"), "unknown metric split"),
        (lambda wf: wf.log_metric("loss", 1.0, step=1.5), "step must be an integer"),
        (lambda wf: wf.log_metrics({}), "non-empty dict"),
        (lambda wf: wf.log_params(["lr"]), "log_params expects a dict"),
        (lambda wf: wf.dataset("d", type="table"), "unknown entity type 'table'"),
        (lambda wf: wf.dataset("d", id="has space"), "id of entity 'd' must be"),
        (lambda wf: wf.dataset("d", hash=True), "hash=True needs a path"),
        (lambda wf: wf.dataset("d", attributes={"x": object()}), "attribute entity 'd'.x"),
        (lambda wf: wf.plan("p", "learning", inputs=[{"nom": "x"}]), "inputs/outputs are names"),
        (lambda wf: wf.task("t").used(3), "used expects an Entity"),
    ],
)
def test_misuse_raises_capture_error_at_once(tmp_path, call, message):
    with Workflow("w", spool_dir=tmp_path) as wf:
        with pytest.raises(CaptureError, match=message.replace("(", r"\(")):
            call(wf)
        wf.log_metric("after", 1.0)
    assert of_kind(read_valid_events(tmp_path), "metrics")[0]["values"] == {"after": 1.0}


def test_bad_workflow_arguments_and_closed_runs_raise(tmp_path):
    with pytest.raises(CaptureError, match="durability"):
        Workflow("w", durability="eventual")
    with pytest.raises(CaptureError, match="run id"):
        Workflow("w", run_id="a/b")
    with pytest.raises(CaptureError, match="sink must be"):
        Workflow("w", sink="memory")
    wf = Workflow("w", spool_dir=tmp_path)
    with pytest.raises(CaptureError, match="not running"):
        wf.log_metric("loss", 1.0)
    with wf:
        task = wf.task("t").start()
        with pytest.raises(CaptureError, match="already started"):
            task.start()
        task.end()
    with pytest.raises(CaptureError, match="already started"):
        wf.start()


def test_events_are_schema_valid_in_memory_too(tmp_path):
    with Workflow("w", spool_dir=tmp_path, durability="sync") as wf:
        wf.log_metrics({"a": 1, "b": 2.5}, step=1, epoch=0, split="train")
    contents = read_spool(tmp_path)
    assert_valid(contents.events)
    assert [e["kind"] for e in contents.events] == ["run_start", "metrics", "run_end"]


def test_a_memory_sink_keeps_the_records_the_spool_would_hold(tmp_path):
    from provml.capture import MemorySink

    def record(wf):
        with wf.task("fit", "learning", stage="training") as task:
            task.log_metric("loss", 0.25, step=1, split="train")
            task.generated(wf.model("net", id="net-1"))

    with Workflow("memory", sink=MemorySink, run_id="m", capture_git=False) as in_memory:
        record(in_memory)
    with Workflow("files", spool_dir=tmp_path, run_id="m", capture_git=False) as on_disk:
        record(on_disk)
    kept = in_memory.sink.events
    assert_valid(kept)
    assert in_memory.capture_health.written == len(kept) and in_memory.spool_file is None
    assert not list(tmp_path.glob("m/*memory*"))
    volatile = {"id", "t", "task", "pid", "name", "argv", "cwd"}

    def stable(events):
        return [{k: v for k, v in e.items() if k not in volatile} for e in events]

    assert stable(kept)[1:] == stable(read_valid_events(tmp_path / "m"))[1:]
