"""The scikit-learn wrapper in normal use: searches, cross-validation, pipelines, clone and
pickle, on real scikit-learn; each run goes capture -> spool -> an on-disk Oxigraph store ->
queries, and the answers are compared with what the test itself saw."""

from __future__ import annotations

import io
from collections import defaultdict

import pytest

from provml import Workflow
from tests.capture.integrations.loaded import (
    entity_iri,
    loaded,
    rows,
    run_iri,
    task_iri,
    workflow_iri,
)
from tests.helpers.capture import of_kind, read_valid_events

sklearn = pytest.importorskip("sklearn")
joblib = pytest.importorskip("joblib")

from sklearn.base import clone  # noqa: E402
from sklearn.datasets import make_classification  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score  # noqa: E402
from sklearn.pipeline import Pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from provml.capture.integrations.sklearn import (  # noqa: E402
    TrackedEstimator,
    record_search,
    track_estimator,
)

X, Y = make_classification(n_samples=90, n_features=4, random_state=0)
FOLDS = KFold(3)  # unshuffled: the test knows each fold's rows


def _fit_settings(store, name):
    """Each fit task's settings: task IRI -> {parameter: value text}."""
    found: dict[str, dict[str, str]] = defaultdict(dict)
    for row in rows(store, "run_hyperparameters", workflow=workflow_iri(name)):
        if row["task_label"].startswith("fit "):
            found[str(row["task"])][row["parameter"]] = row["value"]
    return found


def test_grid_search_and_cross_validation_record_every_fit_with_its_parameters_and_scores(
    tmp_path,
):
    with Workflow("sklearn search", spool_dir=tmp_path / "spool") as wf:
        data = wf.dataset("toy", id="toy-classes", type="training_set")
        tracked = track_estimator(wf, LogisticRegression(max_iter=200), training_data=data)
        search = GridSearchCV(tracked, {"C": [0.1, 10.0]}, cv=FOLDS).fit(X, Y)
        scores = cross_val_score(clone(tracked).set_params(C=0.5), X, Y, cv=FOLDS)
    run = wf.run_id
    events = read_valid_events(tmp_path / "spool")
    fits = [e for e in of_kind(events, "task_start") if e["name"] == "fit LogisticRegression"]
    # 2 candidates x 3 folds, the refit of the best, 3 cross-validation folds.
    assert len(fits) == 2 * 3 + 1 + 3

    with loaded(tmp_path / "spool", tmp_path) as store:
        settings = _fit_settings(store, "sklearn search")
        assert set(settings) == {task_iri(run, fit["task"]) for fit in fits}
        by_c = defaultdict(list)
        for task, values in settings.items():
            by_c[float(values["C"])].append(task)
        best = search.best_params_["C"]
        assert {c: len(tasks) for c, tasks in by_c.items()} == {
            0.1: 3 + (best == 0.1),
            10.0: 3 + (best == 10.0),
            0.5: 3,
        }
        # Each fold's test score is measured about the model that fold's fit generated.
        test_scores = defaultdict(list)
        for row in rows(store, "model_scores", run=run_iri(run)):
            if row["split"] == "test":
                trainer_c = float(settings[str(row["trainer"])]["C"])
                test_scores[trainer_c].append(row["value"])
    for index, c in enumerate(search.cv_results_["param_C"]):
        expected = [search.cv_results_[f"split{fold}_test_score"][index] for fold in range(3)]
        assert sorted(test_scores[float(c)]) == pytest.approx(sorted(expected))
    assert sorted(test_scores[0.5]) == pytest.approx(sorted(scores))


def test_a_pipeline_records_its_fits_and_each_predict_uses_its_input_data(tmp_path):
    with Workflow("sklearn pipeline", spool_dir=tmp_path / "spool") as wf:
        pipeline = Pipeline(
            [("scale", StandardScaler()), ("clf", track_estimator(wf, LogisticRegression()))]
        )
        accuracy = cross_val_score(pipeline, X, Y, cv=FOLDS, scoring="accuracy")
        fitted = clone(pipeline).fit(X, Y)
        fitted.predict(X[:10])
    assert len(accuracy) == 3
    run = wf.run_id
    events = read_valid_events(tmp_path / "spool")
    starts = {e["task"]: e for e in of_kind(events, "task_start")}
    assert sorted(e["name"] for e in starts.values()) == sorted(
        ["fit LogisticRegression"] * 4 + ["predict LogisticRegression"] * 4
    )
    inputs = {e["entity"]: e for e in of_kind(events, "entity") if e["type"] == "learning_data"}
    # Each predict saw the scaled rows of its fold (30 each), the last one 10 rows.
    assert sorted(e["attributes"]["rows"] for e in inputs.values()) == [10, 30, 30, 30]
    models = [e["entity"] for e in of_kind(events, "entity") if e["type"] == "model"]

    with loaded(tmp_path / "spool", tmp_path) as store:
        seen = {}
        for model in models:
            for row in rows(store, "model_predictions", model=entity_iri(model)):
                assert row["run"] == run_iri(run) and row["status"] == "completed"
                seen[str(row["input"])] = row["prediction"]
    assert set(seen) == {entity_iri(entity) for entity in inputs}
    assert all(prediction is not None for prediction in seen.values())


def test_pickled_estimators_work_untracked_until_attached(tmp_path):
    with Workflow("sklearn pickle", spool_dir=tmp_path / "spool") as wf:
        tracked = track_estimator(wf, LogisticRegression(C=2.0)).fit(X, Y)
        copied = clone(tracked)
        assert isinstance(copied, TrackedEstimator) and copied.workflow is wf
        assert copied.get_params()["C"] == 2.0 and not hasattr(copied, "coef_")
        saved = tracked.save(tmp_path / "model.joblib")  # joblib.dump raised TypeError before
        restored = joblib.load(tmp_path / "model.joblib")
        assert restored.workflow is None and restored.model_id == tracked.model_id
        assert (restored.predict(X[:5]) == tracked.estimator.predict(X[:5])).all()
        in_memory = io.BytesIO()
        joblib.dump(restored, in_memory)  # untracked ones pickle too
        wf.flush()
        # The untracked predict recorded nothing: the fit and the save only.
        assert len(of_kind(read_valid_events(tmp_path / "spool"), "task_start")) == 2
        restored.attach(wf).predict(X[:5])
    events = read_valid_events(tmp_path / "spool")
    predicts = [e for e in of_kind(events, "task_start") if e["name"].startswith("predict")]
    assert len(predicts) == 1  # only the attached one
    used = {e["entity"] for e in of_kind(events, "used") if e["task"] == predicts[0]["task"]}
    assert tracked.model_id in used

    assert saved is not None and saved.sha256 and saved.path == str(tmp_path / "model.joblib")

    with loaded(tmp_path / "spool", tmp_path) as store:
        (row, *_) = rows(store, "model_predictions", model=entity_iri(tracked.model_id))
        models = {str(row["model"]): row for row in rows(store, "models")}
    assert row["inference"] == "predict LogisticRegression"
    assert models[entity_iri(saved.id)]["model_label"] == "LogisticRegression"


def test_record_search_records_every_candidate_and_fold_whatever_n_jobs(tmp_path):
    search = GridSearchCV(
        LogisticRegression(max_iter=200),
        {"C": [0.1, 10.0]},
        cv=FOLDS,
        n_jobs=2,  # fits in other processes: only cv_results_ comes back
        return_train_score=True,
    ).fit(X, Y)
    with Workflow("sklearn parallel search", spool_dir=tmp_path / "spool") as wf:
        parent = record_search(wf, search, training_data="toy-classes")
    run = wf.run_id
    results = search.cv_results_

    with loaded(tmp_path / "spool", tmp_path) as store:
        settings = defaultdict(dict)
        for row in rows(
            store, "run_hyperparameters", workflow=workflow_iri("sklearn parallel search")
        ):
            settings[row["task_label"]][row["parameter"]] = row["value"]
        measures = {
            (row["task_label"], row["split"]): row["value"]
            for row in rows(store, "task_measures", run=run_iri(run))
            if row["metric"] == "score"
        }
    assert settings["search LogisticRegression"]["best_candidate"] == str(search.best_index_)
    for candidate, params in enumerate(results["params"]):
        for fold in range(3):
            label = f"LogisticRegression candidate {candidate} fold {fold}"
            assert float(settings[label]["C"]) == params["C"]
            assert measures[(label, "validation")] == pytest.approx(
                results[f"split{fold}_test_score"][candidate]
            )
            assert measures[(label, "training")] == pytest.approx(
                results[f"split{fold}_train_score"][candidate]
            )
    events = read_valid_events(tmp_path / "spool")
    folds = [e for e in of_kind(events, "task_start") if e["parent"] == parent.id]
    assert len(folds) == 2 * 3
    # The search and each fold used the training data.
    users = {e["task"] for e in of_kind(events, "used") if e["entity"] == "toy-classes"}
    assert users == {parent.id} | {e["task"] for e in folds}
