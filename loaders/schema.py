"""Validating events against capture's schema file (event.schema.json), compiled once per kind.

fastjsonschema compiles the schema to Python code. The schema is one object with an `if kind ...
then` branch per kind; evaluating all branches costs about 4x more than one, so each kind gets its
own validator (the common part plus its branch), derived mechanically from the file. Anything
without a known kind goes through the whole schema, which names what is wrong.
"""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Callable
from importlib.resources import files
from typing import Any

import fastjsonschema

# fastjsonschema knows drafts 4, 6 and 7; the schema uses nothing draft 7 lacks ($defs are reached
# by JSON pointer, if/then is draft 7).
_DRAFT = "http://json-schema.org/draft-07/schema#"

Validator = Callable[[Any], Any]


class InvalidEvent(ValueError):
    """One event does not follow the schema; the message names the field."""


@functools.cache
def schema() -> dict[str, Any]:
    """capture's event schema, version 1, as shipped in the package."""
    text = files("provml.capture").joinpath("event.schema.json").read_text(encoding="utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


@functools.cache
def _validators() -> tuple[dict[str, Validator], Validator]:
    """One compiled validator per kind, and one for the whole schema."""
    whole = copy.deepcopy(schema())
    whole["$schema"] = _DRAFT
    common = {key: value for key, value in whole.items() if key != "allOf"}
    per_kind: dict[str, Validator] = {}
    for branch in whole["allOf"]:
        condition = branch["if"]["properties"]["kind"]
        kinds = [condition["const"]] if "const" in condition else condition["enum"]
        compiled = fastjsonschema.compile({**common, "allOf": [branch["then"]]})
        for kind in kinds:
            per_kind[kind] = compiled
    return per_kind, fastjsonschema.compile(whole)


def validate(event: Any) -> None:
    """Check one event; raise InvalidEvent naming the field and what is wrong."""
    per_kind, whole = _validators()
    kind = event.get("kind") if isinstance(event, dict) else None
    check = per_kind.get(kind, whole) if isinstance(kind, str) else whole
    try:
        check(event)
    except fastjsonschema.JsonSchemaValueException as error:
        raise InvalidEvent(_describe(error)) from None


def _describe(error: fastjsonschema.JsonSchemaValueException) -> str:
    """fastjsonschema's message with `data` spelled `event` ("event.step must be integer")."""
    message = str(error.message)
    return "event" + message[4:] if message.startswith("data") else message
