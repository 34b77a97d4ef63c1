"""Options every store-touching command shares, and opening the store they name."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from provml.errors import ProvmlError, StoreError

if TYPE_CHECKING:
    from provml.kg.store import Store

STORE = typer.Option(
    None,
    "--store",
    metavar="PATH|URL",
    help="Store directory or SPARQL endpoint URL (default: $PROVML_STORE or ./provml-store).",
)
WAIT = typer.Option(
    0.0,
    "--wait",
    metavar="SECONDS",
    help="While another process writes the store directory, wait this long for it.",
)
USER = typer.Option(None, "--user", envvar="PROVML_STORE_USER", help="User for a remote endpoint.")
PASSWORD = typer.Option(
    None, "--password", envvar="PROVML_STORE_PASSWORD", help="Password for a remote endpoint."
)


def store_location(store: str | None, *, must_exist: bool = True) -> str:
    """The store to open: the option, else $PROVML_STORE, else ./provml-store.

    With `must_exist`, an embedded store directory that is not there raises StoreError (reading
    commands); writing commands pass False and the directory is created.
    """
    from provml.kg import backend_for, default_location
    from provml.kg.oxigraph import directory_of

    location = store or default_location()
    if must_exist and backend_for(location) == "oxigraph" and not directory_of(location).is_dir():
        raise StoreError(
            f"no store at {location}: load data first (`provml load`), or pass --store PATH|URL "
            "or set $PROVML_STORE"
        )
    return location


def open_cli_store(
    store: str | None,
    *,
    user: str | None = None,
    password: str | None = None,
    wait: float = 0.0,
    must_exist: bool = True,
) -> Store:
    """Open the store a command's options name, with the options its backend takes."""
    from provml.kg import backend_for, open_store

    location = store_location(store, must_exist=must_exist)
    if backend_for(location) == "oxigraph":
        return open_store(location, wait=wait)
    return open_store(location, user=user, password=password)


def fail(error: ProvmlError) -> typer.Exit:
    """Print `error: ...` on stderr; the exit (status 1) for the command to raise."""
    typer.echo(f"error: {error}", err=True)
    return typer.Exit(1)
