"""`provml queries`, `provml query NAME` and `provml sparql FILE`: canned and ad-hoc queries."""

from __future__ import annotations

import csv
import datetime as dt
import json
import sys
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from provml.cli import options
from provml.errors import ProvmlError, QueryError

if TYPE_CHECKING:
    from provml.queries import CannedQuery, QueryRows

FORMATS = ("table", "csv", "json")
QUERIES_DIR = typer.Option(
    None,
    "--queries-dir",
    metavar="DIR",
    help="A folder of extra .rq files (same header), added to the canned ones; repeatable.",
)
PLAIN = typer.Option(
    False,
    "--plain",
    help="Run the plain PROV-O version (no load-time digests), where the query has one: for "
    "provenance that provml's loader did not write, e.g. an imported PROV document.",
)
PARAM = typer.Option(
    None, "--param", "-p", metavar="NAME=VALUE", help="A parameter value; repeatable."
)
ROWS_FORMAT = typer.Option(
    "table", "--format", metavar="table|csv|json", help="Output format.", case_sensitive=False
)


def _check_format(output_format: str, allowed: tuple[str, ...]) -> str:
    """The format in lower case; BadParameter if it is not one of `allowed`."""
    chosen = output_format.lower()
    if chosen not in allowed:
        raise typer.BadParameter(f"use {', '.join(allowed)}", param_hint="--format")
    return chosen


def _taxonomy_text(query: CannedQuery) -> str:
    """`data=ml; phase=learning` for a table cell."""
    return "; ".join(f"{axis}={','.join(values)}" for axis, values in query.taxonomy.items())


def queries(
    output_format: str = typer.Option(
        "table", "--format", metavar="table|json", help="Output format.", case_sensitive=False
    ),
    queries_dir: list[Path] | None = QUERIES_DIR,
) -> None:
    """List the canned queries with their summaries and taxonomy cells."""
    from provml.queries import describe, list_queries

    chosen = _check_format(output_format, ("table", "json"))
    try:
        found = list_queries(queries_dir or ())
    except ProvmlError as error:
        raise options.fail(error) from None
    if chosen == "json":
        listing = [{**describe(query), "source": query.source} for query in found]
        typer.echo(json.dumps(listing, indent=2))
        return
    table = Table(title="canned queries (provml query NAME)")
    for heading in ("name", "summary", "taxonomy"):
        table.add_column(heading, overflow="fold")
    for query in found:
        table.add_row(Text(query.name), Text(query.summary), Text(_taxonomy_text(query)))
    Console().print(table)


def _parse_params(values: list[str]) -> dict[str, str]:
    """`name=value` options as a dict; QueryError for one without `=` or given twice."""
    params: dict[str, str] = {}
    for item in values:
        name, equals, value = item.partition("=")
        if not equals or not name.strip():
            raise QueryError(f"--param {item!r} is not name=value")
        if name.strip() in params:
            raise QueryError(f"--param {name.strip()} is given twice")
        params[name.strip()] = value
    return params


@options.store_command
def query(
    name: str = typer.Argument(..., help="The canned query (see `provml queries`)."),
    param: list[str] | None = PARAM,
    output_format: str = ROWS_FORMAT,
    store_options: options.StoreOptions = options.STORE_OPTIONS,
    queries_dir: list[Path] | None = QUERIES_DIR,
    plain: bool = PLAIN,
) -> None:
    """Run a canned query; parameter values are parsed by their declared type and bound."""
    from provml.queries import PLAIN_QUERIES, bindings_for, get_query, run_query

    chosen = _check_format(output_format, FORMATS)
    try:
        canned = get_query(name, [*(queries_dir or ()), *([PLAIN_QUERIES] if plain else [])])
        params = _parse_params(param or [])
        bindings_for(canned, dict(params))  # refuse bad values before opening the store
        with store_options.open() as opened:
            rows = run_query(opened, canned, **params)
    except ProvmlError as error:
        raise options.fail(error) from None
    _print_rows(rows, chosen)


@options.store_command
def sparql(
    file: str = typer.Argument(..., metavar="FILE.rq|-", help="The query file, or - for stdin."),
    output_format: str = ROWS_FORMAT,
    allow_service: bool = typer.Option(
        False, "--allow-service", help="Allow SERVICE (the store then fetches from other hosts)."
    ),
    store_options: options.StoreOptions = options.STORE_OPTIONS,
    param: list[str] | None = PARAM,
) -> None:
    """Run an ad-hoc read-only SPARQL query (updates refused; SERVICE refused unless allowed).

    With `--param name=value`, the file is read as a canned query: its `#+ params:` header
    declares each parameter's type, values are checked against it and bound by the engine.
    """
    from provml.queries import bindings_for, check_read_only, run_query, run_sparql
    from provml.queries.catalog import parse_query

    chosen = _check_format(output_format, FORMATS)
    try:
        source, text = _read_query(file)
        check_read_only(text, source, allow_service=allow_service)
        params = _parse_params(param or [])
        canned = None
        if params:
            name = Path(source).stem if source != "<stdin>" else "stdin"
            canned = parse_query(text, source, name)
            bindings_for(canned, dict(params))  # refuse bad values before opening the store
        with store_options.open() as opened:
            if canned is not None:
                rows = run_query(opened, canned, **params)
            else:
                rows = run_sparql(opened, text, source=source, allow_service=allow_service)
    except ProvmlError as error:
        raise options.fail(error) from None
    _print_rows(rows, chosen)


@options.store_command
def lineage(
    iri: str = typer.Argument(..., metavar="IRI", help="The entity or activity."),
    down: bool = typer.Option(
        False, "--down", help="Downstream: what derives from it and what used it."
    ),
    depth: int | None = typer.Option(
        None, "--depth", min=0, metavar="N", help="At most N edges from IRI (default: all)."
    ),
    node_class: str | None = typer.Option(
        None, "--class", metavar="IRI", help="Only edges to nodes of this class."
    ),
    output_format: str = ROWS_FORMAT,
    store_options: options.StoreOptions = options.STORE_OPTIONS,
) -> None:
    """The lineage of an entity or activity, level by level: each edge with its depth, how it
    was known (recorded, inferred, generated, used, version) and the run (name) recording it."""
    from provml.queries import QueryRows
    from provml.queries.lineage import walk
    from provml.queries.params import Param, to_term

    chosen = _check_format(output_format, FORMATS)
    try:
        to_term(Param("IRI", "iri"), iri, "lineage")  # refuse before opening the store
        if node_class is not None:
            to_term(Param("class", "iri"), node_class, "lineage")
        with store_options.open() as opened:
            edges = walk(opened, iri, down=down, depth=depth, node_class=node_class)
    except ProvmlError as error:
        raise options.fail(error) from None
    columns = ["depth", "child", "how", "node", "node_label", "node_class", "run", "run_label"]
    rows = QueryRows(
        columns,
        [{name: getattr(edge, name) for name in columns} for edge in edges],
        "lineage",
    )
    _print_rows(rows, chosen)


def _read_query(file: str) -> tuple[str, str]:
    """The query's name for messages and its text, from a file or stdin."""
    if file == "-":
        return "<stdin>", sys.stdin.read()
    try:
        return file, Path(file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise QueryError(f"cannot read the query {file}: {error}") from None


def _cell(value: Any) -> str:
    """A value as text for tables and CSV."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def _json_value(value: Any) -> Any:
    """A value JSON can hold: numbers and booleans stay, the rest as text."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, Decimal):
        return float(value)
    return _cell(value)


def _print_rows(rows: QueryRows, output_format: str) -> None:
    """Print rows as a rich table, CSV with a header, or a JSON list of objects."""
    if output_format == "json":
        listing = [{name: _json_value(row[name]) for name in rows.columns} for row in rows]
        typer.echo(json.dumps(listing, indent=2, ensure_ascii=False))
        return
    if output_format == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(rows.columns)
        writer.writerows([_cell(value) for value in row] for row in rows.tuples())
        sys.stdout.flush()
        return
    table = Table(caption=f"{len(rows)} rows")
    for name in rows.columns:
        table.add_column(name, overflow="fold")
    for row in rows.tuples():
        table.add_row(*(Text(_cell(value)) for value in row))
    Console().print(table)
