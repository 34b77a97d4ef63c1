"""A scikit-learn helper: wrap an estimator so fit, partial_fit, predict and score are recorded.

clf = track_estimator(wf, SGDClassifier(), training_data=train_set)
clf.fit(X, y)            # a training task: get_params() as hyperparameters, training score
clf.predict(X_test)      # an inference task using the model and the input data
clf.score(X_test, y)     # an evaluation task with the score as a test metric
clf.save("model.joblib") # joblib.dump, and the file recorded as the model's saved form

The wrapper is an estimator itself: ``get_params``/``set_params`` are the wrapped estimator's, so
``sklearn.base.clone``, ``Pipeline``, ``GridSearchCV`` and ``cross_val_score`` take it as they
would the estimator; a clone records into the same workflow, so every fit of a search or a
cross-validation is a training task with its candidate's parameters, and every fold's scoring an
evaluation (or inference) task about the model that fold fitted.

Pickling (``joblib.dump``, ``pickle``) keeps the fitted estimator and the id of the model entity
but not the workflow, a live recorder: an unpickled wrapper works untracked (calls delegate,
nothing is recorded) until ``attach(workflow)``; its later tasks then use the model entity of the
run that fitted it. Fits in other processes (``n_jobs`` > 1 in a search) are unpickled copies,
so they are not recorded; the search's final refit, in this process, is. ``record_search(wf,
search)`` records any fitted search from its ``cv_results_`` (one task per candidate and fold,
with its parameters and scores), whatever ``n_jobs``.
"""

from __future__ import annotations

import copy
import os
from typing import TYPE_CHECKING, Any

from provml.capture.integrations._common import describe, framework_version, input_entity

if TYPE_CHECKING:
    from provml.capture.entities import Entity
    from provml.capture.task import Task
    from provml.capture.workflow import Workflow


class TrackedEstimator:
    """Delegates to a scikit-learn estimator and records each call as a task of the run."""

    def __init__(
        self,
        workflow: Workflow | None,
        estimator: Any,
        *,
        name: str | None = None,
        training_data: Entity | str | None = None,
        score_on_fit: bool = True,
    ) -> None:
        self.workflow = workflow
        self.estimator = estimator
        self.name = name or type(estimator).__name__
        self.training_data = training_data
        self.score_on_fit = score_on_fit
        self.model: Entity | str | None = None
        self._partial: Task | None = None
        self._partial_calls = 0

    # -- the estimator interface scikit-learn relies on ---------------------------------------
    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The wrapped estimator's parameters (searches and pipelines set them through us)."""
        params: dict[str, Any] = self.estimator.get_params(deep=deep)
        return params

    def set_params(self, **params: Any) -> TrackedEstimator:
        """Set the wrapped estimator's parameters; returns self."""
        self.estimator.set_params(**params)
        return self

    def __sklearn_clone__(self) -> TrackedEstimator:
        """An unfitted copy (``sklearn.base.clone``) recording into the same workflow."""
        from sklearn.base import clone

        return TrackedEstimator(
            self.workflow,
            clone(self.estimator),
            name=self.name,
            training_data=self.training_data,
            score_on_fit=self.score_on_fit,
        )

    def __sklearn_is_fitted__(self) -> bool:
        """Whether the wrapped estimator is fitted (``check_is_fitted``, a pipeline's last step)."""
        from sklearn.exceptions import NotFittedError
        from sklearn.utils.validation import check_is_fitted

        try:
            check_is_fitted(self.estimator)
        except NotFittedError:
            return False
        return True

    def __getstate__(self) -> dict[str, Any]:
        """Everything but the workflow and open tasks; the model as its entity id."""
        state = dict(vars(self))
        state.update(workflow=None, _partial=None, _partial_calls=0, model=self.model_id)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        vars(self).update(state)

    def __deepcopy__(self, memo: dict[int, Any]) -> TrackedEstimator:
        """A deep copy of the estimator that records into the same workflow."""
        twin = TrackedEstimator(
            self.workflow,
            copy.deepcopy(self.estimator, memo),
            name=self.name,
            training_data=self.training_data,
            score_on_fit=self.score_on_fit,
        )
        twin.model = self.model
        return twin

    def __repr__(self) -> str:
        return f"track_estimator({self.estimator!r})"

    def attach(self, workflow: Workflow) -> TrackedEstimator:
        """Record into ``workflow`` from now on (an unpickled wrapper has none); returns self."""
        self.workflow = workflow
        return self

    def save(self, path: str | os.PathLike[str]) -> Entity | None:
        """``joblib.dump`` this wrapper (the fitted estimator and its model id) to ``path`` and
        record the file (hashed) as the model's saved form, generated by a task that used the
        model; None when untracked (the file is still written)."""
        import joblib

        joblib.dump(self, path)
        if self.workflow is None:
            return None
        used = self._used()
        with self.workflow.task(f"save {self.name}", "learning", used=used) as task:
            saved = self.workflow.model(
                self.name,
                path=path,
                architecture=describe(self.estimator),
                framework=_sklearn(),
                hash=True,
            )
            task.generated(saved, derived_from=used)
        return saved

    @property
    def model_id(self) -> str | None:
        """The id of the model entity the last fit recorded (None before any)."""
        return self.model if isinstance(self.model, str) or self.model is None else self.model.id

    # -- recorded calls ------------------------------------------------------------------------
    def fit(self, X: Any, y: Any = None, **kwargs: Any) -> TrackedEstimator:
        """Fit in a training task; log hyperparameters, and the training score if asked."""
        self.end_partial_fit()
        if self.workflow is None:
            self.estimator.fit(X, y, **kwargs)
            return self
        used = [self.training_data] if self.training_data is not None else []
        with self.workflow.task(f"fit {self.name}", "learning", stage="training", used=used) as t:
            t.log_params(self.estimator.get_params())
            self.estimator.fit(X, y, **kwargs)
            if self.score_on_fit and y is not None and hasattr(self.estimator, "score"):
                t.log_metric("score", float(self.estimator.score(X, y)), split="training")
            # The model derives from the training data, when it was named.
            t.generated(self._new_model(self.workflow), derived_from=used)
        return self

    def partial_fit(self, X: Any, y: Any = None, **kwargs: Any) -> TrackedEstimator:
        """Delegate; the calls share one training task, ended by ``end_partial_fit``/predict."""
        if self._partial is None and self.workflow is not None:
            used = [self.training_data] if self.training_data is not None else []
            self._partial = self.workflow.task(
                f"partial_fit {self.name}", "learning", stage="training", used=used
            ).start()
            self._partial.log_params(self.estimator.get_params())
            self._partial_calls = 0
        self.estimator.partial_fit(X, y, **kwargs)
        self._partial_calls += 1
        return self

    def end_partial_fit(self) -> None:
        """End the open partial_fit training task (if any) and record the model it produced."""
        if self._partial is None or self.workflow is None:
            return
        task, self._partial = self._partial, None
        task.log_metric("partial_fit_calls", self._partial_calls, split="training")
        used = [self.training_data] if self.training_data is not None else []
        task.generated(self._new_model(self.workflow), derived_from=used)
        task.end()

    def predict(
        self, X: Any, *, data: Entity | str | None = None, predictions_path: Any = None
    ) -> Any:
        """Predict in an inference task that uses the model and the input data (``data=`` names
        it, else it is recorded from ``X``) and generates predictions."""
        return self._infer("predict", X, data, predictions_path)

    def predict_proba(self, X: Any, *, data: Entity | str | None = None) -> Any:
        """Class probabilities, recorded like ``predict``."""
        return self._infer("predict_proba", X, data, None)

    def score(
        self,
        X: Any,
        y: Any,
        sample_weight: Any = None,
        *,
        split: str = "test",
        data: Entity | str | None = None,
    ) -> float:
        """Score in an evaluation task that uses the model and the data; the score is a metric
        of ``split`` about the model."""
        self.end_partial_fit()
        kwargs = {} if sample_weight is None else {"sample_weight": sample_weight}
        if self.workflow is None:
            return float(self.estimator.score(X, y, **kwargs))
        inputs = [*self._used(), input_entity(self.workflow, X, f"{self.name} scoring input", data)]
        with self.workflow.task(
            f"score {self.name}", "learning", stage="evaluation", used=inputs
        ) as t:
            value = float(self.estimator.score(X, y, **kwargs))
            t.log_metric("score", value, split=split, model=self.model)
        return value

    def __getattr__(self, name: str) -> Any:
        if name == "estimator":  # not set yet (e.g. while unpickling): avoid recursion
            raise AttributeError(name)
        return getattr(self.estimator, name)

    def _infer(self, method: str, X: Any, data: Entity | str | None, path: Any) -> Any:
        self.end_partial_fit()
        if self.workflow is None:
            return getattr(self.estimator, method)(X)
        inputs = [*self._used(), input_entity(self.workflow, X, f"{self.name} input", data)]
        with self.workflow.task(f"{method} {self.name}", "inference", used=inputs) as t:
            result = getattr(self.estimator, method)(X)
            t.generated(
                self.workflow.predictions(
                    f"{self.name} predictions", path=path, attributes={"rows": len(result)}
                ),
                derived_from=inputs,
            )
        return result

    def _used(self) -> list[Entity | str]:
        return [self.model] if self.model is not None else []

    def _new_model(self, workflow: Workflow) -> Entity:
        model = workflow.model(
            self.name, architecture=describe(self.estimator), framework=_sklearn()
        )
        self.model = model
        return model


def track_estimator(workflow: Workflow, estimator: Any, **options: Any) -> TrackedEstimator:
    """Wrap ``estimator`` so its fit/partial_fit/predict/score calls are recorded."""
    return TrackedEstimator(workflow, estimator, **options)


def record_search(
    workflow: Workflow,
    search: Any,
    *,
    name: str | None = None,
    training_data: Entity | str | None = None,
) -> Task:
    """Record a fitted search (``GridSearchCV``, ``RandomizedSearchCV``...) from its
    ``cv_results_``: a training task with one sub-task per candidate and fold, each with the
    candidate's parameters and that fold's scores (validation: the fold held out; training, if
    ``return_train_score``). Works whatever ``n_jobs`` (fits in other processes included);
    returns the search task, already ended."""
    results = search.cv_results_
    splits = int(search.n_splits_)
    estimator = getattr(search, "estimator", None)
    label = name or type(getattr(estimator, "estimator", estimator)).__name__
    used = [training_data] if training_data is not None else []
    with workflow.task(f"search {label}", "learning", stage="training", used=used) as parent:
        summary: dict[str, Any] = {"candidates": len(results["params"]), "folds": splits}
        if hasattr(search, "best_index_"):
            summary["best_candidate"] = int(search.best_index_)
        parent.log_params(summary)
        for candidate, params in enumerate(results["params"]):
            for fold in range(splits):
                attributes = {"candidate": candidate, "fold": fold}
                with workflow.task(
                    f"{label} candidate {candidate} fold {fold}",
                    "learning",
                    stage="training",
                    used=used,
                    attributes=attributes,
                ) as task:
                    task.log_params(dict(params))
                    for prefix, split in (("test", "validation"), ("train", "training")):
                        scores = _fold_scores(results, fold, prefix, candidate)
                        if scores:
                            task.log_metrics(scores, split=split)
    return parent


def _fold_scores(results: Any, fold: int, prefix: str, candidate: int) -> dict[str, float]:
    """One fold's scores of one candidate, by metric (``split0_test_score`` -> ``score``)."""
    start = f"split{fold}_{prefix}_"
    return {
        key[len(start) :]: float(values[candidate])
        for key, values in results.items()
        if key.startswith(start)
    }


def _sklearn() -> str:
    return framework_version("sklearn", "scikit-learn")
