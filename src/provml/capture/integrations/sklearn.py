"""A scikit-learn helper: wrap an estimator so fit, partial_fit, predict and score are recorded.

clf = track_estimator(wf, SGDClassifier(), training_data=train_set)
clf.fit(X, y)            # a training task: get_params() as hyperparameters, training score
clf.predict(X_test)      # an inference task using the model, generating predictions
clf.score(X_test, y)     # an evaluation task with the score as a test metric
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from provml.capture.integrations._common import describe, framework_version

if TYPE_CHECKING:
    from provml.capture.entities import Entity
    from provml.capture.task import Task
    from provml.capture.workflow import Workflow


class TrackedEstimator:
    """Delegates to a scikit-learn estimator and records each call as a task of the run."""

    def __init__(
        self,
        workflow: Workflow,
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
        self.model: Entity | None = None
        self._partial: Task | None = None
        self._partial_calls = 0

    def fit(self, X: Any, y: Any = None, **kwargs: Any) -> TrackedEstimator:
        """Fit in a training task; log hyperparameters, and the training score if asked."""
        self.end_partial_fit()
        used = [self.training_data] if self.training_data is not None else []
        with self.workflow.task(f"fit {self.name}", "learning", stage="training", used=used) as t:
            t.log_params(self.estimator.get_params())
            self.estimator.fit(X, y, **kwargs)
            if self.score_on_fit and y is not None and hasattr(self.estimator, "score"):
                t.log_metric("score", float(self.estimator.score(X, y)), split="training")
            # The model derives from the training data, when it was named.
            t.generated(self._new_model(), derived_from=used)
        return self

    def partial_fit(self, X: Any, y: Any = None, **kwargs: Any) -> TrackedEstimator:
        """Delegate; the calls share one training task, ended by ``end_partial_fit``/predict."""
        if self._partial is None:
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
        if self._partial is None:
            return
        task, self._partial = self._partial, None
        task.log_metric("partial_fit_calls", self._partial_calls, split="training")
        used = [self.training_data] if self.training_data is not None else []
        task.generated(self._new_model(), derived_from=used)
        task.end()

    def predict(self, X: Any, *, predictions_path: Any = None) -> Any:
        """Predict in an inference task that uses the model and generates predictions."""
        self.end_partial_fit()
        with self.workflow.task(f"predict {self.name}", "inference", used=self._used()) as t:
            result = self.estimator.predict(X)
            t.generated(
                self.workflow.predictions(
                    f"{self.name} predictions",
                    path=predictions_path,
                    attributes={"rows": len(result)},
                ),
                derived_from=self._used(),
            )
        return result

    def score(self, X: Any, y: Any, *, split: str = "test") -> float:
        """Score in an evaluation task; the score is a metric of ``split`` about the model."""
        self.end_partial_fit()
        with self.workflow.task(
            f"score {self.name}", "learning", stage="evaluation", used=self._used()
        ) as t:
            value = float(self.estimator.score(X, y))
            t.log_metric("score", value, split=split, model=self.model)
        return value

    def __getattr__(self, name: str) -> Any:
        if name == "estimator":  # not set yet (e.g. while unpickling): avoid recursion
            raise AttributeError(name)
        return getattr(self.estimator, name)

    def _used(self) -> list[Entity]:
        return [self.model] if self.model is not None else []

    def _new_model(self) -> Entity:
        self.model = self.workflow.model(
            self.name, architecture=describe(self.estimator), framework=_sklearn()
        )
        return self.model


def track_estimator(workflow: Workflow, estimator: Any, **options: Any) -> TrackedEstimator:
    """Wrap ``estimator`` so its fit/partial_fit/predict/score calls are recorded."""
    return TrackedEstimator(workflow, estimator, **options)


def _sklearn() -> str:
    return framework_version("sklearn", "scikit-learn")
