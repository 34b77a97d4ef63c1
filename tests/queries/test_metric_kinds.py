"""Ranking, summaries and comparison for every kind of metric: per epoch (the golden lifecycle),
per step only (an MLflow run, imported with `provml import-mlflow`) and single values (the
scikit-learn hook's `score`, Lightning's `test_acc`). Each answer is checked against the values
the test logged; each plain PROV-O version must give the accelerated query's rows."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from typer.testing import CliRunner

from provml import Workflow
from provml.cli.app import app
from provml.kg import open_store
from provml.loaders.load import load_spools
from provml.loaders.mlflow_import import run_id_for
from provml.queries import PLAIN_QUERIES, run_query

ID = "https://w3id.org/provml/id/"
EXPERIMENT = "steps only"
# Per run: validation loss per step (MLflow's steps, no epochs) and a test accuracy logged once.
STEP_LOSS = {"short": [0.9, 0.5, 0.45], "long": [1.0, 0.6, 0.3, 0.35]}
TEST_ACC = {"short": 0.71, "long": 0.83}
RUNNING_LOSS = [1.2, 0.8]


def rows(store: Any, name: str, plain: bool = False, **params: Any) -> list[dict[str, Any]]:
    """A canned query's rows (dicts), from its plain PROV-O version when `plain`."""
    directories = [PLAIN_QUERIES] if plain else []
    return [dict(row) for row in run_query(store, name, directories=directories, **params)]


def same(plain_rows: list[dict[str, Any]], fast_rows: list[dict[str, Any]]) -> None:
    """The plain version's rows are the accelerated one's (floats within 1e-9)."""
    assert len(plain_rows) == len(fast_rows)
    for mine, theirs in zip(plain_rows, fast_rows, strict=True):
        assert mine.keys() == theirs.keys()
        for key, value in mine.items():
            if isinstance(value, float):
                assert value == pytest.approx(theirs[key], abs=1e-9), key
            else:
                assert value == theirs[key], key


@pytest.fixture(scope="module")
def mlflow_store(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Two finished step-only MLflow runs and one still going, imported with the CLI; (store,
    {name: provml run IRI})."""
    pytest.importorskip("mlflow")
    import mlflow

    from tests.helpers.mlflow_runs import tracking

    root = tmp_path_factory.mktemp("mlflow-steps")
    location = root / "mlruns"
    runs: dict[str, str] = {}
    with tracking(location.as_uri()) as client:
        experiment = client.create_experiment(EXPERIMENT)
        for name, losses in STEP_LOSS.items():
            with mlflow.start_run(experiment_id=experiment, run_name=name) as run:
                for step, loss in enumerate(losses):
                    mlflow.log_metric("val_loss", loss, step=step)
                mlflow.log_metric("test_acc", TEST_ACC[name])
            runs[name] = run.info.run_id
        # A run still going when the import reads it: no end.
        going = mlflow.start_run(experiment_id=experiment, run_name="going")
        for step, loss in enumerate(RUNNING_LOSS):
            mlflow.log_metric("val_loss", loss, step=step)
        runs["going"] = going.info.run_id
        store_path = root / "store"
        result = CliRunner().invoke(
            app, ["import-mlflow", str(location), "--store", str(store_path)]
        )
        assert result.exit_code == 0, result.output
        mlflow.end_run()
    iris = {name: f"{ID}run/{run_id_for(run)}" for name, run in runs.items()}
    with open_store(store_path) as store:
        yield store, iris


def test_step_only_metrics_rank_runs_with_the_last_step_as_final(mlflow_store):
    store, runs = mlflow_store
    workflow = f"{ID}workflow/{quote(EXPERIMENT)}"
    params = dict(workflow=workflow, metric="val_loss", split="validation", k=5)
    found = rows(store, "top_runs_by_metric", higher_is_better=False, **params)
    logged = {**STEP_LOSS, "going": RUNNING_LOSS}
    expected = sorted(
        ((runs[name], min(losses), losses[-1]) for name, losses in logged.items()),
        key=lambda row: (row[1], row[0]),
    )
    assert [(r["run"], r["best"], r["final"]) for r in found] == expected
    assert {(r["run_label"], r["last_epoch"]) for r in found} == {(EXPERIMENT, None)}
    same(rows(store, "top_runs_by_metric", plain=True, higher_is_better=False, **params), found)


def test_single_values_rank_runs_too(mlflow_store):
    store, runs = mlflow_store
    workflow = f"{ID}workflow/{quote(EXPERIMENT)}"
    params = dict(workflow=workflow, metric="test_acc", split="test", k=5)
    found = rows(store, "top_runs_by_metric", **params)
    expected = sorted(((runs[n], v, v) for n, v in TEST_ACC.items()), key=lambda row: -row[1])
    assert [(r["run"], r["best"], r["final"]) for r in found] == expected
    same(rows(store, "top_runs_by_metric", plain=True, **params), found)


def test_step_only_trajectories_compare_step_by_step(mlflow_store):
    store, runs = mlflow_store
    params = dict(run=runs["long"], other=runs["short"], metric="val_loss", split="validation")
    found = rows(store, "compare_metric_trajectories", **params)
    short = STEP_LOSS["short"]
    assert [(r["epoch"], r["step"], r["value"], r["other_value"]) for r in found] == [
        (None, step, loss, short[step] if step < len(short) else None)
        for step, loss in enumerate(STEP_LOSS["long"])
    ]
    assert {(r["run_label"], r["other_label"]) for r in found} == {(EXPERIMENT, EXPERIMENT)}
    same(rows(store, "compare_metric_trajectories", plain=True, **params), found)
    trajectory = rows(store, "metric_trajectory", run=runs["short"], metric="val_loss")
    assert [(r["split"], r["epoch"], r["step"], r["value"]) for r in trajectory] == [
        ("validation", None, step, loss) for step, loss in enumerate(short)
    ]
    same(
        rows(store, "metric_trajectory", plain=True, run=runs["short"], metric="val_loss"),
        trajectory,
    )


def test_a_running_step_only_run_shows_its_latest_value(mlflow_store):
    store, runs = mlflow_store
    workflow = f"{ID}workflow/{quote(EXPERIMENT)}"
    found = rows(store, "running_runs", workflow=workflow)
    assert [(r["run"], r["metric"], r["split"], r["latest_epoch"], r["value"]) for r in found] == [
        (runs["going"], "val_loss", "validation", None, RUNNING_LOSS[-1])
    ]
    plain = rows(store, "running_runs", plain=True, workflow=workflow)
    for row in (*found, *plain):
        row.pop("elapsed")
    same(plain, found)


@pytest.fixture(scope="module")
def hooked_store(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Two scikit-learn runs scored by the hook and a Lightning run tested by its callback,
    captured and loaded; (store, {run: score}, the Lightning run's test metrics)."""
    pytest.importorskip("sklearn")
    from sklearn.datasets import make_classification
    from sklearn.linear_model import SGDClassifier

    from provml.capture.integrations.sklearn import track_estimator

    root = tmp_path_factory.mktemp("hooks")
    spool = root / "spool"
    X, y = make_classification(n_samples=160, n_features=5, random_state=0)
    scores: dict[str, float] = {}
    for run, alpha in (("sgd-small", 0.0001), ("sgd-large", 1.0)):
        with Workflow("sgd", run_id=run, spool_dir=spool, capture_git=False) as wf:
            clf = track_estimator(wf, SGDClassifier(alpha=alpha, random_state=0))
            clf.fit(X[:100], y[:100])
            scores[run] = clf.score(X[100:], y[100:])
    tested = _lightning_run(spool / "lit", root)
    with open_store(root / "store") as store:
        report = load_spools(store, sorted(p for p in spool.iterdir() if p.is_dir()), workers=1)
        assert report.bad == []
        yield store, scores, tested


def _lightning_run(spool: Path, root: Path) -> dict[str, float]:
    """A tiny Lightning fit and test under the callback; the test metrics it logged."""
    torch = pytest.importorskip("torch")
    lightning = pytest.importorskip("lightning")
    from provml.capture.integrations.lightning import ProvmlCallback

    class Classifier(lightning.LightningModule):
        def __init__(self) -> None:
            super().__init__()
            self.net = torch.nn.Linear(4, 1)

        def training_step(self, batch: Any, _: int) -> Any:
            x, y = batch
            loss = torch.nn.functional.binary_cross_entropy_with_logits(self.net(x), y)
            self.log("train_loss", loss, on_epoch=True, on_step=False)
            return loss

        def test_step(self, batch: Any, _: int) -> None:
            x, y = batch
            self.log("test_acc", ((self.net(x) > 0).float() == y).float().mean())

        def configure_optimizers(self) -> Any:
            return torch.optim.SGD(self.parameters(), lr=0.1)

    torch.manual_seed(0)
    x = torch.randn(32, 4)
    data = torch.utils.data.TensorDataset(x, (x[:, :1] > 0).float())
    loader = torch.utils.data.DataLoader(data, batch_size=8)
    trainer_options: dict[str, Any] = dict(
        max_epochs=2, accelerator="cpu", logger=False, enable_progress_bar=False
    )
    with Workflow("lit", run_id="lit-run", spool_dir=spool.parent, capture_git=False) as wf:
        trainer = lightning.Trainer(
            callbacks=[ProvmlCallback(wf)],
            enable_model_summary=False,
            enable_checkpointing=False,
            default_root_dir=root,
            **trainer_options,
        )
        module = Classifier()
        trainer.fit(module, loader)
        (tested,) = trainer.test(module, loader, verbose=False)
    return {key: float(value) for key, value in tested.items()}


@pytest.mark.filterwarnings("ignore:.*does not have many workers:UserWarning")
@pytest.mark.filterwarnings("ignore:.*(GPU|TPU|HPU) available:UserWarning")
@pytest.mark.filterwarnings(
    "ignore:`isinstance\\(treespec, LeafSpec\\)` is deprecated:FutureWarning"
)
def test_hook_scores_and_test_metrics_rank_and_summarise(hooked_store):
    store, scores, tested = hooked_store
    found = rows(
        store, "top_runs_by_metric", workflow=f"{ID}workflow/sgd", metric="score", split="test"
    )
    expected = sorted(
        ((f"{ID}run/{run}", value, value) for run, value in scores.items()),
        key=lambda row: (-row[1], row[0]),
    )
    assert [(r["run"], r["best"], r["final"], r["last_epoch"]) for r in found] == [
        (*row, None) for row in expected
    ]
    assert {r["run_label"] for r in found} == {"sgd"}
    same(
        rows(
            store,
            "top_runs_by_metric",
            plain=True,
            workflow=f"{ID}workflow/sgd",
            metric="score",
            split="test",
        ),
        found,
    )
    lit = rows(
        store, "top_runs_by_metric", workflow=f"{ID}workflow/lit", metric="test_acc", split="test"
    )
    assert [(r["run"], r["best"], r["final"]) for r in lit] == [
        (f"{ID}run/lit-run", tested["test_acc"], tested["test_acc"])
    ]
    compared = rows(
        store,
        "compare_metric_trajectories",
        run=f"{ID}run/sgd-small",
        other=f"{ID}run/sgd-large",
        metric="score",
        split="test",
    )
    assert [(r["epoch"], r["step"], r["value"], r["other_value"]) for r in compared] == [
        (None, None, scores["sgd-small"], scores["sgd-large"])
    ]
