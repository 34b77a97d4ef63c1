"""The hand-built metric lines (direct and through templates) are exactly what json would write,
for any metric."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from provml.capture.events import METRIC, LineEncoder, metric_event, metric_line
from tests.helpers.capture import assert_valid

tokens = st.from_regex(r"[A-Za-z0-9._-]{1,20}", fullmatch=True)
maybe_int = st.none() | st.integers(min_value=-(2**63), max_value=2**63)


@given(
    seq=st.integers(min_value=1, max_value=2**40),
    t=st.floats(min_value=0, max_value=4e9),
    task=st.none() | tokens,
    key=st.text(min_size=1, max_size=30),
    value=st.floats(allow_nan=True, allow_infinity=True) | st.integers(),
    step=maybe_int,
    epoch=maybe_int,
    split=st.sampled_from([None, "training", "validation", "test"]),
    model=st.none() | tokens,
    several=st.booleans(),
)
def test_metric_line_matches_json(seq, t, task, key, value, step, epoch, split, model, several):
    metric_key, metric_value = (None, {key: value, "other": 1.5}) if several else (key, value)
    item = (METRIC, seq, t, task, metric_key, metric_value, step, epoch, split, model)
    line = metric_line(item, "run-1", "abc123")
    expected = metric_event(item, "run-1", "abc123")
    assert line == json.dumps(expected, separators=(",", ":"))
    encoder = LineEncoder("run-1")
    twice = encoder.encode([item, item], "abc123")  # the second one through the cached template
    assert twice == (line + "\n").encode() * 2
    decoded = json.loads(line)
    if value == value and abs(value) != float("inf"):  # the schema's numbers are finite
        assert_valid([decoded])


def test_templates_follow_the_id_prefix_and_keep_percent_signs():
    encoder = LineEncoder("run-1")
    item = (METRIC, 7, 1.5, None, "100% acc", 0.25, None, 3, "test", None)
    for prefix in ("first", "second"):  # a forked child has a new prefix
        line = encoder.encode([item], prefix).decode()
        assert line == json.dumps(metric_event(item, "run-1", prefix), separators=(",", ":")) + "\n"
