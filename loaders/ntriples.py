"""Writing RDF terms as N-Triples/N-Quads text, escaped exactly as the N-Triples grammar requires.

Formatting text is several times faster than building pyoxigraph terms (see `provml.kg.store`),
so the converter writes N-Quads lines and the store parses them in one transaction per batch.
Only `"`, `\\`, line feed and carriage return must be escaped in a quoted literal (N-Triples 1.1,
STRING_LITERAL_QUOTE); every other character, controls included, may appear as itself.
"""

from __future__ import annotations

import datetime
import math

from provml.loaders.terms import D

_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r"})
_UTC = datetime.UTC


def string(text: str) -> str:
    """A plain (xsd:string) literal."""
    return '"' + text.translate(_ESCAPES) + '"'


def integer(number: int) -> str:
    """An xsd:integer literal."""
    return f'"{number}"{D.integer}'


def long(number: int) -> str:
    """An xsd:long literal (the ontology's range for sizes)."""
    return f'"{number}"{D.long}'


def double(number: float) -> str:
    """An xsd:double literal; NaN and the infinities in XSD spelling."""
    return f'"{double_lexical(number)}"{D.double}'


def double_lexical(number: float) -> str:
    """The xsd:double lexical form of a float (NaN, INF and -INF as XSD spells them)."""
    if math.isfinite(number):
        return repr(number)
    return "NaN" if math.isnan(number) else ("INF" if number > 0 else "-INF")


def boolean(flag: bool) -> str:
    """An xsd:boolean literal."""
    return f'"{"true" if flag else "false"}"{D.boolean}'


def scalar(value: str | int | float | bool) -> str:
    """The literal for a JSON scalar: string, boolean, integer or double (not None)."""
    if isinstance(value, str):
        return string(value)
    if isinstance(value, bool):
        return boolean(value)
    if isinstance(value, int):
        return integer(value)
    return double(value)


def timestamp(seconds: float) -> str:
    """An xsd:dateTime literal in UTC for seconds since the Unix epoch.

    Raises ValueError, OverflowError or OSError for a time no calendar date has (NaN, 1e20).
    """
    moment = datetime.datetime.fromtimestamp(seconds, _UTC).isoformat()
    return f'"{moment}"{D.dateTime}'


def moment(lexical: str) -> datetime.datetime:
    """An xsd:dateTime lexical form as an aware datetime, UTC when it has no zone (as `timestamp`
    writes them). Raises ValueError for text that is not one."""
    parsed = datetime.datetime.fromisoformat(lexical)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=_UTC)


def to_utf8(text: str) -> bytes:
    """Encode N-Quads text; a lone surrogate (valid in JSON, not in RDF) becomes U+FFFD."""
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        # Pair up valid surrogate pairs, replace the lone ones.
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace").encode("utf-8")
