"""The canned queries: `.rq` files found in this package (and extra folders), headers parsed.

A header is a run of `#+ key: value` lines before the query; a value continues on following
`#+ ` lines that have no key (`#+   more text`); `#+ word:` is always read as a key. A string
default may be quoted (`split: string = "validation"`).
Keys: summary (required), description, taxonomy, params, returns, limit (the name of an integer
parameter that caps the rows, as SPARQL's LIMIT takes no variable). Every error names the file
and the line.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from provml.errors import QueryError, UnknownQuery
from provml.kg.sparql_text import projected_variables
from provml.queries.params import Param, to_term

#: The taxonomy's axes and the values each may take.
TAXONOMY: dict[str, frozenset[str]] = {
    "data": frozenset({"domain", "ml", "execution"}),
    "execution": frozenset({"online", "offline"}),
    "training": frozenset({"intra", "inter", "none"}),
    "phase": frozenset({"curation", "preparation", "learning", "inference", "across"}),
    "provenance": frozenset({"prospective", "retrospective", "both"}),
}
#: Types a parameter or a result column may declare.
TYPES = frozenset({"iri", "string", "integer", "float", "datetime", "boolean"})
_KEYS = ("summary", "description", "taxonomy", "params", "returns", "limit")
_KEY_LINE = re.compile(r"#\+ ([a-z_]+):(?:\s+(.*))?$")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_PARAM = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\s*:\s*([a-z]+)\s*(?:=\s*(.*?))?\s*")
_COLUMN = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\s*(?:\(\s*([a-z]+)\s*\))?")


@dataclass(frozen=True)
class Column:
    """A result column a canned query declares, with its type."""

    name: str
    type: str


@dataclass(frozen=True)
class CannedQuery:
    """One `.rq` file: its name (the file stem), header metadata and SPARQL text."""

    name: str
    summary: str
    source: str
    text: str
    description: str = ""
    taxonomy: dict[str, tuple[str, ...]] = field(default_factory=dict)
    params: tuple[Param, ...] = ()
    returns: tuple[Column, ...] = ()
    #: The integer parameter whose value caps the number of rows (top k), if any.
    limit: str | None = None

    def param(self, name: str) -> Param | None:
        """The declared parameter of that name, if any."""
        return next((param for param in self.params if param.name == name), None)


def describe(query: CannedQuery) -> dict[str, Any]:
    """A canned query's header as JSON-ready values (listed by the CLI and the endpoint)."""
    return {
        "name": query.name,
        "summary": query.summary,
        "description": query.description,
        "taxonomy": {axis: list(values) for axis, values in query.taxonomy.items()},
        "params": [
            {"name": p.name, "type": p.type, "default": p.default, "required": p.required}
            for p in query.params
        ],
        "returns": [{"name": c.name, "type": c.type} for c in query.returns],
    }


def parse_query(text: str, source: str, name: str) -> CannedQuery:
    """Parse a canned query's header; QueryError naming `source` and the line if invalid."""
    values: dict[str, tuple[int, str]] = {}
    current: str | None = None
    body_start = None
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.rstrip()
        key_line = _KEY_LINE.match(stripped)
        if key_line:
            key = key_line.group(1)
            if key not in _KEYS:
                raise QueryError(
                    f"{source}:{number}: unknown header key {key!r} (keys: {', '.join(_KEYS)}; "
                    "continue a value on a `#+   ` line)"
                )
            if key in values:
                raise QueryError(f"{source}:{number}: header key {key!r} given twice")
            values[key] = (number, (key_line.group(2) or "").strip())
            current = key
        elif stripped.startswith("#+ ") or stripped == "#+":
            if current is None:
                raise QueryError(f"{source}:{number}: header line without a key (`#+ key: ...`)")
            start, value = values[current]
            values[current] = (start, f"{value} {stripped[2:].strip()}".strip())
        elif stripped.startswith("#+"):
            raise QueryError(f"{source}:{number}: header lines start with `#+ ` (a space)")
        elif stripped == "" or stripped.startswith("#"):
            current = None if stripped == "" else current
        else:
            body_start = number
            break
    if body_start is None:
        raise QueryError(f"{source}: no SPARQL query after the header")
    if "summary" not in values or not values["summary"][1]:
        raise QueryError(f"{source}:1: the header has no `#+ summary: ...` line")
    body = "\n".join(text.splitlines()[body_start - 1 :])
    params = _params(*values.get("params", (0, "")), source)
    projected = projected_variables(body)
    for param in params:
        if not re.search(rf"[?$]{param.name}\b", body):
            line = values["params"][0]
            raise QueryError(
                f"{source}:{line}: parameter {param.name!r} is not a variable of the query "
                f"(?{param.name})"
            )
        if projected is not None and param.name not in projected:
            line = values["params"][0]
            raise QueryError(
                f"{source}:{line}: parameter {param.name!r} must be projected by the SELECT "
                "(engines bind only projected variables)"
            )
    limit = values.get("limit", (0, ""))[1] or None
    if limit is not None and not any(p.name == limit and p.type == "integer" for p in params):
        line = values["limit"][0]
        raise QueryError(f"{source}:{line}: limit {limit!r} must name an integer parameter")
    return CannedQuery(
        name=name,
        summary=values["summary"][1],
        source=source,
        text=text,
        description=values.get("description", (0, ""))[1],
        taxonomy=_taxonomy(*values.get("taxonomy", (0, "")), source),
        params=params,
        returns=_returns(*values.get("returns", (0, "")), source),
        limit=limit,
    )


def _taxonomy(line: int, value: str, source: str) -> dict[str, tuple[str, ...]]:
    """`axis=v1,v2; axis2=v` as a dict of tuples, checked against TAXONOMY."""
    cells: dict[str, tuple[str, ...]] = {}
    for part in filter(None, (piece.strip() for piece in value.split(";"))):
        axis, equals, names = part.partition("=")
        axis = axis.strip()
        if not equals or axis not in TAXONOMY:
            raise QueryError(
                f"{source}:{line}: taxonomy {part!r} is not axis=value with an axis of "
                f"{sorted(TAXONOMY)}"
            )
        chosen = tuple(name.strip() for name in names.split(",") if name.strip())
        unknown = [name for name in chosen if name not in TAXONOMY[axis]]
        if unknown or not chosen:
            raise QueryError(
                f"{source}:{line}: taxonomy {axis}={names.strip()!r}: use "
                f"{', '.join(sorted(TAXONOMY[axis]))}"
            )
        cells[axis] = chosen
    return cells


def _params(line: int, value: str, source: str) -> tuple[Param, ...]:
    """`name: type = default ; name2: type` as Params, defaults checked against their type."""
    params: list[Param] = []
    for part in filter(None, (piece.strip() for piece in value.split(";"))):
        match = _PARAM.fullmatch(part)
        if match is None:
            raise QueryError(f"{source}:{line}: parameter {part!r} is not `name: type [= default]`")
        name, kind, default = match.groups()
        if kind not in TYPES:
            raise QueryError(
                f"{source}:{line}: parameter {name!r} has unknown type {kind!r}; use "
                f"{', '.join(sorted(TYPES))}"
            )
        if any(param.name == name for param in params):
            raise QueryError(f"{source}:{line}: parameter {name!r} declared twice")
        if kind == "string" and default and len(default) >= 2 and default[0] == default[-1]:
            # `= "validation"`: the quotes delimit the text, as in SPARQL.
            default = default[1:-1] if default[0] in "\"'" else default
        param = Param(name, kind, default)
        if default is not None:
            try:
                to_term(param, default, source)
            except QueryError as error:
                raise QueryError(f"{source}:{line}: default of {error}") from None
        params.append(param)
    return tuple(params)


def _returns(line: int, value: str, source: str) -> tuple[Column, ...]:
    """`col (type), col2 (type)` as Columns."""
    columns: list[Column] = []
    for part in filter(None, (piece.strip() for piece in value.split(","))):
        match = _COLUMN.fullmatch(part)
        if match is None or (match.group(2) or "string") not in TYPES:
            raise QueryError(
                f"{source}:{line}: result column {part!r} is not `name (type)` with a type of "
                f"{', '.join(sorted(TYPES))}"
            )
        columns.append(Column(match.group(1), match.group(2) or "string"))
    return tuple(columns)


# Plain PROV-O versions of the canned queries that read load-time digests: pass as a directory.
PLAIN_QUERIES = Path(str(resources.files("provml.queries").joinpath("plain")))


def _files(directories: Iterable[str | Path]) -> dict[str, tuple[str, str]]:
    """name -> (source, text) of every `.rq` file: the package's, then each extra directory's."""
    found: dict[str, tuple[str, str]] = {}
    packaged = resources.files("provml.queries")
    for entry in sorted(packaged.iterdir(), key=lambda item: item.name):
        if entry.name.endswith(".rq") and entry.is_file():
            found[entry.name[:-3]] = (str(entry), entry.read_text(encoding="utf-8"))
    for directory in directories:
        folder = Path(directory)
        if not folder.is_dir():
            raise QueryError(f"the query directory {folder} does not exist")
        for path in sorted(folder.glob("*.rq")):
            try:
                found[path.stem] = (str(path), path.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError) as error:
                raise QueryError(f"{path}: cannot be read: {error}") from None
    return found


def list_queries(directories: Iterable[str | Path] = ()) -> list[CannedQuery]:
    """Every canned query, sorted by name; `directories` add (or override) `.rq` files."""
    return [
        parse_query(text, source, name)
        for name, (source, text) in sorted(_files(directories).items())
    ]


def get_query(name: str, directories: Iterable[str | Path] = ()) -> CannedQuery:
    """The canned query of that name; UnknownQuery naming close matches if there is none."""
    files = _files(directories)
    if name not in files:
        close = difflib.get_close_matches(name, list(files), n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(close)}?" if close else "; `provml queries` lists them"
        raise UnknownQuery(f"no canned query named {name!r}{hint}")
    source, text = files[name]
    return parse_query(text, source, name)
