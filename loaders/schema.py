"""Validating events against capture's schema file (event.schema.json), compiled once per kind.

fastjsonschema compiles the schema to Python code. The schema is one object with an `if kind ...
then` branch per kind; evaluating all branches costs about 4x more than one, so each kind gets its
own validator (the common part plus its branch), derived mechanically from the file. Anything
without a known kind goes through the whole schema, which names what is wrong.

Metrics events are the bulk of every spool: `metrics_valid` checks the common case of one in
plain Python (a few type checks, about 4x cheaper than the compiled validator); an event it does
not vouch for goes through `validate`, so every refusal and its message come from the schema.
"""

from __future__ import annotations

import copy
import functools
import json
import re
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
def _schemas() -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    """The schema of each kind (the common part plus its branch), and the whole schema."""
    whole = copy.deepcopy(schema())
    whole["$schema"] = _DRAFT
    common = {key: value for key, value in whole.items() if key != "allOf"}
    per_kind: dict[str, dict[str, Any]] = {}
    for branch in whole["allOf"]:
        condition = branch["if"]["properties"]["kind"]
        kinds = [condition["const"]] if "const" in condition else condition["enum"]
        for kind in kinds:
            per_kind[kind] = {**common, "allOf": [branch["then"]]}
    return per_kind, whole


@functools.cache
def _validator(kind: str | None) -> Validator:
    """The compiled validator of one kind (None: the whole schema), compiled when first needed:
    compiling them all costs a conversion worker most of a second before its first batch."""
    per_kind, whole = _schemas()
    return fastjsonschema.compile(whole if kind is None else per_kind[kind])


def validate(event: Any) -> None:
    """Check one event; raise InvalidEvent naming the field and what is wrong."""
    kind = event.get("kind") if isinstance(event, dict) else None
    known = isinstance(kind, str) and kind in _schemas()[0]
    try:
        _validator(kind if known else None)(event)
    except fastjsonschema.JsonSchemaValueException as error:
        raise InvalidEvent(_describe(error)) from None


def _describe(error: fastjsonschema.JsonSchemaValueException) -> str:
    """fastjsonschema's message with `data` spelled `event` ("event.step must be integer")."""
    message = str(error.message)
    return "event" + message[4:] if message.startswith("data") else message


# What `metrics_valid` accepts, read from the schema file so that a change there cannot pass
# unnoticed: the token pattern, the fields of a metrics event and its splits.
_TOKEN = schema()["$defs"]["token"]["pattern"]
_ID = schema()["properties"]["id"]["pattern"]
_METRICS = schema()["$defs"]["metrics"]
_METRIC_FIELDS = frozenset(_METRICS["properties"])
_SPLITS = frozenset(split for split in _METRICS["properties"]["split"]["enum"] if split is not None)
# The patterns are `^[...]{1,128}$` (`$` also matches before a final newline: such a text fails
# the full match here and is left to the validator).
_TOKEN_MATCH = re.compile(_TOKEN.removeprefix("^").removesuffix("$")).fullmatch
_ID_MATCH = re.compile(_ID.removeprefix("^").removesuffix("$")).fullmatch
_REQUIRED = frozenset((*schema()["required"], *_METRICS["required"]))


def metrics_valid(event: dict[str, Any]) -> bool:
    """Whether `event` (a metrics event) surely follows the schema, checked in plain Python;
    False means "ask `validate`", which refuses it or not, with the schema's reason."""
    if not _METRIC_FIELDS.issuperset(event) or not _REQUIRED.issubset(event):
        return False
    v, t, task, model = event["v"], event["t"], event.get("task"), event.get("model")
    step, epoch, split = event.get("step"), event.get("epoch"), event.get("split")
    values = event["values"]
    return (
        type(v) is int
        and v == 1
        and type(t) in (int, float)
        and type(event["id"]) is str
        and _ID_MATCH(event["id"]) is not None
        and type(event["run"]) is str
        and _TOKEN_MATCH(event["run"]) is not None
        and (task is None or type(task) is str)
        and (model is None or type(model) is str)
        and (step is None or type(step) is int)
        and (epoch is None or type(epoch) is int)
        and (split is None or (type(split) is str and split in _SPLITS))
        and type(values) is dict
        and all(type(value) in (int, float) for value in values.values())
    )
