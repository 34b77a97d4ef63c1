"""SPARQL query text: reading its form and projection, and binding values into it.

Text surgery shared by the backends, with no engine of its own: `query_form` reads a query's
form past comments and IRIs, `projected_variables` what a SELECT projects, and `bind` writes
validated terms into a query as a VALUES block (`sparql_term`, `values_row`). The scanner skips
IRIs, strings and comments, so braces and keywords inside them are never mistaken for code.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import pyoxigraph

from provml.errors import QueryError, UnsafeParameter
from provml.kg.terms import BindingTerm

# SPARQL processes \u escapes in the query text before parsing; a term holding one could then
# end its own literal on a server that does so, so such terms are not put into query text.
_CODEPOINT_ESCAPE = re.compile(r"\\[uU]")
# SPARQL's IRIREF: what may stand between < and > in an IRI.
_IRIREF = re.compile(r'<[^<>"{}|^`\\\x00-\x20]*>')


def has_codepoint_escape(text: str) -> bool:
    """Whether `text` holds a `\\u` or `\\U` escape, which SPARQL decodes before parsing."""
    return _CODEPOINT_ESCAPE.search(text) is not None


def sparql_term(term: BindingTerm, what: str, *, parameter: str | None = None) -> str:
    """A validated term's N-Triples form, for query text; UnsafeParameter if it cannot be there."""
    if isinstance(term, pyoxigraph.BlankNode):
        raise UnsafeParameter(
            f"{what} is a blank node, which a remote endpoint cannot bind; use an IRI",
            parameter=parameter,
        )
    text = str(term)
    if has_codepoint_escape(text):
        raise UnsafeParameter(
            f"{what} {text} contains a \\u escape, which SPARQL would decode before parsing",
            parameter=parameter,
        )
    return text


def values_row(bindings: Mapping[str, BindingTerm]) -> str:
    """An inline `VALUES (?a ?b) { (<x> "y") }` block binding each name to its term."""
    names = " ".join(f"?{name}" for name in bindings)
    row = " ".join(
        sparql_term(term, f"binding ?{name}", parameter=name) for name, term in bindings.items()
    )
    return f"VALUES ({names}) {{ ({row}) }}"


def bind(sparql: str, form: str, bindings: Mapping[str, BindingTerm]) -> str:
    """The query with its bindings as VALUES: first in a SELECT's WHERE group, else in its end.

    In a SELECT the block opens the top-level WHERE group, so a FILTER of that group sees the
    bound value, as with Oxigraph's substitutions. Virtuoso accepts a trailing VALUES only after
    SELECT, so ASK, CONSTRUCT and DESCRIBE get the block just before the closing brace of their
    WHERE clause, which must end the text.
    """
    block = values_row(bindings)
    if form == "SELECT":
        opening, head = _head(sparql)
        if opening is None:
            raise QueryError("the SELECT query has no WHERE group { ... } to bind variables in")
        projected = _projected(head)
        for name in bindings:
            if projected is not None and name not in projected:
                raise QueryError(
                    f"binding ?{name}: the SELECT does not project it, so it cannot be bound "
                    "(Oxigraph refuses it too)"
                )
        return f"{sparql[: opening + 1]} {block}\n{sparql[opening + 1 :]}"
    body = sparql.rstrip()
    last_line = body.rsplit("\n", 1)[-1]
    if not body.endswith("}") or re.search(r"(^|\s)#", last_line):
        raise QueryError(
            f"to bind variables of a {form} query on a remote endpoint, end the query with the "
            "closing brace of its WHERE clause (no LIMIT, ORDER BY or comment after it)"
        )
    return f"{body[:-1]} {block} }}"


def first_group_brace(sparql: str) -> int | None:
    """The offset of the first `{` outside IRIs, strings and comments (a SELECT's WHERE group)."""
    return _head(sparql)[0]


def _head(sparql: str) -> tuple[int | None, str]:
    """The first `{` outside IRIs, strings and comments, and the code before it without them."""
    index, length = 0, len(sparql)
    code: list[str] = []
    while index < length:
        char = sparql[index]
        if char == "{":
            return index, "".join(code)
        if char == "#":
            newline = sparql.find("\n", index)
            index = length if newline < 0 else newline + 1
        elif char in "\"'":
            index = _string_end(sparql, index)
        elif char == "<" and (iri := _IRIREF.match(sparql, index)):
            index = iri.end()  # a `<` that starts no IRI is a comparison
        else:
            code.append(char)
            index += 1
            continue
        code.append(" ")  # what was skipped separates tokens
    return None, "".join(code)


def projected_variables(sparql: str) -> set[str] | None:
    """The variables a SELECT query projects (names without `?`); None for `SELECT *`."""
    return _projected(_head(sparql)[1])


def _projected(head: str) -> set[str] | None:
    """The variables a SELECT head (code before its WHERE group) projects; None for `*`."""
    select = re.search(r"\bSELECT\b(.*)", head, re.IGNORECASE | re.DOTALL)
    clause = select.group(1) if select else head
    clause = re.split(r"\b(?:FROM|WHERE)\b", clause, flags=re.IGNORECASE)[0]
    if re.match(r"\s*(?:(?:DISTINCT|REDUCED)\s+)?\*", clause, re.IGNORECASE):
        return None
    # In `(expression AS ?v)` only ?v is projected.
    projected = set(re.findall(r"\bAS\s+[?$]([A-Za-z0-9_]+)", clause, re.IGNORECASE))
    depth, plain = 0, []
    for char in clause:
        depth += char == "("
        plain.append(char if depth == 0 else " ")
        depth -= char == ")"
    projected.update(re.findall(r"[?$]([A-Za-z0-9_]+)", "".join(plain)))
    return projected


def _string_end(sparql: str, start: int) -> int:
    """The offset just past the string literal (short or long form) that starts at `start`."""
    quote_char = sparql[start]
    closing = quote_char * 3 if sparql.startswith(quote_char * 3, start) else quote_char
    index = start + len(closing)
    while index < len(sparql):
        if sparql[index] == "\\":
            index += 2
        elif sparql.startswith(closing, index):
            return index + len(closing)
        else:
            index += 1
    return len(sparql)


_COMMENT_LINE = re.compile(r"^[ \t]*#.*$", re.MULTILINE)
_IRI = re.compile(r"<[^<>\s]*>")
_FORM = re.compile(
    r"\b(SELECT|ASK|CONSTRUCT|DESCRIBE|INSERT|DELETE|WITH|CREATE|CLEAR|DROP|LOAD|COPY|MOVE|ADD)\b",
    re.IGNORECASE,
)


def query_form(sparql: str) -> str:
    """The form of a query or update (SELECT, ASK, ..., INSERT...), read past comments and IRIs.

    SPARQLWrapper's own reading drops only every other line of a comment block and finds its
    keywords inside words, so a canned query's header ("... of a task") would read as ASK.
    """
    code = _IRI.sub(" ", _COMMENT_LINE.sub("", sparql))
    found = _FORM.search(code)
    return found.group(1).upper() if found else "SELECT"


def masked(sparql: str) -> str:
    """The text with its comments, strings and IRIs blanked out, offsets unchanged: what is
    left is code, to search for keywords and braces."""
    out = list(sparql)
    index, length = 0, len(sparql)
    while index < length:
        char = sparql[index]
        end = index + 1
        if char == "#":
            newline = sparql.find("\n", index)
            end = length if newline < 0 else newline
        elif char in "\"'":
            end = _string_end(sparql, index)
        elif char == "<" and (iri := _IRIREF.match(sparql, index)):
            end = iri.end()
        else:
            index += 1
            continue
        out[index:end] = " " * (end - index)
        index = end
    return "".join(out)


_DATASET_CLAUSE = re.compile(r"(?<![\w:?$-])FROM(?![\w:-])", re.IGNORECASE)


def has_dataset_clause(sparql: str) -> bool:
    """Whether a query names its dataset (`FROM`, `FROM NAMED`): the keyword outside comments,
    strings and IRIs, not part of a prefixed name or variable."""
    return _DATASET_CLAUSE.search(masked(sparql)) is not None


def split_select(sparql: str) -> tuple[str, str]:
    """A SELECT query's prologue (BASE, PREFIX) and the rest from its SELECT keyword on, to
    nest the query in another; QueryError if it has no SELECT."""
    found = re.search(r"\bSELECT\b", masked(sparql), re.IGNORECASE)
    if found is None:
        raise QueryError("the query has no SELECT to nest in a larger query")
    return sparql[: found.start()], sparql[found.start() :]


def has_top_level_order(sparql: str) -> bool:
    """Whether a query orders its solutions after its WHERE group (ORDER BY after the last `}`)."""
    code = masked(sparql)
    tail = code[code.rfind("}") + 1 :]
    return re.search(r"\bORDER\s+BY\b", tail, re.IGNORECASE) is not None


def with_projected(sparql: str, expressions: str) -> str | None:
    """The SELECT with `expressions` (`(... AS ?v)` items) projected after its own variables, or
    None where they cannot go in place: `SELECT *`, expressions in its projection, FROM, GROUP BY.

    >>> with_projected("SELECT ?a WHERE { ?a ?b ?c }", "(STR(?a) AS ?s)")
    'SELECT ?a (STR(?a) AS ?s) WHERE { ?a ?b ?c }'
    >>> with_projected("SELECT (COUNT(*) AS ?n) { ?a ?b ?c }", "(1 AS ?one)") is None
    True
    """
    code = masked(sparql)
    select = re.search(r"\bSELECT\b", code, re.IGNORECASE)
    opening = code.find("{", select.end()) if select else -1
    if select is None or opening < 0 or re.search(r"\bGROUP\s+BY\b", code, re.IGNORECASE):
        return None
    head = code[select.end() : opening]
    if re.search(r"[*(]|\bFROM\b", head, re.IGNORECASE):
        return None
    where = re.search(r"\bWHERE\s*$", head, re.IGNORECASE)
    at = select.end() + (where.start() if where else len(head.rstrip()))
    return f"{sparql[:at].rstrip()} {expressions} {sparql[at:].lstrip()}"
