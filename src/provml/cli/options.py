"""Options every store-touching command shares, and opening the store they name."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

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
UPDATE_URL = typer.Option(
    None,
    "--update-url",
    envvar="PROVML_STORE_UPDATE_URL",
    metavar="URL",
    help="SPARQL update endpoint of a remote store (default: the --store URL; Virtuoso: "
    ".../sparql-auth).",
)
GRAPH_STORE_URL = typer.Option(
    None,
    "--graph-store-url",
    envvar="PROVML_STORE_GRAPH_STORE_URL",
    metavar="URL",
    help="Graph Store Protocol endpoint of a remote store, for loads and dumps (Virtuoso: "
    ".../sparql-graph-crud-auth).",
)
AUTH = typer.Option(
    "basic",
    "--auth",
    envvar="PROVML_STORE_AUTH",
    metavar="basic|digest",
    help="HTTP authentication for --user/--password (Virtuoso's /sparql-auth: digest).",
)
MAX_ROWS = typer.Option(
    None,
    "--max-rows",
    envvar="PROVML_STORE_MAX_ROWS",
    metavar="N",
    min=1,
    help="Result cap of a remote server that cuts results without saying so: an answer of N "
    "rows is fetched again page by page (Virtuoso announces its cap; no need there).",
)


def remote(
    user: str | None,
    password: str | None,
    update_url: str | None,
    graph_store_url: str | None,
    auth: str,
    max_rows: int | None,
) -> dict[str, Any]:
    """The remote-store options of a command, as `open_cli_store` takes them."""
    return {
        "user": user,
        "password": password,
        "update_url": update_url,
        "graph_store_url": graph_store_url,
        "auth": auth,
        "max_rows": max_rows,
    }


def store_location(store: str | None, *, must_exist: bool = True) -> str:
    """The store to open: the option, else $PROVML_STORE, else ./provml-store.

    With `must_exist`, an embedded store directory that is not there raises StoreError (reading
    commands); writing commands pass False and the directory is created.
    """
    from provml.kg import default_location
    from provml.kg.registry import store_class

    location = store or default_location()
    directory = store_class(location).local_directory(location)
    if must_exist and directory is not None and not directory.is_dir():
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
    update_url: str | None = None,
    graph_store_url: str | None = None,
    auth: str | None = "basic",
    max_rows: int | None = None,
    wait: float = 0.0,
    must_exist: bool = True,
) -> Store:
    """Open the store a command's options name, with the options its backend takes: `wait`
    for a store directory (held by one process), credentials and endpoints for a server that
    takes them."""
    from provml.kg import open_store
    from provml.kg.registry import store_class

    location = store_location(store, must_exist=must_exist)
    backend = store_class(location)
    chosen: dict[str, Any] = {}
    if backend.local_directory(location) is not None:
        chosen["wait"] = wait
    if backend.takes_credentials:
        chosen.update(
            user=user,
            password=password,
            update_url=update_url,
            graph_store_url=graph_store_url,
            auth=auth or "basic",
            max_rows=max_rows,
        )
    return open_store(location, **chosen)


def fail(error: ProvmlError) -> typer.Exit:
    """Print `error: ...` on stderr; the exit (status 1) for the command to raise."""
    typer.echo(f"error: {error}", err=True)
    return typer.Exit(1)
