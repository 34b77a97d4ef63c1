"""The hand-built metric lines (through cached templates, or json for the rare cases) are
exactly what json would write, for any metric, in any batch."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from provml.capture.events import TASK_END, IdSequence, LineEncoder, metric_event
from tests.helpers.capture import assert_valid

tokens = st.from_regex(r"[A-Za-z0-9._-]{1,20}", fullmatch=True)
maybe_int = st.none() | st.integers(min_value=-(2**63), max_value=2**63)
# Metric names that look like the text the encoder edits or formats.
keys = st.text(min_size=1, max_size=30) | st.sampled_from(
    [',"step":None,', '","step":None,"', "%d%a%%", "100% acc", ":None", '"epoch"']
)
metrics = st.tuples(
    st.floats(min_value=0, max_value=4e9),  # t
    st.floats(allow_nan=True, allow_infinity=True) | st.integers(),  # value
    maybe_int,  # step
    maybe_int,  # epoch
    st.none() | tokens,  # task
    keys,
    st.sampled_from([None, "training", "validation", "test"]),  # split
    st.none() | tokens,  # model
)


def expected_lines(items: list[tuple], prefix: str, first: int) -> list[str]:
    """What json writes for each queued single metric, numbered from ``first``."""
    return [
        json.dumps(metric_event(item, "run-1", f"{prefix}.{first + n}"), separators=(",", ":"))
        for n, item in enumerate(items)
    ]


@given(items=st.lists(metrics, min_size=1, max_size=8))
def test_a_batch_of_metrics_is_what_json_writes(items):
    encoder = LineEncoder("run-1")
    sequence = IdSequence("abc123")
    twice = encoder.encode(items + items, sequence).decode()  # the second half from the cache
    assert twice.splitlines() == expected_lines(items + items, "abc123", 1)
    one_by_one = b"".join(encoder.line(item, sequence) for item in items).decode()
    assert one_by_one.splitlines() == expected_lines(items, "abc123", 2 * len(items) + 1)
    for line, item in zip(twice.splitlines(), items, strict=False):
        value = item[1]
        if value == value and abs(value) != float("inf"):  # the schema's numbers are finite
            assert_valid([json.loads(line)])


@given(items=st.lists(metrics, min_size=1, max_size=6), at=st.integers(0, 6))
def test_metrics_mixed_with_other_events_keep_their_order_and_text(items, at):
    encoder = LineEncoder("run-1")
    sequence = IdSequence("p")
    task_end = (TASK_END, 99, 1.5, "p.7", "completed", None)
    dict_event = {"v": 1, "kind": "run_end", "id": "p.98", "run": "run-1", "t": 2.5}
    queued = [*items[:at], task_end, *items[at:], dict_event]
    lines = encoder.encode(queued, sequence).decode().splitlines()
    assert [json.loads(line)["kind"] for line in lines] == (
        ["metrics"] * len(items[:at]) + ["task_end"] + ["metrics"] * len(items[at:]) + ["run_end"]
    )
    metric_lines = [line for line in lines if '"kind":"metrics"' in line]
    assert metric_lines == expected_lines(items, "p", 1)


def test_templates_follow_the_id_prefix_and_keep_percent_signs():
    encoder = LineEncoder("run-1")
    item = (1.5, 0.25, None, 3, None, "100% acc", "test", None)
    for prefix in ("first", "second"):  # a forked child has a new prefix
        line = encoder.encode([item], IdSequence(prefix)).decode()
        event = metric_event(item, "run-1", f"{prefix}.1")
        assert line == json.dumps(event, separators=(",", ":")) + "\n"


def test_a_run_with_more_shapes_than_kept_templates_is_written_whole():
    encoder = LineEncoder("run-1")
    encoder.MAX_TEMPLATES = 4
    items = [(1.5 + n, float(n), n, None, None, f"m{n}", None, None) for n in range(10)]
    for _ in range(2):  # the second time, over a full cache
        sequence = IdSequence("p")
        assert encoder.encode(items, sequence).decode().splitlines() == expected_lines(
            items, "p", 1
        )
        assert len(encoder.templates) <= 4
