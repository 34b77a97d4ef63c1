"""`provml import-mlflow`: MLflow runs (`mlruns`, `mlflow.db` or a tracking URI) into the store."""

from __future__ import annotations

import typer

from provml.cli import options
from provml.errors import ProvmlError

LOCATION = typer.Argument(
    ...,
    metavar="URI_OR_PATH",
    help="An `mlruns` directory, an `mlflow.db` file, or an MLflow tracking URI.",
)
EXPERIMENT = typer.Option(
    [], "--experiment", metavar="NAME", help="Import only this experiment (name or id)."
)
RUN = typer.Option([], "--run", metavar="ID", help="Import only this run.")


@options.store_command
def import_mlflow(
    location: str = LOCATION,
    experiment: list[str] = EXPERIMENT,
    run: list[str] = RUN,
    store_options: options.StoreOptions = options.STORE_OPTIONS,
) -> None:
    """Import MLflow runs: each becomes workflow run `mlflow-<run id>` with its training task."""
    from provml.loaders import mlflow_import

    try:
        mlflow_import.require_mlflow()
        uri = mlflow_import.tracking_uri_for(location)
        with store_options.open(must_exist=False) as opened:
            report = mlflow_import.import_mlflow(opened, uri, experiments=experiment, runs=run)
            where = opened.location
    except ProvmlError as error:
        raise options.fail(error) from None
    typer.echo(
        f"imported {report.events:,} events ({report.quads:,} quads) of "
        f"{len(report.runs)} MLflow runs from {uri} into {where}"
    )
