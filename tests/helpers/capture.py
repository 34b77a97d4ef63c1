"""Shared by the capture tests: read a run's spool back and validate it against the schema."""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

import jsonschema

from provml.capture import read_spool


@cache
def event_validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(files("provml.capture").joinpath("event.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def assert_valid(events: list[dict[str, Any]]) -> None:
    validator = event_validator()
    for event in events:
        errors = sorted(validator.iter_errors(event), key=str)
        assert not errors, f"{event} violates the schema: {errors[0].message}"


def read_valid_events(path: Path) -> list[dict[str, Any]]:
    """Every event under ``path``, checked: schema-valid, ids unique, no bad lines."""
    contents = read_spool(path)
    assert contents.bad_lines == []
    assert_valid(contents.events)
    ids = [event["id"] for event in contents.events]
    assert len(ids) == len(set(ids)), "event ids must be unique"
    return contents.events


def of_kind(events: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [event for event in events if event["kind"] == kind]
