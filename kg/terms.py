"""Checking caller-supplied IRIs, variable names and binding values before they reach an engine."""

from __future__ import annotations

__all__ = ["BindingTerm", "named_node"]

import re
from collections.abc import Mapping

import pyoxigraph

from provml.errors import UnsafeParameter

# SPARQL 1.1 VARNAME, restricted to ASCII letters, digits and underscore: enough for our queries.
_VARIABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

#: The term types a binding may hold.
BindingTerm = pyoxigraph.NamedNode | pyoxigraph.Literal | pyoxigraph.BlankNode


def named_node(iri: str, what: str = "IRI") -> pyoxigraph.NamedNode:
    """A validated NamedNode for a caller-supplied IRI; UnsafeParameter naming it if invalid."""
    if isinstance(iri, pyoxigraph.NamedNode):
        return iri
    if not isinstance(iri, str):
        raise UnsafeParameter(f"{what} must be a string IRI, not {type(iri).__name__}")
    try:
        return pyoxigraph.NamedNode(iri)
    except ValueError as error:
        raise UnsafeParameter(f"{what} {iri!r} is not a valid IRI: {error}") from None


def checked_bindings(bindings: Mapping[str, object] | None) -> dict[str, BindingTerm]:
    """The bindings with names and values checked; UnsafeParameter naming the first bad one."""
    checked: dict[str, BindingTerm] = {}
    for name, value in (bindings or {}).items():
        if not isinstance(name, str) or not _VARIABLE_NAME.fullmatch(name):
            raise UnsafeParameter(
                f"binding name {name!r} is not a SPARQL variable name (letters, digits, _)",
                parameter=str(name),
            )
        if not isinstance(value, BindingTerm):
            raise UnsafeParameter(
                f"binding ?{name} must be a pyoxigraph NamedNode, Literal or BlankNode, not "
                f"{type(value).__name__} {value!r}: build terms with pyoxigraph, which "
                "validates them, or provml.kg.named_node() for IRIs",
                parameter=name,
            )
        checked[name] = value
    return checked
