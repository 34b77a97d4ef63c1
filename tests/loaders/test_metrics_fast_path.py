"""The loader's fast path for metrics events (`schema.metrics_valid`, `convert.metrics_nquads`)
decides nothing the schema and the converter would decide otherwise: every event it vouches for
passes the compiled validator, every one it does not goes through that validator (same reason),
and its text is the converter's lines joined."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from provml.loaders.batch import convert_lines
from provml.loaders.convert import convert, metrics_nquads
from provml.loaders.schema import InvalidEvent, metrics_valid, validate

VALID = {
    "v": 1,
    "kind": "metrics",
    "id": "57d71548.4",
    "run": "synth-42-000013",
    "t": 1700093631.5,
    "task": "57d71548.3",
    "values": {"loss": 1.17782, "acc": 1},
    "step": 0,
    "epoch": 0,
    "split": "training",
    "model": None,
}

# Near misses: each differs from VALID in one field, in a way the schema refuses or that only
# the compiled validator may judge (1.0 as an integer, a newline `$` lets through).
NEAR_MISSES = [
    {"v": True},
    {"v": 1.0},
    {"v": 2},
    {"id": "a b"},
    {"id": "x" * 129},
    {"id": ""},
    {"id": 7},
    {"run": "run\n"},
    {"run": "r/1"},
    {"t": "now"},
    {"t": True},
    {"task": 3},
    {"values": {"loss": True}},
    {"values": {"loss": "1"}},
    {"values": {"loss": None}},
    {"values": [1.0]},
    {"step": 1.0},
    {"step": True},
    {"step": "1"},
    {"epoch": 2.5},
    {"split": "train"},
    {"split": 1},
    {"model": 5},
    {"extra": 1},
    {"values": None},
]


@pytest.mark.parametrize("change", NEAR_MISSES, ids=lambda change: json.dumps(change)[:40])
def test_near_misses_are_left_to_the_validator_and_refused_as_it_says(change):
    event = {**VALID, **change}
    assert not metrics_valid(event)
    try:
        validate(event)
        expected = None
    except InvalidEvent as error:
        expected = str(error)
    line = json.dumps(event).encode() + b"\n"
    batch = convert_lines(line, 1, "spool.jsonl")
    if expected is None:  # the schema accepts it (1.0 as an integer): converted as before
        assert batch.events == 1
    else:
        assert [bad.reason for bad in batch.bad] == [expected]


def test_missing_fields_are_left_to_the_validator():
    for name in ("v", "id", "run", "t", "values"):
        event = {key: value for key, value in VALID.items() if key != name}
        assert not metrics_valid(event)
        with pytest.raises(InvalidEvent, match=name):
            validate(event)


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=5),
)
events = st.fixed_dictionaries(
    {"v": st.sampled_from([1, 1.0, True, 2]), "kind": st.just("metrics")},
    optional={
        "id": st.one_of(st.from_regex(r"[A-Za-z0-9._-]{1,8}", fullmatch=True), scalars),
        "run": st.one_of(st.from_regex(r"[A-Za-z0-9._ -]{0,8}\n?", fullmatch=True), scalars),
        "t": scalars,
        "task": scalars,
        "values": st.one_of(st.dictionaries(st.text(max_size=4), scalars, max_size=3), scalars),
        "step": scalars,
        "epoch": scalars,
        "split": st.one_of(st.sampled_from(["training", "validation", "test", "val"]), scalars),
        "model": scalars,
        "other": scalars,
    },
)


@given(events)
def test_what_the_fast_path_accepts_the_schema_accepts(event):
    if metrics_valid(event):
        validate(event)  # raises if the fast path let through what the schema refuses


@given(events)
def test_the_fast_text_is_the_converters_lines(event):
    if not metrics_valid(event):
        return
    t = event["t"]
    if not math.isfinite(t) or abs(t) > 1e11:
        return  # no calendar date: both raise
    text, count = metrics_nquads(event)
    lines = convert(event)
    assert text == "".join(lines)
    assert count == len(lines)
