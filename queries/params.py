"""Parameters: what a canned query declares (`Param`), and values checked against their
declared type and turned into pyoxigraph terms.

Text (from the command line) is parsed strictly; Python values of the right type are taken as
they are. An IRI must be absolute and free of the characters that could end or break it in
query text. Errors are UnsafeParameter naming the parameter (and the query).
"""

from __future__ import annotations

__all__ = ["Param"]

import datetime as dt
import math
import re
from dataclasses import dataclass

import pyoxigraph

from provml.errors import UnsafeParameter

XSD = "http://www.w3.org/2001/XMLSchema#"
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
_IRI_UNSAFE = re.compile(r"[<>\"{}|^`\\\x00-\x20\x7f]")
_INTEGER = re.compile(r"[+-]?[0-9]+")
_FLOAT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


@dataclass(frozen=True)
class Param:
    """A parameter a canned query declares: its name, type and default (None: required)."""

    name: str
    type: str
    default: str | None = None

    @property
    def required(self) -> bool:
        """Whether the caller must give a value (no default)."""
        return self.default is None


def _typed(lexical: str, datatype: str) -> pyoxigraph.Literal:
    """A literal of an XSD datatype."""
    return pyoxigraph.Literal(lexical, datatype=pyoxigraph.NamedNode(XSD + datatype))


def _refuse(param: Param, query: str, value: object, why: str) -> UnsafeParameter:
    """The error for a refused value, naming the query and the parameter."""
    return UnsafeParameter(
        f"{query}: parameter {param.name} ({param.type}) = {value!r}: {why}",
        query=query,
        parameter=param.name,
    )


def to_term(param: Param, value: object, query: str) -> pyoxigraph.NamedNode | pyoxigraph.Literal:
    """The term binding `param` to `value`; UnsafeParameter naming `query` and it if refused."""
    if param.type == "iri":
        return _iri(param, value, query)
    if param.type == "string":
        if not isinstance(value, str):
            raise _refuse(param, query, value, "must be text")
        return pyoxigraph.Literal(value)
    if param.type == "integer":
        if isinstance(value, int) and not isinstance(value, bool):
            return _typed(str(value), "integer")
        if isinstance(value, str) and _INTEGER.fullmatch(value.strip()):
            return _typed(str(int(value)), "integer")
        raise _refuse(param, query, value, "must be an integer such as 42")
    if param.type == "float":
        return _float(param, value, query)
    if param.type == "boolean":
        if isinstance(value, bool):
            return _typed(str(value).lower(), "boolean")
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            return _typed(value.strip().lower(), "boolean")
        raise _refuse(param, query, value, "must be true or false")
    if param.type == "datetime":
        return _datetime(param, value, query)
    raise _refuse(param, query, value, f"unknown parameter type {param.type!r}")


def _iri(param: Param, value: object, query: str) -> pyoxigraph.NamedNode:
    """An absolute IRI with nothing that could end or break it."""
    if isinstance(value, pyoxigraph.NamedNode):
        value = value.value
    if not isinstance(value, str):
        raise _refuse(param, query, value, "must be an IRI (text)")
    bad = _IRI_UNSAFE.search(value)
    if bad:
        raise _refuse(
            param, query, value, f"an IRI may not contain {bad.group()!r} (at {bad.start()})"
        )
    if not _SCHEME.match(value):
        raise _refuse(param, query, value, "must be an absolute IRI (https://...)")
    try:
        return pyoxigraph.NamedNode(value)
    except ValueError as error:
        raise _refuse(param, query, value, f"not a valid IRI: {error}") from None


def _float(param: Param, value: object, query: str) -> pyoxigraph.Literal:
    """An xsd:double from a finite number or its decimal text."""
    if isinstance(value, bool):
        raise _refuse(param, query, value, "must be a number such as 0.5")
    if isinstance(value, int | float) or (
        isinstance(value, str) and _FLOAT.fullmatch(value.strip())
    ):
        number = float(value)
    else:
        raise _refuse(param, query, value, "must be a number such as 0.5")
    if not math.isfinite(number):
        raise _refuse(param, query, value, "must be a finite number")
    return _typed(repr(number), "double")


def _datetime(param: Param, value: object, query: str) -> pyoxigraph.Literal:
    """An xsd:dateTime from a datetime or ISO 8601 text with a date and a time."""
    if isinstance(value, str):
        text = value.strip()
        if "T" not in text:
            raise _refuse(param, query, value, "must be an ISO date and time: 2026-01-31T12:00:00Z")
        try:
            value = dt.datetime.fromisoformat(text)
        except ValueError as error:
            raise _refuse(param, query, text, f"not an ISO date and time: {error}") from None
    if not isinstance(value, dt.datetime):
        raise _refuse(param, query, value, "must be a datetime or ISO 8601 text")
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC)
        return _typed(value.replace(tzinfo=None).isoformat() + "Z", "dateTime")
    return _typed(value.isoformat(), "dateTime")
