"""Options every store-touching command shares, and opening the store they name."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass, fields
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


@dataclass(frozen=True)
class StoreOptions:
    """The store a command names and how to reach it: the options every store command shares."""

    store: str | None = None
    wait: float = 0.0
    user: str | None = None
    password: str | None = None
    update_url: str | None = None
    graph_store_url: str | None = None
    auth: str = "basic"
    max_rows: int | None = None

    def open(self, *, must_exist: bool = True) -> Store:
        """Open the named store (see `open_cli_store`)."""
        return open_cli_store(
            self.store,
            user=self.user,
            password=self.password,
            update_url=self.update_url,
            graph_store_url=self.graph_store_url,
            auth=self.auth,
            max_rows=self.max_rows,
            wait=self.wait,
            must_exist=must_exist,
        )


#: The default a store command declares for `store_options` (store_command passes the real ones).
STORE_OPTIONS = StoreOptions()

# The command-line form of each StoreOptions field, in --help order.
_STORE_OPTIONS: dict[str, tuple[Any, Any]] = {
    "store": (STORE, str | None),
    "wait": (WAIT, float),
    "user": (USER, str | None),
    "password": (PASSWORD, str | None),
    "update_url": (UPDATE_URL, str | None),
    "graph_store_url": (GRAPH_STORE_URL, str | None),
    "auth": (AUTH, str),
    "max_rows": (MAX_ROWS, int | None),
}
assert set(_STORE_OPTIONS) == {field.name for field in fields(StoreOptions)}


def store_command(command: Callable[..., None]) -> Callable[..., None]:
    """`command` with the store options on its command line, handed to it as `store_options`.

    Typer reads a command's options from its signature, so the wrapper's signature is the
    command's own (less `store_options`) followed by one parameter per StoreOptions field.
    """
    signature = inspect.signature(command, eval_str=True)
    own = [param for name, param in signature.parameters.items() if name != "store_options"]
    added = [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=option, annotation=kind)
        for name, (option, kind) in _STORE_OPTIONS.items()
    ]

    @functools.wraps(command)
    def with_store_options(**arguments: Any) -> None:
        chosen = StoreOptions(**{name: arguments.pop(name) for name in _STORE_OPTIONS})
        command(**arguments, store_options=chosen)

    parameters = [
        *(param.replace(kind=inspect.Parameter.KEYWORD_ONLY) for param in own),
        *added,
    ]
    with_store_options.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=parameters
    )
    with_store_options.__annotations__ = {
        **{param.name: param.annotation for param in parameters},
        "return": None,
    }
    return with_store_options


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
