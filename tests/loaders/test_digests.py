"""Metric digests gathered as events convert (`provml.loaders.digests`): keys that sort as the
values do, and summaries equal to those computed from the measures read back."""

from __future__ import annotations

import itertools
import json
import math
import random

import pyoxigraph

from provml.kg import open_store
from provml.loaders import digests, iris, summaries
from provml.loaders.load import load_lines


def test_double_keys_sort_as_the_doubles_and_round_trip():
    rng = random.Random(7)
    values = [0.0, -0.0, 1.0, -1.0, math.inf, -math.inf, 5e-324, -5e-324, 1.7976931348623157e308]
    values += [rng.uniform(-1e6, 1e6) for _ in range(500)]
    values += [rng.uniform(-1, 1) * 10 ** rng.randint(-300, 300) for _ in range(500)]
    by_key = sorted(values, key=digests.double_key)
    assert by_key == sorted(values, key=lambda value: (value, math.copysign(1, value)))
    for value in values:
        assert digests.double_of(digests.double_key(value)) == value


def test_final_keys_sort_as_epoch_step_value_and_round_trip():
    rng = random.Random(8)
    numbers = [None, 0, 1, -1, 9, 10, -10, 10**30, -(10**30)]
    measures = [(rng.choice(numbers), rng.choice(numbers), rng.uniform(-5, 5)) for _ in range(2000)]
    keys = [digests.final_key(measure) for measure in measures]
    for first, second in itertools.pairwise(measures):
        assert (digests.order(first) < digests.order(second)) == (
            digests.final_key(first) < digests.final_key(second)
        )
    for measure, key in zip(measures, keys, strict=True):
        assert digests.final_of(key) == digests.order(measure)


def _line(number: int, epoch: int | None, step: int | None, value: float, split: str) -> bytes:
    fields = [
        f'"v":1,"kind":"metrics","id":"m{number}","run":"r","t":{1_700_000_000 + number}',
        f'"values":{{"loss":{value!r},"acc":{number}}}',
        f'"split":"{split}"',
    ]
    if epoch is not None:
        fields.append(f'"epoch":{epoch}')
    if step is not None:
        fields.append(f'"step":{step}')
    return ("{" + ",".join(fields) + "}\n").encode()


def test_summaries_from_digests_equal_those_from_the_measures(tmp_path):
    rng = random.Random(9)
    start = (
        b'{"v":1,"kind":"run_start","id":"s","run":"r","t":1700000000,"name":"n",'
        b'"user":"u","host":"h","pid":1}\n'
    )
    lines = [start]
    for number in range(600):
        epoch = rng.choice([None, 0, 1, 2, -3])
        step = rng.choice([None, 0, 5, 7, -1])
        value = rng.choice([rng.uniform(-2, 2), 0.5, -0.0])
        lines.append(_line(number, epoch, step, value, rng.choice(["training", "validation"])))
    with open_store(tmp_path / "store") as store:
        # Small batches, and the first half sent again (a replay): digests merge over many
        # commits, twice over for some.
        data = b"".join(lines + lines[1:300])
        load_lines(store, data, batch_bytes=2_000)
        graph = pyoxigraph.NamedNode(iris.plain(iris.run("r")))
        summary = summaries.SUMMARY
        result = store.query(f"SELECT * WHERE {{ GRAPH {graph} {{ ?s a {summary} ; ?p ?o }} }}")
        written = {_triple(row["s"], row["p"], row["o"]) for row in result.rows}
        read_back = {
            _triple(quad.subject, quad.predicate, quad.object)
            for quad in summaries._metric_summaries(store, [graph])
        }
        assert written == read_back
        assert len(written) > 10
        assert store.count(iris.plain(iris.UNFINISHED_GRAPH)) == 0


def _triple(subject: object, predicate: object, obj: object) -> tuple[object, object, object]:
    """A triple with doubles compared by value (the store writes them in canonical form)."""
    if isinstance(obj, pyoxigraph.Literal) and obj.datatype.value.endswith("#double"):
        return subject, predicate, float(obj.value)
    return subject, predicate, obj


def test_step_only_and_single_value_metrics_have_a_final_value_and_no_last_epoch(tmp_path):
    # A step-only metric (MLflow's) ends at its last step, a single value is its own final;
    # over several batches and a replay of the first.
    start = (
        b'{"v":1,"kind":"run_start","id":"s","run":"r","t":1700000000,"name":"n",'
        b'"user":"u","host":"h","pid":1}\n'
    )
    losses = [0.9, 0.4, 0.6, 0.5]
    lines = [start]
    for step, loss in enumerate(losses):
        lines.append(_metric_line(f"m{step}", {"loss": loss}, "validation", step=step))
    lines.append(_metric_line("t", {"acc": 0.8}, "test"))
    with open_store(tmp_path / "store") as store:
        load_lines(store, b"".join(lines + lines[1:3]), batch_bytes=200)
        graph = iris.plain(iris.run("r"))
        result = store.query(
            "PREFIX p: <https://w3id.org/provml/ontology#> SELECT ?name ?low ?high ?final ?epoch "
            f"WHERE {{ GRAPH <{graph}> {{ ?s p:summarizedMetric ?name ; p:lowestValue ?low ; "
            "p:highestValue ?high ; p:finalValue ?final . OPTIONAL { ?s p:lastEpoch ?epoch } } }"
        )
        found = {
            row["name"].value: tuple(
                None if row[key] is None else float(row[key].value)
                for key in ("low", "high", "final", "epoch")
            )
            for row in result.rows
        }
    assert found == {
        "loss": (min(losses), max(losses), losses[-1], None),
        "acc": (0.8, 0.8, 0.8, None),
    }


def _metric_line(
    event_id: str, values: dict[str, float], split: str, step: int | None = None
) -> bytes:
    """A metrics event line of run r, with a step or none."""
    fields = [
        f'"v":1,"kind":"metrics","id":"{event_id}","run":"r","t":1700000001',
        f'"values":{json.dumps(values)}',
        f'"split":"{split}"',
    ]
    if step is not None:
        fields.append(f'"step":{step}')
    return ("{" + ",".join(fields) + "}\n").encode()
