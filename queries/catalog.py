"""The canned queries: `.rq` files found in this package (and extra folders), headers parsed.

A header is a run of `#+ key: value` lines before the query; a value continues on following
`#+ ` lines that have no key (`#+   more text`); `#+ word:` is always read as a key. A string
default may be quoted (`split: string = "validation"`).
Keys: summary (required), description, taxonomy, params, returns, limit (the name of an integer
parameter that caps the rows, as SPARQL's LIMIT takes no variable), and the query's facts:
latency (its class of LATENCIES: the target the benchmark holds it to), example (parameters that
make it answer on a `provml synth` campaign: `name = "literal"` or `name = recipe`, a recipe
being a rule of the generator that picks the value from the generated data) and volatile (result
columns that depend on the moment the query runs, left out when answers are compared). Every
error names the file and the line.

Files are read once: the package's when first asked, an extra folder's again only when a file's
modification time or size changed.
"""

from __future__ import annotations

__all__ = [
    "PLAIN_QUERIES",
    "TAXONOMY",
    "TYPES",
    "CannedQuery",
    "Column",
    "describe",
    "get_query",
    "list_queries",
]

import difflib
import functools
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
#: Latency classes: `lineage` for lookups and lineage questions (one run's or one entity's
#: neighbourhood, whatever the store's size), `interactive` for any other canned query (it may
#: read every run of a workflow or every model).
LATENCIES = frozenset({"lineage", "interactive"})
_KEYS = (
    "summary",
    "description",
    "taxonomy",
    "params",
    "returns",
    "limit",
    "latency",
    "example",
    "volatile",
)
_KEY_LINE = re.compile(r"#\+ ([a-z_]+):(?:\s+(.*))?$")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_PARAM = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\s*:\s*([a-z]+)\s*(?:=\s*(.*?))?\s*")
_COLUMN = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\s*(?:\(\s*([a-z]+)\s*\))?")
_EXAMPLE = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.+?)\s*")


@dataclass(frozen=True)
class Column:
    """A result column a canned query declares, with its type."""

    name: str
    type: str


@dataclass(frozen=True)
class Example:
    """A parameter's value on a `provml synth` campaign: a literal (`value`, typed as the
    parameter) or the name of the generator's rule that picks it from the data (`recipe`)."""

    param: str
    value: str | int | float | bool | None = None
    recipe: str | None = None


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
    #: The latency class (one of LATENCIES), if the header gives one.
    latency: str | None = None
    #: Parameter values that make the query answer on a synthetic campaign.
    examples: tuple[Example, ...] = ()
    #: Result columns whose values depend on the moment the query runs.
    volatile: tuple[str, ...] = ()

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
            at = values["params"][0]
            raise QueryError(
                f"{source}:{at}: parameter {param.name!r} is not a variable of the query "
                f"(?{param.name})"
            )
        if projected is not None and param.name not in projected:
            at = values["params"][0]
            raise QueryError(
                f"{source}:{at}: parameter {param.name!r} must be projected by the SELECT "
                "(engines bind only projected variables)"
            )
    limit = values.get("limit", (0, ""))[1] or None
    if limit is not None and not any(p.name == limit and p.type == "integer" for p in params):
        at = values["limit"][0]
        raise QueryError(f"{source}:{at}: limit {limit!r} must name an integer parameter")
    returns = _returns(*values.get("returns", (0, "")), source)
    latency = values.get("latency", (0, ""))[1] or None
    if latency is not None and latency not in LATENCIES:
        raise QueryError(
            f"{source}:{values['latency'][0]}: latency {latency!r} is not one of "
            f"{', '.join(sorted(LATENCIES))}"
        )
    return CannedQuery(
        name=name,
        summary=values["summary"][1],
        source=source,
        text=text,
        description=values.get("description", (0, ""))[1],
        taxonomy=_taxonomy(*values.get("taxonomy", (0, "")), source),
        params=params,
        returns=returns,
        limit=limit,
        latency=latency,
        examples=_examples(*values.get("example", (0, "")), params, source),
        volatile=_volatile(*values.get("volatile", (0, "")), returns, projected, source),
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


def _examples(line: int, value: str, params: tuple[Param, ...], source: str) -> tuple[Example, ...]:
    """`name = "text" ; name2 = 3 ; name3 = recipe` as Examples of declared parameters."""
    from provml.queries.params import to_term

    examples: list[Example] = []
    for part in filter(None, (piece.strip() for piece in value.split(";"))):
        match = _EXAMPLE.fullmatch(part)
        if match is None:
            raise QueryError(
                f'{source}:{line}: example {part!r} is not `name = "literal"` or `name = recipe`'
            )
        name, given = match.groups()
        param = next((p for p in params if p.name == name), None)
        if param is None:
            raise QueryError(f"{source}:{line}: example {name!r} is not a declared parameter")
        if any(example.param == name for example in examples):
            raise QueryError(f"{source}:{line}: example {name!r} given twice")
        if _NAME.fullmatch(given) and given not in ("true", "false"):
            examples.append(Example(name, recipe=given))
            continue
        literal = _literal(param, given)
        try:
            to_term(param, literal, source)
        except QueryError as error:
            raise QueryError(f"{source}:{line}: example of {error}") from None
        examples.append(Example(name, value=literal))
    return tuple(examples)


def _literal(param: Param, given: str) -> str | int | float | bool:
    """An example's literal text as a value of the parameter's type (quotes and <> removed)."""
    if len(given) >= 2 and given[0] == given[-1] and given[0] in "\"'":
        return given[1:-1]
    if len(given) >= 2 and given[0] == "<" and given[-1] == ">":
        return given[1:-1]
    try:
        if param.type == "integer":
            return int(given)
        if param.type == "float":
            return float(given)
    except ValueError:
        return given  # to_term refuses it with the parameter's name
    if param.type == "boolean" and given in ("true", "false"):
        return given == "true"
    return given


def _volatile(
    line: int, value: str, returns: tuple[Column, ...], projected: set[str] | None, source: str
) -> tuple[str, ...]:
    """`col, col2` as the names of result columns (declared or projected)."""
    names = tuple(name.strip() for name in value.split(",") if name.strip())
    known = {column.name for column in returns} | (projected or set())
    for name in names:
        if not _NAME.fullmatch(name) or (known and name not in known):
            raise QueryError(f"{source}:{line}: volatile {name!r} is not a result column")
    return names


# Plain PROV-O versions of the canned queries that read load-time digests: pass as a directory.
PLAIN_QUERIES = Path(str(resources.files("provml.queries").joinpath("plain")))


@functools.cache
def _packaged() -> dict[str, tuple[str, str]]:
    """name -> (source, text) of the package's `.rq` files, read once (package data is fixed)."""
    found: dict[str, tuple[str, str]] = {}
    packaged = resources.files("provml.queries")
    for entry in sorted(packaged.iterdir(), key=lambda item: item.name):
        if entry.name.endswith(".rq") and entry.is_file():
            found[entry.name[:-3]] = (str(entry), entry.read_text(encoding="utf-8"))
    return found


@functools.cache
def _packaged_query(name: str) -> CannedQuery:
    """The package's query of that name, parsed once."""
    source, text = _packaged()[name]
    return parse_query(text, source, name)


@functools.lru_cache(maxsize=512)
def _folder_query(path: str, name: str, modified_ns: int, size: int) -> CannedQuery:
    """A folder's `.rq` file, parsed; cached while its modification time and size stay the
    same (errors are not cached: a fixed file is read again)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise QueryError(f"{path}: cannot be read: {error}") from None
    return parse_query(text, path, name)


def _sources(directories: Iterable[str | Path]) -> dict[str, functools.partial[CannedQuery]]:
    """name -> a call that parses (or takes from the cache) each `.rq` file: the package's, then
    each extra directory's, a later one overriding an earlier one of the same name."""
    found = {name: functools.partial(_packaged_query, name) for name in _packaged()}
    for directory in directories:
        folder = Path(directory)
        if not folder.is_dir():
            raise QueryError(f"the query directory {folder} does not exist")
        for path in sorted(folder.glob("*.rq")):
            try:
                stat = path.stat()
            except OSError as error:
                raise QueryError(f"{path}: cannot be read: {error}") from None
            found[path.stem] = functools.partial(
                _folder_query, str(path), path.stem, stat.st_mtime_ns, stat.st_size
            )
    return found


def list_queries(directories: Iterable[str | Path] = ()) -> list[CannedQuery]:
    """Every canned query, sorted by name; `directories` add (or override) `.rq` files."""
    return [parse() for _, parse in sorted(_sources(directories).items())]


def get_query(name: str, directories: Iterable[str | Path] = ()) -> CannedQuery:
    """The canned query of that name; UnknownQuery naming close matches if there is none."""
    sources = _sources(directories)
    if name not in sources:
        close = difflib.get_close_matches(name, list(sources), n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(close)}?" if close else "; `provml queries` lists them"
        raise UnknownQuery(f"no canned query named {name!r}{hint}", query=name)
    return sources[name]()
